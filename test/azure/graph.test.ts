import { afterEach, describe, expect, it } from "vitest";
import { AzureServiceError } from "../../src/azure/errors.js";
import { ManualClock } from "../../src/core/clock.js";
import { AzirError } from "../../src/core/errors.js";
import { ids, raw, startHarness, type Harness } from "./fixture.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const write = (method: "PATCH" | "POST" | "DELETE", path: string, body?: unknown, permission = "User.EnableDisableAccount.All") => ({
  kind: "graph.request" as const,
  key: "test",
  method,
  path,
  body,
  permission,
  summary: "test",
  target: path,
});

describe("Graph adapter against the emulator", () => {
  it("reads a user with $select, blocks sign-in and revokes sessions; the next GET sees the change", async () => {
    const clock = new ManualClock("2026-11-25T12:00:00Z");
    h = await startHarness(clock);
    const before = await h.ports.graph.get<{ accountEnabled: boolean; id: string }>("/users/kim@fabrikam.example", { select: ["id", "accountEnabled"] });
    expect(before).toMatchObject({ id: ids.kim, accountEnabled: true });
    // Without $select Graph v1.0 does not return accountEnabled: the emulator is faithful to that.
    const plain = await h.ports.graph.get<Record<string, unknown>>(`/users/${ids.kim}`);
    expect(plain.accountEnabled).toBeUndefined();
    expect(plain.userPrincipalName).toBe("kim@fabrikam.example");

    await expect(h.ports.effects.perform(write("PATCH", `/users/${ids.kim}`, { accountEnabled: false }))).resolves.toBeUndefined();
    clock.advance(60_000);
    const revoked = await h.ports.effects.perform(write("POST", `/users/${ids.kim}/revokeSignInSessions`, undefined, "User.RevokeSessions.All"));
    expect(revoked).toMatchObject({ value: true });
    const after = await h.ports.graph.get<{ accountEnabled: boolean; signInSessionsValidFromDateTime: string }>(`/users/${ids.kim}`, { select: ["accountEnabled", "signInSessionsValidFromDateTime"] });
    expect(after.accountEnabled).toBe(false);
    expect(after.signInSessionsValidFromDateTime).toBe("2026-11-25T12:01:00.000Z");
    const log = h.emulator.requests();
    expect(log.map((e) => `${e.method} ${e.path} ${e.status}`)).toContain(`PATCH /v1.0/users/${ids.kim} 204`);
    expect(log.every((e) => !e.path.includes("?"))).toBe(true);
  });

  it("find returns undefined on 404 and get throws not-found naming the path", async () => {
    h = await startHarness(new ManualClock());
    expect(await h.ports.graph.find("/users/nobody@fabrikam.example")).toBeUndefined();
    const error = await h.ports.graph.get("/users/nobody@fabrikam.example").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureServiceError);
    expect((error as AzirError).code).toBe("not-found");
    expect((error as AzirError).message).toContain("GET /users/nobody@fabrikam.example");
  });

  it("lists authentication methods; the default method is refused while any other method, the password included, is configured", async () => {
    h = await startHarness(new ManualClock());
    const methods = await h.ports.graph.list<{ id: string }>(`/users/${ids.kim}/authentication/methods`);
    expect(methods.map((m) => m.id)).toEqual([ids.password, ids.mobile, ids.authenticator]);
    const del = (path: string) => h!.ports.effects.perform(write("DELETE", path, undefined, "UserAuthenticationMethod.ReadWrite.All")).then(
      () => "ok",
      (e: unknown) => e,
    );
    // Sent together or one after the other, the default (the mobile phone) is refused; the other goes.
    const [refused, other] = await Promise.all([del(`/users/${ids.kim}/authentication/phoneMethods/${ids.mobile}`), del(`/users/${ids.kim}/authentication/microsoftAuthenticatorMethods/${ids.authenticator}`)]);
    expect(other).toBe("ok");
    expect(refused).toBeInstanceOf(AzureServiceError);
    expect((refused as AzureServiceError).status).toBe(400);
    expect((refused as AzureServiceError).serviceCode).toBe("badRequest");
    expect((refused as AzureServiceError).message).toContain("Cannot delete default method with other methods configured. Please change default method before deletion.");
    // Sent last, with the password still configured: still refused (phoneauthenticationmethod-delete.md).
    expect((await del(`/users/${ids.kim}/authentication/phoneMethods/${ids.mobile}`) as AzureServiceError).status).toBe(400);
    const left = await h.ports.graph.list<{ id: string }>(`/users/${ids.kim}/authentication/methods`);
    expect(left.map((m) => m.id)).toEqual([ids.password, ids.mobile]);
    expect(h.emulator.state().defaultMethods[ids.kim]).toBe(ids.mobile);
    const password = await del(`/users/${ids.kim}/authentication/passwordMethods/${ids.password}`);
    expect((password as AzureServiceError).status).toBe(405);
  });

  it("mobile cannot go while alternateMobile exists; in a $batch the default is refused while other methods remain, whatever it depends on", async () => {
    const alternate = "b6332ec1-7057-4abe-9331-3d72feddfe41";
    h = await startHarness(new ManualClock(), {
      scenario: (s) => {
        s.tenant.authenticationMethods[ids.kim]!.push({ "@odata.type": "#microsoft.graph.phoneAuthenticationMethod", id: alternate, phoneType: "alternateMobile" });
        s.tenant.defaultMethods[ids.kim] = ids.authenticator;
      },
    });
    const url = (coll: string, id: string) => `/users/${ids.kim}/authentication/${coll}/${id}`;
    const res = await raw(h, "POST", "/v1.0/$batch", {
      body: {
        requests: [
          { id: "m", method: "DELETE", url: url("phoneMethods", ids.mobile) },
          { id: "d1", method: "DELETE", url: url("microsoftAuthenticatorMethods", ids.authenticator) },
          { id: "a", method: "DELETE", url: url("phoneMethods", alternate) },
          { id: "d2", dependsOn: ["a"], method: "DELETE", url: url("microsoftAuthenticatorMethods", ids.authenticator) },
        ],
      },
    });
    const statuses = (res.json as { responses: Array<{ id: string; status: number; body?: { error?: { message: string } } }> }).responses;
    // Graph answers in an order of its own: the answers are matched by id
    const byId = (id: string) => statuses.find((r) => r.id === id);
    expect(["m", "d1", "a", "d2"].map((id) => `${id}:${byId(id)?.status}`)).toEqual(["m:400", "d1:400", "a:204", "d2:400"]);
    expect(byId("m")?.body?.error?.message).toContain("alternate mobile");
    expect(byId("d2")?.body?.error?.message).toContain("Cannot delete default method with other methods configured");
  });

  it("answers 403 when the operator lacks the permission, and the error names the permission", async () => {
    h = await startHarness(new ManualClock(), { permissions: ["User.Read.All"] });
    const error = await h.ports.effects.perform(write("PATCH", `/users/${ids.kim}`, { accountEnabled: false })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzirError);
    expect((error as AzirError).code).toBe("permission");
    // Graph's own words first, then what the request needs
    expect((error as AzirError).message).toBe(
      `Graph answered 403 on PATCH /users/${ids.kim}: "Insufficient privileges to complete the operation." (Authorization_RequestDenied): the request needs User.EnableDisableAccount.All`,
    );
    expect((error as AzureServiceError).serviceCode).toBe("Authorization_RequestDenied");
    const state = h.emulator.state();
    expect(state.users.find((u) => u.id === ids.kim)?.accountEnabled).toBe(true);
  });

  it("refuses writes to a directory-role holder unless the operator is a Privileged Authentication Administrator", async () => {
    h = await startHarness(new ManualClock());
    const error = await h.ports.effects.perform(write("PATCH", `/users/${ids.admin}`, { accountEnabled: false })).catch((e: unknown) => e);
    expect((error as AzirError).code).toBe("permission");
    expect(h.emulator.state().users.find((u) => u.id === ids.admin)?.accountEnabled).toBe(true);
  });

  it("follows absolute https nextLinks to the end", async () => {
    h = await startHarness(new ManualClock());
    const items = await h.ports.graph.list<{ id: string }>(`/users/${ids.kim}/authentication/methods`, { top: 1 });
    expect(items).toHaveLength(3);
    expect(h.emulator.requests().filter((e) => e.path.endsWith("/authentication/methods"))).toHaveLength(3);
  });

  it("roleAssignments with $filter and $expand=principal; riskDetections filtered by user; unknown query options refused", async () => {
    h = await startHarness(new ManualClock());
    const assignments = await h.ports.graph.list<{ principalId: string; principal: { userPrincipalName: string } }>("/roleManagement/directory/roleAssignments", {
      filter: "roleDefinitionId eq '62e90394-69f5-4237-9190-012177145e10'",
      expand: "principal",
    });
    expect(assignments).toHaveLength(1);
    expect(assignments[0]?.principal.userPrincipalName).toBe("ada@fabrikam.example");
    const detections = await h.ports.graph.list<{ id: string }>("/identityProtection/riskDetections", { filter: `userId eq '${ids.kim}'` });
    expect(detections.map((d) => d.id)).toEqual(["rd-1"]);
    const bad = await h.ports.graph.list("/identityProtection/riskDetections", { filter: "startswith(userPrincipalName,'kim')" }).catch((e: unknown) => e);
    expect((bad as AzureServiceError).status).toBe(400);
  });

  it("confirmCompromised updates the risky user; ownedObjects cast lists the user's apps", async () => {
    h = await startHarness(new ManualClock());
    await h.ports.effects.perform({ ...write("POST", "/identityProtection/riskyUsers/confirmCompromised", { userIds: [ids.kim] }), permission: "IdentityRiskyUser.ReadWrite.All" });
    const risky = await h.ports.graph.get<{ riskState: string; riskLevel: string; riskDetail: string }>(`/identityProtection/riskyUsers/${ids.kim}`);
    expect(risky).toMatchObject({ riskState: "confirmedCompromised", riskLevel: "high", riskDetail: "adminConfirmedUserCompromised" });
    const apps = await h.ports.graph.list<{ id: string; "@odata.type": string }>(`/users/${ids.kim}/ownedObjects/microsoft.graph.application`);
    expect(apps).toEqual([expect.objectContaining({ id: ids.app, "@odata.type": "#microsoft.graph.application" })]);
  });

  it("addPassword returns secretText once and never keeps it in the state", async () => {
    h = await startHarness(new ManualClock(), { permissions: ["Application.ReadWrite.All"] });
    const created = (await h.ports.effects.perform({ ...write("POST", `/applications/${ids.app}/addPassword`, { passwordCredential: { displayName: "rotated" } }), permission: "Application.ReadWrite.All" })) as { secretText: string; keyId: string };
    expect(created.secretText).toMatch(/^[A-Za-z0-9]{40}$/);
    const state = JSON.stringify(h.emulator.state());
    expect(state).not.toContain(created.secretText);
    expect(state).toContain(created.keyId);
    await h.ports.effects.perform({ ...write("POST", `/applications/${ids.app}/removePassword`, { keyId: "66666666-6666-4666-8666-666666666666" }), permission: "Application.ReadWrite.All" });
    const app = await h.ports.graph.get<{ passwordCredentials: Array<{ keyId: string }> }>(`/applications/${ids.app}`, { select: ["passwordCredentials"] });
    expect(app.passwordCredentials.map((c) => c.keyId)).toEqual([created.keyId]);
  });

  it("a request without a bearer token gets 401 in Graph's error shape", async () => {
    h = await startHarness(new ManualClock());
    const res = await raw(h, "GET", `/v1.0/users/${ids.kim}`, { token: null });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ error: { code: "InvalidAuthenticationToken", innerError: { "request-id": expect.any(String) } } });
    const notJson = await raw(h, "PATCH", `/v1.0/users/${ids.kim}`, { body: "{not json" });
    expect(notJson.status).toBe(400);
  });

  it("$batch runs dependsOn in order, answers 424 after a failed prerequisite, and logs each inner request with the batch id", async () => {
    h = await startHarness(new ManualClock());
    // Through the graph client itself, as the write gate would send it.
    const res = { status: 200, json: await h.ports.effects.perform({
      kind: "graph.request",
      key: "batch",
      method: "POST",
      path: "/$batch",
      permission: "User.EnableDisableAccount.All",
      summary: "batch",
      target: ids.kim,
      body: {
        requests: [
          { id: "1", method: "PATCH", url: `/users/${ids.kim}`, headers: { "Content-Type": "application/json" }, body: { accountEnabled: false } },
          { id: "2", dependsOn: ["1"], method: "POST", url: `/users/${ids.kim}/revokeSignInSessions`, headers: { "Content-Type": "application/json" }, body: {} },
          { id: "3", method: "PATCH", url: "/users/nobody@fabrikam.example", headers: { "Content-Type": "application/json" }, body: { accountEnabled: false } },
          { id: "4", dependsOn: ["3"], method: "GET", url: `/users/${ids.kim}` },
        ],
      },
    }) };
    expect(res.status).toBe(200);
    const responses = (res.json as { responses: Array<{ id: string; status: number }> }).responses;
    // matched by id: the emulator, as Graph may, answers in another order than the requests'
    expect(responses.map((r) => r.id)).not.toEqual(["1", "2", "3", "4"]);
    expect(["1", "2", "3", "4"].map((id) => `${id}:${responses.find((r) => r.id === id)?.status}`)).toEqual(["1:204", "2:200", "3:404", "4:424"]);
    const inner = h.emulator.requests().filter((e) => e.batchId);
    expect(inner).toHaveLength(4);
    expect(new Set(inner.map((e) => e.batchId)).size).toBe(1);
    const dup = await raw(h, "POST", "/v1.0/$batch", { body: { requests: [{ id: "a", method: "GET", url: "/users/x" }, { id: "A", method: "GET", url: "/users/y" }] } });
    expect(dup.status).toBe(400);
    const tooMany = await raw(h, "POST", "/v1.0/$batch", { body: { requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: "GET", url: `/users/${ids.kim}` })) } });
    expect(tooMany.status).toBe(400);
  });
});

describe("Graph retries through graph-client's RetryHandler", () => {
  it("429 with Retry-After: 0 is retried and succeeds", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { path: "^/v1.0/users/", service: "graph" }, status: 429, retryAfter: 0, times: 1 }] } });
    const user = await h.ports.graph.get<{ id: string }>(`/users/${ids.kim}`);
    expect(user.id).toBe(ids.kim);
    expect(h.emulator.requests().map((e) => e.status)).toEqual([429, 200]);
  });

  it("429 without Retry-After on an identity-protection path is still retried", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { path: "/identityProtection/" }, status: 429, times: 1 }] } });
    const risky = await h.ports.graph.list<{ id: string }>("/identityProtection/riskyUsers");
    expect(risky.map((r) => r.id)).toEqual([ids.kim]);
    expect(h.emulator.requests().map((e) => e.status)).toEqual([429, 200]);
  });

  it("a 503 storm longer than the retries ends in an AzirError naming service, method and path", async () => {
    h = await startHarness(new ManualClock(), { maxRetries: 2, faults: { rules: [{ match: { path: "/users/" }, status: 503, retryAfter: 0, times: 10 }] } });
    const error = await h.ports.effects.perform(write("PATCH", `/users/${ids.kim}`, { accountEnabled: false })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzirError);
    expect((error as AzirError).code).toBe("service");
    expect((error as AzirError).message).toContain(`Graph answered 503 on PATCH /users/${ids.kim}`);
    expect(h.emulator.requests()).toHaveLength(3);
  });
});
