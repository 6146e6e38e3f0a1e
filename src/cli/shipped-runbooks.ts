import { join } from "node:path";
import { z } from "zod";
import { packageRoot } from "../core/paths.js";
import type { CommandContext } from "./context.js";
import { flag } from "./define-command.js";
import type { RunOutcome } from "./run-runbook.js";

/** A shipped runbook by id (`contain-user` -> runbooks/contain-user.yaml). */
export function shippedRunbook(id: string): string {
  return join(packageRoot(), "runbooks", `${id}.yaml`);
}

/** Runs a shipped runbook; the executor is loaded only now, when a command needs it. */
export async function runShippedRunbook(ctx: CommandContext, id: string, params: Record<string, string>, users?: string[]): Promise<RunOutcome> {
  const { runRunbook } = await import("./run-runbook.js");
  return runRunbook(ctx, { runbookFile: shippedRunbook(id), params, ...(users ? { users } : {}) });
}

/** `--lookback <duration>` of the runbook commands (`--since` wins over it). */
export function lookbackOption(fallback: string) {
  return z.string().default(fallback).describe("how far back to look").register(flag, { value: "duration" });
}
