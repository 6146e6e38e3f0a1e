import { z } from "zod";
import { defineCommand, flag } from "../define-command.js";
import { lookbackOf } from "../options.js";
import { ExitCode } from "../../core/errors.js";
import { hardeningUnread, renderHardening, renderRunOutcome } from "../render/summary.js";
import { lookbackOption, runShippedRunbook } from "../shipped-runbooks.js";

/** `azir harden <upn>`: runbooks/harden-user.yaml. */
export const hardenCommand = defineCommand({
  name: "harden",
  description: "after containment: rotate app credentials, remove new privileged roles and consents, flag Conditional Access changes, list mailbox forwarding",
  args: z.object({ upn: z.string().describe("the compromised user") }),
  options: z.object({
    lookback: lookbackOption("14d"),
    baseline: z.string().optional().describe("a tenant baseline captured before the incident (azir baseline capture)").register(flag, { value: "file" }),
    secretsOut: z.string().optional().describe("write the new client secrets to this file (created with mode 0600; refused if it exists) instead of showing them once").register(flag, { value: "file" }),
    removeCertificates: z.boolean().optional().describe("also remove every certificate of the apps in scope (listed for review otherwise)"),
    removeAssignment: z.array(z.string()).default([]).describe("your decision: this privileged role assignment id is the attacker's (repeatable)").register(flag, { value: "id" }),
    revokeConsent: z.array(z.string()).default([]).describe("your decision: this grant or app role assignment id is the attacker's (repeatable)").register(flag, { value: "id" }),
  }),
  progress: true,
  async handler({ args, options }, ctx) {
    const { refuseExistingSecretsFile, secretSink } = await import("../secrets.js");
    const secretsFile = options.secretsOut ? refuseExistingSecretsFile(options.secretsOut, ctx.io.cwd) : undefined;
    const baseline = options.baseline ? await (await import("../baseline-file.js")).readBaselineFile(options.baseline, ctx.io.cwd) : undefined;
    return runShippedRunbook(
      ctx,
      "harden-user",
      {
        upn: args.upn,
        lookback: lookbackOf(options.lookback, ctx.globals.since, ctx.clock.now()),
        ...(options.removeCertificates ? { removeCertificates: "true" } : {}),
        ...(options.removeAssignment.length > 0 ? { removeAssignments: options.removeAssignment.join(",") } : {}),
        ...(options.revokeConsent.length > 0 ? { revokeConsents: options.revokeConsent.join(",") } : {}),
      },
      { secrets: secretSink({ terminal: ctx.terminal, ...(secretsFile ? { file: secretsFile } : {}) }), ...(baseline ? { baseline } : {}) },
    );
  },
  render: (outcome, ctx) => {
    const code = renderRunOutcome(outcome, ctx, renderHardening);
    // A hardening that could not read an area has not shown it clean: exit 1, as for any incomplete data.
    return code === ExitCode.ok && hardeningUnread(outcome).length > 0 ? ExitCode.failed : code;
  },
});
