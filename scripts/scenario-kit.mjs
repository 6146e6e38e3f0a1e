// What the scenario generators share: seeded randomness, times relative to the start of the run, Microsoft's own
// identifiers and wordings, and the row shapes of the Log Analytics tables (SigninLogs, AADNonInteractiveUserSignInLogs,
// AuditLogs, OfficeActivity) exactly as a workspace exports them. Each generator builds its story from these, so the
// column sets stay the same across scenarios (src/kql/tables.ts declares them; the scenario tests check every cell).
// The functions that draw random numbers draw them in a fixed order: reordering them changes every generated file.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { mulberry32 } from "./prng.mjs";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The output folder: `--out <dir>`, else scenarios/<name>. */
export function outDirFor(name, argv = process.argv) {
  const flag = argv.indexOf("--out");
  const dir = flag > 0 && argv[flag + 1] ? resolve(argv[flag + 1]) : join(repoRoot, "scenarios", name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

// ---------------------------------------------------------------------------------------------------------------
// deterministic randomness

/** Helpers over one seeded sequence. */
export function seeded(seed) {
  const random = mulberry32(seed);
  const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
  const pickOne = (list) => list[Math.floor(random() * list.length)];
  const chance = (p) => random() < p;
  const hex = (n) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join("");
  /** A random (version 4) GUID from the seeded PRNG. */
  const guid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pickOne(["8", "9", "a", "b"])}${hex(3)}-${hex(12)}`;
  return { random, int, pickOne, chance, hex, guid };
}

// ---------------------------------------------------------------------------------------------------------------
// relative times: every time is "seconds before the start of the run"

export const S = 1;
export const M = 60;
export const H = 60 * M;
export const D = 24 * H;

/** Seconds before the start of the run -> "-3d6h12m5s". */
export function rel(secondsAgo) {
  let rest = Math.round(secondsAgo);
  if (rest <= 0) return rest === 0 ? "now" : `+${rel(-rest).slice(1)}`;
  let out = "-";
  for (const [unit, size] of [["d", D], ["h", H], ["m", M], ["s", S]]) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** Days the user works: five of every seven, relative to the run (the weekday of "now" is not known in advance). */
export const isWorkday = (daysAgo) => daysAgo % 7 !== 2 && daysAgo % 7 !== 3;

/** A time on day `daysAgo`, `hours` into the working day; undefined when that would be in the future (or too close to now). */
export function onDay(daysAgo, hours) {
  const at = daysAgo * D - Math.round(hours * H);
  return at > 20 * M ? at : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// output

/** Rows oldest first; `_at` (seconds before the run) orders them and is not written. */
export function writeTable(outDir, name, rows) {
  rows = [...rows].sort((a, b) => b._at - a._at).map(({ _at, ...row }) => row);
  const text = rows.length === 0 ? "[]\n" : `[\n${rows.map((r) => `  ${JSON.stringify(r)}`).join(",\n")}\n]\n`;
  writeFileSync(join(outDir, `${name}.json`), text);
  return rows.length;
}

export function writeJson(outDir, name, value) {
  writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify(value, null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// Microsoft's identifiers (first-party app ids, built-in role template ids, fixed phone method ids, licence SKUs)

export const apps = {
  exchange: { id: "00000002-0000-0ff1-ce00-000000000000", name: "Office 365 Exchange Online" },
  teams: { id: "1fec8e78-bce4-4aaf-ab1b-5451cc387264", name: "Microsoft Teams" },
  officeHome: { id: "4765445b-32c6-49b0-83e6-1d93765276ca", name: "OfficeHome" },
  office: { id: "d3590ed6-52b3-4102-aeff-aad2292ab01c", name: "Microsoft Office" },
  oneDrive: { id: "ab9b8c07-8f02-4f72-87fa-80105867a763", name: "OneDrive SyncEngine" },
  outlookMobile: { id: "27922004-5251-4030-b22d-91ecd9a37ea4", name: "Outlook Mobile" },
  azurePortal: { id: "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", name: "Azure Portal" },
  azureCli: { id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", name: "Microsoft Azure CLI" },
  broker: { id: "29d9ed98-a469-4536-ade2-f981bc1d605e", name: "Microsoft Authentication Broker" },
};
export const graphResource = { id: "00000003-0000-0000-c000-000000000000", name: "Microsoft Graph" };
/** The resource a device registration's sign-in is for (the Device Registration Service). */
export const deviceRegistrationResource = { id: "01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9", name: "Device Registration Service" };

export const roleIds = {
  globalAdmin: "62e90394-69f5-4237-9190-012177145e10",
  caAdmin: "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
  appAdmin: "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
  privAuthAdmin: "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
  securityAdmin: "194ae4cb-b126-40b2-bd5b-6091b380977d",
  helpdeskAdmin: "729827e3-9c14-49f7-bb1b-9608f156bbb8",
};

/** Graph's fixed ids of the password and phone methods (the same in every tenant). */
export const fixedMethodIds = {
  password: "28c10230-6103-485e-b985-444c60001490",
  mobile: "3179e48a-750b-4051-897c-87b9720928f7",
  alternateMobile: "b6332ec1-7057-4abe-9331-3d72feddfe41",
  office: "e37fc753-ff3b-4958-9484-eaa9425c82bc",
};

/**
 * Entra ID licences as `GET /subscribedSkus` lists them (skuId and service-plan ids from Microsoft's licensing
 * service-plan reference). Identity Protection (risk levels in the sign-in logs, AADUserRiskEvents, riskyUsers,
 * confirmCompromised) comes with the AAD_PREMIUM_P2 plan only.
 */
const p1Plan = { servicePlanId: "41781fb2-bc02-4b7c-bd55-b576c07bb09d", servicePlanName: "AAD_PREMIUM" };
const p2Plan = { servicePlanId: "eec0eb4f-6444-4f95-aba0-50c24d67f998", servicePlanName: "AAD_PREMIUM_P2" };
export const skus = {
  entraP1: { skuId: "078d2b04-f1bd-4111-bbd4-b4b1b354cef4", skuPartNumber: "AAD_PREMIUM", plans: [p1Plan] },
  // P2 includes P1's plan.
  entraP2: { skuId: "84a661c4-e949-4bd2-a560-ed7766fcaf2b", skuPartNumber: "AAD_PREMIUM_P2", plans: [p1Plan, p2Plan] },
};

/** One item of `GET /subscribedSkus` for a tenant. */
export function subscribedSku(tenantId, sku, units) {
  return {
    id: `${tenantId}_${sku.skuId}`,
    skuId: sku.skuId,
    skuPartNumber: sku.skuPartNumber,
    appliesTo: "User",
    capabilityStatus: "Enabled",
    consumedUnits: units.consumed,
    prepaidUnits: { enabled: units.enabled, suspended: 0, warning: 0, lockedOut: 0 },
    servicePlans: sku.plans.map((plan) => ({ ...plan, provisioningStatus: "Success", appliesTo: "User" })),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// user agents and sign-in wordings

export const userAgents = {
  edgeWindows: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
  firefoxLinux: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  outlookIos: "Outlook-iOS/2.0",
  sprayTool: "python-requests/2.31.0",
  edgeMac: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
  azureCli: "python/3.12.7 (Linux-6.8.0-azure-x86_64-with-glibc2.39) msal/1.31.0 azure-cli/2.67.0",
  officeDesktop: "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.18129; Pro)",
  // Legacy-protocol sign-ins through Exchange Online's basic-auth proxy carry this agent (the ROPC flow it uses).
  ropcProxy: "BAV2ROPC",
  chromeWindows: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
};

/** ResultDescription / Status.failureReason per ResultType (learn.microsoft.com/entra/identity-platform/reference-error-codes). */
export const failureText = {
  "0": "",
  "50126": "Error validating credentials due to invalid username or password.",
  "50053": "Account is locked because user tried to sign in too many times with an incorrect user ID or password.",
  "50158": "External security challenge not satisfied. User will be redirected to another page or authentication provider to satisfy additional authentication challenges.",
  "50074": "Strong Authentication is required.",
  "500121": "Authentication failed during strong authentication request.",
};

/** A device as Entra ID reports it in DeviceDetail. */
export function deviceDetail(o) {
  return { deviceId: o.deviceId ?? "", displayName: o.displayName ?? "", operatingSystem: o.operatingSystem ?? "", browser: o.browser ?? "", isCompliant: o.isCompliant ?? false, isManaged: o.isManaged ?? false, trustType: o.trustType ?? "" };
}
export const unknownDevice = (os, browser) => ({ deviceId: "", displayName: "", operatingSystem: os, browser, isCompliant: false, isManaged: false, trustType: "" });
/** The user's managed, compliant, Entra-joined laptop as Entra ID reports it. */
export function ownDevice(u) {
  return { deviceId: u.deviceId, displayName: u.device, operatingSystem: "Windows 10", browser: "Edge 131.0.0", isCompliant: true, isManaged: true, trustType: "Azure AD joined" };
}

// ---------------------------------------------------------------------------------------------------------------
// table rows

/**
 * A sign-in row builder for one tenant. `risk: "hidden"` writes what a tenant without Entra ID P2 gets on every row:
 * RiskLevelDuringSignIn, RiskLevelAggregated and RiskDetail "hidden" (the SigninLogs reference: "the user or sign-in
 * wasn't enabled for Microsoft Entra ID Protection"); RiskState has no hidden value and stays "none".
 * `caResults()` gives the policy results of a successful interactive sign-in when the caller gives none.
 */
export function signInRows(rng, { tenantId, caResults, riskAggregated = false, defaultRisk = "none" }) {
  const interactive = [];
  const nonInteractive = [];
  /**
   * One sign-in row. `at` is seconds before the start of the run; the row's TimeGenerated comes a little later
   * (ingestion), so the sign-in's own time is CreatedDateTime.
   */
  function signIn(o) {
    const u = o.user;
    const where = o.where;
    const result = o.result ?? "0";
    const id = o.id ?? rng.guid();
    const risk = o.risk ?? defaultRisk;
    const hidden = risk === "hidden";
    const row = {
      _at: o.at,
      TimeGenerated: rel(o.at - rng.int(20, 150)),
      CreatedDateTime: rel(o.at),
      UserPrincipalName: u.upn,
      UserDisplayName: u.name,
      UserId: u.id,
      UserType: "Member",
      IPAddress: o.ip,
      Location: where.country,
      LocationDetails: { city: where.city, state: where.state, countryOrRegion: where.country },
      AppDisplayName: o.app.name,
      AppId: o.app.id,
      ResourceDisplayName: o.resource?.name ?? (o.app === apps.exchange ? apps.exchange.name : graphResource.name),
      ResourceIdentity: o.resource?.id ?? (o.app === apps.exchange ? apps.exchange.id : graphResource.id),
      ClientAppUsed: o.clientApp ?? "Browser",
      UserAgent: o.ua ?? "",
      IsInteractive: o.interactive,
      IsRisky: o.isRisky ?? risk === "high",
      ResultType: result,
      ResultSignature: result === "0" ? "SUCCESS" : "FAILURE",
      ResultDescription: failureText[result] ?? "",
      ConditionalAccessStatus: o.caStatus ?? (result === "0" ? "success" : "notApplied"),
      // The non-interactive rows leave the policy list out: it repeats the interactive one and would triple the file.
      ConditionalAccessPolicies: o.caPolicies ?? (result === "0" && o.interactive ? caResults() : []),
      AuthenticationRequirement: o.authRequirement ?? "multiFactorAuthentication",
      AuthenticationProtocol: o.protocol ?? "none",
      AutonomousSystemNumber: where.asn,
      RiskLevelDuringSignIn: risk,
      ...(riskAggregated ? { RiskLevelAggregated: o.riskAggregated ?? risk } : {}),
      RiskState: o.riskState ?? "none",
      RiskDetail: o.riskDetail ?? (hidden ? "hidden" : "none"),
      RiskEventTypes_V2: JSON.stringify(o.riskEvents ?? []),
      DeviceDetail: o.device,
      Status: result === "0" ? { errorCode: 0, additionalDetails: o.statusDetail ?? "MFA requirement satisfied by claim in the token" } : { errorCode: Number(result), failureReason: failureText[result] ?? "" },
      MfaDetail: o.mfa ?? {},
      CorrelationId: o.correlationId ?? rng.guid(),
      Id: id,
      OriginalRequestId: id,
      ...(o.sessionId ? { SessionId: o.sessionId } : {}),
      TokenIssuerType: "AzureAD",
      Category: o.interactive ? "SignInLogs" : "NonInteractiveUserSignInLogs",
      OperationName: "Sign-in activity",
      Level: result === "0" ? "4" : "2",
      SourceSystem: "Azure AD",
      Type: o.interactive ? "SigninLogs" : "AADNonInteractiveUserSignInLogs",
      TenantId: tenantId,
    };
    (o.interactive ? interactive : nonInteractive).push(row);
    return row;
  }
  return { signIn, interactive, nonInteractive };
}

// AuditLogs: who did it, to what, and what changed, in Entra ID's own shapes.
export const byUser = (u, ip) => ({ user: { id: u.id, displayName: null, userPrincipalName: u.upn, ipAddress: ip, roles: [] } });
export const byApp = (appId, displayName, servicePrincipalId) => ({ app: { appId, displayName, servicePrincipalId, servicePrincipalName: null } });
export const userTarget = (u, modifiedProperties = []) => ({ id: u.id, displayName: null, type: "User", userPrincipalName: u.upn, modifiedProperties, administrativeUnits: [] });
export const target = (id, displayName, type, modifiedProperties = []) => ({ id, displayName, type, modifiedProperties, administrativeUnits: [] });
/** Entra ID writes modified property values JSON-encoded. */
export const prop = (displayName, oldValue, newValue) => ({ displayName, oldValue: oldValue === null ? null : JSON.stringify(oldValue), newValue: newValue === null ? null : JSON.stringify(newValue) });

/** The prefix of an AuditLogs Id per logging service. */
const auditIdPrefix = (service) =>
  service === "Core Directory" ? "Directory" : service === "Authentication Methods" ? "UserManagement" : service === "Device Registration Service" ? "DRS" : "IPCGraph";

/** An AuditLogs row builder for one tenant. */
export function auditRows(rng, { tenantId }) {
  const rows = [];
  function audit(o) {
    const correlationId = o.correlationId ?? rng.guid();
    const service = o.service ?? "Core Directory";
    const prefix = auditIdPrefix(service);
    const initiator = o.initiatedBy.user ? o.initiatedBy.user.userPrincipalName : o.initiatedBy.app.displayName;
    rows.push({
      _at: o.at,
      TimeGenerated: rel(o.at - rng.int(30, 240)),
      ActivityDateTime: rel(o.at),
      OperationName: o.op,
      ActivityDisplayName: o.op,
      Category: o.category,
      AADOperationType: o.opType,
      Result: o.result ?? "success",
      ResultType: "",
      ResultReason: o.reason ?? "",
      ResultDescription: "",
      InitiatedBy: o.initiatedBy,
      TargetResources: o.targets,
      AdditionalDetails: o.details ?? [],
      LoggedByService: service,
      CorrelationId: correlationId,
      Id: o.id ?? `${prefix}_${correlationId.toUpperCase().replace(/-/g, "").slice(0, 20)}_${rng.hex(5).toUpperCase()}_${rng.int(10000000, 99999999)}`,
      Identity: initiator,
      Level: "4",
      Location: "",
      OperationVersion: "1.0",
      AADTenantId: tenantId,
      DurationMs: 0,
      Resource: "Microsoft.aadiam",
      ResourceGroup: "Microsoft.aadiam",
      ResourceId: `/tenants/${tenantId}/providers/Microsoft.aadiam`,
      ResourceProvider: "Microsoft.aadiam",
      SourceSystem: "Azure AD",
      Type: "AuditLogs",
      TenantId: tenantId,
    });
  }
  return { audit, rows };
}

/** An OfficeActivity row builder for one tenant (`userKeys`: the users' Exchange keys by UPN). */
export function officeRows(rng, { tenantId, userKeys }) {
  const rows = [];
  function office(o) {
    rows.push({
      _at: o.at,
      TimeGenerated: rel(o.at),
      RecordType: o.recordType,
      Operation: o.op,
      OfficeWorkload: o.workload ?? "Exchange",
      UserId: o.user.upn,
      UserKey: userKeys[o.user.upn] ?? "",
      UserType: "Regular",
      ClientIP: o.ip,
      ActorIpAddress: o.workload === "SharePoint" ? o.ip : "",
      ResultStatus: o.result ?? (o.recordType === "ExchangeAdmin" ? "True" : "Succeeded"),
      OrganizationId: tenantId,
      OfficeId: rng.guid(),
      OfficeObjectId: o.objectId ?? "",
      MailboxOwnerUPN: o.workload === "SharePoint" ? "" : o.user.upn,
      ClientInfoString: o.client ?? "",
      ExternalAccess: "false",
      Parameters: o.parameters ? JSON.stringify(o.parameters) : "",
      UserAgent: o.ua ?? "",
      TenantId: tenantId,
      Type: "OfficeActivity",
    });
  }
  return { office, rows };
}

/**
 * Routine work of one user over `historyDays`: interactive sign-ins on working days and token refreshes every day,
 * from the user's own places (`places.work`, `places.home`: lists of networks `{ ips, asn, country, city, state }`),
 * and Outlook on the phone when `o.mobile` names the carrier's network. `o.device(daysAgo)` is the laptop in use
 * that day (default: the user's own); `o.skip(daysAgo)` leaves a day out (a trip the caller writes itself).
 */
export function routineSignIns(rng, signIn, { historyDays }) {
  const { random, int, pickOne, chance } = rng;
  return function routine(u, places, o = {}) {
    const skip = o.skip ?? (() => false);
    const deviceOn = o.device ?? (() => ownDevice(u));
    for (let d = o.historyDays ?? historyDays; d >= 0; d--) {
      if (skip(d)) continue;
      const work = isWorkday(d);
      const where = pickOne(work ? places.work : places.home);
      const ip = pickOne(where.ips);
      if (work) {
        const n = chance(0.4) ? 2 : 1;
        for (let i = 0; i < n; i++) {
          const at = onDay(d, 1 + i * 4.5 + random() * 2);
          if (at === undefined) continue;
          signIn({ at, user: u, where, ip, app: pickOne(o.apps ?? [apps.officeHome, apps.teams, apps.exchange]), device: deviceOn(d), ua: userAgents.edgeWindows, interactive: true, mfa: { authMethod: "Previously satisfied" } });
        }
      }
      const refreshes = work ? int(2, 4) : int(0, 1);
      for (let i = 0; i < refreshes; i++) {
        const at = onDay(d, 1.5 + random() * 9);
        if (at === undefined) continue;
        signIn({ at, user: u, where, ip, app: pickOne([apps.office, apps.teams, apps.oneDrive]), clientApp: "Mobile Apps and Desktop clients", device: deviceOn(d), ua: userAgents.officeDesktop, interactive: false });
      }
      if (o.mobile && chance(0.6)) {
        const at = onDay(d, 12 + random() * 3);
        if (at !== undefined) {
          const mobile = { deviceId: "", displayName: "", operatingSystem: "Ios 18.1", browser: "", isCompliant: false, isManaged: false, trustType: "" };
          const interactive = d % 9 === 0;
          signIn({ at, user: u, where: o.mobile, ip: pickOne(o.mobile.ips), app: apps.outlookMobile, resource: apps.exchange, clientApp: "Mobile Apps and Desktop clients", device: mobile, ua: userAgents.outlookIos, interactive, mfa: interactive ? { authMethod: "Previously satisfied" } : {} });
        }
      }
    }
  };
}

/**
 * Identity Protection detections for one tenant: AADUserRiskEvents rows and the same detections as Graph's
 * riskDetection objects (tenant.json `riskDetections`), written together so that the two always agree.
 */
export function riskDetectionRows({ tenantId }) {
  const rows = [];
  const detections = [];
  function riskDetection(o) {
    const u = o.user;
    const location = { city: o.where.city, state: o.where.state, countryOrRegion: o.where.country, geoCoordinates: null };
    rows.push({
      _at: o.detectedAt,
      TimeGenerated: rel(o.updatedAt ?? o.detectedAt),
      Activity: "signin",
      ActivityDateTime: rel(o.at),
      AdditionalInfo: [{ Key: "userAgent", Value: o.ua }],
      CorrelationId: o.correlationId,
      DetectedDateTime: rel(o.detectedAt),
      DetectionTimingType: "realtime",
      Id: o.id,
      IpAddress: o.ip,
      LastUpdatedDateTime: rel(o.updatedAt ?? o.detectedAt),
      Location: location,
      RequestId: o.requestId,
      RiskDetail: o.riskDetail ?? "none",
      RiskEventType: o.type,
      RiskLevel: o.level,
      RiskState: o.state,
      Source: "IdentityProtection",
      TokenIssuerType: "AzureAD",
      UserDisplayName: u.name,
      UserId: u.id,
      UserPrincipalName: u.upn,
      OperationName: "User Risk Detection",
      Type: "AADUserRiskEvents",
      TenantId: tenantId,
    });
    detections.push({
      id: o.id,
      requestId: o.requestId,
      correlationId: o.correlationId,
      riskEventType: o.type,
      riskState: o.state,
      riskLevel: o.level,
      riskDetail: o.riskDetail ?? "none",
      source: "IdentityProtection",
      detectionTimingType: "realtime",
      activity: "signin",
      tokenIssuerType: "AzureAD",
      ipAddress: o.ip,
      location,
      activityDateTime: rel(o.at),
      detectedDateTime: rel(o.detectedAt),
      lastUpdatedDateTime: rel(o.updatedAt ?? o.detectedAt),
      userId: u.id,
      userDisplayName: u.name,
      userPrincipalName: u.upn,
      additionalInfo: JSON.stringify([{ Key: "userAgent", Value: o.ua }]),
    });
  }
  return { riskDetection, rows, detections };
}

// ---------------------------------------------------------------------------------------------------------------
// tenant.json: users and authentication methods in Graph v1.0's shapes

export function graphUser(u, extra = {}) {
  return {
    id: u.id,
    userPrincipalName: u.upn,
    displayName: u.name,
    mail: u.upn,
    accountEnabled: true,
    userType: "Member",
    jobTitle: u.jobTitle,
    department: u.department,
    usageLocation: u.usageLocation ?? "US",
    createdDateTime: rel(u.created),
    signInSessionsValidFromDateTime: rel(u.created),
    ...extra,
  };
}

export const passwordMethod = (created) => ({ "@odata.type": "#microsoft.graph.passwordAuthenticationMethod", id: fixedMethodIds.password, createdDateTime: created === undefined ? null : rel(created) });
export const phoneMethod = (id, phoneNumber, phoneType) => ({ "@odata.type": "#microsoft.graph.phoneAuthenticationMethod", id, phoneNumber, phoneType, smsSignInState: "notAllowedByPolicy" });
export const authenticatorMethod = (id, displayName, created, version = "6.8.17") => ({
  "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
  id,
  displayName,
  deviceTag: "SoftwareTokenActivated",
  phoneAppVersion: version,
  createdDateTime: rel(created),
});
/** A software OATH token (a third-party code app): Graph v1.0 gives it an id and a secretKey (null on read), no creation time. */
export const softwareOathMethod = (id) => ({ "@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod", id, secretKey: null });

/**
 * What the scenarios' responder app is granted (application permissions): everything the shipped runbooks read and
 * write. A tenant without Entra ID P2 has no risk detections to grant.
 */
export const responderAppPermissions = [
  "User.Read.All",
  "User.EnableDisableAccount.All",
  "User.RevokeSessions.All",
  "UserAuthenticationMethod.ReadWrite.All",
  "IdentityRiskyUser.ReadWrite.All",
  "IdentityRiskEvent.Read.All",
  "AuditLog.Read.All",
  "Policy.Read.All",
  "RoleManagement.Read.Directory",
  "Application.Read.All",
  "Directory.Read.All",
  // recovery (azir harden): rotate app secrets, remove role assignments and consents
  "Application.ReadWrite.All",
  "RoleManagement.ReadWrite.Directory",
  "DelegatedPermissionGrant.ReadWrite.All",
  "AppRoleAssignment.ReadWrite.All",
  "GroupMember.ReadWrite.All",
];
