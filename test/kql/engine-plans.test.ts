import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { compileUncached } from "../../src/kql/engine/index.js";
import { missingTableDiagnostics, planKeyForFile } from "../../src/kql/engine/plan-files.js";
import { tableSchemas } from "../../src/kql/tables.js";
import { compiledShipped, kqlDir, shippedKqlFiles, shippedPlanCache } from "../helpers/shipped-kql.js";

// The freshness of kql/plans.json; test/kql/plan-cache.test.ts shows what it serves without Kusto.Language.

describe("kql/plans.json", () => {
  it("is fresh for every kql/*.kql file", async () => {
    const cache = await shippedPlanCache();
    const stale: string[] = [];
    for (const f of await shippedKqlFiles()) {
      const key = planKeyForFile(await readFile(`${kqlDir}${f}`, "utf8"));
      const entry = cache.files[`kql/${f}`];
      if (!entry || entry.key !== key || (entry.status === "compiled" && !cache.plans[key])) stale.push(f);
    }
    expect(stale, `kql/plans.json is stale for ${stale.join(", ")}: run \`npm run kql:plans\` and commit kql/plans.json`).toEqual([]);
  });

  it("holds the plans the current engine produces (regenerate after changing the engine)", { timeout: 60_000 }, async () => {
    const { cache, files } = await compiledShipped();
    const outdated: string[] = [];
    for (const { file, key, params, rest } of files) {
      const fresh = await compileUncached(rest, tableSchemas, params);
      if (!fresh.ok || JSON.stringify(fresh.plan) !== JSON.stringify(cache.plans[key])) outdated.push(file);
    }
    expect(outdated, `kql/plans.json holds outdated plans for ${outdated.join(", ")}: run \`npm run kql:plans\` and commit kql/plans.json`).toEqual([]);
  });

  it("holds Kusto.Language's current diagnostics for each table a shipped plan reads (regenerate after changing the engine)", { timeout: 60_000 }, async () => {
    const { cache, files } = await compiledShipped();
    const outdated: string[] = [];
    for (const { file, key, plan, params, rest } of files) {
      const fresh = await missingTableDiagnostics(rest, params, plan);
      if (Object.keys(fresh).length === 0 || JSON.stringify(fresh) !== JSON.stringify(cache.missing?.[key])) outdated.push(file);
    }
    expect(outdated, `kql/plans.json holds outdated diagnostics for ${outdated.join(", ")}: run \`npm run kql:plans\` and commit kql/plans.json`).toEqual([]);
  });
});
