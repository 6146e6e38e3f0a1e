import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { ExitCode } from "../../src/core/errors.js";
import { ManualClock } from "../../src/core/clock.js";
import { memoryIo } from "./io.js";

// `azir kql ... --data <folder>`: KQL over exported rows, without a workspace.

const dir = mkdtempSync(join(tmpdir(), "azir-kql-"));
// what `az monitor log-analytics query -o json` prints: an array of row objects
writeFileSync(
  join(dir, "SigninLogs.json"),
  JSON.stringify([
    { TimeGenerated: "2026-11-20T08:00:00Z", UserPrincipalName: "alex@contoso.com", ResultType: "0", IPAddress: "73.1.1.1", AuthenticationProtocol: "none" },
    { TimeGenerated: "2026-11-21T08:00:00Z", UserPrincipalName: "alex@contoso.com", ResultType: "50126", IPAddress: "45.1.1.1", AuthenticationProtocol: "none" },
    { TimeGenerated: "2026-11-22T08:00:00Z", UserPrincipalName: "sam@contoso.com", ResultType: "0", IPAddress: "73.2.2.2", AuthenticationProtocol: "deviceCode" },
  ]),
);
// Log Analytics' own wire shape
writeFileSync(
  join(dir, "AuditLogs.json"),
  JSON.stringify({ tables: [{ name: "PrimaryResult", columns: [{ name: "TimeGenerated", type: "datetime" }, { name: "OperationName", type: "string" }], rows: [["2026-11-22T09:00:00Z", "Add member to role"]] }] }),
);
const clock = new ManualClock("2026-11-25T12:00:00Z");

describe("azir kql --data", () => {
  it("runs a query over exported rows and prints a table", async () => {
    const io = memoryIo();
    expect(await main(["kql", "SigninLogs | summarize count() by ResultType | order by ResultType asc", "--data", dir], io, { clock })).toBe(0);
    expect(io.out()).toMatch(/ResultType\s+count_/);
    expect(io.out()).toMatch(/0\s+2/);
    expect(io.out()).toMatch(/50126\s+1/);
    // what the export holds of the table the query names: a look-back longer than the export shows here
    expect(io.err()).toMatch(/the export holds 3 SigninLogs row\(s\), 2026-11-20T08:00:00(\.0+)?Z to 2026-11-22T08:00:00(\.0+)?Z/);
    expect(io.err()).not.toMatch(/AuditLogs/);
  });

  it("--json gives Log Analytics' wire shape; ago() uses the run's clock", async () => {
    const io = memoryIo();
    expect(await main(["kql", "SigninLogs | where TimeGenerated > ago(5d) | project UserPrincipalName", "--data", dir, "--json"], io, { clock })).toBe(0);
    const doc = JSON.parse(io.out());
    expect(doc.tables[0].columns).toEqual([{ name: "UserPrincipalName", type: "string" }]);
    expect(doc.tables[0].rows).toEqual([["alex@contoso.com"], ["sam@contoso.com"]]);
  });

  it("reads a wire-shaped export and a scenario folder (relative times pinned)", async () => {
    const io = memoryIo();
    expect(await main(["kql", "AuditLogs | count", "--data", dir, "--json"], io, { clock })).toBe(0);
    expect(JSON.parse(io.out()).tables[0].rows).toEqual([[1]]);
    const scenario = memoryIo();
    expect(await main(["kql", "SigninLogs | where ResultType == '50053' | count", "--data", "scenarios/contoso", "--json"], scenario, { clock })).toBe(0);
    expect(JSON.parse(scenario.out()).tables[0].rows).toEqual([[6]]);
  });

  it("an export without a column the query reads: the answer is given, said INCOMPLETE, exit 1, complete:false", async () => {
    // the export above has no ClientAppUsed: a workspace would answer from its values, the export reads it as empty
    const q = 'SigninLogs | where ClientAppUsed == "Exchange ActiveSync" | count';
    const io = memoryIo();
    expect(await main(["kql", q, "--data", dir], io, { clock })).toBe(ExitCode.failed);
    expect(io.out()).toMatch(/0/);
    expect(io.err()).toMatch(/INCOMPLETE: the export's SigninLogs has no column ClientAppUsed, which the query reads/);
    const json = memoryIo();
    expect(await main(["kql", q, "--data", dir, "--json"], json, { clock })).toBe(ExitCode.failed);
    const doc = JSON.parse(json.out());
    expect(doc.complete).toBe(false);
    expect(doc.gaps[0]).toMatch(/SigninLogs has no column ClientAppUsed/);
    // the columns the export has: a complete answer, no gaps
    const whole = memoryIo();
    expect(await main(["kql", "SigninLogs | where AuthenticationProtocol == 'deviceCode' | count", "--data", dir, "--json"], whole, { clock })).toBe(0);
    expect(JSON.parse(whole.out())).toEqual({ tables: [expect.objectContaining({ rows: [[1]] })] });
  });

  it("an export of exactly 30,000 rows, the most the portal returns, is said INCOMPLETE for the queries that read it", async () => {
    const capped = mkdtempSync(join(tmpdir(), "azir-kql-cap-"));
    const header = "TimeGenerated [UTC],OperationName,Result";
    const lines = Array.from({ length: 30_000 }, (_, i) => `${new Date(Date.UTC(2026, 10, 20) + i * 1000).toISOString()},Add member to role,success`);
    writeFileSync(join(capped, "AuditLogs.csv"), `${header}\n${lines.join("\n")}\n`);
    writeFileSync(join(capped, "SigninLogs.json"), JSON.stringify([{ TimeGenerated: "2026-11-20T08:00:00Z", UserPrincipalName: "alex@contoso.com" }]));
    const io = memoryIo();
    expect(await main(["kql", 'AuditLogs | where OperationName == "Add member to role" | count', "--data", capped], io, { clock })).toBe(ExitCode.failed);
    expect(io.out()).toMatch(/30000/);
    expect(io.err()).toMatch(/INCOMPLETE: the export's AuditLogs holds exactly 30,000 rows, the most the Log Analytics portal returns/);
    // a query that does not read that table is not affected
    const other = memoryIo();
    expect(await main(["kql", "SigninLogs | project UserPrincipalName", "--data", capped], other, { clock })).toBe(0);
    expect(other.err()).not.toMatch(/INCOMPLETE/);
  });

  it("refuses what the local engine does not support, by name, rather than answering wrongly", async () => {
    const io = memoryIo();
    expect(await main(["kql", "SigninLogs | search \"alex\"", "--data", dir], io, { clock })).not.toBe(0);
    expect(io.err()).toMatch(/not supported by the local engine: .*search/);
  });
});

describe("azir kql against the tabletop, with parameters, several files and formats", () => {
  it("--tabletop [scenario] queries the scenario's tables", async () => {
    const io = memoryIo();
    expect(await main(["kql", "SigninLogs | where ResultType == '50053' | count", "--tabletop=contoso", "--json"], io, { clock })).toBe(0);
    expect(JSON.parse(io.out()).tables[0].rows).toEqual([[6]]);
  });

  it("--param binds the parameters a file declares; a missing one is named with the flag to pass", async () => {
    const io = memoryIo();
    const args = ["kql", "kql/signins-for-user.kql", "--tabletop", "--param", "upn=alex@contoso.com", "--param", "lookback=14d", "--param", "baseline=30d", "--json"];
    expect(await main(args, io, { clock })).toBe(0);
    const rows = JSON.parse(io.out()).tables[0].rows as unknown[][];
    expect(rows.length).toBeGreaterThan(0);
    const missing = memoryIo();
    expect(await main(["kql", "kql/signins-for-user.kql", "--tabletop", "--param", "upn=alex@contoso.com"], missing, { clock })).toBe(ExitCode.usage);
    expect(missing.err()).toMatch(/declares lookback:timespan, baseline:timespan and no value was given/);
    expect(missing.err()).toMatch(/--param lookback=<timespan> --param baseline=<timespan>/);
    const typo = memoryIo();
    expect(await main(["kql", "SigninLogs | count", "--tabletop", "--param", "upn=a@b.c"], typo, { clock })).toBe(ExitCode.usage);
    expect(typo.err()).toMatch(/--param upn: no query declares this parameter/);
  });

  it("runs a folder of files in one process, reporting each failure and answering the rest", async () => {
    const folder = mkdtempSync(join(tmpdir(), "azir-kql-files-"));
    writeFileSync(join(folder, "a.kql"), "SigninLogs | summarize n = count()");
    writeFileSync(join(folder, "b.kql"), "SigninLogs | search \"alex\"");
    writeFileSync(join(folder, "c.kql"), "AuditLogs | count");
    const io = memoryIo();
    expect(await main(["kql", folder, "--data", dir, "--json"], io, { clock })).toBe(ExitCode.failed);
    const doc = JSON.parse(io.out());
    expect(doc.results.map((r: { source: string }) => r.source.replace(/.*[\\/]/, ""))).toEqual(["a.kql", "b.kql", "c.kql"]);
    expect(doc.results[0].tables[0].rows).toEqual([[3]]);
    expect(doc.results[1].error.message).toMatch(/not supported by the local engine: search/);
    expect(doc.results[2].tables[0].rows).toEqual([[1]]);
  });

  it("--format csv writes RFC 4180 with a header row", async () => {
    const io = memoryIo();
    expect(await main(["kql", 'print s = "a,b", q = "say \\"hi\\"", d = dynamic({"k":1}), n = 2', "--data", dir, "--format", "csv"], io, { clock })).toBe(0);
    expect(io.out()).toBe('s,q,d,n\r\n"a,b","say ""hi""","{""k"":1}",2\n');
  });

  it("a query Kusto.Language rejects shows the position, the line and a did-you-mean", async () => {
    const io = memoryIo();
    expect(await main(["kql", "SigninLogs\n| where UserPrincipleName == 'x'", "--data", dir], io, { clock })).toBe(ExitCode.usage);
    expect(io.err()).toMatch(/2:9 KS142 The name 'UserPrincipleName' does not refer/);
    expect(io.err()).toMatch(/\n\s+\^{17}\n/);
    expect(io.err()).toMatch(/did you mean UserPrincipalName\?/);
  });

  it("without --data, --tabletop or a workspace it says where rows can come from", async () => {
    const io = memoryIo({ cwd: mkdtempSync(join(tmpdir(), "azir-kql-none-")) });
    expect(await main(["kql", "SigninLogs | count"], io, { clock })).toBe(ExitCode.usage);
    expect(io.err()).toMatch(/--data <folder>, --tabletop \[scenario\] or --workspace <id>/);
  });
});
