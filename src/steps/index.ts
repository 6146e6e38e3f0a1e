import { blockSignIn } from "./entra-block-sign-in.js";
import { confirmCompromised } from "./entra-confirm-compromised.js";
import { removeAuthMethods } from "./entra-remove-auth-methods.js";
import { revokeSessions } from "./entra-revoke-sessions.js";
import type { ActionDefinition } from "./types.js";

/**
 * Every action a runbook may name, by registered name. Each definition keeps its own input type; the executor
 * parses the `with:` block with the action's `input` schema before calling it, which is what makes the
 * widening to `unknown` here safe.
 */
export const actions: Readonly<Record<string, ActionDefinition<unknown>>> = Object.fromEntries(
  [
    widen(blockSignIn),
    widen(revokeSessions),
    widen(removeAuthMethods),
    widen(confirmCompromised),
  ].map((action) => [action.name, action]),
);

/** Registered action names, in containment order. */
export const actionNames: readonly string[] = Object.keys(actions);

/** The action registered under `name`, if any. */
export function findAction(name: string): ActionDefinition<unknown> | undefined {
  return Object.hasOwn(actions, name) ? actions[name] : undefined;
}

function widen<I>(action: ActionDefinition<I>): ActionDefinition<unknown> {
  return action;
}
