import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { ids, raw, startHarness, type Harness } from "../azure/fixture.js";

// The authority's tokens carry what the client id was granted (scp for a user sign-in, roles for an application),
// and Graph answers from them as it does: a delegated token without the scope gets "required scopes are missing in
// the token", an application without the role Authorization_RequestDenied.

const azureCli = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const ownApp = "6a0c1f3e-2b4d-4e6f-8a1c-3e5f7a9b1c2d";
const graphScope = "https://graph.microsoft.com/.default";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function authority(path: string, form: Record<string, string>, method = "POST"): Promise<{ status: number; json: Record<string, unknown>; location: string | null }> {
  const { fetch } = await import("undici");
  const url = `${h!.emulator.endpoints.authority}/${h!.emulator.tenantId}/oauth2/v2.0/${path}`;
  const res =
    method === "POST"
      ? await fetch(url, { method, body: new URLSearchParams(form).toString(), headers: { "Content-Type": "application/x-www-form-urlencoded" }, dispatcher: h!.agent })
      : await fetch(`${url}?${new URLSearchParams(form).toString()}`, { method, redirect: "manual", dispatcher: h!.agent });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, location: res.headers.get("location") };
}

function claims(token: unknown): Record<string, unknown> {
  return JSON.parse(Buffer.from(String(token).split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
}

async function deviceCodeToken(clientId: string, scope = graphScope): Promise<string> {
  const code = await authority("devicecode", { client_id: clientId, scope });
  const token = await authority("token", { grant_type: "urn:ietf:params:oauth:grant-type:device_code", client_id: clientId, device_code: String(code.json.device_code) });
  expect(token.status).toBe(200);
  return String(token.json.access_token);
}

describe("the authority's tokens and Graph's answers to them", () => {
  it("client credentials: an app token whose roles are the scenario's application permissions; the Azure CLI's public client cannot use a secret", async () => {
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), { permissions: ["User.Read.All", "User.RevokeSessions.All"] });
    const issued = await authority("token", { grant_type: "client_credentials", client_id: ownApp, client_secret: "s", scope: graphScope });
    expect(claims(issued.json.access_token)).toMatchObject({
      aud: "https://graph.microsoft.com",
      tid: ids.tenant,
      appid: ownApp,
      idtyp: "app",
      roles: ["User.Read.All", "User.RevokeSessions.All"],
      iat: Date.parse("2026-11-25T12:00:00Z") / 1000,
    });
    expect(claims(issued.json.access_token).scp).toBeUndefined();
    const assertion = await authority("token", {
      grant_type: "client_credentials",
      client_id: ownApp,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: "header.payload.signature",
      scope: "https://management.azure.com//.default",
    });
    expect(claims(assertion.json.access_token)).toMatchObject({ aud: "https://management.azure.com", idtyp: "app" });
    const cli = await authority("token", { grant_type: "client_credentials", client_id: azureCli, client_secret: "s", scope: graphScope });
    expect(cli).toMatchObject({ status: 400, json: { error: "invalid_client" } });
    expect(String(cli.json.error_description)).toContain("AADSTS700025");
  });

  it("a user sign-in through the Azure CLI's app gets its pre-authorized scopes only; through the scenario's app, the granted ones", async () => {
    h = await startHarness(new ManualClock());
    const cli = claims(await deviceCodeToken(azureCli));
    expect(cli).toMatchObject({ idtyp: "user", appid: azureCli, upn: "operator@fabrikam.example" });
    const cliScopes = String(cli.scp).split(" ");
    expect(cliScopes).toEqual(expect.arrayContaining(["User.Read.All", "User.ReadWrite.All", "Directory.AccessAsUser.All"]));
    expect(cliScopes.filter((s) => /^(UserAuthenticationMethod|IdentityRiskyUser|IdentityRiskEvent|RoleManagement)\./.test(s))).toEqual([]);
    expect(cli.roles).toBeUndefined();
    // Security Administrator, as a directory role template id
    expect(cli.wids).toEqual(["194ae4cb-b126-40b2-bd5b-6091b380977d"]);

    const own = claims(await deviceCodeToken(ownApp));
    expect(String(own.scp).split(" ")).toEqual(h.emulator.state().operator.permissions);
    const logs = claims(await deviceCodeToken(ownApp, "https://api.loganalytics.io/.default offline_access openid profile"));
    expect(logs).toMatchObject({ aud: "https://api.loganalytics.io", scp: "user_impersonation" });
  });

  it("Graph: a delegated token without the scope gets 403 AccessDenied 'required scopes are missing in the token'; with it the call goes through", async () => {
    h = await startHarness(new ManualClock());
    const token = await deviceCodeToken(azureCli);
    expect((await raw(h, "GET", `/v1.0/users/${ids.kim}?$select=id,accountEnabled`, { token })).status).toBe(200);
    for (const [method, path, body] of [
      ["GET", `/v1.0/users/${ids.kim}/authentication/methods`, undefined],
      ["GET", `/v1.0/roleManagement/directory/roleAssignments?$filter=principalId eq '${ids.kim}'`, undefined],
      ["GET", "/v1.0/identityProtection/riskyUsers", undefined],
      ["POST", "/v1.0/identityProtection/riskyUsers/confirmCompromised", { userIds: [ids.kim] }],
      ["DELETE", `/v1.0/users/${ids.kim}/authentication/microsoftAuthenticatorMethods/${ids.authenticator}`, undefined],
    ] as const) {
      const answer = await raw(h, method, path, { token, ...(body ? { body } : {}) });
      expect({ path, status: answer.status }).toEqual({ path, status: 403 });
      expect(answer.json).toMatchObject({ error: { code: "AccessDenied", message: "You cannot perform the requested operation, required scopes are missing in the token.", innerError: { "request-id": expect.any(String) } } });
    }
    // The Azure CLI's app holds User.ReadWrite.All: blocking sign-in and revoking go through.
    expect((await raw(h, "PATCH", `/v1.0/users/${ids.kim}`, { token, body: { accountEnabled: false } })).status).toBe(204);
    expect((await raw(h, "POST", `/v1.0/users/${ids.kim}/revokeSignInSessions`, { token })).status).toBe(200);

    const own = await deviceCodeToken(ownApp);
    expect((await raw(h, "GET", `/v1.0/users/${ids.kim}/authentication/methods`, { token: own })).status).toBe(200);
  });

  it("Graph: an application token without the role gets 403 Authorization_RequestDenied, inside a batch too; a token for another resource is a 401", async () => {
    h = await startHarness(new ManualClock(), { permissions: ["User.Read.All"] });
    const issued = await authority("token", { grant_type: "client_credentials", client_id: ownApp, client_secret: "s", scope: graphScope });
    const token = String(issued.json.access_token);
    expect((await raw(h, "GET", `/v1.0/users/${ids.kim}`, { token })).status).toBe(200);
    const denied = await raw(h, "GET", `/v1.0/users/${ids.kim}/authentication/methods`, { token });
    expect(denied).toMatchObject({ status: 403, json: { error: { code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." } } });
    const batch = await raw(h, "POST", "/v1.0/$batch", { token, body: { requests: [{ id: "1", method: "POST", url: `/users/${ids.kim}/revokeSignInSessions` }] } });
    expect(batch.json).toMatchObject({ responses: [{ id: "1", status: 403, body: { error: { code: "Authorization_RequestDenied" } } }] });

    const arm = await authority("token", { grant_type: "client_credentials", client_id: ownApp, client_secret: "s", scope: "https://management.azure.com/.default" });
    const wrong = await raw(h, "GET", `/v1.0/users/${ids.kim}`, { token: String(arm.json.access_token) });
    expect(wrong).toMatchObject({ status: 401, json: { error: { code: "InvalidAuthenticationToken", message: "Access token validation failure. Invalid audience." } } });
  });

  it("authorization code: /authorize hands a code to the loopback redirect URI with the state; the token endpoint redeems it", async () => {
    h = await startHarness(new ManualClock());
    const refused = await authority("authorize", { client_id: ownApp, redirect_uri: "https://evil.example/cb", response_type: "code", scope: graphScope }, "GET");
    expect(refused.status).toBe(400);
    const sent = await authority("authorize", { client_id: ownApp, redirect_uri: "http://localhost:53123", response_type: "code", scope: graphScope, state: "st-1" }, "GET");
    expect(sent.status).toBe(302);
    const back = new URL(sent.location!);
    expect(back.origin).toBe("http://localhost:53123");
    expect(back.searchParams.get("state")).toBe("st-1");
    const redeemed = await authority("token", { grant_type: "authorization_code", client_id: ownApp, code: back.searchParams.get("code")!, redirect_uri: "http://localhost:53123", code_verifier: "v", scope: graphScope });
    expect(claims(redeemed.json.access_token)).toMatchObject({ idtyp: "user", appid: ownApp });
    expect(redeemed.json.refresh_token).toEqual(expect.any(String));
    const refreshed = await authority("token", { grant_type: "refresh_token", client_id: ownApp, refresh_token: String(redeemed.json.refresh_token), scope: "https://management.azure.com//.default" });
    expect(claims(refreshed.json.access_token)).toMatchObject({ aud: "https://management.azure.com", scp: "user_impersonation" });
  });
});
