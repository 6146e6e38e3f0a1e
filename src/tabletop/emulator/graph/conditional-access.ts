import type { GraphContext, GraphRoute } from "./context.js";
import { notFound, requirePermission } from "./context.js";
import { applySelect, checkQueryOptions, GraphFault, matchesFilter, page, parseFilter } from "./odata.js";
import { graphPermissions } from "./permissions.js";

const docs = "microsoft-graph-docs-contrib api-reference/v1.0/api";
type Kind = "policies" | "namedLocations";

function listOf(ctx: GraphContext, kind: Kind): Array<Record<string, unknown> & { id: string }> {
  return kind === "policies" ? ctx.state.conditionalAccessPolicies : ctx.state.namedLocations;
}

/**
 * Identity protection and Conditional Access answer at most 1 request per second per tenant, all apps combined, and
 * their 429 carries no Retry-After (microsoft-graph-docs-contrib concepts/includes/throttling-identityprotection-ca.md;
 * azure-reference.md section 7). Measured on a monotonic clock: the scenario's clock may be pinned.
 */
const lastAnswered = new WeakMap<object, number>();
const perRequestMs = 1000;

export function paceConditionalAccess(ctx: GraphContext, now: () => number = () => performance.now()): void {
  const t = now();
  const last = lastAnswered.get(ctx.state);
  if (last !== undefined && t - last < perRequestMs) {
    throw new GraphFault(429, "TooManyRequests", "Too many requests. Please try again later.", {});
  }
  lastAnswered.set(ctx.state, t);
}

function routesFor(kind: Kind, listPage: string, getPage: string): GraphRoute[] {
  return [
    {
      method: "GET",
      pattern: `/identity/conditionalAccess/${kind}`,
      source: `${docs}/${listPage}`,
      handle(ctx, req) {
        requirePermission(ctx, graphPermissions.policyRead);
        paceConditionalAccess(ctx);
        const q = req.query;
        checkQueryOptions(q);
        const filter = parseFilter(q.get("$filter"), ["modifiedDateTime", "createdDateTime", "displayName", "state"]);
        return page(listOf(ctx, kind).filter((x) => matchesFilter(x, filter)).map((x) => applySelect(x, q.get("$select"))), q, req.origin, req.path, `identity/conditionalAccess/${kind}`);
      },
    },
    {
      method: "GET",
      pattern: `/identity/conditionalAccess/${kind}/{id}`,
      source: `${docs}/${getPage}`,
      handle(ctx, req, params) {
        requirePermission(ctx, graphPermissions.policyRead);
        paceConditionalAccess(ctx);
        checkQueryOptions(req.query);
        const found = listOf(ctx, kind).find((x) => x.id === params.id);
        if (!found) throw notFound(kind, params.id!);
        return { status: 200, body: applySelect(found, req.query.get("$select")) };
      },
    },
  ];
}

/** Conditional Access policies and named locations (read only). */
export const conditionalAccessRoutes: GraphRoute[] = [
  ...routesFor("policies", "conditionalaccessroot-list-policies.md", "conditionalaccesspolicy-get.md"),
  ...routesFor("namedLocations", "conditionalaccessroot-list-namedlocations.md", "namedlocation-get.md"),
];
