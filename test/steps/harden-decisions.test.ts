import { describe, expect, it } from "vitest";
import { createPacer } from "../../src/azure/graph.js";
import type { Effect, EffectDescription } from "../../src/core/effects.js";
import { WriteGate } from "../../src/runbook/gate.js";
import { openFindings, unreadAreas } from "../../src/runbook/recovery.js";
import { bodyHash, type TenantBaseline } from "../../src/steps/baseline.js";
import { decidePrivilegedAssignments, removePrivilegedAssignmentsInput, type PrivilegedRolesObservation, type RoleMember } from "../../src/steps/entra-remove-privileged-assignments.js";
import { decideConditionalAccess, reviewConditionalAccessInput } from "../../src/steps/entra-review-conditional-access.js";
import { decideConsents, revokeConsentsInput } from "../../src/steps/entra-revoke-consents.js";
import { decideRotation, rotateAppCredentialsInput, type AppInScope } from "../../src/steps/entra-rotate-app-credentials.js";
import type { TimelineEvent } from "../../src/timeline/event.js";
import type { EventInput } from "../../src/timeline/event.js";

// The hardening decisions are pure: what was read in, effects, findings and notes out.

type GraphEffect = Extract<Effect, { kind: "graph.request" }>;
/** The decision's effects as the Graph requests they all are. */
const graphEffects = (d: { effects: readonly Effect[] }): GraphEffect[] => d.effects.filter((e): e is GraphEffect => e.kind === "graph.request");

const now = new Date("2026-11-25T12:00:00Z");
const start = "2026-11-24T08:00:00Z";
const user = { id: "11111111-1111-4111-8111-111111111111", userPrincipalName: "kim@fabrikam.example" };
const complete = { now, incomplete: [] };
const appId = "a4c2e0f8-6b4d-4f2a-9e8c-7d6b5a4c3e21";
const spId = "d5b3f1a9-7e5c-4a3b-8f1d-2c0b9a8e7d46";
const own = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b";
const planted = "f7e6d5c4-b3a2-4190-8f7e-6d5c4b3a2918";
const plantedSp = "0b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e";

const op = (o: Partial<Record<string, unknown>>) => ({ code: "audit.app-updated", at: "2026-11-24T10:00:00Z", operationName: "Update application – Certificates and secrets management ", result: "success", initiatedBy: "kim@fabrikam.example", ip: "203.0.113.9", target: "", afterIncidentStart: true, id: "audit-1", targetId: appId, targetType: "Application", ...o });

function apps(): AppInScope[] {
  return [
    { kind: "application", id: appId, displayName: "Reporting", passwordCredentials: [{ keyId: own, displayName: "prod", startDateTime: "2025-01-01T00:00:00Z" }, { keyId: planted, displayName: "sync", startDateTime: "2026-11-24T10:00:00Z" }], keyCredentials: [{ keyId: "c0c0c0c0-0000-4000-8000-000000000001", displayName: "CN=reporting" }], why: ["owned by kim@fabrikam.example"] },
    { kind: "servicePrincipal", id: spId, displayName: "Reporting", passwordCredentials: [{ keyId: plantedSp, startDateTime: "2026-11-24T09:55:00Z" }], keyCredentials: [], why: ["Add service principal credentials"] },
  ];
}

describe("entra.rotateAppCredentials decides", () => {
  const input = (extra: Record<string, unknown> = {}) =>
    rotateAppCredentialsInput.parse({ upn: user.userPrincipalName, incidentStart: start, operations: [op({ keyIds: [planted] }), op({ code: "audit.sp-credentials-added", targetId: spId, targetType: "ServicePrincipal", keyIds: [plantedSp] })], ...extra });

  it("a new secret first (a secret answer), the attacker's secrets removed at once, the old ones only once the new one exists", () => {
    const d = decideRotation(input(), { user, upn: user.userPrincipalName, apps: apps(), editorRoles: [], gaps: [] }, complete);
    const summary = graphEffects(d).map((e) => `${e.phase ?? 0} ${e.method} ${e.path} ${JSON.stringify(e.body)}${e.secretResult ? " secret" : ""}${e.requires ? ` after ${e.requires.join(",")}` : ""}`);
    expect(summary).toEqual([
      `0 POST /applications/${appId}/addPassword {"passwordCredential":{"displayName":"azir rotation 2026-11-25","endDateTime":"2027-05-24T12:00:00.000Z"}} secret`,
      `0 POST /applications/${appId}/removePassword {"keyId":"${planted}"}`,
      `1 POST /applications/${appId}/removePassword {"keyId":"${own}"} after add:${appId}`,
      `0 POST /servicePrincipals/${spId}/removePassword {"keyId":"${plantedSp}"}`,
    ]);
    expect(d.findings?.map((f) => `${f.code} ${String(f.data?.keyId)} ${String(f.data?.fix)}`)).toEqual([
      `harden.app-credential-added ${planted} POST /applications/${appId}/removePassword`,
      `harden.app-credential-added ${plantedSp} POST /servicePrincipals/${spId}/removePassword`,
    ]);
    // Certificates are listed, not removed, unless the responder asks.
    expect(d.notes.map(String).join("\n")).toMatch(/1 certificate\(s\) .*removeKey/);
    const all = decideRotation(input({ removeCertificates: true }), { user, upn: user.userPrincipalName, apps: apps(), editorRoles: [], gaps: [] }, complete);
    expect(graphEffects(all).filter((e) => e.method === "PATCH").map((e) => [e.path, e.body])).toEqual([[`/applications/${appId}`, { keyCredentials: [] }]]);
  });

  it("after a run interrupted between the new secret and the removals, the secret azir issued is the replacement: no second one", () => {
    const [app] = apps();
    const issued = { keyId: "d0d0d0d0-0000-4000-8000-000000000009", displayName: "azir rotation 2026-11-25", startDateTime: "2026-11-25T11:00:00Z" };
    const d = decideRotation(input(), { user, upn: user.userPrincipalName, apps: [{ ...app!, passwordCredentials: [...app!.passwordCredentials, issued] }], editorRoles: [], gaps: [] }, complete);
    expect(graphEffects(d).map((e) => `${e.phase ?? 0} ${e.path} ${JSON.stringify(e.body)}${e.requires ? " after" : ""}`)).toEqual([
      `0 /applications/${appId}/removePassword {"keyId":"${planted}"}`,
      `0 /applications/${appId}/removePassword {"keyId":"${own}"}`,
    ]);
  });

  it("without the audit log it says the window's apps are not known, and rotates the owned ones", () => {
    const d = decideRotation(rotateAppCredentialsInput.parse({ upn: user.userPrincipalName, incidentStart: start, operations: null }), { user, upn: user.userPrincipalName, apps: apps().slice(0, 1), editorRoles: ["Application Administrator"], gaps: [{ what: "the apps kim owns", said: "403" }] }, complete);
    const notes = d.notes.map((n) => (typeof n === "string" ? n : n.summary));
    expect(notes).toContain("not read: the apps kim owns: 403");
    expect(notes.some((n) => /not known \(the audit log was not read\)/.test(n))).toBe(true);
    expect(notes.some((n) => /Application Administrator, which can add credentials to every app registration/.test(n))).toBe(true);
    expect(notes.some((n) => /^no app registration/.test(n))).toBe(false);
  });
});

const member = (m: Partial<RoleMember>): RoleMember => ({ id: "ra-1", kind: "active", principalId: user.id, principalType: "user", principalName: user.userPrincipalName, roleDefinitionId: "62e90394-69f5-4237-9190-012177145e10", roleName: "Global Administrator", directoryScopeId: "/", startDateTime: null, ...m });

describe("entra.removePrivilegedAssignments decides", () => {
  const groupId = "22222222-2222-4222-8222-222222222222";
  const observed = (members: RoleMember[], baseline?: PrivilegedRolesObservation["baseline"]): PrivilegedRolesObservation => ({ user, upn: user.userPrincipalName, members, userGroups: [{ id: groupId, displayName: "Elevated" }], gaps: [], ...(baseline ? { baseline } : {}) });

  it("flags an assignment the audit log dates in the window, a group's one as reaching the user, and removes the active ones", () => {
    const input = removePrivilegedAssignmentsInput.parse({ upn: user.userPrincipalName, incidentStart: start, operations: [op({ code: "audit.role-member-added", targetId: groupId, targetType: "Group", roleTemplateId: "e8611ab8-c189-46e8-94e1-60213ab1f814" })] });
    const d = decidePrivilegedAssignments(input, observed([member({}), member({ id: "ra-2", principalId: groupId, principalType: "group", principalName: "Elevated", roleDefinitionId: "e8611ab8-c189-46e8-94e1-60213ab1f814", roleName: "Privileged Role Administrator" }), member({ id: "el-1", kind: "eligible", startDateTime: "2026-11-24T11:00:00Z" })]), complete);
    expect(d.findings?.map((f) => `${String(f.data?.assignmentId)} ${String(f.data?.reachesUser)}`)).toEqual(["ra-2 through the group Elevated", "el-1 directly"]);
    expect(graphEffects(d).map((e) => `${e.method} ${e.path} ${JSON.stringify(e.body ?? null)}`)).toEqual([
      "DELETE /roleManagement/directory/roleAssignments/ra-2 null",
      `POST /roleManagement/directory/roleEligibilityScheduleRequests {"action":"adminRemove","principalId":"${user.id}","roleDefinitionId":"62e90394-69f5-4237-9190-012177145e10","directoryScopeId":"/","justification":"azir harden: an eligibility new in the incident window"}`,
    ]);
  });

  it("a member added to a group that holds a privileged role is flagged and removed from the group, the group's old role stays", () => {
    const input = removePrivilegedAssignmentsInput.parse({ upn: user.userPrincipalName, incidentStart: start, operations: [] });
    const old = member({ id: "ra-g", principalId: groupId, principalType: "group", principalName: "Tier0" });
    const seen = { ...observed([old]), groupMembers: { [groupId]: [{ id: "aaaaaaaa-0000-4000-8000-000000000001", name: "ops@fabrikam.example" }, { id: user.id, name: user.userPrincipalName }] } };
    // by the directory audit of the window
    const byAudit = decidePrivilegedAssignments(input, { ...seen, additions: [{ groupId, memberId: user.id, at: "2026-11-24T09:00:00Z", by: "kim@fabrikam.example", auditId: "a1" }] }, complete);
    expect(graphEffects(byAudit).map((e) => `${e.method} ${e.path}`)).toEqual([`DELETE /groups/${groupId}/members/${user.id}/$ref`]);
    expect(byAudit.findings?.[0]?.data).toMatchObject({ kind: "membership", reachesUser: "through the group Tier0" });
    // by the baseline's record of the group's members
    const byBaseline = decidePrivilegedAssignments(input, { ...seen, baseline: { ids: ["ra-g"], capturedAt: "2026-10-01T00:00:00Z", covers: true, groupMembers: { [groupId]: ["aaaaaaaa-0000-4000-8000-000000000001"] } } }, complete);
    expect(byBaseline.findings?.map((f) => f.summary)).toEqual([expect.stringMatching(/^kim@fabrikam\.example added to group Tier0, which holds Global Administrator \(active\): not a member in the baseline/)]);
  });

  it("with neither the window nor a baseline, it cannot tell: needs a decision, never 'nothing new'", () => {
    const input = removePrivilegedAssignmentsInput.parse({ upn: user.userPrincipalName, incidentStart: null, operations: [] });
    const d = decidePrivilegedAssignments(input, observed([member({})]), complete);
    expect(d.undecided?.items.map((i) => i.id)).toEqual(["ra-1"]);
    expect(d.notes.map(String).some((n) => /^no privileged role assignment is new/.test(n))).toBe(false);
    // A baseline settles it.
    const known = decidePrivilegedAssignments(input, observed([member({}), member({ id: "ra-9" })], { ids: ["ra-1"], capturedAt: "2026-10-01T00:00:00Z", covers: true }), complete);
    expect(known.undecided).toBeUndefined();
    expect(known.findings?.map((f) => f.data?.assignmentId)).toEqual(["ra-9"]);
  });
});

describe("entra.revokeConsents decides", () => {
  const client = "33333333-3333-4333-8333-333333333333";
  const grants = [
    { id: "grant-phish", clientId: client, consentType: "Principal", principalId: user.id, resourceId: "44444444-4444-4444-8444-444444444444", scope: " Mail.Read offline_access" },
    { id: "grant-old", clientId: "55555555-5555-4555-8555-555555555555", consentType: "Principal", principalId: user.id, resourceId: "44444444-4444-4444-8444-444444444444", scope: "User.Read" },
  ];
  const observed = { user, upn: user.userPrincipalName, grants, appRoleAssignments: [], clients: { [client]: "Mail Sync" }, gaps: [] };

  it("revokes the grant of the app consented to in the window and keeps the others for review", () => {
    const d = decideConsents(revokeConsentsInput.parse({ upn: user.userPrincipalName, incidentStart: start, operations: [op({ code: "audit.consent-non-admin", targetId: client })] }), observed, complete);
    expect(graphEffects(d).map((e) => `${e.method} ${e.path}`)).toEqual(["DELETE /oauth2PermissionGrants/grant-phish"]);
    expect(d.findings?.[0]?.summary).toMatch(/delegated consent to Mail Sync .*scopes Mail\.Read offline_access/);
    expect(d.notes.map(String).join("\n")).toMatch(/1 other delegated grant\(s\) .* kept for review/);
  });

  it("without the audit log the grants are a decision, not 'none in the window'", () => {
    const d = decideConsents(revokeConsentsInput.parse({ upn: user.userPrincipalName, incidentStart: start, operations: null }), observed, complete);
    expect(d.effects).toEqual([]);
    expect(d.undecided?.items.map((i) => i.id)).toEqual(["grant-phish", "grant-old"]);
  });
});

describe("entra.reviewConditionalAccess decides", () => {
  const policy = { id: "66666666-6666-4666-8666-666666666666", displayName: "Require MFA", state: "enabled", modifiedDateTime: "2026-01-01T00:00:00Z", conditions: { users: { excludeUsers: [] } } };
  const location = { "@odata.type": "#microsoft.graph.ipNamedLocation", id: "77777777-7777-4777-8777-777777777777", displayName: "Branch", isTrusted: true, createdDateTime: "2026-11-24T09:00:00Z", modifiedDateTime: "2026-11-24T09:00:00Z", ipRanges: [{ cidrAddress: "198.51.100.0/24" }] };

  it("flags a trusted named location created in the window and a policy whose body differs from the baseline", () => {
    const changed = { ...policy, conditions: { users: { excludeUsers: [user.id] } } };
    const d = decideConditionalAccess(
      reviewConditionalAccessInput.parse({ upn: user.userPrincipalName, incidentStart: start, operations: [] }),
      { policies: [changed], namedLocations: [location], gaps: [], baseline: { capturedAt: "2026-10-01T00:00:00Z", policies: new Map([[policy.id, bodyHash(policy)]]), namedLocations: new Map() } },
      complete,
    );
    expect(d.effects).toEqual([]);
    expect(d.findings?.map((f) => `${f.code} ${f.severity}`)).toEqual(["harden.ca-policy-changed medium", "harden.named-location-new high"]);
    expect(d.findings?.[1]?.summary).toMatch(/"Branch" \(trusted\) 198\.51\.100\.0\/24: created at .* in the incident window; not in the baseline/);
  });

  it("a policy saved again unchanged keeps its hash", () => {
    expect(bodyHash({ ...policy, modifiedDateTime: "2026-11-24T10:00:00Z" })).toBe(bodyHash(policy));
    expect(bodyHash({ ...policy, state: "disabled" })).not.toBe(bodyHash(policy));
  });
});

describe("the open findings of a hardening run", () => {
  const event = (kind: string, data: Record<string, unknown>, summary = "x"): TimelineEvent => ({ kind, data, summary, seq: 0, recordedAt: now.toISOString(), mode: "tabletop", runId: "r", incidentId: "i", prev: "", hash: "" }) as unknown as TimelineEvent;

  it("what the run did not read is open too: gaps, an optional step that did not complete, what an action could not read", () => {
    const events = [
      { ...event("gap", { query: "audit-for-user", code: "timeout" }), step: "audit" },
      { ...event("note", {}, "office (optional) did not complete: table not found"), step: "office" },
      { ...event("step.completed", { status: "completed", outputs: { unread: ["the named locations"] } }), step: "conditional-access" },
      { ...event("step.completed", { status: "completed", outputs: { unread: [] } }), step: "consents" },
    ] as TimelineEvent[];
    expect(unreadAreas(events)).toEqual(["audit: timeout", "office (optional) did not complete: table not found", "conditional-access: not read: the named locations"]);
  });

  it("a PIM removal closes the finding of the eligibility it names, not another one", () => {
    const fix = "POST /roleManagement/directory/roleEligibilityScheduleRequests";
    const events = [
      event("finding", { code: "harden.new-privileged-assignment", severity: "high", occurredAt: start, data: { fix, fixBody: { action: "adminRemove", principalId: "p1", roleDefinitionId: "r" } } }),
      event("finding", { code: "harden.new-privileged-assignment", severity: "high", occurredAt: start, data: { fix, fixBody: { action: "adminRemove", principalId: "p2", roleDefinitionId: "r" } } }),
      event("action", { request: { method: "POST", url: "https://graph.microsoft.com/v1.0/roleManagement/directory/roleEligibilityScheduleRequests", body: { action: "adminRemove", principalId: "p1", roleDefinitionId: "r", directoryScopeId: "/" } } }),
    ];
    expect(openFindings(events).length).toBe(1);
  });

  it("a finding whose fix was sent is closed; one azir cannot fix, or whose fix failed, stays open", () => {
    const events = [
      event("finding", { code: "harden.consent-in-window", severity: "high", occurredAt: start, data: { fix: "DELETE /oauth2PermissionGrants/g1" } }),
      event("finding", { code: "harden.consent-in-window", severity: "high", occurredAt: start, data: { fix: "DELETE /oauth2PermissionGrants/g2" } }),
      event("finding", { code: "harden.named-location-new", severity: "high", occurredAt: start, data: {} }),
      event("finding", { code: "office.forwarding-rule", severity: "high", occurredAt: start }),
      event("finding", { code: "harden.ca-policy-changed", severity: "medium", occurredAt: start, data: {} }),
      event("finding", { code: "signin.high-risk-success", severity: "high", occurredAt: start }),
      event("action", { request: { method: "DELETE", url: "https://graph.microsoft.com/v1.0/oauth2PermissionGrants/g1" } }),
      event("error", { request: { method: "DELETE", url: "https://graph.microsoft.com/v1.0/oauth2PermissionGrants/g2" } }),
    ];
    expect(openFindings(events).map((f) => `${f.code} ${f.fix ?? "-"}`)).toEqual(["harden.consent-in-window DELETE /oauth2PermissionGrants/g2", "harden.named-location-new -", "office.forwarding-rule -"]);
  });
});

describe("the write gate", () => {
  it("does not send an effect whose prerequisite failed, and journals it as not sent", async () => {
    const journaled: EventInput[] = [];
    const sent: string[] = [];
    const gate = new WriteGate({
      record: false,
      endpoints: { graph: "https://graph.microsoft.com", arm: "https://management.azure.com" },
      journal: { append: (e: EventInput) => (journaled.push(e), e) } as never,
      performer: {
        perform: async (e: Effect) => {
          sent.push(e.key);
          if (e.key === "add") throw new Error("refused");
          return {};
        },
      },
      secrets: { receive: (_d: EffectDescription, _v: unknown) => true },
    });
    const effect = (key: string, phase: number, requires?: string[]): Effect => ({ kind: "graph.request", key, method: "POST", path: `/x/${key}`, permission: "P", summary: key, target: "t", phase, ...(requires ? { requires } : {}) });
    const result = await gate.apply("s", "a", [effect("add", 0), effect("remove-attacker", 0), effect("remove-old", 1, ["add"])]);
    expect(sent).toEqual(["add", "remove-attacker"]);
    expect(result.recorded ? [] : result.outcomes.map((o) => `${o.effect.key} ${o.ok}`)).toEqual(["add false", "remove-attacker true", "remove-old false"]);
    expect(journaled.some((e) => e.kind === "error" && /remove-old: failed: not sent: it waits on add/.test(e.summary))).toBe(true);
  });
});

describe("Conditional Access pacing in the Graph adapter", () => {
  it("sends Conditional Access reads a second apart, one at a time; other reads are not held", async () => {
    let t = 0;
    const slept: number[] = [];
    const pace = createPacer({ now: () => t, sleep: async (ms) => void (slept.push(ms), (t += ms)) });
    const order: string[] = [];
    const read = (path: string, took: number) => pace(path, async () => (order.push(path), (t += took), path));
    await Promise.all([read("/identity/conditionalAccess/policies", 100), read("/identity/conditionalAccess/namedLocations", 50), read("/users/x", 10)]);
    expect(order).toEqual(["/users/x", "/identity/conditionalAccess/policies", "/identity/conditionalAccess/namedLocations"]);
    expect(slept).toEqual([1000]);
  });
});
