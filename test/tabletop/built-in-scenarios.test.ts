import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseDuration } from "../../src/core/duration.js";
import { tableSchemas } from "../../src/kql/tables.js";
import { loadScenario, resolveScenarioDir } from "../../src/tabletop/scenario/load.js";
import type { Scenario, ScenarioTable } from "../../src/tabletop/scenario/schema.js";
import { scenarioExpected, type AlderbankExpected, type KestrelExpected } from "../helpers/scenarios.js";

// The shapes the Alderbank and Kestrel scenarios plant, checked on the loaded data: Microsoft's columns and values
// (the declared schemas, "hidden" risk without P2), the licence, the history length, the attacker's techniques and
// the methods containment must tell apart. What azir makes of them is in test/e2e/scenario-<name>.test.ts.

const now = new Date("2026-11-25T12:00:00.000Z");
const ago = (relative: string): number => now.getTime() + parseDuration(relative)!;

/** Rows of a table as objects keyed by column. */
function rowsOf(table: ScenarioTable | undefined): Array<Record<string, unknown>> {
  if (!table) return [];
  return table.rows.map((r) => Object.fromEntries(table.columns.map((c, i) => [c.name, r[i]])));
}

function typeOk(type: string, v: unknown): boolean {
  if (v === null) return type !== "string";
  switch (type) {
    case "string":
      return typeof v === "string";
    case "datetime":
      return typeof v === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v);
    case "bool":
      return typeof v === "boolean";
    case "int":
    case "long":
    case "real":
      return typeof v === "number";
    case "dynamic":
      return typeof v === "object";
    default:
      return true;
  }
}

function checkShapes(name: string, scenario: () => Scenario): void {
  it("types every cell as the declared schema says, with no column outside it, each table small enough", () => {
    const s = scenario();
    for (const [table, t] of Object.entries(s.tables)) {
      const declared = tableSchemas[table];
      expect(declared, table).toBeDefined();
      expect(t.columns.map((c) => c.name), table).toEqual(declared!.map(([n]) => n));
      for (const row of t.rows) {
        t.columns.forEach((c, i) => {
          if (!typeOk(c.type, row[i])) expect.fail(`${name} ${table}.${c.name} (${c.type}): ${JSON.stringify(row[i])}`);
        });
      }
      expect(statSync(join(resolveScenarioDir(name), `${table}.json`)).size, table).toBeLessThan(1.2 * 1024 * 1024);
    }
  });
}

function checkMethods(expected: AlderbankExpected | KestrelExpected, scenario: () => Scenario): void {
  it("holds the victim's own and attacker's methods, and the default, as expected.json says", () => {
    const t = scenario().tenant;
    const methods = t.authenticationMethods[expected.victim.id]!;
    expect(methods.map((m) => m.id).sort()).toEqual([...expected.attackerMethodIds, ...expected.ownMethodIds].sort());
    expect(t.defaultMethods[expected.victim.id]).toBe(expected.defaultMethodId);
  });
}

describe("Alderbank (Entra ID P1, password spray, legacy protocols, an attacker-made default)", () => {
  const expected = scenarioExpected<AlderbankExpected>("alderbank");
  let scenario: Scenario;
  beforeAll(async () => {
    scenario = await loadScenario(resolveScenarioDir("alderbank"), now);
  });
  checkShapes("alderbank", () => scenario);
  checkMethods(expected, () => scenario);

  it("has no Identity Protection: no AADUserRiskEvents table, no risky users or detections, no P2 plan among the subscribed SKUs", () => {
    expect(Object.keys(scenario.tables).sort()).toEqual(["AADNonInteractiveUserSignInLogs", "AuditLogs", "OfficeActivity", "SecurityAlert", "SigninLogs"]);
    expect(existsSync(join(resolveScenarioDir("alderbank"), "AADUserRiskEvents.json"))).toBe(false);
    expect(scenario.tenant.riskyUsers).toEqual([]);
    expect(scenario.tenant.riskDetections).toEqual([]);
    const skus = scenario.tenant["subscribedSkus"] as Array<{ skuPartNumber: string; servicePlans: Array<{ servicePlanName: string }> }>;
    expect(skus.map((s) => s.skuPartNumber)).toEqual(["AAD_PREMIUM"]);
    expect(skus.flatMap((s) => s.servicePlans.map((p) => p.servicePlanName))).not.toContain("AAD_PREMIUM_P2");
  });

  it("reads risk 'hidden' on every sign-in of both tables (level during sign-in, aggregated level, detail); RiskState, which has no hidden value, is none", () => {
    for (const table of ["SigninLogs", "AADNonInteractiveUserSignInLogs"]) {
      const rows = rowsOf(scenario.tables[table]);
      expect(rows.length).toBeGreaterThan(100);
      for (const r of rows) {
        expect([r["RiskLevelDuringSignIn"], r["RiskLevelAggregated"], r["RiskDetail"], r["RiskState"], r["IsRisky"]], `${table} ${String(r["Id"])}`).toEqual(["hidden", "hidden", "hidden", "none", false]);
      }
    }
  });

  it("plants a spray from one range across six users, then IMAP4 and Authenticated SMTP successes and an MFA-fatigue approval", () => {
    const signins = rowsOf(scenario.tables["SigninLogs"]);
    const fromRange = signins.filter((r) => expected.sprayIps.includes(r["IPAddress"] as string));
    const failures = fromRange.filter((r) => r["ResultType"] === "50126");
    expect(new Set(failures.map((r) => r["UserPrincipalName"]))).toEqual(new Set(expected.sprayTargets));
    expect(failures.length).toBeGreaterThanOrEqual(20);
    expect(failures.every((r) => r["UserAgent"] === "BAV2ROPC" && r["AutonomousSystemNumber"] === expected.sprayAsn)).toBe(true);
    const successes = fromRange.filter((r) => r["ResultType"] === "0");
    expect(successes.every((r) => r["UserPrincipalName"] === expected.victim.upn && r["AuthenticationRequirement"] === "singleFactorAuthentication")).toBe(true);
    expect(new Set(successes.map((r) => r["ClientAppUsed"]))).toEqual(new Set(["IMAP4", "Authenticated SMTP"]));
    const start = signins.find((r) => r["Id"] === expected.incidentSignInId)!;
    expect(start).toMatchObject({ ResultType: "0", ClientAppUsed: "IMAP4", CreatedDateTime: new Date(ago(expected.incidentStart)).toISOString() });
    const fatigue = signins.find((r) => r["Id"] === expected.mfaFatigueSignInId)!;
    const denied = signins.filter((r) => r["ResultType"] === "500121" && r["IPAddress"] === fatigue["IPAddress"]);
    expect(denied).toHaveLength(3);
    expect(denied.every((r) => Date.parse(r["CreatedDateTime"] as string) < Date.parse(fatigue["CreatedDateTime"] as string))).toBe(true);
  });

  it("the attacker's code app is a software OATH token with no creation time, dated only by its AuditLogs registration, and made the default there", () => {
    const [token] = expected.attackerMethodIds;
    const method = scenario.tenant.authenticationMethods[expected.victim.id]!.find((m) => m.id === token)!;
    expect(method["@odata.type"]).toBe("#microsoft.graph.softwareOathAuthenticationMethod");
    expect(method.createdDateTime).toBeUndefined();
    const audit = rowsOf(scenario.tables["AuditLogs"]).filter((r) => (r["InitiatedBy"] as { user?: { userPrincipalName?: string } }).user?.userPrincipalName === expected.victim.upn);
    expect(audit.map((r) => [r["OperationName"], r["ResultReason"]])).toEqual([
      ["User started security info registration", "User started the registration for Authenticator App with Code"],
      ["User registered security info", "User registered Authenticator App with Code"],
      ["User changed default security info", "User changed the default security info for A code from my authenticator app or token"],
    ]);
    expect(audit.every((r) => Date.parse(r["ActivityDateTime"] as string) > ago(expected.incidentStart))).toBe(true);
  });

  it("the benign enrolment: the new laptop is registered from the office ten days ago, before the trip on which it is used", () => {
    const [upn, device] = Object.entries(expected.benignDevices!)[0]!;
    const registered = rowsOf(scenario.tables["AuditLogs"]).find((r) => r["OperationName"] === "Register device")!;
    expect((registered["InitiatedBy"] as { user: { userPrincipalName: string; ipAddress: string } }).user).toMatchObject({ userPrincipalName: upn, ipAddress: "192.0.2.11" });
    expect(registered["ActivityDateTime"]).toBe(new Date(ago(device.enrolled)).toISOString());
    const abroad = rowsOf(scenario.tables["SigninLogs"]).filter((r) => r["UserPrincipalName"] === upn && r["Location"] === "CA");
    expect(abroad.length).toBeGreaterThan(0);
    expect(abroad.every((r) => (r["DeviceDetail"] as { deviceId: string; isCompliant: boolean; trustType: string }).deviceId === device.deviceId)).toBe(true);
    expect(abroad.every((r) => (r["DeviceDetail"] as { isCompliant: boolean }).isCompliant && r["AuthenticationRequirement"] === "multiFactorAuthentication")).toBe(true);
  });
});

describe("Kestrel (Entra ID P2, five days of history, device-code phishing, an attacker-registered device)", () => {
  const expected = scenarioExpected<KestrelExpected>("kestrel");
  let scenario: Scenario;
  beforeAll(async () => {
    scenario = await loadScenario(resolveScenarioDir("kestrel"), now);
  });
  checkShapes("kestrel", () => scenario);
  checkMethods(expected, () => scenario);

  it("holds only five days of history in every table, all in the past", () => {
    for (const [name, t] of Object.entries(scenario.tables)) {
      const at = t.columns.findIndex((c) => c.name === "TimeGenerated");
      for (const r of t.rows) {
        const time = Date.parse(r[at] as string);
        expect(now.getTime() - time, name).toBeLessThanOrEqual(expected.historyDays * 86_400_000);
        expect(time, name).toBeLessThanOrEqual(now.getTime());
      }
    }
  });

  it("plants the device-code sign-in: the broker client, high risk remediated by the victim's own MFA, and its risk detection", () => {
    const start = rowsOf(scenario.tables["SigninLogs"]).find((r) => r["Id"] === expected.incidentSignInId)!;
    expect(start).toMatchObject({
      AuthenticationProtocol: "deviceCode",
      AppId: "29d9ed98-a469-4536-ade2-f981bc1d605e",
      RiskLevelDuringSignIn: "high",
      RiskLevelAggregated: "high",
      RiskState: "remediated",
      RiskDetail: "userPassedMFADrivenByRiskBasedPolicy",
      AuthenticationRequirement: "multiFactorAuthentication",
      ResultType: "0",
      IPAddress: expected.attackerIps[0],
    });
    const detection = rowsOf(scenario.tables["AADUserRiskEvents"]).find((r) => r["RequestId"] === expected.incidentSignInId)!;
    expect(detection).toMatchObject({ RiskLevel: "high", RiskState: "remediated", RiskEventType: "unfamiliarFeatures" });
    expect(scenario.tenant.riskDetections.find((d) => d.requestId === expected.incidentSignInId)).toMatchObject({ riskLevel: "high" });
  });

  it("the attacker's device is registered in AuditLogs after the start, used by later sign-ins, and carries the Hello key created after the start", () => {
    const startMs = ago(expected.incidentStart);
    const audit = rowsOf(scenario.tables["AuditLogs"]).filter((r) => (r["TargetResources"] as Array<{ id: string }>).some((t) => t.id === expected.attackerDevice.id));
    expect(audit.map((r) => r["OperationName"]).sort()).toEqual(["Add device", "Add registered owner to device", "Add registered users to device", "Register device"]);
    expect(audit.every((r) => Date.parse(r["ActivityDateTime"] as string) > startMs)).toBe(true);
    const onDevice = [...rowsOf(scenario.tables["SigninLogs"]), ...rowsOf(scenario.tables["AADNonInteractiveUserSignInLogs"])].filter((r) => {
      const device = typeof r["DeviceDetail"] === "string" ? JSON.parse(r["DeviceDetail"]) : r["DeviceDetail"];
      return (device as { deviceId: string }).deviceId === expected.attackerDevice.id;
    });
    expect(onDevice.length).toBeGreaterThan(5);
    expect(new Set(onDevice.map((r) => r["IPAddress"]))).toEqual(new Set(expected.attackerIps));
    const hello = scenario.tenant.authenticationMethods[expected.victim.id]!.find((m) => m.id === expected.attackerMethodIds[0])!;
    expect(hello["@odata.type"]).toBe("#microsoft.graph.windowsHelloForBusinessAuthenticationMethod");
    expect(hello["displayName"]).toBe(expected.attackerDevice.displayName);
    expect(Date.parse(hello.createdDateTime!)).toBeGreaterThan(startMs);
  });

  it("licenses Entra ID P2 and evaluates risk: the sign-ins read none, low, medium or high, never hidden", () => {
    const skus = scenario.tenant["subscribedSkus"] as Array<{ servicePlans: Array<{ servicePlanName: string }> }>;
    expect(skus.flatMap((s) => s.servicePlans.map((p) => p.servicePlanName))).toContain("AAD_PREMIUM_P2");
    const levels = new Set(rowsOf(scenario.tables["SigninLogs"]).map((r) => r["RiskLevelDuringSignIn"]));
    expect([...levels].sort()).toEqual(["high", "medium", "none"]);
  });
});
