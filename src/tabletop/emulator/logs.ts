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

export class LogsFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly inner?: { code: string; message: string },
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

export function logsError(status: number, code: string, message: string, inner?: { code: string; message: string }): Reply {
  return { status, body: { error: { code, message, ...(inner ? { innererror: inner } : {}) } } };
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

  async query(body: z.infer<typeof queryBodySchema>, now: Date, fault: { partial: boolean; partialRows?: number }): Promise<Reply> {
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
        throw new LogsFault(400, "BadArgumentError", "The request had some invalid properties", { code: "NotSupportedByLocalEngine", message: error.message });
      }
      throw error;
    }
    if (!result.ok) {
      const first = result.diagnostics[0];
      const text = result.diagnostics.map((d) => `${d.message} [line:position=${d.line}:${d.column}]`).join("; ");
      const missing = result.diagnostics.map((d) => /(?:name|named) '([^']+)' does not refer to any known table|table named '([^']+)'/i.exec(d.message)).find((x) => x);
      if (first && (first.code === "KS204" || missing)) {
        const name = missing?.[1] ?? missing?.[2] ?? /'([^']+)'/.exec(first.message)?.[1] ?? "?";
        throw new LogsFault(400, "BadArgumentError", "The request had some invalid properties", {
          code: "SemanticError",
          message: `'where' operator: Failed to resolve table or column expression named '${name}'`,
        });
      }
      const syntax = result.diagnostics.some((d) => /^KS0\d\d$/.test(d.code));
      throw new LogsFault(400, "BadArgumentError", "The request had some invalid properties", { code: syntax ? "SyntaxError" : "SemanticError", message: text });
    }
    const tables = body.timespan ? this.window(parseTimespan(body.timespan, now)) : this.converted();
    let out: { columns: LogsColumn[]; rows: unknown[][] };
    try {
      out = engine.run(result.plan as never, tables, { now });
    } catch (error) {
      if (error instanceof Error && error.name === "UnsupportedKqlError") {
        throw new LogsFault(400, "BadArgumentError", "The request had some invalid properties", { code: "NotSupportedByLocalEngine", message: error.message });
      }
      throw error;
    }
    const wire = engine.toWireTable(out, "PrimaryResult");
    const limit = fault.partial ? Math.min(fault.partialRows ?? Math.floor(wire.rows.length / 2), wire.rows.length) : maxResultRows;
    if (wire.rows.length > limit || fault.partial) {
      return {
        status: 200,
        body: {
          tables: [{ ...wire, rows: wire.rows.slice(0, limit) }],
          error: {
            code: "PartialError",
            message: fault.partial ? "There were some errors when processing your query." : `Query result set has exceeded the internal record count limit ${maxResultRows}`,
            details: [
              {
                code: fault.partial ? "EngineError" : "LimitsExceeded",
                message: fault.partial ? "Something went wrong processing your query on the server (injected fault)." : `Query result set has exceeded the internal record count limit ${maxResultRows} (E_QUERY_RESULT_SET_TOO_LARGE).`,
              },
            ],
          },
        },
      };
    }
    return { status: 200, body: { tables: [wire] } };
  }

  /** The service's timespan: an extra filter on TimeGenerated of every table that has it. */
  private window([start, end]: [number, number]): Record<string, KqlTable> {
    const from = BigInt(Math.floor(start)) * TICKS_PER_MS;
    const to = BigInt(Math.floor(end)) * TICKS_PER_MS;
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
                return typeof t === "bigint" && t >= from && t <= to;
              }),
            };
    }
    return out;
  }
}
