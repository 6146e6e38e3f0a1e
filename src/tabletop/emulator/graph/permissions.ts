/**
 * The permissions Graph accepts for each operation the emulator serves, by token type, as each API's "Permissions"
 * table lists them (least privileged first, then the higher ones; microsoft-graph-docs-contrib
 * api-reference/v1.0/api/<page>.md, named per entry). An application token must hold one of them in `roles`, a
 * delegated token in `scp`. The emulator plays the service: this table is its own, not azir's catalogue.
 */
export interface Accepted {
  application: readonly string[];
  delegated: readonly string[];
}

const same = (names: readonly string[], delegatedOnly: readonly string[] = []): Accepted => ({ application: names, delegated: [...names, ...delegatedOnly] });

export const graphPermissions = {
  // user-get.md, user-list.md, user-list-ownedobjects.md
  userRead: same(["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"], ["User.ReadBasic.All", "Directory.AccessAsUser.All"]),
  // user-update.md: accountEnabled alone (User.EnableDisableAccount.All), any other property
  enableDisable: same(["User.EnableDisableAccount.All", "User.ReadWrite.All", "Directory.ReadWrite.All"], ["Directory.AccessAsUser.All"]),
  userWrite: same(["User.ReadWrite.All", "Directory.ReadWrite.All"], ["Directory.AccessAsUser.All"]),
  // user-revokesigninsessions.md: app-only holds only User.RevokeSessions.All (azure-reference.md section 9)
  revoke: { application: ["User.RevokeSessions.All"], delegated: ["User.RevokeSessions.All", "User.ReadWrite.All", "Directory.ReadWrite.All"] },
  // user-list-memberof.md
  memberOf: same(["GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"], ["Directory.AccessAsUser.All"]),
  // authentication-list-methods.md and the per-collection get/list pages (acting on other users)
  authMethodsRead: same(["UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"]),
  // phoneauthenticationmethod-delete.md and the other collections' delete pages
  authMethodsWrite: same(["UserAuthenticationMethod.ReadWrite.All"]),
  // includes/permissions/authenticationmethodsroot-list-userregistrationdetails-permissions.md
  registrationReport: same(["AuditLog.Read.All", "UserAuthenticationMethod.Read.All"]),
  // beta api/authentication-get.md (acting on others)
  signInPreferences: same(["UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"]),
  // application-get.md, serviceprincipal-get.md
  applicationRead: {
    application: ["Application.Read.All", "Application.ReadWrite.OwnedBy", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
    delegated: ["Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"],
  },
  // application-addpassword.md, application-removepassword.md
  appCredentials: same(["Application.ReadWrite.OwnedBy", "Application.ReadWrite.All", "Directory.ReadWrite.All"]),
  // application-update.md
  appWrite: same(["Application.ReadWrite.All", "Directory.ReadWrite.All"], ["Directory.AccessAsUser.All"]),
  // oauth2permissiongrant-list.md
  grantsRead: same(["DelegatedPermissionGrant.Read.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"], ["Directory.AccessAsUser.All"]),
  // oauth2permissiongrant-delete.md
  grantsWrite: same(["DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"], ["Directory.AccessAsUser.All"]),
  // user-list-approleassignments.md
  appRoleAssignmentsRead: same(["Directory.Read.All", "AppRoleAssignment.ReadWrite.All", "Directory.ReadWrite.All"], ["Directory.AccessAsUser.All"]),
  // user-delete-approleassignments.md
  appRoleAssignmentsWrite: same(["AppRoleAssignment.ReadWrite.All", "Directory.ReadWrite.All"], ["Directory.AccessAsUser.All"]),
  // rbacapplication-post-roleeligibilityschedulerequests.md
  roleEligibilityWrite: same(["RoleEligibilitySchedule.ReadWrite.Directory", "RoleManagement.ReadWrite.Directory"]),
  // group-list-members.md
  groupMembersRead: same(["GroupMember.Read.All", "Group.Read.All", "GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"], ["Directory.AccessAsUser.All"]),
  // group-delete-members.md
  groupMemberWrite: same(["GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"]),
  // unifiedroleassignment-delete.md
  roleWrite: same(["RoleManagement.ReadWrite.Directory"]),
  // conditionalaccessroot-list-policies.md, conditionalaccessroot-list-namedlocations.md
  policyRead: same(["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"]),
  // user-list-transitivememberof.md (application column): the user's transitive memberships
  memberships: same(["User.Read.All", "Directory.Read.All", "Directory.ReadWrite.All", "Group.Read.All", "GroupMember.Read.All"], ["Directory.AccessAsUser.All"]),
  // rbacapplication-list-roleeligibilityscheduleinstances.md
  roleEligibility: same(["RoleEligibilitySchedule.Read.Directory", "RoleEligibilitySchedule.ReadWrite.Directory", "RoleManagement.Read.All", "RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory"]),
  // What reads a directoryRole (directoryrole-list.md) and a group (group-get.md): without one of them a membership
  // list shows such an object with its type and id only (includes/limited-info.md).
  directoryRoleObjects: same(["RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory", "Directory.Read.All", "Directory.ReadWrite.All"]),
  groupObjects: same(["GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"]),
  // rbacapplication-list-roleassignments.md, rbacapplication-list-roledefinitions.md
  roleRead: same(["RoleManagement.Read.Directory", "RoleManagement.Read.All", "Directory.Read.All", "RoleManagement.ReadWrite.Directory", "Directory.ReadWrite.All"]),
  // riskyuser-list.md, riskyuser-get.md; riskyuser-confirmcompromised.md
  riskyUserRead: same(["IdentityRiskyUser.Read.All", "IdentityRiskyUser.ReadWrite.All"]),
  riskyUserWrite: same(["IdentityRiskyUser.ReadWrite.All"]),
  // riskdetection-list.md
  riskEventRead: same(["IdentityRiskEvent.Read.All", "IdentityRiskEvent.ReadWrite.All"]),
  // directoryaudit-list.md, signin-list.md
  auditLogRead: same(["AuditLog.Read.All"]),
} as const satisfies Record<string, Accepted>;
