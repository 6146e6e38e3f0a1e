import { z } from "zod";
import { identityProtectionLicence } from "../entra/facts.js";
import { actionPermissions } from "../entra/permissions.js";
import { isLicenceError, serviceSaid } from "./graph-errors.js";
import { displayName, resolveUser, userTargetSchema, type DirectoryUser } from "./user-target.js";
import type { ActionDefinition } from "./types.js";

/** Input of `entra.confirmCompromised`. */
export const confirmCompromisedInput = z.object({ upn: userTargetSchema });
export type ConfirmCompromisedInput = z.infer<typeof confirmCompromisedInput>;

const permissions = actionPermissions["entra.confirmCompromised"];

interface RiskyUser {
  id?: string;
  riskState?: string;
  riskLevel?: string;
  riskLastUpdatedDateTime?: string | null;
}

interface Observed {
  user: DirectoryUser;
  /** Undefined: Identity Protection has no risk record for the user yet (404), so it is not confirmed either. */
  risky: RiskyUser | undefined;
  /** What Graph said when it refused Identity Protection for the tenant's licence; the action then cannot be done. */
  unlicensed?: string;
}

/**
 * `entra.confirmCompromised`: marks the user confirmed compromised in Identity Protection (user risk high), so
 * risk-based Conditional Access applies and the risk history records the incident. Needs Entra ID P2: without it the
 * step ends not done, says why, and sends nothing; the containment before it stands.
 */
const confirmedList = { path: "/identityProtection/riskyUsers", options: { filter: "riskState eq 'confirmedCompromised'" } };

export const confirmCompromised: ActionDefinition<ConfirmCompromisedInput, Observed> = {
  name: "entra.confirmCompromised",
  description: "Mark the user confirmed compromised in Identity Protection.",
  permissions: permissions.needs,
  input: confirmCompromisedInput,
  outputs: ["userId"],

  // Needs no user: it goes with the run's first requests, so that the paced write after it can go a second sooner.
  tenantReads: [confirmedList],

  async read(input, ctx) {
    const user = await resolveUser(ctx, input.upn);
    try {
      // One read for every user of the run (the reads are shared): Identity Protection allows 1 request per second
      // per tenant, so the users already confirmed are listed once rather than each user read on its own.
      const confirmed = await ctx.graph.list<RiskyUser>(confirmedList.path, confirmedList.options);
      return { user, risky: confirmed.find((u) => u.id?.toLowerCase() === user.id.toLowerCase()) };
    } catch (error) {
      // A licence refusal is an answer about the tenant, not a failure of the read: the decision says what it means.
      if (!isLicenceError(error)) throw error;
      return { user, risky: undefined, unlicensed: serviceSaid(error) };
    }
  },

  decide(input, { user, risky, unlicensed }) {
    const upn = displayName(user, input.upn);
    const outputs = { userId: user.id };
    if (unlicensed !== undefined) {
      // No effect and no `done`: the runner records the step as skipped with this note as its reason.
      return {
        effects: [],
        notes: [
          {
            summary: `not done: the tenant has no Entra ID P2 licence (Identity Protection): Graph said "${unlicensed}"; ${upn} is not marked confirmed compromised, and nothing azir did before depends on it (with ${identityProtectionLicence}, run azir contain again to mark it)`,
            data: { notDone: "licence", licence: identityProtectionLicence },
          },
        ],
        outputs,
      };
    }
    if (risky?.riskState === "confirmedCompromised") {
      const since = risky.riskLastUpdatedDateTime ? ` (since ${risky.riskLastUpdatedDateTime})` : "";
      return { done: `already confirmed compromised in Identity Protection${since}`, effects: [], notes: [], outputs };
    }
    return {
      effects: [
        {
          kind: "graph.request",
          key: "confirm",
          method: "POST",
          path: "/identityProtection/riskyUsers/confirmCompromised",
          body: { userIds: [user.id] },
          permission: permissions.write,
          summary: `confirm ${upn} compromised in Identity Protection`,
          target: upn,
        },
      ],
      notes: [
        "Identity Protection accepts about 1 request per second per tenant (all applications together) and its 429 carries no Retry-After: run no other Identity Protection tool at the same moment",
      ],
      outputs,
    };
  },
};
