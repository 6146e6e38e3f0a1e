import { z } from "zod";
import { actionPermissions } from "../entra/permissions.js";
import { adminNotes, failureOf, observeUser, type UserObservation } from "./admin-target.js";
import { userTargetSchema } from "./user-target.js";
import type { ActionDefinition } from "./types.js";

/** Input of `entra.blockSignIn`. */
export const blockSignInInput = z.object({ upn: userTargetSchema });
export type BlockSignInInput = z.infer<typeof blockSignInInput>;

const permissions = actionPermissions["entra.blockSignIn"];

/**
 * `entra.blockSignIn`: sets accountEnabled=false, so no new sign-in succeeds. Already-issued refresh tokens keep
 * working until `entra.revokeSessions`, which runs after it.
 */
export const blockSignIn: ActionDefinition<BlockSignInInput, UserObservation> = {
  name: "entra.blockSignIn",
  description: "Block sign-in for the user (accountEnabled = false).",
  permissions: permissions.needs,
  input: blockSignInInput,
  outputs: ["userId", "roles"],

  read: (input, ctx) => observeUser(ctx, input.upn),

  decide(_input, observed) {
    const { user, upn, admin } = observed;
    const outputs = { userId: user.id, roles: admin.roles };
    if (user.accountEnabled === false) return { done: "sign-in already blocked", effects: [], notes: adminNotes(observed), outputs };
    return {
      effects: [
        {
          kind: "graph.request",
          key: "block",
          method: "PATCH",
          path: `/users/${encodeURIComponent(user.id)}`,
          body: { accountEnabled: false },
          permission: permissions.write,
          summary: `block sign-in for ${upn}`,
          target: upn,
        },
      ],
      notes: adminNotes(observed),
      outputs,
    };
  },

  interpret(_input, observed, _decision, outcomes) {
    const error = failureOf(outcomes, observed.admin);
    return error ? { error } : {};
  },
};
