import { readFile, readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { PlanCacheFile } from "../../src/kql/engine/plan-cache.js";
import type { KqlPlan, ScalarType } from "../../src/kql/engine/types.js";
import { splitDeclaration } from "../../src/kql/engine/plan-files.js";

// The shipped KQL files and their plan cache, as the plan tests read them.

export const kqlDir = fileURLToPath(new URL("../../kql/", import.meta.url));

export async function shippedKqlFiles(): Promise<string[]> {
  return (await readdir(kqlDir)).filter((f) => f.endsWith(".kql")).sort();
}

export async function shippedPlanCache(): Promise<PlanCacheFile> {
  return JSON.parse(await readFile(`${kqlDir}plans.json`, "utf8")) as PlanCacheFile;
}

const sampleValues: Record<string, string> = {
  string: '"alex@contoso.com"',
  timespan: "14d",
  datetime: "datetime(2026-11-11T08:00:00.000Z)",
  long: "5",
  int: "5",
  real: "1.5",
  bool: "true",
  dynamic: 'dynamic(["a","b"])',
  guid: '"00000000-0000-0000-0000-000000000000"',
};

/** A shipped file as the runbook renderer sends it: the declaration replaced by `let` statements of sample values. */
export function renderWithSamples(text: string): string {
  const { params } = splitDeclaration(text);
  const lets = params.map((p) => `let ${p.name} = ${sampleValues[p.type]};`).join("\n");
  return text.replace(/declare\s+query_parameters\s*\([^;]*\);/, lets);
}

/** A shipped file that kql/plans.json holds a plan for, split as the plan builder splits it. */
export interface CompiledShipped {
  file: string;
  text: string;
  key: string;
  plan: KqlPlan;
  params: Array<{ name: string; type: ScalarType }>;
  rest: string;
}

export async function compiledShipped(): Promise<{ cache: PlanCacheFile; files: CompiledShipped[] }> {
  const cache = await shippedPlanCache();
  const files: CompiledShipped[] = [];
  for (const file of await shippedKqlFiles()) {
    const entry = cache.files[`kql/${file}`];
    const plan = entry?.status === "compiled" ? cache.plans[entry.key] : undefined;
    if (!entry || !plan) continue;
    const text = await readFile(`${kqlDir}${file}`, "utf8");
    files.push({ file, text, key: entry.key, plan, ...splitDeclaration(text) });
  }
  return { cache, files };
}
