import { describe, expect, it } from "vitest";
import { compile, run } from "../../src/kql/engine/index.js";
import { tablesRead } from "../../src/kql/engine/plan-cache.js";
import { withStandIns } from "../../src/kql/stand-in.js";
import { tableSchemas } from "../../src/kql/tables.js";
import { compiledShipped, renderWithSamples } from "../helpers/shipped-kql.js";

// Runs in the unit project, whose files never load Kusto.Language (vitest.config.ts): the global `Kusto` it installs
// shows whether a compile reached it.

const without = (table: string) => Object.fromEntries(Object.entries(tableSchemas).filter(([name]) => name !== table));
const emptyTables = (schemas: typeof tableSchemas) =>
  Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, { columns: schema.map(([n, type]) => ({ name: n, type })), rows: [] }]));

describe("the plan cache (kql/plans.json)", () => {
  it("serves a rendered runbook query from the cache without loading Kusto.Language", async () => {
    const compiled = (await compiledShipped()).files[0];
    if (!compiled) return;
    const rendered = renderWithSamples(compiled.text);
    const modules = Object.keys(globalThis).includes("Kusto");
    const result = await compile(rendered, tableSchemas);
    expect(result.ok).toBe(true);
    // The analyser installs the global `Kusto`; a cache hit must not have loaded it (unless an earlier test did).
    if (!modules) expect(Object.keys(globalThis).includes("Kusto")).toBe(false);
    if (result.ok) expect(() => run(result.plan, {}, { now: new Date("2026-11-25T08:00:00Z") })).toThrow(/has no data/);
  });

  it("answers a workspace without a table, and the rerun with its stand-in, without loading Kusto.Language", async () => {
    const modules = Object.keys(globalThis).includes("Kusto");
    let checked = 0;
    for (const { file, text, plan } of (await compiledShipped()).files) {
      const rendered = renderWithSamples(text);
      for (const table of tablesRead(plan).keys()) {
        const refused = await compile(rendered, without(table));
        expect(refused.ok, `${file} without ${table}`).toBe(false);
        if (!refused.ok) expect(refused.diagnostics[0]).toMatchObject({ code: "KS204", message: expect.stringContaining(`'${table}'`) });
        const stood = await compile(withStandIns(rendered, [table]), without(table));
        expect(stood.ok, `${file} with a stand-in for ${table}`).toBe(true);
        if (stood.ok) expect(run(stood.plan, emptyTables(without(table)), { now: new Date("2026-11-25T08:00:00Z") }).rows, `${file} with a stand-in for ${table}`).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
    // see above: `Kusto` appears only once the analyser is loaded
    if (!modules) expect(Object.keys(globalThis).includes("Kusto")).toBe(false);
  });

});
