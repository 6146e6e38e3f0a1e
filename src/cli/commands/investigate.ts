import { z } from "zod";
import { defineCommand } from "../define-command.js";
import { lookbackOf } from "../options.js";
import { renderInvestigation, renderRunOutcome } from "../render/summary.js";
import { lookbackOption, runShippedRunbook } from "../shipped-runbooks.js";

/** `azir investigate <upn> [--lookback 14d]`: runbooks/investigate-user.yaml (reads only). */
export const investigateCommand = defineCommand({
  name: "investigate",
  description: "sign-in pull and triage, audit scoping, CA-bypass triage, OfficeActivity, Defender alerts; no writes",
  args: z.object({ upn: z.string().describe("the user") }),
  options: z.object({ lookback: lookbackOption("14d") }),
  progress: true,
  handler: ({ args, options }, ctx) =>
    runShippedRunbook(ctx, "investigate-user", { upn: args.upn, lookback: lookbackOf(options.lookback, ctx.globals.since, ctx.clock.now()) }),
  render: (outcome, ctx) => renderRunOutcome(outcome, ctx, renderInvestigation),
});
