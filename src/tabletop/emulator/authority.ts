import type { IdSource } from "../../core/ids.js";
import type { TenantState } from "../scenario/schema.js";
import { RouteTable, type Route } from "./router.js";
import type { ApiRequest, Reply } from "./types.js";

/** What the token authority works on. */
export interface AuthorityContext {
  state: TenantState;
  ids: IdSource;
}

/** A request to the authority: its form-encoded body parsed. */
export interface AuthorityRequest extends ApiRequest {
  form: URLSearchParams;
}

const docs = "entra-docs docs/identity-platform";
const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id token for the device-code flow. Unsigned: MSAL reads its claims without checking a signature. */
function unsignedIdToken(origin: string, tenant: string, clientId: string, name: string): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  const claims = { aud: clientId, iss: `${origin}/${tenant}/v2.0`, tid: tenant, oid: "00000000-0000-4000-8000-0000000000aa", sub: "tabletop-operator", name, preferred_username: "operator@tabletop.invalid", ver: "2.0", iat: 0, nbf: 0, exp: 4102444800 };
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}

function token(ctx: AuthorityContext, req: AuthorityRequest, params: { tenant?: string }): Reply {
  const { form } = req;
  const grant = form.get("grant_type") ?? "";
  // v2-oauth2-device-code.md: polling the token endpoint with the device code; the first poll succeeds here.
  if (/^(device_code|urn:ietf:params:oauth:grant-type:device_code)$/.test(grant)) {
    if (!form.get("device_code")?.startsWith("device.")) return { status: 400, body: { error: "invalid_grant", error_description: "Unknown device code." } };
    const tenant = params.tenant ?? ctx.state.tenantId;
    const clientInfo = Buffer.from(JSON.stringify({ uid: "00000000-0000-4000-8000-0000000000aa", utid: ctx.state.tenantId })).toString("base64url");
    return {
      status: 200,
      body: { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, scope: form.get("scope") ?? "", access_token: `tabletop.${ctx.ids.uuid()}`, id_token: unsignedIdToken(req.origin, tenant, form.get("client_id") ?? "", ctx.state.operator.displayName), client_info: clientInfo },
    };
  }
  // v2-oauth2-client-creds-grant-flow.md: client id (a GUID), secret and scope.
  if (!guid.test(form.get("client_id") ?? "")) {
    return { status: 400, body: { error: "unauthorized_client", error_description: "AADSTS700016: Application with identifier was not found in the directory (the client id must be a GUID)." } };
  }
  if (grant !== "client_credentials" || !form.get("client_secret") || !form.get("scope")) {
    return { status: 400, body: { error: "invalid_request", error_description: "AADSTS900144: the tabletop authority accepts client_credentials with client_id, client_secret and scope." } };
  }
  return { status: 200, body: { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: `tabletop.${ctx.ids.uuid()}` } };
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
          device_code: `device.${ctx.ids.uuid()}`,
          verification_uri: `${req.origin}/devicelogin`,
          expires_in: 900,
          interval: 1,
          message: `To sign in, use a web browser to open the page ${req.origin}/devicelogin and enter the code ${userCode} to authenticate.`,
        },
      };
    },
  },
  { method: "POST", pattern: "/{tenant}/oauth2/v2.0/token", source: `${docs}/v2-oauth2-client-creds-grant-flow.md, v2-oauth2-device-code.md`, handle: token },
];

/** The token authority: OpenID discovery, instance discovery, client credentials and the device-code flow. */
export const authorityRoutes = new RouteTable<AuthorityContext, AuthorityRequest, Reply>(routes, {
  ignoreCase: true,
  unmatched: () => ({ status: 404, body: { error: "not_found" } }),
});
