import { z } from "zod";
import { displayName, resolveUser, userTargetSchema } from "./user-target.js";
import type { ActionDefinition } from "./types.js";

/** Input of `entra.confirmCompromised`. */
export const confirmCompromisedInput = z.object({ upn: userTargetSchema });
export type ConfirmCompromisedInput = z.infer<typeof confirmCompromisedInput>;

export const confirmCompromisedPermission = "IdentityRiskyUser.ReadWrite.All";

interface RiskyUser {
  id?: string;
  riskState?: string;
  riskLevel?: string;
  riskLastUpdatedDateTime?: string | null;
}

/**
 * `entra.confirmCompromised`: marks the user confirmed compromised in Identity Protection (user risk high), so
 * risk-based Conditional Access applies and the risk history records the incident. Needs Entra ID P2.
 */
export const confirmCompromised: ActionDefinition<ConfirmCompromisedInput> = {
  name: "entra.confirmCompromised",
  description: "Mark the user confirmed compromised in Identity Protection.",
  permissions: [confirmCompromisedPermission, "User.Read.All"],
  input: confirmCompromisedInput,
  outputs: ["userId"],

  async isDone(input, ctx) {
    const user = await resolveUser(ctx, input, input.upn);
    // 404: Identity Protection has no risk record for the user yet, so it is not confirmed either.
    const risky = await ctx.graph.find<RiskyUser>(`/identityProtection/riskyUsers/${encodeURIComponent(user.id)}`);
    if (risky?.riskState !== "confirmedCompromised") return { done: false };
    const since = risky.riskLastUpdatedDateTime ? ` (since ${risky.riskLastUpdatedDateTime})` : "";
    return { done: true, reason: `already confirmed compromised in Identity Protection${since}` };
  },

  async plan(input, ctx) {
    const user = await resolveUser(ctx, input, input.upn);
    const upn = displayName(user, input.upn);
    return {
      writes: [
        {
          service: "graph",
          method: "POST",
          path: "/identityProtection/riskyUsers/confirmCompromised",
          body: { userIds: [user.id] },
          permission: confirmCompromisedPermission,
          summary: `confirm ${upn} compromised in Identity Protection`,
          target: upn,
          phase: 0,
        },
      ],
      notes: [
        "Identity Protection accepts about 1 request per second per tenant (all applications together) and its 429 carries no Retry-After: run no other Identity Protection tool at the same moment",
      ],
      outputs: { userId: user.id },
    };
  },
};
