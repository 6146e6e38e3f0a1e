/**
 * The shipped KQL files run on the local engine over a small tenant, and their rows feed the analyzers: checks that
 * the queries' columns are the ones the analyzers read (including the non-interactive table's JSON-text details).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzers } from "../../src/analyze/index.js";
import type { AnalysisResult, Row } from "../../src/analyze/types.js";
import { runQuery, tableFromObjects, toWireTable, type KqlTable } from "../../src/kql/engine/index.js";
import { parseQueryFile, renderQuery } from "../../src/kql/render.js";
import { byCode, highest, signin } from "./fixtures.js";

const now = new Date("2026-11-25T08:00:00.000Z");
const ago = (days: number, minutes = 0): string => new Date(now.getTime() - days * 86_400_000 + minutes * 60_000).toISOString();
const attacker = { IPAddress: "203.0.113.66", AutonomousSystemNumber: "14061", Location: "NL", LocationDetails: { countryOrRegion: "NL" } };
const vm = "/subscriptions/00000000-0000-4000-8000-00000000aaaa/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-web-01";

/** The non-interactive table keeps its details as JSON text. */
function nonInteractive(row: Row): Row {
  const out: Row = { ...row, IsInteractive: false };
  delete out["Table"];
  for (const c of ["DeviceDetail", "LocationDetails"]) if (out[c] !== undefined) out[c] = JSON.stringify(out[c]);
  return out;
}

function strip(row: Row): Row {
  const out = { ...row };
  delete out["Table"];
  return out;
}

const tables: Record<string, KqlTable> = {
  SigninLogs: tableFromObjects("SigninLogs", [
    // More than a week of history before the window: enough for a baseline.
    ...[24, 20, 18, 16].map((d) => strip(signin({ CreatedDateTime: ago(d) }))),
    strip(signin({ ...attacker, CreatedDateTime: ago(7), RiskLevelDuringSignIn: "high", Id: "attacker-first" })),
    ...[24, 20, 17].map((d) => strip(signin({ UserPrincipalName: "sam@contoso.com", CreatedDateTime: ago(d), AutonomousSystemNumber: "7922" }))),
    strip(
      signin({ UserPrincipalName: "sam@contoso.com", CreatedDateTime: ago(3), IPAddress: "192.0.2.80", AutonomousSystemNumber: "3215", Location: "FR", LocationDetails: { countryOrRegion: "FR" } }),
    ),
    strip(signin({ UserPrincipalName: "bob@contoso.com", CreatedDateTime: ago(5), AuthenticationProtocol: "deviceCode", IPAddress: "198.51.100.1" })),
  ]),
  AADNonInteractiveUserSignInLogs: tableFromObjects("AADNonInteractiveUserSignInLogs", [
    nonInteractive(signin({ ...attacker, CreatedDateTime: ago(6), DeviceDetail: { isCompliant: true, deviceId: "", operatingSystem: "Linux" } })),
    nonInteractive(signin({ UserPrincipalName: "Bob@contoso.com", CreatedDateTime: ago(4), AuthenticationProtocol: "deviceCode", IPAddress: "203.0.113.9" })),
    nonInteractive(signin({ UserPrincipalName: "bob@contoso.com", CreatedDateTime: ago(4, 5), AuthenticationProtocol: "deviceCode", ResultType: "50126" })),
    nonInteractive(signin({ CreatedDateTime: ago(0, -30) })),
  ]),
  AuditLogs: tableFromObjects("AuditLogs", [
    {
      TimeGenerated: ago(7, 20),
      ActivityDateTime: ago(7, 20),
      OperationName: "User registered security info",
      Result: "success",
      ResultReason: "User registered Authenticator App with Notification and Code",
      InitiatedBy: { user: { userPrincipalName: "alex@contoso.com", ipAddress: "203.0.113.66" } },
      TargetResources: [{ type: "User", userPrincipalName: "alex@contoso.com" }],
      Id: "audit-1",
      CorrelationId: "c-1",
    },
    {
      TimeGenerated: ago(9),
      ActivityDateTime: ago(9),
      OperationName: "Update user",
      Result: "success",
      InitiatedBy: { user: { userPrincipalName: "admin@contoso.com" } },
      TargetResources: [{ type: "User", userPrincipalName: "someone@contoso.com" }],
      Id: "audit-2",
    },
  ]),
  OfficeActivity: tableFromObjects("OfficeActivity", [
    {
      TimeGenerated: ago(7, 40),
      Operation: "New-InboxRule",
      UserId: "alex@contoso.com",
      ClientIP: "203.0.113.66",
      OfficeId: "o-1",
      Parameters: JSON.stringify([{ Name: "ForwardTo", Value: "drop@evil-mail.example" }, { Name: "Name", Value: "." }]),
    },
  ]),
  SecurityAlert: tableFromObjects("SecurityAlert", [
    { TimeGenerated: ago(2), StartTime: ago(2), SystemAlertId: "a-1", AlertSeverity: "High", Status: "New", Tactics: "Execution", ProductName: "Microsoft Defender for Cloud", ResourceId: vm, Entities: "[]" },
    { TimeGenerated: ago(1), StartTime: ago(2), SystemAlertId: "a-1", AlertSeverity: "High", Status: "InProgress", Tactics: "Execution", ProductName: "Microsoft Defender for Cloud", ResourceId: vm, Entities: "[]" },
    { TimeGenerated: ago(1), StartTime: ago(1), SystemAlertId: "a-2", AlertSeverity: "Low", Status: "New", Tactics: "Discovery", ProductName: "Microsoft Defender for Cloud", ResourceId: vm, Entities: "[]" },
  ]),
  AADUserRiskEvents: tableFromObjects("AADUserRiskEvents", [
    { TimeGenerated: ago(7), ActivityDateTime: ago(7), Id: "r-1", UserPrincipalName: "alex@contoso.com", RiskLevel: "high", RiskEventType: "unfamiliarFeatures", RequestId: "attacker-first" },
  ]),
};

async function rowsOf(file: string, values: Record<string, unknown>): Promise<Row[]> {
  const text = readFileSync(join(import.meta.dirname, "..", "..", "kql", file), "utf8");
  const declared = parseQueryFile(text, file).parameters.map((p) => p.name);
  const result = await runQuery(renderQuery(text, Object.fromEntries(declared.map((n) => [n, values[n]])), file), tables, { now });
  const wire = toWireTable(result);
  return wire.rows.map((r) => Object.fromEntries(wire.columns.map((c, i) => [c.name, r[i]])));
}

async function analyze(name: string, file: string, values: Record<string, unknown>): Promise<AnalysisResult> {
  const rows = await rowsOf(file, values);
  return analyzers[name]!.analyze({ rows, with: values, window: { start: ago(28), end: now.toISOString() } });
}

describe("kql files through the local engine into the analyzers", () => {
  let alex: AnalysisResult;
  beforeAll(async () => {
    alex = await analyze("signins", "signins-for-user.kql", { upn: "alex@contoso.com", lookback: "14d", baseline: "14d", windowStart: ago(14) });
  }, 60_000);

  it("finds alex's incident start, attacker IP and the unknown 'compliant' device from the non-interactive table", () => {
    expect(alex.outputs["incidentStart"]).toBe(ago(7));
    expect(alex.outputs["attackerIps"]).toEqual(["203.0.113.66"]);
    expect(alex.outputs["signinCount"]).toBe(3);
    expect(byCode(alex.findings, "ca.compliant-mismatch")).toMatchObject([{ occurredAt: ago(6), evidence: [{ Table: "AADNonInteractiveUserSignInLogs" }] }]);
  });

  it("keeps sam's trip abroad at low", async () => {
    const sam = await analyze("signins", "signins-for-user.kql", { upn: "sam@contoso.com", lookback: "14d", baseline: "14d", windowStart: ago(14) });
    expect(sam.findings.length).toBe(2);
    expect(highest(sam.findings)).toBe("low");
  });

  it("dates the attacker's authenticator registration and forwarding rule after the incident start", async () => {
    const audit = await analyze("audit", "audit-for-user.kql", { upn: "alex@contoso.com", lookback: "14d", incidentStart: alex.outputs["incidentStart"] });
    expect(audit.outputs["securityInfoRegistrations"]).toMatchObject([{ methodType: "microsoftAuthenticator", afterIncidentStart: true, ip: "203.0.113.66" }]);
    expect(audit.outputs["operationCount"]).toBe(1);
    const office = await analyze("office", "office-for-user.kql", { upn: "alex@contoso.com", lookback: "14d", incidentStart: alex.outputs["incidentStart"] });
    expect(office.findings).toMatchObject([{ code: "office.forwarding-rule", severity: "high" }]);
  });

  it("hunts device-code sign-ins tenant-wide, counting failures apart", async () => {
    const rows = await rowsOf("devicecode-hunt.kql", { lookback: "30d" });
    expect(rows).toMatchObject([{ UserPrincipalName: "bob@contoso.com", SignIns: 2, DistinctIPs: 2, FailedCount: 1 }]);
    const hunt = analyzers["devicecode-hunt"]!.analyze({ rows, with: {}, window: { start: ago(30), end: now.toISOString() } });
    expect(hunt.findings).toMatchObject([{ code: "ca.device-code", severity: "high", subject: "bob@contoso.com" }]);
  });

  it("keeps the latest state of each Defender alert with a matching tactic, and names the VM", async () => {
    const alerts = await analyze("alerts", "defender-alerts.kql", { lookback: "14d" });
    expect(alerts.outputs).toEqual({ vmResourceIds: [vm], alertCount: 1 });
    expect(alerts.findings[0]!.summary).toContain("InProgress");
  });

  it("lists risk detections and sign-ins after containment", async () => {
    const risk = await analyze("risk", "risk-detections.kql", { upn: "alex@contoso.com", lookback: "14d" });
    expect(risk.outputs["highRiskRequestIds"]).toEqual(["attacker-first"]);
    const after = await analyze("signin-after-containment", "signins-since.kql", { upn: "alex@contoso.com", since: ago(1) });
    expect(after.outputs["count"]).toBe(1);
    expect(after.findings[0]!.severity).toBe("critical");
  });
});
