import { z } from "zod";
import type { RouteParams } from "../router.js";
import type { ApiRequest, Reply } from "../types.js";
import { findUser, notEmulated, parseBody, publicApp, requireAdminActorFor, requirePermission, userView, type GraphContext, type GraphRoute } from "./context.js";
import { applySelect, checkQueryOptions, GraphFault, matchesFilter, page, parseFilter } from "./odata.js";
import { graphPermissions } from "./permissions.js";

const docs = "microsoft-graph-docs-contrib api-reference/v1.0/api";

const userPatchSchema = z
  .object({
    accountEnabled: z.boolean().optional(),
    displayName: z.string().optional(),
    jobTitle: z.string().nullable().optional(),
    department: z.string().nullable().optional(),
    usageLocation: z.string().nullable().optional(),
    mail: z.string().nullable().optional(),
  })
  .strict();

/**
 * Properties Entra Connect synchronises from AD DS, so that a synchronised user's copy in Entra is read-only
 * (user.md onPremisesSyncEnabled: "true if this user object is currently being synced from an on-premises Active
 * Directory"); usageLocation is set in the cloud (licensing).
 */
const adMastered: ReadonlySet<string> = new Set(["accountEnabled", "displayName", "jobTitle", "department", "mail"]);

function ownedObjects(ctx: GraphContext, req: ApiRequest, params: RouteParams): Reply {
  requirePermission(ctx, graphPermissions.userRead);
  const user = findUser(ctx, params.user!);
  const q = req.query;
  checkQueryOptions(q);
  const cast = params.cast;
  if (cast && (cast.includes("/") || !["microsoft.graph.application", "microsoft.graph.serviceprincipal"].includes(cast.toLowerCase()))) {
    throw new GraphFault(400, "BadRequest", `Unsupported segment ${cast}`);
  }
  const apps = ctx.state.applications.filter((a) => a.owners.includes(user.id)).map((a) => ({ "@odata.type": "#microsoft.graph.application", ...publicApp(a) }));
  const sps = ctx.state.servicePrincipals.filter((s) => s.owners.includes(user.id)).map((s) => ({ "@odata.type": "#microsoft.graph.servicePrincipal", ...publicApp(s) }));
  const items = cast?.toLowerCase() === "microsoft.graph.application" ? apps : cast ? sps : [...apps, ...sps];
  return page(items.map((i) => applySelect(i, q.get("$select"))), q, req.origin, req.path, "directoryObjects");
}

/** Users: list, get, update (block sign-in), revoke sessions, owned objects. */
export const userRoutes: GraphRoute[] = [
  {
    method: "GET",
    pattern: "/users",
    source: `${docs}/user-list.md`,
    handle(ctx, req) {
      requirePermission(ctx, graphPermissions.userRead);
      const q = req.query;
      checkQueryOptions(q);
      const filter = parseFilter(q.get("$filter"), ["userPrincipalName", "id", "mail", "accountEnabled", "displayName", "userType"]);
      const items = ctx.state.users.filter((u) => matchesFilter(u, filter)).map((u) => userView(u, q.get("$select")));
      return page(items, q, req.origin, req.path, "users");
    },
  },
  {
    method: "GET",
    pattern: "/users/{user}",
    source: `${docs}/user-get.md`,
    handle(ctx, req, params) {
      requirePermission(ctx, graphPermissions.userRead);
      const user = findUser(ctx, params.user!);
      checkQueryOptions(req.query);
      return { status: 200, body: { "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity", ...userView(user, req.query.get("$select")) } };
    },
  },
  {
    method: "PATCH",
    pattern: "/users/{user}",
    source: `${docs}/user-update.md`,
    handle(ctx, req, params) {
      const user = findUser(ctx, params.user!);
      const patch = parseBody(userPatchSchema, req.body);
      const keys = Object.keys(patch);
      if (keys.length === 1 && keys[0] === "accountEnabled") requirePermission(ctx, graphPermissions.enableDisable);
      else requirePermission(ctx, graphPermissions.userWrite);
      if ("accountEnabled" in patch) requireAdminActorFor(ctx, user.id);
      if (user.onPremisesSyncEnabled === true && keys.some((k) => adMastered.has(k))) {
        // The message Graph gives (microsoftgraph/microsoft-graph-docs issues #7301, #18038), with the code of its
        // family of refusals (#12584: Request_BadRequest).
        throw new GraphFault(400, "Request_BadRequest", "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.");
      }
      Object.assign(user, patch);
      return { status: 204 };
    },
  },
  {
    method: "POST",
    pattern: "/users/{user}/revokeSignInSessions",
    source: `${docs}/user-revokesigninsessions.md`,
    handle(ctx, _req, params) {
      const user = findUser(ctx, params.user!);
      requirePermission(ctx, graphPermissions.revoke);
      requireAdminActorFor(ctx, user.id);
      user.signInSessionsValidFromDateTime = ctx.clock.now().toISOString();
      return { status: 200, body: { "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean", value: true } };
    },
  },
  {
    // "also returns app role assignments granted to groups that the user is a direct member of"
    method: "GET",
    pattern: "/users/{user}/appRoleAssignments",
    source: `${docs}/user-list-approleassignments.md`,
    handle(ctx, req, params) {
      const user = findUser(ctx, params.user!);
      requirePermission(ctx, graphPermissions.appRoleAssignmentsRead);
      checkQueryOptions(req.query);
      const principals = new Set([user.id, ...ctx.state.groups.filter((g) => g.members.includes(user.id)).map((g) => g.id)]);
      const items = ctx.state.appRoleAssignments.filter((a) => principals.has(a.principalId)).map((a) => applySelect({ ...a }, req.query.get("$select")));
      return page(items, req.query, req.origin, req.path, `users('${user.id}')/appRoleAssignments`);
    },
  },
  {
    method: "GET",
    pattern: "/users/{user}/appRoleAssignments/{id}",
    source: `${docs}/approleassignment-get.md`,
    handle(ctx, req, params) {
      const user = findUser(ctx, params.user!);
      requirePermission(ctx, graphPermissions.appRoleAssignmentsRead);
      checkQueryOptions(req.query);
      const assignment = ctx.state.appRoleAssignments.find((a) => a.id === params.id && a.principalId === user.id);
      if (!assignment) throw new GraphFault(404, "Request_ResourceNotFound", `Resource '${params.id}' does not exist or one of its queried reference-property objects are not present.`);
      return { status: 200, body: applySelect({ ...assignment }, req.query.get("$select")) };
    },
  },
  {
    method: "DELETE",
    pattern: "/users/{user}/appRoleAssignments/{id}",
    source: `${docs}/user-delete-approleassignments.md`,
    handle(ctx, _req, params) {
      const user = findUser(ctx, params.user!);
      requirePermission(ctx, graphPermissions.appRoleAssignmentsWrite);
      const index = ctx.state.appRoleAssignments.findIndex((a) => a.id === params.id && a.principalId === user.id);
      if (index < 0) throw new GraphFault(404, "Request_ResourceNotFound", `Resource '${params.id}' does not exist or one of its queried reference-property objects are not present.`);
      ctx.state.appRoleAssignments.splice(index, 1);
      return { status: 204 };
    },
  },
  { method: "GET", pattern: "/users/{user}/ownedObjects", source: `${docs}/user-list-ownedobjects.md`, handle: ownedObjects },
  { method: "GET", pattern: "/users/{user}/ownedObjects/{cast+}", source: `${docs}/user-list-ownedobjects.md (type cast)`, handle: ownedObjects },
];

/** After every other route under /users/{user}: an unknown user is a 404 before the path is refused. */
export const userCatchAllRoutes: GraphRoute[] = [
  { method: "*", pattern: "/users/{user}", source: `${docs}/user-get.md (404 for an unknown user)`, handle: refuseForUser },
  { method: "*", pattern: "/users/{user}/{rest+}", source: `${docs}/user-get.md (404 for an unknown user)`, handle: refuseForUser },
];

function refuseForUser(ctx: GraphContext, req: ApiRequest, params: RouteParams): Reply {
  findUser(ctx, params.user!);
  throw notEmulated(req);
}
