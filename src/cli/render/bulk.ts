import type { ChalkInstance } from "chalk";
import { ExitCode } from "../../core/errors.js";
import { sectionOf, type BulkSection } from "../../runbook/bulk.js";
import type { PendingWrite, StepOutcome } from "../../runbook/execute.js";
import { resumeCommand } from "../../runbook/resume.js";
import type { CommandContext } from "../context.js";
import type { BulkRun, RunOutcome } from "../run-runbook.js";

/** The one confirmation of a bulk run: every write, grouped by user, each with its method, URL, body and permission. */
export function renderBulkWrites(writes: PendingWrite[], sections: readonly BulkSection[], color: ChalkInstance): string {
  const users = new Set(writes.map((w) => sectionOf(sections, w.step)?.upn));
  const lines = [color.bold(`azir is about to make ${writes.length} change(s) for ${users.size} user(s):`)];
  let n = 0;
  for (const section of sections) {
    const own = writes.filter((w) => w.step.startsWith(section.prefix));
    if (own.length === 0) continue;
    lines.push(color.bold(`  ${section.upn} (${own.length})`));
    for (const w of own) {
      lines.push(`    ${++n}. ${w.request.summary}`);
      lines.push(color.dim(`       ${w.request.method} ${w.url}${w.request.body === undefined ? "" : ` ${JSON.stringify(w.request.body)}`}`));
      lines.push(color.dim(`       permission: ${w.request.permission}`));
    }
  }
  return lines.join("\n");
}

/** How far one user's containment went. */
export interface UserOutcome {
  upn: string;
  /** contained: every action done or already in effect; planned: a dry run; not-contained: some action was not done. */
  state: "contained" | "planned" | "not-contained" | "refused";
  /** The actions not done, each with why (partial failures named). */
  problems: string[];
}

/**
 * Each user's outcome from the steps of the run. Only an action that completed, or found its change already in effect,
 * counts: a step that failed, did not run, needs a decision, or was skipped as "not done" leaves the user
 * not fully contained. Never an all-clear on a step that did not end well.
 */
export function userOutcomes(bulk: BulkRun, steps: readonly StepOutcome[], actionReasons: ReadonlyMap<string, string>, dryRun: boolean): UserOutcome[] {
  const out: UserOutcome[] = bulk.sections.map((section) => {
    const own = steps.filter((s) => s.id.startsWith(section.prefix));
    const problems: string[] = [];
    for (const s of own) {
      const step = s.id.slice(section.prefix.length);
      const notDone = actionReasons.get(s.id);
      if (s.status === "failed" || s.status === "not-run" || s.status === "needs-decision") problems.push(`${step}: ${s.status}: ${s.summary}`);
      else if (notDone !== undefined && notDone.startsWith("not done")) problems.push(`${step}: ${notDone}`);
    }
    const planned = own.some((s) => s.status === "planned");
    return { upn: section.upn, state: problems.length > 0 ? "not-contained" : planned || dryRun ? "planned" : "contained", problems };
  });
  for (const upn of bulk.refused) out.push({ upn, state: "refused", problems: ["refused: a protected account (break-glass); nothing was sent for it (--force-protected to act on it)"] });
  return out;
}

/** `azir contain` over several users: one line per user, what was not done named, then the counts and what next. */
export function renderBulkContainment(outcome: RunOutcome, ctx: CommandContext): number {
  const { terminal } = ctx;
  const c = terminal.color;
  const bulk = outcome.bulk!;
  const reasons = new Map<string, string>();
  for (const e of outcome.document.actions) {
    if (e.kind === "action.skipped" && e.step && typeof e.data.reason === "string") reasons.set(e.step, e.data.reason);
  }
  const users = userOutcomes(bulk, outcome.result.steps, reasons, outcome.context.dryRun);
  // One user not fully contained (a licence the tenant lacks included) fails the run: never an all-clear for the list.
  const exitCode = outcome.exitCode === ExitCode.ok && users.some((u) => u.state === "not-contained" || u.state === "refused") ? ExitCode.failed : outcome.exitCode;
  if (ctx.globals.json) {
    terminal.out(JSON.stringify(outcome.document, null, 2));
    return exitCode;
  }
  const mode = { live: "live", "dry-run": "DRY RUN: nothing was changed", "tabletop": "tabletop (simulated tenant)", "tabletop-dry-run": "tabletop, dry run" }[outcome.context.mode];
  const lines = [c.bold(`Containment of ${users.length} users`), c.dim(`${outcome.document.incident.id} · ${mode} · ${outcome.result.writes.sent} write(s) sent, ${outcome.result.writes.planned} planned`), ""];
  const mark = { contained: c.green("contained    "), planned: c.yellow("planned      "), "not-contained": c.red.bold("NOT CONTAINED"), refused: c.red.bold("REFUSED      ") } as const;
  for (const u of users) {
    lines.push(`  ${mark[u.state]} ${u.upn}`);
    for (const p of u.problems) lines.push(c.red(`                ${p}`));
  }
  const count = (state: UserOutcome["state"]): number => users.filter((u) => u.state === state).length;
  lines.push("", `${count("contained")} contained, ${count("not-contained") + count("refused")} not fully contained${count("planned") ? `, ${count("planned")} planned` : ""}`);
  if (outcome.result.gaps.length) lines.push(c.red(`INCOMPLETE: ${outcome.result.gaps.length} gap(s) in the data read; see the timeline`));
  if (outcome.result.status === "interrupted" || outcome.result.status === "failed") {
    lines.push(c.yellow(`${outcome.result.status}: resume with: ${resumeCommand({ id: outcome.runbookRef, subject: outcome.runbook.subject }, outcome.params, outcome.journalPath, outcome.modeFlags)}`));
  }
  if (outcome.result.status === "refused") lines.push(c.red(`${outcome.result.error?.message ?? "the writes were not confirmed"}; nothing was sent`));
  if (count("contained") > 0 && !outcome.context.dryRun) {
    lines.push("", c.bold("Next"), "  revocation takes minutes to propagate (up to ~15 min with continuous access evaluation; access tokens live 60-90 min)");
    lines.push(`  then run azir verify <upn> for each contained user; per-user findings are in the timeline: azir timeline show ${outcome.journalPath}`);
  }
  terminal.line(lines.join("\n"));
  terminal.line(c.dim(`timeline: ${outcome.journalPath}`));
  return exitCode;
}
