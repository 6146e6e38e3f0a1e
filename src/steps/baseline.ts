import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * A tenant baseline: what was normal before an incident, recorded by `azir baseline capture` and given to `harden`
 * and `contain` with `--baseline <file>`. Versioned JSON, validated when read; a later version of azir reads older
 * versions or refuses them by name, never guesses.
 */

export const baselineVersion = 1;

const guidLike = z.string().min(1);
const time = z.string().refine((v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)), { message: "expected an ISO-8601 date-time" });

export const baselineMethodSchema = z
  .object({
    id: z.string().min(1),
    /** Graph's `@odata.type`, e.g. `#microsoft.graph.phoneAuthenticationMethod`. */
    type: z.string().min(1),
    createdDateTime: time.nullable(),
  })
  .strict();

export const baselineUserSchema = z
  .object({
    id: guidLike,
    userPrincipalName: z.string().min(3),
    /** Null when the methods could not be read (the capture says why in `gaps`). */
    authenticationMethods: z.array(baselineMethodSchema).nullable(),
  })
  .strict();

export const baselineRoleMemberSchema = z
  .object({
    /** The assignment's id (active) or the eligibility instance's id (eligible). */
    id: z.string().min(1),
    kind: z.enum(["active", "eligible"]),
    principalId: guidLike,
    /** `user`, `group` or `servicePrincipal` (from the principal's `@odata.type`), `unknown` when not expanded. */
    principalType: z.string(),
    principalName: z.string().nullable(),
    roleDefinitionId: z.string().min(1),
    roleName: z.string(),
    directoryScopeId: z.string(),
    /** A group principal's members (object ids), null when they could not be read; absent for other principals. */
    groupMembers: z.array(z.string()).nullable().optional(),
  })
  .strict();

const hashed = {
  id: z.string().min(1),
  displayName: z.string(),
  modifiedDateTime: time.nullable(),
  /** SHA-256 of the object's body as Graph returned it, keys sorted, without its creation and modification times. */
  hash: z.string().regex(/^[0-9a-f]{64}$/, "expected a SHA-256 hex digest"),
};

export const baselinePolicySchema = z.object({ ...hashed, state: z.string() }).strict();
export const baselineNamedLocationSchema = z.object({ ...hashed, type: z.string(), isTrusted: z.boolean().nullable() }).strict();

export const baselineAppSchema = z
  .object({
    id: guidLike,
    appId: z.string(),
    kind: z.enum(["application", "servicePrincipal"]),
    displayName: z.string(),
    passwordKeyIds: z.array(z.string()),
    certificateKeyIds: z.array(z.string()),
  })
  .strict();

export const baselineGrantSchema = z
  .object({
    id: z.string().min(1),
    clientId: z.string(),
    consentType: z.string(),
    principalId: z.string().nullable(),
    resourceId: z.string(),
    scope: z.string(),
  })
  .strict();

export const tenantBaselineSchema = z
  .object({
    kind: z.literal("azir.tenant-baseline").describe("What the file is."),
    version: z.literal(baselineVersion).describe("Format version; azir refuses a version it does not know."),
    capturedAt: time,
    /** Who was captured: `all`, or the UPNs named. */
    scope: z.union([z.literal("all"), z.array(z.string())]),
    users: z.array(baselineUserSchema),
    privilegedRoles: z.array(baselineRoleMemberSchema),
    namedLocations: z.array(baselineNamedLocationSchema),
    conditionalAccessPolicies: z.array(baselinePolicySchema),
    applications: z.array(baselineAppSchema),
    oauth2PermissionGrants: z.array(baselineGrantSchema),
    /** What could not be read when the baseline was captured: those parts cannot show that something is new. */
    gaps: z.array(z.object({ what: z.string(), reason: z.string() }).strict()),
  })
  .strict();

export type TenantBaseline = z.infer<typeof tenantBaselineSchema>;
export type BaselineRoleMember = z.infer<typeof baselineRoleMemberSchema>;

/** JSON with its object keys sorted, so that the same body always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The hash of a policy or named location body: everything Graph returns but its creation and modification times and
 * the OData context, so a policy saved again unchanged keeps its hash and any change to its conditions or controls
 * does not (the id already names the object; the times say when, not what).
 */
export function bodyHash(body: Record<string, unknown>): string {
  const kept = Object.fromEntries(Object.entries(body).filter(([k]) => k !== "modifiedDateTime" && k !== "createdDateTime" && !k.startsWith("@odata.context")));
  return createHash("sha256").update(canonical(kept)).digest("hex");
}

/** Whether the baseline could show this part as it was (false when its capture could not read it). */
export function baselineCovers(baseline: TenantBaseline, what: "privilegedRoles" | "namedLocations" | "conditionalAccessPolicies" | "applications" | "oauth2PermissionGrants"): boolean {
  return !baseline.gaps.some((g) => g.what === what);
}
