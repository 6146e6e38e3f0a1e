import { createHash } from "node:crypto";
import { z } from "zod";
import type { ApiRequest, Reply } from "../types.js";
import type { RouteParams } from "../router.js";
import type { GraphContext, GraphRoute } from "./context.js";
import { findUser, groupsOf, holdsPermission, notEmulated, parseBody, requirePermission, roleAssignmentsReaching, userView } from "./context.js";
import { applySelect, checkQueryOptions, GraphFault, matchesFilter, page, parseFilter } from "./odata.js";
import { graphPermissions } from "./permissions.js";
import type { ScenarioGroup } from "../../scenario/schema.js";

const docs = "microsoft-graph-docs-contrib api-reference/v1.0/api";

/** Built-in directory roles the emulator knows (template ids: entra-docs role-based-access-control/permissions-reference.md). */
export const builtInRoles: ReadonlyArray<{ templateId: string; displayName: string }> = [
  { templateId: "62e90394-69f5-4237-9190-012177145e10", displayName: "Global Administrator" },
  { templateId: "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", displayName: "Application Administrator" },
  { templateId: "7be44c8a-adaf-4e2a-84d6-ab2649e08a13", displayName: "Privileged Authentication Administrator" },
  { templateId: "158c047a-c907-4556-b7ef-446551a6b5f7", displayName: "Cloud Application Administrator" },
  { templateId: "e8611ab8-c189-46e8-94e1-60213ab1f814", displayName: "Privileged Role Administrator" },
  { templateId: "194ae4cb-b126-40b2-bd5b-6091b380977d", displayName: "Security Administrator" },
  { templateId: "fe930be7-5e62-47db-91af-98c3a49a38b1", displayName: "User Administrator" },
  { templateId: "c4e39bd9-1100-46d3-8c65-fb160da0071f", displayName: "Authentication Administrator" },
  { templateId: "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9", displayName: "Conditional Access Administrator" },
];

function roleName(ctx: GraphContext, id: string): string {
  return ctx.state.roleDefinitions.find((r) => r.id === id || r.templateId === id)?.displayName ?? builtInRoles.find((r) => r.templateId === id)?.displayName ?? id;
}

function principalOf(ctx: GraphContext, id: string): Record<string, unknown> | null {
  const user = ctx.state.users.find((u) => u.id === id);
  if (user) return { "@odata.type": "#microsoft.graph.user", ...userView(user, null) };
  const sp = ctx.state.servicePrincipals.find((s) => s.id === id);
  if (sp) return { "@odata.type": "#microsoft.graph.servicePrincipal", id: sp.id, appId: sp.appId, displayName: sp.displayName };
  // A role-assignable group holds roles too (groups-concept.md); the principal is then the group.
  const group = ctx.state.groups.find((g) => g.id === id);
  if (group) return groupObject(group);
  return null;
}

/**
 * A directoryRole object: an activated built-in role (directoryrole.md: "based on a directoryRoleTemplate"). Its id is
 * the tenant's own, not the template id; here a stable one is derived from the tenant and the template.
 */
function directoryRole(ctx: GraphContext, templateId: string): Record<string, unknown> {
  const h = createHash("sha256").update(`${ctx.state.tenantId}/directoryRole/${templateId}`).digest("hex");
  const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  return { "@odata.type": "#microsoft.graph.directoryRole", id, deletedDateTime: null, description: null, displayName: roleName(ctx, templateId), roleTemplateId: templateId };
}

function groupObject(g: ScenarioGroup): Record<string, unknown> {
  const { members: _members, ...rest } = g;
  return { "@odata.type": "#microsoft.graph.group", ...rest };
}

/**
 * An object of a membership list as an identity that may not read its type sees it: type and id, every other property
 * null (includes/limited-info.md).
 */
function limited(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, k === "@odata.type" || k === "id" ? v : null]));
}

/** Directory roles as a membership list shows them: only tenant-wide built-in roles are directoryRole objects. */
function directoryRolesOf(ctx: GraphContext, assignments: ReadonlyArray<{ roleDefinitionId: string; directoryScopeId: string }>): Record<string, unknown>[] {
  const templates = new Set(assignments.filter((a) => a.directoryScopeId === "/" && builtInRoles.some((r) => r.templateId === a.roleDefinitionId)).map((a) => a.roleDefinitionId));
  return [...templates].map((t) => directoryRole(ctx, t));
}

const casts: Record<string, string> = {
  "microsoft.graph.group": "#microsoft.graph.group",
  "microsoft.graph.directoryrole": "#microsoft.graph.directoryRole",
  "microsoft.graph.administrativeunit": "#microsoft.graph.administrativeUnit",
};

/**
 * `/users/{id}/memberOf` and `/transitiveMemberOf`, with an optional OData cast (user-list-transitivememberof.md):
 * groups and directory roles (administrative units are not modelled, so that cast is always empty). The cast is
 * served without `ConsistencyLevel`, as Microsoft's Azure CLI reads `transitiveMemberOf/microsoft.graph.directoryRole`
 * (Azure/azure-cli, `_directory_role_list`). Objects the identity may not read come back with type and id only.
 */
function memberships(transitive: boolean) {
  return (ctx: GraphContext, req: ApiRequest, params: RouteParams): Reply => {
    const user = findUser(ctx, params.user!);
    requirePermission(ctx, graphPermissions.memberships);
    checkQueryOptions(req.query);
    const cast = params.cast;
    const type = cast === undefined ? undefined : casts[cast.toLowerCase()];
    if (cast !== undefined && type === undefined) throw new GraphFault(400, "BadRequest", `Unsupported segment ${cast}`);
    const groups = transitive ? groupsOf(ctx.state, user.id) : ctx.state.groups.filter((g) => g.members.includes(user.id));
    const assignments = transitive ? roleAssignmentsReaching(ctx.state, user.id) : ctx.state.roleAssignments.filter((a) => a.principalId === user.id);
    const canReadGroups = holdsPermission(ctx, graphPermissions.groupObjects);
    const canReadRoles = holdsPermission(ctx, graphPermissions.directoryRoleObjects);
    const items = [
      ...groups.map(groupObject).map((g) => (canReadGroups ? g : limited(g))),
      ...directoryRolesOf(ctx, assignments).map((r) => (canReadRoles ? r : limited(r))),
    ].filter((o) => type === undefined || o["@odata.type"] === type);
    return page(items.map((o) => applySelect(o, req.query.get("$select"))), req.query, req.origin, req.path, "directoryObjects");
  };
}

const eligibilityRequestSchema = z.looseObject({
  action: z.string(),
  principalId: z.string().min(1),
  roleDefinitionId: z.string().min(1),
  directoryScopeId: z.string().optional(),
  appScopeId: z.string().nullable().optional(),
  justification: z.string().nullable().optional(),
});

/** Directory role assignments, eligibilities and definitions, and a user's memberships (groups and roles). */
export const directoryRoleRoutes: GraphRoute[] = [
  {
    method: "GET",
    pattern: "/roleManagement/directory/roleAssignments",
    source: `${docs}/rbacapplication-list-roleassignments.md`,
    handle(ctx, req) {
      requirePermission(ctx, graphPermissions.roleRead);
      const q = req.query;
      checkQueryOptions(q, { expand: ["principal"] });
      const filter = parseFilter(q.get("$filter"), ["principalId", "roleDefinitionId", "directoryScopeId"]);
      const expand = q.get("$expand") !== null;
      const items = ctx.state.roleAssignments.filter((a) => matchesFilter(a, filter)).map((a) => (expand ? { ...a, principal: principalOf(ctx, a.principalId) } : { ...a }));
      return page(items, q, req.origin, req.path, "roleManagement/directory/roleAssignments");
    },
  },
  {
    method: "GET",
    pattern: "/roleManagement/directory/roleAssignments/{id}",
    source: `${docs}/unifiedroleassignment-get.md`,
    handle(ctx, req, params) {
      requirePermission(ctx, graphPermissions.roleRead);
      checkQueryOptions(req.query);
      const assignment = ctx.state.roleAssignments.find((a) => a.id === params.id);
      if (!assignment) throw new GraphFault(404, "Request_ResourceNotFound", `Resource '${params.id}' does not exist or one of its queried reference-property objects are not present.`);
      return { status: 200, body: { "@odata.context": `${req.origin}/v1.0/$metadata#roleManagement/directory/roleAssignments/$entity`, ...assignment } };
    },
  },
  {
    method: "DELETE",
    pattern: "/roleManagement/directory/roleAssignments/{id}",
    source: `${docs}/unifiedroleassignment-delete.md`,
    handle(ctx, _req, params) {
      requirePermission(ctx, graphPermissions.roleWrite);
      const index = ctx.state.roleAssignments.findIndex((a) => a.id === params.id);
      if (index < 0) throw new GraphFault(404, "Request_ResourceNotFound", `Resource '${params.id}' does not exist or one of its queried reference-property objects are not present.`);
      ctx.state.roleAssignments.splice(index, 1);
      return { status: 204 };
    },
  },
  {
    // Only adminRemove is emulated (what recovery sends): the eligibility goes, and the request answers 201 with
    // status "Revoked" (the page's example 2). Other actions are refused as not emulated.
    method: "POST",
    pattern: "/roleManagement/directory/roleEligibilityScheduleRequests",
    source: `${docs}/rbacapplication-post-roleeligibilityschedulerequests.md`,
    handle(ctx, req) {
      const body = parseBody(eligibilityRequestSchema, req.body);
      requirePermission(ctx, graphPermissions.roleEligibilityWrite);
      if (body.action !== "adminRemove") throw notEmulated(req);
      const scope = body.directoryScopeId ?? "/";
      const matches = (e: { principalId: string; roleDefinitionId: string; directoryScopeId: string }) => e.principalId === body.principalId && e.roleDefinitionId === body.roleDefinitionId && e.directoryScopeId === scope;
      const before = ctx.state.roleEligibilityScheduleInstances.length;
      ctx.state.roleEligibilityScheduleInstances = ctx.state.roleEligibilityScheduleInstances.filter((e) => !matches(e));
      if (ctx.state.roleEligibilityScheduleInstances.length === before) throw new GraphFault(400, "RoleAssignmentDoesNotExist", "The Role assignment does not exist.");
      return {
        status: 201,
        body: {
          "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleEligibilityScheduleRequests/$entity",
          id: ctx.ids.uuid(),
          status: "Revoked",
          createdDateTime: ctx.clock.now().toISOString(),
          completedDateTime: null,
          approvalId: null,
          customData: null,
          action: "adminRemove",
          principalId: body.principalId,
          roleDefinitionId: body.roleDefinitionId,
          directoryScopeId: scope,
          appScopeId: body.appScopeId ?? null,
          isValidationOnly: false,
          targetScheduleId: null,
          justification: body.justification ?? null,
          scheduleInfo: null,
          createdBy: { application: ctx.caller.kind === "application" ? { displayName: null, id: ctx.caller.appId } : null, device: null, user: null },
          ticketInfo: { ticketNumber: null, ticketSystem: null },
        },
      };
    },
  },
  {
    method: "GET",
    pattern: "/roleManagement/directory/roleDefinitions",
    source: `${docs}/rbacapplication-list-roledefinitions.md`,
    handle(ctx, req) {
      requirePermission(ctx, graphPermissions.roleRead);
      const q = req.query;
      checkQueryOptions(q);
      const filter = parseFilter(q.get("$filter"), ["templateId", "displayName", "id"]);
      const defs = new Map<string, Record<string, unknown>>();
      for (const r of builtInRoles) defs.set(r.templateId, { id: r.templateId, templateId: r.templateId, displayName: r.displayName, isBuiltIn: true, isEnabled: true });
      for (const r of ctx.state.roleDefinitions) defs.set(r.id, { isBuiltIn: false, isEnabled: true, ...r });
      return page([...defs.values()].filter((d) => matchesFilter(d, filter)), q, req.origin, req.path, "roleManagement/directory/roleDefinitions");
    },
  },
  {
    method: "GET",
    pattern: "/roleManagement/directory/roleEligibilityScheduleInstances",
    source: `${docs}/rbacapplication-list-roleeligibilityscheduleinstances.md`,
    handle(ctx, req) {
      requirePermission(ctx, graphPermissions.roleEligibility);
      const q = req.query;
      checkQueryOptions(q);
      // unifiedroleeligibilityscheduleinstance.md: $filter (eq, ne) on these
      const filter = parseFilter(q.get("$filter"), ["principalId", "roleDefinitionId", "directoryScopeId", "appScopeId", "memberType", "roleEligibilityScheduleId"]);
      const items = ctx.state.roleEligibilityScheduleInstances.filter((e) => matchesFilter(e, filter)).map((e) => applySelect({ ...e }, q.get("$select")));
      return page(items, q, req.origin, req.path, "roleManagement/directory/roleEligibilityScheduleInstances");
    },
  },
  { method: "GET", pattern: "/users/{user}/memberOf", source: `${docs}/user-list-memberof.md`, handle: memberships(false) },
  { method: "GET", pattern: "/users/{user}/memberOf/{cast}", source: `${docs}/user-list-memberof.md (OData cast)`, handle: memberships(false) },
  { method: "GET", pattern: "/users/{user}/transitiveMemberOf", source: `${docs}/user-list-transitivememberof.md`, handle: memberships(true) },
  {
    method: "GET",
    pattern: "/users/{user}/transitiveMemberOf/{cast}",
    source: `${docs}/user-list-transitivememberof.md (OData cast; Azure/azure-cli _directory_role_list sends it without ConsistencyLevel)`,
    handle: memberships(true),
  },
];
