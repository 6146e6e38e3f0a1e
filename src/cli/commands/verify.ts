import { AzirError } from "../../core/errors.js";
import { systemClock } from "../../core/clock.js";
import { parseSince } from "../../core/duration.js";
import type { CommandEnv } from "../program.js";
import { renderVerify } from "../render/summary.js";
import { runRunbook } from "../run-runbook.js";
import { setup, shippedRunbook } from "./shared.js";

/** `azir verify <upn> [--since <containment time>]`: successful sign-ins after containment. */
export async function handle(env: CommandEnv, args: unknown[]): Promise<number> {
  const { globals, terminal } = await setup(env);
  const clock = env.deps.clock ?? systemClock;
  const sinceText = globals.since ?? "1h";
  const since = parseSince(sinceText, clock.now());
  if (!since) throw new AzirError("usage", `--since: not a date-time or duration: ${JSON.stringify(sinceText)}`, { hint: "e.g. --since 2026-11-25T09:30:00Z or --since 2h" });
  const params = { upn: String(args[0]), since: since.toISOString() };
  return runRunbook(globals, env.io, terminal, { runbookFile: shippedRunbook("verify-containment"), params, summarize: renderVerify }, env.deps);
}
