/**
 * The local KQL engine: Kusto.Language parses and analyses, `lower` turns the tree into a JSON plan, `evaluate`
 * runs the plan over in-memory rows. See docs/kql-engine.md for what is supported and how cells are represented.
 */
import { AzirError } from "../../core/errors.js";
import type { LogsColumn } from "../../core/ports.js";
import { convertCell, isCalendarDate, planTable, readTableFiles, tableFromJson } from "../table-files.js";
import { type TableSchema, tableSchemas } from "../tables.js";
import { UnsupportedKqlError, unsupported } from "./errors.js";
import { didYouMean, explainDiagnostic } from "./explain.js";
import { runPlan } from "./evaluate.js";
import type { KqlDiagnostic, SyntaxNode } from "./kusto-language.js";
import { Lowerer } from "./lower.js";
import { splitParams } from "./params.js";
import { type StoredDiagnostic, answerFromCache, planKey, rememberPlan } from "./plan-cache.js";
import type { KqlPlan, KqlResult, KqlTable, LiteralExpr, ScalarType } from "./types.js";
import { formatDateTimeWire } from "./values.js";
import { fromWireCell, fromWireRows } from "./wire.js";

export { UnsupportedKqlError } from "./errors.js";
export type { KqlDiagnostic } from "./kusto-language.js";
export type { KqlPlan, KqlResult, KqlTable } from "./types.js";
export { fromObjectRows, fromWireCell, fromWireRows, toWireCell, toWireTable, type WireTable } from "./wire.js";
export { splitParams } from "./params.js";
export { planKey } from "./plan-cache.js";

export type CompileResult = { ok: true; plan: KqlPlan; columns: LogsColumn[] } | { ok: false; diagnostics: KqlDiagnostic[] };

/** Loads the analyser on demand: the only way this module reaches Kusto.Language. */
async function analyser(): Promise<typeof import("./kusto-language.js")> {
  return import("./kusto-language.js");
}

/** Parses, analyses and lowers a query, without the parameter split or the cache. */
export async function compileUncached(
  text: string,
  schemas: Record<string, TableSchema>,
  params: Array<{ name: string; type: ScalarType }>,
): Promise<{ ok: true; plan: KqlPlan } | { ok: false; diagnostics: KqlDiagnostic[]; prefix: number }> {
  const prefix = params.length > 0 ? `declare query_parameters(${params.map((p) => `${p.name}:${p.type}`).join(", ")});\n` : "";
  const { analyzeKqlTree } = await analyser();
  const analysed = await analyzeKqlTree(prefix + text, schemas);
  const counted = countArguments(analysed.tree);
  const errors = analysed.diagnostics.filter((d) => d.severity === "error" && !counted.has(`${d.code}:${d.offset}:${d.offset + d.length}`));
  if (errors.length > 0) return { ok: false, diagnostics: errors, prefix: prefix.length };
  return { ok: true, plan: new Lowerer(params).lowerQuery(analysed.tree, params) };
}

/**
 * The diagnostics (`code:start:end`) of Kusto.Language that are not errors of the query, because the real engine
 * answers there (the conformance corpus): KS107 ("a value of type bool expected") on the argument of `count(x)` when
 * it is not a bool (the number of rows, nulls included) and on a search term in not(), and KS234 ("must be a dynamic
 * array") on the argument of `array_length()` (null for a bag).
 */
function countArguments(tree: SyntaxNode): Set<string> {
  const spans = new Set<string>();
  const visit = (n: SyntaxNode): void => {
    if (n.kind === "FunctionCallExpression") {
      const name = n.children.find((c) => c.kind === "NameReference");
      let token = name;
      while (token && token.children.length > 0) token = token.children[0];
      const isCount = token?.kind === "CountKeyword";
      const list = n.children.find((c) => c.kind === "ExpressionList");
      const args = list?.children.find((c) => c.kind === "List")?.children.filter((c) => c.kind === "SeparatedElement") ?? [];
      const arg = args.length === 1 ? args[0]!.children[0] : undefined;
      if (isCount && arg && arg.type !== undefined && arg.type !== "bool") spans.add(`KS107:${arg.start}:${arg.end}`);
      // array_length() of a bag: Kusto.Language wants an array (KS234); the real engine answers null (the corpus)
      if (token?.text === "array_length" && arg && arg.type === "dynamic") spans.add(`KS234:${arg.start}:${arg.end}`);
    }
    if (n.kind === "SearchOperator") searchNotTerms(n, spans);
    n.children.forEach(visit);
    if (n.expansion) visit(n.expansion);
  };
  visit(tree);
  return spans;
}

/**
 * `search not("term")`: Kusto.Language expects a bool inside not() (KS107) where the real engine reads a search term
 * (the corpus's three cases), which the lowerer handles. Collects the spans of such terms in a search's predicate
 * (through and, or and parentheses).
 */
function searchNotTerms(search: SyntaxNode, spans: Set<string>): void {
  const visit = (n: SyntaxNode): void => {
    if (n.kind === "AndExpression" || n.kind === "OrExpression" || n.kind === "ParenthesizedExpression") n.children.forEach(visit);
    if (n.kind !== "FunctionCallExpression") return;
    let token = n.children.find((c) => c.kind === "NameReference");
    while (token && token.children.length > 0) token = token.children[0];
    const args = n.children.find((c) => c.kind === "ExpressionList")?.children.find((c) => c.kind === "List")?.children.filter((c) => c.kind === "SeparatedElement") ?? [];
    const arg = args.length === 1 ? args[0]!.children[0] : undefined;
    if (token?.text === "not" && arg?.kind === "StringLiteralExpression") spans.add(`KS107:${arg.start}:${arg.end}`);
  };
  search.children.forEach(visit);
}

function relocate(d: StoredDiagnostic, text: string, shift: number): KqlDiagnostic {
  const offset = Math.max(0, d.offset + shift);
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  return { ...d, offset, line, column };
}

/**
 * Compiles a query against table schemas. Leading `let name = <literal>;` statements are treated as query
 * parameters: the rest compiles once (cached by hash, and in kql/plans.json for the shipped files) and the values
 * are bound into the returned plan. Throws UnsupportedKqlError for constructs the engine does not evaluate.
 */
export async function compile(query: string, schemas: Record<string, TableSchema>): Promise<CompileResult> {
  const result = await compileBound(query, schemas);
  if (!result.ok) refuseHiddenColumns(result.diagnostics);
  return result;
}

/**
 * Log Analytics' standard columns that `take` and `project *` do not show (Microsoft's "Standard columns in Azure
 * Monitor Logs"). Exports and the tabletop do not carry them, so the declared schemas leave them out; a query that
 * names one is refused by name rather than told the column does not exist, which in a workspace it does.
 */
const hiddenColumns = new Set(["_ResourceId", "_SubscriptionId", "_ItemId", "_IsBillable", "_BilledSize", "_TimeReceived"]);

function refuseHiddenColumns(diagnostics: KqlDiagnostic[]): void {
  const names = diagnostics.map((d) => (d.code === "KS142" ? /^The name '([^']+)'/.exec(d.message)?.[1] : undefined));
  if (names.length === 0 || !names.every((n) => n !== undefined && hiddenColumns.has(n))) return;
  unsupported(
    `the hidden column ${[...new Set(names)].join(", ")}`,
    "Exports and the tabletop do not carry Log Analytics' hidden columns (_ResourceId, _SubscriptionId, _ItemId, ...): run the query against the workspace, or leave the column out.",
  );
}

async function compileBound(query: string, schemas: Record<string, TableSchema>): Promise<CompileResult> {
  const split = splitParams(query);
  const params = split.params.map((p) => ({ name: p.name, type: p.type }));
  const cached = await answerFromCache(split.rest, params, schemas);
  if (cached && "diagnostics" in cached) return { ok: false, diagnostics: cached.diagnostics.map((d) => relocate(d, query, split.offset)) };
  let plan = cached?.plan;
  if (!plan) {
    const compiled = await compileUncached(split.rest, schemas, params);
    if (!compiled.ok) return { ok: false, diagnostics: compiled.diagnostics.map((d) => relocate(d, query, split.offset - compiled.prefix)) };
    plan = compiled.plan;
    rememberPlan(planKey(split.rest, params), plan);
  }
  const bindings: Record<string, LiteralExpr["value"]> = {};
  for (const p of split.params) bindings[p.name] = p.value;
  const bound: KqlPlan = { ...plan, bindings };
  return { ok: true, plan: bound, columns: plan.query.columns.map((c) => ({ name: c.name, type: c.type })) };
}

function decodeBinding(value: LiteralExpr["value"], type: ScalarType): unknown {
  if (value === null) return null;
  if (type === "datetime" || type === "timespan") return BigInt(value as string);
  return value;
}

/** Runs a compiled plan over tables whose cells use the engine's representation (see types.ts). */
export function run(plan: KqlPlan, tables: Record<string, KqlTable>, options: { now: Date }): KqlResult {
  const params: Record<string, unknown> = {};
  for (const p of plan.params) {
    const v = plan.bindings?.[p.name];
    if (v !== undefined) params[p.name] = decodeBinding(v, p.type);
  }
  return runPlan(plan, tables, params, options.now);
}

/** Table schemas of loaded tables, for compiling against them. */
export function schemasOf(tables: Record<string, KqlTable>): Record<string, TableSchema> {
  const out: Record<string, TableSchema> = {};
  for (const [name, t] of Object.entries(tables)) out[name] = t.columns.map((c) => [c.name, c.type] as const);
  return out;
}

/**
 * What a query over loaded tables compiles against: each table's declared schema with the columns its file adds
 * (a file that lacks declared columns still has them, as null), and the loaded schema of undeclared tables.
 */
export function querySchemas(tables: Record<string, KqlTable>): Record<string, TableSchema> {
  const out: Record<string, TableSchema> = { ...tableSchemas };
  for (const [name, t] of Object.entries(tables)) {
    const declared = tableSchemas[name];
    const loaded = t.columns.map((c) => [c.name, c.type] as const);
    if (!declared) {
      out[name] = loaded;
      continue;
    }
    const types = new Map<string, string>(declared.map(([n, ty]) => [n, ty]));
    // a loaded column of another type than declared (a saved response's own types) keeps the loaded schema
    if (loaded.some(([n, ty]) => types.has(n) && types.get(n) !== ty)) out[name] = loaded;
    else out[name] = [...declared, ...loaded.filter(([n]) => !types.has(n))];
  }
  return out;
}

/** Compiles against the loaded tables' schemas and runs; errors are AzirErrors with the diagnostics as details. */
export async function runQuery(query: string, tables: Record<string, KqlTable>, options: { now: Date }): Promise<KqlResult> {
  const schemas = querySchemas(tables);
  const compiled = await compile(query, schemas);
  if (!compiled.ok) throw compileError(query, compiled.diagnostics, schemas);
  return run(compiled.plan, tables, options);
}

/**
 * The rows of a loaded table and the times they span (TimeGenerated, ISO-8601 UTC): what an export holds, so that a
 * responder sees a look-back longer than the export (a 30-day hunt over 2 days of rows) rather than a quiet answer.
 */
export function tableSpan(table: KqlTable): { rows: number; first?: string; last?: string } {
  const at = table.columns.findIndex((c) => c.name === "TimeGenerated" && c.type === "datetime");
  let first: bigint | undefined;
  let last: bigint | undefined;
  if (at >= 0) {
    for (const r of table.rows) {
      const t = r[at];
      if (typeof t !== "bigint") continue;
      if (first === undefined || t < first) first = t;
      if (last === undefined || t > last) last = t;
    }
  }
  return { rows: table.rows.length, ...(first !== undefined && last !== undefined ? { first: formatDateTimeWire(first), last: formatDateTimeWire(last) } : {}) };
}

/**
 * Row counts at which an export was most likely cut: the Log Analytics portal returns (and so exports) at most 30,000
 * rows of a query (MicrosoftDocs/azure-docs, get-started-queries.md, corrected to 30,000 in 2023), the query API at
 * most 500,000 (azure-reference.md section 7, from Microsoft's service limits).
 */
const exportRowLimits = [30_000, 500_000];

/** What an export may lack for one query: columns the query reads that the file does not have, or rows past a limit. */
export interface ExportGap {
  table: string;
  /** Declared columns the query reads that the file lacks: every row reads them as empty (or null). */
  missingColumns: string[];
  /** The file holds exactly this many rows, a limit at which exports are cut. */
  cutAt?: number;
}

/**
 * What the export files of the tables a query reads may lack, where a workspace would answer more: a declared column
 * the query reads that the file does not have (a `project`ed export: every row reads it as empty, so a `where` on it
 * finds nothing), and a file holding exactly as many rows as an export limit. A column the file has, even empty in
 * some rows, is not a gap. Kusto.Language's analysis (to find the names a query reads) runs only when some file is
 * short of a declared column or at a limit.
 */
export async function exportGaps(query: string, tables: Record<string, KqlTable>): Promise<ExportGap[]> {
  const suspect = Object.entries(tables).filter(([name, t]) => (tableSchemas[name]?.length ?? 0) > t.columns.length || exportRowLimits.includes(t.rows.length));
  if (suspect.length === 0) return [];
  const { analyzeKqlTree } = await analyser();
  const { tree } = await analyzeKqlTree(query, querySchemas(tables));
  const read = { tables: new Set<string>(), columns: new Set<string>() };
  const walk = (n: SyntaxNode): void => {
    if (n.symbol?.kind === "Table") read.tables.add(n.symbol.name);
    if (n.symbol?.kind === "Column") read.columns.add(n.symbol.name);
    n.children.forEach(walk);
  };
  walk(tree);
  return suspect.flatMap(([name, t]) => {
    if (!read.tables.has(name)) return [];
    const present = new Set(t.columns.map((c) => c.name));
    const missingColumns = (tableSchemas[name] ?? []).map(([c]) => c).filter((c) => read.columns.has(c) && !present.has(c));
    const cut = exportRowLimits.includes(t.rows.length) ? { cutAt: t.rows.length } : {};
    return missingColumns.length > 0 || cut.cutAt !== undefined ? [{ table: name, missingColumns, ...cut }] : [];
  });
}

/**
 * The error for a query Kusto.Language rejects: the first problem in the message, every problem in the details with
 * its position, the line and a caret, and for an unknown name the closest column names (did you mean ...?).
 */
export function compileError(query: string, diagnostics: KqlDiagnostic[], schemas: Record<string, TableSchema>): AzirError {
  const first = diagnostics[0]!;
  const close = /^The name '([^']+)' does not refer to any known column/.exec(first.message);
  const suggestion = close ? didYouMean(close[1]!, query, schemas) : [];
  return new AzirError("validation", `the query does not compile: ${first.message} (line ${first.line}, column ${first.column})`, {
    hint: suggestion.length > 0 ? `Did you mean ${suggestion.join(", ")}? The details list every problem Kusto.Language found.` : "Fix the query; the details list every problem Kusto.Language found.",
    details: diagnostics.flatMap((d) => explainDiagnostic(d, query, schemas)),
  });
}

/** Builds a table from exported row objects, typed as a table file of that name would be. */
export function tableFromObjects(name: string, rows: Array<Record<string, unknown>>, options: { now?: Date } = {}): KqlTable {
  const t = tableFromJson(name, rows, { file: `${name} rows`, ...options });
  return fromWireRows(t.columns, t.rows);
}

const isoUtc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?Z$/;

/**
 * Milliseconds of `YYYY-MM-DDTHH:MM:SS[.f...]Z` read from its characters (what exports write for every row), to the
 * millisecond as Date.parse reads it; undefined for anything else, and for days past the 28th and other edges, which
 * take Date.parse's path.
 */
function isoUtcMs(v: string): number | undefined {
  const len = v.length;
  if (len < 20 || len > 28 || v.charCodeAt(len - 1) !== 90 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return undefined;
  const d = (k: number): number => {
    const c = v.charCodeAt(k) - 48;
    return c >= 0 && c <= 9 ? c : NaN;
  };
  const y = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3);
  const mo = d(5) * 10 + d(6);
  const day = d(8) * 10 + d(9);
  const h = d(11) * 10 + d(12);
  const mi = d(14) * 10 + d(15);
  const sec = d(17) * 10 + d(18);
  let ms = 0;
  if (len > 20) {
    if (v.charCodeAt(19) !== 46 || len === 21) return undefined;
    for (let k = 20; k < len - 1; k++) if (Number.isNaN(d(k))) return undefined;
    ms = (len > 21 ? d(20) * 100 : 0) + (len > 22 ? d(21) * 10 : 0) + (len > 23 ? d(22) : 0);
  } else if (v.charCodeAt(19) !== 90) return undefined;
  if (!(y >= 1 && mo >= 1 && mo <= 12 && day >= 1 && day <= 28 && h <= 23 && mi <= 59 && sec <= 59)) return undefined;
  // days from 1970-01-01 of a proleptic Gregorian date (the civil-from-days algorithm, inverted)
  const yy = mo <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 719468;
  return ((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + ms;
}

/**
 * A converter of one column's cells straight to the engine's representation. The common cases are read here; any
 * other value takes the loader's full path (convertCell, then fromWireCell), which gives the same cell or the error.
 */
function cellReader(column: LogsColumn, table: string, file: string, now: Date | undefined): (value: unknown, row: number) => unknown {
  const slow = (value: unknown, row: number): unknown => fromWireCell(convertCell(value, column, table, () => `${file}: [${row}].${column.name}`, now), column.type);
  switch (column.type) {
    case "string":
      return (v, i) => (typeof v === "string" ? v : v === null || v === undefined ? "" : slow(v, i));
    case "datetime":
      return (v, i) => {
        if (typeof v === "string") {
          const ms = isoUtcMs(v);
          // exact: a whole number of milliseconds times 10,000 is a multiple of 16 below 2^57, which a double holds
          if (ms !== undefined) return BigInt(ms * 10_000);
        }
        if (typeof v === "string" && isoUtc.test(v) && isCalendarDate(v)) {
          // as the loader reads it: to the millisecond (Date.parse takes at most three digits)
          const ms = Date.parse(v.length > 24 ? `${v.slice(0, 23)}Z` : v);
          if (!Number.isNaN(ms)) return BigInt(ms) * 10_000n;
        }
        return v === null || v === undefined ? null : slow(v, i);
      };
    case "long":
    case "int":
      return (v, i) => (typeof v === "number" && Number.isSafeInteger(v) ? v : v === null || v === undefined ? null : slow(v, i));
    case "real":
      return (v, i) => (typeof v === "number" ? v : v === null || v === undefined ? null : slow(v, i));
    case "bool":
      return (v, i) => (typeof v === "boolean" ? v : v === null || v === undefined ? null : slow(v, i));
    case "dynamic":
      return (v, i) => (v !== null && typeof v === "object" ? v : v === null || v === undefined ? null : slow(v, i));
    default:
      return (v, i) => (v === null || v === undefined ? null : slow(v, i));
  }
}

/**
 * An engine table from a table file's contents: only the columns the file has (a query still compiles against the
 * whole declared schema; a column the file lacks reads as null, or empty for strings).
 */
export function engineTable(name: string, raw: unknown, options: { file: string; now?: Date }): KqlTable {
  const { columns, objects } = planTable(name, raw, { file: options.file, sparse: true });
  const readers = columns.map((c) => cellReader(c, name, options.file, options.now));
  const names = columns.map((c) => c.name);
  const width = columns.length;
  const n = objects.length;
  const rows: unknown[][] = new Array<unknown[]>(n);
  for (let i = 0; i < n; i++) rows[i] = new Array<unknown>(width);
  // column by column: one reader and one key per loop keep the calls and property reads monomorphic
  for (let j = 0; j < width; j++) {
    const read = readers[j]!;
    const key = names[j]!;
    for (let i = 0; i < n; i++) rows[i]![j] = read(objects[i]![key], i);
  }
  return { columns, rows };
}

/**
 * Reads the `<Table>.json` and `<Table>.csv` files of a folder (lower-case files such as tenant.json are skipped).
 * With `now`, times written relative to it (`-3d4h`, as scenario files may) are pinned to it.
 */
export async function loadTablesFromFolder(dir: string, options: { now?: Date } = {}): Promise<Record<string, KqlTable>> {
  const files = await readTableFiles(dir);
  const at = options.now ? { now: options.now } : {};
  return Object.fromEntries(files.map((f) => [f.name, engineTable(f.name, f.raw, { file: f.file, ...at })] as const));
}

export { isUnsupported };

function isUnsupported(error: unknown): error is UnsupportedKqlError {
  return error instanceof UnsupportedKqlError;
}
