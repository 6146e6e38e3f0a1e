import type { CommandEnv } from "../program.js";
import { renderContainment } from "../render/summary.js";
import { runRunbook } from "../run-runbook.js";
import { systemClock } from "../../core/clock.js";
import { lookbackOf, setup, shippedRunbook } from "./shared.js";

/** `azir contain <upn>`: runbooks/contain-user.yaml. */
export async function handle(env: CommandEnv, args: unknown[], options: Record<string, unknown>): Promise<number> {
  const { globals, terminal } = await setup(env);
  const params = { upn: String(args[0]), lookback: lookbackOf(options.lookback ?? "14d", globals.since, (env.deps.clock ?? systemClock).now()) };
  return runRunbook(globals, env.io, terminal, { runbookFile: shippedRunbook("contain-user"), params, summarize: renderContainment }, env.deps);
}
