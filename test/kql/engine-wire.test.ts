import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile, fromObjectRows, fromWireRows, loadTablesFromFolder, run, runQuery, splitParams, toWireTable } from "../../src/kql/engine/index.js";
import { NOW, query } from "./engine-helpers.js";

describe("wire shape", () => {
  it("encodes datetimes, timespans, dynamic and numbers as Log Analytics does", async () => {
    const r = await query(
      'print t = datetime(2026-11-20T08:00:00Z), f = datetime(2026-11-20T08:00:00.1234567Z), s = 1d + 2h + 3s + 1tick, n = -90m, d = dynamic({"a": [1]}), l = 5, b = true, e = ""',
    );
    const wire = toWireTable(r);
    expect(wire.name).toBe("PrimaryResult");
    expect(wire.columns.map((c) => c.type)).toEqual(["datetime", "datetime", "timespan", "timespan", "dynamic", "long", "bool", "string"]);
    expect(wire.rows).toEqual([["2026-11-20T08:00:00Z", "2026-11-20T08:00:00.1234567Z", "1.02:00:03.0000001", "-01:30:00", '{"a":[1]}', 5, true, ""]]);
    expect(toWireTable(r, "T").name).toBe("T");
  });

  it("decodes wire rows and row objects; dynamic arrives as objects or JSON text; bad values become null", () => {
    const cols = [
      { name: "t", type: "datetime" as const },
      { name: "d", type: "dynamic" as const },
      { name: "n", type: "long" as const },
      { name: "s", type: "string" as const },
    ];
    const wire = fromWireRows(cols, [["2026-11-20T08:00:00Z", '{"x":1}', 3, null]]);
    expect(wire.rows).toEqual([[BigInt(Date.parse("2026-11-20T08:00:00Z")) * 10_000n, { x: 1 }, 3, ""]]);
    const objects = fromObjectRows(cols, [{ t: "garbage", d: { x: 2 }, n: "7" }]);
    expect(objects.rows).toEqual([[null, { x: 2 }, 7, ""]]);
  });
});

describe("query parameters and the plan cache", () => {
  it("splits leading let literals of every kind", () => {
    const text =
      'let upn = "alex@contoso.com";\nlet lookback = 14d;\nlet since = datetime(2026-11-11T08:00:00.000Z);\nlet ids = dynamic(["a","b"]);\nlet n = 5;\nlet flag = true;\nlet q = "a\\"b\\\\c\\n";\nSigninLogs | take n';
    const split = splitParams(text);
    expect(split.params.map((p) => [p.name, p.type])).toEqual([
      ["upn", "string"],
      ["lookback", "timespan"],
      ["since", "datetime"],
      ["ids", "dynamic"],
      ["n", "long"],
      ["flag", "bool"],
      ["q", "string"],
    ]);
    expect(split.params.at(-1)!.value).toBe('a"b\\c\n');
    expect(split.rest).toBe("SigninLogs | take n");
  });

  it("binds parameter values at run time and reuses one compiled plan for different values", async () => {
    const rows = { T: { columns: [{ name: "u", type: "string" as const }], rows: [["a"], ["b"], ["a"]] } };
    const schemas = { T: [["u", "string"]] as const };
    const a = await compile('let who = "a";\nT | where u == who | count', schemas);
    const b = await compile('let who = "b";\nT | where u == who | count', schemas);
    if (!a.ok || !b.ok) throw new Error("compile failed");
    expect(a.plan.query).toBe(b.plan.query);
    expect(run(a.plan, rows, { now: NOW }).rows).toEqual([[2]]);
    expect(run(b.plan, rows, { now: NOW }).rows).toEqual([[1]]);
  });

  it("does not serve a cached plan to schemas that lack its table or retype its columns", async () => {
    expect((await compile("T9 | count", { T9: [["u", "string"]] })).ok).toBe(true);
    const missing = await compile("T9 | count", { U: [["u", "string"]] });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.diagnostics[0]!.code).toBe("KS204");
    const retyped = await compile("T9 | count", { T9: [["u", "long"]] });
    expect(retyped.ok && retyped.plan.query.op === "count" && retyped.plan.query.input.columns[0]!.type).toBe("long");
  });

  it("reports diagnostics at the position in the text given", async () => {
    const r = await compile('let who = "a";\nSigninLogs | where Nope == who', { SigninLogs: [["UserPrincipalName", "string"]] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics[0]).toMatchObject({ code: "KS142", line: 2, column: 20 });
  });
});

describe("offline replay from a folder", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "azir-kql-"));
    await writeFile(
      join(dir, "SigninLogs.json"),
      JSON.stringify([
        { TimeGenerated: "2026-11-24T08:00:00Z", UserPrincipalName: "alex@contoso.com", IPAddress: "1.1.1.1", AuthenticationProtocol: "deviceCode", DeviceDetail: '{"operatingSystem":"Windows"}' },
        { TimeGenerated: "2026-11-24T09:00:00Z", UserPrincipalName: "alex@contoso.com", IPAddress: "2.2.2.2", AuthenticationProtocol: "deviceCode", DeviceDetail: { operatingSystem: "iOS" } },
        { TimeGenerated: "2026-09-01T09:00:00Z", UserPrincipalName: "old@contoso.com", IPAddress: "3.3.3.3", AuthenticationProtocol: "deviceCode" },
      ]),
    );
    await writeFile(join(dir, "tenant.json"), JSON.stringify({ users: [] }));
    await writeFile(
      join(dir, "Custom.json"),
      JSON.stringify({ tables: [{ name: "PrimaryResult", columns: [{ name: "x", type: "long" }, { name: "when", type: "datetime" }], rows: [[1, "2026-01-01T00:00:00Z"], [2, null]] }] }),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads row-object and wire-shape files, typing known tables from their declared schema", async () => {
    const tables = await loadTablesFromFolder(dir);
    expect(Object.keys(tables).sort()).toEqual(["Custom", "SigninLogs"]);
    expect(tables.SigninLogs!.columns.find((c) => c.name === "DeviceDetail")!.type).toBe("dynamic");
    expect(tables.Custom!.columns).toEqual([
      { name: "x", type: "long" },
      { name: "when", type: "datetime" },
    ]);
    const hunt = await runQuery(
      'SigninLogs | where TimeGenerated > ago(30d) | where AuthenticationProtocol == "deviceCode" | summarize SignIns = count(), DistinctIPs = dcount(IPAddress) by UserPrincipalName | order by DistinctIPs desc',
      tables,
      { now: NOW },
    );
    expect(hunt.rows).toEqual([["alex@contoso.com", 2, 2]]);
    const os = await runQuery("SigninLogs | where isnotempty(tostring(DeviceDetail.operatingSystem)) | project tostring(DeviceDetail.operatingSystem)", tables, { now: NOW });
    expect(os.rows.map((r) => r[0]).sort()).toEqual(["Windows", "iOS"]);
    expect((await runQuery("Custom | where isnotnull(when) | project x", tables, { now: NOW })).rows).toEqual([[1]]);
  });

  it("pins times written relative to now when asked", async () => {
    await writeFile(join(dir, "AuditLogs.json"), JSON.stringify([{ TimeGenerated: "-2d", OperationName: "Update user" }]));
    const tables = await loadTablesFromFolder(dir, { now: NOW });
    const r = await runQuery("AuditLogs | where TimeGenerated between (ago(3d) .. ago(1d)) | project TimeGenerated", tables, { now: NOW });
    expect(r.rows).toEqual([[BigInt(Date.parse("2026-11-23T08:00:00Z")) * 10_000n]]);
    await rm(join(dir, "AuditLogs.json"));
  });

  it("turns compile errors into an AzirError listing the diagnostics", async () => {
    await expect(runQuery("Nope | take 1", {}, { now: NOW })).rejects.toMatchObject({ code: "validation" });
  });
});
