import type { CommandEnv } from "../program.js";
import { renderInvestigation } from "../render/summary.js";
import { runRunbook } from "../run-runbook.js";
import { setup, shippedRunbook } from "./shared.js";

/** `azir investigate <upn> [--lookback 14d]`: runbooks/investigate-user.yaml (reads only). */
export async function handle(env: CommandEnv, args: unknown[], options: Record<string, unknown>): Promise<number> {
  const { globals, terminal } = await setup(env);
  const params = { upn: String(args[0]), lookback: String(options.lookback ?? "14d") };
  return runRunbook(globals, env.io, terminal, { runbookFile: shippedRunbook("investigate-user"), params, summarize: renderInvestigation }, env.deps);
}
