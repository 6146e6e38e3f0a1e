import { z } from "zod";
import { AzirError } from "../core/errors.js";
import type { EffectOutcome } from "../core/effects.js";
import { onPremisesBlockCommands } from "../entra/facts.js";
import { actionPermissions } from "../entra/permissions.js";
import { adminNotes, failureOf, observeUser, type UserObservation } from "./admin-target.js";
import { isOnPremisesMasteredRefusal, serviceSaid } from "./graph-errors.js";
import { userTargetSchema, type DirectoryUser } from "./user-target.js";
import type { ActionDefinition, Note } from "./types.js";

/** Input of `entra.blockSignIn`. */
export const blockSignInInput = z.object({ upn: userTargetSchema });
export type BlockSignInInput = z.infer<typeof blockSignInInput>;

const permissions = actionPermissions["entra.blockSignIn"];

/** The commands that block a synchronised account where it is mastered: AD DS, then a delta sync. */
function adSteps(user: DirectoryUser): string {
  const { disable, sync } = onPremisesBlockCommands(user.onPremisesSamAccountName);
  return `${disable}, then run a delta sync on the Entra Connect server: ${sync}`;
}

/**
 * For a user synchronised from AD DS, the block belongs there too: Graph may refuse the change to accountEnabled,
 * and the next sync may undo one it took (azure-reference.md section 9; entra-docs users-revoke-access.md).
 */
function hybridNotes(upn: string, user: DirectoryUser): Note[] {
  if (user.onPremisesSyncEnabled !== true) return [];
  return [
    {
      summary: `${upn} is synchronised from on-premises Active Directory (onPremisesSyncEnabled): block the account in AD DS as well, since Entra may refuse the block and the next sync may undo it: ${adSteps(user)}`,
      data: { onPremisesSyncEnabled: true, onPremisesSamAccountName: user.onPremisesSamAccountName ?? null },
    },
  ];
}

/** Graph's refusal to change an on-premises mastered account, as its own failure with the next step in AD DS. */
function onPremisesFailure(outcomes: readonly EffectOutcome[], observed: UserObservation): AzirError | undefined {
  const refused = outcomes.find((o): o is Extract<EffectOutcome, { ok: false }> => !o.ok && isOnPremisesMasteredRefusal(o.error));
  if (!refused) return undefined;
  return new AzirError(
    "service",
    `Graph refused to ${refused.effect.summary}: "${serviceSaid(refused.error)}": the account is mastered in on-premises Active Directory, so the block must be made there`,
    {
      hint: `disable the account in AD DS: ${adSteps(observed.user)}; run azir contain again to see the block in effect (revoking sessions does not wait for it)`,
      details: [`onPremisesSyncEnabled: ${String(observed.user.onPremisesSyncEnabled ?? null)}`],
      cause: refused.error,
    },
  );
}

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
    const notes = [...adminNotes(observed), ...hybridNotes(upn, user)];
    if (user.accountEnabled === false) return { done: "sign-in already blocked", effects: [], notes, outputs };
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
      notes,
      outputs,
    };
  },

  interpret(_input, observed, _decision, outcomes) {
    const error = onPremisesFailure(outcomes, observed) ?? failureOf(outcomes, observed.admin);
    return error ? { error } : {};
  },
};
