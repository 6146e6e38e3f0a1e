import { isAzirError } from "../core/errors.js";
import type { GraphReader } from "../core/ports.js";
import { privilegedRoles } from "../entra/facts.js";
import { graph as catalogue } from "../entra/permissions.js";
import { bodyHash, baselineVersion, type BaselineRoleMember, type TenantBaseline } from "./baseline.js";
import { serviceSaid } from "./graph-errors.js";
import { resolveUser } from "./user-target.js";

/** What `azir baseline capture` reads, least privileged (src/entra/permissions.ts names). */
export const baselineCapturePermissions = [
  catalogue.userRead,
  catalogue.authMethodsRead,
  catalogue.roleRead,
  catalogue.roleEligibilityRead,
  catalogue.policyRead,
  catalogue.applicationRead,
  catalogue.grantsRead,
  catalogue.groupMemberRead,
] as const;

export interface CaptureOptions {
  /** `all`, or the users named (UPN or object id). */
  users: "all" | readonly string[];
  now: Date;
  /**
   * Authentication-method reads in flight at once. Graph's identity budget is per app and tenant in resource units
   * (3,500 per 10 s for the smallest tenants, azure-reference.md section 7): 4 at a time at ~100 ms each is about
   * 40 per second, and the client honours Retry-After on a 429.
   */
  concurrency?: number;
  /** Page size of the user list (Graph serves up to 999 users a page). */
  pageSize?: number;
  onProgress?: (done: number, total: number) => void;
}

interface Credential {
  keyId?: string;
}
interface AppBody {
  id?: string;
  appId?: string;
  displayName?: string;
  passwordCredentials?: Credential[];
  keyCredentials?: Credential[];
}

/** A part of the baseline that could not be read: recorded, so it never vouches for what it did not see. */
function reason(error: unknown): string {
  if (isAzirError(error)) return serviceSaid(error) || error.message;
  return error instanceof Error ? error.message : String(error);
}

async function part<T>(what: string, gaps: TenantBaseline["gaps"], read: () => Promise<T>, empty: T): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (isAzirError(error) && error.code === "interrupted") throw error;
    gaps.push({ what, reason: reason(error) });
    return empty;
  }
}

/** Runs `work` over `items`, at most `limit` at a time, keeping the order of `items`. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  });
  await Promise.all(runners);
  return out;
}

const typeName = (t: unknown): string => (typeof t === "string" ? t.replace(/^#microsoft\.graph\./, "") : "unknown");

/**
 * Captures what is normal in the tenant, before an incident: each user's authentication methods, the members of the
 * privileged roles (active and eligible, users and groups), named locations and Conditional Access policies (with a
 * hash of each body), app registrations and service principals with their credential key ids, and OAuth2 grants.
 * Reads only. A part that cannot be read is a gap in the file, never an empty list that looks like "none".
 */
export async function captureBaseline(graph: GraphReader, options: CaptureOptions): Promise<TenantBaseline> {
  const gaps: TenantBaseline["gaps"] = [];
  const people =
    options.users === "all"
      ? await part("users", gaps, () => graph.list<{ id?: string; userPrincipalName?: string }>("/users", { select: ["id", "userPrincipalName"], top: options.pageSize ?? 999 }), [])
      : await Promise.all(options.users.map(async (u) => resolveUser({ graph }, u)));
  const listed = people.filter((u): u is { id: string; userPrincipalName: string } => typeof u.id === "string" && typeof u.userPrincipalName === "string");
  let done = 0;
  const users = await pool(listed, options.concurrency ?? 4, async (u) => {
    try {
      const methods = await graph.list<{ "@odata.type"?: string; id?: string; createdDateTime?: string | null }>(`/users/${encodeURIComponent(u.id)}/authentication/methods`);
      return {
        id: u.id,
        userPrincipalName: u.userPrincipalName,
        authenticationMethods: methods.filter((m) => typeof m.id === "string").map((m) => ({ id: m.id!, type: m["@odata.type"] ?? "unknown", createdDateTime: m.createdDateTime ?? null })),
      };
    } catch (error) {
      if (isAzirError(error) && error.code === "interrupted") throw error;
      gaps.push({ what: `users[${u.userPrincipalName}].authenticationMethods`, reason: reason(error) });
      return { id: u.id, userPrincipalName: u.userPrincipalName, authenticationMethods: null };
    } finally {
      options.onProgress?.(++done, listed.length);
    }
  });

  const privileged = await part(
    "privilegedRoles",
    gaps,
    async () => {
      const members: BaselineRoleMember[] = [];
      for (const role of privilegedRoles) {
        const filter = `roleDefinitionId eq '${role.templateId}'`;
        const active = await graph.list<{ id?: string; principalId?: string; directoryScopeId?: string; principal?: Record<string, unknown> | null }>("/roleManagement/directory/roleAssignments", { filter, expand: "principal" });
        const eligible = await graph.list<{ id?: string; principalId?: string; directoryScopeId?: string }>("/roleManagement/directory/roleEligibilityScheduleInstances", { filter });
        for (const a of active) {
          if (typeof a.id !== "string" || typeof a.principalId !== "string") continue;
          const name = a.principal?.userPrincipalName ?? a.principal?.displayName;
          members.push({ id: a.id, kind: "active", principalId: a.principalId, principalType: typeName(a.principal?.["@odata.type"]), principalName: typeof name === "string" ? name : null, roleDefinitionId: role.templateId, roleName: role.name, directoryScopeId: a.directoryScopeId ?? "/" });
        }
        for (const e of eligible) {
          if (typeof e.id !== "string" || typeof e.principalId !== "string") continue;
          members.push({ id: e.id, kind: "eligible", principalId: e.principalId, principalType: "unknown", principalName: null, roleDefinitionId: role.templateId, roleName: role.name, directoryScopeId: e.directoryScopeId ?? "/" });
        }
      }
      // A role held by a group reaches its members: record them, so that one added later shows.
      const groups = [...new Set(members.filter((m) => m.principalType === "group").map((m) => m.principalId))];
      const recorded = new Map<string, string[] | null>();
      for (const id of groups) {
        try {
          const list = await graph.list<{ id?: string }>(`/groups/${encodeURIComponent(id)}/members`, { select: ["id"] });
          recorded.set(id, list.map((m) => m.id).filter((m): m is string => typeof m === "string"));
        } catch (error) {
          if (isAzirError(error) && error.code === "interrupted") throw error;
          gaps.push({ what: `privilegedRoles.groupMembers[${id}]`, reason: reason(error) });
          recorded.set(id, null);
        }
      }
      return members.map((m) => (m.principalType === "group" ? { ...m, groupMembers: recorded.get(m.principalId) ?? null } : m));
    },
    [],
  );

  // The Graph adapter sends Conditional Access reads one a second (the service's limit per tenant).
  const namedLocations = await part("namedLocations", gaps, () => graph.list<Record<string, unknown> & { id: string }>("/identity/conditionalAccess/namedLocations"), []);
  const policies = await part("conditionalAccessPolicies", gaps, () => graph.list<Record<string, unknown> & { id: string }>("/identity/conditionalAccess/policies"), []);

  const select = ["id", "appId", "displayName", "passwordCredentials", "keyCredentials"];
  const apps = await part(
    "applications",
    gaps,
    async () => {
      const registrations = await graph.list<AppBody>("/applications", { select });
      const principals = await graph.list<AppBody>("/servicePrincipals", { select });
      const entry = (kind: "application" | "servicePrincipal") => (a: AppBody) => ({
        id: String(a.id),
        appId: a.appId ?? "",
        kind,
        displayName: a.displayName ?? "",
        passwordKeyIds: (a.passwordCredentials ?? []).map((c) => c.keyId).filter((k): k is string => typeof k === "string"),
        certificateKeyIds: (a.keyCredentials ?? []).map((c) => c.keyId).filter((k): k is string => typeof k === "string"),
      });
      return [...registrations.filter((a) => typeof a.id === "string").map(entry("application")), ...principals.filter((a) => typeof a.id === "string").map(entry("servicePrincipal"))];
    },
    [],
  );
  const grants = await part(
    "oauth2PermissionGrants",
    gaps,
    async () =>
      (await graph.list<{ id?: string; clientId?: string; consentType?: string; principalId?: string | null; resourceId?: string; scope?: string }>("/oauth2PermissionGrants"))
        .filter((g) => typeof g.id === "string")
        .map((g) => ({ id: g.id!, clientId: g.clientId ?? "", consentType: g.consentType ?? "", principalId: g.principalId ?? null, resourceId: g.resourceId ?? "", scope: g.scope ?? "" })),
    [],
  );

  const str = (v: unknown): string => (typeof v === "string" ? v : "");
  return {
    kind: "azir.tenant-baseline",
    version: baselineVersion,
    capturedAt: options.now.toISOString(),
    scope: options.users === "all" ? "all" : [...options.users],
    users,
    privilegedRoles: privileged,
    namedLocations: namedLocations.map((n) => ({
      id: n.id,
      displayName: str(n.displayName),
      modifiedDateTime: str(n.modifiedDateTime) || null,
      hash: bodyHash(n),
      type: typeName(n["@odata.type"]),
      isTrusted: typeof n.isTrusted === "boolean" ? n.isTrusted : null,
    })),
    conditionalAccessPolicies: policies.map((p) => ({ id: p.id, displayName: str(p.displayName), modifiedDateTime: str(p.modifiedDateTime) || null, hash: bodyHash(p), state: str(p.state) })),
    applications: apps,
    oauth2PermissionGrants: grants,
    gaps,
  };
}
