import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
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

  it("refuses what the local engine does not support, by name, rather than answering wrongly", async () => {
    const io = memoryIo();
    expect(await main(["kql", "SigninLogs | make-series n = count() default = 0 on TimeGenerated step 1d", "--data", dir], io, { clock })).not.toBe(0);
    expect(io.err()).toMatch(/not supported by the local engine: .*make-series/);
  });
});
