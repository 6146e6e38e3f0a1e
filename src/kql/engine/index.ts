/**
 * The local KQL engine: Kusto.Language parses and analyses, `lower` turns the tree into a JSON plan, `evaluate`
 * runs the plan over in-memory rows. See docs/kql-engine.md for what is supported and how cells are represented.
 */
import { AzirError } from "../../core/errors.js";
import type { LogsColumn } from "../../core/ports.js";
import { loadTableFolder, tableFromJson, type JsonTable } from "../table-files.js";
import { type TableSchema, tableSchemas } from "../tables.js";
import { UnsupportedKqlError } from "./errors.js";
import { didYouMean, explainDiagnostic } from "./explain.js";
import { runPlan } from "./evaluate.js";
import type { KqlDiagnostic } from "./kusto-language.js";
import { Lowerer } from "./lower.js";
import { splitParams } from "./params.js";
import { type StoredDiagnostic, answerFromCache, planKey, rememberPlan } from "./plan-cache.js";
import type { KqlPlan, KqlResult, KqlTable, LiteralExpr, ScalarType } from "./types.js";
import { fromWireRows } from "./wire.js";

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
  const errors = analysed.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) return { ok: false, diagnostics: errors, prefix: prefix.length };
  return { ok: true, plan: new Lowerer(params).lowerQuery(analysed.tree, params) };
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

/** Compiles against the loaded tables' schemas and runs; errors are AzirErrors with the diagnostics as details. */
export async function runQuery(query: string, tables: Record<string, KqlTable>, options: { now: Date }): Promise<KqlResult> {
  const schemas = { ...tableSchemas, ...schemasOf(tables) };
  const compiled = await compile(query, schemas);
  if (!compiled.ok) throw compileError(query, compiled.diagnostics, schemas);
  return run(compiled.plan, tables, options);
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

/** Engine tables from the one loader of table files (see ../table-files.ts). */
function engineTables(tables: Record<string, JsonTable>): Record<string, KqlTable> {
  return Object.fromEntries(Object.entries(tables).map(([name, t]) => [name, fromWireRows(t.columns, t.rows)]));
}

/** Builds a table from exported row objects, typed as a table file of that name would be. */
export function tableFromObjects(name: string, rows: Array<Record<string, unknown>>, options: { now?: Date } = {}): KqlTable {
  const t = tableFromJson(name, rows, { file: `${name} rows`, ...options });
  return fromWireRows(t.columns, t.rows);
}

/**
 * Reads the `<Table>.json` files of a folder (lower-case files such as tenant.json are skipped). With `now`, times
 * written relative to it (`-3d4h`, as scenario files may) are pinned to it.
 */
export async function loadTablesFromFolder(dir: string, options: { now?: Date } = {}): Promise<Record<string, KqlTable>> {
  return engineTables(await loadTableFolder(dir, options));
}

export { isUnsupported };

function isUnsupported(error: unknown): error is UnsupportedKqlError {
  return error instanceof UnsupportedKqlError;
}
