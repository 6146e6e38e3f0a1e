import type { ScenarioTables } from "../../scenario/schema.js";
import { requirePermission, type GraphRoute } from "./context.js";
import { checkQueryOptions, matchesFilter, page, parseFilter } from "./odata.js";
import { graphPermissions } from "./permissions.js";

const docs = "microsoft-graph-docs-contrib api-reference/v1.0/api";

function tableObjects(tables: ScenarioTables, name: string): Array<Record<string, unknown>> {
  const table = tables[name];
  if (!table) return [];
  return table.rows.map((row) => Object.fromEntries(table.columns.map((c, i) => [c.name, row[i]])));
}

/** An AuditLogs row as Graph's directoryAudit (azure-reference.md section 4 lists the fields). */
function toDirectoryAudit(r: Record<string, unknown>): Record<string, unknown> {
  return {
    id: r.Id ?? "",
    category: r.Category ?? "",
    correlationId: r.CorrelationId ?? "",
    result: r.Result ?? "",
    resultReason: r.ResultReason ?? "",
    activityDisplayName: r.OperationName ?? r.ActivityDisplayName ?? "",
    activityDateTime: r.ActivityDateTime ?? r.TimeGenerated,
    loggedByService: r.LoggedByService ?? "",
    operationType: r.AADOperationType ?? "",
    initiatedBy: r.InitiatedBy ?? null,
    targetResources: r.TargetResources ?? [],
    additionalDetails: r.AdditionalDetails ?? [],
  };
}

/** A SigninLogs row as Graph's signIn (azure-reference.md section 4 lists the fields). */
function toSignIn(r: Record<string, unknown>): Record<string, unknown> {
  const status = (r.Status ?? {}) as { errorCode?: unknown; failureReason?: unknown; additionalDetails?: unknown };
  return {
    id: r.Id ?? "",
    createdDateTime: r.CreatedDateTime ?? r.TimeGenerated,
    userId: r.UserId ?? "",
    userPrincipalName: r.UserPrincipalName ?? "",
    userDisplayName: r.UserDisplayName ?? "",
    appId: r.AppId ?? "",
    appDisplayName: r.AppDisplayName ?? "",
    ipAddress: r.IPAddress ?? "",
    clientAppUsed: r.ClientAppUsed ?? "",
    conditionalAccessStatus: r.ConditionalAccessStatus ?? "",
    isInteractive: r.IsInteractive ?? true,
    riskLevelDuringSignIn: r.RiskLevelDuringSignIn ?? "none",
    riskState: r.RiskState ?? "none",
    status: { errorCode: Number(status.errorCode ?? r.ResultType ?? 0), failureReason: status.failureReason ?? r.ResultDescription ?? null, additionalDetails: status.additionalDetails ?? null },
    deviceDetail: r.DeviceDetail ?? {},
    location: r.LocationDetails ?? {},
    appliedConditionalAccessPolicies: r.ConditionalAccessPolicies ?? [],
  };
}

/** Directory audits and sign-ins, built from the scenario's AuditLogs and SigninLogs tables, newest first. */
export const auditLogRoutes: GraphRoute[] = [
  {
    method: "GET",
    pattern: "/auditLogs/directoryAudits",
    source: `${docs}/directoryaudit-list.md`,
    handle(ctx, req) {
      requirePermission(ctx, graphPermissions.auditLogRead);
      checkQueryOptions(req.query);
      const filter = parseFilter(req.query.get("$filter"), ["activityDateTime", "category", "activityDisplayName", "initiatedBy/user/id", "initiatedBy/user/userPrincipalName", "userPrincipalName"]);
      const items = tableObjects(ctx.tables, "AuditLogs").map(toDirectoryAudit);
      const filtered = items.filter((a) => matchesFilter({ ...a, userPrincipalName: (a.initiatedBy as { user?: { userPrincipalName?: string } } | null)?.user?.userPrincipalName }, filter));
      filtered.sort((a, b) => String(b.activityDateTime).localeCompare(String(a.activityDateTime)));
      return page(filtered, req.query, req.origin, req.path, "auditLogs/directoryAudits");
    },
  },
  {
    method: "GET",
    pattern: "/auditLogs/signIns",
    source: `${docs}/signin-list.md (at most 1,000 per page)`,
    handle(ctx, req) {
      requirePermission(ctx, graphPermissions.auditLogRead);
      checkQueryOptions(req.query);
      const filter = parseFilter(req.query.get("$filter"), ["createdDateTime", "userPrincipalName", "userId", "ipAddress", "appId", "status/errorCode"]);
      const items = tableObjects(ctx.tables, "SigninLogs").map(toSignIn).filter((s) => matchesFilter(s, filter));
      items.sort((a, b) => String(b.createdDateTime).localeCompare(String(a.createdDateTime)));
      return page(items, req.query, req.origin, req.path, "auditLogs/signIns", 1000);
    },
  },
];
