import { describe, expect, it } from "vitest";
import { analyzeKql } from "../../src/kql/engine/kusto-language.js";
import { tableSchemas } from "../../src/kql/tables.js";

describe("analyzeKql", () => {
  it("reports an unknown column as KS142 with its position", async () => {
    const d = await analyzeKql("SigninLogs\n| where NoSuchColumn == 1", tableSchemas);
    const e = d.find((x) => x.code === "KS142");
    expect(e).toBeDefined();
    expect(e).toMatchObject({ severity: "error", line: 2, column: 9, offset: 19, length: 12 });
  });

  it("reports an unknown table as KS204", async () => {
    const d = await analyzeKql("NoSuchTable | take 1", tableSchemas);
    expect(d.map((x) => x.code)).toContain("KS204");
  });

  it("reports a syntax error with line and column", async () => {
    const d = await analyzeKql("SigninLogs\n| where (TimeGenerated > ago(1d)\n| take 1", tableSchemas);
    expect(d.length).toBeGreaterThan(0);
    expect(d[0]!.severity).toBe("error");
    expect(d[0]!.line).toBeGreaterThanOrEqual(2);
    expect(d[0]!.column).toBeGreaterThan(0);
  });

  it("accepts a valid query against the declared schemas", async () => {
    const d = await analyzeKql(
      "declare query_parameters(upn:string, lookback:timespan);\nSigninLogs | where TimeGenerated > ago(lookback) and UserPrincipalName =~ upn | project DeviceDetail.operatingSystem",
      tableSchemas,
    );
    expect(d.filter((x) => x.severity === "error")).toEqual([]);
  });
});

describe("Log Analytics' hidden columns", () => {
  it("a query naming only hidden columns the local tables lack is refused by name, not told they do not exist", async () => {
    const { compile, UnsupportedKqlError } = await import("../../src/kql/engine/index.js");
    const error = await compile("OfficeActivity | project Operation, _ResourceId, _SubscriptionId", tableSchemas).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedKqlError);
    expect((error as InstanceType<typeof UnsupportedKqlError>).construct).toBe("the hidden column _ResourceId, _SubscriptionId");
    // with a column that exists nowhere, the query's own error is what is reported
    const mixed = await compile("OfficeActivity | project _ResourceId, NoSuchColumn", tableSchemas);
    expect(mixed.ok).toBe(false);
    if (!mixed.ok) expect(mixed.diagnostics.map((d) => d.message).join("\n")).toContain("NoSuchColumn");
  });
});
