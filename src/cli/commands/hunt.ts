import { z } from "zod";
import { AzirError } from "../../core/errors.js";
import { defineCommand } from "../define-command.js";
import { lookbackOf } from "../options.js";
import { renderHunt, renderRunOutcome } from "../render/summary.js";
import { lookbackOption, runShippedRunbook } from "../shipped-runbooks.js";

const hunts: Record<string, string> = { "device-code": "hunt-device-code" };

/** `azir hunt <name> [--lookback 30d]`: tenant-wide hunts. */
export const huntCommand = defineCommand({
  name: "hunt",
  description: "tenant-wide hunts: device-code",
  args: z.object({ name: z.string().describe("hunt name (device-code)") }),
  options: z.object({ lookback: lookbackOption("30d") }),
  progress: true,
  handler: async ({ args, options }, ctx) => {
    const runbook = hunts[args.name];
    if (!runbook) throw new AzirError("usage", `unknown hunt "${args.name}"`, { hint: `hunts: ${Object.keys(hunts).join(", ")}` });
    return runShippedRunbook(ctx, runbook, { lookback: lookbackOf(options.lookback, ctx.globals.since, ctx.clock.now()) });
  },
  render: (outcome, ctx) => renderRunOutcome(outcome, ctx, renderHunt),
});
