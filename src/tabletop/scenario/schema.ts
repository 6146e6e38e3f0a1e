import { z } from "zod";
import type { LogsColumn } from "../../core/ports.js";

/**
 * The written form of a tabletop scenario's `tenant.json`: Graph v1.0 objects in Graph's own JSON shapes, plus the
 * ARM resources the emulator serves. Objects are loose (extra Graph fields are kept and served as written); only the
 * fields the emulator and azir rely on are checked. Times have already been pinned by the loader when this schema
 * runs, so every `...DateTime` / `timeCreated` value here is an ISO-8601 UTC string.
 */

const guid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "expected a GUID");
const isoTime = z.string();
const optionalTime = isoTime.nullable().optional();

export const operatorSchema = z
  .looseObject({
    displayName: z.string(),
    /** Entra role display names the acting identity holds, e.g. "Security Administrator". */
    roles: z.array(z.string()).default([]),
    /**
     * Graph permissions granted to the scenario's app, e.g. "User.Read.All": the `roles` of its client-credentials
     * tokens, and the `scp` of a user's sign-in through it (emulator/tokens.ts).
     */
    permissions: z.array(z.string()).default([]),
  })
  .describe("The identity azir acts as in the exercise; the emulator answers 403 to writes it is not allowed");

export const userSchema = z.looseObject({
  id: guid,
  userPrincipalName: z.string().min(3),
  displayName: z.string(),
  mail: z.string().nullable().optional(),
  accountEnabled: z.boolean().default(true),
  userType: z.enum(["Member", "Guest"]).default("Member"),
  jobTitle: z.string().nullable().optional(),
  department: z.string().nullable().optional(),
  usageLocation: z.string().nullable().optional(),
  createdDateTime: optionalTime,
  signInSessionsValidFromDateTime: optionalTime,
  /**
   * True for a user synchronised from on-premises Active Directory (Entra Connect); null for a cloud user. Graph then
   * refuses to change the properties AD masters, accountEnabled among them (user resource, onPremisesSyncEnabled).
   */
  onPremisesSyncEnabled: z.boolean().nullable().default(null),
});

export const authenticationMethodSchema = z.looseObject({
  "@odata.type": z.string().regex(/^#microsoft\.graph\.\w+AuthenticationMethod$/, "expected a Graph authentication method type"),
  id: z.string().min(1),
  createdDateTime: optionalTime,
});

export const passwordCredentialSchema = z.looseObject({
  keyId: guid,
  displayName: z.string().nullable().optional(),
  hint: z.string().nullable().optional(),
  startDateTime: optionalTime,
  endDateTime: optionalTime,
});

export const keyCredentialSchema = z.looseObject({
  keyId: guid,
  displayName: z.string().nullable().optional(),
  type: z.string().optional(),
  usage: z.string().optional(),
  startDateTime: optionalTime,
  endDateTime: optionalTime,
});

export const applicationSchema = z.looseObject({
  id: guid,
  appId: guid,
  displayName: z.string(),
  createdDateTime: optionalTime,
  signInAudience: z.string().optional(),
  passwordCredentials: z.array(passwordCredentialSchema).default([]),
  keyCredentials: z.array(keyCredentialSchema).default([]),
  /** Object ids of the owners (users or service principals). */
  owners: z.array(z.string()).default([]),
});

export const servicePrincipalSchema = z.looseObject({
  id: guid,
  appId: guid,
  displayName: z.string(),
  servicePrincipalType: z.string().default("Application"),
  appOwnerOrganizationId: z.string().nullable().optional(),
  passwordCredentials: z.array(passwordCredentialSchema).default([]),
  keyCredentials: z.array(keyCredentialSchema).default([]),
  owners: z.array(z.string()).default([]),
});

export const oauth2PermissionGrantSchema = z.looseObject({
  id: z.string().min(1),
  /** Object id of the client service principal. */
  clientId: guid,
  consentType: z.enum(["Principal", "AllPrincipals"]),
  principalId: guid.nullable().optional(),
  /** Object id of the resource service principal (e.g. Microsoft Graph). */
  resourceId: guid,
  scope: z.string(),
});

/** An app role granted to a user, as `GET /users/{id}/appRoleAssignments` answers it (approleassignment.md). */
export const appRoleAssignmentSchema = z.looseObject({
  id: z.string().min(1),
  /** The user the role is granted to. */
  principalId: guid,
  principalType: z.string().default("User"),
  principalDisplayName: z.string().nullable().optional(),
  /** Object id of the resource service principal that defines the role. */
  resourceId: guid,
  resourceDisplayName: z.string().nullable().optional(),
  /** The role's id; all zeros for the default access role. */
  appRoleId: guid,
  createdDateTime: optionalTime,
  deletedDateTime: optionalTime,
});

export const conditionalAccessPolicySchema = z.looseObject({
  id: guid,
  displayName: z.string(),
  state: z.enum(["enabled", "disabled", "enabledForReportingButNotEnforced"]),
  createdDateTime: optionalTime,
  modifiedDateTime: optionalTime,
  conditions: z.record(z.string(), z.unknown()),
  grantControls: z.record(z.string(), z.unknown()).nullable(),
  sessionControls: z.record(z.string(), z.unknown()).nullable().default(null),
});

export const namedLocationSchema = z.discriminatedUnion("@odata.type", [
  z.looseObject({
    "@odata.type": z.literal("#microsoft.graph.ipNamedLocation"),
    id: guid,
    displayName: z.string(),
    createdDateTime: optionalTime,
    modifiedDateTime: optionalTime,
    isTrusted: z.boolean().default(false),
    ipRanges: z.array(z.looseObject({ "@odata.type": z.string(), cidrAddress: z.string() })),
  }),
  z.looseObject({
    "@odata.type": z.literal("#microsoft.graph.countryNamedLocation"),
    id: guid,
    displayName: z.string(),
    createdDateTime: optionalTime,
    modifiedDateTime: optionalTime,
    countriesAndRegions: z.array(z.string()),
    includeUnknownCountriesAndRegions: z.boolean().default(false),
  }),
]);

export const roleDefinitionSchema = z.looseObject({
  id: z.string().min(1),
  templateId: z.string().min(1),
  displayName: z.string(),
});

export const roleAssignmentSchema = z.looseObject({
  id: z.string().min(1),
  principalId: guid,
  /** The role template id for built-in roles (see azure-reference.md section 4). */
  roleDefinitionId: z.string().min(1),
  directoryScopeId: z.string().default("/"),
  createdDateTime: optionalTime,
});

export const groupSchema = z.looseObject({
  id: guid,
  displayName: z.string(),
  securityEnabled: z.boolean().default(true),
  mailEnabled: z.boolean().default(false),
  /** A role-assignable group: only such a group can hold a directory role (groups-concept.md in entra-docs). */
  isAssignableToRole: z.boolean().default(false),
  /** Object ids of the direct members, users or groups (Graph serves them at /groups/{id}/members; kept here for brevity). */
  members: z.array(guid).default([]),
});

/** A PIM eligibility, as `GET /roleManagement/directory/roleEligibilityScheduleInstances` answers it. */
export const roleEligibilitySchema = z.looseObject({
  id: z.string().min(1),
  /** A user, or a role-assignable group. */
  principalId: guid,
  /** The role template id for built-in roles. */
  roleDefinitionId: z.string().min(1),
  directoryScopeId: z.string().default("/"),
  appScopeId: z.string().nullable().default(null),
  startDateTime: optionalTime,
  endDateTime: optionalTime,
  memberType: z.enum(["Direct", "Group", "Inherited"]).default("Direct"),
  roleEligibilityScheduleId: z.string().optional(),
});

export const riskyUserSchema = z.looseObject({
  /** The user's object id. */
  id: guid,
  userPrincipalName: z.string(),
  userDisplayName: z.string().optional(),
  riskLevel: z.enum(["low", "medium", "high", "hidden", "none", "unknownFutureValue"]),
  riskState: z.enum(["none", "confirmedSafe", "remediated", "dismissed", "atRisk", "confirmedCompromised", "unknownFutureValue"]),
  riskDetail: z.string().default("none"),
  riskLastUpdatedDateTime: optionalTime,
  isDeleted: z.boolean().default(false),
  isProcessing: z.boolean().default(false),
});

export const riskDetectionSchema = z.looseObject({
  id: z.string().min(1),
  riskEventType: z.string(),
  riskLevel: z.string(),
  riskState: z.string(),
  riskDetail: z.string().optional(),
  detectionTimingType: z.string().optional(),
  activity: z.string().optional(),
  ipAddress: z.string().nullable().optional(),
  activityDateTime: optionalTime,
  detectedDateTime: optionalTime,
  userId: guid,
  userPrincipalName: z.string(),
  requestId: z.string().nullable().optional(),
});

/** A VM's instance view as VirtualMachines_InstanceView answers it: statuses such as `PowerState/running`. */
const instanceViewSchema = z.looseObject({
  statuses: z.array(z.looseObject({ code: z.string().regex(/^[A-Za-z]+\/[A-Za-z0-9_-]+$/, "expected a status code such as PowerState/running") })).default([]),
  disks: z.array(z.looseObject({ name: z.string() })).optional(),
});

export const armResourceSchema = z
  .looseObject({
    id: z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+(\/providers\/.+)?$/i, "expected an ARM resource id"),
    name: z.string(),
    type: z.string(),
    location: z.string().optional(),
    tags: z.record(z.string(), z.string()).default({}),
    sku: z.looseObject({ name: z.string() }).optional(),
    properties: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine((resource, ctx) => {
    if (resource.type.toLowerCase() !== "microsoft.compute/virtualmachines" || resource.properties.instanceView === undefined) return;
    const view = instanceViewSchema.safeParse(resource.properties.instanceView);
    if (!view.success) {
      const issue = view.error.issues[0];
      ctx.addIssue({ code: "custom", path: ["properties", "instanceView", ...(issue?.path ?? [])], message: issue?.message ?? "invalid instance view" });
    }
  });

export const tenantStateSchema = z.looseObject({
  tenantId: guid,
  domain: z.string().min(3),
  workspaceId: guid,
  subscriptionId: guid,
  /** Where forensic copies go: a separate subscription with its own RBAC. */
  forensicsSubscriptionId: guid,
  operator: operatorSchema,
  users: z.array(userSchema).default([]),
  /** Authentication methods per user object id, Graph `GET /users/{id}/authentication/methods` items. */
  authenticationMethods: z.record(z.string(), z.array(authenticationMethodSchema)).default({}),
  /** The user's default sign-in method id (not exposed by Graph v1.0; the emulator refuses to delete it first). */
  defaultMethods: z.record(z.string(), z.string()).default({}),
  applications: z.array(applicationSchema).default([]),
  servicePrincipals: z.array(servicePrincipalSchema).default([]),
  oauth2PermissionGrants: z.array(oauth2PermissionGrantSchema).default([]),
  /** App roles granted to users (consents to app roles, assignments to enterprise apps). */
  appRoleAssignments: z.array(appRoleAssignmentSchema).default([]),
  conditionalAccessPolicies: z.array(conditionalAccessPolicySchema).default([]),
  namedLocations: z.array(namedLocationSchema).default([]),
  roleDefinitions: z.array(roleDefinitionSchema).default([]),
  /** Groups: a role assignment or eligibility whose principalId is a role-assignable group reaches its members. */
  groups: z.array(groupSchema).default([]),
  roleAssignments: z.array(roleAssignmentSchema).default([]),
  /** PIM-eligible (not active) role assignments. */
  roleEligibilityScheduleInstances: z.array(roleEligibilitySchema).default([]),
  /** The tenant's licences that change what Graph answers. */
  licences: z
    .looseObject({
      /** Microsoft Entra ID P2: without it Identity Protection answers 403 (identityprotection-overview.md, "What licenses do I need?"). */
      entraIdP2: z.boolean().default(true),
    })
    .default({ entraIdP2: true }),
  /**
   * Enforce Graph's throttling budgets (microsoft-graph-docs-contrib concepts/throttling-limits.md): the identity and
   * access resource units and writes per app and tenant, and Identity Protection and Conditional Access at 1 request
   * per second per tenant, each inner request of a batch counted. Off unless a scenario asks.
   */
  budgets: z.boolean().default(false),
  riskyUsers: z.array(riskyUserSchema).default([]),
  riskDetections: z.array(riskDetectionSchema).default([]),
  arm: z.looseObject({ resources: z.array(armResourceSchema).default([]) }).default({ resources: [] }),
});

/** The simulated tenant's directory and resources, as loaded (times pinned, defaults applied). */
export type TenantState = z.output<typeof tenantStateSchema>;
export type ScenarioUser = z.output<typeof userSchema>;
export type ScenarioAuthMethod = z.output<typeof authenticationMethodSchema>;
export type ScenarioApplication = z.output<typeof applicationSchema>;
export type ScenarioServicePrincipal = z.output<typeof servicePrincipalSchema>;
export type ScenarioConditionalAccessPolicy = z.output<typeof conditionalAccessPolicySchema>;
export type ScenarioNamedLocation = z.output<typeof namedLocationSchema>;
export type ScenarioRoleAssignment = z.output<typeof roleAssignmentSchema>;
export type ScenarioGroup = z.output<typeof groupSchema>;
export type ScenarioRoleEligibility = z.output<typeof roleEligibilitySchema>;
export type ScenarioRiskyUser = z.output<typeof riskyUserSchema>;
export type ScenarioRiskDetection = z.output<typeof riskDetectionSchema>;
export type ScenarioArmResource = z.output<typeof armResourceSchema>;

/** One Log Analytics table of a scenario. */
export interface ScenarioTable {
  /** Declared columns first (src/kql/tables.ts), then any extra columns found in the rows, types inferred. */
  columns: LogsColumn[];
  /**
   * Rows positional in column order. datetimes are ISO-8601 UTC strings, dynamic cells parsed JSON values,
   * bools booleans, numbers numbers; a missing string is `""` (KQL strings are never null), other missing cells null.
   */
  rows: unknown[][];
}

/** Tables by name (the file's base name: `SigninLogs.json` -> `SigninLogs`). */
export type ScenarioTables = Record<string, ScenarioTable>;

/** A loaded scenario: ready for the emulator to serve. */
export interface Scenario {
  /** The folder's base name, e.g. `contoso`. */
  name: string;
  /** The folder it was loaded from. */
  dir: string;
  tables: ScenarioTables;
  tenant: TenantState;
}
