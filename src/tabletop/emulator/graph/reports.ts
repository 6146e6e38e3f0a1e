import type { RouteParams } from "../router.js";
import type { ApiRequest, Reply } from "../types.js";
import { defaultTypeOf, preferredSecondaryMethod, type Method } from "./authentication-methods.js";
import { notFound, requirePermission, roleAssignmentsReaching, type GraphContext, type GraphRoute } from "./context.js";
import { graphPermissions } from "./permissions.js";
import { GraphFault } from "./odata.js";

const docs = "microsoft-graph-docs-contrib api-reference/v1.0";

// methodsRegistered values per method (resources/userregistrationdetails.md: "such as mobilePhone, email, fido2"; the
// Entra authentication-methods activity report's method names). The password is not listed; a type without a value
// here is left out.
const registeredNames: Record<string, string> = {
  "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod": "microsoftAuthenticatorPush",
  "#microsoft.graph.softwareOathAuthenticationMethod": "softwareOneTimePasscode",
  "#microsoft.graph.emailAuthenticationMethod": "email",
  "#microsoft.graph.fido2AuthenticationMethod": "fido2",
  "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod": "windowsHelloForBusiness",
  "#microsoft.graph.temporaryAccessPassAuthenticationMethod": "temporaryAccessPass",
};
const phoneNames: Record<string, string> = { sms: "mobilePhone", voiceAlternateMobile: "alternateMobilePhone", voiceOffice: "officePhone" };
// Methods usable as a second factor, passwordless, or for self-service password reset (Entra docs
// concept-authentication-methods: "How each authentication method works"). The authentication methods policy is not
// modelled: every registered method counts as allowed.
const mfaNames = new Set(["microsoftAuthenticatorPush", "softwareOneTimePasscode", "fido2", "windowsHelloForBusiness", "mobilePhone", "alternateMobilePhone", "officePhone"]);
const passwordlessNames = new Set(["fido2", "windowsHelloForBusiness"]);
const ssprNames = new Set(["microsoftAuthenticatorPush", "softwareOneTimePasscode", "email", "mobilePhone", "officePhone"]);

function registeredName(method: Method): string | undefined {
  if (method["@odata.type"] === "#microsoft.graph.phoneAuthenticationMethod") return phoneNames[defaultTypeOf(method) ?? ""];
  return registeredNames[method["@odata.type"]];
}

/**
 * GET /reports/authenticationMethods/userRegistrationDetails/{userId} (api/userregistrationdetails-get.md;
 * resources/userregistrationdetails.md). The default method's type is `userPreferredMethodForSecondaryAuthentication`;
 * system-preferred MFA is off in the scenarios. The doc's example wraps the object in `value`; the page says the body
 * is a userRegistrationDetails object, which is what this answers (as a single-entity GET does).
 */
function registrationDetails(ctx: GraphContext, req: ApiRequest, params: RouteParams): Reply {
  requirePermission(ctx, graphPermissions.registrationReport);
  if ([...req.query.keys()].some((k) => k.startsWith("$"))) {
    // "This method does not support the OData query parameters."
    throw new GraphFault(400, "BadRequest", "Query options are not supported on a single userRegistrationDetails.");
  }
  const key = params.user!.toLowerCase();
  // The page takes {userId}: the object id.
  const user = ctx.state.users.find((u) => u.id.toLowerCase() === key);
  if (!user) throw notFound("userRegistrationDetails", params.user!);
  const names = [...new Set((ctx.state.authenticationMethods[user.id] ?? []).map(registeredName).filter((n): n is string => n !== undefined))];
  const isMfaRegistered = names.some((n) => mfaNames.has(n));
  const isSsprEnabled = false;
  const isSsprRegistered = names.some((n) => ssprNames.has(n));
  return {
    status: 200,
    body: {
      "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails/$entity",
      id: user.id,
      userPrincipalName: user.userPrincipalName,
      userDisplayName: user.displayName,
      userType: user.userType === "Guest" ? "guest" : "member",
      isAdmin: roleAssignmentsReaching(ctx.state, user.id).length > 0,
      isSsprRegistered,
      isSsprEnabled,
      isSsprCapable: isSsprEnabled && isSsprRegistered,
      isMfaRegistered,
      isMfaCapable: isMfaRegistered,
      isPasswordlessCapable: names.some((n) => passwordlessNames.has(n)),
      methodsRegistered: names,
      isSystemPreferredAuthenticationMethodEnabled: false,
      systemPreferredAuthenticationMethods: [],
      userPreferredMethodForSecondaryAuthentication: preferredSecondaryMethod(ctx, user.id),
      // A report: Graph refreshes it on its own schedule; here it is always current.
      lastUpdatedDateTime: ctx.clock.now().toISOString(),
    },
  };
}

/** Authentication-methods reports (v1.0). */
export const reportRoutes: GraphRoute[] = [
  {
    method: "GET",
    pattern: "/reports/authenticationMethods/userRegistrationDetails/{user}",
    source: `${docs}/api/userregistrationdetails-get.md, resources/userregistrationdetails.md`,
    handle: registrationDetails,
  },
];
