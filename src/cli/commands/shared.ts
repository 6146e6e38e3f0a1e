import { join } from "node:path";
import { parseSince } from "../../core/duration.js";
import { AzirError } from "../../core/errors.js";
import { packageRoot } from "../../core/paths.js";
import { resolveGlobals, type Globals } from "../options.js";
import type { CommandEnv } from "../program.js";
import { createTerminal, type Terminal } from "../terminal.js";

/** Globals (flags + AZIR_* env, validated) and a terminal, with the progress display loaded. */
export async function setup(env: CommandEnv): Promise<{ globals: Globals; terminal: Terminal }> {
  const globals = resolveGlobals(env.raw, env.io);
  const { default: ora } = await import("ora");
  return { globals, terminal: createTerminal(env.io, { json: Boolean(globals.json), ora }) };
}

/** A shipped runbook by id (`contain-user` -> runbooks/contain-user.yaml). */
export function shippedRunbook(id: string): string {
  return join(packageRoot(), "runbooks", `${id}.yaml`);
}

/**
 * The lookback of a command: `--since` (a date-time or a duration back from now), when given, wins over
 * `--lookback`; both become a duration such as `14d` or `20160m`.
 */
export function lookbackOf(lookback: unknown, since: string | undefined, now: Date): string {
  if (since === undefined) return String(lookback ?? "14d");
  const at = parseSince(since, now);
  if (!at || at.getTime() >= now.getTime()) {
    throw new AzirError("usage", `--since: not a past date-time or a duration: ${JSON.stringify(since)}`, { hint: "e.g. --since 2026-11-10T00:00:00Z or --since 21d" });
  }
  return `${Math.ceil((now.getTime() - at.getTime()) / 60_000)}m`;
}
