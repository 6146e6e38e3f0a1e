import { z } from "zod";
import { defineCommand } from "../define-command.js";
import { lookbackOf } from "../options.js";
import { renderContainment, renderRunOutcome } from "../render/summary.js";
import { lookbackOption, runShippedRunbook } from "../shipped-runbooks.js";

/** `azir contain <upn>`: runbooks/contain-user.yaml. */
export const containCommand = defineCommand({
  name: "contain",
  description: "scope the compromise, then block sign-in -> revoke sessions -> remove attacker MFA -> confirm compromised",
  args: z.object({ upn: z.string().describe("the compromised user") }),
  options: z.object({ lookback: lookbackOption("14d") }),
  progress: true,
  handler: ({ args, options }, ctx) =>
    runShippedRunbook(ctx, "contain-user", { upn: args.upn, lookback: lookbackOf(options.lookback, ctx.globals.since, ctx.clock.now()) }),
  render: (outcome, ctx) => renderRunOutcome(outcome, ctx, renderContainment),
});
