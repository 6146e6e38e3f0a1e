import { randomUUID } from "node:crypto";
import { z } from "zod";
import { parseDuration } from "../../core/duration.js";
import type { LogsColumn } from "../../core/ports.js";
import type { TableSchema } from "../../kql/tables.js";
import { fromWireRows } from "../../kql/engine/wire.js";
import type { KqlTable } from "../../kql/engine/types.js";
import { TICKS_PER_MS } from "../../kql/engine/values.js";
import type { ScenarioTables } from "../scenario/schema.js";
import type { Reply } from "./types.js";

/**
 * The local KQL engine as the emulator uses it: src/kql/engine satisfies it. Tables handed to `run` hold the
 * engine's cell representation (datetimes as 100 ns ticks), `toWireTable` turns a result into Log Analytics JSON.
 * `compile` and `run` may throw UnsupportedKqlError (name "UnsupportedKqlError").
 */
export interface KqlEngine {
  compile(query: string, schemas: Record<string, TableSchema>): Promise<
    { ok: true; plan: unknown; columns: LogsColumn[] } | { ok: false; diagnostics: Array<{ code: string; message: string; line: number; column: number }> }
  >;
  run(plan: never, tables: Record<string, KqlTable>, options: { now: Date }): { columns: LogsColumn[]; rows: unknown[][] };
  toWireTable(result: { columns: LogsColumn[]; rows: unknown[][] }, name: string): { name: string; columns: LogsColumn[]; rows: unknown[][] };
}

/** A OneAPI error node: Log Analytics nests the real reason one or two `innererror` levels down. */
export interface LogsInnerError {
  code: string;
  message: string;
  innererror?: LogsInnerError;
  [extra: string]: unknown;
}

export class LogsFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly inner?: LogsInnerError,
  ) {
    super(message);
  }
}

export const maxResultRows = 500_000;

export const queryBodySchema = z.object({
  query: z.string().min(1),
  timespan: z.string().optional(),
  workspaces: z.array(z.string()).optional(),
});
export const batchBodySchema = z.object({
  requests: z
    .array(
      z.object({
        id: z.string().min(1),
        body: queryBodySchema,
        path: z.string().optional(),
        method: z.string().optional(),
        workspace: z.string().min(1),
        headers: z.record(z.string(), z.string()).optional(),
      }),
    )
    .min(1)
    .max(100),
});

/** Log Analytics' error body (azure-monitor-docs articles/azure-monitor/logs/api/errors.md), with a correlationId. */
export function logsError(status: number, code: string, message: string, inner?: LogsInnerError): Reply {
  return { status, body: { error: { code, message, correlationId: randomUUID(), ...(inner ? { innererror: inner } : {}) } } };
}

const invalidProperties = "The request had some invalid properties";
type Diagnostic = { code: string; message: string; line: number; column: number };

/**
 * Kusto.Language's parser diagnostics (DiagnosticFacts: KS001-KS006 missing/unexpected/malformed/expected, KS176
 * "Query operator expected.", KS198 "The incomplete fragment is unexpected."); the other codes come from analysis.
 */
const syntaxCodes = /^KS(00[1-6]|176|198)$/;

/**
 * The 400 Log Analytics answers for a query its engine refuses, from Kusto.Language's diagnostics. A parse error
 * comes first, as the service parses before it resolves names:
 * - syntax: BadArgumentError > SyntaxError "A recognition error occurred in the query." > SYN0002 "Query could not be
 *   parsed at '<token>' on line [<line>,<pos>]" with line, pos (0-based) and token (recorded service answers in
 *   Azure/azure-sdk-for-net sdk/monitor/Azure.Monitor.Query/README.md and azure-sdk-for-js monitor-query recordings;
 *   '<EOF>' at the end of the text, as the Azure Monitor self-help article on query failures shows);
 * - an unknown table (KS204, or an unknown name that starts a pipeline): SemanticError "A semantic error occurred." >
 *   SEM0100 "'<operator>' operator: Failed to resolve table or column expression named '<name>'" (azure-reference.md
 *   1.3; microsoft/finops-toolkit#1776);
 * - an unknown column or scalar name (KS142): SEM0100 "'<operator>' operator: Failed to resolve scalar expression named
 *   '<name>'" (microsoft-365-docs advanced-hunting-errors.md: "'project' operator: Failed to resolve scalar expression
 *   named 'x'"), which the adapter reports as a refused query, not as a missing table;
 * - any other diagnostic: SemanticError with Kusto.Language's code and message innermost.
 */
export function diagnosticsFault(query: string, diagnostics: readonly Diagnostic[]): LogsFault {
  const fault = (inner: LogsInnerError) => new LogsFault(400, "BadArgumentError", invalidProperties, inner);
  const syntax = diagnostics.find((d) => syntaxCodes.test(d.code));
  if (syntax) {
    const token = tokenAt(query, syntax.line, syntax.column);
    const pos = syntax.column - 1;
    return fault({
      code: "SyntaxError",
      message: "A recognition error occurred in the query.",
      innererror: { code: "SYN0002", message: `Query could not be parsed at '${token}' on line [${syntax.line},${pos}]`, line: syntax.line, pos, token },
    });
  }
  const first = diagnostics[0];
  const semantic = (innererror: LogsInnerError) => fault({ code: "SemanticError", message: "A semantic error occurred.", innererror });
  if (!first) return semantic({ code: "NoDiagnostic", message: "The local engine refused the query without a diagnostic." });
  const name = /^The name '([^']+)' does not refer/.exec(first.message)?.[1];
  if (name !== undefined && (first.code === "KS204" || first.code === "KS142")) {
    const at = operatorAt(query, offsetOf(query, first.line, first.column));
    // A name that starts a pipeline is read as a table (KS142 for a bare unknown name, KS204 after union, join, ...).
    const tabular = first.code === "KS204" || at.head;
    const what = tabular ? "table or column expression" : "scalar expression";
    return semantic({ code: "SEM0100", message: `${at.operator ? `'${at.operator}' operator: ` : ""}Failed to resolve ${what} named '${name}'` });
  }
  return semantic({ code: first.code, message: `${first.message} [line:position=${first.line}:${first.column}]` });
}

function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf("\n", offset);
    if (next < 0) break;
    offset = next + 1;
  }
  return offset + column - 1;
}

/** The token the parser stopped at: the word or symbol at the position, or '<EOF>' at the end of the text. */
function tokenAt(text: string, line: number, column: number): string {
  const rest = text.slice(offsetOf(text, line, column));
  const trimmed = rest.replace(/^\s+/, "");
  if (trimmed === "") return "<EOF>";
  return /^[A-Za-z_][\w-]*|^\d+(\.\d+)?|^\S/.exec(trimmed)![0];
}

/**
 * The query operator whose text holds `offset` (`where`, `project`, `summarize`, `join`, ...), within the innermost
 * parentheses around it, for SEM0100's "'<operator>' operator:" prefix. A table that starts a pipeline is consumed by
 * the operator after it (`T | where ...` -> 'where'), as in the service's message for a missing table.
 */
function operatorAt(text: string, offset: number): { head: boolean; operator?: string } {
  // Mask strings and comments, then find the innermost bracket pair around the offset.
  const masked = text.replace(/\/\/[^\n]*|@?'(?:[^'\\\n]|\\.)*'|@?"(?:[^"\\\n]|\\.)*"/g, (m) => " ".repeat(m.length));
  let start = 0;
  let end = masked.length;
  const open: number[] = [];
  for (let i = 0; i < masked.length; i++) {
    const c = masked[i];
    if (c === "(" || c === "[" || c === "{") open.push(i);
    else if (c === ")" || c === "]" || c === "}") {
      const o = open.pop();
      if (o !== undefined && o < offset && i >= offset && o + 1 > start) {
        start = o + 1;
        end = i;
      }
    }
  }
  for (const o of open) if (o < offset && o + 1 > start) [start, end] = [o + 1, masked.length];
  // Pipeline segments at the depth of that range: split on | and ; outside nested brackets.
  const segments: Array<{ from: number; text: string }> = [];
  let depth = 0;
  let from = start;
  for (let i = start; i <= end; i++) {
    const c = i < end ? masked[i] : "|";
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (depth === 0 && (c === "|" || c === ";")) {
      segments.push({ from, text: masked.slice(from, i) });
      from = i + 1;
    }
  }
  const index = segments.findIndex((s, i) => offset >= s.from && (i === segments.length - 1 || offset < segments[i + 1]!.from));
  if (index < 0) return { head: false };
  const word = (s: { text: string } | undefined): { operator?: string } => {
    const w = s ? /^\s*([A-Za-z][\w-]*)/.exec(s.text)?.[1] : undefined;
    return w ? { operator: w } : {};
  };
  const segment = segments[index]!;
  // The name starts its segment: a tabular source, read by the next operator in the pipeline.
  if (/^\s*/.exec(segment.text)![0].length + segment.from === offset) return { head: true, ...word(segments[index + 1]) };
  return { head: false, ...word(segment) };
}

/** `P1D`, `start/end`, `start/P1D`, `P1D/end` -> [start, end] in ms. */
export function parseTimespan(text: string, now: Date): [number, number] {
  const bad = (): never => {
    throw new LogsFault(400, "BadArgumentError", "The request had some invalid properties", { code: "InvalidTimespan", message: `Invalid timespan: ${text}` });
  };
  const time = (s: string): number => {
    const t = Date.parse(s);
    return Number.isNaN(t) ? bad() : t;
  };
  const dur = (s: string): number => {
    const d = /^P/i.test(s) ? parseDuration(s) : undefined;
    return d === undefined ? bad() : Math.abs(d);
  };
  const parts = text.split("/");
  if (parts.length === 1) return [now.getTime() - dur(parts[0]!), now.getTime()];
  if (parts.length !== 2) return bad();
  const [a, b] = parts as [string, string];
  if (/^P/i.test(a)) {
    const end = time(b);
    return [end - dur(a), end];
  }
  const start = time(a);
  return /^P/i.test(b) ? [start, start + dur(b)] : [start, time(b)];
}

/**
 * A partial result: 200 with the tables and a PartialError whose generic message hides the reason, which sits in
 * `details[].innererror` (azure-monitor-docs articles/azure-monitor/logs/api/response-format.md; the service's body
 * as recorded in Azure/azure-sdk-for-python#25137 and #32282: EngineError "Something went wrong processing your query
 * on the server." > code -2133196797, severity 2).
 */
function partialError(inner: { code: string; message: string }): Record<string, unknown> {
  return {
    code: "PartialError",
    message: "There were some errors when processing your query.",
    details: [{ code: "EngineError", message: "Something went wrong processing your query on the server.", innererror: { ...inner, severity: 2 } }],
  };
}
// Kusto's result-truncation limit (kusto concepts/query-limits.md: 500,000 records, E_QUERY_RESULT_SET_TOO_LARGE).
const rowLimitError = { code: "-2133196797", message: `Query result set has exceeded the internal record count limit ${maxResultRows} records (E_QUERY_RESULT_SET_TOO_LARGE).` };
// The injected `partial` fault: a run-time failure of part of the query (kusto concepts/partial-query-failures.md,
// "other runtime errors"), with no limit named so that it reads as none.
const injectedEngineError = { code: "EngineError", message: "Partial query failure: the query engine failed on part of the data (injected fault)." };

/** Answers one query over the scenario tables. */
export class LogsService {
  private readonly cache = new Map<string, Promise<Awaited<ReturnType<KqlEngine["compile"]>>>>();
  private readonly schemas: Record<string, TableSchema>;
  private engineTables: Record<string, KqlTable> | undefined;

  constructor(
    private readonly tables: ScenarioTables,
    private readonly loadEngine: () => Promise<KqlEngine>,
  ) {
    // Only the scenario's own tables: a declared table the scenario lacks is "missing", as in a real workspace.
    this.schemas = Object.fromEntries(Object.entries(tables).map(([name, t]) => [name, t.columns.map((c) => [c.name, c.type] as const)]));
  }

  /** The scenario tables in the engine's cell representation, converted once. */
  private converted(): Record<string, KqlTable> {
    if (!this.engineTables) {
      this.engineTables = Object.fromEntries(Object.entries(this.tables).map(([name, t]) => [name, fromWireRows(t.columns, t.rows)]));
    }
    return this.engineTables;
  }

  async query(body: z.infer<typeof queryBodySchema>, now: Date, fault: { partial: boolean; partialRows?: number; ingestionDelayMs?: number }): Promise<Reply> {
    const engine = await this.loadEngine();
    let compiled = this.cache.get(body.query);
    if (!compiled) {
      compiled = engine.compile(body.query, this.schemas);
      this.cache.set(body.query, compiled);
    }
    let result: Awaited<ReturnType<KqlEngine["compile"]>>;
    try {
      result = await compiled;
    } catch (error) {
      if (error instanceof Error && error.name === "UnsupportedKqlError") {
        throw new LogsFault(400, "BadArgumentError", invalidProperties, { code: "NotSupportedByLocalEngine", message: error.message });
      }
      throw error;
    }
    if (!result.ok) throw diagnosticsFault(body.query, result.diagnostics);
    // Rows not yet ingested are not there, whatever the query asks for (data-ingestion-time.md: Entra logs take minutes).
    const arrived = now.getTime() - (fault.ingestionDelayMs ?? 0);
    const [start, end] = body.timespan ? parseTimespan(body.timespan, now) : [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
    const tables = body.timespan || arrived < now.getTime() ? this.window([start, Math.min(end, arrived)]) : this.converted();
    let out: { columns: LogsColumn[]; rows: unknown[][] };
    try {
      out = engine.run(result.plan as never, tables, { now });
    } catch (error) {
      if (error instanceof Error && error.name === "UnsupportedKqlError") {
        throw new LogsFault(400, "BadArgumentError", invalidProperties, { code: "NotSupportedByLocalEngine", message: error.message });
      }
      throw error;
    }
    const wire = engine.toWireTable(out, "PrimaryResult");
    const limit = fault.partial ? Math.min(fault.partialRows ?? Math.floor(wire.rows.length / 2), wire.rows.length) : maxResultRows;
    if (wire.rows.length > limit || fault.partial) {
      return { status: 200, body: { tables: [{ ...wire, rows: wire.rows.slice(0, limit) }], error: partialError(fault.partial ? injectedEngineError : rowLimitError) } };
    }
    return { status: 200, body: { tables: [wire] } };
  }

  /** The service's timespan: an extra filter on TimeGenerated of every table that has it. */
  private window([start, end]: [number, number]): Record<string, KqlTable> {
    const ticks = (ms: number): bigint | undefined => (Number.isFinite(ms) ? BigInt(Math.floor(ms)) * TICKS_PER_MS : undefined);
    const from = ticks(start);
    const to = ticks(end);
    const out: Record<string, KqlTable> = {};
    for (const [name, table] of Object.entries(this.converted())) {
      const i = table.columns.findIndex((c) => c.name === "TimeGenerated" && c.type === "datetime");
      out[name] =
        i < 0
          ? table
          : {
              columns: table.columns,
              rows: table.rows.filter((r) => {
                const t = r[i];
                return typeof t === "bigint" && (from === undefined || t >= from) && (to === undefined || t <= to);
              }),
            };
    }
    return out;
  }
}
