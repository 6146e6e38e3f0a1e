import { describe, expect, it } from "vitest";
import { analyzeAlerts } from "../../src/analyze/alerts.js";

const vm = "/subscriptions/b3f5c1d2-6a7e-4f80-9c1d-2e3f4a5b6c7d/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-web-01";
const row = (id: string, entities: unknown[]) => ({
  SystemAlertId: id,
  AlertName: "Suspicious process executed",
  AlertSeverity: "High",
  StartTime: "2026-11-23T12:00:00.000Z",
  TimeGenerated: "2026-11-23T12:01:00.000Z",
  Tactics: "Execution",
  CompromisedEntity: "vm-web-01",
  ResourceId: vm.toLowerCase(),
  Entities: JSON.stringify(entities),
});
const window = { start: "2026-11-11T00:00:00.000Z", end: "2026-11-25T00:00:00.000Z" };

describe("alerts linked to the investigated user", () => {
  it("an alert naming an attacker IP keeps its severity and asks for VM forensics", () => {
    const r = analyzeAlerts({ rows: [row("a", [{ Type: "ip", Address: "45.137.20.88" }, { Type: "host", AzureID: vm }])], with: { upn: "alex@contoso.com", attackerIps: ["45.137.20.88"] }, window });
    expect(r.findings[0]).toMatchObject({ severity: "high" });
    expect(r.outputs.vmResourceIds).toEqual([vm]);
  });

  it("an alert that names neither the user nor an attacker IP is info-level context (a benign user's investigation stays quiet)", () => {
    const r = analyzeAlerts({ rows: [row("b", [{ Type: "ip", Address: "45.137.20.880" }, { Type: "host", AzureID: vm }])], with: { upn: "sam@contoso.com", attackerIps: [] }, window });
    expect(r.findings[0]).toMatchObject({ severity: "info" });
    expect(r.findings[0]!.summary).toContain("not linked");
    expect(r.outputs.vmResourceIds).toEqual([]);
  });

  it("without a user (a tenant-wide triage) every alert counts", () => {
    const r = analyzeAlerts({ rows: [row("c", [])], with: {}, window });
    expect(r.findings[0]).toMatchObject({ severity: "high" });
  });
});
