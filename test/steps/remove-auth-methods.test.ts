import { describe, expect, it } from "vitest";
import { AzirError } from "../../src/core/errors.js";
import type { Effect } from "../../src/core/effects.js";
import { phoneMethodIds } from "../../src/entra/facts.js";
import { removeAuthMethods } from "../../src/steps/entra-remove-auth-methods.js";
import { decideWith, noteText, runWith } from "../helpers/action-harness.js";
import { FakeGraph, alexId, alexUpn, globalAdminTemplate, http, roleAssignmentsKey, userResources } from "./fake-graph.js";

const start = "2026-11-20T08:00:00Z";
const methodsPath = `/users/${alexId}/authentication/methods`;
const password = { "@odata.type": "#microsoft.graph.passwordAuthenticationMethod", id: "28c10230-6103-485e-b985-444c60001490", createdDateTime: "2024-01-01T00:00:00Z" };
const ownApp = { "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", id: "aaaaaaaa-0000-4000-8000-000000000001", displayName: "iPhone", createdDateTime: "2025-03-01T10:00:00Z" };
const evilApp = { "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", id: "aaaaaaaa-0000-4000-8000-000000000002", displayName: "SM-G991B", createdDateTime: "2026-11-20T08:14:00Z" };
const evilFido = { "@odata.type": "#microsoft.graph.fido2AuthenticationMethod", id: "-2_GRUg2-HYz6_1YG4YRAQ2", displayName: "Key", createdDateTime: "2026-11-20T09:00:00Z" };
const mobile = { "@odata.type": "#microsoft.graph.phoneAuthenticationMethod", id: phoneMethodIds.mobile, phoneType: "mobile", phoneNumber: "+1 4255550100" };
const alternate = { "@odata.type": "#microsoft.graph.phoneAuthenticationMethod", id: phoneMethodIds.alternateMobile, phoneType: "alternateMobile", phoneNumber: "+44 7700900123" };
const platform = { "@odata.type": "#microsoft.graph.platformCredentialAuthenticationMethod", id: "cccccccc-0000-4000-8000-000000000001" };

const reg = (phoneType: "mobile" | "alternateMobile") => ({
  at: "2026-11-20T08:20:00Z",
  methodType: "phone",
  phoneType,
  detail: "User registered security info",
  initiatedBy: "alex@contoso.com",
  afterIncidentStart: true,
});

function setup(methods: unknown[], extra: Record<string, unknown> = {}) {
  const graph = new FakeGraph(userResources(), { [methodsPath]: methods, ...(extra.collections as Record<string, unknown[]>) });
  const input = removeAuthMethods.input.parse({ upn: alexUpn, incidentStart: start, registrations: [reg("mobile"), reg("alternateMobile")], ...extra.input as object });
  const decide = () => decideWith(removeAuthMethods, input, graph).then((r) => r.decision);
  /** Reads, decides and runs live through the runner and the write gate, `perform` standing for Graph. */
  const run = (perform: (e: Effect) => Promise<unknown>) => runWith(removeAuthMethods, input, graph, perform);
  return { graph, input, decide, run };
}

const deletePath = (collection: string, id: string): string => `/users/${alexId}/authentication/${collection}/${encodeURIComponent(id)}`;

describe("entra.removeAuthMethods decide", () => {
  it("plans one DELETE per attacker-added method, alternateMobile before mobile, and keeps the rest", async () => {
    const { decide, graph } = setup([password, ownApp, evilApp, mobile, alternate, evilFido, platform]);
    const plan = await decide();
    expect(plan.done).toBeUndefined();
    expect(plan.effects.map((w) => [http(w).method, http(w).path, w.phase ?? 0, w.permission, http(w).body])).toEqual([
      ["DELETE", deletePath("phoneMethods", alternate.id), 0, "UserAuthenticationMethod.ReadWrite.All", undefined],
      ["DELETE", deletePath("microsoftAuthenticatorMethods", evilApp.id), 0, "UserAuthenticationMethod.ReadWrite.All", undefined],
      ["DELETE", deletePath("fido2Methods", evilFido.id), 0, "UserAuthenticationMethod.ReadWrite.All", undefined],
      ["DELETE", deletePath("phoneMethods", mobile.id), 1, "UserAuthenticationMethod.ReadWrite.All", undefined],
    ]);
    expect(plan.effects.every((w) => w.kind === "graph.request" && w.target === alexUpn)).toBe(true);
    expect(plan.effects[1]!.summary).toBe("remove Microsoft Authenticator (SM-G991B) aaaaaaaa-0000-4000-8000-000000000002 from alex@contoso.com (created at 2026-11-20T08:14:00Z, at or after the incident start 2026-11-20T08:00:00Z)");
    const outputs = plan.outputs!;
    expect((outputs.kept as Array<{ id: string }>).map((m) => m.id)).toEqual([password.id, ownApp.id]);
    expect(outputs.unknown).toEqual([{ id: platform.id, odataType: platform["@odata.type"], reason: expect.any(String) }]);
    expect(plan.notes.some((n) => noteText(n).includes("platformCredentialAuthenticationMethod"))).toBe(true);
    // read once: one listing for read and decide
    expect(graph.reads.filter((r) => r.path === methodsPath)).toHaveLength(1);
  });

  it("is done when no attacker-added method remains, and still notes what it left alone", async () => {
    const plan = await setup([password, ownApp, platform]).decide();
    expect(plan.done).toBe("no attacker-added methods remain");
    expect(plan.notes.map(noteText).join("\n")).toContain("platformCredentialAuthenticationMethod");
  });

  it("is never done without an incident start or baseline: every method needs a decision, listed", async () => {
    const plan = await setup([password, evilApp], { input: { incidentStart: null, registrations: null } }).decide();
    expect(plan.done).toBeUndefined();
    expect(plan.effects).toEqual([]);
    expect(plan.undecided?.summary).toBe("azir cannot tell 1 authentication method(s) of alex@contoso.com apart from the user's own");
    expect(plan.undecided?.items).toEqual([expect.objectContaining({ id: evilApp.id, type: "microsoftAuthenticator", reason: "no incident start and no baseline to tell it apart from the user's own" })]);
    expect(plan.undecided?.hint).toContain("--methods-after");
  });

  it("uses the baseline when one is given", async () => {
    const plan = await setup([password, ownApp, mobile], { input: { incidentStart: null, registrations: [], baseline: { methodIds: [password.id, mobile.id] } } }).decide();
    expect(plan.effects.map((w) => http(w).path)).toEqual([deletePath("microsoftAuthenticatorMethods", ownApp.id)]);
  });

  it("carries the admin note and roles", async () => {
    const graph = new FakeGraph(userResources(), {
      [methodsPath]: [evilApp],
      [roleAssignmentsKey]: [{ id: "ra", principalId: alexId, roleDefinitionId: globalAdminTemplate, directoryScopeId: "/" }],
    });
    const input = removeAuthMethods.input.parse({ upn: alexUpn, incidentStart: start, registrations: [] });
    const { decision: plan } = await decideWith(removeAuthMethods, input, graph);
    expect(noteText(plan.notes[0]!)).toBe(
      "alex@contoso.com holds Global Administrator: acting on an administrator needs Privileged Authentication Administrator or Global Administrator",
    );
    expect(plan.outputs?.roles).toEqual(["Global Administrator"]);
  });

  it("rejects a registration of a method type outside the contract", () => {
    expect(
      removeAuthMethods.input.safeParse({ upn: alexUpn, incidentStart: start, registrations: [{ ...reg("mobile"), methodType: "carrierPigeon" }] }).success,
    ).toBe(false);
  });
});

/** A 400 as the Graph adapter raises it for the default method. */
function defaultRefusal(path: string): AzirError {
  const e = new AzirError(
    "service",
    `Graph answered 400 on DELETE ${path}: Cannot delete default method with other methods configured. Please change default method before deletion.`,
    { details: ["service: Graph", "status: 400", "code: badRequest"] },
  );
  return Object.assign(e, { status: 400 });
}

describe("entra.removeAuthMethods run", () => {
  it("does not retry a default Graph refuses (it refuses whatever the order): the others go, the default is named", async () => {
    const { decide, run } = setup([password, evilApp, evilFido, alternate]);
    const plan = await decide();
    // the registration report is unreadable here, so azir cannot know which method is the default: it says so first
    expect(plan.notes.map(noteText).join("\n")).toContain("could not read alex@contoso.com's default sign-in method");
    const defaultPath = deletePath("microsoftAuthenticatorMethods", evilApp.id);
    const log: string[] = [];
    const send = async (w: Effect): Promise<unknown> => {
      // Graph's rule: the default method cannot go while any other method (the password included) remains.
      if (http(w).path === defaultPath) {
        log.push(`refused ${http(w).path}`);
        throw defaultRefusal(http(w).path);
      }
      log.push(`deleted ${http(w).path}`);
      return undefined;
    };
    const error = await run(send).then(
      () => undefined,
      (e: unknown) => e as AzirError,
    );
    expect(log.filter((l) => l.startsWith("refused"))).toEqual([`refused ${defaultPath}`]);
    expect(log.filter((l) => l.startsWith("deleted"))).toHaveLength(2);
    expect(error?.message).toBe(`could not remove Microsoft Authenticator (SM-G991B) ${evilApp.id} from alex@contoso.com`);
    expect(error?.hint).toContain("--change-default-method");
  });

  it("sends phase 0 concurrently and mobile only after alternateMobile", async () => {
    const { run } = setup([evilApp, mobile, alternate, evilFido]);
    let inFlight = 0;
    let peak = 0;
    const order: string[] = [];
    const send = async (w: Effect): Promise<unknown> => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      order.push(http(w).path);
      return undefined;
    };
    await run(send);
    expect(peak).toBe(3);
    expect(order.at(-1)).toBe(deletePath("phoneMethods", mobile.id));
    expect(order.indexOf(deletePath("phoneMethods", alternate.id))).toBeLessThan(order.indexOf(deletePath("phoneMethods", mobile.id)));
  });

  it("reports a refusal as an error naming the method, after removing the others", async () => {
    const { run } = setup([evilApp, evilFido]);
    const defaultPath = deletePath("fido2Methods", evilFido.id);
    const deleted: string[] = [];
    const send = async (w: Effect): Promise<unknown> => {
      if (http(w).path === defaultPath) throw defaultRefusal(http(w).path);
      deleted.push(http(w).path);
      return undefined;
    };
    const error = await run(send).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(deleted).toEqual([deletePath("microsoftAuthenticatorMethods", evilApp.id)]);
    expect(error).toBeInstanceOf(AzirError);
    expect((error as AzirError).message).toBe(`could not remove FIDO2 security key (Key) ${evilFido.id} from alex@contoso.com`);
    expect((error as AzirError).hint).toContain("default sign-in method");
  });

  it("treats a 404 as already removed and a 403 as a permission error", async () => {
    const { run } = setup([evilApp]);
    const gone = await run(async () => {
      throw new AzirError("not-found", "Graph answered 404", { details: ["status: 404"] });
    });
    expect((gone.result.outputs.removed as unknown[]).length).toBe(1);
    await expect(
      run(async () => {
        throw new AzirError("permission", "Graph answered 403", { details: ["status: 403", "service said: Insufficient privileges to complete the operation."] });
      }),
    ).rejects.toMatchObject({ code: "permission", message:
        'Graph refused to remove Microsoft Authenticator (SM-G991B) aaaaaaaa-0000-4000-8000-000000000002 from alex@contoso.com: "Insufficient privileges to complete the operation.": the identity lacks UserAuthenticationMethod.ReadWrite.All',
    });
  });

  it("does not retry an unrelated 400", async () => {
    const { run } = setup([evilApp]);
    let calls = 0;
    await expect(
      run(async () => {
        calls++;
        throw Object.assign(new AzirError("service", "Graph answered 400: Invalid request", { details: ["status: 400"] }), { status: 400 });
      }),
    ).rejects.toMatchObject({ code: "service" });
    expect(calls).toBe(1);
  });
});

describe("entra.removeAuthMethods run, mobile and alternate mobile", () => {
  it("says why the mobile phone cannot go when the user's alternate mobile phone is kept", async () => {
    const mobileReg = { at: "2026-11-20T08:20:00Z", methodType: "phone", phoneType: "mobile", detail: "x", initiatedBy: "alex@contoso.com", afterIncidentStart: true };
    const { decide, run } = setup([mobile, alternate], { input: { registrations: [mobileReg] } });
    const plan = await decide();
    expect(plan.effects.map((w) => http(w).path)).toEqual([deletePath("phoneMethods", mobile.id)]);
    let calls = 0;
    const error = await run(async (w) => {
      calls++;
      throw Object.assign(
        new AzirError("service", `Graph answered 400 on DELETE ${http(w).path}: Cannot delete the mobile phone method while an alternate mobile phone method exists.`, {
          details: ["status: 400"],
        }),
        { status: 400 },
      );
    }).then(
      () => undefined,
      (e: unknown) => e as AzirError,
    );
    expect(calls).toBe(1);
    expect(error?.message).toBe(`could not remove phone (mobile) ${mobile.id} from alex@contoso.com`);
    expect(error?.hint).toContain("alternate mobile phone exists");
  });
});
