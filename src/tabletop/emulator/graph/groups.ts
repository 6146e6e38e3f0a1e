import { notFound, requirePermission, type GraphContext, type GraphRoute } from "./context.js";
import { applySelect, checkQueryOptions, page } from "./odata.js";
import { graphPermissions } from "./permissions.js";

const docs = "microsoft-graph-docs-contrib api-reference/v1.0/api";

function findGroup(ctx: GraphContext, id: string) {
  const group = ctx.state.groups.find((g) => g.id.toLowerCase() === id.toLowerCase());
  if (!group) throw notFound("group", id);
  return group;
}

/** A member of a group as the members list shows it: a user or a group, with its type. */
function memberObject(ctx: GraphContext, id: string): Record<string, unknown> {
  const user = ctx.state.users.find((u) => u.id === id);
  if (user) return { "@odata.type": "#microsoft.graph.user", id: user.id, displayName: user.displayName, userPrincipalName: user.userPrincipalName };
  const group = ctx.state.groups.find((g) => g.id === id);
  if (group) return { "@odata.type": "#microsoft.graph.group", id: group.id, displayName: group.displayName };
  return { "@odata.type": "#microsoft.graph.directoryObject", id };
}

/** A group's direct members, and removing one (the membership only: `/$ref`). */
export const groupRoutes: GraphRoute[] = [
  {
    method: "GET",
    pattern: "/groups/{group}/members",
    source: `${docs}/group-list-members.md`,
    handle(ctx, req, params) {
      requirePermission(ctx, graphPermissions.groupMembersRead);
      const group = findGroup(ctx, params.group!);
      checkQueryOptions(req.query);
      return page(group.members.map((m) => applySelect(memberObject(ctx, m), req.query.get("$select"))), req.query, req.origin, req.path, "directoryObjects");
    },
  },
  {
    // "To remove members from a role-assignable group, the app must also be assigned the RoleManagement.ReadWrite.Directory permission."
    method: "DELETE",
    pattern: "/groups/{group}/members/{member}/$ref",
    source: `${docs}/group-delete-members.md`,
    handle(ctx, _req, params) {
      requirePermission(ctx, graphPermissions.groupMemberWrite);
      const group = findGroup(ctx, params.group!);
      if (group.isAssignableToRole) requirePermission(ctx, graphPermissions.roleWrite);
      const index = group.members.findIndex((m) => m.toLowerCase() === params.member!.toLowerCase());
      if (index < 0) throw notFound("member", params.member!);
      group.members.splice(index, 1);
      return { status: 204 };
    },
  },
];
