import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { ManualClock } from "../../src/core/clock.js";
import { AzirError } from "../../src/core/errors.js";
import { engineTable, loadTablesFromFolder, querySchemas } from "../../src/kql/engine/index.js";
import { inferColumnType, loadTableFolder, tableFromJson } from "../../src/kql/table-files.js";
import { loadScenario, resolveScenarioDir } from "../../src/tabletop/scenario/load.js";
import { memoryIo } from "../cli/io.js";

// One loader of table files serves the tabletop scenario and `azir kql --data`: the same file gets the same types.

const now = new Date("2026-11-25T12:00:00.000Z");
const dir = mkdtempSync(join(tmpdir(), "azir-tables-"));
cpSync(resolveScenarioDir("minimal"), dir, { recursive: true });
// an undeclared table: every column is inferred; a declared one with extra columns and a saved response
writeFileSync(
  join(dir, "Custom_CL.json"),
  JSON.stringify([
    { SeenTime: "-2h", Count: 3, Ratio: 0.5, Flag: true, Bag: { a: 1 }, Name: "x", Mixed: 1 },
    { SeenTime: "2026-11-24T08:00:00Z", Count: 4, Ratio: 1, Flag: false, Bag: [1], Name: "y", Mixed: "one" },
  ]),
);
writeFileSync(
  join(dir, "SecurityAlert.json"),
  JSON.stringify({
    tables: [{ name: "PrimaryResult", columns: [{ name: "TimeGenerated", type: "datetime" }, { name: "Score", type: "double" }, { name: "AlertName", type: "string" }], rows: [["-1d", 0.9, "a"]] }],
  }),
);
writeFileSync(join(dir, "notes.json"), JSON.stringify({ not: "a table" }));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const typesOf = (tables: Record<string, { columns: Array<{ name: string; type: string }> }>) =>
  Object.fromEntries(Object.entries(tables).map(([name, t]) => [name, t.columns.map((c) => `${c.name}:${c.type}`)]));

describe("the one loader of table files", () => {
  it("gives the scenario, the engine and `azir kql --data` the same tables with the same column types", async () => {
    const scenario = await loadScenario(dir, now);
    const engine = await loadTablesFromFolder(dir, { now });
    // the engine keeps only the columns a file has; queries compile against the declared schema plus the file's own
    const compiledAgainst = Object.fromEntries(
      Object.entries(querySchemas(engine))
        .filter(([name]) => name in engine)
        .map(([name, schema]) => [name, { columns: schema.map(([n, t]) => ({ name: n, type: t })) }]),
    );
    expect(typesOf(compiledAgainst)).toEqual(typesOf(scenario.tables));
    expect(engine.SigninLogs!.columns.length).toBeLessThan(scenario.tables.SigninLogs!.columns.length);
    expect(Object.keys(scenario.tables).sort()).toEqual(["AuditLogs", "Custom_CL", "SecurityAlert", "SigninLogs"]);
    expect(typesOf(scenario.tables).Custom_CL).toEqual(["SeenTime:datetime", "Count:long", "Ratio:real", "Flag:bool", "Bag:dynamic", "Name:string", "Mixed:dynamic"]);
    // declared columns first, the response's own type for a column no schema declares
    expect(scenario.tables.SecurityAlert!.columns[0]).toEqual({ name: "TimeGenerated", type: "datetime" });
    expect(scenario.tables.SecurityAlert!.columns.find((c) => c.name === "Score")).toEqual({ name: "Score", type: "real" });

    const io = memoryIo();
    const code = await main(["kql", "Custom_CL | take 1", "--data", dir, "--json"], io, { clock: new ManualClock(now) });
    expect(code, io.err()).toBe(0);
    const schema = JSON.parse(io.out()).tables[0].columns.map((c: { name: string; type: string }) => `${c.name}:${c.type}`);
    expect(schema).toEqual(typesOf(scenario.tables).Custom_CL);
  });

  it("reads export datetimes to the millisecond, as Date.parse does, on the fast path and off it", () => {
    const texts = [
      "2026-11-20T08:00:00Z",
      "2026-11-20T08:00:00.1Z",
      "2026-11-20T08:00:00.12Z",
      "2026-11-20T08:00:00.123Z",
      "2026-11-20T08:00:00.1234567Z",
      "2024-02-29T23:59:59.999Z",
      "2023-03-01T00:00:00Z",
      "1969-12-31T23:59:59.999Z",
      "0001-01-01T00:00:00Z",
      "1600-02-28T12:00:00Z",
      "9999-12-31T23:59:59.9999999Z",
      "2026-01-28T00:00:00Z",
      "2026-12-31T00:00:00Z",
    ];
    const table = engineTable("SigninLogs", texts.map((TimeGenerated) => ({ TimeGenerated })), { file: "SigninLogs.json" });
    expect(table.rows.map((r) => r[0])).toEqual(texts.map((t) => BigInt(Date.parse(t.length > 24 ? `${t.slice(0, 23)}Z` : t)) * 10_000n));
  });

  it("pins relative times at load, for both callers", async () => {
    const scenario = await loadScenario(dir, now);
    const custom = scenario.tables.Custom_CL!;
    expect(custom.rows.map((r) => r[0])).toEqual(["2026-11-25T10:00:00.000Z", "2026-11-24T08:00:00.000Z"]);
    const io = memoryIo();
    expect(await main(["kql", "Custom_CL | where SeenTime > ago(3h) | project Name", "--data", dir, "--json"], io, { clock: new ManualClock(now) })).toBe(0);
    expect(JSON.parse(io.out()).tables[0].rows).toEqual([["x"]]);
  });

  it("refuses a day that does not exist instead of reading it as another (2026-02-30 is not March 2)", async () => {
    const bad = mkdtempSync(join(tmpdir(), "azir-tables-"));
    try {
      writeFileSync(join(bad, "SigninLogs.json"), JSON.stringify([{ TimeGenerated: "2026-02-28T10:00:00Z" }, { TimeGenerated: "2026-02-30T10:00:00Z" }]));
      const io = memoryIo();
      expect(await main(["kql", "SigninLogs | count", "--data", bad], io, { clock: new ManualClock(now) })).toBe(2);
      expect(io.err()).toContain(`${join(bad, "SigninLogs.json")}: [1].TimeGenerated: bad time "2026-02-30T10:00:00Z"`);
      writeFileSync(join(bad, "SigninLogs.json"), JSON.stringify([{ TimeGenerated: "2024-02-29T10:00:00.1234567Z" }]));
      expect(await main(["kql", "SigninLogs | count", "--data", bad], memoryIo(), { clock: new ManualClock(now) })).toBe(0);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it("names the file, row and column of a bad cell, whoever loads it", async () => {
    const bad = mkdtempSync(join(tmpdir(), "azir-tables-"));
    try {
      writeFileSync(join(bad, "SigninLogs.json"), JSON.stringify([{ TimeGenerated: "-1d" }, { TimeGenerated: "-2x" }]));
      const error = await loadTableFolder(bad, { now }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AzirError);
      expect((error as AzirError).message).toBe(`${join(bad, "SigninLogs.json")}: [1].TimeGenerated: bad time "-2x"`);
      const io = memoryIo();
      expect(await main(["kql", "SigninLogs | count", "--data", bad], io, { clock: new ManualClock(now) })).toBe(2);
      expect(io.err()).toContain(`${join(bad, "SigninLogs.json")}: [1].TimeGenerated: bad time "-2x"`);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it("refuses a relative time when no start of the run is given, rather than guessing one", () => {
    expect(() => tableFromJson("AuditLogs", [{ TimeGenerated: "-1d" }], { file: "AuditLogs.json" })).toThrow(/relative/);
    expect(tableFromJson("AuditLogs", [{ TimeGenerated: "2026-11-20T08:00:00Z" }], { file: "AuditLogs.json" }).rows[0]![0]).toBe("2026-11-20T08:00:00.000Z");
  });

  it("infers times from ISO text anywhere, and from relative text only in time-named columns", () => {
    expect(inferColumnType("Anything", ["2026-11-20T08:00:00Z", null])).toBe("datetime");
    expect(inferColumnType("Anything", ["-1d"])).toBe("string");
    expect(inferColumnType("StartTime", ["-1d", "now"])).toBe("datetime");
    expect(inferColumnType("Empty", [null, undefined])).toBe("string");
  });
});
