import type { RouteParams } from "../router.js";
import type { ApiRequest, Reply } from "../types.js";
import { findUser, notFound, requireAdminActorFor, requirePermission, type GraphContext, type GraphRoute } from "./context.js";
import { GraphFault, page } from "./odata.js";
import { graphPermissions } from "./permissions.js";

const docs = "microsoft-graph-docs-contrib api-reference/v1.0";

/** Collection segment per authentication method type (resources/authenticationmethods-overview.md). */
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
// Fixed phone method ids (phoneauthenticationmethod-delete.md).
const mobilePhoneId = "3179e48a-750b-4051-897c-87b9720928f7";
const alternateMobilePhoneId = "b6332ec1-7057-4abe-9331-3d72feddfe41";
const officePhoneId = "e37fc753-ff3b-4958-9484-eaa9425c82bc";

export type Method = NonNullable<GraphContext["state"]["authenticationMethods"][string]>[number];

/** A phone method's type: its `phoneType`, else the fixed id it has (phoneauthenticationmethod-delete.md). */
function phoneTypeOf(method: Method): string | undefined {
  if (method["@odata.type"] !== "#microsoft.graph.phoneAuthenticationMethod") return undefined;
  const declared = method["phoneType"];
  if (typeof declared === "string") return declared;
  return method.id === mobilePhoneId ? "mobile" : method.id === alternateMobilePhoneId ? "alternateMobile" : method.id === officePhoneId ? "office" : undefined;
}

/**
 * The `userDefaultAuthenticationMethod` value (resources/userregistrationdetails.md) a method stands for as the
 * default: Microsoft Authenticator -> push, software OATH -> oath, mobile -> sms, alternate mobile ->
 * voiceAlternateMobile, office -> voiceOffice; undefined for a method type the enumeration has no value for.
 * The emulator keeps the default as a method id, so a mobile phone set with voiceMobile reads back as sms.
 */
export function defaultTypeOf(method: Method): string | undefined {
  switch (method["@odata.type"]) {
    case "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod":
      return "push";
    case "#microsoft.graph.softwareOathAuthenticationMethod":
      return "oath";
    case "#microsoft.graph.phoneAuthenticationMethod": {
      const phone = phoneTypeOf(method);
      return phone === "mobile" ? "sms" : phone === "alternateMobile" ? "voiceAlternateMobile" : phone === "office" ? "voiceOffice" : undefined;
    }
    default:
      return undefined;
  }
}

/** The user's method a `userPreferredMethodForSecondaryAuthentication` value designates (beta api/authentication-update.md). */
export function methodForDefaultType(methods: readonly Method[], type: string): Method | undefined {
  const phone = (phoneType: string) => methods.find((m) => phoneTypeOf(m) === phoneType);
  switch (type) {
    case "push":
      return methods.find((m) => m["@odata.type"] === "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod");
    case "oath":
      return methods.find((m) => m["@odata.type"] === "#microsoft.graph.softwareOathAuthenticationMethod");
    case "sms":
    case "voiceMobile":
      return phone("mobile");
    case "voiceAlternateMobile":
      return phone("alternateMobile");
    case "voiceOffice":
      return phone("office");
    default:
      return undefined;
  }
}

/** The user's default method as `userPreferredMethodForSecondaryAuthentication`: `none` when there is none. */
export function preferredSecondaryMethod(ctx: GraphContext, userId: string): string {
  const id = ctx.state.defaultMethods[userId];
  const method = id === undefined ? undefined : (ctx.state.authenticationMethods[userId] ?? []).find((m) => m.id === id);
  return (method && defaultTypeOf(method)) ?? "none";
}

/** The user and their methods (an empty list is recorded for a user who has none, as before). */
export function methodsOf(ctx: GraphContext, params: RouteParams): { userId: string; methods: Method[] } {
  const user = findUser(ctx, params.user!);
  return { userId: user.id, methods: (ctx.state.authenticationMethods[user.id] ??= []) };
}

/** The method type a collection segment names, else Graph's 400 for an unknown segment. */
function typeOf(collection: string): string {
  const type = Object.entries(methodCollections).find(([, c]) => c === collection)?.[0];
  if (!type) throw new GraphFault(400, "BadRequest", `Resource not found for the segment '${collection}'.`);
  return type;
}

function deleteMethod(ctx: GraphContext, _req: ApiRequest, params: RouteParams): Reply {
  const { userId, methods } = methodsOf(ctx, params);
  const collection = params.collection!;
  const methodId = params.method!;
  const type = typeOf(collection);
  // resources/passwordauthenticationmethod.md: no DELETE; the password is reset instead.
  if (collection === "passwordMethods") throw new GraphFault(405, "methodNotAllowed", "The password method cannot be deleted; reset the password instead.");
  requirePermission(ctx, graphPermissions.authMethodsWrite);
  requireAdminActorFor(ctx, userId);
  const index = methods.findIndex((x) => x.id === methodId && x["@odata.type"] === type);
  if (index < 0) throw notFound(collection, methodId);
  // phoneauthenticationmethod-delete.md: "If the phone number is the user's default ... it can't be deleted. Have the
  // user change their default authentication method, and then delete the number." Graph refuses the default for as
  // long as any other method is configured, the password included, whatever the order (Microsoft Q&A: a user with
  // only password + Microsoft Authenticator gets this error; azure-reference.md section 4, corrected).
  if (ctx.state.defaultMethods[userId] === methodId && methods.some((x) => x.id !== methodId)) {
    throw new GraphFault(400, "badRequest", "Cannot delete default method with other methods configured. Please change default method before deletion.");
  }
  // phoneauthenticationmethod-delete.md: no alternateMobile without a mobile number.
  if (methodId === mobilePhoneId && methods.some((x) => x.id === alternateMobilePhoneId)) {
    throw new GraphFault(400, "badRequest", "Cannot delete the mobile phone method while an alternate mobile phone method exists. Delete the alternate mobile phone first.");
  }
  methods.splice(index, 1);
  if (ctx.state.defaultMethods[userId] === methodId) delete ctx.state.defaultMethods[userId];
  return { status: 204 };
}

/** Any other method or depth under /authentication/{collection}: Graph's 400 or 405. */
function refuseMethodRequest(ctx: GraphContext, req: ApiRequest, params: RouteParams): Reply {
  methodsOf(ctx, params);
  const extra = (params.rest ?? "").split("/").slice(1);
  if (extra.length > 0) throw new GraphFault(400, "BadRequest", `Unsupported segment ${extra.join("/")}`);
  typeOf(params.collection!);
  throw new GraphFault(405, "methodNotAllowed", `${req.method} is not supported on /authentication/${params.collection!}.`);
}

/** A user's authentication methods: list and get (all, or one type), delete one. */
export const authenticationMethodRoutes: GraphRoute[] = [
  {
    method: "GET",
    pattern: "/users/{user}/authentication/methods",
    source: `${docs}/api/authentication-list-methods.md`,
    handle(ctx, req, params) {
      requirePermission(ctx, graphPermissions.authMethodsRead);
      const { userId, methods } = methodsOf(ctx, params);
      return page(methods, req.query, req.origin, req.path, `users('${userId}')/authentication/methods`);
    },
  },
  {
    method: "GET",
    pattern: "/users/{user}/authentication/methods/{method}",
    source: `${docs}/api/authenticationmethod-get.md`,
    handle(ctx, _req, params) {
      requirePermission(ctx, graphPermissions.authMethodsRead);
      const { methods } = methodsOf(ctx, params);
      const found = methods.find((x) => x.id === params.method);
      if (!found) throw notFound("authenticationMethod", params.method!);
      return { status: 200, body: found };
    },
  },
  {
    method: "GET",
    pattern: "/users/{user}/authentication/{collection}",
    source: `${docs}/api/authentication-list-phonemethods.md (and the list page of each method type)`,
    handle(ctx, req, params) {
      requirePermission(ctx, graphPermissions.authMethodsRead);
      const { userId, methods } = methodsOf(ctx, params);
      const type = typeOf(params.collection!);
      return page(methods.filter((x) => x["@odata.type"] === type), req.query, req.origin, req.path, `users('${userId}')/authentication/${params.collection!}`);
    },
  },
  {
    method: "GET",
    pattern: "/users/{user}/authentication/{collection}/{method}",
    source: `${docs}/api/phoneauthenticationmethod-get.md (and the get page of each method type)`,
    handle(ctx, _req, params) {
      requirePermission(ctx, graphPermissions.authMethodsRead);
      const { methods } = methodsOf(ctx, params);
      const type = typeOf(params.collection!);
      const found = methods.find((x) => x["@odata.type"] === type && x.id === params.method);
      if (!found) throw notFound(params.collection!, params.method!);
      return { status: 200, body: found };
    },
  },
  {
    method: "DELETE",
    pattern: "/users/{user}/authentication/{collection}/{method}",
    source: `${docs}/api/phoneauthenticationmethod-delete.md (and the delete page of each method type)`,
    handle: deleteMethod,
  },
  { method: "*", pattern: "/users/{user}/authentication/{collection}", source: `${docs}/resources/authenticationmethods-overview.md`, handle: refuseMethodRequest },
  { method: "*", pattern: "/users/{user}/authentication/{collection}/{rest+}", source: `${docs}/resources/authenticationmethods-overview.md`, handle: refuseMethodRequest },
];
