#!/usr/bin/env node
// Writes the built-in Kestrel tabletop scenario (scenarios/kestrel/): a design studio licensed for Entra ID P2 whose
// Log Analytics workspace started receiving Entra logs only five days before the run, so there is no baseline of the
// users' own networks. Noor enters an attacker's device code ("join the review call") and approves the MFA push;
// Identity Protection rates the sign-in high, but the risk policy asks for MFA, which Noor herself satisfied. With the
// Authentication Broker's token the attacker registers a device, gets a primary refresh token, adds a Windows Hello
// for Business key on that device and downloads project files. Two benign look-alikes: a colleague who enrolled a new
// compliant workstation (device, Hello key and a new Authenticator phone in the audit log), and a traveller whose
// first sign-in abroad Identity Protection rated medium and her MFA remediated.
// Deterministic (seeded PRNG, times relative to the start of the run); `--out <dir>` writes elsewhere. A test checks
// that the committed files are this script's output: rerun it after changing the story, with docs/scenarios.md.
import {
  D,
  H,
  M,
  apps,
  auditRows,
  authenticatorMethod,
  byApp,
  byUser,
  deviceDetail,
  deviceRegistrationResource,
  fixedMethodIds,
  graphUser,
  isWorkday,
  officeRows,
  onDay,
  outDirFor,
  ownDevice,
  passwordMethod,
  phoneMethod,
  rel,
  riskDetectionRows,
  roleIds,
  routineSignIns,
  seeded,
  signInRows,
  skus,
  subscribedSku,
  target,
  unknownDevice,
  userAgents,
  userTarget,
  writeJson,
  writeTable,
  responderAppPermissions,
} from "./scenario-kit.mjs";

const outDir = outDirFor("kestrel");
const rng = seeded(0x6e57e1);
const { random, int, pickOne, chance } = rng;

// ---------------------------------------------------------------------------------------------------------------
// the cast

const tenantId = "9d4f2b7e-6a1c-4e38-b5d9-3c7a1f8e2b46";
const domain = "kestrelstudios.example";
const workspaceId = "2b8e5c1f-7d3a-4f69-9e2b-6a4d8c1f5e37";
const subscriptionId = "5e1a9c3f-8b2d-4d76-a4e8-1f7c3b9d5a62";
const forensicsSubscriptionId = "c7b3e9a1-4f6d-4a25-8d1b-9e5f3a7c2d84";

/** The workspace has received Entra logs for five days: everything before that is not there. */
const HISTORY_DAYS = 5;
/** The incident start: Noor's device-code sign-in, high risk (1 day 20 hours before the run starts). */
const T0 = 1 * D + 20 * H;

const users = {
  noor: { id: "3b7e1d9f-5a2c-4f84-9b6e-1d3f7a9c5e28", upn: "noor@kestrelstudios.example", name: "Noor Castellanos", jobTitle: "Producer", department: "Production", created: 700 * D, deviceId: "8f2d6a1c-4e9b-4c37-a5f1-7b3e9d2c6a14", device: "KST-LT-0112", usageLocation: "GB" },
  theo: {
    id: "6c1a8e4b-2f7d-4b59-8e3c-5a9f1d7b3e60",
    upn: "theo@kestrelstudios.example",
    name: "Theo Brandt",
    jobTitle: "Senior 3D Artist",
    department: "Art",
    created: 520 * D,
    deviceId: "1d5b9f3e-7c2a-4e86-b4d8-3f1a7e5c9b22",
    device: "KST-LT-0087",
    // The workstation IT handed over two days ago, joined and enrolled by Theo at the studio.
    newDeviceId: "e4a8c2f6-9b1d-4a73-8f5e-2c6b1a9d4f38",
    newDevice: "KST-WS-0045",
    usageLocation: "GB",
  },
  ines: { id: "9e3f7b2d-1c8a-4d65-a2f9-8b4e6c1d3a57", upn: "ines@kestrelstudios.example", name: "Ines Marlow", jobTitle: "Art Director", department: "Art", created: 880 * D, deviceId: "4a9e2c7f-5d1b-4f83-9c6a-1e8d4b2f7a95", device: "KST-LT-0041", usageLocation: "GB" },
  pia: { id: "1f6d3a8c-9e2b-4c47-b8a5-6d2f9e1c4b73", upn: "pia@kestrelstudios.example", name: "Pia Halvorsen", jobTitle: "Studio Coordinator", department: "Operations", created: 300 * D, deviceId: "7b3c9e5a-2d8f-4a16-9e4b-5c1a7f3d8e26", device: "KST-LT-0150", usageLocation: "GB" },
  kai: { id: "5a2e8c4f-1b9d-4e73-a6c2-9f5b3d1e7a48", upn: "kai@kestrelstudios.example", name: "Kai Oduya", jobTitle: "IT Lead", department: "IT", created: 1100 * D, deviceId: "2e8a4c6f-3b7d-4f95-8a1e-7c3f5b9d1e64", device: "KST-ADM-02", usageLocation: "GB" },
  breakglass: { id: "d8c4a2e6-7f3b-4b91-9d5c-2a6e8f4b1c39", upn: "breakglass@kestrelstudios.example", name: "Break Glass (emergency access)", jobTitle: null, department: "IT", created: 1100 * D, usageLocation: "GB" },
};

/** The device the attacker registered with the broker's token: Entra-registered, not managed, not compliant. */
const attackerDevice = { id: "c1f5a9d3-6e2b-4c84-8a7f-3d9b5e1c7a46", name: "DESKTOP-7Q2M4KD" };

const incidentSignInId = "7a3e9c1f-5b8d-4f26-9e4a-1c7f3b5d9e82";
const inesRiskSignInId = "2d6b8f4a-1e9c-4a57-b3d8-6f2a9c5e1b73";

const methodIds = {
  password: fixedMethodIds.password,
  mobile: fixedMethodIds.mobile,
  noorAuthenticator: "5e9b3d7f-2a6c-4e18-8b4f-9d1a5c3e7b60",
  noorHello: "a3f7c1e5-8d2b-4a96-b1e7-4c8f2a6d9e13",
  attackerHello: "f6b2d8a4-3c9e-4f71-a5d3-8e1b7c4f2a96",
  theoAuthenticatorOld: "8c4a1e7d-5f3b-4d29-9a6e-2b8f5d1c7e34",
  theoAuthenticator: "3d9f5b1e-7a4c-4e62-8f2d-6c1b9e5a3f07",
  theoHelloOld: "b7e3a9c5-1d6f-4b84-a2e8-5f9c3b7d1a52",
  theoHelloNew: "e1c7f3b9-4a8d-4c25-9f6b-3a7e1d5c9b48",
  inesAuthenticator: "6a2d8f4c-9b1e-4f53-8c7a-1e5b3d9f7c26",
  piaAuthenticator: "4f8b2e6a-3d7c-4a19-b5e3-7c2f8a4d1e95",
  kaiAuthenticator: "9b5f1c7e-2a4d-4e86-a3f9-5d1b7e3c9a71",
  breakglassFido: "0e6a4c8f-7b3d-4f12-9c5e-8a2f6d4b1c53",
};

const policies = {
  requireMfa: "4e8a2c6f-1d9b-4f37-a5e2-7c3f9b1d5e84",
  blockLegacy: "8b2f6d4a-3e1c-4a59-9d7b-2f5e8a1c6d43",
  signInRisk: "1c7e3a9f-5b2d-4e68-8f4a-6d9b2e5c1a37",
};

// Networks: documentation addresses (RFC 5737) and documentation ASNs (RFC 5398); geolocation as Entra ID reports it.
const net = {
  office: { ips: ["192.0.2.40", "192.0.2.41", "192.0.2.42"], asn: "64501", country: "GB", city: "Bristol", state: "England" },
  noorHome: { ips: ["192.0.2.140", "192.0.2.141"], asn: "64502", country: "GB", city: "Bath", state: "England" },
  theoHome: { ips: ["192.0.2.150"], asn: "64502", country: "GB", city: "Bristol", state: "England" },
  mobile: { ips: ["192.0.2.230", "192.0.2.233"], asn: "64503", country: "GB", city: "Bristol", state: "England" },
  inesHotel: { ips: ["198.51.100.200", "198.51.100.201"], asn: "64508", country: "IT", city: "Milan", state: "Lombardy" },
};
/** The attacker: a hosting provider's addresses. */
const attacker = { ips: ["203.0.113.88", "203.0.113.89", "203.0.113.93"], asn: "64509", country: "US", city: "Ashburn", state: "Virginia" };

const apps2 = {
  windowsSignIn: { id: "38aa3b87-a06d-4817-b275-7a316988d93b", name: "Windows Sign In" },
  sharePoint: { id: "00000003-0000-0ff1-ce00-000000000000", name: "Office 365 SharePoint Online" },
};
const aadGraph = { id: "00000002-0000-0000-c000-000000000000", name: "Windows Azure Active Directory" };

// ---------------------------------------------------------------------------------------------------------------
// tenant.json

function tenant(detections) {
  const { noor, theo, ines, pia, kai, breakglass } = users;
  const hello = (id, device, created) => ({ "@odata.type": "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod", id, displayName: device, keyStrength: "normal", createdDateTime: rel(created) });
  return {
    tenantId,
    domain,
    displayName: "Kestrel Studios",
    workspaceId,
    subscriptionId,
    forensicsSubscriptionId,
    // GET /subscribedSkus: Entra ID P2 (Identity Protection rates sign-ins, AADUserRiskEvents is exported).
    subscribedSkus: [subscribedSku(tenantId, skus.entraP2, { enabled: 45, consumed: 38 })],
    operator: {
      displayName: "azir-ir (Kestrel incident response)",
      roles: ["Security Administrator", "Authentication Administrator"],
      permissions: responderAppPermissions,
    },
    users: [graphUser(noor, { businessPhones: ["+44 117 496 0381"] }), graphUser(theo), graphUser(ines), graphUser(pia), graphUser(kai), graphUser(breakglass, { mail: null })],
    authenticationMethods: {
      [noor.id]: [
        passwordMethod(700 * D),
        phoneMethod(methodIds.mobile, "+44 7700900381", "mobile"),
        authenticatorMethod(methodIds.noorAuthenticator, "Pixel 8", 410 * D, "6.2409.6094"),
        hello(methodIds.noorHello, noor.device, 300 * D),
        // The attacker's key on the device they registered, 38 minutes after the device-code sign-in.
        hello(methodIds.attackerHello, attackerDevice.name, T0 - 38 * M),
      ],
      [theo.id]: [
        passwordMethod(520 * D),
        authenticatorMethod(methodIds.theoAuthenticator, "iPhone 16", 2 * D + 3 * H, "6.8.18"),
        hello(methodIds.theoHelloOld, theo.device, 500 * D),
        hello(methodIds.theoHelloNew, theo.newDevice, 2 * D + 3 * H + 40 * M),
      ],
      [ines.id]: [passwordMethod(880 * D), authenticatorMethod(methodIds.inesAuthenticator, "iPhone 15", 200 * D)],
      [pia.id]: [passwordMethod(300 * D), authenticatorMethod(methodIds.piaAuthenticator, "Galaxy S24", 290 * D, "6.2410.7021")],
      [kai.id]: [passwordMethod(1100 * D), authenticatorMethod(methodIds.kaiAuthenticator, "iPhone 15 Pro", 330 * D)],
      [breakglass.id]: [passwordMethod(1100 * D), { "@odata.type": "#microsoft.graph.fido2AuthenticationMethod", id: methodIds.breakglassFido, displayName: "Security key (safe 1)", model: "FIDO2 security key", aaGuid: "00000000-0000-0000-0000-000000000000", createdDateTime: rel(1000 * D) }],
    },
    defaultMethods: { [noor.id]: methodIds.noorAuthenticator, [theo.id]: methodIds.theoAuthenticator, [ines.id]: methodIds.inesAuthenticator },
    applications: [],
    servicePrincipals: [],
    oauth2PermissionGrants: [],
    conditionalAccessPolicies: [
      policy(policies.requireMfa, "Require MFA for all users", { clientAppTypes: ["browser", "mobileAppsAndDesktopClients"], signInRiskLevels: [] }, ["mfa"]),
      policy(policies.blockLegacy, "Block legacy authentication", { clientAppTypes: ["exchangeActiveSync", "other"], signInRiskLevels: [] }, ["block"]),
      // P2's sign-in risk policy: MFA for medium and high risk. The device-code victim satisfies it herself.
      policy(policies.signInRisk, "Sign-in risk: require MFA (medium and high)", { clientAppTypes: ["all"], signInRiskLevels: ["medium", "high"] }, ["mfa"]),
    ],
    namedLocations: [
      { "@odata.type": "#microsoft.graph.ipNamedLocation", id: "6d2a8e4c-1f7b-4c93-8e5a-3b9d1f7c5a62", displayName: "Kestrel studio Bristol", createdDateTime: rel(600 * D), modifiedDateTime: rel(600 * D), isTrusted: true, ipRanges: [{ "@odata.type": "#microsoft.graph.iPv4CidrRange", cidrAddress: "192.0.2.32/28" }] },
    ],
    roleAssignments: [
      { id: "a2VzdHJlbC1nYS1rYWktMDAwMDAwMDAwMDAwMDAwMDAw", principalId: kai.id, roleDefinitionId: roleIds.globalAdmin, directoryScopeId: "/", createdDateTime: rel(1000 * D) },
      { id: "a2VzdHJlbC1nYS1icmVha2dsYXNzLTAwMDAwMDAwMDAw", principalId: breakglass.id, roleDefinitionId: roleIds.globalAdmin, directoryScopeId: "/", createdDateTime: rel(1050 * D) },
    ],
    // Both risky sign-ins were remediated by MFA under the risk policy: the users read as remediated, not at risk.
    riskyUsers: [
      { id: noor.id, userPrincipalName: noor.upn, userDisplayName: noor.name, riskLevel: "none", riskState: "remediated", riskDetail: "userPassedMFADrivenByRiskBasedPolicy", riskLastUpdatedDateTime: rel(T0 - 1 * M), isDeleted: false, isProcessing: false },
      { id: ines.id, userPrincipalName: ines.upn, userDisplayName: ines.name, riskLevel: "none", riskState: "remediated", riskDetail: "userPassedMFADrivenByRiskBasedPolicy", riskLastUpdatedDateTime: rel(3 * D - 30 * M), isDeleted: false, isProcessing: false },
    ],
    riskDetections: detections,
    arm: { resources: [] },
  };
}

function policy(id, displayName, conditions, controls) {
  return {
    id,
    displayName,
    state: "enabled",
    createdDateTime: rel(600 * D),
    modifiedDateTime: rel(600 * D),
    conditions: {
      users: { includeUsers: ["All"], excludeUsers: [users.breakglass.id], includeGroups: [], excludeGroups: [], includeRoles: [], excludeRoles: [] },
      applications: { includeApplications: ["All"], excludeApplications: [] },
      clientAppTypes: conditions.clientAppTypes,
      locations: null,
      platforms: null,
      signInRiskLevels: conditions.signInRiskLevels,
      userRiskLevels: [],
    },
    grantControls: { operator: "OR", builtInControls: controls, customAuthenticationFactors: [], termsOfUse: [] },
    sessionControls: null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// sign-ins (risk evaluated: P2)

const caResults = (overrides = {}) =>
  [
    [policies.requireMfa, "Require MFA for all users", "success", ["Mfa"]],
    [policies.blockLegacy, "Block legacy authentication", "notApplied", []],
    [policies.signInRisk, "Sign-in risk: require MFA (medium and high)", "notApplied", []],
  ].map(([id, displayName, result, enforcedGrantControls]) => ({ id, displayName, result: overrides[id] ?? result, enforcedGrantControls, enforcedSessionControls: [] }));

const { signIn, interactive, nonInteractive } = signInRows(rng, { tenantId, caResults, riskAggregated: true });
const routine = routineSignIns(rng, signIn, { historyDays: HISTORY_DAYS });

const registeredDevice = deviceDetail({ deviceId: attackerDevice.id, displayName: attackerDevice.name, operatingSystem: "Windows 10", browser: "", isCompliant: false, isManaged: false, trustType: "Azure AD registered" });

function signIns() {
  const { noor, theo, ines, pia, kai } = users;
  const mfaPush = { authMethod: "Mobile app notification", authDetail: null };

  // 1. Routine work since the workspace was connected (breakglass never signs in).
  routine(noor, { work: [net.office, net.office, net.noorHome], home: [net.noorHome] }, { mobile: net.mobile });
  const theoDevice = (d) => (d > 2 ? ownDevice(theo) : deviceDetail({ deviceId: theo.newDeviceId, displayName: theo.newDevice, operatingSystem: "Windows 11", browser: "Edge 131.0.0", isCompliant: true, isManaged: true, trustType: "Azure AD joined" }));
  routine(theo, { work: [net.office], home: [net.theoHome] }, { device: theoDevice });
  const inesTrip = (d) => d >= 1 && d <= 3;
  routine(ines, { work: [net.office], home: [net.office] }, { skip: inesTrip });
  routine(pia, { work: [net.office], home: [net.office] });
  routine(kai, { work: [net.office], home: [net.office] }, { apps: [apps.azurePortal, apps.officeHome, apps.teams] });

  // Ines in Milan (3 to 1 days ago) on her own compliant laptop. Identity Protection rated her first sign-in there
  // medium (unfamiliar features); the risk policy asked for MFA and she passed it, which remediated the risk.
  for (let d = 3; d >= 1; d--) {
    const ip = net.inesHotel.ips[d % 2];
    const first = d === 3;
    signIn({
      at: onDay(d, 0.4),
      id: first ? inesRiskSignInId : undefined,
      user: ines,
      where: net.inesHotel,
      ip,
      app: apps.officeHome,
      device: ownDevice(ines),
      ua: userAgents.edgeWindows,
      interactive: true,
      mfa: mfaPush,
      statusDetail: "MFA completed in Azure AD",
      ...(first
        ? { risk: "medium", isRisky: true, riskState: "remediated", riskDetail: "userPassedMFADrivenByRiskBasedPolicy", riskEvents: ["unfamiliarFeatures"], caPolicies: caResults({ [policies.signInRisk]: "success" }) }
        : {}),
    });
    for (let i = 0; i < 3; i++) {
      signIn({ at: onDay(d, 1 + i * 3 + random()), user: ines, where: net.inesHotel, ip, app: pickOne([apps.office, apps.teams, apps.oneDrive]), clientApp: "Mobile Apps and Desktop clients", device: ownDevice(ines), ua: userAgents.officeDesktop, interactive: false });
    }
  }

  // 2. The device-code phish: the attacker's client asked for a code as the Authentication Broker; Noor entered it
  // and approved the push. The sign-in is logged at the client that redeemed the code, with high risk that her own
  // MFA then remediated under the risk policy.
  const where = attacker;
  const start = signIn({
    at: T0,
    id: incidentSignInId,
    user: noor,
    where,
    ip: attacker.ips[0],
    app: apps.broker,
    clientApp: "Mobile Apps and Desktop clients",
    protocol: "deviceCode",
    device: unknownDevice("Windows 10", ""),
    ua: "",
    interactive: true,
    risk: "high",
    riskState: "remediated",
    riskDetail: "userPassedMFADrivenByRiskBasedPolicy",
    riskEvents: ["unfamiliarFeatures"],
    mfa: mfaPush,
    statusDetail: "MFA completed in Azure AD",
    caPolicies: caResults({ [policies.signInRisk]: "success" }),
  });
  // The broker's refresh token, redeemed for the Device Registration Service, then the new device's primary refresh token.
  signIn({ at: T0 - 4 * M, user: noor, where, ip: attacker.ips[0], app: apps.broker, resource: deviceRegistrationResource, clientApp: "Mobile Apps and Desktop clients", device: unknownDevice("Windows 10", ""), interactive: false, authRequirement: "singleFactorAuthentication", caPolicies: [] });
  signIn({ at: T0 - 11 * M, user: noor, where, ip: attacker.ips[0], app: apps2.windowsSignIn, resource: aadGraph, clientApp: "Mobile Apps and Desktop clients", device: registeredDevice, ua: "Windows-AzureAD-Authentication-Provider/1.0", interactive: true, authRequirement: "singleFactorAuthentication", caPolicies: caResults({ [policies.requireMfa]: "success" }) });

  // 3. With the primary refresh token: the browser, SharePoint and Teams, for a day, from three addresses.
  for (let t = T0 - 45 * M, i = 0; t > 8 * H; t -= int(110, 200) * M, i++) {
    const app = [apps.officeHome, apps2.sharePoint, apps.teams, apps2.sharePoint][i % 4];
    signIn({ at: t, user: noor, where, ip: attacker.ips[i % 3], app, resource: app === apps2.sharePoint ? apps2.sharePoint : undefined, clientApp: app === apps.teams ? "Mobile Apps and Desktop clients" : "Browser", device: registeredDevice, ua: app === apps.teams ? "" : userAgents.chromeWindows, interactive: i % 5 === 0, caPolicies: i % 5 === 0 ? undefined : [] });
  }
  return start;
}

// ---------------------------------------------------------------------------------------------------------------
// AuditLogs

const { audit, rows: auditLogRows } = auditRows(rng, { tenantId });
const drsApp = byApp("01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9", "Device Registration Service", "3f9b5d1e-7a2c-4e84-9b6f-1d5a3c7e9b20");

/** A device joined or registered through the Device Registration Service, as the audit log shows it. */
function deviceRegistration(u, device, at, ip, trust, ua) {
  const dev = target(device.id, device.name, "Device");
  const details = [{ key: "Device OS", value: trust === "AzureAd" ? "Windows 11" : "Windows 10" }, { key: "Device Trust Type", value: trust }, ...(ua ? [ua] : [])];
  audit({ at, op: "Register device", category: "Device", opType: "Add", service: "Device Registration Service", initiatedBy: byUser(u, ip), targets: [dev], details });
  audit({ at: at - 4, op: "Add device", category: "Device", opType: "Add", initiatedBy: drsApp, targets: [target(device.id, device.name, "Device")] });
  audit({ at: at - 5, op: "Add registered owner to device", category: "Device", opType: "Assign", initiatedBy: drsApp, targets: [dev, userTarget(u)] });
  audit({ at: at - 6, op: "Add registered users to device", category: "Device", opType: "Assign", initiatedBy: drsApp, targets: [dev, userTarget(u)] });
}

function auditLogs() {
  const { noor, theo, kai, pia } = users;
  const office = net.office.ips[0];

  // Theo's new workstation, joined at the studio, then his Hello key and the Authenticator on his new phone.
  deviceRegistration(theo, { id: theo.newDeviceId, name: theo.newDevice }, 2 * D + 4 * H, office, "AzureAd");
  audit({ at: 2 * D + 3 * H + 40 * M, op: "Add Windows Hello for Business credential", category: "UserManagement", opType: "Add", service: "Device Registration Service", initiatedBy: byUser(theo, office), targets: [userTarget(theo)] });
  audit({ at: 2 * D + 3 * H, op: "User registered security info", category: "UserManagement", opType: "Add", service: "Authentication Methods", reason: "User registered Authenticator App with Notification and Code", initiatedBy: byUser(theo, office), targets: [userTarget(theo)] });
  audit({ at: 2 * D + 2 * H + 50 * M, op: "User deleted security info", category: "UserManagement", opType: "Delete", service: "Authentication Methods", reason: "User deleted Authenticator App with Notification and Code", initiatedBy: byUser(theo, office), targets: [userTarget(theo)] });
  audit({ at: 3 * D + 5 * H, op: "Update user", category: "UserManagement", opType: "Update", initiatedBy: byUser(kai, office), targets: [userTarget(pia, [{ displayName: "JobTitle", oldValue: JSON.stringify(["Studio Assistant"]), newValue: JSON.stringify(["Studio Coordinator"]) }])] });

  // The attacker, as Noor, with the broker's token: a device (then a primary refresh token), then a Hello key on it.
  const ip = attacker.ips[0];
  deviceRegistration(noor, attackerDevice, T0 - 7 * M, ip, "Workplace", { key: "User-Agent", value: "Dsreg/10.0 (Windows 10.0.19045.5131)" });
  audit({ at: T0 - 38 * M, op: "Add Windows Hello for Business credential", category: "UserManagement", opType: "Add", service: "Device Registration Service", initiatedBy: byUser(noor, ip), targets: [userTarget(noor)] });
}

// ---------------------------------------------------------------------------------------------------------------
// OfficeActivity, AADUserRiskEvents

const userKeys = { [users.noor.upn]: "10032004D2A8F1C3", [users.theo.upn]: "10032004E6B3C9A7", [users.ines.upn]: "10032004F1D7E2B5" };
const { office, rows: officeActivityRows } = officeRows(rng, { tenantId, userKeys });

function officeActivity() {
  const { noor, theo, ines } = users;
  const outlook = "Client=MSExchangeRPC;Outlook;16.0.18129.20158";
  for (let d = HISTORY_DAYS; d >= 0; d--) {
    if (!isWorkday(d)) continue;
    for (const u of [noor, theo, ines]) {
      const where = u === ines && d >= 1 && d <= 3 ? net.inesHotel : net.office;
      const at = onDay(d, 2 + random() * 6);
      if (at === undefined) continue;
      office({ at, recordType: "ExchangeItemAggregated", op: "MailItemsAccessed", user: u, ip: pickOne(where.ips), client: outlook });
      if (chance(0.5)) office({ at: at - int(10, 90) * M, recordType: "SharePointFileOperation", op: "FileAccessed", workload: "SharePoint", user: u, ip: pickOne(where.ips), objectId: "https://kestrelstudios.sharepoint.com/sites/Projects/Shared Documents/Schedules/Q1 slate.xlsx", ua: userAgents.edgeWindows });
    }
  }
  // The attacker downloads a project's files through SharePoint (azir's queries do not read SharePoint operations).
  const files = ["Skyline/Pitch deck v7.pptx", "Skyline/Budget FY27.xlsx", "Skyline/Cast contracts.zip", "Skyline/Storyboards.zip", "Harbour/Concept art.zip", "Harbour/Client brief.docx"];
  files.forEach((file, i) => {
    office({ at: T0 - 2 * H - i * int(3, 9) * M, recordType: "SharePointFileOperation", op: "FileDownloaded", workload: "SharePoint", user: noor, ip: attacker.ips[1], objectId: `https://kestrelstudios.sharepoint.com/sites/Projects/Shared Documents/${file}`, ua: userAgents.chromeWindows });
  });
}

const { riskDetection, rows: riskRows, detections: riskDetections } = riskDetectionRows({ tenantId });
const riskIds = {
  noor: "9f3b7d1e5a2c8f4b6d0e3a7c1f5b9d2e4a8c6f0b3d7e1a5c9f2b4d8e6a0c3f7b",
  ines: "4c8e2a6f0b3d7e1a5c9f2b4d8e6a0c3f7b9f3b7d1e5a2c8f4b6d0e3a7c1f5b9d",
};

function riskEvents(start) {
  const { noor, ines } = users;
  const remediated = { state: "remediated", riskDetail: "userPassedMFADrivenByRiskBasedPolicy" };
  riskDetection({ user: noor, where: attacker, ip: attacker.ips[0], at: T0, detectedAt: T0 - 30, updatedAt: T0 - 1 * M, requestId: incidentSignInId, correlationId: start.CorrelationId, ua: "", id: riskIds.noor, type: "unfamiliarFeatures", level: "high", ...remediated });
  const inesSignIn = interactive.find((r) => r.Id === inesRiskSignInId);
  riskDetection({ user: ines, where: net.inesHotel, ip: inesSignIn.IPAddress, at: inesSignIn._at, detectedAt: inesSignIn._at - 30, updatedAt: inesSignIn._at - 2 * M, requestId: inesRiskSignInId, correlationId: inesSignIn.CorrelationId, ua: userAgents.edgeWindows, id: riskIds.ines, type: "unfamiliarFeatures", level: "medium", ...remediated });
}

// ---------------------------------------------------------------------------------------------------------------
// expected.json

function expected() {
  const { noor, theo, ines, pia, kai } = users;
  const f = (code, count, severity, step, note) => ({ code, count, severity, step, note });
  const benign = [theo.upn, ines.upn, pia.upn, kai.upn];
  return {
    $comment: "Written by scripts/generate-kestrel.mjs. Times are relative to the start of the run. expectedFindings: what `azir investigate noor@kestrelstudios.example --tabletop kestrel` (lookback 14d, baseline 30d) must report; severity is the highest of them.",
    victim: { upn: noor.upn, id: noor.id },
    lookback: "14d",
    baseline: "30d",
    licence: { entraIdP2: true, signinRisk: "evaluated", tables: { AADUserRiskEvents: true } },
    historyDays: HISTORY_DAYS,
    incidentStart: rel(T0),
    incidentSignInId,
    incidentStartRule: "first-high-risk-success",
    // high (risk plus other signals), one step lower without a baseline
    incidentStartConfidence: "medium",
    incidentStartSignals: ["risk-high", "unknown-device", "device-code"],
    baselineOutput: { sufficient: false, signins: 0 },
    attackerIps: attacker.ips,
    attackerAsn: attacker.asn,
    attackerDevice: { id: attackerDevice.id, displayName: attackerDevice.name, trustType: "Azure AD registered" },
    expectedFindings: [
      f("incident.start", 1, "high", "signins", "first high-risk success: the device-code sign-in (confidence medium: no baseline)"),
      f("signin.high-risk-success", 1, "high", "signins", "the device-code sign-in, remediated by Noor's own MFA"),
      f("signin.no-baseline", 1, "info", "signins", "the workspace holds 5 days, all inside the 14-day window"),
      f("ca.device-code", 1, "medium", "signins", "203.0.113.88; not high: without a baseline no ASN is new"),
      f("identity.risk-detection", 1, "info", "risk", "unfamiliarFeatures high, remediated"),
      f("audit.device-registered", 3, "high", "audit", "Register device, Add registered owner to device, Add registered users to device (DESKTOP-7Q2M4KD); 'Add device' names only the device"),
      f("audit.security-info-registered", 1, "high", "audit", "Add Windows Hello for Business credential on DESKTOP-7Q2M4KD"),
    ],
    attackerMethodIds: [methodIds.attackerHello],
    ownMethodIds: [methodIds.password, methodIds.mobile, methodIds.noorAuthenticator, methodIds.noorHello],
    defaultMethodId: methodIds.noorAuthenticator,
    benignUsers: benign,
    benignMaxSeverity: Object.fromEntries(benign.map((upn) => [upn, "low"])),
    benignFindings: { [theo.upn]: [], [ines.upn]: [] },
    benignDevices: { [theo.upn]: { deviceId: theo.newDeviceId, displayName: theo.newDevice, enrolled: rel(2 * D + 4 * H) } },
    deviceCodeHunt: [{ upn: noor.upn, signIns: 1, distinctIps: 1 }],
  };
}

// ---------------------------------------------------------------------------------------------------------------

const start = signIns();
auditLogs();
officeActivity();
riskEvents(start);
writeJson(outDir, "tenant", tenant(riskDetections));
writeJson(outDir, "expected", expected());
console.log(`wrote ${outDir}: tenant.json, expected.json`);
console.log("SigninLogs", writeTable(outDir, "SigninLogs", interactive));
console.log("AADNonInteractiveUserSignInLogs", writeTable(outDir, "AADNonInteractiveUserSignInLogs", nonInteractive));
console.log("AuditLogs", writeTable(outDir, "AuditLogs", auditLogRows));
console.log("OfficeActivity", writeTable(outDir, "OfficeActivity", officeActivityRows));
console.log("AADUserRiskEvents", writeTable(outDir, "AADUserRiskEvents", riskRows));
// Defender for Cloud is connected and quiet.
console.log("SecurityAlert", writeTable(outDir, "SecurityAlert", []));
