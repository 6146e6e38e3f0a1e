import { compile, run } from "../../src/kql/engine/index.js";
import type { KqlResult, KqlTable } from "../../src/kql/engine/types.js";
import type { TableSchema } from "../../src/kql/tables.js";

export const NOW = new Date("2026-11-25T08:00:00Z");

/** Compiles and runs a query; throws on diagnostics so that a test fails loudly. */
export async function query(text: string, tables: Record<string, KqlTable> = {}): Promise<KqlResult> {
  const schemas: Record<string, TableSchema> = {};
  for (const [name, t] of Object.entries(tables)) schemas[name] = t.columns.map((c) => [c.name, c.type] as const);
  const compiled = await compile(text, schemas);
  if (!compiled.ok) throw new Error(`diagnostics: ${JSON.stringify(compiled.diagnostics)}`);
  return run(compiled.plan, tables, { now: NOW });
}

/** The single cell of a one-row, one-column result. */
export async function scalar(expr: string): Promise<unknown> {
  const r = await query(`print x = ${expr}`);
  return r.rows[0]![0];
}

export async function column(text: string, tables: Record<string, KqlTable> = {}): Promise<unknown[]> {
  return (await query(text, tables)).rows.map((r) => r[0]);
}
