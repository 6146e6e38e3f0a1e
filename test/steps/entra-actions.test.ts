import type { Effect } from "../../src/core/effects.js";
import { describe, expect, it } from "vitest";
import { AzirError, ExitCode } from "../../src/core/errors.js";
import { adminTargetNote, explainForbidden } from "../../src/steps/admin-target.js";
import { blockSignIn } from "../../src/steps/entra-block-sign-in.js";
import { confirmCompromised } from "../../src/steps/entra-confirm-compromised.js";
import { revokeSessions } from "../../src/steps/entra-revoke-sessions.js";
import { actionNames, actions, findAction } from "../../src/steps/index.js";
import { actionHarness, decideWith, noteText, runWith } from "../helpers/action-harness.js";
import { FakeGraph, alexId, alexUpn, globalAdminTemplate, http, roleAssignmentsKey, userResources } from "./fake-graph.js";

// As the Graph adapter raises it: the service's words kept in the details.
function forbidden(path: string): AzirError {
  return new AzirError("permission", `Graph answered 403 on PATCH ${path}: "Insufficient privileges to complete the operation." (Authorization_RequestDenied): the request needs User.EnableDisableAccount.All`, {
    details: ["service: Graph", "status: 403", "code: Authorization_RequestDenied", "service said: Insufficient privileges to complete the operation."],
  });
}

describe("entra.blockSignIn", () => {
  it("plans exactly one PATCH of accountEnabled with the declared permission", async () => {
    const graph = new FakeGraph(userResources());
    const input = blockSignIn.input.parse({ upn: alexUpn });
    const { decision } = await decideWith(blockSignIn, input, graph);
    expect(decision.done).toBeUndefined();
    expect(decision.effects).toEqual([
      {
        kind: "graph.request",
        key: "block",
        method: "PATCH",
        path: `/users/${alexId}`,
        body: { accountEnabled: false },
        permission: "User.EnableDisableAccount.All + User.Read.All",
        summary: "block sign-in for alex@contoso.com",
        target: alexUpn,
      },
    ]);
    expect(decision.outputs).toEqual({ userId: alexId, roles: [] });
    expect(decision.notes).toEqual([]);
    // read once: one GET of the user for read and decide (its memberships are read apart, for the admin check)
    expect(graph.reads.filter((r) => /^\/users\/[^/]+$/.test(r.path)).length).toBe(1);
    expect(graph.reads[0]!.path).toBe("/users/alex%40contoso.com");
  });

  it("is done when sign-in is already blocked", async () => {
    const input = blockSignIn.input.parse({ upn: alexUpn });
    const { decision } = await decideWith(blockSignIn, input, new FakeGraph(userResources({ accountEnabled: false })));
    expect(decision.done).toBe("sign-in already blocked");
  });

  it("accepts an object id and refuses anything else before a request is made", async () => {
    expect(blockSignIn.input.safeParse({ upn: alexId }).success).toBe(true);
    for (const bad of ["alex", "alex@contoso.com/../../", "alex@contoso.com?$select=x", "' or 1 eq 1", "../users", ""]) {
      expect(blockSignIn.input.safeParse({ upn: bad }).success, bad).toBe(false);
    }
  });

  it("fails with a not-found AzirError for an unknown user", async () => {
    const input = blockSignIn.input.parse({ upn: "nobody@contoso.com" });
    await expect(decideWith(blockSignIn, input, new FakeGraph())).rejects.toMatchObject({ code: "not-found", message: "no user nobody@contoso.com in the directory" });
  });
});

describe("admin targets", () => {
  const adminGraph = (): FakeGraph =>
    new FakeGraph(
      { ...userResources(), "/roleManagement/directory/roleDefinitions/dddddddd-0000-4000-8000-000000000001": { id: "x", displayName: "Helpdesk Tier 2" } },
      {
        [roleAssignmentsKey]: [
          { id: "ra1", principalId: alexId, roleDefinitionId: globalAdminTemplate, directoryScopeId: "/" },
          { id: "ra2", principalId: alexId, roleDefinitionId: "dddddddd-0000-4000-8000-000000000001", directoryScopeId: "/" },
        ],
      },
    );

  it("notes an administrator target before any write and names the roles in outputs", async () => {
    const h = actionHarness(blockSignIn, adminGraph(), async () => {
      throw new Error("no write expected");
    });
    const prepared = await h.prepare({ upn: alexUpn });
    // journaled when the decision is made, before any write, and once
    expect(h.performed).toEqual([]);
    expect(h.notes()).toEqual([
      "alex@contoso.com holds Global Administrator and Helpdesk Tier 2: acting on an administrator needs Privileged Authentication Administrator or Global Administrator",
    ]);
    expect(prepared.decision.outputs?.roles).toEqual(["Global Administrator", "Helpdesk Tier 2"]);
  });

  it("puts the note among the decision's notes", async () => {
    const { decision } = await decideWith(revokeSessions, revokeSessions.input.parse({ upn: alexUpn }), adminGraph());
    expect(noteText(decision.notes[0]!)).toMatch(/^alex@contoso.com holds Global Administrator and Helpdesk Tier 2: acting on an administrator/);
  });

  it("does not fail when roles cannot be read", async () => {
    const graph = new FakeGraph(userResources(), {}, { [roleAssignmentsKey]: forbidden("/roleManagement/directory/roleAssignments") });
    const input = blockSignIn.input.parse({ upn: alexUpn });
    const { decision } = await decideWith(blockSignIn, input, graph);
    expect(noteText(decision.notes[0]!)).toContain("could not check whether alex@contoso.com holds a directory role (needs RoleManagement.Read.Directory)");
    expect(decision.effects).toHaveLength(1);
  });

  it("says a read the service failed is not a refusal: no missing permission is suggested as the cause", async () => {
    const unavailable = new AzirError("service", "Graph answered 503 on GET /roleManagement/directory/roleAssignments", { details: ["service: Graph", "status: 503", "service said: Service Unavailable"] });
    const graph = new FakeGraph(userResources(), {}, { [roleAssignmentsKey]: unavailable });
    const { decision } = await decideWith(blockSignIn, blockSignIn.input.parse({ upn: alexUpn }), graph);
    const note = noteText(decision.notes[0]!);
    expect(note).toContain("could not read its role assignments");
    expect(note).toContain("the service failed, not a permission");
    expect(note).not.toContain("Graph refused");
  });

  it("explainForbidden turns a 403 on an administrator into the role message", () => {
    const e = explainForbidden(forbidden(`/users/${alexId}`), {
      upn: alexUpn,
      roles: ["Global Administrator"],
      permission: "User.EnableDisableAccount.All + User.Read.All",
      write: "block sign-in for alex@contoso.com",
    });
    expect(e).toBeInstanceOf(AzirError);
    expect(e.code).toBe("permission");
    expect(e.exitCode).toBe(ExitCode.auth);
    // Graph's words first, then the explanation
    expect(e.message).toBe(`Graph refused to block sign-in for alex@contoso.com: "Insufficient privileges to complete the operation.": ${adminTargetNote(alexUpn, ["Global Administrator"])}`);
    expect(e.message).toBe(
      'Graph refused to block sign-in for alex@contoso.com: "Insufficient privileges to complete the operation.": alex@contoso.com holds Global Administrator: acting on an administrator needs Privileged Authentication Administrator or Global Administrator',
    );
    expect(e.hint).toContain("Privileged Authentication Administrator");
    expect(e.hint).toContain("User.EnableDisableAccount.All + User.Read.All");
    expect(e.details).toContain("status: 403");
  });

  it("explainForbidden names the missing permission for a regular user, and leaves other errors alone", () => {
    const e = explainForbidden(forbidden(`/users/${alexId}`), { upn: alexUpn, roles: [], permission: "User.RevokeSessions.All" });
    expect(e.message).toBe('Graph refused the write on alex@contoso.com: "Insufficient privileges to complete the operation.": the identity lacks User.RevokeSessions.All');
    expect(e.exitCode).toBe(4);
    const other = new AzirError("service", "Graph answered 500");
    expect(explainForbidden(other, { upn: alexUpn, roles: ["Global Administrator"] })).toBe(other);
  });

  it("a 403 from the write gate for an administrator is translated", async () => {
    const perform = async (e: Effect): Promise<unknown> => {
      throw forbidden(http(e).path);
    };
    await expect(runWith(blockSignIn, { upn: alexUpn }, adminGraph(), perform)).rejects.toMatchObject({
      code: "permission",
      message: expect.stringContaining("holds Global Administrator and Helpdesk Tier 2"),
    });
  });
});

describe("entra.revokeSessions", () => {
  const parse = (extra: Record<string, unknown>) => revokeSessions.input.parse({ upn: alexUpn, ...extra });

  it("plans the POST and records when to verify", async () => {
    const input = parse({ incidentStart: "2026-11-20T08:00:00Z", lastSuccessAt: "2026-11-24T22:00:00Z" });
    const { decision } = await decideWith(revokeSessions, input, new FakeGraph(userResources()));
    expect(decision.done).toBeUndefined();
    expect(decision.effects).toEqual([
      {
        kind: "graph.request",
        key: "revoke",
        method: "POST",
        path: `/users/${alexId}/revokeSignInSessions`,
        permission: "User.RevokeSessions.All",
        summary: "revoke refresh tokens and sessions of alex@contoso.com",
        target: alexUpn,
      },
    ]);
    expect(decision.outputs).toMatchObject({ userId: alexId, revokedAt: null, verifyAfter: "2026-11-25T09:15:00.000Z" });
    expect(decision.notes.map(noteText).join("\n")).not.toContain("propagate"); // noted once, when the revocation is sent (interpret)
  });

  it("the run stamps the actual revocation time and the verify time", async () => {
    const h = actionHarness(revokeSessions, new FakeGraph(userResources()), async () => ({ value: true }));
    const prepared = await h.prepare({ upn: alexUpn, incidentStart: "2026-11-20T08:00:00Z" });
    h.clock.advance(4 * 60_000); // a confirmation prompt waited four minutes
    const before = h.notes().length;
    const result = await h.run(prepared);
    expect(h.performed).toEqual(prepared.decision.effects);
    expect(result.outputs).toMatchObject({ revokedAt: "2026-11-25T09:04:00.000Z", verifyAfter: "2026-11-25T09:19:00.000Z" });
    expect(h.notes().slice(before)[0]).toContain("run `azir verify alex@contoso.com` after 2026-11-25T09:19:00.000Z");
  });

  it("treats value:false as a failure", async () => {
    await expect(runWith(revokeSessions, { upn: alexUpn }, new FakeGraph(userResources()), async () => ({ value: false }))).rejects.toMatchObject({ code: "service" });
  });

  it("is done only when sessions were revoked after both the incident start and the last success", async () => {
    const revokedAt = "2026-11-25T08:30:00Z";
    const cases: Array<[Record<string, unknown>, boolean]> = [
      [{ incidentStart: "2026-11-20T08:00:00Z", lastSuccessAt: "2026-11-25T08:00:00Z" }, true],
      [{ incidentStart: "2026-11-20T08:00:00Z", lastSuccessAt: "2026-11-25T08:45:00Z" }, false],
      [{ incidentStart: "2026-11-25T08:30:00Z", lastSuccessAt: "2026-11-25T08:30:00Z" }, false], // not strictly later
      [{ incidentStart: "2026-11-20T08:00:00Z", lastSuccessAt: null }, false], // no last success to compare with
      [{ incidentStart: null, lastSuccessAt: "2026-11-25T08:00:00Z" }, true],
      [{ incidentStart: null, lastSuccessAt: null }, false],
      [{}, false],
    ];
    for (const [extra, done] of cases) {
      const { decision } = await decideWith(revokeSessions, parse(extra), new FakeGraph(userResources({ signInSessionsValidFromDateTime: revokedAt })));
      expect(decision.done !== undefined, JSON.stringify(extra)).toBe(done);
      if (decision.done !== undefined) expect(decision.done).toContain("sessions were last revoked at 2026-11-25T08:30:00Z");
    }
  });

  it("refuses a malformed time", () => {
    expect(revokeSessions.input.safeParse({ upn: alexUpn, incidentStart: "yesterday" }).success).toBe(false);
    expect(revokeSessions.input.parse({ upn: alexUpn, incidentStart: "" }).incidentStart).toBeNull();
  });
});

describe("entra.confirmCompromised", () => {
  const riskyPath = `/identityProtection/riskyUsers/${alexId}`;

  it("is not done when Identity Protection has no record (404), and plans the POST", async () => {
    const input = confirmCompromised.input.parse({ upn: alexUpn });
    const { decision } = await decideWith(confirmCompromised, input, new FakeGraph(userResources()));
    expect(decision.done).toBeUndefined();
    expect(decision.effects).toEqual([
      {
        kind: "graph.request",
        key: "confirm",
        method: "POST",
        path: "/identityProtection/riskyUsers/confirmCompromised",
        body: { userIds: [alexId] },
        permission: "IdentityRiskyUser.ReadWrite.All",
        summary: "confirm alex@contoso.com compromised in Identity Protection",
        target: alexUpn,
      },
    ]);
    expect(noteText(decision.notes[0]!)).toContain("1 request per second per tenant");
  });

  it("is not done while the user is only at risk, done once confirmed", async () => {
    const input = confirmCompromised.input.parse({ upn: alexUpn });
    const atRisk = new FakeGraph({ ...userResources(), [riskyPath]: { id: alexId, riskState: "atRisk", riskLevel: "high" } });
    expect((await decideWith(confirmCompromised, input, atRisk)).decision.done).toBeUndefined();
    const confirmed = new FakeGraph({ ...userResources(), [riskyPath]: { id: alexId, riskState: "confirmedCompromised", riskLastUpdatedDateTime: "2026-11-25T08:40:00Z" } });
    expect((await decideWith(confirmCompromised, input, confirmed)).decision.done).toBe(
      "already confirmed compromised in Identity Protection (since 2026-11-25T08:40:00Z)",
    );
  });
});

describe("registry", () => {
  it("registers the containment actions in order, then the VM-forensics ones, then the recovery ones, with their permissions", () => {
    expect(actionNames).toEqual([
      "entra.blockSignIn",
      "entra.revokeSessions",
      "entra.removeAuthMethods",
      "entra.confirmCompromised",
      "arm.snapshotDisks",
      "arm.lockEvidence",
      "arm.exportSnapshots",
      "entra.rotateAppCredentials",
      "entra.removePrivilegedAssignments",
      "entra.revokeConsents",
      "entra.reviewConditionalAccess",
      "entra.enableSignIn",
    ]);
    for (const name of actionNames) {
      const action = findAction(name)!;
      expect(action.name).toBe(name);
      expect(action.permissions.length).toBeGreaterThan(0);
      expect(action.description).not.toBe("");
    }
    expect(actions["entra.removeAuthMethods"]!.permissions).toContain("UserAuthenticationMethod.ReadWrite.All");
    expect(actions["entra.rotateAppCredentials"]!.permissions).toContain("Application.ReadWrite.All");
    expect(actions["entra.removePrivilegedAssignments"]!.permissions).toContain("RoleManagement.ReadWrite.Directory");
    expect(findAction("toString")).toBeUndefined();
    expect(actions["constructor"]).toBeUndefined();
    expect(findAction("entra.deleteUser")).toBeUndefined();
  });
});
