import { join } from "node:path";
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
