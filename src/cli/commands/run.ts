import { existsSync } from "node:fs";
import { z } from "zod";
import { AzirError, ExitCode } from "../../core/errors.js";
import type { RunbookPlan } from "../../runbook/plan.js";
import { defineCommand, flag } from "../define-command.js";
import { renderPlan } from "../render/plan.js";
import { renderRunOutcome, renderRunSummary } from "../render/summary.js";
import type { RunOutcome } from "../run-runbook.js";
import { shippedRunbook } from "../shipped-runbooks.js";

function parseParams(pairs: string[]): Record<string, string> {
  // Own properties only: `out[key] = v` with the key __proto__ would set the prototype, and the name would pass unseen.
  return Object.fromEntries(
    pairs.map((pair) => {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new AzirError("usage", `--param expects key=value, got ${JSON.stringify(pair)}`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

type RunResult = { plan: RunbookPlan; params: Record<string, unknown> } | { outcome: RunOutcome };

/** `azir run <runbook> [--param k=v] [--plan] [--resume <journal>]`. */
export const runCommand = defineCommand({
  name: "run",
  description: "run a runbook (file or shipped id)",
  args: z.object({ runbook: z.string().optional().describe("runbook file or id (see azir runbooks)") }),
  options: z.object({
    param: z.array(z.string()).default([]).describe("runbook parameter (repeatable)").register(flag, { value: "k=v", short: "p" }),
    plan: z.boolean().optional().describe("print the plan and call nothing"),
    resume: z.string().optional().describe("continue an interrupted run from its timeline journal").register(flag, { value: "journal" }),
    asRecorded: z.boolean().optional().describe("with --resume: resume the runbook, subject and parameters the journal records without naming them, and without being asked"),
    secretsOut: z.string().optional().describe("write the client secrets the run issues to this file (mode 0600; refused if it exists) instead of showing them once").register(flag, { value: "file" }),
  }),
  progress: true,
  handler: async ({ args, options }, ctx): Promise<RunResult> => {
    const given = args.runbook;
    if (!given && !options.resume) throw new AzirError("usage", "name a runbook (file or id), or --resume <journal>", { hint: "azir runbooks lists the shipped ones" });
    const file = given ? (existsSync(given) ? given : shippedRunbook(given)) : "";
    const params = parseParams(options.param);
    const [{ loadCheckedRunbook, runRunbook }, { refuseExistingSecretsFile, secretSink }] = await Promise.all([import("../run-runbook.js"), import("../secrets.js")]);
    if (options.plan) {
      const loaded = await loadCheckedRunbook(file);
      const [{ resolveParams }, { planRunbook }] = await Promise.all([import("../../runbook/params.js"), import("../../runbook/plan.js")]);
      return { plan: planRunbook(loaded.runbook), params: resolveParams(loaded.runbook, params) };
    }
    // Any runbook may issue client secrets (harden-user, or a resume of it): they are shown once, or written to the file.
    const secretsFile = options.secretsOut ? refuseExistingSecretsFile(options.secretsOut, ctx.io.cwd) : undefined;
    const secrets = secretSink({ terminal: ctx.terminal, ...(secretsFile ? { file: secretsFile } : {}) });
    return { outcome: await runRunbook(ctx, { runbookFile: file, params, secrets, ...(options.resume ? { resume: options.resume } : {}), ...(options.asRecorded ? { asRecorded: true } : {}) }) };
  },
  render: (result, ctx) => {
    if ("outcome" in result) return renderRunOutcome(result.outcome, ctx, renderRunSummary);
    const { terminal, globals } = ctx;
    terminal.out(globals.json ? JSON.stringify({ ...result.plan, params: result.params }, null, 2) : renderPlan(result.plan, result.params, terminal.color));
    return ExitCode.ok;
  },
});
