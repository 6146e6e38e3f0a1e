#!/usr/bin/env node
// Writes the built-in Alderbank tabletop scenario (scenarios/alderbank/): a credit union's tenant licensed for Entra ID
// P1 only, so Identity Protection reports nothing (every sign-in's risk reads "hidden", there is no AADUserRiskEvents
// table, no risky users). A password spray from one hosting range finds Dana's password; the attacker reads her mail
// over IMAP and sends mail over authenticated SMTP (legacy protocols the report-only block did not stop), wins an MFA
// push by fatigue from a residential proxy, registers a code-only authenticator app (a software OATH token, which
// Graph gives no creation time) and makes it her default method. Two benign look-alikes: a traveller on her own
// compliant laptop, and a colleague who enrolled a new compliant laptop and then went to a conference abroad.
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
  graphUser,
  isWorkday,
  officeRows,
  onDay,
  outDirFor,
  ownDevice,
  passwordMethod,
  phoneMethod,
  prop,
  rel,
  roleIds,
  routineSignIns,
  seeded,
  signInRows,
  skus,
  softwareOathMethod,
  fixedMethodIds,
  subscribedSku,
  target,
  unknownDevice,
  userAgents,
  userTarget,
  writeJson,
  writeTable,
  responderAppPermissions,
} from "./scenario-kit.mjs";

const outDir = outDirFor("alderbank");
const rng = seeded(0xa1de4b);
const { random, int, pickOne, chance, guid } = rng;

// ---------------------------------------------------------------------------------------------------------------
// the cast

const tenantId = "6b1e9d42-3c7a-4f15-8e2d-9a4c0b7f1e63";
const domain = "alderbank.example";
const workspaceId = "d2a7f4c9-1e6b-4c83-a5d0-7b9e2f4c1a86";
const subscriptionId = "4c9e1a7d-2b5f-4e08-9d3a-6f1c8b2e5a07";
const forensicsSubscriptionId = "8f3b6d1e-7a2c-4b95-8e4d-1c7a9f3b6e28";

const users = {
  dana: { id: "a7d3e9b1-5c2f-4e86-9b1a-3f7c5e9d2b04", upn: "dana@alderbank.example", name: "Dana Whitlock", jobTitle: "Senior Loan Officer", department: "Lending", created: 1200 * D, deviceId: "3e8b1f5a-9c2d-4a67-b4e1-8d5f2a9c6b13", device: "ALDER-LT-0231" },
  mei: { id: "c4f8a2d6-1b9e-4c35-8f7a-2e6d4b8c1f95", upn: "mei@alderbank.example", name: "Mei Lindqvist", jobTitle: "Member Services Manager", department: "Member Services", created: 900 * D, deviceId: "7a2c9e4f-1d6b-4b38-9e5a-3c8f1b6d4e27", device: "ALDER-LT-0118" },
  omar: {
    id: "e9b5c1f7-3d8a-4e26-a1c9-5f2b7d3e8a61",
    upn: "omar@alderbank.example",
    name: "Omar Haddad",
    jobTitle: "Financial Controller",
    department: "Finance",
    created: 700 * D,
    deviceId: "5d1f8b3e-6a4c-4f92-8b7d-2e9a5c1f4d80",
    device: "ALDER-LT-0077",
    // The laptop IT enrolled for him 10 days ago (Intune, compliant, Entra-joined): first seen inside the window.
    newDeviceId: "b8e4a1c7-2f9d-4c56-9a3e-7d1b5f8c2e49",
    newDevice: "ALDER-LT-0307",
  },
  jonas: { id: "2f6a9d3c-8e1b-4d74-b5c2-9a7e3f1d6b58", upn: "jonas@alderbank.example", name: "Jonas Ekwueme", jobTitle: "Teller Supervisor", department: "Branch Operations", created: 600 * D, deviceId: "9c3e7a1d-5b8f-4e21-a6d4-1f9b3e7c5a92", device: "ALDER-LT-0164" },
  ama: { id: "8d2c6f9a-4e1b-4a37-9f5d-6b3a8e2c7f14", upn: "ama@alderbank.example", name: "Ama Serwaa", jobTitle: "Compliance Analyst", department: "Risk and Compliance", created: 500 * D, deviceId: "1b7f4d9e-3a6c-4d85-b2e9-5c8a1f4d7b36", device: "ALDER-LT-0199" },
  riley: { id: "4a9f2e6d-7c3b-4b18-8e5a-1d6c9f2a4e73", upn: "riley.admin@alderbank.example", name: "Riley Okafor (IT)", jobTitle: "IT Administrator", department: "IT", created: 1500 * D, deviceId: "6e2b8d4a-1f7c-4a93-9d6e-4b1f8a3c7e25", device: "ALDER-ADM-01" },
  breakglass: { id: "f1c7a3e9-6d2b-4f58-b9a4-8e3d1c7f5b62", upn: "breakglass@alderbank.example", name: "Break Glass (emergency access)", jobTitle: null, department: "IT", created: 1500 * D },
};

/** The incident start: the spray's IMAP4 success on Dana's account (2 days 9 hours before the run starts). */
const T0 = 2 * D + 9 * H;
/** The MFA push Dana approved after three denials, from the attacker's residential proxy. */
const T1 = 1 * D + 15 * H;
/** History in the tables: the 14-day window and most of the 30-day baseline. */
const HISTORY_DAYS = 42;

const incidentSignInId = "5f2a8c4e-1d7b-4e93-b6a2-9c4e1f7d3a58";
const fatigueSignInId = "b3d9f1a5-7e2c-4c68-9a4f-2d8b6e1c5f07";

const methodIds = {
  password: fixedMethodIds.password,
  mobile: fixedMethodIds.mobile,
  danaAuthenticator: "0c6e2a8d-4f1b-4d97-8b3e-5a9c1e7f3d24",
  attackerOath: "7e1c5a9f-3b6d-4e82-a4c8-1f5b9d3e7a60",
  meiAuthenticator: "2d8f4b1e-6c9a-4a53-9e7b-3c1f6a8d2e95",
  omarAuthenticator: "9a5e1c7b-3f2d-4b86-8c4a-6e9f2b5d1a38",
  omarHelloNew: "4b7d1f9c-2e5a-4c38-9f6b-8a2d5c1e7f43",
  rileyAuthenticator: "6f3a9c5e-1b7d-4e24-a8f1-3c6e9b2d5a71",
  jonasAuthenticator: "1e8c4a6f-9d2b-4f75-b3c1-7a5e8f2c4d96",
  amaAuthenticator: "5c2f8e1a-7b4d-4a69-9e3f-2b8c5a1d7e04",
  breakglassFido: "8b4e2c7a-5f1d-4c93-a6b8-9e3c1f7a4d52",
};

const policies = {
  requireMfa: "3a7c1e9f-5b2d-4f86-9c4a-8e1b6d3f2a57",
  blockLegacy: "9e4b2d8a-6c1f-4a73-b5e9-2d7a4c8f1e36",
};
const namedLocationHq = "7c1f5a3e-9b6d-4e28-8a4c-5f2e9b1d7c63";

// Networks. Addresses are from the documentation ranges (RFC 5737) and ASNs from the documentation range (RFC 5398),
// so nothing here names a real operator; countries and cities are the geolocation Entra ID would report.
const net = {
  office: { ips: ["192.0.2.10", "192.0.2.11", "192.0.2.12"], asn: "64496", country: "US", city: "Portland", state: "Oregon" },
  danaHome: { ips: ["192.0.2.101", "192.0.2.102"], asn: "64497", country: "US", city: "Beaverton", state: "Oregon" },
  meiHome: { ips: ["192.0.2.115"], asn: "64497", country: "US", city: "Portland", state: "Oregon" },
  omarHome: { ips: ["192.0.2.120"], asn: "64499", country: "US", city: "Vancouver", state: "Washington" },
  mobile: { ips: ["192.0.2.201", "192.0.2.204", "192.0.2.209"], asn: "64498", country: "US", city: "Portland", state: "Oregon" },
  meiHotel: { ips: ["203.0.113.150", "203.0.113.151"], asn: "64510", country: "PT", city: "Lisbon", state: "Lisboa" },
  omarConference: { ips: ["203.0.113.200", "203.0.113.201"], asn: "64511", country: "CA", city: "Toronto", state: "Ontario" },
};
/** The spray: a hosting provider's range. */
const spray = { ips: ["198.51.100.17", "198.51.100.23", "198.51.100.41", "198.51.100.58", "198.51.100.77"], asn: "64500", country: "RO", city: "Bucharest", state: "Bucharest", range: "198.51.100.0/25" };
/** The attacker's residential proxy: an ISP in the victim's own country, so only the ASN is new. */
const proxy = { ips: ["203.0.113.47", "203.0.113.52"], asn: "64505", country: "US", city: "Dallas", state: "Texas" };
const imapIp = spray.ips[3];
const smtpIp = spray.ips[4];

// ---------------------------------------------------------------------------------------------------------------
// tenant.json

function tenant() {
  const { dana, mei, omar, jonas, ama, riley, breakglass } = users;
  return {
    tenantId,
    domain,
    displayName: "Alderbank Credit Union",
    workspaceId,
    subscriptionId,
    forensicsSubscriptionId,
    // GET /subscribedSkus: Entra ID P1 only. No AAD_PREMIUM_P2 plan, so no Identity Protection (risk levels read
    // "hidden", no risk detections, riskyUsers and confirmCompromised are not licensed).
    subscribedSkus: [subscribedSku(tenantId, skus.entraP1, { enabled: 60, consumed: 52 })],
    operator: {
      displayName: "azir-ir (Alderbank incident response)",
      roles: ["Security Administrator", "Authentication Administrator"],
      permissions: responderAppPermissions.filter((p) => p !== "IdentityRiskEvent.Read.All"),
    },
    users: [
      graphUser(dana, { businessPhones: ["+1 503 555 0142"] }),
      graphUser(mei),
      graphUser(omar),
      graphUser(jonas),
      graphUser(ama),
      graphUser(riley),
      graphUser(breakglass, { mail: null }),
    ],
    authenticationMethods: {
      [dana.id]: [
        passwordMethod(1200 * D),
        phoneMethod(methodIds.mobile, "+1 5035550142", "mobile"),
        authenticatorMethod(methodIds.danaAuthenticator, "iPhone 14", 380 * D, "6.8.12"),
        // The attacker's code-only app: Graph lists a software OATH token without a creation time.
        softwareOathMethod(methodIds.attackerOath),
      ],
      [mei.id]: [passwordMethod(900 * D), authenticatorMethod(methodIds.meiAuthenticator, "iPhone 15", 260 * D)],
      [omar.id]: [
        passwordMethod(700 * D),
        authenticatorMethod(methodIds.omarAuthenticator, "Galaxy S23", 410 * D, "6.2409.6094"),
        { "@odata.type": "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod", id: methodIds.omarHelloNew, displayName: omar.newDevice, keyStrength: "normal", createdDateTime: rel(10 * D + 90 * M) },
      ],
      [jonas.id]: [passwordMethod(600 * D), authenticatorMethod(methodIds.jonasAuthenticator, "iPhone 13", 590 * D)],
      [ama.id]: [passwordMethod(500 * D), authenticatorMethod(methodIds.amaAuthenticator, "Pixel 7", 480 * D, "6.2409.6094")],
      [riley.id]: [passwordMethod(1500 * D), authenticatorMethod(methodIds.rileyAuthenticator, "iPhone 15 Pro", 300 * D)],
      [breakglass.id]: [passwordMethod(1500 * D), { "@odata.type": "#microsoft.graph.fido2AuthenticationMethod", id: methodIds.breakglassFido, displayName: "Security key (vault B)", model: "FIDO2 security key", aaGuid: "00000000-0000-0000-0000-000000000000", createdDateTime: rel(900 * D) }],
    },
    // The attacker made the code app Dana's default ("User changed default security info"): the registration report
    // says "oath", and her own Authenticator could also give codes, so only the audit log says whose it is.
    defaultMethods: {
      [dana.id]: methodIds.attackerOath,
      [mei.id]: methodIds.meiAuthenticator,
      [omar.id]: methodIds.omarAuthenticator,
    },
    applications: [],
    servicePrincipals: [],
    oauth2PermissionGrants: [],
    conditionalAccessPolicies: [
      {
        id: policies.requireMfa,
        displayName: "Require MFA for all users",
        state: "enabled",
        createdDateTime: rel(800 * D),
        modifiedDateTime: rel(800 * D),
        conditions: {
          users: { includeUsers: ["All"], excludeUsers: [breakglass.id], includeGroups: [], excludeGroups: [], includeRoles: [], excludeRoles: [] },
          applications: { includeApplications: ["All"], excludeApplications: [] },
          // Legacy clients cannot do MFA, so a policy requiring it does not apply to them: only a block stops them.
          clientAppTypes: ["browser", "mobileAppsAndDesktopClients"],
          locations: null,
          platforms: null,
          signInRiskLevels: [],
          userRiskLevels: [],
        },
        grantControls: { operator: "OR", builtInControls: ["mfa"], customAuthenticationFactors: [], termsOfUse: [] },
        sessionControls: null,
      },
      {
        id: policies.blockLegacy,
        displayName: "Block legacy authentication",
        // Report-only since it was created: the branch scanners still send mail over authenticated SMTP.
        state: "enabledForReportingButNotEnforced",
        createdDateTime: rel(95 * D),
        modifiedDateTime: rel(95 * D),
        conditions: {
          users: { includeUsers: ["All"], excludeUsers: [breakglass.id], includeGroups: [], excludeGroups: [], includeRoles: [], excludeRoles: [] },
          applications: { includeApplications: ["All"], excludeApplications: [] },
          clientAppTypes: ["exchangeActiveSync", "other"],
          locations: null,
          platforms: null,
          signInRiskLevels: [],
          userRiskLevels: [],
        },
        grantControls: { operator: "OR", builtInControls: ["block"], customAuthenticationFactors: [], termsOfUse: [] },
        sessionControls: null,
      },
    ],
    namedLocations: [
      {
        "@odata.type": "#microsoft.graph.ipNamedLocation",
        id: namedLocationHq,
        displayName: "Alderbank HQ Portland",
        createdDateTime: rel(800 * D),
        modifiedDateTime: rel(800 * D),
        isTrusted: true,
        ipRanges: [{ "@odata.type": "#microsoft.graph.iPv4CidrRange", cidrAddress: "192.0.2.0/28" }],
      },
    ],
    roleAssignments: [
      { id: "Ym9yZGVyLWdhLXJpbGV5LTAwMDAwMDAwMDAwMDAwMDAw", principalId: riley.id, roleDefinitionId: roleIds.globalAdmin, directoryScopeId: "/", createdDateTime: rel(1400 * D) },
      { id: "Ym9yZGVyLWdhLWJyZWFrZ2xhc3MtMDAwMDAwMDAwMDAw", principalId: breakglass.id, roleDefinitionId: roleIds.globalAdmin, directoryScopeId: "/", createdDateTime: rel(1450 * D) },
    ],
    // Identity Protection is not licensed: no risky users, no risk detections.
    riskyUsers: [],
    riskDetections: [],
    arm: { resources: [] },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// sign-ins: every row's risk is "hidden" (no P2)

const caResults = (overrides = {}) =>
  [
    [policies.requireMfa, "Require MFA for all users", "success", ["Mfa"]],
    [policies.blockLegacy, "Block legacy authentication", "reportOnlyNotApplied", []],
  ].map(([id, displayName, result, enforcedGrantControls]) => ({ id, displayName, result: overrides[id] ?? result, enforcedGrantControls, enforcedSessionControls: [] }));

const { signIn, interactive, nonInteractive } = signInRows(rng, { tenantId, caResults, riskAggregated: true, defaultRisk: "hidden" });
const routine = routineSignIns(rng, signIn, { historyDays: HISTORY_DAYS });

/** A legacy-protocol sign-in through Exchange Online's basic-auth endpoint: single factor, no device, MFA policy not applicable. */
function legacy(o) {
  const success = (o.result ?? "0") === "0";
  return signIn({
    ...o,
    where: spray,
    app: apps.exchange,
    device: unknownDevice("", ""),
    ua: userAgents.ropcProxy,
    interactive: true,
    authRequirement: "singleFactorAuthentication",
    caStatus: "notApplied",
    // The report-only block would have stopped every one of them.
    caPolicies: success ? caResults({ [policies.requireMfa]: "notApplied", [policies.blockLegacy]: "reportOnlyFailure" }) : [],
    statusDetail: "",
  });
}

function signIns() {
  const { dana, mei, omar, jonas, ama, riley } = users;

  // 1. Routine work (breakglass never signs in).
  routine(dana, { work: [net.office, net.office, net.danaHome], home: [net.danaHome] }, { mobile: net.mobile });
  const meiTrip = (d) => d >= 6 && d <= 9;
  routine(mei, { work: [net.office, net.meiHome], home: [net.meiHome] }, { skip: meiTrip });
  const omarTrip = (d) => d >= 3 && d <= 5;
  const omarLaptop = (d) => (d > 10 ? ownDevice(omar) : deviceDetail({ deviceId: omar.newDeviceId, displayName: omar.newDevice, operatingSystem: "Windows 11", browser: "Edge 131.0.0", isCompliant: true, isManaged: true, trustType: "Azure AD joined" }));
  routine(omar, { work: [net.office], home: [net.omarHome] }, { skip: omarTrip, device: omarLaptop });
  routine(jonas, { work: [net.office], home: [net.office] });
  routine(ama, { work: [net.office], home: [net.office] });
  routine(riley, { work: [net.office], home: [net.office] }, { apps: [apps.azurePortal, apps.officeHome, apps.teams] });

  // Mei's trip to Lisbon (9 to 6 days ago) on her own compliant laptop, MFA satisfied.
  const mfaPush = { authMethod: "Mobile app notification", authDetail: null };
  for (let d = 9; d >= 6; d--) {
    const ip = net.meiHotel.ips[d % 2];
    signIn({ at: onDay(d, 0.5), user: mei, where: net.meiHotel, ip, app: apps.officeHome, device: ownDevice(mei), ua: userAgents.edgeWindows, interactive: true, mfa: mfaPush, statusDetail: "MFA completed in Azure AD" });
    for (let i = 0; i < 3; i++) {
      signIn({ at: onDay(d, 1 + i * 3 + random()), user: mei, where: net.meiHotel, ip, app: pickOne([apps.office, apps.teams, apps.oneDrive]), clientApp: "Mobile Apps and Desktop clients", device: ownDevice(mei), ua: userAgents.officeDesktop, interactive: false });
    }
  }
  // Omar's conference in Toronto (5 to 3 days ago) on the laptop enrolled for him 10 days ago, MFA satisfied.
  for (let d = 5; d >= 3; d--) {
    const ip = net.omarConference.ips[d % 2];
    signIn({ at: onDay(d, 0.7), user: omar, where: net.omarConference, ip, app: apps.officeHome, device: omarLaptop(d), ua: userAgents.edgeWindows, interactive: true, mfa: mfaPush, statusDetail: "MFA completed in Azure AD" });
    for (let i = 0; i < 3; i++) {
      signIn({ at: onDay(d, 1.2 + i * 3 + random()), user: omar, where: net.omarConference, ip, app: pickOne([apps.office, apps.teams]), clientApp: "Mobile Apps and Desktop clients", device: omarLaptop(d), ua: userAgents.officeDesktop, interactive: false });
    }
  }

  // 2. The spray: one guess per user per round, four rounds four hours apart, IMAP4 through the basic-auth endpoint.
  // Dana's third guess is right (T0): the incident start. Nobody is locked out (a handful of guesses per user).
  const targets = [jonas, dana, ama, mei, riley, omar];
  for (let round = 0; round < 4; round++) {
    const roundAt = T0 + (2 - round) * 4 * H;
    targets.forEach((u, i) => {
      if (u === dana && round === 3) return;
      const at = roundAt + (1 - i) * int(40, 90);
      const ip = spray.ips[(round * 2 + i) % spray.ips.length];
      const hit = u === dana && round === 2;
      legacy({ at: hit ? T0 : at, id: hit ? incidentSignInId : undefined, user: u, ip: hit ? imapIp : ip, clientApp: "IMAP4", result: hit ? "0" : "50126" });
    });
  }

  // 3. With the password: mail read over IMAP4 for a day, and mail sent over authenticated SMTP (internal phishing).
  for (let t = T0 - 35 * M; t > T0 - 22 * H; t -= int(140, 220) * M) legacy({ at: t, user: dana, ip: imapIp, clientApp: "IMAP4" });
  for (const minutes of [180, 188, 197]) legacy({ at: T0 - minutes * M, user: dana, ip: smtpIp, clientApp: "Authenticated SMTP" });

  // 4. The browser needs MFA: three pushes denied, the fourth approved (MFA fatigue), from a residential proxy.
  const chrome = unknownDevice("Windows 10", "Chrome 131.0.0");
  for (const minutes of [14, 9, 4]) {
    signIn({ at: T1 + minutes * M, user: dana, where: proxy, ip: proxy.ips[0], app: apps.officeHome, device: chrome, ua: userAgents.chromeWindows, interactive: true, result: "500121", caStatus: "failure", mfa: { authMethod: "Mobile app notification", authDetail: "MFA denied; user declined the authentication" } });
  }
  signIn({ at: T1, id: fatigueSignInId, user: dana, where: proxy, ip: proxy.ips[0], app: apps.officeHome, device: chrome, ua: userAgents.chromeWindows, interactive: true, mfa: mfaPush, statusDetail: "MFA completed in Azure AD" });
  for (let t = T1 - 50 * M, i = 0; t > T1 - 20 * H; t -= int(150, 240) * M, i++) {
    const app = [apps.officeHome, apps.office, apps.exchange][i % 3];
    signIn({ at: t, user: dana, where: proxy, ip: proxy.ips[i % 2], app, clientApp: app === apps.officeHome ? "Browser" : "Mobile Apps and Desktop clients", device: chrome, ua: app === apps.officeHome ? userAgents.chromeWindows : "", interactive: false, caPolicies: [] });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// AuditLogs

const { audit, rows: auditLogRows } = auditRows(rng, { tenantId });
const deviceTarget = (id, name) => target(id, name, "Device");
const drsApp = byApp("01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9", "Device Registration Service", "0d3f7b1e-5a9c-4e27-8b6d-2f4a8c1e7b35");
const substrate = byApp("00000003-0000-0000-c000-000000000000", "Microsoft Substrate Management", "e2a6c8f4-1b3d-4f5a-9c7e-3d5f7b9a1c2e");

function auditLogs() {
  const { dana, mei, omar, jonas, ama, riley } = users;
  const office = net.office.ips[1];

  // Omar's new laptop, enrolled at the office by himself (Autopilot-style join): the device, its owner, his Hello key.
  const enrolled = 10 * D + 2 * H;
  const device = deviceTarget(omar.newDeviceId, omar.newDevice);
  audit({ at: enrolled, op: "Register device", category: "Device", opType: "Add", service: "Device Registration Service", initiatedBy: byUser(omar, office), targets: [device], details: [{ key: "Device OS", value: "Windows 11" }, { key: "Device Trust Type", value: "AzureAd" }] });
  audit({ at: enrolled - 5, op: "Add device", category: "Device", opType: "Add", initiatedBy: drsApp, targets: [deviceTarget(omar.newDeviceId, omar.newDevice)] });
  audit({ at: enrolled - 6, op: "Add registered owner to device", category: "Device", opType: "Assign", initiatedBy: drsApp, targets: [device, userTarget(omar)] });
  audit({ at: enrolled - 7, op: "Add registered users to device", category: "Device", opType: "Assign", initiatedBy: drsApp, targets: [device, userTarget(omar)] });
  audit({ at: enrolled - 30 * M, op: "Add Windows Hello for Business credential", category: "UserManagement", opType: "Add", service: "Device Registration Service", initiatedBy: byUser(omar, office), targets: [userTarget(omar)] });

  // Routine background changes.
  for (const [u, d] of [[mei, 31], [jonas, 19], [ama, 12], [dana, 23], [omar, 8]]) {
    audit({ at: d * D + int(1, 8) * H, op: "Update user", category: "UserManagement", opType: "Update", initiatedBy: substrate, targets: [userTarget(u, [prop("Included Updated Properties", null, "")])] });
  }
  audit({ at: 16 * D + 3 * H, op: "Reset user password", category: "UserManagement", opType: "Update", initiatedBy: byUser(riley, office), targets: [userTarget(jonas)] });

  // The attacker, as Dana, right after the MFA push was approved: a code-only authenticator app, made the default.
  const proxyIp = proxy.ips[0];
  const ua = { key: "User-Agent", value: userAgents.chromeWindows };
  audit({ at: T1 - 19 * M, op: "User started security info registration", category: "UserManagement", opType: "Add", service: "Authentication Methods", reason: "User started the registration for Authenticator App with Code", initiatedBy: byUser(dana, proxyIp), targets: [userTarget(dana)], details: [ua] });
  audit({ at: T1 - 21 * M, op: "User registered security info", category: "UserManagement", opType: "Add", service: "Authentication Methods", reason: "User registered Authenticator App with Code", initiatedBy: byUser(dana, proxyIp), targets: [userTarget(dana)], details: [ua] });
  audit({ at: T1 - 23 * M, op: "User changed default security info", category: "UserManagement", opType: "Update", service: "Authentication Methods", reason: "User changed the default security info for A code from my authenticator app or token", initiatedBy: byUser(dana, proxyIp), targets: [userTarget(dana)], details: [ua] });
}

// ---------------------------------------------------------------------------------------------------------------
// OfficeActivity

const userKeys = { [users.dana.upn]: "10032003A4C7E1B9", [users.mei.upn]: "10032003B8D2F6A1", [users.omar.upn]: "10032003C1E5A9D3" };
const { office, rows: officeActivityRows } = officeRows(rng, { tenantId, userKeys });

function officeActivity() {
  const { dana, mei, omar } = users;
  const outlook = "Client=MSExchangeRPC;Outlook;16.0.18129.20158";
  for (let d = HISTORY_DAYS; d >= 0; d--) {
    if (!isWorkday(d)) continue;
    for (const u of [dana, mei, omar]) {
      const where = u === mei && d >= 6 && d <= 9 ? net.meiHotel : u === omar && d >= 3 && d <= 5 ? net.omarConference : net.office;
      const at = onDay(d, 2 + random() * 6);
      if (at === undefined) continue;
      office({ at, recordType: "ExchangeItemAggregated", op: "MailItemsAccessed", user: u, ip: pickOne(where.ips), client: outlook });
      if (chance(0.5)) office({ at: at - int(10, 90) * M, recordType: "ExchangeItem", op: "Send", user: u, ip: pickOne(where.ips), client: outlook });
    }
  }
  // Dana's own, long-standing rule (no forwarding).
  office({ at: 29 * D + 2 * H, recordType: "ExchangeAdmin", op: "New-InboxRule", user: dana, ip: net.office.ips[0], client: "Client=OWA;Action=ViaProxy", objectId: "Dana Whitlock\\Rate sheets", parameters: [
    { Name: "Name", Value: "Rate sheets" }, { Name: "From", Value: "rates@lenders-exchange.example" }, { Name: "MoveToFolder", Value: "Rate sheets" },
  ] });

  // The attacker: mail read over IMAP4, then a rule that deletes the replies to the phishing sent from the mailbox.
  for (let t = T0 - 40 * M; t > T0 - 22 * H; t -= int(200, 320) * M) {
    office({ at: t, recordType: "ExchangeItemAggregated", op: "MailItemsAccessed", user: dana, ip: imapIp, client: "Client=IMAP4" });
  }
  office({ at: T1 - 38 * M, recordType: "ExchangeAdmin", op: "New-InboxRule", user: dana, ip: proxy.ips[0], client: "Client=OWA;Action=ViaProxy", objectId: "Dana Whitlock\\..", ua: userAgents.chromeWindows, parameters: [
    { Name: "AlwaysDeleteOutlookRulesBlob", Value: "False" },
    { Name: "Force", Value: "False" },
    { Name: "Name", Value: ".." },
    { Name: "SubjectOrBodyContainsWords", Value: "phish;hacked;compromised;did you send;suspicious;scam" },
    { Name: "DeleteMessage", Value: "True" },
    { Name: "MarkAsRead", Value: "True" },
    { Name: "StopProcessingRules", Value: "True" },
  ] });
}

// ---------------------------------------------------------------------------------------------------------------
// expected.json

function expected() {
  const { dana, mei, omar, jonas, ama } = users;
  const f = (code, count, severity, step, note) => ({ code, count, severity, step, note });
  const benign = [mei.upn, omar.upn, jonas.upn, ama.upn, users.riley.upn];
  return {
    $comment: "Written by scripts/generate-alderbank.mjs. Times are relative to the start of the run. expectedFindings: what `azir investigate dana@alderbank.example --tabletop alderbank` (lookback 14d, baseline 30d) must report; severity is the highest of them.",
    victim: { upn: dana.upn, id: dana.id },
    lookback: "14d",
    baseline: "30d",
    licence: { entraIdP2: false, signinRisk: "hidden", tables: { AADUserRiskEvents: false } },
    incidentStart: rel(T0),
    incidentSignInId,
    incidentStartRule: "new-network-with-signals",
    incidentStartConfidence: "high",
    incidentStartSignals: ["new-asn", "new-country", "unknown-device", "legacy-protocol", "failure-burst"],
    attackerIps: [imapIp, smtpIp, proxy.ips[0], proxy.ips[1]],
    attackerAsns: [spray.asn, proxy.asn],
    sprayIps: spray.ips,
    sprayRange: spray.range,
    sprayAsn: spray.asn,
    sprayTargets: [jonas.upn, dana.upn, ama.upn, mei.upn, users.riley.upn, omar.upn],
    mfaFatigueSignInId: fatigueSignInId,
    expectedFindings: [
      f("incident.start", 1, "high", "signins", "IMAP4 success from the spray range after two of Dana's guesses failed"),
      f("signin.new-asn-success", 2, "medium", "signins", "ASN 64500 (the spray's hosting range) and ASN 64505 (the residential proxy); no risk level to make them high"),
      f("signin.new-country-success", 1, "medium", "signins", "RO; the proxy is in the US, Dana's own country"),
      f("signin.risk-unavailable", 1, "info", "signins", "RiskLevelDuringSignIn is hidden on every row"),
      f("ca.legacy-auth", 2, "medium", "signins", "IMAP4 from 198.51.100.58 and Authenticated SMTP from 198.51.100.77"),
      f("audit.security-info-activity", 1, "low", "audit", "User started security info registration"),
      f("audit.security-info-registered", 1, "high", "audit", "Authenticator App with Code: a software OATH token"),
      f("audit.security-info-default-changed", 1, "high", "audit", "the default made 'A code from my authenticator app or token' (oath)"),
      f("office.hiding-rule", 1, "medium", "office", "New-InboxRule '..' deleting replies about the phishing"),
    ],
    attackerMethodIds: [methodIds.attackerOath],
    ownMethodIds: [methodIds.password, methodIds.mobile, methodIds.danaAuthenticator],
    defaultMethodId: methodIds.attackerOath,
    // Contain moves the default to Dana's own Authenticator (push) with --change-default-method, then removes the token.
    defaultAfterContainment: { methodId: methodIds.danaAuthenticator, type: "push" },
    benignUsers: benign,
    benignMaxSeverity: Object.fromEntries(benign.map((upn) => [upn, "low"])),
    benignFindings: {
      [mei.upn]: [f("signin.new-asn-success", 1, "low", "signins", "ASN 64510, Lisbon hotel, own compliant laptop"), f("signin.new-country-success", 1, "low", "signins", "PT")],
      [omar.upn]: [
        f("signin.new-asn-success", 1, "low", "signins", "ASN 64511, Toronto conference, on the compliant laptop enrolled for him 10 days ago"),
        f("signin.new-country-success", 1, "low", "signins", "CA"),
      ],
    },
    benignDevices: { [omar.upn]: { deviceId: omar.newDeviceId, displayName: omar.newDevice, enrolled: rel(10 * D + 2 * H) } },
    deviceCodeHunt: [],
  };
}

// ---------------------------------------------------------------------------------------------------------------

const tenantJson = tenant();
signIns();
auditLogs();
officeActivity();
writeJson(outDir, "tenant", tenantJson);
writeJson(outDir, "expected", expected());
console.log(`wrote ${outDir}: tenant.json, expected.json`);
console.log("SigninLogs", writeTable(outDir, "SigninLogs", interactive));
console.log("AADNonInteractiveUserSignInLogs", writeTable(outDir, "AADNonInteractiveUserSignInLogs", nonInteractive));
console.log("AuditLogs", writeTable(outDir, "AuditLogs", auditLogRows));
console.log("OfficeActivity", writeTable(outDir, "OfficeActivity", officeActivityRows));
// Defender for Cloud is connected and quiet; Identity Protection's table does not exist without P2.
console.log("SecurityAlert", writeTable(outDir, "SecurityAlert", []));
