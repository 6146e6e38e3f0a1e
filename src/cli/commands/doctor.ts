import { existsSync } from "node:fs";
import { z } from "zod";
import { ExitCode } from "../../core/errors.js";
import { defineCommand } from "../define-command.js";
import { renderDoctor } from "../render/doctor.js";

/**
 * `azir doctor [command | runbook]`: before anything runs, how azir signs in, what the token holds against what the
 * runbook's steps need, the workspace's tables and the subscription. Exit 4 when something needed is missing.
 */
export const doctorCommand = defineCommand({
  name: "doctor",
  description: "check sign-in, permissions, workspace tables and subscription against what a command or runbook needs",
  args: z.object({ target: z.string().optional().describe("contain, investigate, hunt, verify, harden, release, a runbook id or file (default: every shipped runbook)") }),
  progress: true,
  handler: async ({ args }, ctx) => {
    const { runDoctor } = await import("../doctor.js");
    const spinner = ctx.terminal.progress("checking");
    try {
      return await runDoctor(ctx, args.target, existsSync);
    } finally {
      spinner.stop();
    }
  },
  render: (report, { terminal, globals }) => {
    if (globals.json) terminal.out(JSON.stringify(report, null, 2));
    else terminal.line(renderDoctor(report, terminal.color));
    return report.ok ? ExitCode.ok : ExitCode.auth;
  },
});
