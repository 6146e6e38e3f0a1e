import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { AzirError, ExitCode } from "../../core/errors.js";
import { parseSince } from "../../core/duration.js";
import { defineCommand } from "../define-command.js";
import { renderRunOutcome, renderVerify } from "../render/summary.js";
import { runShippedRunbook } from "../shipped-runbooks.js";

/**
 * When the sessions of `upn` were last revoked, according to the timelines under `out` (the incident folders of this
 * user), or undefined. Only evidence counts: a journal whose chain verifies, whose recorded subject is this user, and
 * that was written in the same kind of run (a rehearsal's revocation says nothing about the real tenant).
 */
export async function lastContainment(out: string, upn: string, tabletop: boolean): Promise<Date | undefined> {
  if (!existsSync(out)) return undefined;
  const { readJournal, verifyJournal } = await import("../../timeline/journal.js");
  const prefix = `${upn.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-`;
  let latest: Date | undefined;
  for (const incident of readdirSync(out).filter((d) => d.startsWith(prefix))) {
    for (const file of readdirSync(join(out, incident)).filter((f) => f.endsWith(".jsonl"))) {
      const path = join(out, incident, file);
      if (!(await verifyJournal(path)).ok) continue;
      const { events } = await readJournal(path);
      const started = events.find((e) => e.kind === "run.started");
      if (!started || String(started.data.subject ?? "").toLowerCase() !== upn.toLowerCase()) continue;
      if (started.mode.startsWith("tabletop") !== tabletop) continue;
      for (const e of events) {
        if (e.kind === "action" && e.data.action === "entra.revokeSessions" && (!latest || new Date(e.recordedAt) > latest)) latest = new Date(e.recordedAt);
      }
    }
  }
  return latest;
}

/** `azir verify <upn> [--since <containment time>]`: successful sign-ins after containment. */
export const verifyCommand = defineCommand({
  name: "verify",
  description: "after containment: any successful sign-in since?",
  args: z.object({ upn: z.string().describe("the contained user") }),
  progress: true,
  handler: async ({ args }, ctx) => {
    const { globals, terminal, io } = ctx;
    let since: Date | undefined;
    if (globals.since) {
      since = parseSince(globals.since, ctx.clock.now());
      if (!since) throw new AzirError("usage", `--since: not a date-time or duration: ${JSON.stringify(globals.since)}`, { hint: "e.g. --since 2026-11-25T09:30:00Z or --since 2h" });
      // A containment time in the future would make every sign-in "before containment": nothing could be found.
      if (since.getTime() > ctx.clock.now().getTime()) throw new AzirError("usage", `--since ${globals.since} is in the future`, { hint: "give the time containment completed" });
    } else {
      // Without --since, the containment azir recorded for this user: the last revocation in its timelines.
      const { config } = await (await import("../config.js")).loadConfig(globals.config, io);
      since = await lastContainment(resolve(io.cwd, globals.out ?? config.out ?? "incidents"), args.upn, globals.tabletop !== undefined && globals.tabletop !== false);
      if (!since) throw new AzirError("usage", `no containment of ${args.upn} found in the timelines`, { hint: "pass --since <containment time> (ISO date-time, or a duration such as 2h)" });
      terminal.line(terminal.color.dim(`since the last revocation in the timeline: ${since.toISOString()}`));
    }
    return runShippedRunbook(ctx, "verify-containment", { upn: args.upn, since: since.toISOString() });
  },
  render: (outcome, ctx) => {
    const code = renderRunOutcome(outcome, ctx, renderVerify);
    // Containment is confirmed only by complete data that has caught up and shows no success: anything else is 1.
    const hits = outcome.result.findings.some((f) => f.code === "contain.signin-after-containment");
    const coverage = outcome.result.steps.some((s) => s.id === "coverage") ? outcome.result.outputs.coverage : undefined;
    const unconfirmed = hits || outcome.result.gaps.length > 0 || (coverage !== undefined && coverage.caughtUp !== true);
    return code === ExitCode.ok && unconfirmed ? ExitCode.failed : code;
  },
});
