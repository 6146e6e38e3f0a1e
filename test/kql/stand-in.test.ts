import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { compile, compileUncached, run, splitParams } from "../../src/kql/engine/index.js";
import { tablesRead } from "../../src/kql/engine/plan-cache.js";
import type { KqlPlan, KqlTable } from "../../src/kql/engine/types.js";
import { composeStandIns, splitStandIns, withStandIns } from "../../src/kql/stand-in.js";
import { type TableSchema, tableSchemas } from "../../src/kql/tables.js";
import { compiledShipped, kqlDir, renderWithSamples } from "../helpers/shipped-kql.js";

const schema: TableSchema = [
  ["TimeGenerated", "datetime"],
  ["UserPrincipalName", "string"],
];
const schemas = { A: schema, B: [["Id", "long"]] as TableSchema };
const without = (table: string) => Object.fromEntries(Object.entries(tableSchemas).filter(([name]) => name !== table));
const now = { now: new Date("2026-11-25T08:00:00Z") };

/** Every shipped file with a plan, rendered with sample values, and each table its plan reads. */
async function shippedCases(): Promise<Array<{ file: string; rendered: string; plan: KqlPlan; table: string }>> {
  return (await compiledShipped()).files.flatMap(({ file, text, plan }) => [...tablesRead(plan).keys()].map((table) => ({ file, rendered: renderWithSamples(text), plan, table })));
}

describe("withStandIns", () => {
  it("puts one empty table per name, in name order, after the parameter lets", () => {
    const query = '// who\nlet upn = "a@b.c";\nlet lookback = 14d;\nA | where UserPrincipalName == upn\n';
    expect(withStandIns(query, ["B", "A", "B"], schemas)).toBe(
      '// who\nlet upn = "a@b.c";\nlet lookback = 14d;\n' +
        "let A = datatable(['TimeGenerated']:datetime, ['UserPrincipalName']:string)[];\n" +
        "let B = datatable(['Id']:long)[];\n" +
        "A | where UserPrincipalName == upn\n",
    );
    expect(withStandIns("A | take 1", ["A"], schemas)).toBe("let A = datatable(['TimeGenerated']:datetime, ['UserPrincipalName']:string)[];\nA | take 1");
    expect(withStandIns("A | take 1", [], schemas)).toBe("A | take 1");
    expect(() => withStandIns("A", ["C"], schemas)).toThrow(/no schema for table C/);
  });

  it("is read back exactly, and a hand-written let that only looks like one is not taken for a stand-in", () => {
    const stood = withStandIns("A | count", ["A", "B"], schemas);
    expect(splitStandIns(stood)).toEqual({
      standIns: [
        { table: "A", columns: [{ name: "TimeGenerated", type: "datetime" }, { name: "UserPrincipalName", type: "string" }] },
        { table: "B", columns: [{ name: "Id", type: "long" }] },
      ],
      body: "A | count",
    });
    expect(splitStandIns("A | count")).toBeUndefined();
    expect(splitStandIns("let A = datatable(TimeGenerated:datetime)[];\nA")).toBeUndefined();
    expect(splitStandIns("let A = datatable(['Id']:long)[1];\nA")).toBeUndefined();
    expect(splitStandIns("let A = datatable(['Id']:decimal)[];\nA")).toBeUndefined();
  });
});

describe("stand-ins served from the plan cache", () => {
  it("compose, for every shipped plan and every table it reads, the plan Kusto.Language gives for the stand-in text", { timeout: 60_000 }, async () => {
    const cases = await shippedCases();
    expect(cases.length).toBeGreaterThan(0);
    // the cached plan of each body is the engine's current one (engine-plans.test.ts)
    for (const { file, rendered, plan, table } of cases) {
      const split = splitParams(withStandIns(rendered, [table]));
      const fresh = await compileUncached(split.rest, without(table), split.params.map((p) => ({ name: p.name, type: p.type })));
      expect(fresh.ok, `${file} / ${table}`).toBe(true);
      if (fresh.ok) expect(composeStandIns(plan, splitStandIns(split.rest)!.standIns), `${file} / ${table}`).toEqual(fresh.plan);
    }
  });

  it("compose the same plan as Kusto.Language for a table read under union withsource, join and toscalar", async () => {
    const bodies = [
      "union withsource=Source SigninLogs, AADNonInteractiveUserSignInLogs | project Source, UserPrincipalName",
      "SigninLogs | join kind=leftouter (AADNonInteractiveUserSignInLogs | project UserPrincipalName, IPAddress) on UserPrincipalName",
      "let n = toscalar(AADNonInteractiveUserSignInLogs | count); SigninLogs | where n > 0",
    ];
    const table = "AADNonInteractiveUserSignInLogs";
    for (const body of bodies) {
      const stood = splitStandIns(withStandIns(body, [table]))!;
      const fresh = await compileUncached(withStandIns(body, [table]), without(table), []);
      const cached = await compileUncached(body, tableSchemas, []);
      expect(fresh.ok && cached.ok, body).toBe(true);
      if (fresh.ok && cached.ok) expect(composeStandIns(cached.plan, stood.standIns), body).toEqual(fresh.plan);
    }
  });

  it("answer a workspace without a table with the diagnostics Kusto.Language gives it", { timeout: 60_000 }, async () => {
    for (const { file, rendered, table } of await shippedCases()) {
      const cached = await compile(rendered, without(table));
      // a trailing comment changes the cache key and no position: this one is compiled afresh
      const fresh = await compile(`${rendered}\n// afresh`, without(table));
      expect(cached.ok, `${file} / ${table}`).toBe(false);
      expect(cached, `${file} / ${table}`).toEqual(fresh);
    }
  });

  it("give the same rows as the table it stands for when that table is empty", async () => {
    const at = BigInt(Date.parse("2026-11-20T08:00:00Z")) * 10_000n;
    const cell = (name: string, type: string): unknown =>
      name === "UserPrincipalName" ? "alex@contoso.com" : type === "datetime" ? at : type === "string" ? "" : type === "bool" ? false : type === "dynamic" ? null : 0;
    const signins: KqlTable = {
      columns: tableSchemas.SigninLogs!.map(([name, type]) => ({ name, type })),
      rows: [tableSchemas.SigninLogs!.map(([name, type]) => cell(name, type))],
    };
    const rendered = renderWithSamples(await readFile(`${kqlDir}signins-for-user.kql`, "utf8"));
    const stood = await compile(withStandIns(rendered, ["AADNonInteractiveUserSignInLogs"]), { SigninLogs: tableSchemas.SigninLogs! });
    const direct = await compile(rendered, tableSchemas);
    expect(stood.ok && direct.ok).toBe(true);
    if (!stood.ok || !direct.ok) return;
    const empty: KqlTable = { columns: tableSchemas.AADNonInteractiveUserSignInLogs!.map(([name, type]) => ({ name, type })), rows: [] };
    const result = run(stood.plan, { SigninLogs: signins }, now);
    expect(result.rows).toHaveLength(1);
    expect(result).toEqual(run(direct.plan, { SigninLogs: signins, AADNonInteractiveUserSignInLogs: empty }, now));
    expect(stood.columns).toEqual(direct.columns);
  });

  it("fall back to Kusto.Language when the stand-in's columns differ from the table's", async () => {
    const query = "let n = 1;\nlet SigninLogs = datatable(['UserPrincipalName']:string)[];\nSigninLogs | take n";
    const compiled = await compile(query, {});
    expect(compiled.ok).toBe(true);
    if (compiled.ok) expect(compiled.columns).toEqual([{ name: "UserPrincipalName", type: "string" }]);
    const body = await compileUncached("SigninLogs | take n", tableSchemas, [{ name: "n", type: "long" }]);
    expect(body.ok).toBe(true);
    if (body.ok) expect(composeStandIns(body.plan, splitStandIns(splitParams(query).rest)!.standIns)).toBeUndefined();
  });
});
