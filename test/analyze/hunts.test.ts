import { describe, expect, it } from "vitest";
import { analyzeAlerts } from "../../src/analyze/alerts.js";
import { analyzeDevicecodeHunt, type DeviceCodeUser } from "../../src/analyze/devicecode-hunt.js";
import { analyzeRisk } from "../../src/analyze/risk.js";
import { analyzeSigninAfterContainment } from "../../src/analyze/signin-after-containment.js";
import { byCode, input, signin } from "./fixtures.js";

const vm = "/subscriptions/00000000-0000-4000-8000-00000000aaaa/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-web-01";
const vm2 = "/subscriptions/00000000-0000-4000-8000-00000000aaaa/resourceGroups/rg-db/providers/Microsoft.Compute/virtualMachines/vm-db-01";

describe("devicecode-hunt analyzer", () => {
  const rows = [
    { UserPrincipalName: "bob@contoso.com", SignIns: 7, FailedCount: 1, DistinctIPs: 3, FirstSeen: "2026-11-10T08:00:00Z", LastSeen: "2026-11-20T08:00:00Z", IPs: ["203.0.113.1", "203.0.113.2", "198.51.100.9"], Apps: ["Microsoft Office"] },
    { UserPrincipalName: "room-1@contoso.com", SignIns: 30, FailedCount: 0, DistinctIPs: 1, FirstSeen: "2026-10-28T08:00:00Z", LastSeen: "2026-11-24T08:00:00Z", IPs: '["198.51.100.20"]', Apps: '["Microsoft Teams"]' },
  ];
  const result = analyzeDevicecodeHunt(input(rows, {}));

  it("keeps the query's order and rates several IPs high, one IP medium", () => {
    expect(result.findings.map((f) => [f.subject, f.severity])).toEqual([
      ["bob@contoso.com", "high"],
      ["room-1@contoso.com", "medium"],
    ]);
    expect(result.findings[0]).toMatchObject({ code: "ca.device-code", occurredAt: "2026-11-10T08:00:00.000Z" });
    expect(result.findings[1]!.data).toMatchObject({ ips: ["198.51.100.20"], apps: ["Microsoft Teams"] });
  });

  it("lists the users", () => {
    expect(result.outputs["users"] as DeviceCodeUser[]).toEqual([
      { upn: "bob@contoso.com", signIns: 7, distinctIps: 3, firstSeen: "2026-11-10T08:00:00.000Z", lastSeen: "2026-11-20T08:00:00.000Z" },
      { upn: "room-1@contoso.com", signIns: 30, distinctIps: 1, firstSeen: "2026-10-28T08:00:00.000Z", lastSeen: "2026-11-24T08:00:00.000Z" },
    ]);
  });
});

describe("alerts analyzer", () => {
  const alert = (over: Record<string, unknown>) => ({
    TimeGenerated: "2026-11-19T10:00:00Z",
    AlertName: "Suspicious process executed",
    DisplayName: "Suspicious process executed",
    AlertSeverity: "High",
    Status: "New",
    Tactics: "Execution, Persistence",
    ResourceId: vm,
    CompromisedEntity: "vm-web-01",
    Entities: "[]",
    StartTime: "2026-11-19T09:55:00Z",
    SystemAlertId: "alert-1",
    ProductName: "Microsoft Defender for Cloud",
    ...over,
  });

  it("maps severity, keeps the latest row per alert and collects VM ids from ResourceId and Entities", () => {
    const rows = [
      alert({}),
      alert({ TimeGenerated: "2026-11-19T11:00:00Z", Status: "InProgress" }),
      alert({
        SystemAlertId: "alert-2",
        AlertSeverity: "Informational",
        ResourceId: "",
        StartTime: "2026-11-19T08:00:00Z",
        Entities: JSON.stringify([{ $id: "2", Type: "azure-resource", ResourceId: `${vm2}/extensions/MDE.Linux` }, { Type: "ip", Address: "203.0.113.66" }]),
      }),
      alert({ SystemAlertId: "alert-3", AlertSeverity: "Medium", ResourceId: "/subscriptions/00000000-0000-4000-8000-00000000aaaa/resourceGroups/rg-web/providers/Microsoft.Storage/storageAccounts/stweb", StartTime: "2026-11-19T12:00:00Z" }),
    ];
    const result = analyzeAlerts(input(rows, {}));
    expect(result.outputs["alertCount"]).toBe(3);
    expect(result.findings.map((f) => [f.severity, f.data?.["systemAlertId"]])).toEqual([
      ["info", "alert-2"],
      ["high", "alert-1"],
      ["medium", "alert-3"],
    ]);
    expect(result.findings[1]!.summary).toContain("InProgress");
    expect(result.outputs["vmResourceIds"]).toEqual([vm2, vm]);
  });

  it("finds no VM when no alert names one", () => {
    expect(analyzeAlerts(input([], {})).outputs).toEqual({ vmResourceIds: [], alertCount: 0 });
  });
});

describe("risk analyzer", () => {
  it("lists detections in time order and the request ids of the high ones", () => {
    const rows = [
      { Id: "d-2", TimeGenerated: "2026-11-18T08:10:00Z", ActivityDateTime: "2026-11-18T08:00:00Z", RiskEventType: "unfamiliarFeatures", RiskLevel: "high", RiskState: "atRisk", IpAddress: "203.0.113.66", RequestId: "attacker-first", UserPrincipalName: "alex@contoso.com", Location: { countryOrRegion: "NL" } },
      { Id: "d-1", TimeGenerated: "2026-11-12T08:10:00Z", ActivityDateTime: "2026-11-12T08:00:00Z", RiskEventType: "anonymizedIPAddress", RiskLevel: "low", RiskState: "dismissed", RequestId: "r-1", UserPrincipalName: "alex@contoso.com" },
    ];
    const result = analyzeRisk(input(rows, {}));
    expect((result.outputs["detections"] as Array<{ id: string }>).map((d) => d.id)).toEqual(["d-1", "d-2"]);
    expect(result.outputs["highRiskRequestIds"]).toEqual(["attacker-first"]);
    expect(result.findings).toMatchObject([{ code: "identity.risk-detection", severity: "info", occurredAt: "2026-11-18T08:00:00.000Z" }]);
    expect(result.findings[0]!.summary).toContain("NL");
  });
});

describe("signin-after-containment analyzer", () => {
  it("flags every successful sign-in at or after containment as critical, and nothing else", () => {
    const since = "2026-11-25T08:00:00Z";
    const rows = [
      signin({ CreatedDateTime: "2026-11-25T07:59:59Z" }),
      signin({ CreatedDateTime: "2026-11-25T08:00:00Z", IPAddress: "203.0.113.66" }),
      signin({ CreatedDateTime: "2026-11-25T08:05:00Z", ResultType: "50057" }),
      signin({ CreatedDateTime: "2026-11-25T10:10:00+02:00" }),
    ];
    const result = analyzeSigninAfterContainment(input(rows, { upn: "alex@contoso.com", since }));
    expect(result.outputs["count"]).toBe(2);
    expect(byCode(result.findings, "contain.signin-after-containment").map((f) => [f.severity, f.occurredAt])).toEqual([
      ["critical", "2026-11-25T08:00:00.000Z"],
      ["critical", "2026-11-25T08:10:00.000Z"],
    ]);
    expect(result.findings[0]!.summary).toContain("203.0.113.66");
  });

  it("reports zero when access stopped, and refuses a missing since", () => {
    expect(analyzeSigninAfterContainment(input([], { since: "2026-11-25T08:00:00Z" })).outputs["count"]).toBe(0);
    expect(() => analyzeSigninAfterContainment(input([], {}))).toThrow(/since/);
  });
});
