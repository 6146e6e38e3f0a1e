import type { IdSource } from "../../core/ids.js";
import type { TenantState } from "../scenario/schema.js";
import { RouteTable, type Route } from "./router.js";
import { azureCliClientId, issueAccessToken } from "./tokens.js";
import type { ApiRequest, Reply } from "./types.js";

/** What the token authority works on. */
export interface AuthorityContext {
  state: TenantState;
  ids: IdSource;
  /** The emulator clock's now, in seconds since the epoch (the tokens' iat and exp). */
  nowSeconds(): number;
}

/** A request to the authority: its form-encoded body parsed. */
export interface AuthorityRequest extends ApiRequest {
  form: URLSearchParams;
}

const docs = "entra-docs docs/identity-platform";
const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id token for a user sign-in. Unsigned: MSAL reads its claims without checking a signature. */
function unsignedIdToken(origin: string, tenant: string, clientId: string, name: string): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  const claims = { aud: clientId, iss: `${origin}/${tenant}/v2.0`, tid: tenant, oid: operatorObjectId, sub: "tabletop-operator", name, preferred_username: "operator@tabletop.invalid", ver: "2.0", iat: 0, nbf: 0, exp: 4102444800 };
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}

const operatorObjectId = "00000000-0000-4000-8000-0000000000aa";
const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** The answer to a user sign-in (device code, authorization code, refresh token): a delegated token, an id token, a refresh token. */
function userTokens(ctx: AuthorityContext, req: AuthorityRequest, tenant: string, granted?: string): Reply {
  const { form } = req;
  const clientId = form.get("client_id") ?? "";
  const scope = form.get("scope") || granted || "";
  const clientInfo = Buffer.from(JSON.stringify({ uid: operatorObjectId, utid: ctx.state.tenantId })).toString("base64url");
  return {
    status: 200,
    body: {
      token_type: "Bearer",
      expires_in: 3599,
      ext_expires_in: 3599,
      scope,
      access_token: issueAccessToken(ctx.state, { clientId, scope, kind: "delegated", nowSeconds: ctx.nowSeconds() }),
      refresh_token: `tabletop-refresh.${ctx.ids.uuid()}`,
      id_token: unsignedIdToken(req.origin, tenant, clientId, ctx.state.operator.displayName),
      client_info: clientInfo,
    },
  };
}

function token(ctx: AuthorityContext, req: AuthorityRequest, params: { tenant?: string }): Reply {
  const { form } = req;
  const grant = form.get("grant_type") ?? "";
  const tenant = params.tenant ?? ctx.state.tenantId;
  const clientId = form.get("client_id") ?? "";
  // v2-oauth2-client-creds-grant-flow.md (and every other flow): the client id is the app's GUID.
  if (!guid.test(clientId)) {
    return { status: 400, body: { error: "unauthorized_client", error_description: "AADSTS700016: Application with identifier was not found in the directory (the client id must be a GUID)." } };
  }
  // v2-oauth2-device-code.md: polling the token endpoint with the device code; the first poll succeeds here.
  if (/^(device_code|urn:ietf:params:oauth:grant-type:device_code)$/.test(grant)) {
    const deviceCode = form.get("device_code") ?? "";
    if (!deviceCode.startsWith("device.")) return { status: 400, body: { error: "invalid_grant", error_description: "Unknown device code." } };
    // The device code carries the scope it was asked for, as the service remembers it.
    return userTokens(ctx, req, tenant, Buffer.from(deviceCode.split(".")[2] ?? "", "base64url").toString("utf8"));
  }
  // v2-oauth2-auth-code-flow.md: redeeming the code /authorize handed to the redirect URI (PKCE verifier accepted as sent).
  if (grant === "authorization_code") {
    if (!form.get("code")?.startsWith("code.") || !form.get("redirect_uri")) return { status: 400, body: { error: "invalid_grant", error_description: "AADSTS70000: The provided authorization code is invalid." } };
    return userTokens(ctx, req, tenant);
  }
  // v2-oauth2-auth-code-flow.md ("Refresh the access token"): MSAL's silent request for another resource.
  if (grant === "refresh_token") {
    if (!form.get("refresh_token")?.startsWith("tabletop-refresh.")) return { status: 400, body: { error: "invalid_grant", error_description: "AADSTS9002313: Invalid request. The refresh token is malformed." } };
    return userTokens(ctx, req, tenant);
  }
  if (grant !== "client_credentials" || !form.get("scope")) {
    return { status: 400, body: { error: "invalid_request", error_description: "AADSTS900144: the tabletop authority accepts client_credentials with client_id, a secret or an assertion, and scope." } };
  }
  const secret = form.get("client_secret");
  // v2-oauth2-client-creds-grant-flow.md, "Second case: Access token request with a certificate": a signed JWT assertion.
  const assertion = form.get("client_assertion_type") === jwtBearer ? form.get("client_assertion") : null;
  if (clientId.toLowerCase() === azureCliClientId) {
    // A public client has no credential to present (reference-aadsts-error-codes.md, AADSTS700025).
    return { status: 400, body: { error: "invalid_client", error_description: "AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented." } };
  }
  if (!secret && !assertion) {
    return { status: 400, body: { error: "invalid_client", error_description: "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type." } };
  }
  const scope = form.get("scope") ?? "";
  return { status: 200, body: { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: issueAccessToken(ctx.state, { clientId, scope, kind: "application", nowSeconds: ctx.nowSeconds() }) } };
}

const routes: Array<Route<AuthorityContext, AuthorityRequest, Reply>> = [
  {
    method: "*",
    pattern: "/{tenant}/v2.0/.well-known/openid-configuration",
    source: `${docs}/v2-protocols-oidc.md (OpenID configuration document)`,
    handle(_ctx, req, params) {
      const base = `${req.origin}/${params.tenant!}`;
      return {
        status: 200,
        body: {
          token_endpoint: `${base}/oauth2/v2.0/token`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
          end_session_endpoint: `${base}/oauth2/v2.0/logout`,
          issuer: `${base}/v2.0`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
          response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
          scopes_supported: ["openid", "profile", "email", "offline_access"],
          token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
          subject_types_supported: ["pairwise"],
          id_token_signing_alg_values_supported: ["RS256"],
          tenant_region_scope: "EU",
          cloud_instance_name: "microsoftonline.com",
        },
      };
    },
  },
  {
    method: "*",
    pattern: "/common/discovery/instance",
    source: "microsoft-authentication-library-dotnet msal-dotnet-articles/advanced/custom-authority-aliases.md (instance discovery)",
    handle(ctx, req) {
      const host = new URL(req.origin).host;
      return {
        status: 200,
        body: {
          tenant_discovery_endpoint: `${req.origin}/${ctx.state.tenantId}/v2.0/.well-known/openid-configuration`,
          "api-version": "1.1",
          metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
        },
      };
    },
  },
  {
    method: "POST",
    pattern: "/{tenant}/oauth2/v2.0/devicecode",
    source: `${docs}/v2-oauth2-device-code.md (device authorization request)`,
    handle(ctx, req) {
      if (!req.form.get("client_id") || !req.form.get("scope")) return { status: 400, body: { error: "invalid_request", error_description: "client_id and scope are required." } };
      const userCode = "TABLETOP";
      return {
        status: 200,
        body: {
          user_code: userCode,
          device_code: `device.${ctx.ids.uuid()}.${Buffer.from(req.form.get("scope") ?? "").toString("base64url")}`,
          verification_uri: `${req.origin}/devicelogin`,
          expires_in: 900,
          interval: 1,
          message: `To sign in, use a web browser to open the page ${req.origin}/devicelogin and enter the code ${userCode} to authenticate.`,
        },
      };
    },
  },
  {
    method: "GET",
    pattern: "/{tenant}/oauth2/v2.0/authorize",
    source: `${docs}/v2-oauth2-auth-code-flow.md (request an authorization code; the operator is signed in and has consented)`,
    handle(ctx, req) {
      const redirect = req.query.get("redirect_uri");
      if (!req.query.get("client_id") || !redirect || !/^https?:\/\/(localhost|127\.0\.0\.1)(:\d+)?(\/|$)/.test(redirect)) {
        return { status: 400, body: { error: "invalid_request", error_description: "AADSTS50011: The redirect URI must be a loopback address for the tabletop authority." } };
      }
      const target = new URL(redirect);
      target.searchParams.set("code", `code.${ctx.ids.uuid()}`);
      const state = req.query.get("state");
      if (state !== null) target.searchParams.set("state", state);
      return { status: 302, headers: { Location: target.toString() } };
    },
  },
  { method: "POST", pattern: "/{tenant}/oauth2/v2.0/token", source: `${docs}/v2-oauth2-client-creds-grant-flow.md, v2-oauth2-device-code.md, v2-oauth2-auth-code-flow.md`, handle: token },
];

/** The token authority: OpenID discovery, instance discovery, client credentials (secret or certificate), device code and authorization code. */
export const authorityRoutes = new RouteTable<AuthorityContext, AuthorityRequest, Reply>(routes, {
  ignoreCase: true,
  unmatched: () => ({ status: 404, body: { error: "not_found" } }),
});
