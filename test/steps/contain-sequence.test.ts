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
// applies Graph's rules (the default method cannot go while others remain). It checks the contract between the
// actions and the executor: the decision's note before the first write, interpret used (the refused default method
// retried last), and a second run skipping every action.

const runbook = `
id: contain-test
title: Containment sequence
params:
  upn: { type: upn, required: true }
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
  // The attacker made their phone the default method.
  const defaultMethod = evilAlternate.id;
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
    if (w.method === "PATCH" && w.path === `/users/${alexId}`) {
      Object.assign(u, w.body);
    } else if (w.method === "POST" && w.path.endsWith("/revokeSignInSessions")) {
      u.signInSessionsValidFromDateTime = ctx.clock.now().toISOString();
      sent.push(`${w.method} ${w.path}`);
      return { value: true };
    } else if (w.method === "DELETE") {
      const id = decodeURIComponent(w.path.split("/").at(-1)!);
      const methods = graph.collections[methodsPath] as Array<{ id: string; "@odata.type": string }>;
      const others = methods.filter((m) => m.id !== id && !m["@odata.type"].includes("password"));
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

async function run(t: ReturnType<typeof tenant>, dryRun: boolean) {
  const loaded = parseRunbook(runbook, "contain-test.yaml");
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  const events: EventInput[] = [];
  const ports: Ports = { logs: t.ctx.logs, graph: t.graph, arm: t.ctx.arm, effects: t.effects };
  const result = await executeRunbook({
    loaded: loaded.loaded,
    params: { upn: alexUpn },
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
  it("contains the user in order, the default method last, then skips everything on a second run", async () => {
    const t = tenant();
    const first = await run(t, false);
    expect(first.result.error).toBeUndefined();
    expect(first.result.status).toBe("completed");

    expect(t.user.accountEnabled).toBe(false);
    expect(t.user.signInSessionsValidFromDateTime).toBe("2026-11-25T09:00:00.000Z");
    expect((t.graph.collections[methodsPath] as Array<{ id: string }>).map((m) => m.id)).toEqual([password.id]);
    expect(t.graph.resources[riskyPath]).toMatchObject({ riskState: "confirmedCompromised" });

    const deletes = t.sent.filter((s) => s.includes("/authentication/"));
    expect(deletes.at(-1)).toBe(`DELETE /users/${alexId}/authentication/phoneMethods/${evilAlternate.id}`);
    expect(deletes.filter((d) => d.startsWith("refused"))).toEqual([`refused /users/${alexId}/authentication/phoneMethods/${evilAlternate.id}`]);
    expect(deletes).toHaveLength(3);
    expect(t.sent.indexOf(`PATCH /users/${alexId}`)).toBeLessThan(t.sent.indexOf(`POST /users/${alexId}/revokeSignInSessions`));

    const firstWrite = first.events.findIndex((e) => e.kind === "action");
    const adminNote = first.events.findIndex((e) => e.kind === "note" && e.summary.startsWith("alex@contoso.com holds Global Administrator: acting on an administrator"));
    expect(adminNote).toBeGreaterThanOrEqual(0);
    expect(adminNote).toBeLessThan(firstWrite);
    expect(first.result.outputs.revoke).toMatchObject({ verifyAfter: "2026-11-25T09:15:00.000Z", roles: ["Global Administrator"] });

    t.sent.length = 0;
    const second = await run(t, false);
    expect(second.result.status).toBe("completed");
    expect(t.sent).toEqual([]);
    expect(second.events.filter((e) => e.kind === "action.skipped").map((e) => e.summary)).toEqual([
      "entra.blockSignIn: sign-in already blocked",
      expect.stringMatching(/^entra\.revokeSessions: sessions were last revoked at 2026-11-25T09:00:00.000Z/),
      "entra.removeAuthMethods: no attacker-added methods remain",
      "entra.confirmCompromised: already confirmed compromised in Identity Protection (since 2026-11-25T09:00:00.000Z)",
    ]);
  });

  it("fails naming the attacker's default method when the user's own method keeps it in place", async () => {
    const t = tenant([ownApp]);
    const { result } = await run(t, false);
    expect(result.status).toBe("failed");
    expect(result.error?.message).toBe(`could not remove phone (alternateMobile) ${evilAlternate.id} from alex@contoso.com`);
    expect(result.error?.hint).toContain("default method");
    // everything else that could go is gone; the user's own method stays
    expect((t.graph.collections[methodsPath] as Array<{ id: string }>).map((m) => m.id)).toEqual([password.id, ownApp.id, evilAlternate.id]);
    expect(result.steps.find((s) => s.id === "confirm")?.status).toBe("not-run");
  });

  it("records every write as planned in a dry run and sends nothing", async () => {
    const t = tenant();
    const { result, events } = await run(t, true);
    expect(result.status).toBe("completed");
    expect(t.sent).toEqual([]);
    const planned = events.filter((e) => e.kind === "action.planned").map((e) => `${(e.data as { method: string }).method} ${(e.data as { url: string }).url}`);
    expect(planned).toEqual([
      `PATCH https://graph.microsoft.com/v1.0/users/${alexId}`,
      `POST https://graph.microsoft.com/v1.0/users/${alexId}/revokeSignInSessions`,
      `DELETE https://graph.microsoft.com/v1.0/users/${alexId}/authentication/phoneMethods/${phoneMethodIds.alternateMobile}`,
      `DELETE https://graph.microsoft.com/v1.0/users/${alexId}/authentication/microsoftAuthenticatorMethods/${evilApp.id}`,
      "POST https://graph.microsoft.com/v1.0/identityProtection/riskyUsers/confirmCompromised",
    ]);
  });
});
