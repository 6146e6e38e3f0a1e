import { Agent } from "undici";
import { createCredential } from "../../src/azure/credential.js";
import { createAzurePorts } from "../../src/azure/ports.js";
import type { Clock } from "../../src/core/clock.js";
import type { LogsColumn, Ports } from "../../src/core/ports.js";
import { toWireTable } from "../../src/kql/engine/wire.js";
import { startEmulator } from "../../src/tabletop/emulator/server.js";
import type { KqlEngine } from "../../src/tabletop/emulator/logs.js";
import type { Emulator, FaultConfig } from "../../src/tabletop/emulator/types.js";
import { tenantStateSchema, type Scenario } from "../../src/tabletop/scenario/schema.js";

export const ids = {
  tenant: "0b6f4a57-5c7e-4f0e-9d6b-1f2a3b4c5d6e",
  workspace: "7d1c2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
  sub: "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7",
  forensics: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
  kim: "11111111-1111-4111-8111-111111111111",
  admin: "22222222-2222-4222-8222-222222222222",
  app: "33333333-3333-4333-8333-333333333333",
  appId: "44444444-4444-4444-8444-444444444444",
  authenticator: "a1a1a1a1-0000-4000-8000-000000000001",
  mobile: "3179e48a-750b-4051-897c-87b9720928f7",
  password: "28c10230-6103-485e-b985-444c60001490",
};
export const vmId = `/subscriptions/${ids.sub}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-web-01`;
export const diskId = `/subscriptions/${ids.sub}/resourceGroups/rg-web/providers/Microsoft.Compute/disks/vm-web-01-osdisk`;

// The operator's writes, and the reads Graph checks (the emulator refuses a read the token holds no permission for).
const defaultPermissions = [
  "User.Read.All",
  "User.EnableDisableAccount.All",
  "User.RevokeSessions.All",
  "UserAuthenticationMethod.ReadWrite.All",
  "IdentityRiskyUser.ReadWrite.All",
  "IdentityRiskEvent.Read.All",
  "RoleManagement.Read.Directory",
  "GroupMember.Read.All",
  "Application.Read.All",
  "DelegatedPermissionGrant.Read.All",
  "Policy.Read.All",
  "AuditLog.Read.All",
];

/** A small scenario built inline (times absolute, relative to the test clock's 2026-11-25T12:00Z). */
export function fixtureScenario(permissions: string[] = defaultPermissions): Scenario {
  const tenant = tenantStateSchema.parse({
    tenantId: ids.tenant,
    domain: "fabrikam.example",
    workspaceId: ids.workspace,
    subscriptionId: ids.sub,
    forensicsSubscriptionId: ids.forensics,
    operator: { displayName: "operator", roles: ["Security Administrator"], permissions },
    users: [
      { id: ids.kim, userPrincipalName: "kim@fabrikam.example", displayName: "Kim Lee", accountEnabled: true, createdDateTime: "2025-01-01T00:00:00Z" },
      { id: ids.admin, userPrincipalName: "ada@fabrikam.example", displayName: "Ada Admin", accountEnabled: true },
      { id: "55555555-5555-4555-8555-555555555555", userPrincipalName: "lou@fabrikam.example", displayName: "Lou Park" },
    ],
    authenticationMethods: {
      [ids.kim]: [
        { "@odata.type": "#microsoft.graph.passwordAuthenticationMethod", id: ids.password },
        { "@odata.type": "#microsoft.graph.phoneAuthenticationMethod", id: ids.mobile, phoneNumber: "+1 4255550199", phoneType: "mobile" },
        { "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", id: ids.authenticator, displayName: "Pixel 8", createdDateTime: "2026-11-24T10:00:00Z" },
      ],
      [ids.admin]: [{ "@odata.type": "#microsoft.graph.emailAuthenticationMethod", id: "e1e1e1e1-0000-4000-8000-000000000001", emailAddress: "ada@example.org" }],
    },
    defaultMethods: { [ids.kim]: ids.mobile },
    applications: [
      { id: ids.app, appId: ids.appId, displayName: "Payroll", owners: [ids.kim], passwordCredentials: [{ keyId: "66666666-6666-4666-8666-666666666666", displayName: "old", hint: "abc" }] },
    ],
    servicePrincipals: [{ id: "77777777-7777-4777-8777-777777777777", appId: ids.appId, displayName: "Payroll", owners: [] }],
    oauth2PermissionGrants: [
      { id: "grant-1", clientId: "77777777-7777-4777-8777-777777777777", consentType: "Principal", principalId: ids.kim, resourceId: "88888888-8888-4888-8888-888888888888", scope: "Mail.Read offline_access" },
    ],
    conditionalAccessPolicies: [
      { id: "99999999-9999-4999-8999-999999999991", displayName: "Require MFA", state: "enabled", modifiedDateTime: "2026-11-24T11:00:00Z", conditions: { users: { includeUsers: ["All"] } }, grantControls: { operator: "OR", builtInControls: ["mfa"] } },
    ],
    namedLocations: [
      { "@odata.type": "#microsoft.graph.ipNamedLocation", id: "99999999-9999-4999-8999-999999999992", displayName: "HQ", isTrusted: true, ipRanges: [{ "@odata.type": "#microsoft.graph.iPv4CidrRange", cidrAddress: "203.0.113.0/24" }] },
    ],
    roleAssignments: [{ id: "ra-1", principalId: ids.admin, roleDefinitionId: "62e90394-69f5-4237-9190-012177145e10" }],
    riskyUsers: [{ id: ids.kim, userPrincipalName: "kim@fabrikam.example", riskLevel: "medium", riskState: "atRisk" }],
    riskDetections: [
      { id: "rd-1", riskEventType: "unfamiliarFeatures", riskLevel: "high", riskState: "atRisk", userId: ids.kim, userPrincipalName: "kim@fabrikam.example" },
      { id: "rd-2", riskEventType: "anonymizedIPAddress", riskLevel: "low", riskState: "atRisk", userId: ids.admin, userPrincipalName: "ada@fabrikam.example" },
    ],
    arm: {
      resources: [
        {
          id: vmId,
          name: "vm-web-01",
          type: "Microsoft.Compute/virtualMachines",
          location: "westeurope",
          properties: { storageProfile: { osDisk: { name: "vm-web-01-osdisk", managedDisk: { id: diskId } }, dataDisks: [] }, provisioningState: "Succeeded" },
        },
        {
          id: diskId,
          name: "vm-web-01-osdisk",
          type: "Microsoft.Compute/disks",
          location: "westeurope",
          sku: { name: "Premium_LRS" },
          properties: { diskSizeGB: 128, osType: "Linux", diskState: "Attached", timeCreated: "2025-06-01T00:00:00Z", provisioningState: "Succeeded" },
        },
      ],
    },
  });
  const signinColumns: LogsColumn[] = [
    { name: "TimeGenerated", type: "datetime" },
    { name: "UserPrincipalName", type: "string" },
    { name: "IPAddress", type: "string" },
    { name: "ResultType", type: "string" },
    { name: "DeviceDetail", type: "dynamic" },
    { name: "Id", type: "string" },
  ];
  return {
    name: "fixture",
    dir: "(inline)",
    tenant,
    tables: {
      SigninLogs: {
        columns: signinColumns,
        rows: [
          ["2026-11-25T10:00:00.000Z", "kim@fabrikam.example", "203.0.113.7", "0", { operatingSystem: "Linux" }, "s-1"],
          ["2026-11-24T09:00:00.000Z", "kim@fabrikam.example", "198.51.100.2", "50126", {}, "s-2"],
          ["2026-11-01T09:00:00.000Z", "lou@fabrikam.example", "198.51.100.3", "0", {}, "s-3"],
        ],
      },
      AuditLogs: {
        columns: [
          { name: "TimeGenerated", type: "datetime" },
          { name: "OperationName", type: "string" },
          { name: "Category", type: "string" },
          { name: "Result", type: "string" },
          { name: "InitiatedBy", type: "dynamic" },
          { name: "TargetResources", type: "dynamic" },
          { name: "Id", type: "string" },
        ],
        rows: [
          ["2026-11-24T10:00:00.000Z", "User registered security info", "UserManagement", "success", { user: { id: ids.kim, userPrincipalName: "kim@fabrikam.example" } }, [{ id: ids.kim, type: "User" }], "a-1"],
          ["2026-11-20T10:00:00.000Z", "Update user", "UserManagement", "success", { user: { id: ids.admin, userPrincipalName: "ada@fabrikam.example" } }, [], "a-2"],
        ],
      },
      SecurityAlert: {
        columns: [
          { name: "TimeGenerated", type: "datetime" },
          { name: "AlertName", type: "string" },
          { name: "AlertSeverity", type: "string" },
          { name: "Tactics", type: "string" },
          { name: "SystemAlertId", type: "string" },
          { name: "Entities", type: "string" },
          { name: "ResourceId", type: "string" },
        ],
        rows: [["2026-11-25T09:00:00.000Z", "Suspicious process", "High", "Execution, Persistence", "alert-1", '[{"Type":"host"}]', vmId]],
      },
    },
  };
}

/**
 * A stand-in for the KQL engine in adapter tests: it answers a bare table name with the whole table and reports an
 * unknown table the way Kusto.Language does. Query semantics are tested with the real engine elsewhere.
 */
export const tableOnlyEngine: KqlEngine = {
  async compile(query, schemas) {
    const name = /^\s*([A-Za-z_]\w*)/.exec(query)?.[1] ?? "";
    const schema = schemas[name];
    if (!schema) return { ok: false, diagnostics: [{ code: "KS204", message: `The name '${name}' does not refer to any known table, tabular variable or function.`, line: 1, column: 1 }] };
    return { ok: true, plan: name, columns: schema.map(([n, t]) => ({ name: n, type: t })) };
  },
  run(plan: never, tables) {
    const t = tables[plan as string]!;
    return { columns: t.columns, rows: t.rows };
  },
  toWireTable,
};

export interface Harness {
  emulator: Emulator;
  ports: Ports;
  agent: Agent;
  close(): Promise<void>;
}

export async function startHarness(
  clock: Clock,
  options: { permissions?: string[]; faults?: FaultConfig; engine?: KqlEngine; maxRetries?: number; scenario?: (s: Scenario) => void; timeouts?: { graphMs?: number; logsMs?: number; armReadMs?: number } } = {},
): Promise<Harness> {
  const scenario = fixtureScenario(options.permissions);
  options.scenario?.(scenario);
  const emulator = await startEmulator({
    scenario,
    clock,
    ...(options.faults ? { faults: options.faults } : {}),
    loadEngine: async () => options.engine ?? tableOnlyEngine,
  });
  const ports = await createAzurePorts({
    endpoints: emulator.endpoints,
    credential: createCredential({ kind: "static", token: "tabletop-token" }),
    ca: emulator.caPem,
    subscriptionId: emulator.subscriptionId,
    retry: { maxRetries: options.maxRetries ?? 3, retryDelayMs: 5 },
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    lroPollMs: 5,
  });
  const agent = new Agent({ connect: { ca: emulator.caPem } });
  return {
    emulator,
    ports,
    agent,
    close: async () => {
      await agent.close();
      await emulator.close();
    },
  };
}

/** A raw HTTPS call to the emulator (for wire-level checks the SDKs hide). */
export async function raw(h: Harness, method: string, path: string, init: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Headers; json: unknown }> {
  const { fetch } = await import("undici");
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.token !== null) headers.Authorization = `Bearer ${init.token ?? "t"}`;
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${h.emulator.endpoints.graph}${path}`, {
    method,
    headers,
    dispatcher: h.agent,
    ...(init.body !== undefined ? { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers as unknown as Headers, json };
}
