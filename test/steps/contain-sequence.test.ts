import { describe, expect, it } from "vitest";
import { AzirError } from "../../src/core/errors.js";
import type { Effect, EffectPerformer } from "../../src/core/effects.js";
import type { Endpoints, Ports } from "../../src/core/ports.js";
import { executeRunbook } from "../../src/runbook/execute.js";
import { parseRunbook } from "../../src/runbook/load.js";
import { phoneMethodIds } from "../../src/entra/facts.js";
import { actions } from "../../src/steps/index.js";
import type { EventInput } from "../../src/timeline/event.js";
import { FakeGraph, alexId, alexUpn, globalAdminTemplate, makeContext, roleAssignmentsKey, user } from "./fake-graph.js";

// The containment sequence through the runbook executor, against a small in-memory tenant whose effect performer
// applies Graph's rules (the default method cannot go while any other method, the password included, remains). It
// checks the contract between the actions and the executor: the decision's note before the first write, the
// attacker's default moved first only when the responder allows it (else left for the responder, exit 1), and a
// second run skipping every action.

const runbook = `
id: contain-test
title: Containment sequence
params:
  upn: { type: upn, required: true }
  changeDefault: { type: boolean, default: false }
steps:
  - id: block
    action: entra.blockSignIn
    with: { upn: "{{ params.upn }}" }
  - id: revoke
    action: entra.revokeSessions
    after: [block]
    with: { upn: "{{ params.upn }}", incidentStart: "2026-11-20T08:00:00Z", lastSuccessAt: "2026-11-25T08:50:00Z" }
  - id: remove-methods
    action: entra.removeAuthMethods
    after: [revoke]
    with:
      upn: "{{ params.upn }}"
      incidentStart: "2026-11-20T08:00:00Z"
      registrations:
        - { at: "2026-11-20T08:20:00Z", methodType: phone, phoneType: alternateMobile, detail: "User registered security info", initiatedBy: alex@contoso.com, afterIncidentStart: true }
      changeDefault: "{{ params.changeDefault }}"
  - id: confirm
    action: entra.confirmCompromised
    after: [remove-methods]
    with: { upn: "{{ params.upn }}" }
`;

const methodsPath = `/users/${alexId}/authentication/methods`;
const riskyPath = `/identityProtection/riskyUsers/${alexId}`;
const evilApp = { "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", id: "aaaaaaaa-0000-4000-8000-000000000002", displayName: "SM-G991B", createdDateTime: "2026-11-20T08:14:00Z" };
const evilAlternate = { "@odata.type": "#microsoft.graph.phoneAuthenticationMethod", id: phoneMethodIds.alternateMobile, phoneType: "alternateMobile" };
const ownApp = { "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", id: "aaaaaaaa-0000-4000-8000-000000000001", createdDateTime: "2025-01-01T00:00:00Z" };
const password = { "@odata.type": "#microsoft.graph.passwordAuthenticationMethod", id: "28c10230-6103-485e-b985-444c60001490" };

function tenant(own: unknown[] = []) {
  const u = user();
  const graph = new FakeGraph(
    { [`/users/${encodeURIComponent(alexUpn)}`]: u, [`/users/${alexId}`]: u, [riskyPath]: { id: alexId, riskState: "atRisk", riskLevel: "high" } },
    {
      [methodsPath]: [password, ...own, evilApp, evilAlternate],
      [roleAssignmentsKey]: [{ id: "ra", principalId: alexId, roleDefinitionId: globalAdminTemplate, directoryScopeId: "/" }],
    },
  );
  const ctx = makeContext(graph);
  // The attacker made their phone the default method; the registration report names its type.
  let defaultMethod = evilAlternate.id;
  const reportPath = `/reports/authenticationMethods/userRegistrationDetails/${alexId}`;
  graph.resources[reportPath] = { id: alexId, userPreferredMethodForSecondaryAuthentication: "voiceAlternateMobile" };
  const sent: string[] = [];
  const effects: EffectPerformer = {
    async perform(w: Effect): Promise<unknown> {
      // The tenant decides when the request arrives; the answer comes back a little later.
      const answer = decide(w);
      await new Promise((r) => setTimeout(r, 2));
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  function decide(w: Effect): unknown {
    try {
      return applyWrite(w);
    } catch (error) {
      return error;
    }
  }
  function applyWrite(w: Effect): unknown {
    if (w.kind === "snapshot.export") throw new Error("no snapshot export in containment");
    if (w.method === "PATCH" && w.path === `/users/${alexId}`) {
      Object.assign(u, w.body);
    } else if (w.method === "POST" && w.path.endsWith("/revokeSignInSessions")) {
      u.signInSessionsValidFromDateTime = ctx.clock.now().toISOString();
      sent.push(`${w.method} ${w.path}`);
      return { value: true };
    } else if (w.method === "PATCH" && w.path.endsWith("/authentication/signInPreferences")) {
      expect(w.kind === "graph.request" && w.version).toBe("beta");
      defaultMethod = ownApp.id;
      graph.resources[reportPath] = { id: alexId, userPreferredMethodForSecondaryAuthentication: (w.body as { userPreferredMethodForSecondaryAuthentication: string }).userPreferredMethodForSecondaryAuthentication };
    } else if (w.method === "DELETE") {
      const id = decodeURIComponent(w.path.split("/").at(-1)!);
      const methods = graph.collections[methodsPath] as Array<{ id: string; "@odata.type": string }>;
      const others = methods.filter((m) => m.id !== id);
      if (id === defaultMethod && others.length > 0) {
        sent.push(`refused ${w.path}`);
        throw Object.assign(
          new AzirError("service", `Graph answered 400 on DELETE ${w.path}: Cannot delete default method with other methods configured.`, { details: ["status: 400", "code: badRequest"] }),
          { status: 400 },
        );
      }
      graph.collections[methodsPath] = methods.filter((m) => m.id !== id);
    } else if (w.path === "/identityProtection/riskyUsers/confirmCompromised") {
      graph.resources[riskyPath] = { id: alexId, riskState: "confirmedCompromised", riskLastUpdatedDateTime: ctx.clock.now().toISOString() };
    }
    sent.push(`${w.method} ${w.path}`);
    return undefined;
  }
  return { graph, ctx, effects, sent, user: u };
}

const endpoints: Endpoints = { graph: "https://graph.microsoft.com", logs: "https://api.loganalytics.io", arm: "https://management.azure.com", authority: "https://login.microsoftonline.com" };

async function run(t: ReturnType<typeof tenant>, dryRun: boolean, changeDefault = false) {
  const loaded = parseRunbook(runbook, "contain-test.yaml");
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  const events: EventInput[] = [];
  const ports: Ports = { logs: t.ctx.logs, graph: t.graph, arm: t.ctx.arm, storage: t.ctx.storage, effects: t.effects };
  const result = await executeRunbook({
    loaded: loaded.loaded,
    params: { upn: alexUpn, changeDefault },
    dryRun,
    journal: { append: (e) => events.push(e) },
    ports,
    endpoints,
    clock: t.ctx.clock,
    ids: t.ctx.ids,
    signal: new AbortController().signal,
    workspaceId: t.ctx.workspaceId,
    registry: { actions, analyzers: {} },
    loadQuery: async () => {
      throw new Error("no queries in this runbook");
    },
  });
  return { result, events };
}

describe("containment through the executor", () => {
  it("with the responder's leave, moves the default to the user's own method first, removes the attacker's, then skips everything on a second run", async () => {
    const t = tenant([ownApp]);
    const first = await run(t, false, true);
    expect(first.result.error).toBeUndefined();
    expect(first.result.status).toBe("completed");

    expect(t.user.accountEnabled).toBe(false);
    expect(t.user.signInSessionsValidFromDateTime).toBe("2026-11-25T09:00:00.000Z");
    expect((t.graph.collections[methodsPath] as Array<{ id: string }>).map((m) => m.id)).toEqual([password.id, ownApp.id]);
    expect(t.graph.resources[riskyPath]).toMatchObject({ riskState: "confirmedCompromised" });

    const methodWrites = t.sent.filter((s) => s.includes("/authentication/"));
    expect(methodWrites[0]).toBe(`PATCH /users/${alexId}/authentication/signInPreferences`);
    expect(methodWrites.slice(1).sort()).toEqual([
      `DELETE /users/${alexId}/authentication/microsoftAuthenticatorMethods/${evilApp.id}`,
      `DELETE /users/${alexId}/authentication/phoneMethods/${evilAlternate.id}`,
    ]);
    expect(t.sent.filter((s) => s.startsWith("refused"))).toEqual([]);
    expect(t.sent.indexOf(`PATCH /users/${alexId}`)).toBeLessThan(t.sent.indexOf(`POST /users/${alexId}/revokeSignInSessions`));

    const firstWrite = first.events.findIndex((e) => e.kind === "action");
    const adminNote = first.events.findIndex((e) => e.kind === "note" && e.summary.startsWith("alex@contoso.com holds Global Administrator: acting on an administrator"));
    expect(adminNote).toBeGreaterThanOrEqual(0);
    expect(adminNote).toBeLessThan(firstWrite);
    expect(first.result.outputs.revoke).toMatchObject({ verifyAfter: "2026-11-25T09:15:00.000Z", roles: ["Global Administrator"] });

    t.sent.length = 0;
    const second = await run(t, false, true);
    expect(second.result.status).toBe("completed");
    expect(t.sent).toEqual([]);
    expect(second.events.filter((e) => e.kind === "action.skipped").map((e) => e.summary)).toEqual([
      "entra.blockSignIn: sign-in already blocked",
      expect.stringMatching(/^entra\.revokeSessions: sessions were last revoked at 2026-11-25T09:00:00.000Z/),
      "entra.removeAuthMethods: no attacker-added methods remain",
      "entra.confirmCompromised: already confirmed compromised in Identity Protection (since 2026-11-25T09:00:00.000Z)",
    ]);
  });

  it("without leave, sends no deletion Graph would refuse: the attacker's default is left for the responder, named, and the run exits 1", async () => {
    const t = tenant([ownApp]);
    const { result, events } = await run(t, false);
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("needs-decision");
    expect(result.error?.hint).toContain("--change-default-method");
    expect(result.error?.hint).toContain("Entra admin center");
    // the attacker's other method is gone; the default and the user's own method stay; no refused write was sent
    expect((t.graph.collections[methodsPath] as Array<{ id: string }>).map((m) => m.id)).toEqual([password.id, ownApp.id, evilAlternate.id]);
    expect(t.sent.filter((s) => s.startsWith("refused"))).toEqual([]);
    const decision = events.find((e) => e.kind === "error" && (e.data as { code?: string }).code === "needs-decision");
    expect(decision?.summary).toContain(`phone (alternateMobile) ${evilAlternate.id} is alex@contoso.com's default sign-in method`);
    expect(result.steps.find((s) => s.id === "remove-methods")?.status).toBe("needs-decision");
  });

  it("records every write as planned in a dry run and sends nothing", async () => {
    const t = tenant([ownApp]);
    const { result, events } = await run(t, true, true);
    expect(result.status).toBe("completed");
    expect(t.sent).toEqual([]);
    const planned = events.filter((e) => e.kind === "action.planned").map((e) => `${(e.data as { method: string }).method} ${(e.data as { url: string }).url}`);
    expect(planned).toEqual([
      `PATCH https://graph.microsoft.com/v1.0/users/${alexId}`,
      `POST https://graph.microsoft.com/v1.0/users/${alexId}/revokeSignInSessions`,
      `PATCH https://graph.microsoft.com/beta/users/${alexId}/authentication/signInPreferences`,
      `DELETE https://graph.microsoft.com/v1.0/users/${alexId}/authentication/phoneMethods/${phoneMethodIds.alternateMobile}`,
      `DELETE https://graph.microsoft.com/v1.0/users/${alexId}/authentication/microsoftAuthenticatorMethods/${evilApp.id}`,
      "POST https://graph.microsoft.com/v1.0/identityProtection/riskyUsers/confirmCompromised",
    ]);
  });
});
