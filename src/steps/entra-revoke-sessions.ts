import { z } from "zod";
import { AzirError } from "../core/errors.js";
import { adminTargetForPlan, adminTargetPreflight, explainForbidden } from "./admin-target.js";
import { rolesOf } from "./entra-block-sign-in.js";
import { asAzirError, isPermissionError } from "./graph-errors.js";
import { displayName, optionalTimeSchema, resolveUser, userTargetSchema } from "./user-target.js";
import type { ActionDefinition } from "./types.js";

/** Input of `entra.revokeSessions`. */
export const revokeSessionsInput = z.object({
  upn: userTargetSchema,
  incidentStart: optionalTimeSchema.optional().describe("findings.signins.incidentStart"),
  lastSuccessAt: optionalTimeSchema.optional().describe("findings.signins.lastSuccessAt"),
});
export type RevokeSessionsInput = z.infer<typeof revokeSessionsInput>;

export const revokeSessionsPermission = "User.RevokeSessions.All";

/** Continuous access evaluation can take this long to enforce a revocation; `azir verify` is scheduled after it. */
export const revocationPropagationMs = 15 * 60_000;

const propagation =
  "revocation takes minutes to propagate (up to about 15 minutes with continuous access evaluation; access tokens already issued live 60-90 minutes)";

/** The note with the time to verify, once the revocation has been sent. */
export function propagationNote(upn: string, verifyAfter: Date): string {
  return `${propagation}: run \`azir verify ${upn}\` after ${verifyAfter.toISOString()}`;
}

/**
 * `entra.revokeSessions`: invalidates every refresh token and session cookie of the user
 * (signInSessionsValidFromDateTime becomes now). Runs after the block, so the attacker cannot sign in again.
 */
export const revokeSessions: ActionDefinition<RevokeSessionsInput> = {
  name: "entra.revokeSessions",
  description: "Revoke the user's refresh tokens and sessions (revokeSignInSessions).",
  permissions: [revokeSessionsPermission, "User.Read.All", "RoleManagement.Read.Directory"],
  input: revokeSessionsInput,
  outputs: ["userId", "roles", "revokedAt", "verifyAfter"],
  preflight: adminTargetPreflight,

  async isDone(input, ctx) {
    const user = await resolveUser(ctx, input, input.upn);
    const validFrom = user.signInSessionsValidFromDateTime ? Date.parse(user.signInSessionsValidFromDateTime) : Number.NaN;
    const marks = [input.incidentStart, input.lastSuccessAt].filter((t): t is string => typeof t === "string");
    // The last successful sign-in bounds every token ever issued (it is never before the incident start). Without it
    // there is nothing to compare with, and revoking again is cheap and safe.
    if (Number.isNaN(validFrom) || !input.lastSuccessAt) return { done: false };
    if (!marks.every((t) => validFrom > Date.parse(t))) return { done: false };
    const after = [
      ...(input.incidentStart ? [`the incident start (${input.incidentStart})`] : []),
      ...(input.lastSuccessAt ? [`the last successful sign-in (${input.lastSuccessAt})`] : []),
    ].join(" and ");
    return {
      done: true,
      reason: `sessions were last revoked at ${user.signInSessionsValidFromDateTime}, after ${after}: every refresh token issued to the attacker is already invalid`,
    };
  },

  async plan(input, ctx) {
    const user = await resolveUser(ctx, input, input.upn);
    const upn = displayName(user, input.upn);
    const admin = await adminTargetForPlan(input, ctx);
    const now = ctx.clock.now();
    const verifyAfter = new Date(now.getTime() + revocationPropagationMs);
    return {
      writes: [
        {
          service: "graph",
          method: "POST",
          path: `/users/${encodeURIComponent(user.id)}/revokeSignInSessions`,
          permission: revokeSessionsPermission,
          summary: `revoke refresh tokens and sessions of ${upn}`,
          target: upn,
          phase: 0,
        },
      ],
      // The time to verify is noted when the revocation is sent (apply); a confirmation prompt may sit between.
      notes: admin.notes,
      // Nothing is revoked yet: revokedAt is set by apply. verifyAfter is an estimate until then (what a dry run shows).
      outputs: { userId: user.id, roles: admin.roles, revokedAt: null, verifyAfter: verifyAfter.toISOString() },
    };
  },

  async apply(plan, input, ctx, send) {
    const roles = rolesOf(plan.outputs);
    for (const write of plan.writes) {
      let response: unknown;
      try {
        response = await send(write);
      } catch (error) {
        if (isPermissionError(error)) {
          throw explainForbidden(asAzirError(error, write.summary), { upn: write.target, roles, permission: write.permission, write: write.summary });
        }
        throw error;
      }
      // Graph answers {"value": true}; some deployments answer another 2xx without a body. Only an explicit false is a failure.
      if (response !== null && typeof response === "object" && (response as { value?: unknown }).value === false) {
        throw new AzirError("service", `Graph did not revoke the sessions of ${write.target} (it answered value: false)`, {
          hint: "run the step again; if it keeps failing, revoke the sessions in the Entra admin center",
        });
      }
    }
    const revokedAt = ctx.clock.now();
    const verifyAfter = new Date(revokedAt.getTime() + revocationPropagationMs);
    const upn = plan.writes[0]?.target ?? input.upn;
    return {
      outputs: { userId: plan.outputs?.userId ?? input.upn, roles, revokedAt: revokedAt.toISOString(), verifyAfter: verifyAfter.toISOString() },
      notes: [propagationNote(upn, verifyAfter)],
    };
  },
};
