import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseDuration } from "../../src/core/duration.js";
import { analyzeAlerts } from "../../src/analyze/alerts.js";
import { analyzeAudit } from "../../src/analyze/audit.js";
import { analyzeOffice } from "../../src/analyze/office.js";
import { analyzeRisk } from "../../src/analyze/risk.js";
import { analyzeSignins } from "../../src/analyze/signins.js";
import { severityRank, type AnalysisResult, type Finding, type Row, type Severity } from "../../src/analyze/types.js";
import { fromWireRows } from "../../src/kql/engine/index.js";
import type { KqlTable } from "../../src/kql/engine/index.js";
import { tableSchemas } from "../../src/kql/tables.js";
import { builtInScenarioDir, builtInScenarioNames, loadScenario, resolveScenarioDir } from "../../src/tabletop/scenario/load.js";
import type { Scenario } from "../../src/tabletop/scenario/schema.js";
import { contosoExpected, runShippedQuery } from "../helpers/contoso.js";

// The built-in Contoso scenario: it loads, its times are pinned at "now", its cells have the declared types, and the
// shipped KQL queries and analyzers find in it exactly the story that expected.json (and docs/scenarios.md) promise.

const now = new Date("2026-11-25T12:00:00.000Z");
const dir = builtInScenarioDir();

const expected = contosoExpected;
const ago = (relative: string): string => new Date(now.getTime() + parseDuration(relative)!).toISOString();
const incidentStart = ago(expected.incidentStart);

let scenario: Scenario;
let engineTables: Record<string, KqlTable>;
beforeAll(async () => {
  scenario = await loadScenario(dir, now);
  engineTables = Object.fromEntries(Object.entries(scenario.tables).map(([name, t]) => [name, fromWireRows(t.columns, t.rows)]));
});

const query = (file: string, params: Record<string, unknown>): Promise<Row[]> => runShippedQuery(file, params, engineTables, now);

async function investigate(upn: string, start: string | null): Promise<Record<string, AnalysisResult>> {
  const window = { start: ago(`-${expected.lookback}`), end: now.toISOString() };
  const lookback = expected.lookback;
  const signins = analyzeSignins({
    rows: await query("signins-for-user.kql", { upn, lookback, baseline: expected.baseline }),
    with: { upn, lookback },
    window: { start: new Date(now.getTime() - parseDuration(lookback)! - parseDuration(expected.baseline)!).toISOString(), end: window.end },
  });
  const incident = start ?? (signins.outputs["incidentStart"] as string | null);
  return {
    signins,
    risk: analyzeRisk({ rows: await query("risk-detections.kql", { upn, lookback }), with: { upn }, window }),
    audit: analyzeAudit({ rows: await query("audit-for-user.kql", { upn, lookback }), with: { upn, incidentStart: incident }, window }),
    office: analyzeOffice({ rows: await query("office-for-user.kql", { upn, lookback }), with: { upn, incidentStart: incident }, window }),
    // As the runbook links them: alerts naming the user or the attacker's IPs count; others are context (info).
    alerts: analyzeAlerts({ rows: await query("defender-alerts.kql", { lookback }), with: { upn, attackerIps: signins.outputs["attackerIps"] }, window }),
  };
}

function summary(findings: readonly Finding[]): Record<string, { count: number; severity: Severity }> {
  const out: Record<string, { count: number; severity: Severity }> = {};
  for (const f of findings) {
    const s = (out[f.code] ??= { count: 0, severity: "info" });
    s.count++;
    if (severityRank[f.severity] > severityRank[s.severity]) s.severity = f.severity;
  }
  return out;
}

describe("built-in Contoso scenario", () => {
  it("loads from the package folder with every table, small enough for a quick exercise", () => {
    expect(resolveScenarioDir()).toBe(dir);
    expect(scenario.name).toBe("contoso");
    expect(Object.keys(scenario.tables).sort()).toEqual(
      ["AADNonInteractiveUserSignInLogs", "AADUserRiskEvents", "AuditLogs", "IdentityInfo", "OfficeActivity", "SecurityAlert", "SigninLogs"].sort(),
    );
    const rows = Object.values(scenario.tables).reduce((n, t) => n + t.rows.length, 0);
    expect(rows).toBeGreaterThan(500);
    expect(rows).toBeLessThan(5000);
    for (const name of Object.keys(scenario.tables)) expect(statSync(join(dir, `${name}.json`)).size).toBeLessThan(3 * 1024 * 1024);
    expect(scenario.tenant.domain).toBe("contoso.com");
    expect(scenario.tenant.users.map((u) => u.userPrincipalName)).toEqual(expect.arrayContaining(["alex@contoso.com", "sam@contoso.com", "breakglass@contoso.com", "it-admin@contoso.com"]));
  });

  it("pins relative times against the given now, in tables and in tenant.json", async () => {
    const signins = scenario.tables["SigninLogs"]!;
    const col = (name: string): number => signins.columns.findIndex((c) => c.name === name);
    const start = signins.rows.find((r) => r[col("Id")] === expected.incidentSignInId)!;
    expect(start[col("CreatedDateTime")]).toBe(incidentStart);
    expect(incidentStart).toBe("2026-11-22T06:00:00.000Z");
    const branch = scenario.tenant.namedLocations.find((l) => l.displayName === "Branch Office NL")!;
    expect(branch.createdDateTime).toBe("2026-11-22T09:00:00.000Z");
    const attackerApp = scenario.tenant.authenticationMethods[expected.victim.id]!.find((m) => m.id === "c2e4a6b8-0d2f-4a4c-9e6b-1f3d5a7c9e02")!; // the attacker's authenticator
    expect(attackerApp.createdDateTime).toBe("2026-11-22T06:20:00.000Z");

    // Another start of the run moves every time by the same amount.
    const later = await loadScenario(dir, new Date(now.getTime() + 86_400_000));
    const laterStart = later.tables["SigninLogs"]!.rows.find((r) => r[col("Id")] === expected.incidentSignInId)!;
    expect(laterStart[col("CreatedDateTime")]).toBe("2026-11-23T06:00:00.000Z");
    expect(later.tenant.namedLocations.find((l) => l.displayName === "Branch Office NL")!.createdDateTime).toBe("2026-11-23T09:00:00.000Z");
  });

  it("holds about 42 days of history, all of it in the past", () => {
    const times = Object.values(scenario.tables).flatMap((t) => {
      const at = t.columns.findIndex((c) => c.name === "TimeGenerated");
      return t.rows.map((r) => Date.parse(r[at] as string));
    });
    const oldestDays = (now.getTime() - Math.min(...times)) / 86_400_000;
    expect(oldestDays).toBeGreaterThan(40);
    expect(oldestDays).toBeLessThan(44); // inside lookback + baseline, so the whole baseline is queried
    expect(Math.max(...times)).toBeLessThanOrEqual(now.getTime());
  });

  it("types every cell as the table schema declares", () => {
    const check = (type: string, v: unknown): boolean => {
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
    };
    for (const [name, table] of Object.entries(scenario.tables)) {
      const declared = tableSchemas[name]!;
      expect(declared, name).toBeDefined();
      // Declared columns first, in order; the scenario adds no column outside the declared schema.
      expect(table.columns.map((c) => c.name)).toEqual(declared.map(([n]) => n));
      for (const row of table.rows) {
        table.columns.forEach((c, i) => {
          if (!check(c.type, row[i])) expect.fail(`${name}.${c.name} (${c.type}): ${JSON.stringify(row[i])}`);
        });
      }
    }
    // The non-interactive table keeps its details as JSON text, as Log Analytics does.
    const ni = scenario.tables["AADNonInteractiveUserSignInLogs"]!;
    const device = ni.columns.findIndex((c) => c.name === "DeviceDetail");
    expect(typeof ni.rows[0]![device]).toBe("string");
    expect(JSON.parse(ni.rows[0]![device] as string)).toHaveProperty("operatingSystem");
  });

  it("plants the attacker's methods, default method, app, consent, roles and named location in tenant.json", () => {
    const t = scenario.tenant;
    const methods = t.authenticationMethods[expected.victim.id]!.map((m) => m.id);
    expect(methods.sort()).toEqual([...expected.attackerMethodIds, ...expected.ownMethodIds].sort());
    expect(t.defaultMethods[expected.victim.id]).toBe(expected.defaultMethodId);
    const alternate = t.authenticationMethods[expected.victim.id]!.find((m) => m.id === "b6332ec1-7057-4abe-9331-3d72feddfe41")!;
    expect(alternate["phoneType"]).toBe("alternateMobile");
    expect(alternate.createdDateTime).toBeUndefined();

    for (const app of expected.recovery.appsToRotate) {
      const registered = t.applications.find((a) => a.id === app.appObjectId)!;
      expect(registered.owners).toContain(expected.victim.id);
      for (const keyId of app.attackerKeyIds) {
        expect(Date.parse(registered.passwordCredentials.find((c) => c.keyId === keyId)!.startDateTime!)).toBeGreaterThanOrEqual(Date.parse(incidentStart));
      }
      const sp = t.servicePrincipals.find((s) => s.appId === registered.appId)!;
      expect(sp.passwordCredentials.map((c) => c.keyId)).toEqual(app.servicePrincipalKeyIds);
    }
    for (const c of expected.recovery.consentedApps) {
      const grant = t.oauth2PermissionGrants.find((g) => g.id === c.grantId)!;
      expect(grant).toMatchObject({ clientId: c.servicePrincipalId, consentType: "Principal", principalId: expected.victim.id });
      expect(grant.scope.split(" ")).toEqual(expect.arrayContaining(["Mail.Read", "offline_access"]));
    }
    const inWindow = (iso: string | null | undefined): boolean => iso !== null && iso !== undefined && Date.parse(iso) >= Date.parse(incidentStart);
    expect(t.conditionalAccessPolicies.filter((p) => inWindow(p.modifiedDateTime)).map((p) => p.id)).toEqual(expected.recovery.caPoliciesChangedInWindow);
    const mfa = t.conditionalAccessPolicies.find((p) => p.id === expected.recovery.caPoliciesChangedInWindow[0])!;
    expect((mfa.conditions["users"] as { excludeUsers: string[] }).excludeUsers).toContain(expected.victim.id);
    expect(t.namedLocations.filter((l) => inWindow(l.createdDateTime)).map((l) => l.id)).toEqual(expected.recovery.namedLocationsCreatedInWindow);
    expect(t.roleAssignments.filter((a) => inWindow(a.createdDateTime)).map((a) => ({ principalId: a.principalId, roleDefinitionId: a.roleDefinitionId }))).toEqual(
      expected.recovery.roleAssignmentsNewInWindow.map(({ principalId, roleDefinitionId }) => ({ principalId, roleDefinitionId })),
    );
    // The break-glass account is a Global Administrator that never signs in.
    const breakglass = t.users.find((u) => u.userPrincipalName === "breakglass@contoso.com")!;
    expect(t.roleAssignments.some((a) => a.principalId === breakglass.id && a.roleDefinitionId === "62e90394-69f5-4237-9190-012177145e10")).toBe(true);
    const upn = scenario.tables["SigninLogs"]!.columns.findIndex((c) => c.name === "UserPrincipalName");
    expect(scenario.tables["SigninLogs"]!.rows.some((r) => r[upn] === breakglass.userPrincipalName)).toBe(false);
    expect(t.riskyUsers.find((r) => r.id === expected.victim.id)).toMatchObject({ riskLevel: "high", riskState: "atRisk" });
    expect(t.riskDetections.find((d) => d.requestId === expected.incidentSignInId)).toMatchObject({ riskEventType: "unfamiliarFeatures", riskLevel: "high" });
    for (const vm of expected.vmResourceIds) {
      const resource = t.arm.resources.find((r) => r.id === vm)!;
      const storage = resource.properties["storageProfile"] as { osDisk: { managedDisk: { id: string } }; dataDisks: Array<{ managedDisk: { id: string } }> };
      const disks = [storage.osDisk, ...storage.dataDisks].map((d) => d.managedDisk.id);
      expect(disks).toHaveLength(3);
      for (const id of disks) expect(t.arm.resources.some((r) => r.id === id && r.type === "Microsoft.Compute/disks")).toBe(true);
    }
    expect(t.arm.resources.some((r) => r.id.startsWith(`/subscriptions/${t.forensicsSubscriptionId}/resourceGroups/`))).toBe(true);
    expect(t.arm.resources.some((r) => r.type === "Microsoft.Authorization/locks")).toBe(false);
  });

  it("logs the incident-start request twice with one Id, so de-duplication matters", () => {
    const signins = scenario.tables["SigninLogs"]!;
    const id = signins.columns.findIndex((c) => c.name === "Id");
    expect(signins.rows.filter((r) => r[id] === expected.incidentSignInId)).toHaveLength(2);
  });

  it("the shipped queries and analyzers find exactly the planted story for the victim", async () => {
    const results = await investigate(expected.victim.upn, null);
    expect(results["signins"]!.outputs["incidentStart"]).toBe(incidentStart);
    expect(results["signins"]!.outputs["incidentStartRule"]).toBe("first-high-risk-success");
    expect((results["signins"]!.outputs["attackerIps"] as string[]).sort()).toEqual([...expected.attackerIps].sort());
    expect(results["signins"]!.outputs["newAsns"]).toEqual([expected.attackerAsn]);
    expect(results["signins"]!.outputs["duplicateRows"]).toBeGreaterThanOrEqual(1);

    const findings = Object.values(results).flatMap((r) => r.findings);
    const want = Object.fromEntries(expected.expectedFindings.map((f) => [f.code, { count: f.count, severity: f.severity }]));
    expect(summary(findings)).toEqual(want);
    for (const f of expected.expectedFindings) {
      expect(summary(results[f.step]!.findings)[f.code], `${f.code} from the ${f.step} step`).toBeDefined();
    }

    // The attacker's two registrations date the two undated attacker methods.
    const registrations = results["audit"]!.outputs["securityInfoRegistrations"] as Array<{ methodType: string; phoneType?: string; afterIncidentStart: boolean; ip: string }>;
    expect(registrations.map((r) => [r.methodType, r.phoneType ?? null, r.afterIncidentStart, r.ip])).toEqual([
      ["microsoftAuthenticator", null, true, expected.attackerIps[0]],
      ["phone", "alternateMobile", true, expected.attackerIps[0]],
    ]);
    expect(results["alerts"]!.outputs["vmResourceIds"]).toEqual(expected.vmResourceIds);
    const alertIds = results["alerts"]!.findings.map((f) => f.data?.["systemAlertId"]);
    for (const unrelated of expected.unrelatedAlertIds) expect(alertIds).not.toContain(unrelated);
  });

  it("the consent counts as a non-admin's even when told the victim's current roles (the role came later)", async () => {
    const rows = await query("audit-for-user.kql", { upn: expected.victim.upn, lookback: expected.lookback });
    const result = analyzeAudit({ rows, with: { upn: expected.victim.upn, incidentStart, currentRoles: ["Global Administrator"] }, window: { start: ago("-14d"), end: now.toISOString() } });
    expect(result.findings.filter((f) => f.code.startsWith("audit.consent")).map((f) => f.code)).toEqual(["audit.consent-non-admin"]);
  });

  it("Sam's trip abroad and the other benign users raise nothing above low", async () => {
    for (const upn of expected.benignUsers) {
      const findings = Object.values(await investigate(upn, null)).flatMap((r) => r.findings);
      const top = findings.reduce<Severity>((acc, f) => (severityRank[f.severity] > severityRank[acc] ? f.severity : acc), "info");
      expect(expected.benignMaxSeverity[upn]).toBe("low");
      expect(severityRank[top], `${upn}: ${findings.map((f) => `${f.severity} ${f.code}`).join(", ")}`).toBeLessThanOrEqual(severityRank.low);
      expect(findings.some((f) => f.code === "incident.start")).toBe(false);
      const want = expected.benignFindings[upn];
      if (want) expect(summary(findings.filter((f) => f.severity !== "info"))).toEqual(Object.fromEntries(want.map((f) => [f.code, { count: f.count, severity: f.severity }])));
      // The Defender alerts name neither the user nor an attacker IP of theirs: context only, no VM forensics.
      expect(findings.filter((f) => f.code === "defender.alert").every((f) => f.severity === "info")).toBe(true);
    }
  });

  it("morgan's benign device-code use is a medium to review, not an incident", async () => {
    const findings = Object.values(await investigate("morgan@contoso.com", null)).flatMap((r) => r.findings);
    expect(findings.filter((f) => f.severity !== "info").map((f) => [f.code, f.severity])).toEqual([["ca.device-code", "medium"]]);
  });

  it("the tenant-wide device-code hunt ranks the victim first", async () => {
    const rows = await query("devicecode-hunt.kql", { lookback: "30d" });
    expect(rows.map((r) => ({ upn: r["UserPrincipalName"], signIns: r["SignIns"], distinctIps: r["DistinctIPs"] }))).toEqual(expected.deviceCodeHunt);
  });
});

describe("generated built-in scenarios", () => {
  // Every built-in scenario but the hand-written minimal one has a generator; its committed files must be exactly
  // what the generator writes now (deterministic, and nobody edited the output by hand).
  const generated = readdirSync(join(process.cwd(), "scripts"))
    .map((f) => /^generate-(.+)\.mjs$/.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort();

  it("has a generator for every built-in scenario but minimal", () => {
    expect(generated).toEqual(builtInScenarioNames().filter((n) => n !== "minimal"));
  });

  it.each(generated.map((name) => ({ name })))("$name is exactly what its generator, scripts/generate-<name>.mjs, writes", ({ name }) => {
    const out = mkdtempSync(join(tmpdir(), `azir-gen-${name}-`));
    try {
      execFileSync(process.execPath, [`scripts/generate-${name}.mjs`, "--out", out], { stdio: "ignore" });
      const committed = resolveScenarioDir(name);
      const files = readdirSync(out).sort();
      expect(files).toEqual(readdirSync(committed).sort());
      for (const f of files) expect(readFileSync(join(out, f), "utf8") === readFileSync(join(committed, f), "utf8"), `${name}/${f}`).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("finding scenarios", () => {
  it("lists the built-in scenarios and resolves names, paths and the default", () => {
    expect(builtInScenarioNames()).toEqual(["alderbank", "contoso", "kestrel", "minimal"]);
    expect(resolveScenarioDir(undefined)).toBe(builtInScenarioDir());
    expect(resolveScenarioDir("contoso")).toBe(builtInScenarioDir());
    expect(resolveScenarioDir("minimal")).toBe(join(builtInScenarioDir(), "..", "minimal"));
    expect(resolveScenarioDir("./my-scenario")).toBe(join(process.cwd(), "my-scenario"));
  });
});

describe("minimal scenario", () => {
  it("loads, with the tables it has and no others", async () => {
    const s = await loadScenario(resolveScenarioDir("minimal"), now);
    expect(s.name).toBe("minimal");
    expect(Object.keys(s.tables).sort()).toEqual(["AuditLogs", "SigninLogs"]);
    expect(s.tables["SigninLogs"]!.rows).toHaveLength(3);
    expect(s.tenant.users).toHaveLength(2);
  });
});
