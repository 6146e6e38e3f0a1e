import { z } from "zod";
import { AzirError } from "../core/errors.js";
import { revocationPropagationMs } from "../entra/facts.js";
import { actionPermissions } from "../entra/permissions.js";
import { adminNotes, failureOf, observeUser, type UserObservation } from "./admin-target.js";
import { optionalTimeSchema, userTargetSchema } from "./user-target.js";
import type { ActionDefinition } from "./types.js";

/** Input of `entra.revokeSessions`. */
export const revokeSessionsInput = z.object({
  upn: userTargetSchema,
  incidentStart: optionalTimeSchema.optional().describe("findings.signins.incidentStart"),
  lastSuccessAt: optionalTimeSchema.optional().describe("findings.signins.lastSuccessAt"),
});
export type RevokeSessionsInput = z.infer<typeof revokeSessionsInput>;

const permissions = actionPermissions["entra.revokeSessions"];

const propagation =
  "revocation takes minutes to propagate (up to about 15 minutes with continuous access evaluation; access tokens already issued live 60-90 minutes)";

/** The note with the time to verify, once the revocation has been sent. */
export function propagationNote(upn: string, verifyAfter: Date): string {
  return `${propagation}: run \`azir verify ${upn}\` after ${verifyAfter.toISOString()}`;
}

/** Why the sessions need no new revocation, or undefined when they do. */
function alreadyRevoked(input: RevokeSessionsInput, validFromText: string | null | undefined): string | undefined {
  const validFrom = validFromText ? Date.parse(validFromText) : Number.NaN;
  const marks = [input.incidentStart, input.lastSuccessAt].filter((t): t is string => typeof t === "string");
  // The last successful sign-in bounds every token ever issued (it is never before the incident start). Without it
  // there is nothing to compare with, and revoking again is cheap and safe.
  if (Number.isNaN(validFrom) || !input.lastSuccessAt) return undefined;
  if (!marks.every((t) => validFrom > Date.parse(t))) return undefined;
  const after = [
    ...(input.incidentStart ? [`the incident start (${input.incidentStart})`] : []),
    `the last successful sign-in (${input.lastSuccessAt})`,
  ].join(" and ");
  return `sessions were last revoked at ${validFromText}, after ${after}: every refresh token issued to the attacker is already invalid`;
}

/**
 * `entra.revokeSessions`: invalidates every refresh token and session cookie of the user
 * (signInSessionsValidFromDateTime becomes now). Runs after the block, so the attacker cannot sign in again.
 */
export const revokeSessions: ActionDefinition<RevokeSessionsInput, UserObservation> = {
  name: "entra.revokeSessions",
  description: "Revoke the user's refresh tokens and sessions (revokeSignInSessions).",
  permissions: permissions.needs,
  input: revokeSessionsInput,
  outputs: ["userId", "roles", "revokedAt", "verifyAfter"],

  read: (input, ctx) => observeUser(ctx, input.upn),

  decide(input, observed, { now, incomplete }) {
    const { user, upn, admin } = observed;
    // "Already revoked" rests on the sign-in data: when that is incomplete, revoking again is the safe answer.
    const done = incomplete.length === 0 ? alreadyRevoked(input, user.signInSessionsValidFromDateTime) : undefined;
    if (done) return { done, effects: [], notes: adminNotes(observed), outputs: { userId: user.id, roles: admin.roles } };
    return {
      effects: [
        {
          kind: "graph.request",
          key: "revoke",
          method: "POST",
          path: `/users/${encodeURIComponent(user.id)}/revokeSignInSessions`,
          permission: permissions.write,
          summary: `revoke refresh tokens and sessions of ${upn}`,
          target: upn,
        },
      ],
      // The time to verify is noted once the revocation is sent; a confirmation prompt may sit between.
      notes: adminNotes(observed),
      // Nothing is revoked yet: revokedAt is set once it is. verifyAfter is an estimate until then (what a dry run shows).
      outputs: { userId: user.id, roles: admin.roles, revokedAt: null, verifyAfter: new Date(now.getTime() + revocationPropagationMs).toISOString() },
    };
  },

  recheck(input, observed, _earlier, ctx) {
    // A revocation cannot be undone, but an account that can sign in again may have been issued new sessions since
    // (the block, ordered before this, is then sent again first): revoke again, whatever the sign-in data said.
    if (observed.user.accountEnabled === false) return undefined;
    return revokeSessions.decide({ upn: input.upn }, observed, ctx);
  },

  interpret(_input, observed, _decision, outcomes, { now }) {
    const error = failureOf(outcomes, observed.admin);
    if (error) return { error };
    // Graph answers {"value": true}; some deployments answer another 2xx without a body. Only an explicit false is a failure.
    const answer = outcomes[0]?.ok ? outcomes[0].value : undefined;
    if (answer !== null && typeof answer === "object" && (answer as { value?: unknown }).value === false) {
      return {
        error: new AzirError("service", `Graph did not revoke the sessions of ${observed.upn} (it answered value: false)`, {
          hint: "run the step again; if it keeps failing, revoke the sessions in the Entra admin center",
        }),
      };
    }
    const verifyAfter = new Date(now.getTime() + revocationPropagationMs);
    return { outputs: { revokedAt: now.toISOString(), verifyAfter: verifyAfter.toISOString() }, notes: [propagationNote(observed.upn, verifyAfter)] };
  },
};
