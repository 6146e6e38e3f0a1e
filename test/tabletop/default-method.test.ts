import { afterEach, describe, expect, it } from "vitest";
import { AzureServiceError } from "../../src/azure/errors.js";
import { ManualClock } from "../../src/core/clock.js";
import type { GraphRequestEffect } from "../../src/core/effects.js";
import { ids, raw, startHarness, type Harness } from "../azure/fixture.js";

// Graph's default-method rule, the registration report that names the default's type (v1.0) and the beta call that
// changes it, through azir's adapters over the real graph-client (test/azure/fixture.ts).
// Sources: learn.microsoft.com/graph/api/phoneauthenticationmethod-delete, userregistrationdetails-get,
// authentication-update?view=graph-rest-beta; azure-reference.md section 4 (corrected).

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const refusal = "Cannot delete default method with other methods configured. Please change default method before deletion.";
const alternate = "b6332ec1-7057-4abe-9331-3d72feddfe41";
const oathId = "0a0a0a0a-0000-4000-8000-00000000000a";
const readers = ["AuditLog.Read.All", "UserAuthenticationMethod.ReadWrite.All"];

const effect = (method: GraphRequestEffect["method"], path: string, body?: unknown, version?: "beta"): GraphRequestEffect => ({
  kind: "graph.request",
  key: "test",
  method,
  path,
  ...(body === undefined ? {} : { body }),
  ...(version ? { version } : {}),
  permission: "UserAuthenticationMethod.ReadWrite.All",
  summary: "test",
  target: path,
});
const outcome = (p: Promise<unknown>): Promise<unknown> => p.then(() => "ok", (e: unknown) => e);
const del = (collection: string, id: string, user = ids.kim) => outcome(h!.ports.effects.perform(effect("DELETE", `/users/${user}/authentication/${collection}/${id}`)));
const setDefault = (type: string, user = ids.kim) => outcome(h!.ports.effects.perform(effect("PATCH", `/users/${user}/authentication/signInPreferences`, { userPreferredMethodForSecondaryAuthentication: type }, "beta")));
const report = (user = ids.kim) => h!.ports.graph.get<Record<string, unknown>>(`/reports/authenticationMethods/userRegistrationDetails/${user}`);

function expectRefused(error: unknown, status: number, code: string, message?: string): void {
  expect(error).toBeInstanceOf(AzureServiceError);
  expect((error as AzureServiceError).status).toBe(status);
  expect((error as AzureServiceError).serviceCode).toBe(code);
  if (message) expect((error as AzureServiceError).message).toContain(message);
}

describe("the default method can't be deleted while any other method is configured", () => {
  it("is refused first, and still refused once the password alone remains", async () => {
    h = await startHarness(new ManualClock());
    expect(h.emulator.state().defaultMethods[ids.kim]).toBe(ids.mobile);
    expectRefused(await del("phoneMethods", ids.mobile), 400, "badRequest", refusal);
    expect(await del("microsoftAuthenticatorMethods", ids.authenticator)).toBe("ok");
    // Deleting it last does not help: the password counts.
    expectRefused(await del("phoneMethods", ids.mobile), 400, "badRequest", refusal);
    const left = await h.ports.graph.list<{ id: string }>(`/users/${ids.kim}/authentication/methods`);
    expect(left.map((m) => m.id)).toEqual([ids.password, ids.mobile]);
    expect(h.emulator.state().defaultMethods[ids.kim]).toBe(ids.mobile);
  });

  it("goes once it is the user's only method, and the user then has no default", async () => {
    h = await startHarness(new ManualClock(), {
      scenario: (s) => {
        s.tenant.authenticationMethods[ids.kim] = s.tenant.authenticationMethods[ids.kim]!.filter((m) => m.id !== ids.password);
      },
    });
    expectRefused(await del("phoneMethods", ids.mobile), 400, "badRequest", refusal);
    expect(await del("microsoftAuthenticatorMethods", ids.authenticator)).toBe("ok");
    expect(await del("phoneMethods", ids.mobile)).toBe("ok");
    expect(await h.ports.graph.list(`/users/${ids.kim}/authentication/methods`)).toEqual([]);
    expect(h.emulator.state().defaultMethods[ids.kim]).toBeUndefined();
  });

  it("applies inside a $batch whatever the dependsOn order; mobile still can't go before alternateMobile", async () => {
    h = await startHarness(new ManualClock(), {
      scenario: (s) => {
        s.tenant.authenticationMethods[ids.kim]!.push({ "@odata.type": "#microsoft.graph.phoneAuthenticationMethod", id: alternate, phoneType: "alternateMobile" });
      },
    });
    const url = (coll: string, id: string) => `/users/${ids.kim}/authentication/${coll}/${id}`;
    const res = await raw(h, "POST", "/v1.0/$batch", {
      body: {
        requests: [
          { id: "m", method: "DELETE", url: url("phoneMethods", ids.mobile) },
          { id: "a", method: "DELETE", url: url("phoneMethods", alternate) },
          { id: "x", dependsOn: ["a"], method: "DELETE", url: url("microsoftAuthenticatorMethods", ids.authenticator) },
          { id: "d", dependsOn: ["x"], method: "DELETE", url: url("phoneMethods", ids.mobile) },
        ],
      },
    });
    const answers = (res.json as { responses: Array<{ id: string; status: number; body?: { error?: { code: string; message: string } } }> }).responses;
    // matched by id: a batch answers in an order of its own
    const responses = ["m", "a", "x", "d"].map((id) => answers.find((r) => r.id === id)!);
    expect(responses.map((r) => `${r.id}:${r.status}`)).toEqual(["m:400", "a:204", "x:204", "d:400"]);
    // The default rule is checked first: mobile is kim's default, so that is the reason given while alternateMobile exists too.
    expect(responses[0]?.body?.error).toEqual(expect.objectContaining({ code: "badRequest", message: refusal }));
    expect(responses[3]?.body?.error?.message).toBe(refusal);
  });
});

describe("the registration report names the default's type (v1.0)", () => {
  it("answers a userRegistrationDetails whose preferred method follows the default", async () => {
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), {
      permissions: readers,
      scenario: (s) => {
        s.tenant.authenticationMethods[ids.kim]!.push({ "@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod", id: oathId });
      },
    });
    expect(await report()).toEqual({
      "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails/$entity",
      id: ids.kim,
      userPrincipalName: "kim@fabrikam.example",
      userDisplayName: "Kim Lee",
      userType: "member",
      isAdmin: false,
      isSsprRegistered: true,
      isSsprEnabled: false,
      isSsprCapable: false,
      isMfaRegistered: true,
      isMfaCapable: true,
      isPasswordlessCapable: false,
      methodsRegistered: ["mobilePhone", "microsoftAuthenticatorPush", "softwareOneTimePasscode"],
      isSystemPreferredAuthenticationMethodEnabled: false,
      systemPreferredAuthenticationMethods: [],
      userPreferredMethodForSecondaryAuthentication: "sms",
      lastUpdatedDateTime: "2026-11-25T12:00:00.000Z",
    });
    const types: Array<[string, string]> = [];
    for (const type of ["push", "oath", "voiceMobile", "sms"]) {
      expect(await setDefault(type)).toBe("ok");
      types.push([type, (await report()).userPreferredMethodForSecondaryAuthentication as string]);
    }
    // The default is kept as a method: a mobile phone reads back as sms however it was set.
    expect(types).toEqual([["push", "push"], ["oath", "oath"], ["voiceMobile", "sms"], ["sms", "sms"]]);
    const ada = await report(ids.admin);
    expect(ada).toMatchObject({ isAdmin: true, methodsRegistered: ["email"], isMfaRegistered: false, userPreferredMethodForSecondaryAuthentication: "none" });
  });

  it("404 for an unknown id, 403 without AuditLog.Read.All or UserAuthenticationMethod.Read.All", async () => {
    h = await startHarness(new ManualClock(), { permissions: ["UserAuthenticationMethod.Read.All"] });
    expect(await h.ports.graph.find("/reports/authenticationMethods/userRegistrationDetails/00000000-0000-4000-8000-000000000000")).toBeUndefined();
    expect((await report()).userPreferredMethodForSecondaryAuthentication).toBe("sms");
    await h.close();
    h = await startHarness(new ManualClock(), { permissions: ["UserAuthenticationMethod.ReadWrite.All"] });
    const denied = await report().catch((e: unknown) => e);
    expectRefused(denied, 403, "Authorization_RequestDenied");
  });
});

describe("beta signInPreferences changes the default", () => {
  it("PATCH moves the default to the user's method of that type (204); then the old default can be deleted", async () => {
    h = await startHarness(new ManualClock(), { permissions: readers });
    expectRefused(await del("phoneMethods", ids.mobile), 400, "badRequest", refusal);
    expect(await setDefault("push")).toBe("ok");
    expect(h.emulator.state().defaultMethods[ids.kim]).toBe(ids.authenticator);
    const prefs = await raw(h, "GET", `/beta/users/kim@fabrikam.example/authentication/signInPreferences`);
    expect(prefs).toMatchObject({ status: 200, json: { isSystemPreferredAuthenticationMethodEnabled: false, userPreferredMethodForSecondaryAuthentication: "push" } });
    expect((await report()).userPreferredMethodForSecondaryAuthentication).toBe("push");
    expect(await del("phoneMethods", ids.mobile)).toBe("ok");
    // Now the authenticator is the default, and the password is still configured.
    expectRefused(await del("microsoftAuthenticatorMethods", ids.authenticator), 400, "badRequest", refusal);
    const log = h.emulator.requests().map((e) => `${e.method} ${e.path} ${e.status}`);
    expect(log).toContain(`PATCH /beta/users/${ids.kim}/authentication/signInPreferences 204`);
  });

  it("400 for a type the user has no method of, or a value outside the enumeration; the default does not move", async () => {
    h = await startHarness(new ManualClock());
    expectRefused(await setDefault("oath"), 400, "badRequest", "'oath'");
    expectRefused(await setDefault("voiceOffice"), 400, "badRequest");
    expectRefused(await setDefault("fido2"), 400, "Request_BadRequest");
    expect(h.emulator.state().defaultMethods[ids.kim]).toBe(ids.mobile);
  });

  it("needs UserAuthenticationMethod.ReadWrite.All, and an admin-capable role for a directory-role holder", async () => {
    h = await startHarness(new ManualClock(), { permissions: ["UserAuthenticationMethod.Read.All"] });
    expectRefused(await setDefault("push"), 403, "Authorization_RequestDenied");
    expect((await raw(h, "GET", `/beta/users/${ids.kim}/authentication/signInPreferences`)).json).toMatchObject({ userPreferredMethodForSecondaryAuthentication: "sms" });
    await h.close();
    h = await startHarness(new ManualClock());
    // Ada holds a directory role; the operator is a Security Administrator only.
    expectRefused(await setDefault("push", ids.admin), 403, "Authorization_RequestDenied");
    expectRefused(await outcome(h.ports.effects.perform(effect("PATCH", `/users/nobody@fabrikam.example/authentication/signInPreferences`, { userPreferredMethodForSecondaryAuthentication: "push" }, "beta"))), 404, "Request_ResourceNotFound");
  });

  it("other /beta paths, beta $batch and v1.0 signInPreferences get Graph's 400 for what is not emulated", async () => {
    h = await startHarness(new ManualClock());
    for (const [method, path] of [
      ["GET", `/beta/users/${ids.kim}`],
      ["GET", `/beta/users/${ids.kim}/authentication/methods`],
      ["POST", "/beta/$batch"],
      ["GET", "/beta"],
      ["GET", `/v1.0/users/${ids.kim}/authentication/signInPreferences`],
      ["PATCH", `/v1.0/users/${ids.kim}/authentication/signInPreferences`],
    ] as const) {
      const res = await raw(h, method, path, method === "GET" ? {} : { body: { requests: [{ id: "1", method: "GET", url: "/users" }] } });
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.json).toMatchObject({ error: { code: "BadRequest", innerError: { "request-id": expect.any(String) } } });
    }
    expect(h.emulator.requests().every((e) => e.service === "graph")).toBe(true);
  });
});
