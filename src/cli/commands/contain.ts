import { z } from "zod";
import { defineCommand, flag } from "../define-command.js";
import { lookbackOf } from "../options.js";
import { renderBulkContainment } from "../render/bulk.js";
import { renderContainment, renderRunOutcome } from "../render/summary.js";
import { lookbackOption, runShippedRunbook } from "../shipped-runbooks.js";
import { collectUsers } from "../users.js";

/** `azir contain <upn...>`: runbooks/contain-user.yaml, for one user or, as one incident, for several. */
export const containCommand = defineCommand({
  name: "contain",
  description: "scope the compromise, then block sign-in -> revoke sessions -> remove attacker MFA -> confirm compromised",
  args: z.object({ upn: z.array(z.string()).default([]).describe("the compromised user (one or more)") }),
  options: z.object({
    usersFile: z.string().optional().describe("contain the users listed in this file, one UPN a line").register(flag, { value: "file" }),
    usersFrom: z
      .string()
      .optional()
      .describe("contain the users named in this JSON: the --json of azir hunt device-code or azir investigate, or a list of UPNs")
      .register(flag, { value: "json" }),
    lookback: lookbackOption("14d"),
    methodsAfter: z
      .string()
      .optional()
      .describe("your decision: authentication methods created or registered since this time are the attacker's")
      .register(flag, { value: "time" }),
    removeMethod: z.array(z.string()).default([]).describe("your decision: this method id is the attacker's (repeatable)").register(flag, { value: "id" }),
    baseline: z.string().optional().describe("a tenant baseline captured before the incident (azir baseline capture): methods it does not hold are the attacker's").register(flag, { value: "file" }),
    changeDefaultMethod: z
      .boolean()
      .optional()
      .describe("allow moving the default sign-in method to one of the user's own (Graph beta) when the attacker's method is the default"),
  }),
  progress: true,
  handler: async ({ args, options }, ctx) => {
    // Every user is checked before anything is sent.
    const users = await collectUsers({ args: args.upn, usersFile: options.usersFile, usersFrom: options.usersFrom }, ctx.io.cwd);
    const baseline = options.baseline ? await (await import("../baseline-file.js")).readBaselineFile(options.baseline, ctx.io.cwd) : undefined;
    return runShippedRunbook(
      ctx,
      "contain-user",
      {
        upn: users[0]!,
        lookback: lookbackOf(options.lookback, ctx.globals.since, ctx.clock.now()),
        ...(options.methodsAfter ? { methodsAfter: options.methodsAfter } : {}),
        ...(options.removeMethod.length > 0 ? { removeMethods: options.removeMethod.join(",") } : {}),
        ...(options.changeDefaultMethod ? { changeDefault: "true" } : {}),
      },
      { ...(users.length > 1 ? { users } : {}), ...(baseline ? { baseline } : {}) },
    );
  },
  render: (outcome, ctx) => (outcome.bulk ? renderBulkContainment(outcome, ctx) : renderRunOutcome(outcome, ctx, renderContainment)),
});
