/**
 * The plan cache: plans keyed by SHA-256 of (query text after the parameter lets + parameter names and types).
 * In memory for this process, and `kql/plans.json` for the shipped KQL files, built by `npm run kql:plans`, so that
 * a normal run never loads Kusto.Language.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { packageRoot } from "../../core/paths.js";
import type { KqlPlan, ScalarType } from "./types.js";

/** The committed cache file's shape. */
export interface PlanCacheFile {
  version: 1;
  /** Repository-relative KQL file -> key of its plan and whether the engine compiled it (for the freshness check). */
  files: Record<string, { key: string; status: "compiled" | "unsupported" | "invalid"; reason?: string }>;
  plans: Record<string, KqlPlan>;
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

const memory = new Map<string, KqlPlan>();
let shipped: Promise<Record<string, KqlPlan>> | undefined;

async function loadShipped(): Promise<Record<string, KqlPlan>> {
  try {
    const file = JSON.parse(await readFile(fileURLToPath(planCacheUrl), "utf8")) as PlanCacheFile;
    return file.version === 1 && file.plans ? file.plans : {};
  } catch {
    return {};
  }
}

export async function cachedPlan(key: string): Promise<KqlPlan | undefined> {
  const hit = memory.get(key);
  if (hit) return hit;
  shipped ??= loadShipped();
  const plan = (await shipped)[key];
  if (plan) memory.set(key, plan);
  return plan;
}

export function rememberPlan(key: string, plan: KqlPlan): void {
  if (memory.size > 512) memory.clear();
  memory.set(key, plan);
}
