import { AzirError } from "../../core/errors.js";
import type { CommandEnv } from "../program.js";
import { renderHunt } from "../render/summary.js";
import { runRunbook } from "../run-runbook.js";
import { systemClock } from "../../core/clock.js";
import { lookbackOf, setup, shippedRunbook } from "./shared.js";

const hunts: Record<string, string> = { "device-code": "hunt-device-code" };

/** `azir hunt <name> [--lookback 30d]`: tenant-wide hunts. */
export async function handle(env: CommandEnv, args: unknown[], options: Record<string, unknown>): Promise<number> {
  const name = String(args[0]);
  const runbook = hunts[name];
  if (!runbook) throw new AzirError("usage", `unknown hunt "${name}"`, { hint: `hunts: ${Object.keys(hunts).join(", ")}` });
  const { globals, terminal } = await setup(env);
  const params = { lookback: lookbackOf(options.lookback ?? "30d", globals.since, (env.deps.clock ?? systemClock).now()) };
  return runRunbook(globals, env.io, terminal, { runbookFile: shippedRunbook(runbook), params, summarize: renderHunt }, env.deps);
}
