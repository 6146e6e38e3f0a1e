import type { z } from "zod";
import type { Clock } from "../../../core/clock.js";
import type { IdSource } from "../../../core/ids.js";
import type { ScenarioGroup, ScenarioRoleAssignment, ScenarioTables, TenantState } from "../../scenario/schema.js";
import type { Route } from "../router.js";
import type { ApiRequest, Reply } from "../types.js";
import type { Caller } from "../tokens.js";
import { applySelect, GraphFault } from "./odata.js";
import type { Accepted } from "./permissions.js";

/** What the Graph routes work on. */
export interface GraphContext {
  state: TenantState;
  tables: ScenarioTables;
  clock: Clock;
  ids: IdSource;
  /** Who the request acts as (from its token; see tokens.ts). */
  caller: Caller;
  /** Answers a JSON batch; absent for the requests inside one, since Graph does not nest batches. */
  batch?: (req: ApiRequest) => Reply;
}

/** A Graph route: `req.path` is the path below /v1.0 (or /beta), as sent (the links of a page are built from it). */
export type GraphRoute = Route<GraphContext, ApiRequest, Reply>;
export type TenantUser = TenantState["users"][number];

// Acting on an admin is a sensitive action (api-reference/v1.0/resources/users.md, "Who can perform sensitive actions").
const adminActorRoles = ["Privileged Authentication Administrator", "Global Administrator"];

// user-get.md: without $select, Graph returns this default set.
const defaultUserProperties = ["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"];

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new GraphFault(400, "Request_BadRequest", `Invalid request body: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid"}`);
  }
  return result.data;
}

export const notFound = (what: string, id: string): GraphFault => new GraphFault(404, "Request_ResourceNotFound", `Resource '${id}' does not exist or one of its queried reference-property objects are not present. (${what})`);
const denied = (): GraphFault => new GraphFault(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
// The answer to a delegated token without the scope (Azure/azure-cli#23906, AlexFilipin/ConditionalAccess#10: Graph's
// own body for a user token from an app that was not granted the permission, whatever the user's roles).
const scopesMissing = (): GraphFault => new GraphFault(403, "AccessDenied", "You cannot perform the requested operation, required scopes are missing in the token.");

/** Graph's answer to a path or method the emulator does not model: a 400, never a wrong answer. */
export function notEmulated(req: ApiRequest): GraphFault {
  const first = req.path.split("/").find(Boolean) ?? "";
  return new GraphFault(400, "BadRequest", `Resource not found for the segment '${first}' (${req.method} ${req.path} is not emulated).`);
}

/** Whether the caller's token holds one of the permissions Graph accepts: `roles` for an application, `scp` for a user. */
export function holdsPermission(ctx: GraphContext, accepted: Accepted): boolean {
  const { caller } = ctx;
  const held = new Set((caller.kind === "application" ? caller.roles : caller.scopes).map((p) => p.toLowerCase()));
  return (caller.kind === "application" ? accepted.application : accepted.delegated).some((p) => held.has(p.toLowerCase()));
}

/**
 * The caller's token must hold one of the permissions Graph accepts for the operation (graph/permissions.ts): an
 * application token in `roles` (else 403 Authorization_RequestDenied), a delegated one in `scp` (else 403
 * AccessDenied, "required scopes are missing in the token").
 */
export function requirePermission(ctx: GraphContext, accepted: Accepted): void {
  if (holdsPermission(ctx, accepted)) return;
  throw ctx.caller.kind === "application" ? denied() : scopesMissing();
}

/** The groups a principal belongs to, directly or through nested groups. */
export function groupsOf(state: TenantState, principalId: string): ScenarioGroup[] {
  const found = new Map<string, ScenarioGroup>();
  const queue = [principalId];
  while (queue.length > 0) {
    const member = queue.shift()!;
    for (const g of state.groups) {
      if (!found.has(g.id) && g.members.includes(member)) {
        found.set(g.id, g);
        queue.push(g.id);
      }
    }
  }
  return [...found.values()];
}

/**
 * The active role assignments that reach a user: its own, and those of the role-assignable groups it is a member of
 * (groups-concept.md: "When people join the group, they're assigned the role indirectly").
 */
export function roleAssignmentsReaching(state: TenantState, userId: string): ScenarioRoleAssignment[] {
  const principals = new Set([userId, ...groupsOf(state, userId).map((g) => g.id)]);
  return state.roleAssignments.filter((a) => principals.has(a.principalId));
}

/**
 * Whether changing a user's sign-in or credentials is a sensitive action: the user holds a directory role (its own or
 * through a group), or is a member of a role-assignable group (users.md "Who can perform sensitive actions";
 * groups-concept.md: "you must be assigned at least the Privileged Authentication Administrator role to change the
 * credentials, reset MFA, or modify sensitive attributes for members and owners of a role-assignable group").
 */
export function isPrivilegedTarget(state: TenantState, userId: string): boolean {
  return roleAssignmentsReaching(state, userId).length > 0 || groupsOf(state, userId).some((g) => g.isAssignableToRole);
}

/** Writes to a directory-role holder (or a member of a role-assignable group) need a role able to act on admins. */
export function requireAdminActorFor(ctx: GraphContext, userId: string): void {
  if (isPrivilegedTarget(ctx.state, userId) && !ctx.state.operator.roles.some((r) => adminActorRoles.includes(r))) throw denied();
}

/** A user by id or UPN, both case-insensitive (user-get.md: `/users/{id | userPrincipalName}`). */
export function userByKey(state: TenantState, key: string): TenantUser | undefined {
  const k = key.toLowerCase();
  return state.users.find((u) => u.id.toLowerCase() === k || u.userPrincipalName.toLowerCase() === k);
}

/** A user by id or UPN, else Graph's 404. */
export function findUser(ctx: GraphContext, key: string): TenantUser {
  const user = userByKey(ctx.state, key);
  if (!user) throw notFound("user", key);
  return user;
}

export function userView(user: Record<string, unknown>, select: string | null): Record<string, unknown> {
  if (select) {
    // Each selected property is answered, null when the user has no value for it (as the default set is, below).
    const picked = applySelect(user, select);
    for (const name of select.split(",").map((s) => s.trim())) {
      if (name !== "" && !Object.keys(picked).some((k) => k.toLowerCase() === name.toLowerCase())) picked[name] = null;
    }
    return picked;
  }
  const out: Record<string, unknown> = {};
  for (const p of defaultUserProperties) out[p] = user[p] ?? (p === "businessPhones" ? [] : null);
  return out;
}

/** An application or service principal without the scenario's `owners` bookkeeping. */
export function publicApp(app: Record<string, unknown>): Record<string, unknown> {
  const { owners: _owners, ...rest } = app;
  return rest;
}
