import { notFound, requirePermission, type GraphRoute } from "./context.js";
import { checkQueryOptions, matchesFilter, page, parseFilter } from "./odata.js";
import { graphPermissions } from "./permissions.js";

const docs = "microsoft-graph-docs-contrib api-reference/v1.0/api";

/** Delegated consent grants: the OAuth-phishing signal (consent by a non-admin user). */
export const permissionGrantRoutes: GraphRoute[] = [
  {
    method: "GET",
    pattern: "/oauth2PermissionGrants",
    source: `${docs}/oauth2permissiongrant-list.md`,
    handle(ctx, req) {
      requirePermission(ctx, graphPermissions.grantsRead);
      checkQueryOptions(req.query);
      const filter = parseFilter(req.query.get("$filter"), ["principalId", "clientId", "resourceId", "consentType"]);
      return page(ctx.state.oauth2PermissionGrants.filter((g) => matchesFilter(g, filter)), req.query, req.origin, req.path, "oauth2PermissionGrants");
    },
  },
  {
    method: "GET",
    pattern: "/oauth2PermissionGrants/{id}",
    source: `${docs}/oauth2permissiongrant-get.md`,
    handle(ctx, req, params) {
      requirePermission(ctx, graphPermissions.grantsRead);
      checkQueryOptions(req.query);
      const grant = ctx.state.oauth2PermissionGrants.find((g) => g.id === params.id);
      if (!grant) throw notFound("oAuth2PermissionGrant", params.id!);
      return { status: 200, body: { "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#oauth2PermissionGrants/$entity", ...grant } };
    },
  },
  {
    // "When a delegated permission grant is deleted, the access it granted is revoked"; 204 No Content.
    method: "DELETE",
    pattern: "/oauth2PermissionGrants/{id}",
    source: `${docs}/oauth2permissiongrant-delete.md`,
    handle(ctx, _req, params) {
      requirePermission(ctx, graphPermissions.grantsWrite);
      const index = ctx.state.oauth2PermissionGrants.findIndex((g) => g.id === params.id);
      if (index < 0) throw notFound("oAuth2PermissionGrant", params.id!);
      ctx.state.oauth2PermissionGrants.splice(index, 1);
      return { status: 204 };
    },
  },
];
