import { exportSnapshots } from "./arm-export-snapshots.js";
import { lockEvidence } from "./arm-lock-evidence.js";
import { snapshotDisks } from "./arm-snapshot-disks.js";
import { blockSignIn } from "./entra-block-sign-in.js";
import { confirmCompromised } from "./entra-confirm-compromised.js";
import { removeAuthMethods } from "./entra-remove-auth-methods.js";
import { revokeSessions } from "./entra-revoke-sessions.js";
import { enableSignIn } from "./entra-enable-sign-in.js";
import { removePrivilegedAssignments } from "./entra-remove-privileged-assignments.js";
import { reviewConditionalAccess } from "./entra-review-conditional-access.js";
import { revokeConsents } from "./entra-revoke-consents.js";
import { rotateAppCredentials } from "./entra-rotate-app-credentials.js";
import type { ActionDefinition } from "./types.js";

/**
 * Every action a runbook may name, by registered name. Each definition keeps its own input type; the executor
 * parses the `with:` block with the action's `input` schema before calling it, which is what makes the
 * widening to `unknown` here safe.
 */
export const actions: Readonly<Record<string, ActionDefinition<unknown, unknown>>> = Object.freeze(
  // No prototype: a runbook naming "toString" or "__proto__" finds nothing rather than an Object method.
  Object.assign(
    Object.create(null) as Record<string, ActionDefinition<unknown, unknown>>,
    Object.fromEntries(
      [
        widen(blockSignIn),
        widen(revokeSessions),
        widen(removeAuthMethods),
        widen(confirmCompromised),
        widen(snapshotDisks),
        widen(lockEvidence),
        widen(exportSnapshots),
        widen(rotateAppCredentials),
        widen(removePrivilegedAssignments),
        widen(revokeConsents),
        widen(reviewConditionalAccess),
        widen(enableSignIn),
      ].map((a) => [a.name, a]),
    ),
  ),
);

/** Registered action names, in containment order, then recovery. */
export const actionNames: readonly string[] = Object.keys(actions);

/** The action registered under `name`, if any. */
export function findAction(name: string): ActionDefinition<unknown, unknown> | undefined {
  return actions[name];
}

/** Each action keeps its typed input; the registry holds them behind their zod schemas. */
function widen<I, O>(action: ActionDefinition<I, O>): ActionDefinition<unknown, unknown> {
  return action;
}
