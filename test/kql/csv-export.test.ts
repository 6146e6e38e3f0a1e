import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { ManualClock } from "../../src/core/clock.js";
import { parseCsv, portalTimeToIso } from "../../src/kql/csv-export.js";
import { loadTablesFromFolder, runQuery } from "../../src/kql/engine/index.js";
import { memoryIo } from "../cli/io.js";

// Portal CSV exports ("Export to CSV (all columns)"), typed by the declared schema. The rows are our own.

const now = new Date("2026-11-25T12:00:00.000Z");

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "azir-csv-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const signins = [
  "\ufeffTimeGenerated [UTC],UserPrincipalName,ResultType,IsInteractive,DurationMs,LocationDetails,DeviceDetail,Status,AppDisplayName",
  '"11/24/2026, 8:05:03.250 PM",alex@contoso.com,50126,True,120,"{""countryOrRegion"":""NL"",""city"":""Amsterdam""}","{""operatingSystem"":""Windows 10""}","{""errorCode"":50126}","Office, ""365"""',
  "2026-11-24T07:00:00Z,sam@contoso.com,0,False,,,,,\"line one\nline two\"",
].join("\r\n");

describe("portal CSV exports", () => {
  it("parses RFC 4180: quotes, doubled quotes, line breaks inside quotes, a byte-order mark", () => {
    expect(parseCsv('\ufeffa,b\r\n"x,1","say ""hi"""\n"two\nlines",\n', "t.csv")).toEqual([
      ["a", "b"],
      ["x,1", 'say "hi"'],
      ["two\nlines", ""],
    ]);
    expect(() => parseCsv('a\n"open', "t.csv")).toThrow(/t\.csv:2: a quoted field is never closed/);
  });

  it("reads the portal's datetime display form as UTC", () => {
    expect(portalTimeToIso("11/24/2026, 8:05:03.250 PM")).toBe("2026-11-24T20:05:03.250Z");
    expect(portalTimeToIso("1/2/2026, 12:00:00 AM")).toBe("2026-01-02T00:00:00Z");
    expect(portalTimeToIso("2026-11-24T07:00:00Z")).toBe("2026-11-24T07:00:00Z");
  });

  it("types cells by the declared columns: datetimes, bools, longs, dynamic cells parsed, empty cells missing", async () => {
    const tables = await loadTablesFromFolder(folder({ "SigninLogs.csv": signins }), { now });
    const r = await runQuery(
      "SigninLogs | project TimeGenerated, UserPrincipalName, ResultType, IsInteractive, DurationMs, city = tostring(LocationDetails.city), os = tostring(DeviceDetail.operatingSystem), code = toint(Status.errorCode), AppDisplayName | order by TimeGenerated asc",
      tables,
      { now },
    );
    expect(r.rows).toEqual([
      [BigInt(Date.parse("2026-11-24T07:00:00Z")) * 10_000n, "sam@contoso.com", "0", false, null, "", "", null, "line one\nline two"],
      [BigInt(Date.parse("2026-11-24T20:05:03.250Z")) * 10_000n, "alex@contoso.com", "50126", true, 120, "Amsterdam", "Windows 10", 50126, 'Office, "365"'],
    ]);
  });

  it("names a file azir cannot read, never skips it", async () => {
    const clock = new ManualClock(now.toISOString());
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ "SigninLogs.csv": 'TimeGenerated,UserPrincipalName\n2026-11-24T07:00:00Z,"open' }, /SigninLogs\.csv:2: a quoted field is never closed/],
      [{ "SigninLogs.csv": 'TimeGenerated [Local Time],UserPrincipalName\n"1/1/2026, 1:00:00 AM",a' }, /SigninLogs\.csv: column "TimeGenerated \[Local Time\]" is in local time/],
      [{ "SigninLogs.csv": "TimeGenerated,DurationMs\n2026-11-24T07:00:00Z,fast" }, /SigninLogs\.csv: \[0\]\.DurationMs: expected long/],
      [{ "SigninLogs.csv": "TimeGenerated\n2026-11-24T07:00:00Z", "SigninLogs.json": "[]" }, /two files for table SigninLogs/],
      [{ "SigninLogs.xlsx": "binary" }, /SigninLogs\.xlsx: azir reads table exports as <Table>\.json or <Table>\.csv/],
    ];
    for (const [files, message] of cases) {
      const io = memoryIo();
      expect(await main(["kql", "SigninLogs | count", "--data", folder(files)], io, { clock })).not.toBe(0);
      expect(io.err()).toMatch(message);
    }
  });

  it("azir kql --data reads a CSV export next to JSON ones", async () => {
    const io = memoryIo();
    const dir = folder({ "SigninLogs.csv": signins, "AuditLogs.json": JSON.stringify([{ TimeGenerated: "2026-11-24T09:00:00Z", OperationName: "Add member to role" }]) });
    expect(await main(["kql", "SigninLogs | where ResultType == '50126' | project UserPrincipalName", "--data", dir, "--json"], io, { clock: new ManualClock(now.toISOString()) })).toBe(0);
    expect(JSON.parse(io.out()).tables[0].rows).toEqual([["alex@contoso.com"]]);
  });
});

describe("PowerShell's all-strings JSON", () => {
  it("reads every cell as text typed by the declared column", async () => {
    const rows = [{ TimeGenerated: "2026-11-24T07:00:00Z", UserPrincipalName: "sam@contoso.com", IsInteractive: "True", DurationMs: "120", DeviceDetail: '{"operatingSystem":"iOS"}' }];
    const tables = await loadTablesFromFolder(folder({ "SigninLogs.json": JSON.stringify(rows) }), { now });
    const r = await runQuery("SigninLogs | project IsInteractive, DurationMs, os = tostring(DeviceDetail.operatingSystem)", tables, { now });
    expect(r.rows).toEqual([[true, 120, "iOS"]]);
  });
});
