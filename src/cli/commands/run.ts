import { existsSync } from "node:fs";
import { AzirError } from "../../core/errors.js";
import { planRunbook } from "../../runbook/plan.js";
import { resolveParams } from "../../runbook/params.js";
import { loadCheckedRunbook, runRunbook } from "../run-runbook.js";
import type { CommandEnv } from "../program.js";
import { renderPlan } from "../render/plan.js";
import { renderRunSummary } from "../render/summary.js";
import { setup, shippedRunbook } from "./shared.js";

function parseParams(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new AzirError("usage", `--param expects key=value, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** `azir run <runbook> [--param k=v] [--plan] [--resume <journal>]`. */
export async function handle(env: CommandEnv, args: unknown[], options: Record<string, unknown>): Promise<number> {
  const { globals, terminal } = await setup(env);
  const resume = options.resume as string | undefined;
  const given = args[0] as string | undefined;
  if (!given && !resume) throw new AzirError("usage", "name a runbook (file or id), or --resume <journal>", { hint: "azir runbooks lists the shipped ones" });
  const file = given ? (existsSync(given) ? given : shippedRunbook(given)) : "";
  const params = parseParams((options.param as string[]) ?? []);
  if (options.plan) {
    const loaded = await loadCheckedRunbook(file);
    const resolved = resolveParams(loaded.runbook, params);
    const plan = planRunbook(loaded.runbook);
    terminal.out(globals.json ? JSON.stringify({ ...plan, params: resolved }, null, 2) : renderPlan(plan, resolved, terminal.color));
    return 0;
  }
  return runRunbook(globals, env.io, terminal, { runbookFile: file, params, ...(resume ? { resume } : {}), summarize: renderRunSummary }, env.deps);
}
