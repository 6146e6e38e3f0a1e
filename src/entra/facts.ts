/**
 * Microsoft's published facts that azir relies on, each with its source, in one place. Steps, analyzers, the
 * adapters and (later) `azir doctor` read them from here; nothing else writes them down again.
 */

/**
 * Built-in directory role names by role template id. Source: learn.microsoft.com/entra/identity/role-based-access-control/
 * permissions-reference (template ids are the same in every tenant); azure-reference.md section 4.
 */
export const roleTemplateNames: Readonly<Record<string, string>> = {
  "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
  "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
  "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
  "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
  "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
  "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
  "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
  "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
  "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
};

/**
 * The roles whose members hardening reviews (DESIGN.md 4b item 8): each can take over the tenant or its apps.
 * Template ids: entra-docs role-based-access-control/permissions-reference.md.
 */
export const privilegedRoles: ReadonlyArray<{ templateId: string; name: string }> = [
  { templateId: "62e90394-69f5-4237-9190-012177145e10", name: "Global Administrator" },
  { templateId: "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", name: "Application Administrator" },
  { templateId: "158c047a-c907-4556-b7ef-446551a6b5f7", name: "Cloud Application Administrator" },
  { templateId: "e8611ab8-c189-46e8-94e1-60213ab1f814", name: "Privileged Role Administrator" },
  { templateId: "7be44c8a-adaf-4e2a-84d6-ab2649e08a13", name: "Privileged Authentication Administrator" },
];

/**
 * The roles that may disable, revoke and reset the methods of any administrator. Source: permissions-reference,
 * "Who can perform sensitive actions" (Privileged Authentication Administrator); azure-reference.md section 4.
 */
export const adminActorRoles = "Privileged Authentication Administrator or Global Administrator";

/** Authentication-method kinds as Graph v1.0 names its collections' types (microsoft.graph.authenticationMethod). */
export type MethodKind =
  | "password"
  | "phone"
  | "microsoftAuthenticator"
  | "fido2"
  | "softwareOath"
  | "email"
  | "windowsHelloForBusiness"
  | "temporaryAccessPass";

export const phoneTypes = ["mobile", "alternateMobile", "office"] as const;
/** Graph's `authenticationPhoneType`. */
export type PhoneType = (typeof phoneTypes)[number];

export interface MethodTypeInfo {
  kind: MethodKind;
  /** Segment of `/users/{id}/authentication/{collection}/{methodId}`. */
  collection: string;
  /** Words people read. */
  label: string;
  /** The password method cannot be deleted (Graph answers 405); it is reset instead. */
  deletable: boolean;
}

/**
 * The method types of Graph v1.0 azir acts on, by `@odata.type`. Source: learn.microsoft.com/graph/api/resources/
 * authenticationmethods-overview (the collections and their DELETE routes); azure-reference.md section 4.
 */
export const knownMethodTypes: Readonly<Record<string, MethodTypeInfo>> = {
  "#microsoft.graph.passwordAuthenticationMethod": { kind: "password", collection: "passwordMethods", label: "password", deletable: false },
  "#microsoft.graph.phoneAuthenticationMethod": { kind: "phone", collection: "phoneMethods", label: "phone", deletable: true },
  "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod": {
    kind: "microsoftAuthenticator",
    collection: "microsoftAuthenticatorMethods",
    label: "Microsoft Authenticator",
    deletable: true,
  },
  "#microsoft.graph.fido2AuthenticationMethod": { kind: "fido2", collection: "fido2Methods", label: "FIDO2 security key", deletable: true },
  "#microsoft.graph.softwareOathAuthenticationMethod": {
    kind: "softwareOath",
    collection: "softwareOathMethods",
    label: "software OATH token",
    deletable: true,
  },
  "#microsoft.graph.emailAuthenticationMethod": { kind: "email", collection: "emailMethods", label: "email (SSPR)", deletable: true },
  "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod": {
    kind: "windowsHelloForBusiness",
    collection: "windowsHelloForBusinessMethods",
    label: "Windows Hello for Business",
    deletable: true,
  },
  "#microsoft.graph.temporaryAccessPassAuthenticationMethod": {
    kind: "temporaryAccessPass",
    collection: "temporaryAccessPassMethods",
    label: "Temporary Access Pass",
    deletable: true,
  },
};

/**
 * Phone methods have fixed ids, one per phone type. Source: learn.microsoft.com/graph/api/resources/
 * phoneauthenticationmethod ("id" property); azure-reference.md section 4.
 */
export const phoneMethodIds: Readonly<Record<PhoneType, string>> = {
  mobile: "3179e48a-750b-4051-897c-87b9720928f7",
  alternateMobile: "b6332ec1-7057-4abe-9331-3d72feddfe41",
  office: "e37fc753-ff3b-4958-9484-eaa9425c82bc",
};

/** What a security-info registration in AuditLogs can name: a method kind (never the password) or `unknown`. */
export const registrationMethodTypes = [
  "microsoftAuthenticator",
  "phone",
  "fido2",
  "email",
  "softwareOath",
  "windowsHelloForBusiness",
  "temporaryAccessPass",
  "unknown",
] as const;
export type RegistrationMethodType = (typeof registrationMethodTypes)[number];

/**
 * Throttling budgets azir paces itself by. Source: learn.microsoft.com/graph/throttling-limits (identity protection
 * and conditional access; reports), Azure Monitor service limits (Log Analytics query API); azure-reference.md section 7.
 */
export const budgets = {
  /** Identity Protection and Conditional Access: per tenant, all applications together; 429 without Retry-After. */
  identityProtectionPerSecond: 1,
  /** Graph identity and access reports (signIns, directoryAudits, registration reports): per app per tenant. */
  graphReportsPer10Seconds: 5,
  /** Log Analytics query API: concurrent queries per user (more are queued). */
  logAnalyticsConcurrentQueries: 5,
  /** Graph JSON batching: requests per batch. */
  graphBatchSize: 20,
} as const;

/**
 * How long a revocation takes to be enforced: up to about 15 minutes with continuous access evaluation; access
 * tokens already issued live 60-90 minutes. Source: learn.microsoft.com/entra/identity/conditional-access/
 * concept-continuous-access-evaluation; DESIGN.md 4b item 4.
 */
export const revocationPropagationMs = 15 * 60_000;

/**
 * The user's default second factor as Graph reports it (`userDefaultAuthenticationMethod`: the registration report's
 * and the beta signInPreferences' `userPreferredMethodForSecondaryAuthentication`), and which methods each value
 * can stand for. It names a type, never a method id. Source: learn.microsoft.com/graph/api/resources/
 * userregistrationdetails and resources/signinpreferences (beta); azure-reference.md section 4 (corrected).
 */
export const defaultMethodTypes = ["push", "oath", "voiceMobile", "voiceAlternateMobile", "voiceOffice", "sms", "none"] as const;
export type DefaultMethodType = (typeof defaultMethodTypes)[number];

/** Whether a method (kind, phone type) can be the default that the report names. */
export function canBeDefault(type: DefaultMethodType, method: { kind: MethodKind; phoneType?: PhoneType }): boolean {
  switch (type) {
    case "push":
      return method.kind === "microsoftAuthenticator";
    case "oath":
      // "Authenticator app or hardware token code": a software OATH token, or Microsoft Authenticator in code mode.
      return method.kind === "softwareOath" || method.kind === "microsoftAuthenticator";
    case "sms":
    case "voiceMobile":
      return method.kind === "phone" && method.phoneType === "mobile";
    case "voiceAlternateMobile":
      return method.kind === "phone" && method.phoneType === "alternateMobile";
    case "voiceOffice":
      return method.kind === "phone" && method.phoneType === "office";
    case "none":
      return false;
  }
}

/** The value that makes a method the default (beta signInPreferences), or undefined for a kind that cannot be. */
export function defaultTypeOf(method: { kind: MethodKind; phoneType?: PhoneType }): DefaultMethodType | undefined {
  if (method.kind === "microsoftAuthenticator") return "push";
  if (method.kind === "softwareOath") return "oath";
  if (method.kind !== "phone") return undefined;
  return method.phoneType === "mobile" ? "sms" : method.phoneType === "alternateMobile" ? "voiceAlternateMobile" : method.phoneType === "office" ? "voiceOffice" : undefined;
}

/**
 * Sign-in risk as the sign-in tables report it in `RiskLevelDuringSignIn`: none, low, medium, high or hidden. "hidden"
 * means the user or sign-in was not enabled for Identity Protection: without Microsoft Entra ID P2 every row reads
 * hidden, never none. "none" means Identity Protection evaluated the sign-in and found nothing. Source:
 * learn.microsoft.com/azure/azure-monitor/reference/tables/signinlogs (RiskLevelDuringSignIn, also RiskDetail: "All
 * other customers are returned hidden"); learn.microsoft.com/graph/api/resources/signin (riskLevelDuringSignIn).
 */
export const evaluatedRiskLevels = ["none", "low", "medium", "high"] as const;
export const hiddenRiskLevel = "hidden";

/**
 * `AuthenticationRequirement` of a sign-in: "multiFactorAuthentication" when an MFA step was required (so a success
 * satisfied it, in the sign-in or by a claim in the token), "singleFactorAuthentication" when none was. Source:
 * learn.microsoft.com/azure/azure-monitor/reference/tables/aadnoninteractiveusersigninlogs (AuthenticationRequirement).
 */
export const multiFactorRequirement = "multiFactorAuthentication";

/**
 * `ResultType` of failed sign-ins that show someone guessing a password or failing the second factor. Interrupts
 * such as 50074/50076 ("strong authentication is required") are not failures and are not listed. Source:
 * learn.microsoft.com/entra/identity-platform/reference-error-codes (AADSTS codes by number).
 */
export const guessingFailureResultTypes: Readonly<Record<string, string>> = {
  "50053": "account locked (too many bad passwords, or a sign-in from an IP address with malicious activity)",
  "50126": "invalid username or password",
  "50158": "external security challenge not satisfied",
  "500121": "authentication failed during the strong-authentication (MFA) request",
};

/**
 * Protocols of `AuthenticationProtocol` that skip an interactive second factor: the device-code flow (a phished code
 * is entered by the victim, the token used elsewhere) and ROPC (username and password posted by a client). Source:
 * learn.microsoft.com/azure/azure-monitor/reference/tables/signinlogs (AuthenticationProtocol: none, oAuth2, ropc,
 * wsFederation, saml20, deviceCode).
 */
export const riskyAuthenticationProtocols: readonly string[] = ["deviceCode", "ropc"];

/** What an AuditLogs security-info activity did. */
export type SecurityInfoActivity = "registered" | "updated" | "deleted" | "default-changed" | "started" | "completed" | "reviewed" | "canceled" | "password";

/**
 * Security-info activities by `OperationName` (lower case), each with what it did. Source: the Entra audit activity
 * reference, learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities ("Authentication
 * Methods", UserManagement; and "Device Registration Service", UserManagement, for the credentials it adds and
 * deletes), and the combined-registration audit events,
 * learn.microsoft.com/entra/identity/authentication/howto-registration-mfa-sspr-combined-troubleshoot.
 */
export const securityInfoActivities: Readonly<Record<string, SecurityInfoActivity>> = {
  "user registered security info": "registered",
  "admin registered security info": "registered",
  "user updated security info": "updated",
  "admin updated security info": "updated",
  "user deleted security info": "deleted",
  "admin deleted security info": "deleted",
  "user changed default security info": "default-changed",
  "user started security info registration": "started",
  "get passkey creation options": "started",
  "user registered all required security info": "completed",
  "user reviewed security info": "reviewed",
  "user canceled security info registration": "canceled",
  "user started password reset": "password",
  "admin started password reset": "password",
  "user started password change": "password",
  // Device Registration Service: the credential is named by the operation itself.
  "add fido2 security key": "registered",
  "add windows hello for business credential": "registered",
  "add passwordless phone sign-in credential": "registered",
  "add platform credential": "registered",
  "delete fido2 security key(s)": "deleted",
  "delete fido2 security key": "deleted",
  "delete windows hello for business credential": "deleted",
  "delete passwordless phone sign-in credential": "deleted",
  "delete platform credential": "deleted",
};

/** A method named by a security-info message, as a Graph method type (phone type when the words say which). */
export interface SecurityInfoMethod {
  methodType: RegistrationMethodType;
  phoneType?: PhoneType;
  /** Words people read. */
  label: string;
}

const authenticator: SecurityInfoMethod = { methodType: "microsoftAuthenticator", label: "Microsoft Authenticator" };
const oathApp: SecurityInfoMethod = { methodType: "softwareOath", label: "authenticator app with codes only (software OATH: a third-party OTP app, or Authenticator as a code generator)" };
const mobile: SecurityInfoMethod = { methodType: "phone", phoneType: "mobile", label: "mobile phone" };
const alternate: SecurityInfoMethod = { methodType: "phone", phoneType: "alternateMobile", label: "alternate mobile phone" };
const office: SecurityInfoMethod = { methodType: "phone", phoneType: "office", label: "office phone" };
const fido2: SecurityInfoMethod = { methodType: "fido2", label: "FIDO2 security key or passkey" };

/**
 * The method a security-info message names, by the words after its verb ("User registered <method>", "User deleted
 * <method>", "User started the registration for <method>", "Admin registered <method> method for user"), lower case.
 * Microsoft documents the pattern and examples (Authenticator app, Phone, Email, Security questions, App password,
 * Alternate phone) in the combined-registration table above; the longer wordings ("Authenticator App with
 * Notification and Code", "Mobile Phone SMS", "Alternate Mobile Phone Call", "temporary access pass method for user")
 * are those Entra ID writes in ResultReason. An authenticator app registered for codes only ("Authenticator App with
 * Code", the "different authenticator app" choice) is a software OATH token in Graph, not Microsoft Authenticator:
 * learn.microsoft.com/entra/identity/authentication/concept-authentication-oath-tokens. Passkeys, in a security key
 * or in Microsoft Authenticator, are FIDO2 methods in Graph: learn.microsoft.com/graph/api/resources/
 * fido2authenticationmethod. Security questions and app passwords have no Graph method type, and neither has a
 * hardware OATH token in v1.0: they stay `unknown`, so that nothing is matched to them automatically.
 */
export const securityInfoMethods: Readonly<Record<string, SecurityInfoMethod>> = {
  "authenticator app with notification and code": authenticator,
  "authenticator app with notification": authenticator,
  "authenticator app": authenticator,
  "microsoft authenticator": authenticator,
  "passwordless phone sign-in": { methodType: "microsoftAuthenticator", label: "Microsoft Authenticator (passwordless phone sign-in)" },
  "passwordless phone sign-in credential": { methodType: "microsoftAuthenticator", label: "Microsoft Authenticator (passwordless phone sign-in)" },
  "authenticator app with code": oathApp,
  "software oath token": { methodType: "softwareOath", label: "software OATH token" },
  "software token": { methodType: "softwareOath", label: "software OATH token" },
  phone: mobile,
  "mobile phone": mobile,
  "mobile phone sms": mobile,
  "mobile phone call": mobile,
  "mobile phone call and sms": mobile,
  "alternate phone": alternate,
  "alternate mobile phone": alternate,
  "alternate mobile phone call": alternate,
  "office phone": office,
  "office phone call": office,
  "phone method for user": { methodType: "phone", label: "phone (which one not said)" },
  email: { methodType: "email", label: "email" },
  "fido2 security key": fido2,
  "fido2 security key(s)": fido2,
  fido2,
  fido: fido2,
  "security key": fido2,
  passkey: fido2,
  "passkey (microsoft authenticator)": fido2,
  "passkey in microsoft authenticator": fido2,
  "passkey (device-bound)": fido2,
  "windows hello for business": { methodType: "windowsHelloForBusiness", label: "Windows Hello for Business" },
  "windows hello for business credential": { methodType: "windowsHelloForBusiness", label: "Windows Hello for Business" },
  "temporary access pass": { methodType: "temporaryAccessPass", label: "Temporary Access Pass" },
  "temporary access pass method for user": { methodType: "temporaryAccessPass", label: "Temporary Access Pass" },
  "hardware token": { methodType: "unknown", label: "hardware OATH token (no Graph v1.0 method type)" },
  "hardware oath token": { methodType: "unknown", label: "hardware OATH token (no Graph v1.0 method type)" },
  "platform credential": { methodType: "unknown", label: "platform credential (macOS; no Graph v1.0 method type)" },
  "app password": { methodType: "unknown", label: "app password (signs in without MFA; no Graph method type)" },
  "security questions": { methodType: "unknown", label: "security questions (password reset only; no Graph method type)" },
};

/**
 * The new default named by "User changed the default security info for <method>", as Graph's default-method value.
 * Source: the combined-registration table above ("Authenticator app notification, A code from my authenticator app
 * or token, Call +X XXXXXXXXXX, Text a code to +X XXXXXXXXX"); userRegistrationDetails for the values. A call names
 * a masked number, not which phone: its value stays open (null).
 */
export function defaultMethodFromMessage(method: string): { defaultMethodType: DefaultMethodType | null; method: SecurityInfoMethod } | undefined {
  const m = method.trim().toLowerCase();
  if (m === "authenticator app notification" || m === "microsoft authenticator notification") return { defaultMethodType: "push", method: authenticator };
  // "oath" covers a software OATH token and Authenticator used for codes: the method type stays open.
  if (m === "a code from my authenticator app or token" || m === "authenticator app or hardware token code") return { defaultMethodType: "oath", method: { methodType: "unknown", label: "a code from an authenticator app or token" } };
  if (m.startsWith("text a code to")) return { defaultMethodType: "sms", method: mobile };
  if (m.startsWith("call ")) return { defaultMethodType: null, method: { methodType: "phone", label: "a phone call (which phone not said)" } };
  return undefined;
}

/**
 * Device registrations that a user's session can make (persistence: a device, then a primary refresh token), by
 * `OperationName` (lower case). Source: reference-audit-activities above: Core Directory, category Device ("Add
 * device", "Add registered owner to device", "Add registered users to device") and Device Registration Service
 * ("Register device").
 */
export const deviceRegistrationActivities: ReadonlySet<string> = new Set(["register device", "add device", "add registered owner to device", "add registered users to device"]);

/**
 * How Graph words a refusal for a licence the tenant lacks, as opposed to a missing permission. Identity Protection
 * needs Microsoft Entra ID P2 (Graph identityprotection-overview.md, "What licenses do I need?"; entra-docs
 * id-protection/overview-identity-protection.md, "License requirements"); without it Graph answers 403 `Forbidden`
 * "Your tenant is not licensed for this feature." (no Microsoft page prints the body; it is the answer Graph clients
 * record in public code). Sign-in logs and registration reports answer 403
 * `Authentication_RequestFromNonPremiumTenantOrB2CTenant` without P1/P2. azure-reference.md section 9.
 */
export const licenceRefusal = {
  codes: ["Authentication_RequestFromNonPremiumTenantOrB2CTenant"],
  message: /not licensed|doesn't have premium licen[cs]e|does not have (?:a )?premium licen[cs]e|requires? (?:an? )?(?:Microsoft Entra ID |Azure AD )?(?:Premium )?P[12] licen[cs]e/i,
} as const;

/** What Identity Protection needs, in words people read. */
export const identityProtectionLicence = "Microsoft Entra ID P2";

/**
 * Graph's refusal to change a property that on-premises Active Directory masters for a synchronised user
 * (onPremisesSyncEnabled: true): 400 `Request_BadRequest` "Unable to update the specified properties for on-premises
 * mastered Directory Sync objects or objects currently undergoing migration." (microsoftgraph/microsoft-graph-docs
 * issues #7301 and #18038 quote the message; #12584 shows the same family's code and shape). azure-reference.md
 * section 9.
 */
export const onPremisesMasteredRefusal = /on-premises mastered Directory Sync objects/i;

/**
 * Blocking a synchronised user in Active Directory, then pushing the change to Entra at once. Source: entra-docs
 * identity/users/users-revoke-access.md ("Revoke access for a user in the hybrid environment": Disable-ADAccount)
 * and identity/hybrid/connect/how-to-connect-sync-feature-scheduler.md (Start-ADSyncSyncCycle -PolicyType Delta,
 * on the Entra Connect server).
 */
export function onPremisesBlockCommands(samAccountName: string | null | undefined): { disable: string; sync: string } {
  return { disable: `Disable-ADAccount -Identity ${samAccountName ? samAccountName : "<sAMAccountName>"}`, sync: "Start-ADSyncSyncCycle -PolicyType Delta" };
}

/**
 * Actions a national cloud's Microsoft Graph does not offer, with why, by cloud name. Each API page says where it is
 * available in its "national cloud" include: the authentication methods API (authentication-list-methods.md,
 * phoneauthenticationmethod-delete.md, fido2authenticationmethod-delete.md, emailauthenticationmethod-delete.md, ...)
 * and Identity Protection (riskyuser-confirmcompromised.md, riskyuser-list.md) include `global-us.md`: the global
 * service and US Government, not the China cloud operated by 21Vianet (microsoft-graph-docs-contrib
 * api-reference/v1.0/api; learn.microsoft.com/graph/deployments; azure-reference.md section 9). azir refuses these
 * steps before any call rather than send requests the cloud answers with an unknown segment.
 */
export const actionsNotInCloud: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  AzureChinaCloud: {
    "entra.removeAuthMethods": "Microsoft Graph in the China cloud (21Vianet) has no authentication methods API: a user's methods cannot be listed or removed there",
    "entra.confirmCompromised": "Microsoft Graph in the China cloud (21Vianet) has no Identity Protection (riskyUsers): a user cannot be confirmed compromised there",
  },
};

/** Why `action` is not offered in `cloud`, or undefined when it is. */
export function actionNotInCloud(cloud: string, action: string): string | undefined {
  return actionsNotInCloud[cloud]?.[action];
}

/**
 * Disk types whose (incremental) snapshots are filled by a background copy: a SAS for the snapshot can be
 * generated only once its `completionPercent` is 100, and an incremental snapshot cannot be created outside the
 * disk's subscription. Source: MicrosoftDocs/azure-compute-docs articles/virtual-machines/disks-incremental-snapshots.md
 * ("Check snapshot status": "must be 100 before you can ... generate a SAS URI") and
 * includes/virtual-machines-disks-incremental-snapshots-restrictions.md. Other disk types take a full snapshot,
 * which may be created in another subscription of the tenant (azure-reference.md section 5.1).
 */
export const backgroundCopyDiskSkus: readonly string[] = ["UltraSSD_LRS", "PremiumV2_LRS"];

/** Compute resource names (snapshots): 1-80 letters, digits, underscores, periods and hyphens (Azure resource name rules, Microsoft.Compute). */
export const snapshotNameMaxLength = 80;

/** api-versions azir sends itself: management locks (arm-locks 2.1.0's) and Microsoft.Storage (a stable version of its spec). */
export const armApiVersions = { locks: "2020-05-01", storage: "2023-05-01" } as const;

/** api-version azir writes snapshots with: the one @azure/arm-compute 24.1.0 uses for disks and snapshots (azure-reference.md 5.1). */
export const computeDiskApiVersion = "2025-01-02";
