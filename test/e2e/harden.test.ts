import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { main } from "../../src/cli/main.js";
import { systemClock } from "../../src/core/clock.js";
import { startTabletop, type Emulator, type FaultConfig } from "../../src/tabletop/index.js";
import type { tenantStateSchema } from "../../src/tabletop/scenario/schema.js";
import { readJournal, verifyJournal } from "../../src/timeline/journal.js";
import { memoryIo } from "../cli/io.js";
import { closeAfterEach } from "../helpers/close-after-each.js";
import { contosoExpected } from "../helpers/contoso.js";

// Recovery end to end: azir harden and azir release, the real Graph client and the simulated tenant over HTTPS on 127.0.0.1.

const alexId = contosoExpected.victim.id;
const recovery = contosoExpected.recovery;
const financeApp = recovery.appsToRotate[0]!;
const financeSpId = "d5b3f1a9-7e5c-4a3b-8f1d-2c0b9a8e7d46";
const oldAppSecret = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b"; // reporting-prod, the app's own secret before the incident
const privilegedRoleAdmin = "e8611ab8-c189-46e8-94e1-60213ab1f814";

const track = closeAfterEach<Emulator>();

async function tenant(options: { faults?: FaultConfig; scenarioDir?: string } = {}): Promise<Emulator> {
  const emulator = await startTabletop({ clock: systemClock, ...options });
  track(emulator);
  return emulator;
}

type TenantJson = z.input<typeof tenantStateSchema>;

/** A copy of the Contoso scenario with its tenant.json (and, optionally, its audit log) edited. */
function variant(edit: (tenant: TenantJson, audit: Array<Record<string, unknown>>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), "azir-scn-"));
  cpSync(join(process.cwd(), "scenarios", "contoso"), dir, { recursive: true });
  const file = join(dir, "tenant.json");
  const auditFile = join(dir, "AuditLogs.json");
  const t = JSON.parse(readFileSync(file, "utf8")) as TenantJson;
  const audit = JSON.parse(readFileSync(auditFile, "utf8")) as Array<Record<string, unknown>>;
  edit(t, audit);
  writeFileSync(file, JSON.stringify(t));
  writeFileSync(auditFile, JSON.stringify(audit));
  return dir;
}

async function harden(emulator: Emulator, extra: string[] = [], deps: Record<string, unknown> = {}) {
  const out = mkdtempSync(join(tmpdir(), "azir-harden-"));
  const io = memoryIo();
  const code = await main(["harden", "alex@contoso.com", "--tabletop", "--out", out, ...extra], io, { emulator, ...deps });
  const dir = existsSync(out) ? readdirSync(out).map((d) => join(out, d))[0] : undefined;
  const journal = dir ? join(dir, readdirSync(dir).find((f) => f.endsWith(".jsonl"))!) : "";
  return { code, io, out, journal };
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

// The requests Graph ran: a $batch envelope is not one (its inner requests are logged each with the batch's id).
const graphWrites = (emulator: Emulator) => emulator.requests().filter((r) => r.service === "graph" && r.method !== "GET" && !r.path.endsWith("/$batch"));
const passwordKeyIds = (emulator: Emulator, collection: "applications" | "servicePrincipals", id: string) =>
  (emulator.state()[collection].find((a) => a.id === id)?.passwordCredentials ?? []).map((c) => c.keyId);

async function findingsOf(journal: string) {
  const { events } = await readJournal(journal);
  return events.filter((e) => e.kind === "finding").map((e) => ({ code: String(e.data.code), severity: String(e.data.severity), summary: e.summary, data: (e.data.data ?? {}) as Record<string, unknown> }));
}

describe("azir harden against the simulated tenant", () => {
  it("rotates the attacker-touched app's secrets, removes the planted role and consent, flags the policy and the named location", async () => {
    const emulator = await tenant();
    const secrets = join(mkdtempSync(join(tmpdir(), "azir-secrets-")), "new-secrets.jsonl");
    const { code, io, out, journal } = await harden(emulator, ["--yes", "--secrets-out", secrets]);
    expect(code, io.err()).toBe(0);

    // The app has one secret left: the new one, written to the file only; every old key id is gone.
    const lines = readFileSync(secrets, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { keyId: string; secretText: string; for: string });
    expect(lines).toHaveLength(1);
    expect(statSync(secrets).mode & 0o777).toBe(0o600);
    const appKeys = passwordKeyIds(emulator, "applications", financeApp.appObjectId);
    expect(appKeys).toEqual([lines[0]!.keyId]);
    for (const old of [...financeApp.attackerKeyIds, oldAppSecret]) expect(appKeys).not.toContain(old);
    expect(passwordKeyIds(emulator, "servicePrincipals", financeSpId)).toEqual([]);

    // The new secret is in no other file, stream or journal line azir wrote.
    const secret = lines[0]!.secretText;
    expect(secret.length).toBeGreaterThan(16);
    expect(io.out()).not.toContain(secret);
    expect(io.err()).not.toContain(secret);
    const written = filesUnder(out);
    expect(written.length).toBeGreaterThan(0);
    for (const file of written) expect(readFileSync(file, "utf8"), file).not.toContain(secret);
    expect((await verifyJournal(journal)).ok).toBe(true);

    // The Global Administrator assignment made in the window and the consent to Mail Sync Pro are gone.
    const state = emulator.state();
    expect(state.roleAssignments.some((a) => a.principalId === alexId && a.roleDefinitionId === recovery.roleAssignmentsNewInWindow[0]!.roleDefinitionId)).toBe(false);
    expect(state.oauth2PermissionGrants.map((g) => g.id)).not.toContain(recovery.consentedApps[0]!.grantId);
    expect(state.appRoleAssignments.filter((a) => a.principalId === alexId)).toEqual([]);
    // Routine admin assignments before the window stay.
    expect(state.roleAssignments.length).toBe(4);

    const findings = await findingsOf(journal);
    const codes = (code: string) => findings.filter((f) => f.code === code);
    expect(codes("harden.new-privileged-assignment").map((f) => f.data.principalId)).toEqual([alexId]);
    expect(codes("harden.named-location-new").map((f) => f.data.namedLocationId)).toEqual(recovery.namedLocationsCreatedInWindow);
    expect(codes("harden.ca-policy-changed").map((f) => f.data.policyId)).toEqual(recovery.caPoliciesChangedInWindow);
    // The audit row's before and after travel with the policy finding.
    expect(JSON.stringify(codes("harden.ca-policy-changed")[0]!.data.changes)).toContain(alexId);
    expect(io.err()).toMatch(new RegExp(`conditions\\.users\\.excludeUsers: \\[[^\\]]*\\] -> \\[.*"${alexId}"\\]`));
    expect(codes("harden.app-credential-added").map((f) => f.data.keyId).sort()).toEqual([...financeApp.attackerKeyIds, ...financeApp.servicePrincipalKeyIds].sort());
    expect(codes("harden.consent-in-window").length).toBe(2);
    // Mailbox forwarding: the exact Exchange commands, and why azir cannot run them.
    expect(io.err()).toContain("Remove-InboxRule -Mailbox 'alex@contoso.com' -Identity '.' -Confirm:$false");
    expect(io.err()).toContain("Set-Mailbox -Identity 'alex@contoso.com' -ForwardingSmtpAddress $null");
    expect(io.err()).toMatch(/Graph cannot change the inbox rules or forwarding of another user's mailbox/);
  });

  it("shows a new secret once on the terminal without --secrets-out, never in --json or the journal; a second run finds everything rotated and sends nothing", async () => {
    const emulator = await tenant();
    const first = await harden(emulator, ["--yes", "--json"]);
    expect(first.code, first.io.err()).toBe(0);
    const shown = /new client secret for .*: (\S+)\n/.exec(first.io.err());
    expect(shown).not.toBeNull();
    const secret = shown![1]!;
    expect(first.io.err().split(secret).length - 1).toBe(1);
    expect(first.io.out()).not.toContain(secret);
    expect(JSON.parse(first.io.out()).schema).toBeDefined();
    expect(readFileSync(first.journal, "utf8")).not.toContain(secret);

    const rotated = passwordKeyIds(emulator, "applications", financeApp.appObjectId);
    const writes = graphWrites(emulator).length;
    const second = await harden(emulator, ["--yes"]);
    expect(second.code, second.io.err()).toBe(0);
    expect(graphWrites(emulator).length).toBe(writes);
    expect(passwordKeyIds(emulator, "applications", financeApp.appObjectId)).toEqual(rotated);
    expect(second.io.err()).toContain("app registration Finance Reporting is rotated already");
    const flagged = (await findingsOf(second.journal)).filter((f) => f.code !== "harden.ca-policy-changed" && f.code !== "harden.named-location-new" && f.code.startsWith("harden."));
    expect(flagged).toEqual([]);
  });

  for (const again of ["the printed resume command", "a new harden run into the same incident"] as const) {
    it(`a new secret whose answer was lost is replaced and removed by ${again}: the app keeps only the secret the responder was shown`, async () => {
      // Graph applies addPassword and the answer never arrives: azir does not send it again (not idempotent) and stops.
      const emulator = await tenant({ faults: { rules: [{ match: { method: "POST", path: `/applications/${financeApp.appObjectId}/addPassword$` }, status: 503, applied: true, times: 1 }] } });
      const out = mkdtempSync(join(tmpdir(), "azir-harden-"));
      const first = memoryIo();
      expect(await main(["harden", "alex@contoso.com", "--tabletop", "--yes", "--out", out], first, { emulator })).toBe(1);
      const lost = emulator.state().applications.find((a) => a.id === financeApp.appObjectId)!.passwordCredentials.filter((c) => c.displayName?.startsWith("azir rotation"));
      expect(lost).toHaveLength(1);
      expect(first.err()).not.toMatch(/new client secret for/);

      const printed = /resume with: azir run (.+)$/m.exec(first.out() + first.err())?.[1]?.split(" ");
      expect(printed).toBeDefined();
      const args = again === "the printed resume command" ? ["run", ...printed!] : ["harden", "alex@contoso.com", "--out", out];
      const second = memoryIo();
      expect(await main([...args, "--tabletop", "--yes"], second, { emulator }), second.err()).toBe(0);
      const shown = /new client secret for .*\(keyId ([0-9a-f-]+), expires/.exec(second.err())?.[1];
      expect(shown).toBeDefined();
      const incident = join(out, readdirSync(out)[0]!);
      const notes = await Promise.all(readdirSync(incident).filter((f) => f.endsWith(".jsonl")).map(async (f) => (await readJournal(join(incident, f))).events.map((e) => e.summary)));
      expect(notes.flat().join("\n")).toContain(`the client secret ${lost[0]!.keyId} azir issued in an earlier run of this incident never reached you`);
      expect(passwordKeyIds(emulator, "applications", financeApp.appObjectId)).toEqual([shown]);

      // A third run finds the app rotated: the journals show the secret it holds reached the responder.
      const writes = graphWrites(emulator).length;
      const third = memoryIo();
      expect(await main(["harden", "alex@contoso.com", "--tabletop", "--yes", "--out", out], third, { emulator }), third.err()).toBe(0);
      expect(graphWrites(emulator).length).toBe(writes);
    });
  }

  it("refuses a --secrets-out file that exists, before anything is read or sent", async () => {
    const emulator = await tenant();
    const existing = join(mkdtempSync(join(tmpdir(), "azir-secrets-")), "kept.txt");
    writeFileSync(existing, "an earlier secret\n");
    const { code, io } = await harden(emulator, ["--yes", "--secrets-out", existing]);
    expect(code).toBe(2);
    expect(io.err()).toMatch(/exists/);
    expect(readFileSync(existing, "utf8")).toBe("an earlier secret\n");
    expect(graphWrites(emulator)).toEqual([]);
  });

  it("removes what the attacker planted beyond the user: a role through a group, a membership of a privileged group, a PIM eligibility, a backdated secret on an app reached through another app", async () => {
    const tier0 = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9";
    const payroll = "9c8b7a6f-5e4d-4c3b-a2a1-0f9e8d7c6b5a";
    const own = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    const backdated = "6f5e4d3c-2b1a-4f0e-9d8c-7b6a5f4e3d2c";
    const groupId = "0aa1bb2c-3dd4-4ee5-8ff6-a7b8c9d0e1f2";
    const dir = variant((t, audit) => {
      const template = audit.find((r) => r.OperationName === "Add member to role" && JSON.stringify(r.InitiatedBy).includes("Finance Reporting"))!;
      t.groups = [...(t.groups ?? []), { id: groupId, displayName: "Finance Elevated", isAssignableToRole: true, members: [alexId] }];
      t.roleAssignments = [...(t.roleAssignments ?? []), { id: "grp-pra-planted", principalId: groupId, roleDefinitionId: privilegedRoleAdmin, directoryScopeId: "/" }];
      // a group that has held Global Administrator for years, which alex was added to in the window
      t.groups = [...(t.groups ?? []), { id: tier0, displayName: "Tier0 Admins", isAssignableToRole: true, members: ["1e9d7c5b-3a2f-4e1d-8c6b-5a4f3e2d1c0b", alexId] }];
      t.roleAssignments = [...(t.roleAssignments ?? []), { id: "tier0-ga", principalId: tier0, roleDefinitionId: "62e90394-69f5-4237-9190-012177145e10", directoryScopeId: "/" }];
      audit.push({
        ...template,
        Id: "Directory_PLANTED_GROUP_MEMBER",
        OperationName: "Add member to group",
        ActivityDisplayName: "Add member to group",
        Category: "GroupManagement",
        TimeGenerated: "-3d1h28m",
        ActivityDateTime: "-3d1h30m",
        InitiatedBy: { user: { id: alexId, userPrincipalName: "alex@contoso.com", ipAddress: contosoExpected.attackerIps[0] } },
        TargetResources: [
          { id: alexId, displayName: null, type: "User", userPrincipalName: "alex@contoso.com", modifiedProperties: [] },
          { id: tier0, displayName: "Tier0 Admins", type: "Group", modifiedProperties: [] },
        ],
      });
      // and a PIM eligibility for alex that starts in the window
      t.roleEligibilityScheduleInstances = [...(t.roleEligibilityScheduleInstances ?? []), { id: "elig-pra-planted", principalId: alexId, roleDefinitionId: privilegedRoleAdmin, directoryScopeId: "/", startDateTime: "-3d1h", memberType: "Direct" }];
      audit.push({
        ...template,
        Id: "Directory_PLANTED_GROUP_ROLE",
        TimeGenerated: "-3d1h58m",
        ActivityDateTime: "-3d2h",
        InitiatedBy: { user: { id: alexId, userPrincipalName: "alex@contoso.com", ipAddress: contosoExpected.attackerIps[0] } },
        TargetResources: [
          {
            id: groupId,
            displayName: "Finance Elevated",
            type: "Group",
            modifiedProperties: [
              { displayName: "Role.DisplayName", oldValue: null, newValue: '"Privileged Role Administrator"' },
              { displayName: "Role.TemplateId", oldValue: null, newValue: `"${privilegedRoleAdmin}"` },
            ],
          },
        ],
      });
      t.applications = [
        ...(t.applications ?? []),
        {
          id: payroll,
          appId: "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
          displayName: "Payroll Export",
          passwordCredentials: [
            { keyId: own, displayName: "prod", hint: "pA1", startDateTime: "-200d", endDateTime: "-200d" },
            // The attacker backdated it: only the audit log's key id gives it away.
            { keyId: backdated, displayName: "backup", hint: "zZ9", startDateTime: "-400d", endDateTime: "-400d" },
          ],
          owners: [],
        },
      ];
      const appTemplate = audit.find((r) => String(r.OperationName).startsWith("Update application"))!;
      audit.push({
        ...appTemplate,
        Id: "Directory_PLANTED_PAYROLL_SECRET",
        TimeGenerated: "-3d1h58m",
        ActivityDateTime: "-3d2h",
        InitiatedBy: { app: { appId: "c8e6a4f2-0d8b-4c6a-b4e2-1f0d9c8b7a65", displayName: "Finance Reporting", servicePrincipalId: financeSpId, servicePrincipalName: null } },
        TargetResources: [
          {
            id: payroll,
            displayName: "Payroll Export",
            type: "Application",
            modifiedProperties: [
              { displayName: "KeyDescription", oldValue: `["[KeyIdentifier=${own},KeyType=Password,KeyUsage=Verify,DisplayName=prod]"]`, newValue: `["[KeyIdentifier=${own},KeyType=Password,KeyUsage=Verify,DisplayName=prod]","[KeyIdentifier=${backdated},KeyType=Password,KeyUsage=Verify,DisplayName=backup]"]` },
            ],
          },
        ],
      });
    });
    const emulator = await tenant({ scenarioDir: dir });
    const { code, io, journal } = await harden(emulator, ["--yes"]);
    expect(code, io.err()).toBe(0);
    const flagged = (await findingsOf(journal)).filter((f) => f.code === "harden.new-privileged-assignment" && f.data.kind !== "membership");
    expect(flagged.map((f) => f.data.assignmentId).sort()).toEqual(["elig-pra-planted", "grp-pra-planted", "lAPpYvVpN0KRkAEhdxReEC6cH0-LPW5OmhrefW8sOhA"]);
    const throughGroup = flagged.find((f) => f.data.assignmentId === "grp-pra-planted")!;
    expect(throughGroup.data.reachesUser).toBe("through the group Finance Elevated");
    expect(emulator.state().roleAssignments.map((a) => a.id)).not.toContain("grp-pra-planted");
    // alex's new membership of the group that holds Global Administrator: flagged and removed; the old member stays.
    const membership = (await findingsOf(journal)).find((f) => f.data.kind === "membership");
    expect(membership?.summary).toMatch(/^alex@contoso\.com added to group Tier0 Admins, which holds Global Administrator \(active\): Add member to group at /);
    expect(emulator.state().groups.find((g) => g.id === tier0)?.members).toEqual(["1e9d7c5b-3a2f-4e1d-8c6b-5a4f3e2d1c0b"]);
    expect(emulator.state().roleAssignments.map((a) => a.id)).toContain("tier0-ga");
    // The eligibility goes through a PIM adminRemove request.
    expect(emulator.state().roleEligibilityScheduleInstances.map((e) => e.id)).not.toContain("elig-pra-planted");
    // The app the attacker reached through Finance Reporting: rotated, its backdated secret known by the audit log.
    const keys = passwordKeyIds(emulator, "applications", payroll);
    expect(keys).toHaveLength(1);
    expect(keys).not.toContain(own);
    expect(keys).not.toContain(backdated);
    const secrets = (await findingsOf(journal)).filter((f) => f.code === "harden.app-credential-added" && f.data.objectId === payroll);
    expect(secrets.map((f) => f.data.keyId)).toEqual([backdated]);
    expect(secrets[0]!.summary).toContain("by Finance Reporting");
  });

  it("without the audit log nothing is called clean: roles and consents need a decision, the run says what it could not read, exit 1", async () => {
    const dir = variant(() => undefined);
    rmSync(join(dir, "AuditLogs.json"));
    const emulator = await tenant({ scenarioDir: dir });
    const { code, io } = await harden(emulator, ["--yes"]);
    expect(code).toBe(1);
    const err = io.err();
    expect(err).toMatch(/INCOMPLETE: not read: audit/);
    expect(err).toMatch(/not done.*which privileged role assignments are the attacker's/);
    expect(err).toMatch(/not done.*which consents are the attacker's/);
    expect(err).toMatch(/which app credentials were added in the incident window is not known \(the audit log was not read\)/);
    expect(err).not.toMatch(/no privileged role assignment is new|no consent or app role assignment .* was made/);
    // What needs no audit log still happens: the apps alex owns are rotated.
    expect(passwordKeyIds(emulator, "applications", financeApp.appObjectId)).toHaveLength(1);
    // and what it cannot tell apart is left in place
    expect(emulator.state().oauth2PermissionGrants.map((g) => g.id)).toContain(recovery.consentedApps[0]!.grantId);
  });

  it("a read Graph refuses is said, never taken for clean, and the run exits 1", async () => {
    const dir = variant((t) => {
      t.operator = { ...t.operator!, permissions: (t.operator!.permissions ?? []).filter((p) => p !== "Policy.Read.All") };
    });
    const emulator = await tenant({ scenarioDir: dir });
    const { code, io } = await harden(emulator, ["--yes"]);
    expect(code).toBe(1);
    expect(io.err()).toMatch(/INCOMPLETE: hardening could not read 2 thing\(s\)/);
    // the header never says the data is complete beside it
    expect(io.err()).toMatch(/data: INCOMPLETE/);
    expect(io.err()).not.toMatch(/data: complete/);
    expect(io.err()).toMatch(/not read: the Conditional Access policies/);
    expect(io.err()).not.toMatch(/no Conditional Access policy or named location changed/);
  });

  it("asks before revoking a consent: a refusal sends nothing, a yes removes the grant", async () => {
    const grantId = recovery.consentedApps[0]!.grantId;
    const refused = await tenant();
    const no = await harden(refused, [], { prompt: async () => false });
    expect(no.code).toBe(3);
    expect(graphWrites(refused)).toEqual([]);
    expect(refused.state().oauth2PermissionGrants.map((g) => g.id)).toContain(grantId);
    expect(no.io.err()).toMatch(/DELETE .*\/v1\.0\/oauth2PermissionGrants\//);

    const allowed = await tenant();
    const asked: number[] = [];
    const yes = await harden(allowed, [], { prompt: async () => (asked.push(1), true) });
    expect(yes.code, yes.io.err()).toBe(0);
    expect(asked).toHaveLength(1);
    expect(allowed.state().oauth2PermissionGrants.map((g) => g.id)).not.toContain(grantId);
  });

  it("--dry-run plans every write and sends none", async () => {
    const emulator = await tenant();
    const { code, io, journal } = await harden(emulator, ["--dry-run"]);
    expect(code, io.err()).toBe(0);
    expect(graphWrites(emulator)).toEqual([]);
    const { events } = await readJournal(journal);
    const planned = events.filter((e) => e.kind === "action.planned").map((e) => `${String(e.data.method)} ${String(e.data.url).replace(/^.*\/v1\.0/, "")}`);
    expect(planned).toContain(`POST /applications/${financeApp.appObjectId}/addPassword`);
    expect(planned).toContain(`POST /applications/${financeApp.appObjectId}/removePassword`);
    expect(planned).toContain(`DELETE /oauth2PermissionGrants/${recovery.consentedApps[0]!.grantId}`);
    expect(planned.some((p) => p.startsWith("DELETE /roleManagement/directory/roleAssignments/"))).toBe(true);
  });

  it("a 429 without Retry-After on the Conditional Access policies is retried after a backoff, and the reads stay a second apart", async () => {
    const emulator = await tenant({ faults: { rules: [{ match: { path: "/identity/conditionalAccess/policies$", method: "GET" }, status: 429, times: 1 }] } });
    const { code, io } = await harden(emulator, ["--yes"]);
    expect(code, io.err()).toBe(0);
    const ca = emulator.requests().filter((r) => r.path.includes("/identity/conditionalAccess/"));
    expect(ca.map((r) => `${r.status} ${r.path.replace(/^.*conditionalAccess\//, "")}`)).toEqual(["429 policies", "200 policies", "200 namedLocations"]);
    const t = ca.map((r) => Date.parse(r.time));
    expect(t[1]! - t[0]!).toBeGreaterThanOrEqual(150);
    expect(t[2]! - t[1]!).toBeGreaterThanOrEqual(950);
  });
});

describe("azir release", () => {
  it("is refused while the hardening run left high-severity findings open; --force releases and is recorded", async () => {
    const dir = variant((t) => {
      t.users = (t.users ?? []).map((u) => (u.id === alexId ? { ...u, accountEnabled: false } : u));
    });
    const emulator = await tenant({ scenarioDir: dir });
    const { code: hardened, out } = await harden(emulator, ["--yes"]);
    expect(hardened).toBe(0);
    const writesBefore = graphWrites(emulator).length;

    const io = memoryIo();
    const refused = await main(["release", "alex@contoso.com", "--tabletop", "--out", out, "--reason", "password reset, persistence removed"], io, { emulator });
    expect(refused, io.err()).toBe(3);
    expect(io.err()).toMatch(/refused: \d+ high-severity finding\(s\) of the hardening run are open/);
    expect(io.err()).toContain("harden.named-location-new");
    expect(graphWrites(emulator).length).toBe(writesBefore);
    expect(emulator.state().users.find((u) => u.id === alexId)?.accountEnabled).toBe(false);

    const forced = memoryIo({ env: { AZIR_OPERATOR: "responder@contoso.com" } });
    const code = await main(["release", "alex@contoso.com", "--tabletop", "--out", out, "--reason", "password reset, persistence removed", "--force", "--yes"], forced, { emulator });
    expect(code, forced.err()).toBe(0);
    expect(emulator.state().users.find((u) => u.id === alexId)?.accountEnabled).toBe(true);
    const incident = join(out, readdirSync(out)[0]!);
    const journals = readdirSync(incident).filter((f) => f.endsWith(".jsonl")).map((f) => join(incident, f));
    const events = (await Promise.all(journals.map(async (j) => (await readJournal(j)).events))).flat();
    const notes = events.filter((e) => e.kind === "note").map((e) => e.summary);
    expect(notes).toContain("release of alex@contoso.com by responder@contoso.com: password reset, persistence removed");
    expect(notes.some((n) => /^released with --force: \d+ high-severity finding\(s\) of the hardening run were open/.test(n))).toBe(true);
  });

  it("is refused without a hardening run of the user, and needs --reason", async () => {
    const emulator = await tenant();
    const out = mkdtempSync(join(tmpdir(), "azir-release-"));
    const io = memoryIo();
    expect(await main(["release", "alex@contoso.com", "--tabletop", "--out", out, "--reason", "done"], io, { emulator })).toBe(3);
    expect(io.err()).toMatch(/no hardening run/);
    const noReason = memoryIo();
    expect(await main(["release", "alex@contoso.com", "--tabletop", "--out", out], noReason, { emulator })).toBe(2);
    expect(graphWrites(emulator)).toEqual([]);
  });
});
