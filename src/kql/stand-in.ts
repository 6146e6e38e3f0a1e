/**
 * Stand-ins for optional tables. When a workspace lacks a table that a query step declares optional, the query runs
 * again with `let <Table> = datatable(<schema>)[];` after its parameter lets: the `let` shadows the table with an
 * empty one of the same schema, so the other tables still answer. The text is deterministic so that the plan cache
 * can recognise it and serve the cached plan of the rest, composed with the empty table (see `composeStandIns`).
 */
import { AzirError } from "../core/errors.js";
import { splitParams } from "./engine/params.js";
import type { KqlPlan, PlanColumn, Tabular } from "./engine/types.js";
import { type TableSchema, schemaText, tableSchemas } from "./tables.js";

/** A stand-in read back from a query's text. */
export interface StandIn {
  table: string;
  columns: PlanColumn[];
}

function standInLine(table: string, schema: TableSchema): string {
  return `let ${table} = datatable${schemaText(schema)}[];\n`;
}

/**
 * The query with an empty stand-in for each of `tables` (in name order, each once), placed after the leading
 * parameter lets. Throws when a table has no schema in `schemas`.
 */
export function withStandIns(query: string, tables: readonly string[], schemas: Readonly<Record<string, TableSchema>> = tableSchemas): string {
  const names = [...new Set(tables)].sort();
  if (names.length === 0) return query;
  const lines = names.map((table) => {
    const schema = schemas[table];
    if (!schema) throw new AzirError("internal", `no schema for table ${table}: a stand-in needs its columns`, { hint: "Declare the table in src/kql/tables.ts." });
    return standInLine(table, schema);
  });
  const at = splitParams(query).offset;
  return query.slice(0, at) + lines.join("") + query.slice(at);
}

const scalarTypes = new Set<string>(["long", "int", "real", "string", "bool", "datetime", "timespan", "dynamic", "guid"]);
const standInHead = /^let ([A-Za-z_][A-Za-z0-9_]*) = datatable(\([^()]*\))\[\];\n/;

/**
 * Splits the stand-ins `withStandIns` wrote from the start of a query body (the text after the parameter lets).
 * Only the exact text `withStandIns` produces counts, so that a hand-written `let` is never mistaken for one.
 */
export function splitStandIns(rest: string): { standIns: StandIn[]; body: string } | undefined {
  const standIns: StandIn[] = [];
  let pos = 0;
  for (let m = standInHead.exec(rest); m; m = standInHead.exec(rest.slice(pos))) {
    const columns = [...m[2]!.matchAll(/\['([A-Za-z_][A-Za-z0-9_]*)'\]:([a-z]+)/g)].map((c) => ({ name: c[1]!, type: c[2]! }));
    if (columns.length === 0 || columns.some((c) => !scalarTypes.has(c.type))) return undefined;
    const typed = columns as PlanColumn[];
    if (standInLine(m[1]!, typed.map((c) => [c.name, c.type] as const)) !== m[0]) return undefined;
    standIns.push({ table: m[1]!, columns: typed });
    pos += m[0].length;
  }
  return standIns.length > 0 ? { standIns, body: rest.slice(pos) } : undefined;
}

function sameColumns(a: readonly PlanColumn[], b: readonly PlanColumn[]): boolean {
  return a.length === b.length && a.every((c, i) => c.name === b[i]!.name && c.type === b[i]!.type);
}

/**
 * The plan Kusto.Language and the lowerer give for `stand-ins + body`, made from the plan of `body` alone: each
 * stand-in becomes a leading tabular `let` of no rows, and every read of its table a reference to that `let`.
 * Undefined when a read of the table has other columns than the stand-in (then the query is compiled afresh).
 */
export function composeStandIns(plan: KqlPlan, standIns: readonly StandIn[]): KqlPlan | undefined {
  const byTable = new Map(standIns.map((s) => [s.table, s.columns]));
  let fits = true;
  const isStandIn = (t: unknown): t is Extract<Tabular, { op: "table" }> => {
    const node = t as Partial<Extract<Tabular, { op: "table" }>> | null;
    return typeof node === "object" && node !== null && node.op === "table" && typeof node.name === "string" && byTable.has(node.name);
  };
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== "object") return node;
    const record = node as Record<string, unknown>;
    // a literal's value is data, never a plan node
    if (record.op === "lit") return node;
    if (isStandIn(node)) {
      if (!sameColumns(node.columns, byTable.get(node.name)!)) fits = false;
      return { op: "ref", name: node.name, columns: node.columns };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) out[k] = walk(v);
    // `union withsource=` names an input by its table, and anything else (a let among them) union_arg<i>
    if (record.op === "union" && Array.isArray(record.sourceNames) && Array.isArray(record.inputs)) {
      const inputs = record.inputs as unknown[];
      out.sourceNames = (record.sourceNames as string[]).map((n, i) => (isStandIn(inputs[i]) ? `union_arg${i}` : n));
    }
    return out;
  };
  const empty = (s: StandIn): Tabular => ({ op: "rows", rows: [], columns: s.columns });
  const lets = [...standIns.map((s) => ({ name: s.table, plan: empty(s) })), ...(walk(plan.lets) as KqlPlan["lets"])];
  const query = walk(plan.query) as Tabular;
  return fits ? { ...plan, lets, query } : undefined;
}
