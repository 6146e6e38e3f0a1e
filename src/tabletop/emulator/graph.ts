import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Clock } from "../../core/clock.js";
import type { IdSource } from "../../core/ids.js";
import type { ScenarioTables, TenantState } from "../scenario/schema.js";
import { applySelect, checkQueryOptions, GraphFault, matchesFilter, page, parseFilter } from "./odata.js";
import type { ApiRequest, Reply } from "./types.js";

/** What the Graph routes work on. */
export interface GraphContext {
  state: TenantState;
  tables: ScenarioTables;
  clock: Clock;
  ids: IdSource;
  /**
   * True when another deletion of one of this user's authentication methods overlaps this request in time (sent
   * concurrently). The emulator's model of "the default method can only go last".
   */
  concurrentMethodDeletion?: (userId: string) => boolean;
}

/** Built-in directory roles the emulator knows (template ids from Microsoft's permissions reference). */
export const builtInRoles: ReadonlyArray<{ templateId: string; displayName: string }> = [
  { templateId: "62e90394-69f5-4237-9190-012177145e10", displayName: "Global Administrator" },
  { templateId: "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", displayName: "Application Administrator" },
  { templateId: "7be44c8a-adaf-4e2a-84d6-ab2649e08a13", displayName: "Privileged Authentication Administrator" },
  { templateId: "158c047a-c907-4556-b7ef-446551a6b5f7", displayName: "Cloud Application Administrator" },
  { templateId: "e8611ab8-c189-46e8-94e1-60213ab1f814", displayName: "Privileged Role Administrator" },
  { templateId: "194ae4cb-b126-40b2-bd5b-6091b380977d", displayName: "Security Administrator" },
  { templateId: "fe930be7-5e62-47db-91af-98c3a49a38b1", displayName: "User Administrator" },
  { templateId: "c4e39bd9-1100-46d3-8c65-fb160da0071f", displayName: "Authentication Administrator" },
  { templateId: "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9", displayName: "Conditional Access Administrator" },
];

/** Collection segment per authentication method type (Graph v1.0). */
export const methodCollections: Record<string, string> = {
  "#microsoft.graph.passwordAuthenticationMethod": "passwordMethods",
  "#microsoft.graph.phoneAuthenticationMethod": "phoneMethods",
  "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod": "microsoftAuthenticatorMethods",
  "#microsoft.graph.fido2AuthenticationMethod": "fido2Methods",
  "#microsoft.graph.softwareOathAuthenticationMethod": "softwareOathMethods",
  "#microsoft.graph.emailAuthenticationMethod": "emailMethods",
  "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod": "windowsHelloForBusinessMethods",
  "#microsoft.graph.temporaryAccessPassAuthenticationMethod": "temporaryAccessPassMethods",
  "#microsoft.graph.platformCredentialAuthenticationMethod": "platformCredentialMethods",
};
const mobilePhoneId = "3179e48a-750b-4051-897c-87b9720928f7";
const alternateMobilePhoneId = "b6332ec1-7057-4abe-9331-3d72feddfe41";

/** Write permissions: the least-privileged one first, then higher ones Graph also accepts. */
export const writePermissions = {
  enableDisable: ["User.EnableDisableAccount.All", "User.ReadWrite.All", "Directory.ReadWrite.All"],
  userWrite: ["User.ReadWrite.All", "Directory.ReadWrite.All"],
  revoke: ["User.RevokeSessions.All", "User.ReadWrite.All", "Directory.ReadWrite.All"],
  authMethods: ["UserAuthenticationMethod.ReadWrite.All"],
  appCredentials: ["Application.ReadWrite.OwnedBy", "Application.ReadWrite.All", "Directory.ReadWrite.All"],
  riskyUsers: ["IdentityRiskyUser.ReadWrite.All"],
} as const;
const adminActorRoles = ["Privileged Authentication Administrator", "Global Administrator"];

const defaultUserProperties = ["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"];

const userPatchSchema = z
  .object({
    accountEnabled: z.boolean().optional(),
    displayName: z.string().optional(),
    jobTitle: z.string().nullable().optional(),
    department: z.string().nullable().optional(),
    usageLocation: z.string().nullable().optional(),
    mail: z.string().nullable().optional(),
  })
  .strict();
const addPasswordSchema = z.object({
  passwordCredential: z
    .object({ displayName: z.string().nullable().optional(), endDateTime: z.string().optional(), startDateTime: z.string().optional() })
    .loose()
    .default({}),
});
const removePasswordSchema = z.object({ keyId: z.string().min(1) });
const appPatchSchema = z
  .object({ displayName: z.string().optional(), keyCredentials: z.array(z.looseObject({ keyId: z.string() })).optional(), passwordCredentials: z.array(z.looseObject({ keyId: z.string() })).optional() })
  .strict();
const confirmCompromisedSchema = z.object({ userIds: z.array(z.string().min(1)).min(1).max(60) });

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new GraphFault(400, "Request_BadRequest", `Invalid request body: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid"}`);
  }
  return result.data;
}

const notFound = (what: string, id: string): GraphFault => new GraphFault(404, "Request_ResourceNotFound", `Resource '${id}' does not exist or one of its queried reference-property objects are not present. (${what})`);
const denied = (): GraphFault => new GraphFault(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");

/** Routes a Graph v1.0 request (path below /v1.0). Throws GraphFault for errors. */
export function handleGraph(ctx: GraphContext, req: ApiRequest, path: string): Reply {
  const { state } = ctx;
  const m = req.method.toUpperCase();
  const seg = path.split("/").filter(Boolean);
  const now = ctx.clock.now().toISOString();
  const q = req.query;

  const requirePermission = (accepted: readonly string[]): void => {
    const held = new Set(state.operator.permissions.map((p) => p.toLowerCase()));
    if (!accepted.some((p) => held.has(p.toLowerCase()))) throw denied();
  };
  const requireAdminActorFor = (userId: string): void => {
    const isAdmin = state.roleAssignments.some((a) => a.principalId === userId);
    if (isAdmin && !state.operator.roles.some((r) => adminActorRoles.includes(r))) throw denied();
  };
  const findUser = (key: string): TenantState["users"][number] => {
    const k = key.toLowerCase();
    const user = state.users.find((u) => u.id.toLowerCase() === k || u.userPrincipalName.toLowerCase() === k);
    if (!user) throw notFound("user", key);
    return user;
  };
  const userView = (user: Record<string, unknown>, select: string | null): Record<string, unknown> => {
    if (select) return applySelect(user, select);
    const out: Record<string, unknown> = {};
    for (const p of defaultUserProperties) out[p] = user[p] ?? (p === "businessPhones" ? [] : null);
    return out;
  };

  if (seg[0] === "users" && seg.length === 1 && m === "GET") {
    checkQueryOptions(q);
    const filter = parseFilter(q.get("$filter"), ["userPrincipalName", "id", "mail", "accountEnabled", "displayName", "userType"]);
    const items = state.users.filter((u) => matchesFilter(u, filter)).map((u) => userView(u, q.get("$select")));
    return page(items, q, req.origin, path, "users");
  }

  // /users/...
  if (seg[0] === "users" && seg[1]) {
    const user = findUser(seg[1]);
    if (seg.length === 2) {
      if (m === "GET") {
        checkQueryOptions(q);
        return { status: 200, body: { "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity", ...userView(user, q.get("$select")) } };
      }
      if (m === "PATCH") {
        const patch = parseBody(userPatchSchema, req.body);
        const keys = Object.keys(patch);
        if (keys.length === 1 && keys[0] === "accountEnabled") requirePermission(writePermissions.enableDisable);
        else requirePermission(writePermissions.userWrite);
        if ("accountEnabled" in patch) requireAdminActorFor(user.id);
        Object.assign(user, patch);
        return { status: 204 };
      }
    }
    if (seg[2] === "revokeSignInSessions" && seg.length === 3 && m === "POST") {
      requirePermission(writePermissions.revoke);
      requireAdminActorFor(user.id);
      user.signInSessionsValidFromDateTime = now;
      return { status: 200, body: { "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean", value: true } };
    }
    if (seg[2] === "authentication" && seg[3]) return authMethods(user.id, seg.slice(3));
    if (seg[2] === "ownedObjects" && m === "GET") {
      checkQueryOptions(q);
      const cast = seg[3];
      if (seg.length > 4 || (cast && !["microsoft.graph.application", "microsoft.graph.serviceprincipal"].includes(cast.toLowerCase()))) {
        throw new GraphFault(400, "BadRequest", `Unsupported segment ${seg.slice(3).join("/")}`);
      }
      const apps = state.applications.filter((a) => a.owners.includes(user.id)).map((a) => ({ "@odata.type": "#microsoft.graph.application", ...publicApp(a) }));
      const sps = state.servicePrincipals.filter((s) => s.owners.includes(user.id)).map((s) => ({ "@odata.type": "#microsoft.graph.servicePrincipal", ...publicApp(s) }));
      const items = cast?.toLowerCase() === "microsoft.graph.application" ? apps : cast ? sps : [...apps, ...sps];
      return page(items.map((i) => applySelect(i, q.get("$select"))), q, req.origin, path, "directoryObjects");
    }
    if (seg[2] === "memberOf" && seg.length === 3 && m === "GET") {
      checkQueryOptions(q);
      const roles = state.roleAssignments
        .filter((a) => a.principalId === user.id)
        .map((a) => ({ "@odata.type": "#microsoft.graph.directoryRole", id: a.roleDefinitionId, roleTemplateId: a.roleDefinitionId, displayName: roleName(a.roleDefinitionId) }));
      return page(roles, q, req.origin, path, "directoryObjects");
    }
  }

  function authMethods(userId: string, rest: string[]): Reply {
    const methods = (state.authenticationMethods[userId] ??= []);
    const [collection, methodId, ...extra] = rest;
    if (extra.length > 0) throw new GraphFault(400, "BadRequest", `Unsupported segment ${extra.join("/")}`);
    if (collection === "methods" && m === "GET") {
      if (methodId) {
        const found = methods.find((x) => x.id === methodId);
        if (!found) throw notFound("authenticationMethod", methodId);
        return { status: 200, body: found };
      }
      return page(methods, q, req.origin, path, `users('${userId}')/authentication/methods`);
    }
    const type = Object.entries(methodCollections).find(([, c]) => c === collection)?.[0];
    if (!type) throw new GraphFault(400, "BadRequest", `Resource not found for the segment '${collection ?? ""}'.`);
    const ofType = methods.filter((x) => x["@odata.type"] === type);
    if (m === "GET") {
      if (!methodId) return page(ofType, q, req.origin, path, `users('${userId}')/authentication/${collection}`);
      const found = ofType.find((x) => x.id === methodId);
      if (!found) throw notFound(collection ?? "method", methodId);
      return { status: 200, body: found };
    }
    if (m === "DELETE" && methodId) {
      if (collection === "passwordMethods") throw new GraphFault(405, "methodNotAllowed", "The password method cannot be deleted; reset the password instead.");
      requirePermission(writePermissions.authMethods);
      requireAdminActorFor(userId);
      const index = methods.findIndex((x) => x.id === methodId && x["@odata.type"] === type);
      if (index < 0) throw notFound(collection ?? "method", methodId);
      if (state.defaultMethods[userId] === methodId && ctx.concurrentMethodDeletion?.(userId)) {
        throw new GraphFault(400, "badRequest", "Cannot delete the user's default authentication method. Change the default method first or delete it last.");
      }
      if (methodId === mobilePhoneId && methods.some((x) => x.id === alternateMobilePhoneId)) {
        throw new GraphFault(400, "badRequest", "Cannot delete the mobile phone method while an alternate mobile phone method exists. Delete the alternate mobile phone first.");
      }
      methods.splice(index, 1);
      if (state.defaultMethods[userId] === methodId) delete state.defaultMethods[userId];
      return { status: 204 };
    }
    throw new GraphFault(405, "methodNotAllowed", `${m} is not supported on /authentication/${collection ?? ""}.`);
  }

  // /applications and /servicePrincipals
  if ((seg[0] === "applications" || seg[0] === "servicePrincipals") && m !== "DELETE") {
    const isApp = seg[0] === "applications";
    const list = (isApp ? state.applications : state.servicePrincipals) as Array<TenantState["applications"][number] | TenantState["servicePrincipals"][number]>;
    if (seg.length === 1 && m === "GET") {
      checkQueryOptions(q);
      const filter = parseFilter(q.get("$filter"), ["appId", "displayName", "id"]);
      const items = list.filter((a) => matchesFilter(a, filter)).map((a) => applySelect(publicApp(a), q.get("$select")));
      return page(items, q, req.origin, path, seg[0]);
    }
    const key = seg[1] ?? "";
    const byAppId = /^\(appId='([^']+)'\)$/i.exec(key.replace(/^[^(]*/, ""));
    const target = byAppId ? list.find((a) => a.appId === byAppId[1]) : list.find((a) => a.id === key);
    if (!target) throw notFound(seg[0], key);
    if (seg.length === 2 && m === "GET") {
      checkQueryOptions(q);
      return { status: 200, body: { "@odata.context": `https://graph.microsoft.com/v1.0/$metadata#${seg[0]}/$entity`, ...applySelect(publicApp(target), q.get("$select")) } };
    }
    if (seg.length === 2 && m === "PATCH") {
      const patch = parseBody(appPatchSchema, req.body);
      requirePermission(writePermissions.appCredentials.slice(1));
      Object.assign(target, patch);
      return { status: 204 };
    }
    if (seg.length === 3 && m === "POST" && seg[2] === "addPassword") {
      const body = parseBody(addPasswordSchema, req.body);
      requirePermission(writePermissions.appCredentials);
      const secretText = randomBytes(30).toString("base64").replace(/[+/=]/g, "x").slice(0, 40);
      const start = body.passwordCredential.startDateTime ?? now;
      const end = body.passwordCredential.endDateTime ?? new Date(ctx.clock.now().getTime() + 2 * 365 * 86_400_000).toISOString();
      const credential = { keyId: ctx.ids.uuid(), displayName: body.passwordCredential.displayName ?? null, hint: secretText.slice(0, 3), startDateTime: start, endDateTime: end, customKeyIdentifier: null };
      target.passwordCredentials.push({ ...credential });
      return { status: 200, body: { "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.passwordCredential", ...credential, secretText } };
    }
    if (seg.length === 3 && m === "POST" && seg[2] === "removePassword") {
      const body = parseBody(removePasswordSchema, req.body);
      requirePermission(writePermissions.appCredentials);
      const index = target.passwordCredentials.findIndex((c) => c.keyId === body.keyId);
      if (index < 0) throw new GraphFault(400, "Request_BadRequest", `No password credential found with keyId ${body.keyId}.`);
      target.passwordCredentials.splice(index, 1);
      return { status: 204 };
    }
  }

  if (seg[0] === "oauth2PermissionGrants" && seg.length === 1 && m === "GET") {
    checkQueryOptions(q);
    const filter = parseFilter(q.get("$filter"), ["principalId", "clientId", "resourceId", "consentType"]);
    return page(state.oauth2PermissionGrants.filter((g) => matchesFilter(g, filter)), q, req.origin, path, "oauth2PermissionGrants");
  }

  if (seg[0] === "identity" && seg[1] === "conditionalAccess" && m === "GET" && (seg[2] === "policies" || seg[2] === "namedLocations")) {
    checkQueryOptions(q);
    const list: Array<Record<string, unknown> & { id: string }> = seg[2] === "policies" ? state.conditionalAccessPolicies : state.namedLocations;
    if (seg.length === 3) {
      const filter = parseFilter(q.get("$filter"), ["modifiedDateTime", "createdDateTime", "displayName", "state"]);
      return page(list.filter((x) => matchesFilter(x, filter)).map((x) => applySelect(x, q.get("$select"))), q, req.origin, path, `identity/conditionalAccess/${seg[2]}`);
    }
    if (seg.length === 4) {
      const found = list.find((x) => x.id === seg[3]);
      if (!found) throw notFound(seg[2], seg[3] ?? "");
      return { status: 200, body: applySelect(found, q.get("$select")) };
    }
  }

  if (seg[0] === "roleManagement" && seg[1] === "directory" && m === "GET") {
    if (seg[2] === "roleAssignments" && seg.length === 3) {
      checkQueryOptions(q, { expand: ["principal"] });
      const filter = parseFilter(q.get("$filter"), ["principalId", "roleDefinitionId", "directoryScopeId"]);
      const expand = q.get("$expand") !== null;
      const items = state.roleAssignments
        .filter((a) => matchesFilter(a, filter))
        .map((a) => (expand ? { ...a, principal: principalOf(a.principalId) } : { ...a }));
      return page(items, q, req.origin, path, "roleManagement/directory/roleAssignments");
    }
    if (seg[2] === "roleDefinitions" && seg.length === 3) {
      checkQueryOptions(q);
      const filter = parseFilter(q.get("$filter"), ["templateId", "displayName", "id"]);
      const defs = new Map<string, Record<string, unknown>>();
      for (const r of builtInRoles) defs.set(r.templateId, { id: r.templateId, templateId: r.templateId, displayName: r.displayName, isBuiltIn: true, isEnabled: true });
      for (const r of state.roleDefinitions) defs.set(r.id, { isBuiltIn: false, isEnabled: true, ...r });
      return page([...defs.values()].filter((d) => matchesFilter(d, filter)), q, req.origin, path, "roleManagement/directory/roleDefinitions");
    }
  }

  if (seg[0] === "identityProtection") {
    if (seg[1] === "riskyUsers") {
      if (seg.length === 2 && m === "GET") {
        checkQueryOptions(q);
        const filter = parseFilter(q.get("$filter"), ["id", "userPrincipalName", "riskLevel", "riskState"]);
        return page(state.riskyUsers.filter((u) => matchesFilter(u, filter)), q, req.origin, path, "identityProtection/riskyUsers");
      }
      if (seg.length === 3 && seg[2] === "confirmCompromised" && m === "POST") {
        const body = parseBody(confirmCompromisedSchema, req.body);
        requirePermission(writePermissions.riskyUsers);
        for (const id of body.userIds) {
          const user = findUser(id);
          let risky = state.riskyUsers.find((r) => r.id === user.id);
          if (!risky) {
            risky = { id: user.id, userPrincipalName: user.userPrincipalName, userDisplayName: user.displayName, riskLevel: "high", riskState: "confirmedCompromised", riskDetail: "adminConfirmedUserCompromised", riskLastUpdatedDateTime: now, isDeleted: false, isProcessing: false };
            state.riskyUsers.push(risky);
          }
          Object.assign(risky, { riskLevel: "high", riskState: "confirmedCompromised", riskDetail: "adminConfirmedUserCompromised", riskLastUpdatedDateTime: now });
        }
        return { status: 204 };
      }
      if (seg.length === 3 && m === "GET") {
        const found = state.riskyUsers.find((r) => r.id === seg[2]);
        if (!found) throw notFound("riskyUser", seg[2] ?? "");
        return { status: 200, body: found };
      }
    }
    if (seg[1] === "riskDetections" && seg.length === 2 && m === "GET") {
      checkQueryOptions(q);
      const filter = parseFilter(q.get("$filter"), ["userId", "userPrincipalName", "riskEventType", "detectedDateTime", "activityDateTime"]);
      return page(state.riskDetections.filter((d) => matchesFilter(d, filter)), q, req.origin, path, "identityProtection/riskDetections");
    }
  }

  if (seg[0] === "auditLogs" && seg.length === 2 && m === "GET" && (seg[1] === "directoryAudits" || seg[1] === "signIns")) {
    checkQueryOptions(q);
    if (seg[1] === "directoryAudits") {
      const filter = parseFilter(q.get("$filter"), ["activityDateTime", "category", "activityDisplayName", "initiatedBy/user/id", "initiatedBy/user/userPrincipalName", "userPrincipalName"]);
      const items = tableObjects(ctx.tables, "AuditLogs").map(toDirectoryAudit);
      const filtered = items.filter((a) => matchesFilter({ ...a, userPrincipalName: (a.initiatedBy as { user?: { userPrincipalName?: string } } | null)?.user?.userPrincipalName }, filter));
      filtered.sort((a, b) => String(b.activityDateTime).localeCompare(String(a.activityDateTime)));
      return page(filtered, q, req.origin, path, "auditLogs/directoryAudits");
    }
    const filter = parseFilter(q.get("$filter"), ["createdDateTime", "userPrincipalName", "userId", "ipAddress", "appId", "status/errorCode"]);
    const items = tableObjects(ctx.tables, "SigninLogs").map(toSignIn).filter((s) => matchesFilter(s, filter));
    items.sort((a, b) => String(b.createdDateTime).localeCompare(String(a.createdDateTime)));
    return page(items, q, req.origin, path, "auditLogs/signIns", 1000);
  }

  throw new GraphFault(400, "BadRequest", `Resource not found for the segment '${seg[0] ?? ""}' (${m} ${path} is not emulated).`);

  function roleName(id: string): string {
    return state.roleDefinitions.find((r) => r.id === id || r.templateId === id)?.displayName ?? builtInRoles.find((r) => r.templateId === id)?.displayName ?? id;
  }
  function principalOf(id: string): Record<string, unknown> | null {
    const user = state.users.find((u) => u.id === id);
    if (user) return { "@odata.type": "#microsoft.graph.user", ...userView(user, null) };
    const sp = state.servicePrincipals.find((s) => s.id === id);
    if (sp) return { "@odata.type": "#microsoft.graph.servicePrincipal", id: sp.id, appId: sp.appId, displayName: sp.displayName };
    return null;
  }
}

function publicApp(app: Record<string, unknown>): Record<string, unknown> {
  const { owners: _owners, ...rest } = app;
  return rest;
}

function tableObjects(tables: ScenarioTables, name: string): Array<Record<string, unknown>> {
  const table = tables[name];
  if (!table) return [];
  return table.rows.map((row) => Object.fromEntries(table.columns.map((c, i) => [c.name, row[i]])));
}

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
