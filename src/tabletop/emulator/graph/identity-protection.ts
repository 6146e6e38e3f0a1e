import { z } from "zod";
import type { GraphRoute } from "./context.js";
import type { GraphContext } from "./context.js";
import { findUser, notFound, parseBody, requirePermission } from "./context.js";
import { checkQueryOptions, GraphFault, matchesFilter, page, parseFilter } from "./odata.js";
import { graphPermissions } from "./permissions.js";

const docs = "microsoft-graph-docs-contrib api-reference/v1.0/api";
const confirmCompromisedSchema = z.object({ userIds: z.array(z.string().min(1)).min(1).max(60) });

/**
 * Identity Protection is a Microsoft Entra ID P2 feature (resources/identityprotection-overview.md, "What licenses do
 * I need?"). Without it Graph answers 403 `Forbidden` "Your tenant is not licensed for this feature.": no Microsoft
 * page prints the body; it is the answer Graph clients record in public code (azure-reference.md section 9 calls it a
 * licence message, not a missing permission). Checked before the permissions: it is a property of the tenant.
 */
function requireP2(ctx: GraphContext): void {
  if (!ctx.state.licences.entraIdP2) throw new GraphFault(403, "Forbidden", "Your tenant is not licensed for this feature.");
}

/** Identity Protection: risky users (list, get, confirm compromised) and risk detections. */
export const identityProtectionRoutes: GraphRoute[] = [
  {
    method: "GET",
    pattern: "/identityProtection/riskyUsers",
    source: `${docs}/riskyuser-list.md`,
    handle(ctx, req) {
      requireP2(ctx);
      requirePermission(ctx, graphPermissions.riskyUserRead);
      checkQueryOptions(req.query);
      const filter = parseFilter(req.query.get("$filter"), ["id", "userPrincipalName", "riskLevel", "riskState"]);
      return page(ctx.state.riskyUsers.filter((u) => matchesFilter(u, filter)), req.query, req.origin, req.path, "identityProtection/riskyUsers");
    },
  },
  {
    method: "POST",
    pattern: "/identityProtection/riskyUsers/confirmCompromised",
    source: `${docs}/riskyuser-confirmcompromised.md`,
    handle(ctx, req) {
      const body = parseBody(confirmCompromisedSchema, req.body);
      requireP2(ctx);
      requirePermission(ctx, graphPermissions.riskyUserWrite);
      const now = ctx.clock.now().toISOString();
      const confirmed = { riskLevel: "high", riskState: "confirmedCompromised", riskDetail: "adminConfirmedUserCompromised", riskLastUpdatedDateTime: now } as const;
      for (const id of body.userIds) {
        const user = findUser(ctx, id);
        let risky = ctx.state.riskyUsers.find((r) => r.id === user.id);
        if (!risky) {
          risky = { id: user.id, userPrincipalName: user.userPrincipalName, userDisplayName: user.displayName, ...confirmed, isDeleted: false, isProcessing: false };
          ctx.state.riskyUsers.push(risky);
        }
        Object.assign(risky, confirmed);
      }
      return { status: 204 };
    },
  },
  {
    method: "GET",
    pattern: "/identityProtection/riskyUsers/{id}",
    source: `${docs}/riskyuser-get.md`,
    handle(ctx, _req, params) {
      requireP2(ctx);
      requirePermission(ctx, graphPermissions.riskyUserRead);
      const found = ctx.state.riskyUsers.find((r) => r.id === params.id);
      if (!found) throw notFound("riskyUser", params.id!);
      return { status: 200, body: found };
    },
  },
  {
    method: "GET",
    pattern: "/identityProtection/riskDetections",
    source: `${docs}/riskdetection-list.md`,
    handle(ctx, req) {
      requireP2(ctx);
      requirePermission(ctx, graphPermissions.riskEventRead);
      checkQueryOptions(req.query);
      const filter = parseFilter(req.query.get("$filter"), ["userId", "userPrincipalName", "riskEventType", "detectedDateTime", "activityDateTime"]);
      return page(ctx.state.riskDetections.filter((d) => matchesFilter(d, filter)), req.query, req.origin, req.path, "identityProtection/riskDetections");
    },
  },
];
