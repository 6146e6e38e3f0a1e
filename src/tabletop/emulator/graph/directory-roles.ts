import type { GraphContext, GraphRoute } from "./context.js";
import { findUser, requirePermission, userView } from "./context.js";
import { graphPermissions } from "./permissions.js";
import { checkQueryOptions, matchesFilter, page, parseFilter } from "./odata.js";

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
  return null;
}

/** Directory role assignments and definitions, and a user's roles (groups are not modelled). */
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
    pattern: "/users/{user}/memberOf",
    source: `${docs}/user-list-memberof.md`,
    handle(ctx, req, params) {
      requirePermission(ctx, graphPermissions.memberOf);
      const user = findUser(ctx, params.user!);
      checkQueryOptions(req.query);
      const roles = ctx.state.roleAssignments
        .filter((a) => a.principalId === user.id)
        .map((a) => ({ "@odata.type": "#microsoft.graph.directoryRole", id: a.roleDefinitionId, roleTemplateId: a.roleDefinitionId, displayName: roleName(ctx, a.roleDefinitionId) }));
      return page(roles, req.query, req.origin, req.path, "directoryObjects");
    },
  },
];
