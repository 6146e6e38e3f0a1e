import { systemClock } from "../../core/clock.js";
import type { TenantState } from "../scenario/schema.js";
import { builtInRoles } from "./graph/directory-roles.js";

/**
 * The access tokens the emulator's authority issues and its services read. Their claims follow the Microsoft identity
 * platform's access tokens (entra-docs docs/identity-platform/access-token-claims-reference.md): `scp` (space-separated
 * delegated permissions) for a token issued to a signed-in user, `roles` (application permissions) for one issued to
 * an application, `idtyp` "user" or "app", `appid`, `tid`, `aud`, `wids` (directory role template ids). They are
 * unsigned (`alg: none`): nothing outside the emulator checks them, and Graph's signature check is not emulated.
 */

/** The Azure CLI's first-party public client id (also @azure/identity's default for interactive sign-in). */
export const azureCliClientId = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/**
 * What a token from the Azure CLI's app holds for Graph: the app's pre-authorized delegated scopes, as seen in the
 * `scp` claim of tokens from `az login` / `az account get-access-token --resource-type ms-graph` (published decoded
 * in public reports; Azure/azure-cli#22775 compares it with Graph Explorer's). It has no UserAuthenticationMethod.*,
 * IdentityRiskyUser.*, IdentityRiskEvent.* or RoleManagement.* scope, and none can be consented for it: those calls
 * answer 403 "required scopes are missing in the token" even for a Global Administrator (Azure/azure-cli#23906).
 */
export const azureCliGraphScopes: readonly string[] = [
  "Application.ReadWrite.All",
  "AppRoleAssignment.ReadWrite.All",
  "AuditLog.Read.All",
  "DelegatedPermissionGrant.ReadWrite.All",
  "Directory.AccessAsUser.All",
  "Group.ReadWrite.All",
  "User.Read.All",
  "User.ReadWrite.All",
  "email",
  "openid",
  "profile",
];

/** Graph's audiences in the clouds it is deployed in, and its app id (a v1 token may name either). */
const graphAudiences = new Set([
  "https://graph.microsoft.com",
  "https://graph.microsoft.us",
  "https://dod-graph.microsoft.us",
  "https://microsoftgraph.chinacloudapi.cn",
  "00000003-0000-0000-c000-000000000000",
]);

/** Who a request acts as, read from its bearer token. */
export type Caller =
  | { kind: "application"; appId: string; roles: readonly string[] }
  | { kind: "delegated"; appId: string; scopes: readonly string[] };

export type TokenKind = Caller["kind"];

interface AccessTokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  appid: string;
  app_displayname: string;
  idtyp: "app" | "user";
  tid: string;
  oid: string;
  sub: string;
  ver: "1.0";
  roles?: string[];
  scp?: string;
  wids?: string[];
  name?: string;
  upn?: string;
  unique_name?: string;
}

/**
 * The resource a scope names: `https://graph.microsoft.com/.default` and `https://graph.microsoft.com/User.Read` ->
 * `https://graph.microsoft.com` (`https://management.azure.com//.default` too); a short name such as `User.Read` is
 * Graph's (entra-docs docs/identity-platform/scopes-oidc.md: scopes of Microsoft Graph may omit the resource).
 */
export function resourceOf(scope: string): string {
  const oidc = new Set(["openid", "profile", "offline_access", "email"]);
  const first = scope.split(/\s+/).find((s) => s !== "" && !oidc.has(s.toLowerCase()));
  if (!first || !first.includes("/")) return "https://graph.microsoft.com";
  return first.slice(0, first.lastIndexOf("/")).replace(/\/+$/, "");
}

/** The permissions a token of this kind holds for Graph, from the client id and the scenario's grants. */
export function grantedPermissions(state: TenantState, clientId: string, kind: TokenKind): readonly string[] {
  if (kind === "delegated" && clientId.toLowerCase() === azureCliClientId) return azureCliGraphScopes;
  return state.operator.permissions;
}

/** An access token for `scope` issued at `now` (seconds since the epoch) to `clientId`, of the given kind. */
export function issueAccessToken(state: TenantState, request: { clientId: string; scope: string; kind: TokenKind; nowSeconds: number }): string {
  const aud = resourceOf(request.scope);
  const isGraph = graphAudiences.has(aud);
  // Azure Storage is played by Azurite, which checks nbf and exp against the machine's clock (BlobTokenAuthenticator),
  // whatever the emulator's clock says: storage tokens are dated by the machine's clock.
  const now = aud.toLowerCase() === "https://storage.azure.com" ? Math.floor(systemClock.now().getTime() / 1000) : request.nowSeconds;
  const permissions = isGraph ? [...grantedPermissions(state, request.clientId, request.kind)] : [];
  const operatorId = "00000000-0000-4000-8000-0000000000aa";
  const wids = state.operator.roles.map((name) => builtInRoles.find((r) => r.displayName === name)?.templateId).filter((id): id is string => id !== undefined);
  const claims: AccessTokenClaims = {
    aud,
    iss: `https://sts.windows.net/${state.tenantId}/`,
    iat: now,
    nbf: now,
    exp: now + 3599,
    appid: request.clientId,
    app_displayname: request.clientId.toLowerCase() === azureCliClientId ? "Microsoft Azure CLI" : state.operator.displayName,
    idtyp: request.kind === "application" ? "app" : "user",
    tid: state.tenantId,
    oid: operatorId,
    sub: operatorId,
    ver: "1.0",
    ...(wids.length > 0 ? { wids } : {}),
    ...(request.kind === "application"
      ? isGraph
        ? { roles: permissions }
        : {}
      : {
          // Delegated tokens for other resources carry the resource's own scope (ARM and Log Analytics: user_impersonation).
          scp: isGraph ? permissions.join(" ") : "user_impersonation",
          name: state.operator.displayName,
          upn: `operator@${state.domain}`,
          unique_name: `operator@${state.domain}`,
        }),
  };
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ typ: "JWT", alg: "none" })}.${part(claims)}.`;
}

/** The claims of a JWT, or undefined when the token is not one. */
function decode(token: string): Record<string, unknown> | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
    return claims !== null && typeof claims === "object" && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Who a Graph request acts as. A token the authority issued says it in its claims. Any other bearer value (a test's
 * fixed token) stands for the scenario's operator app with its application permissions, as the emulator has always
 * treated it. `wrong-audience`: a JWT addressed to another resource (Graph's 401 "Invalid audience").
 */
export function graphCaller(state: TenantState, token: string): Caller | "wrong-audience" {
  const claims = decode(token);
  if (!claims) return { kind: "application", appId: "", roles: state.operator.permissions };
  const aud = typeof claims.aud === "string" ? claims.aud : "";
  if (!graphAudiences.has(aud)) return "wrong-audience";
  const appId = typeof claims.appid === "string" ? claims.appid : typeof claims.azp === "string" ? claims.azp : "";
  // An app-only token has no scp; idtyp is an optional claim, so its absence decides only together with scp's.
  if (claims.idtyp === "app" || (claims.scp === undefined && Array.isArray(claims.roles))) {
    return { kind: "application", appId, roles: Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === "string") : [] };
  }
  return { kind: "delegated", appId, scopes: typeof claims.scp === "string" ? claims.scp.split(" ").filter(Boolean) : [] };
}
