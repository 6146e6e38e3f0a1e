/**
 * The plan cache: plans keyed by SHA-256 of (query text after the parameter lets + parameter names and types).
 * In memory for this process, and `kql/plans.json` for the shipped KQL files, built by `npm run kql:plans`, so that
 * a normal run never loads Kusto.Language: not when a workspace lacks a table (the file holds Kusto.Language's
 * diagnostics for each table missing alone), nor when the query runs again with stand-ins for optional tables.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { packageRoot } from "../../core/paths.js";
import { composeStandIns, splitStandIns } from "../stand-in.js";
import type { TableSchema } from "../tables.js";
import type { KqlDiagnostic } from "./kusto-language.js";
import type { KqlPlan, PlanColumn, ScalarType, Tabular } from "./types.js";

/** A diagnostic as the cache file keeps it: offsets from the start of the query body (line and column follow from them). */
export type StoredDiagnostic = Omit<KqlDiagnostic, "line" | "column">;

/** The committed cache file's shape. */
export interface PlanCacheFile {
  version: 1;
  /** Repository-relative KQL file -> key of its plan and whether the engine compiled it (for the freshness check). */
  files: Record<string, { key: string; status: "compiled" | "unsupported" | "invalid"; reason?: string }>;
  plans: Record<string, KqlPlan>;
  /** Plan key -> table -> Kusto.Language's errors when that table alone is missing and the others are as declared. */
  missing?: Record<string, Record<string, StoredDiagnostic[]>>;
}

/** Cache key of a query body and its parameters (order-insensitive). */
export function planKey(rest: string, params: Array<{ name: string; type: ScalarType }>): string {
  const sig = [...params]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((p) => `${p.name}:${p.type}`)
    .join(",");
  return createHash("sha256").update(rest.trim()).update("\u0000").update(sig).digest("hex");
}

/** `kql/plans.json` at the package root (found the same way from src/, dist/ and the bundle). */
export const planCacheUrl = pathToFileURL(join(packageRoot(), "kql", "plans.json"));

type Shipped = Pick<Required<PlanCacheFile>, "plans" | "missing">;

const memory = new Map<string, KqlPlan>();
let shipped: Promise<Shipped> | undefined;

async function loadShipped(): Promise<Shipped> {
  try {
    const file = JSON.parse(await readFile(fileURLToPath(planCacheUrl), "utf8")) as PlanCacheFile;
    return file.version === 1 && file.plans ? { plans: file.plans, missing: file.missing ?? {} } : { plans: {}, missing: {} };
  } catch {
    return { plans: {}, missing: {} };
  }
}

export async function cachedPlan(key: string): Promise<KqlPlan | undefined> {
  const hit = memory.get(key);
  if (hit) return hit;
  shipped ??= loadShipped();
  const plan = (await shipped).plans[key];
  if (plan) memory.set(key, plan);
  return plan;
}

export function rememberPlan(key: string, plan: KqlPlan): void {
  if (memory.size > 512) memory.clear();
  memory.set(key, plan);
}

function collectTables(node: unknown, out: Map<string, PlanColumn[]>): void {
  if (Array.isArray(node)) {
    for (const x of node) collectTables(x, out);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const t = node as Partial<Extract<Tabular, { op: "table" }>>;
  if (t.op === "table" && typeof t.name === "string" && Array.isArray(t.columns)) out.set(t.name, t.columns);
  for (const v of Object.values(node)) collectTables(v, out);
}

/** Tables a plan reads (anywhere, toscalar() subqueries included), with the columns it was compiled against. */
export function tablesRead(plan: KqlPlan): Map<string, PlanColumn[]> {
  const tables = new Map<string, PlanColumn[]>();
  collectTables(plan.query, tables);
  for (const l of plan.lets) collectTables(l.plan, tables);
  return tables;
}

/** Tables the plan reads that `schemas` lack, and whether a column it knows has another type there. */
function misfit(plan: KqlPlan, schemas: Record<string, TableSchema>): { missing: string[]; retyped: boolean } {
  const missing: string[] = [];
  let retyped = false;
  for (const [name, columns] of tablesRead(plan)) {
    const schema = schemas[name];
    if (!schema) {
      missing.push(name);
      continue;
    }
    const types = new Map(schema.map(([n, t]) => [n, t]));
    if (columns.some((c) => types.has(c.name) && types.get(c.name) !== c.type)) retyped = true;
  }
  return { missing, retyped };
}

/** What the cache knows of a query: its plan, or the diagnostics Kusto.Language gives it against these schemas. */
export type CacheAnswer = { plan: KqlPlan } | { diagnostics: StoredDiagnostic[] };

/**
 * Answers a query body (the text after the parameter lets) from the cache, or undefined when it must be compiled.
 * A cached plan serves only if every table it reads is among the schemas given and no column it knows has another
 * type there. One missing table (the others fitting) gets the diagnostics recorded for it at build time; any other
 * mismatch compiles afresh, for Kusto.Language's own diagnostics. Diagnostic offsets count from the start of `rest`.
 */
export async function answerFromCache(rest: string, params: Array<{ name: string; type: ScalarType }>, schemas: Record<string, TableSchema>): Promise<CacheAnswer | undefined> {
  const key = planKey(rest, params);
  const plan = await cachedPlan(key);
  if (plan) {
    const { missing, retyped } = misfit(plan, schemas);
    if (missing.length === 0 && !retyped) return { plan };
    const recorded = missing.length === 1 && !retyped ? (await (shipped ??= loadShipped())).missing[key]?.[missing[0]!] : undefined;
    if (!recorded) return undefined;
    const lead = rest.length - rest.trimStart().length;
    return { diagnostics: recorded.map((d) => ({ ...d, offset: d.offset + lead })) };
  }
  // A stand-in text: the cached plan of the body, its stand-in tables read from the empty lets instead.
  const split = splitStandIns(rest);
  const body = split && (await cachedPlan(planKey(split.body, params)));
  const composed = body && composeStandIns(body, split.standIns);
  if (!composed) return undefined;
  const { missing, retyped } = misfit(composed, schemas);
  if (missing.length > 0 || retyped) return undefined;
  rememberPlan(key, composed);
  return { plan: composed };
}
