import { z } from "zod";
import type { RouteParams } from "../router.js";
import type { ApiRequest, Reply } from "../types.js";
import { methodForDefaultType, methodsOf, preferredSecondaryMethod } from "./authentication-methods.js";
import { parseBody, requireAdminActorFor, requirePermission, type GraphContext, type GraphRoute } from "./context.js";
import { graphPermissions } from "./permissions.js";
import { GraphFault } from "./odata.js";

const docs = "microsoft-graph-docs-contrib api-reference/beta";

// resources/signinpreferences.md: userDefaultAuthenticationMethodType (unknownFutureValue is the enum's sentinel).
const signInPreferencesSchema = z
  .object({ userPreferredMethodForSecondaryAuthentication: z.enum(["push", "oath", "voiceMobile", "voiceAlternateMobile", "voiceOffice", "sms"]) })
  .strict();

/** GET: the user's sign-in preferences; system-preferred MFA is off in the scenarios, and no default reads as null. */
function getPreferences(ctx: GraphContext, _req: ApiRequest, params: RouteParams): Reply {
  const { userId } = methodsOf(ctx, params);
  requirePermission(ctx, graphPermissions.signInPreferences);
  const type = preferredSecondaryMethod(ctx, userId);
  return {
    status: 200,
    body: {
      "@odata.context": `https://graph.microsoft.com/beta/$metadata#users('${userId}')/authentication/signInPreferences`,
      isSystemPreferredAuthenticationMethodEnabled: false,
      userPreferredMethodForSecondaryAuthentication: type === "none" ? null : type,
    },
  };
}

/**
 * PATCH: makes the user's method of the given type the default (state.defaultMethods), 204. Same permission and
 * admin-target rule as the other authentication-method writes (includes/permissions/authentication-update-permissions.md,
 * acting on others). A type the user has no method of is refused: 400 badRequest.
 */
function updatePreferences(ctx: GraphContext, req: ApiRequest, params: RouteParams): Reply {
  const { userId, methods } = methodsOf(ctx, params);
  requirePermission(ctx, graphPermissions.authMethodsWrite);
  requireAdminActorFor(ctx, userId);
  const { userPreferredMethodForSecondaryAuthentication: type } = parseBody(signInPreferencesSchema, req.body);
  const method = methodForDefaultType(methods, type);
  if (!method) throw new GraphFault(400, "badRequest", `The user has no registered authentication method of type '${type}' to make the default.`);
  ctx.state.defaultMethods[userId] = method.id;
  return { status: 204 };
}

/** Beta: a user's sign-in preferences, the only call that changes the default method (v1.0 has none). */
export const signInPreferenceRoutes: GraphRoute[] = [
  { method: "GET", pattern: "/users/{user}/authentication/signInPreferences", source: `${docs}/api/authentication-get.md (Example 1), resources/signinpreferences.md`, handle: getPreferences },
  { method: "PATCH", pattern: "/users/{user}/authentication/signInPreferences", source: `${docs}/api/authentication-update.md (Example 1)`, handle: updatePreferences },
];
