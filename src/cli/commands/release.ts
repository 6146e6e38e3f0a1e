import { existsSync, readdirSync } from "node:fs";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { AzirError } from "../../core/errors.js";
import { openFindings, unreadAreas, type OpenFinding } from "../../runbook/recovery.js";
import { defineCommand } from "../define-command.js";
import { renderRelease, renderRunOutcome, when } from "../render/summary.js";
import { runShippedRunbook } from "../shipped-runbooks.js";

/** The latest hardening run of `upn` in the timelines under `out`: only a journal whose chain verifies, of the same kind of run. */
export async function lastHardening(out: string, upn: string, tabletop: boolean): Promise<{ path: string; open: OpenFinding[]; unread: string[] } | undefined> {
  if (!existsSync(out)) return undefined;
  const { readJournal, verifyJournal } = await import("../../timeline/journal.js");
  const prefix = `${upn.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-`;
  let latest: { path: string; open: OpenFinding[]; unread: string[]; at: string } | undefined;
  for (const incident of readdirSync(out).filter((d) => d.startsWith(prefix))) {
    for (const file of readdirSync(join(out, incident)).filter((f) => f.endsWith(".jsonl"))) {
      const path = join(out, incident, file);
      if (!(await verifyJournal(path)).ok) continue;
      const { events } = await readJournal(path);
      const started = events.find((e) => e.kind === "run.started");
      if (!started || started.data.runbook !== "harden-user" || String(started.data.subject ?? "").toLowerCase() !== upn.toLowerCase()) continue;
      // A dry run sent nothing: what it planned does not close a finding.
      if (started.mode !== (tabletop ? "tabletop" : "live")) continue;
      if (!latest || started.recordedAt > latest.at) latest = { path, open: openFindings(events), unread: unreadAreas(events), at: started.recordedAt };
    }
  }
  return latest && { path: latest.path, open: latest.open, unread: latest.unread };
}

/** `azir release <upn>`: the explicit re-enable after recovery. */
export const releaseCommand = defineCommand({
  name: "release",
  description: "after hardening: re-enable sign-in, recording who and why (refused while high-severity findings are open)",
  args: z.object({ upn: z.string().describe("the recovered user") }),
  options: z.object({
    reason: z.string().optional().describe("why the account is released (recorded on the timeline; required)"),
    force: z.boolean().optional().describe("release although the hardening run left high-severity findings open (recorded)"),
  }),
  async handler({ args, options }, ctx) {
    const { globals, terminal, io } = ctx;
    if (!options.reason || options.reason.trim().length < 3) throw new AzirError("usage", "azir release needs --reason: why the account is released", { hint: 'e.g. --reason "password reset, persistence removed (INC-1234)"' });
    const { config } = await (await import("../config.js")).loadConfig(globals.config, io);
    const hardening = await lastHardening(resolve(io.cwd, globals.out ?? config.out ?? "incidents"), args.upn, globals.tabletop !== undefined && globals.tabletop !== false);
    let forced = "";
    if (!hardening) {
      if (!options.force) {
        throw new AzirError("refused", `release of ${args.upn} refused: no hardening run of ${args.upn} was found in the timelines`, {
          hint: `run azir harden ${args.upn} first (the attacker's app credentials, roles and consents outlive a blocked account), or release with --force (recorded)`,
        });
      }
      terminal.warn(`no hardening run of ${args.upn} found: releasing with --force`);
      forced = "no hardening run of the user was found";
    } else if (hardening.open.length > 0 || hardening.unread.length > 0) {
      const details = [...hardening.open.map((f) => `${when(f.occurredAt)} ${f.code}: ${f.summary}`), ...hardening.unread.map((u) => `not read: ${u}`)];
      const what = [
        ...(hardening.open.length > 0 ? [`${hardening.open.length} high-severity finding(s) of the hardening run are open`] : []),
        ...(hardening.unread.length > 0 ? [`the hardening run did not read ${hardening.unread.length} area(s)`] : []),
      ].join(", and ");
      if (!options.force) {
        throw new AzirError("refused", `release of ${args.upn} refused: ${what}`, {
          details: [...details, `hardening run: ${hardening.path}`],
          hint: `deal with them and run azir harden ${args.upn} again, or release with --force (recorded on the timeline)`,
        });
      }
      terminal.warn(`releasing with --force: ${what}:\n  ${details.join("\n  ")}`);
      forced = [
        ...(hardening.open.length > 0 ? [`${hardening.open.length} high-severity finding(s) of the hardening run were open: ${hardening.open.map((f) => f.code).join(", ")}`] : []),
        ...(hardening.unread.length > 0 ? [`the hardening run did not read: ${hardening.unread.join("; ")}`] : []),
      ].join("; ");
    }
    const by = io.env.AZIR_OPERATOR ?? safeUser();
    return runShippedRunbook(ctx, "release-user", { upn: args.upn, reason: options.reason.trim(), by, forced });
  },
  render: (outcome, ctx) => renderRunOutcome(outcome, ctx, renderRelease),
});

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}
