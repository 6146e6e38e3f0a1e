import { z } from "zod";
import { actionPermissions } from "../entra/permissions.js";
import { adminNotes, failureOf, observeUser, type UserObservation } from "./admin-target.js";
import { userTargetSchema } from "./user-target.js";
import type { ActionDefinition, Note } from "./types.js";

/** Input of `entra.enableSignIn`. */
export const enableSignInInput = z.object({
  upn: userTargetSchema,
  /** Why the account is released, in the responder's words. */
  reason: z.string().trim().min(3, "say why the account is released (--reason)"),
  /** Who releases it. */
  by: z.string().trim().min(1),
  /** What the release was forced over (`--force`): empty when it was not forced. */
  forced: z.preprocess((v) => (v === undefined || v === null ? "" : v), z.string()),
});
export type EnableSignInInput = z.infer<typeof enableSignInInput>;

const permissions = actionPermissions["entra.enableSignIn"];

/**
 * `entra.enableSignIn`: the explicit end of containment (accountEnabled = true), with who released the account and
 * why on the timeline. `azir release` runs it only once hardening left no high-severity finding open, or with
 * `--force`, which the note records.
 */
export const enableSignIn: ActionDefinition<EnableSignInInput, UserObservation> = {
  name: "entra.enableSignIn",
  description: "Re-enable sign-in for the user (accountEnabled = true) after recovery, recording who and why.",
  permissions: permissions.needs,
  input: enableSignInInput,
  outputs: ["userId"],

  read: (input, ctx) => observeUser(ctx, input.upn),

  decide(input, observed) {
    const { user, upn } = observed;
    const notes: Note[] = [
      ...adminNotes(observed),
      { summary: `release of ${upn} by ${input.by}: ${input.reason}`, data: { releasedBy: input.by, reason: input.reason, forced: input.forced !== "" } },
    ];
    if (input.forced !== "") notes.push({ summary: `released with --force: ${input.forced}`, data: { forced: true, over: input.forced } });
    if (user.onPremisesSyncEnabled === true) notes.push(`${upn} is synchronised from on-premises Active Directory: enable the account in AD DS as well, or the next sync may block it again`);
    const outputs = { userId: user.id };
    if (user.accountEnabled === true) return { done: "sign-in already enabled", effects: [], notes, outputs };
    return {
      effects: [
        {
          kind: "graph.request",
          key: "enable",
          method: "PATCH",
          path: `/users/${encodeURIComponent(user.id)}`,
          body: { accountEnabled: true },
          permission: permissions.write,
          summary: `re-enable sign-in for ${upn}`,
          target: upn,
        },
      ],
      notes,
      outputs,
    };
  },

  interpret(_input, observed, _decision, outcomes) {
    const error = failureOf(outcomes, observed.admin);
    return error ? { error } : {};
  },
};
