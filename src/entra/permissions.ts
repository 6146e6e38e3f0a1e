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
  roleWrite: "RoleManagement.ReadWrite.Directory",
  roleEligibilityWrite: "RoleEligibilitySchedule.ReadWrite.Directory",
  groupMemberWrite: "GroupMember.ReadWrite.All",
  grantsWrite: "DelegatedPermissionGrant.ReadWrite.All",
  // user-list-approleassignments: Directory.Read.All is the least privileged application permission; a delegated token
  // may hold AppRoleAssignment.ReadWrite.All instead (the table below).
  appRoleAssignmentRead: "Directory.Read.All",
  appRoleAssignmentWrite: "AppRoleAssignment.ReadWrite.All",
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
  [/^\/users\/[^/]+\/appRoleAssignments/i, graph.appRoleAssignmentRead],
  [/^\/groups\/[^/]+\/members/i, graph.groupMemberRead],
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
  ["DELETE", /^\/oauth2PermissionGrants\/[^/]+$/i, graph.grantsWrite],
  ["DELETE", /^\/roleManagement\/directory\/roleAssignments\/[^/]+$/i, graph.roleWrite],
  ["POST", /^\/roleManagement\/directory\/roleEligibilityScheduleRequests$/i, graph.roleEligibilityWrite],
  ["DELETE", /^\/groups\/[^/]+\/members\/[^/]+\/\$ref$/i, graph.groupMemberWrite],
  ["DELETE", /^\/users\/[^/]+\/appRoleAssignments\/[^/]+$/i, graph.appRoleAssignmentWrite],
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

/** A Graph permission name of the catalogue. */
export type GraphPermission = (typeof graph)[keyof typeof graph];

/** The two kinds of access token: a signed-in user's (delegated, `scp` claim) or an application's (`roles` claim). */
export type TokenKind = "delegated" | "application";

/**
 * What Graph also accepts in place of each least-privileged permission, by token kind: the higher permissions of
 * each API's "Permissions" table (learn.microsoft.com/graph/api/<api>, least to most privileged). A token holding
 * one of them satisfies the need. Directory.AccessAsUser.All exists only as a delegated permission.
 */
const higher: Record<GraphPermission, { application: readonly string[]; delegated: readonly string[] }> = {
  [graph.userRead]: { application: ["User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"], delegated: ["User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"] },
  [graph.userEnableDisable]: { application: ["User.ReadWrite.All", "Directory.ReadWrite.All"], delegated: ["User.ReadWrite.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"] },
  // user-revokesigninsessions: app-only takes User.RevokeSessions.All only (azure-reference.md section 9)
  [graph.userRevokeSessions]: { application: [], delegated: ["User.ReadWrite.All", "Directory.ReadWrite.All"] },
  [graph.authMethodsRead]: { application: [graph.authMethodsWrite], delegated: [graph.authMethodsWrite] },
  [graph.authMethodsWrite]: { application: [], delegated: [] },
  [graph.groupMemberRead]: { application: ["Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"], delegated: ["Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"] },
  [graph.applicationRead]: { application: [graph.applicationWrite, "Directory.Read.All", "Directory.ReadWrite.All"], delegated: [graph.applicationWrite, "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"] },
  [graph.applicationWrite]: { application: ["Directory.ReadWrite.All"], delegated: ["Directory.ReadWrite.All", "Directory.AccessAsUser.All"] },
  [graph.grantsRead]: { application: ["DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"], delegated: ["DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"] },
  [graph.policyRead]: { application: [graph.policyWriteConditionalAccess], delegated: [graph.policyWriteConditionalAccess] },
  [graph.policyWriteConditionalAccess]: { application: [], delegated: [] },
  [graph.roleRead]: { application: ["RoleManagement.Read.All", "Directory.Read.All", "RoleManagement.ReadWrite.Directory", "Directory.ReadWrite.All"], delegated: ["RoleManagement.Read.All", "Directory.Read.All", "RoleManagement.ReadWrite.Directory", "Directory.ReadWrite.All"] },
  [graph.riskyUserRead]: { application: [graph.riskyUserWrite], delegated: [graph.riskyUserWrite] },
  [graph.riskyUserWrite]: { application: [], delegated: [] },
  [graph.riskEventRead]: { application: ["IdentityRiskEvent.ReadWrite.All"], delegated: ["IdentityRiskEvent.ReadWrite.All"] },
  [graph.auditLogRead]: { application: [], delegated: [] },
  // unifiedroleassignment-delete
  [graph.roleWrite]: { application: [], delegated: [] },
  // rbacapplication-post-roleeligibilityschedulerequests
  [graph.roleEligibilityWrite]: { application: [graph.roleWrite], delegated: [graph.roleWrite] },
  // group-delete-members (a role-assignable group also needs RoleManagement.ReadWrite.Directory)
  [graph.groupMemberWrite]: { application: ["Group.ReadWrite.All", "Directory.ReadWrite.All"], delegated: ["Group.ReadWrite.All", "Directory.ReadWrite.All"] },
  // oauth2permissiongrant-delete
  [graph.grantsWrite]: { application: ["Directory.ReadWrite.All"], delegated: ["Directory.ReadWrite.All", "Directory.AccessAsUser.All"] },
  // user-list-approleassignments
  [graph.appRoleAssignmentRead]: { application: [graph.appRoleAssignmentWrite, "Directory.ReadWrite.All"], delegated: [graph.appRoleAssignmentWrite, "Directory.ReadWrite.All", "Directory.AccessAsUser.All"] },
  // user-delete-approleassignments
  [graph.appRoleAssignmentWrite]: { application: ["Directory.ReadWrite.All"], delegated: ["Directory.ReadWrite.All", "Directory.AccessAsUser.All"] },
  // rbacapplication-list-roleeligibilityscheduleinstances
  [graph.roleEligibilityRead]: {
    application: ["RoleEligibilitySchedule.ReadWrite.Directory", "RoleManagement.Read.All", "RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory"],
    delegated: ["RoleEligibilitySchedule.ReadWrite.Directory", "RoleManagement.Read.All", "RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory"],
  },
};

/** The permissions a token of this kind may hold to satisfy `need`: the need itself first, then the higher ones Graph accepts. */
export function acceptedPermissions(need: string, kind: TokenKind): readonly string[] {
  const alternatives = (higher as Record<string, { application: readonly string[]; delegated: readonly string[] }>)[need];
  return [need, ...(alternatives?.[kind] ?? [])];
}

/** One need checked against what a token holds: the permission that satisfies it, if any. */
export interface NeedCheck {
  need: string;
  heldAs?: string;
}

/** Each need against the token's permissions (`roles` or `scp`, case-insensitive as Graph compares them). */
export function checkNeeds(needs: readonly string[], token: { kind: TokenKind; permissions: readonly string[] }): NeedCheck[] {
  const held = new Map(token.permissions.map((p) => [p.toLowerCase(), p]));
  return [...new Set(needs)].map((need) => {
    const heldAs = acceptedPermissions(need, token.kind).map((p) => held.get(p.toLowerCase())).find((p): p is string => p !== undefined);
    return heldAs ? { need, heldAs } : { need };
  });
}

/**
 * How to grant a missing permission to the app the token came from. The Azure CLI's app can hold only its own
 * pre-authorized scopes (azure-reference.md section 9): it is never the answer for the permissions containment needs.
 */
export function grantInstruction(permission: string, token: { kind: TokenKind; appId?: string; azureCliApp: boolean }): string {
  if (token.kind === "delegated" && token.azureCliApp) {
    return `the Azure CLI's app cannot be granted ${permission}: register an app (public client) with the delegated permission ${permission} admin-consented and sign in with --client-id <its app id>, or use an application identity`;
  }
  const app = token.appId ? `app ${token.appId}` : "the app";
  const type = token.kind === "delegated" ? "Delegated permissions" : "Application permissions";
  return `grant ${permission} to ${app}: Entra admin center > App registrations > the app > API permissions > Add a permission > Microsoft Graph > ${type} > ${permission}, then Grant admin consent`;
}

/** The hint for Graph's "required scopes are missing in the token" (the Graph adapter's 403 translation). */
export function missingScopeHint(permission: string | undefined): string {
  const p = permission ?? "the permission";
  return (
    `The token was issued to an app that does not hold ${p} as a delegated permission (the Azure CLI's app, used by az login and by --device-code or --browser without --client-id, cannot hold it). ` +
    `Sign in with --client-id <app id> (or AZIR_CLIENT_ID) of an app registration with ${p} admin-consented, or run as an application identity holding it (AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or a certificate; --certificate); azir doctor shows what the token holds.`
  );
}

/** What one action needs: its writes' permission as shown in the prompt and dry-run, and every permission it uses. */
export interface ActionPermissions {
  /** The permission each write of the action declares (confirmation prompt, dry-run, the 403 message). */
  write: string;
  /** Everything the action needs, reads included (least privilege; `azir doctor` checks these). */
  needs: readonly string[];
  /**
   * Delegated sign-in only: a directory role the signed-in user must hold besides the app's permissions (the API
   * pages' "In delegated scenarios ..." paragraph); acting on an administrator needs Privileged Authentication
   * Administrator (facts.ts adminActorRoles).
   */
  delegatedRoles: readonly string[];
}

/**
 * What the admin-target check reads: active role assignments (RoleManagement.Read.Directory), the user's transitive
 * memberships with the roles and role-assignable groups named (User.Read.All + RoleManagement.Read.Directory +
 * GroupMember.Read.All), and PIM eligibilities (RoleEligibilitySchedule.Read.Directory).
 */
const adminTargetReads = [graph.roleRead, graph.groupMemberRead, graph.roleEligibilityRead];

/** By registered action name. */
export const actionPermissions = {
  "entra.blockSignIn": {
    write: `${graph.userEnableDisable} + ${graph.userRead}`,
    needs: [graph.userEnableDisable, graph.userRead, ...adminTargetReads],
    delegatedRoles: ["User Administrator", "Privileged Authentication Administrator", "Global Administrator"],
  },
  "entra.revokeSessions": {
    write: graph.userRevokeSessions,
    needs: [graph.userRevokeSessions, graph.userRead, ...adminTargetReads],
    delegatedRoles: ["User Administrator", "Privileged Authentication Administrator", "Global Administrator"],
  },
  "entra.removeAuthMethods": {
    write: graph.authMethodsWrite,
    // the registration report (the default method's type) is read with AuditLog.Read.All
    needs: [graph.authMethodsWrite, graph.userRead, ...adminTargetReads, graph.auditLogRead],
    delegatedRoles: ["Authentication Administrator", "Privileged Authentication Administrator", "Global Administrator"],
  },
  "entra.confirmCompromised": {
    write: graph.riskyUserWrite,
    needs: [graph.riskyUserWrite, graph.userRead],
    delegatedRoles: ["Security Administrator", "Global Administrator"],
  },
  // application-addpassword, application-removepassword, application-update (keyCredentials), the service principal
  // pages alike; the user's directory roles say whether it could edit every app
  "entra.rotateAppCredentials": {
    write: graph.applicationWrite,
    needs: [graph.applicationWrite, graph.userRead, graph.roleRead, graph.auditLogRead],
    delegatedRoles: ["Application Administrator", "Cloud Application Administrator", "Global Administrator"],
  },
  "entra.removePrivilegedAssignments": {
    write: graph.roleWrite,
    needs: [graph.roleWrite, graph.roleEligibilityWrite, graph.roleEligibilityRead, graph.groupMemberRead, graph.groupMemberWrite, graph.auditLogRead, graph.userRead],
    delegatedRoles: ["Privileged Role Administrator", "Global Administrator"],
  },
  "entra.revokeConsents": {
    write: graph.grantsWrite,
    needs: [graph.grantsWrite, graph.appRoleAssignmentWrite, graph.appRoleAssignmentRead, graph.applicationRead, graph.userRead],
    delegatedRoles: ["Cloud Application Administrator", "Application Administrator", "Privileged Role Administrator", "Global Administrator"],
  },
  "entra.reviewConditionalAccess": {
    write: "none (reads only)",
    needs: [graph.policyRead],
    delegatedRoles: ["Security Reader", "Conditional Access Administrator", "Global Reader"],
  },
  "entra.enableSignIn": {
    write: `${graph.userEnableDisable} + ${graph.userRead}`,
    needs: [graph.userEnableDisable, graph.userRead],
    delegatedRoles: ["User Administrator", "Privileged Authentication Administrator", "Global Administrator"],
  },
} as const satisfies Record<string, ActionPermissions>;

/**
 * Azure RBAC for VM forensics: the action each call needs and a built-in role that holds it (Azure built-in roles:
 * Reader; Disk Snapshot Contributor holds Microsoft.Compute/snapshots/* and disks/read; Owner and User Access
 * Administrator hold Microsoft.Authorization/locks/*; Storage Blob Data Contributor the blob data actions).
 */
export const azure = {
  vmRead: "Microsoft.Compute/virtualMachines/read and instanceView (Reader) on the VM",
  diskRead: "Microsoft.Compute/disks/read (Reader, or Disk Snapshot Contributor) on the disks",
  snapshotWrite: "Microsoft.Compute/snapshots/write (Disk Snapshot Contributor) on the forensics resource group (the VM's, for Ultra and Premium SSD v2 disks)",
  snapshotAccess: "Microsoft.Compute/snapshots/beginGetAccess/action and endGetAccess/action (Disk Snapshot Contributor)",
  lockWrite: "Microsoft.Authorization/locks/write (Owner or User Access Administrator) on the snapshots and the forensics storage account",
  storageAccountRead: "Microsoft.Storage/storageAccounts/read (Reader) on the forensics storage account",
  blobWrite: "Storage Blob Data Contributor on the forensics container",
} as const;

/** What one ARM action needs (Azure roles, which a token does not list: `azir doctor` names them, cannot check them). */
export interface ArmActionPermissions {
  write: string;
  needs: readonly string[];
}

export const armActionPermissions = {
  "arm.snapshotDisks": { write: azure.snapshotWrite, needs: [azure.vmRead, azure.diskRead, azure.snapshotWrite] },
  "arm.lockEvidence": { write: azure.lockWrite, needs: [azure.lockWrite] },
  "arm.exportSnapshots": {
    write: `${azure.snapshotAccess} + ${azure.blobWrite}`,
    needs: [azure.storageAccountRead, azure.snapshotAccess, azure.blobWrite],
  },
} as const satisfies Record<string, ArmActionPermissions>;

/** Reading role assignments and naming directory roles (the admin-target check). */
export const roleReadPermission = graph.roleRead;
/** Naming the groups of a membership list (is a group role-assignable?). */
export const groupReadPermission = graph.groupMemberRead;
/** Reading PIM eligibilities. */
export const roleEligibilityReadPermission = graph.roleEligibilityRead;
