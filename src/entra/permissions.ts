/**
 * THE permission catalogue: every Graph permission, Azure role and Log Analytics right azir needs, by request and
 * by action. Effects carry their permission from here, the adapters' 403 translation reads it, and `azir doctor`
 * will compare a token against it. Source of the least-privileged names: each API's page on learn.microsoft.com
 * ("Permissions" table, application column); azure-reference.md sections 4, 5 and 9.
 */

/** Graph application permissions (app roles) by what they allow. Each name is written here and nowhere else. */
export const graph = {
  userRead: "User.Read.All",
  userEnableDisable: "User.EnableDisableAccount.All",
  userRevokeSessions: "User.RevokeSessions.All",
  authMethodsRead: "UserAuthenticationMethod.Read.All",
  authMethodsWrite: "UserAuthenticationMethod.ReadWrite.All",
  groupMemberRead: "GroupMember.Read.All",
  applicationRead: "Application.Read.All",
  applicationWrite: "Application.ReadWrite.All",
  grantsRead: "DelegatedPermissionGrant.Read.All",
  policyRead: "Policy.Read.All",
  policyWriteConditionalAccess: "Policy.ReadWrite.ConditionalAccess",
  roleRead: "RoleManagement.Read.Directory",
  roleEligibilityRead: "RoleEligibilitySchedule.Read.Directory",
  riskyUserRead: "IdentityRiskyUser.Read.All",
  riskyUserWrite: "IdentityRiskyUser.ReadWrite.All",
  riskEventRead: "IdentityRiskEvent.Read.All",
  auditLogRead: "AuditLog.Read.All",
} as const;

/** Log Analytics: the right to run queries on the workspace (azure-reference.md section 1). */
export const logAnalyticsPermission = "Log Analytics Reader on the workspace (or Microsoft.OperationalInsights/workspaces/query/read)";

/** Graph read permissions (least privileged) by path pattern, used when a request carries none of its own. */
const graphReads: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/reports\/authenticationMethods\//i, graph.authMethodsRead],
  [/^\/users\/[^/]+\/authentication(\/|$)/i, graph.authMethodsRead],
  [/^\/users\/[^/]+\/memberOf/i, graph.groupMemberRead],
  // user-list-transitivememberof: User.Read.All is the least privileged; the groups and roles in the answer are named
  // only with GroupMember.Read.All and RoleManagement.Read.Directory (limited information otherwise).
  [/^\/users\/[^/]+\/transitiveMemberOf/i, graph.userRead],
  [/^\/users(\/|$)/i, graph.userRead],
  [/^\/(applications|servicePrincipals)(\/|$|\()/i, graph.applicationRead],
  [/^\/oauth2PermissionGrants/i, graph.grantsRead],
  [/^\/identity\/conditionalAccess/i, graph.policyRead],
  [/^\/roleManagement\/directory\/roleEligibilitySchedule/i, graph.roleEligibilityRead],
  [/^\/roleManagement\/directory/i, graph.roleRead],
  [/^\/identityProtection\/riskyUsers/i, graph.riskyUserRead],
  [/^\/identityProtection\/riskDetections/i, graph.riskEventRead],
  [/^\/auditLogs/i, graph.auditLogRead],
  [/^\/directoryRoles/i, graph.roleRead],
];

/** Graph write permissions (least privileged) by method and path pattern. */
const graphWrites: ReadonlyArray<readonly [string, RegExp, string]> = [
  ["PATCH", /^\/users\/[^/]+$/i, graph.userEnableDisable],
  ["POST", /^\/users\/[^/]+\/revokeSignInSessions$/i, graph.userRevokeSessions],
  ["DELETE", /^\/users\/[^/]+\/authentication\//i, graph.authMethodsWrite],
  ["PATCH", /^\/users\/[^/]+\/authentication\/signInPreferences$/i, graph.authMethodsWrite],
  ["POST", /^\/(applications|servicePrincipals)\/[^/]+\/(add|remove)Password$/i, graph.applicationWrite],
  ["PATCH", /^\/(applications|servicePrincipals)\/[^/]+$/i, graph.applicationWrite],
  ["POST", /^\/identityProtection\/riskyUsers\/(confirmCompromised|dismiss)$/i, graph.riskyUserWrite],
  ["PATCH", /^\/identity\/conditionalAccess\//i, graph.policyWriteConditionalAccess],
];

/** The path of a Graph or ARM request, without scheme, host, version root or query string. */
function pathOf(pathOrUrl: string): string {
  return pathOrUrl.replace(/^https?:\/\/[^/]+/i, "").replace(/[?#].*$/, "");
}

/** The least-privileged Graph permission for a request, or undefined when the path is not one azir knows. */
export function graphPermissionFor(method: string, path: string): string | undefined {
  const p = pathOf(path).replace(/^\/(v1\.0|beta)(?=\/)/i, "");
  const m = method.toUpperCase();
  if (m !== "GET") {
    for (const [wm, pattern, permission] of graphWrites) if (wm === m && pattern.test(p)) return permission;
  }
  for (const [pattern, permission] of graphReads) if (pattern.test(p)) return permission;
  return undefined;
}

/** ARM permission (action and a built-in role that holds it) by method and resource path. */
export function armPermissionFor(method: string, path: string): string {
  const p = pathOf(path);
  const m = method.toUpperCase();
  if (/\/providers\/Microsoft\.Authorization\/locks\//i.test(p)) {
    return m === "GET" ? "Microsoft.Authorization/locks/read (Reader)" : "Microsoft.Authorization/locks/write (Owner or User Access Administrator)";
  }
  if (/\/snapshots\/[^/]+\/(beginGetAccess|endGetAccess)$/i.test(p)) return "Microsoft.Compute/snapshots/beginGetAccess/action (Disk Snapshot Contributor)";
  if (/\/snapshots\//i.test(p)) return m === "GET" ? "Microsoft.Compute/snapshots/read (Reader)" : "Microsoft.Compute/snapshots/write (Disk Snapshot Contributor)";
  if (/\/disks\//i.test(p)) return m === "GET" ? "Microsoft.Compute/disks/read (Reader)" : "Microsoft.Compute/disks/write (Disk Snapshot Contributor)";
  if (/\/virtualMachines\//i.test(p)) return "Microsoft.Compute/virtualMachines/read (Reader)";
  if (/\/Microsoft\.Security\/alerts/i.test(p)) return "Microsoft.Security/alerts/read (Security Reader)";
  return m === "GET" ? "read access on the resource (Reader)" : "write access on the resource (Contributor)";
}

/** What one action needs: its writes' permission as shown in the prompt and dry-run, and every permission it uses. */
export interface ActionPermissions {
  /** The permission each write of the action declares (confirmation prompt, dry-run, the 403 message). */
  write: string;
  /** Everything the action needs, reads included (least privilege; `azir doctor` checks these). */
  needs: readonly string[];
}

/**
 * What the admin-target check reads: active role assignments (RoleManagement.Read.Directory), the user's transitive
 * memberships with the roles and role-assignable groups named (User.Read.All + RoleManagement.Read.Directory +
 * GroupMember.Read.All), and PIM eligibilities (RoleEligibilitySchedule.Read.Directory).
 */
const adminTargetReads = [graph.roleRead, graph.groupMemberRead, graph.roleEligibilityRead];

/** By registered action name. */
export const actionPermissions = {
  "entra.blockSignIn": { write: `${graph.userEnableDisable} + ${graph.userRead}`, needs: [graph.userEnableDisable, graph.userRead, ...adminTargetReads] },
  "entra.revokeSessions": { write: graph.userRevokeSessions, needs: [graph.userRevokeSessions, graph.userRead, ...adminTargetReads] },
  "entra.removeAuthMethods": { write: graph.authMethodsWrite, needs: [graph.authMethodsWrite, graph.userRead, ...adminTargetReads] },
  "entra.confirmCompromised": { write: graph.riskyUserWrite, needs: [graph.riskyUserWrite, graph.userRead] },
} as const satisfies Record<string, ActionPermissions>;

/** Reading role assignments and naming directory roles (the admin-target check). */
export const roleReadPermission = graph.roleRead;
/** Naming the groups of a membership list (is a group role-assignable?). */
export const groupReadPermission = graph.groupMemberRead;
/** Reading PIM eligibilities. */
export const roleEligibilityReadPermission = graph.roleEligibilityRead;
