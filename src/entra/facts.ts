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
