import { readFile, readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile, run } from "../../src/kql/engine/index.js";
import type { PlanCacheFile } from "../../src/kql/engine/plan-cache.js";
import { compileUncached } from "../../src/kql/engine/index.js";
import { planKeyForFile, splitDeclaration } from "../../src/kql/engine/plan-files.js";
import { tableSchemas } from "../../src/kql/tables.js";

const kqlDir = fileURLToPath(new URL("../../kql/", import.meta.url));

describe("kql/plans.json", () => {
  it("is fresh for every kql/*.kql file", async () => {
    const files = (await readdir(kqlDir)).filter((f) => f.endsWith(".kql")).sort();
    const cache = JSON.parse(await readFile(`${kqlDir}plans.json`, "utf8")) as PlanCacheFile;
    const stale: string[] = [];
    for (const f of files) {
      const key = planKeyForFile(await readFile(`${kqlDir}${f}`, "utf8"));
      const entry = cache.files[`kql/${f}`];
      if (!entry || entry.key !== key || (entry.status === "compiled" && !cache.plans[key])) stale.push(f);
    }
    expect(stale, `kql/plans.json is stale for ${stale.join(", ")}: run \`npm run kql:plans\` and commit kql/plans.json`).toEqual([]);
  });

  it("serves a rendered runbook query from the cache without loading Kusto.Language", async () => {
    const files = (await readdir(kqlDir)).filter((f) => f.endsWith(".kql")).sort();
    const cache = JSON.parse(await readFile(`${kqlDir}plans.json`, "utf8")) as PlanCacheFile;
    const compiled = files.find((f) => cache.files[`kql/${f}`]?.status === "compiled");
    if (!compiled) return;
    const text = await readFile(`${kqlDir}${compiled}`, "utf8");
    const { params } = splitDeclaration(text);
    const values: Record<string, string> = {
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
    const lets = params.map((p) => `let ${p.name} = ${values[p.type]};`).join("\n");
    const rendered = text.replace(/declare\s+query_parameters\s*\([^;]*\);/, lets);
    const modules = Object.keys(globalThis).includes("Kusto");
    const result = await compile(rendered, tableSchemas);
    expect(result.ok).toBe(true);
    // The analyser installs the global `Kusto`; a cache hit must not have loaded it (unless an earlier test did).
    if (!modules) expect(Object.keys(globalThis).includes("Kusto")).toBe(false);
    if (result.ok) expect(() => run(result.plan, {}, { now: new Date("2026-11-25T08:00:00Z") })).toThrow(/has no data/);
  });

  it("holds the plans the current engine produces (regenerate after changing the engine)", { timeout: 60_000 }, async () => {
    const files = (await readdir(kqlDir)).filter((f) => f.endsWith(".kql")).sort();
    const cache = JSON.parse(await readFile(`${kqlDir}plans.json`, "utf8")) as PlanCacheFile;
    const outdated: string[] = [];
    for (const f of files) {
      const entry = cache.files[`kql/${f}`];
      if (entry?.status !== "compiled") continue;
      const { params, rest } = splitDeclaration(await readFile(`${kqlDir}${f}`, "utf8"));
      const fresh = await compileUncached(rest, tableSchemas, params);
      if (!fresh.ok || JSON.stringify(fresh.plan) !== JSON.stringify(cache.plans[entry.key])) outdated.push(f);
    }
    expect(outdated, `kql/plans.json holds outdated plans for ${outdated.join(", ")}: run \`npm run kql:plans\` and commit kql/plans.json`).toEqual([]);
  });
});
