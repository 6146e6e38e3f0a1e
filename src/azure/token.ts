import { z } from "zod";
import type { TokenKind } from "../entra/permissions.js";

/**
 * What an access token says about itself, read from its claims (the Microsoft identity platform's access token
 * claims reference: `scp` for a signed-in user's token, `roles` for an application's, `idtyp`, `appid`, `tid`, `aud`,
 * `wids`). The signature is not checked: azir reads its own token to report what it holds, and the service decides.
 * The token itself is never kept, printed or logged.
 */
export interface TokenFacts {
  kind: TokenKind;
  /** The client id the token was issued to (`appid`, or `azp` in a v2 token). */
  appId?: string;
  appName?: string;
  tenantId?: string;
  /** The resource it is for (`aud`). */
  audience?: string;
  /** The signed-in user (delegated tokens): `upn`, `preferred_username` or `unique_name`. */
  user?: string;
  /** `scp` (split) for a delegated token, `roles` for an application token. */
  permissions: string[];
  /** Directory role template ids (`wids`), when the tenant includes them. */
  roleTemplateIds: string[];
  expiresAt?: string;
}

const claimsSchema = z.looseObject({
  aud: z.union([z.string(), z.array(z.string())]).optional(),
  appid: z.string().optional(),
  azp: z.string().optional(),
  app_displayname: z.string().optional(),
  tid: z.string().optional(),
  idtyp: z.string().optional(),
  scp: z.string().optional(),
  roles: z.array(z.string()).optional(),
  wids: z.array(z.string()).optional(),
  upn: z.string().optional(),
  preferred_username: z.string().optional(),
  unique_name: z.string().optional(),
  exp: z.number().optional(),
});

/** The facts of a JWT access token; undefined when the token is not a JWT (an opaque or static token). */
export function tokenFacts(token: string): TokenFacts | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  const parsed = claimsSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const c = parsed.data;
  // An app-only token has no scp (idtyp is optional, so its absence decides only together with scp's).
  const kind: TokenKind = c.idtyp === "app" || (c.scp === undefined && c.roles !== undefined) ? "application" : "delegated";
  const appId = c.appid ?? c.azp;
  const user = c.upn ?? c.preferred_username ?? c.unique_name;
  const audience = Array.isArray(c.aud) ? c.aud[0] : c.aud;
  return {
    kind,
    ...(appId ? { appId } : {}),
    ...(c.app_displayname ? { appName: c.app_displayname } : {}),
    ...(c.tid ? { tenantId: c.tid } : {}),
    ...(audience ? { audience } : {}),
    ...(kind === "delegated" && user ? { user } : {}),
    permissions: kind === "delegated" ? (c.scp ?? "").split(" ").filter(Boolean) : (c.roles ?? []),
    roleTemplateIds: c.wids ?? [],
    ...(c.exp !== undefined ? { expiresAt: new Date(c.exp * 1000).toISOString() } : {}),
  };
}
