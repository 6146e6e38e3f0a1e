import { requirePermission, type GraphRoute } from "./context.js";
import { checkQueryOptions, matchesFilter, page, parseFilter } from "./odata.js";
import { graphPermissions } from "./permissions.js";

/** Delegated consent grants: the OAuth-phishing signal (consent by a non-admin user). */
export const permissionGrantRoutes: GraphRoute[] = [
  {
    method: "GET",
    pattern: "/oauth2PermissionGrants",
    source: "microsoft-graph-docs-contrib api-reference/v1.0/api/oauth2permissiongrant-list.md",
    handle(ctx, req) {
      requirePermission(ctx, graphPermissions.grantsRead);
      checkQueryOptions(req.query);
      const filter = parseFilter(req.query.get("$filter"), ["principalId", "clientId", "resourceId", "consentType"]);
      return page(ctx.state.oauth2PermissionGrants.filter((g) => matchesFilter(g, filter)), req.query, req.origin, req.path, "oauth2PermissionGrants");
    },
  },
];
