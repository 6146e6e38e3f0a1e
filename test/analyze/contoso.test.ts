/**
 * The built-in Contoso scenario through the shipped KQL files, the local engine and the analyzers: the planted
 * facts of scenarios/contoso/expected.json are found, and the benign users raise nothing they should not.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzers } from "../../src/analyze/index.js";
import type { AnalysisResult, Finding, Severity } from "../../src/analyze/types.js";
import { severityRank } from "../../src/analyze/types.js";
import { fromWireRows, type KqlTable } from "../../src/kql/engine/index.js";
import { loadScenario, pinTime } from "../../src/tabletop/scenario/load.js";
import { contosoExpected, runShippedQuery } from "../helpers/contoso.js";

const root = join(import.meta.dirname, "..", "..");
const dir = join(root, "scenarios", "contoso");
const now = new Date("2026-11-25T08:00:00.000Z");

const expected = contosoExpected;

let tables: Record<string, KqlTable> = {};

async function analyze(step: string, file: string, values: Record<string, unknown>): Promise<AnalysisResult> {
  const rows = await runShippedQuery(file, values, tables, now);
  return analyzers[step]!.analyze({ rows, with: values, window: { start: new Date(now.getTime() - 44 * 86_400_000).toISOString(), end: now.toISOString() } });
}

function tally(findings: Finding[]): Record<string, { count: number; severity: Severity }> {
  const out: Record<string, { count: number; severity: Severity }> = {};
  for (const f of findings) {
    const t = (out[f.code] ??= { count: 0, severity: "info" });
    t.count++;
    if (severityRank[f.severity] > severityRank[t.severity]) t.severity = f.severity;
  }
  return out;
}

const windowStart = (): string => new Date(now.getTime() - 14 * 86_400_000).toISOString();

describe("the Contoso scenario", () => {
  const byStep: Record<string, AnalysisResult> = {};
  beforeAll(async () => {
    const scenario = await loadScenario(dir, now);
    tables = Object.fromEntries(Object.entries(scenario.tables).map(([name, t]) => [name, fromWireRows(t.columns, t.rows)]));
    const upn = expected.victim.upn;
    const common = { upn, lookback: expected.lookback, baseline: expected.baseline };
    byStep["signins"] = await analyze("signins", "signins-for-user.kql", { ...common, windowStart: windowStart() });
    const incidentStart = byStep["signins"].outputs["incidentStart"];
    byStep["risk"] = await analyze("risk", "risk-detections.kql", common);
    byStep["audit"] = await analyze("audit", "audit-for-user.kql", { ...common, incidentStart });
    byStep["office"] = await analyze("office", "office-for-user.kql", { ...common, incidentStart });
    byStep["alerts"] = await analyze("alerts", "defender-alerts.kql", { ...common, attackerIps: byStep["signins"].outputs["attackerIps"] });
  }, 120_000);

  it("finds alex's incident start and attacker IPs", () => {
    const s = byStep["signins"]!;
    expect(s.outputs["incidentStart"]).toBe(pinTime(expected.incidentStart, now));
    expect(s.outputs["incidentStartRule"]).toBe("first-high-risk-success");
    expect([...(s.outputs["attackerIps"] as string[])].sort()).toEqual([...expected.attackerIps].sort());
    expect(s.findings.find((f) => f.code === "incident.start")!.evidence[0]!["Id"]).toBe(expected.incidentSignInId);
  });

  it("reports every expected finding, with its count and highest severity, and no other code", () => {
    const actual: Record<string, Record<string, { count: number; severity: Severity }>> = {};
    for (const [step, r] of Object.entries(byStep)) actual[step] = tally(r.findings);
    const want: Record<string, Record<string, { count: number; severity: Severity }>> = {};
    for (const step of Object.keys(byStep)) want[step] = {};
    for (const f of expected.expectedFindings) want[f.step]![f.code] = { count: f.count, severity: f.severity };
    expect(actual).toEqual(want);
  });

  it("names the VM of the Defender alerts", () => {
    expect(byStep["alerts"]!.outputs["vmResourceIds"]).toEqual(expected.vmResourceIds);
  });

  it("keeps the benign users at their expected findings and severity", async () => {
    for (const upn of expected.benignUsers) {
      const r = await analyze("signins", "signins-for-user.kql", { upn, lookback: expected.lookback, baseline: expected.baseline, windowStart: windowStart() });
      const want = Object.fromEntries((expected.benignFindings[upn] ?? []).map((f) => [f.code, { count: f.count, severity: f.severity }]));
      const got = tally(r.findings);
      if (expected.benignFindings[upn]) expect(got, upn).toEqual(want);
      // Users without a stated ceiling may raise medium triage findings (a device-code sign-in from a known network),
      // never a high one.
      const max = expected.benignMaxSeverity[upn] ?? "medium";
      for (const f of r.findings) expect(severityRank[f.severity], `${upn}: ${f.code} ${f.severity}`).toBeLessThanOrEqual(severityRank[max]);
      expect(r.outputs["incidentStart"], upn).toBeNull();
      // Without an incident start, their directory and mailbox work is routine: nothing above low.
      for (const [step, file] of [["audit", "audit-for-user.kql"], ["office", "office-for-user.kql"]] as const) {
        // The whole history (lookback + baseline), so the IT admin's role and policy work is included.
        const other = await analyze(step, file, { upn, lookback: "44d", incidentStart: null });
        for (const f of other.findings) expect(severityRank[f.severity], `${upn}: ${f.code} ${f.severity}`).toBeLessThanOrEqual(severityRank.low);
      }
    }
  });

  it("ranks the device-code hunt as expected", async () => {
    const hunt = await analyze("devicecode-hunt", "devicecode-hunt.kql", { lookback: "30d" });
    const users = hunt.outputs["users"] as Array<{ upn: string; signIns: number; distinctIps: number }>;
    expect(users.map(({ upn, signIns, distinctIps }) => ({ upn, signIns, distinctIps }))).toEqual(expected.deviceCodeHunt);
  });
});
