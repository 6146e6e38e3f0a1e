import type { ChalkInstance } from "chalk";
import { severityRank, type Finding, type Severity } from "../../analyze/types.js";
import { investigationVerdict, stillOpen } from "../../analyze/verdict.js";
import type { StepRole } from "../../runbook/schema.js";
import { resumeCommand } from "../../runbook/resume.js";
import type { CommandContext } from "../context.js";
import type { RunOutcome } from "../run-runbook.js";
import type { Terminal } from "../terminal.js";
import { fitTable } from "./layout.js";

type StepFinding = Finding & { step: string };
type RunSummaryInput = RunOutcome & { terminal: Terminal };

/** A runbook command's output: the timeline document with --json; else its summary, and where the journal is. */
export function renderRunOutcome(outcome: RunOutcome, ctx: CommandContext, summarize: (input: RunSummaryInput) => void): number {
  const { terminal } = ctx;
  // --json: the document on stdout, and the same summary as without it on stderr (as --help says).
  if (ctx.globals.json) terminal.out(JSON.stringify(outcome.document, null, 2));
  const input = { ...outcome, terminal };
  // Nothing was read at all: an empty report would read as "none found"; the error is the whole answer.
  if (readNothing(input)) terminal.line([...header(input, `${input.runbook.title}: nothing could be read`), ...failureLines(input)].join("\n"));
  else summarize(input);
  terminal.line(terminal.color.dim(`timeline: ${outcome.journalPath}`));
  return outcome.exitCode;
}

/** Outputs of the step that plays `role` in the runbook, when it has one and the step ran. */
function outputsOf(input: RunSummaryInput, role: StepRole): Record<string, unknown> | undefined {
  const step = input.runbook.steps.find((s) => s.role === role);
  return step ? input.result.outputs[step.id] : undefined;
}

const sevColor = (color: ChalkInstance, s: Severity): ((t: string) => string) =>
  ({ critical: color.bgRed.white, high: color.red, medium: color.yellow, low: color.cyan, info: color.dim })[s];

/** `2026-11-21T14:05:09.000Z` -> `2026-11-21 14:05Z`. */
export function when(iso: string | null | undefined): string {
  if (!iso) return "-";
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
}

/** A table fitted to the terminal's width, its header dimmed. */
function table(input: RunSummaryInput, header: string[], rows: string[][]): string[] {
  const [head, ...body] = fitTable(header, rows, input.terminal.width);
  return [input.terminal.color.dim(head!), ...body];
}

function str(v: unknown): string {
  if (v === null || v === undefined) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/**
 * The title, the mode and whether the data was read whole. `unreadByActions` is what the actions could not read
 * (hardening's reads of apps, roles, grants): never "complete" beside it.
 */
function header(input: RunSummaryInput, title: string, unreadByActions = 0): string[] {
  const { terminal, result, context } = input;
  const c = terminal.color;
  const mode = { live: "live", "dry-run": "DRY RUN: nothing was changed", tabletop: "tabletop (simulated tenant)", "tabletop-dry-run": "tabletop, dry run" }[context.mode];
  // A query that failed or never ran is data azir did not read, exactly like a gap.
  const unread = result.steps.filter((s) => s.kind === "query" && (s.status === "failed" || s.status === "not-run")).map((s) => s.id);
  const complete =
    unread.length > 0
      ? c.red.bold(`INCOMPLETE: not read: ${unread.join(", ")}${result.gaps.length ? "; and gaps (see below)" : ""}`)
      : result.gaps.length > 0
        ? c.red.bold("INCOMPLETE: some data could not be read (see gaps)")
        : unreadByActions > 0
          ? c.red.bold("INCOMPLETE (see below)")
          : c.green("complete");
  return [c.bold(title), `${c.dim("mode:")} ${mode}   ${c.dim("data:")} ${complete}`];
}

/** What was not read, or read only in part: each unread query step, and each step with gaps (with their codes). */
function unreadOf(input: RunSummaryInput): string[] {
  const steps = input.result.steps.filter((s) => s.kind === "query" && (s.status === "failed" || s.status === "not-run" || s.error !== undefined)).map((s) => s.id);
  const partial = [...new Set(input.result.gaps.map((g) => g.step))].filter((id) => !steps.includes(id));
  return [...steps, ...partial.map((id) => `${id} (${[...new Set(input.result.gaps.filter((g) => g.step === id).map((g) => g.code))].join(", ")})`)];
}

/** Whether the step playing `role` was read whole: "read", "partial" (gaps) or "not read". */
function readState(input: RunSummaryInput, role: StepRole): "read" | "partial" | "not read" {
  const step = input.runbook.steps.find((s) => s.role === role);
  const outcome = step ? input.result.steps.find((s) => s.id === step.id) : undefined;
  if (!outcome || outcome.status === "failed" || outcome.status === "not-run" || outcome.error !== undefined) return "not read";
  return input.result.gaps.some((g) => g.step === outcome.id) ? "partial" : "read";
}

/** The flag that points a printed next command at the same simulated tenant (its scenario named unless built in Contoso). */
function sameTenant(input: RunSummaryInput): string {
  if (!input.context.mode.startsWith("tabletop")) return "";
  const scenario = input.context.globals.tabletop;
  return typeof scenario === "string" && scenario !== "contoso" ? ` --tabletop ${scenario}` : " --tabletop";
}

function readNothing(input: RunSummaryInput): boolean {
  const queries = input.result.steps.filter((s) => s.kind === "query");
  const read = queries.some((s) => (s.status === "completed" || s.status === "resumed") && s.error === undefined);
  // A run that changed something always shows what it did.
  const acted = input.result.writes.sent > 0 || input.result.writes.planned > 0;
  return input.result.status !== "completed" && queries.length > 0 && !read && !acted;
}

function gapLines(input: RunSummaryInput): string[] {
  const c = input.terminal.color;
  if (!input.result.gaps.length) return [];
  return ["", c.red.bold("Gaps (data azir did not get; do not read these areas as clean):"), ...input.result.gaps.map((g) => `  ${g.query}: ${g.code}: ${g.message}${g.window ? ` (${when(g.window.start)} .. ${when(g.window.end)})` : ""}`)];
}

function failureLines(input: RunSummaryInput): string[] {
  const c = input.terminal.color;
  const failed = input.result.steps.filter((s) => s.status === "failed" || s.status === "needs-decision" || (s.status === "not-run" && input.result.status !== "completed"));
  const out = failed.map((s) => c.red(`  ${s.id}: ${s.status}: ${s.summary}`));
  if (input.result.status === "refused") out.unshift(c.red(`  ${input.result.error?.message ?? "the writes were not confirmed"}; nothing was sent`));
  if (input.result.error?.hint) out.push(`  hint: ${input.result.error.hint}`);
  if (input.result.status === "interrupted" || input.result.status === "failed") out.push(c.yellow(`  resume with: ${resumeCommand({ id: input.runbookRef, subject: input.runbook.subject }, input.params, input.journalPath, input.modeFlags)}`));
  return out.length ? ["", c.red.bold(`Run ${input.result.status}:`), ...out] : [];
}

function findingsOf(input: RunSummaryInput, prefix: string): StepFinding[] {
  return input.result.findings.filter((f) => f.code.startsWith(prefix)).sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
}

/** Findings, oldest first: on one line where the terminal is wide, else the summary under its time and code. */
function findingLines(input: RunSummaryInput, list: StepFinding[]): string[] {
  const c = input.terminal.color;
  const wide = input.terminal.width >= 140;
  return list.flatMap((f) => {
    const head = `  ${when(f.occurredAt)}  ${sevColor(c, f.severity)(f.severity.padEnd(8))} ${wide ? f.code.padEnd(34) : f.code}`;
    return wide ? [`${head} ${f.summary}`] : [head, `      ${f.summary}`];
  });
}

/** Generic summary for `azir run`: steps, findings by severity, writes. */
export function renderRunSummary(input: RunSummaryInput): void {
  const { terminal, result } = input;
  const c = terminal.color;
  const lines = header(input, `${result.plan.title} (${result.plan.runbookId})`);
  lines.push("", c.bold("Steps"));
  for (const s of result.steps) lines.push(`  ${s.status.padEnd(9)} ${s.id.padEnd(22)} ${c.dim(s.summary)}`);
  const top = [...result.findings].sort((a, b) => severityRank[b.severity] - severityRank[a.severity] || a.occurredAt.localeCompare(b.occurredAt));
  if (top.length) lines.push("", c.bold(`Findings (${top.length})`), ...findingLines(input, top.slice(0, 30)));
  lines.push("", `writes: ${result.writes.sent} sent, ${result.writes.planned} planned, ${result.writes.skippedSteps} step(s) already in effect`);
  lines.push(...gapLines(input), ...failureLines(input));
  terminal.line(lines.join("\n"));
}

/** `azir investigate`: the story of what happened to the user. */
export function renderInvestigation(input: RunSummaryInput): void {
  const { terminal, result, params } = input;
  const c = terminal.color;
  const start = result.findings.find((f) => f.code === "incident.start");
  const baselineOf = outputsOf(input, "signins")?.baseline as { sufficient?: boolean; days?: number } | undefined;
  const verdict = investigationVerdict({
    findings: result.findings,
    incidentStart: start?.occurredAt ?? null,
    unread: unreadOf(input),
    lookback: str(params.lookback),
    readUntil: input.context.clock.now().toISOString(),
    ...(baselineOf?.sufficient === false ? { shortBaselineDays: baselineOf.days ?? 0 } : {}),
  });
  const paint = verdict.kind === "no-evidence" ? c.green.bold : verdict.kind === "suspicious" ? c.yellow.bold : c.red.bold;
  const lines = [paint(verdict.line), ...header(input, `Investigation of ${str(params.upn)} over ${str(params.lookback)}`)];
  lines.push("", c.bold("Incident start"));
  const signinsRead = readState(input, "signins");
  const signinsOut = outputsOf(input, "signins");
  if (start) {
    const rule = str(start.data?.rule);
    const confidence = str(start.data?.confidence);
    lines.push(`  ${c.red.bold(when(start.occurredAt))}  ${start.summary}${rule ? c.dim(`  (rule: ${rule}${confidence ? `, confidence ${confidence}` : ""})`) : ""}`);
  } else if (signinsRead === "not read") {
    lines.push(c.red("  not known: the sign-ins were not read"));
  } else {
    lines.push(`  none found: no successful high-risk sign-in, and no new network corroborated by another sign${signinsRead === "partial" ? c.red(" (but the sign-ins were read only in part)") : ""}`);
  }
  const baseline = signinsOut?.baseline as { sufficient?: boolean; days?: number } | undefined;
  if (baseline && baseline.sufficient === false) lines.push(c.yellow(`  no baseline: only ${baseline.days ?? 0} day(s) of sign-in history before the window, so "new network" could not be judged`));
  if (signinsOut?.signinRisk === "hidden") lines.push(c.yellow("  sign-in risk is hidden in this tenant (no Entra ID P2): the start rests on other signs"));
  const signins = (outputsOf(input, "signins")?.flaggedSignins ?? []) as Array<Record<string, unknown>>;
  // which findings name each sign-in (by request id) -> its flags column
  const flags = new Map<string, Set<string>>();
  for (const f of result.findings) {
    if (f.code === "incident.start") continue;
    for (const row of f.evidence) {
      const id = str(row.Id);
      if (id) (flags.get(id) ?? flags.set(id, new Set()).get(id)!).add(f.code.replace(/^(signin|ca)\./, ""));
    }
  }
  lines.push("", c.bold(`Flagged sign-ins (${signins.length})`));
  if (signins.length) {
    // Sign-ins alike (same IP, network, app, result, risk and flags) are one row with their count and time span.
    const groups = new Map<string, { first: string; last: string; n: number; cells: string[] }>();
    for (const r of signins) {
      const at = str(r.CreatedDateTime ?? r.TimeGenerated ?? r.time);
      const cells = [str(r.IPAddress), str(r.Location), str(r.AutonomousSystemNumber), str(r.AppDisplayName), str(r.ResultType), str(r.RiskLevelDuringSignIn), [...(flags.get(str(r.Id)) ?? [])].join(" ")];
      const key = cells.join("\u0000");
      const g = groups.get(key);
      if (g) {
        g.n += 1;
        if (at < g.first) g.first = at;
        if (at > g.last) g.last = at;
      } else groups.set(key, { first: at, last: at, n: 1, cells });
    }
    const shown = [...groups.values()].sort((a, b) => a.first.localeCompare(b.first)).slice(0, 40);
    if (input.terminal.width >= 140) {
      const rows = shown.map((g) => [when(g.first), g.n > 1 ? `${g.n}, to ${when(g.last)}` : "1", ...g.cells]);
      lines.push(...table(input, ["first", "count", "ip", "country", "asn", "app", "result", "risk", "flags"], rows));
    } else {
      // Narrow: the network in one column, and the risk and flags on a line of their own under each row.
      const rows = shown.map((g) => {
        const [ip, country, asn, app, result, risk, flagText] = g.cells as [string, string, string, string, string, string, string];
        return { cells: [when(g.first), String(g.n), ip, `${country} ${asn}`.trim(), app, result], more: [risk && risk !== "none" ? `risk ${risk}` : "", flagText].filter(Boolean).join("; ") };
      });
      const [head, ...body] = table(input, ["first", "n", "ip", "network", "app", "result"], rows.map((r) => r.cells));
      lines.push(head!);
      body.forEach((line, i) => {
        lines.push(line);
        if (rows[i]!.more) lines.push(c.dim(`      ${rows[i]!.more}`));
      });
    }
    if (groups.size > 40) lines.push(c.dim(`  ... ${groups.size - 40} more groups in the timeline`));
  }
  const other = findingsOf(input, "signin.");
  if (other.length) lines.push("", c.bold("Sign-in findings"), ...findingLines(input, other));
  const audit = findingsOf(input, "audit.");
  const auditRead = readState(input, "audit");
  lines.push("", c.bold(`Audit operations (${audit.length})`), ...(audit.length ? findingLines(input, audit) : [auditRead === "read" ? "  none" : c.red(`  ${auditRead === "partial" ? "none in the part read" : "not read"}`)]));
  const office = findingsOf(input, "office.");
  const officeRead = readState(input, "office");
  if (office.length || outputsOf(input, "office") || officeRead !== "read") {
    const empty = officeRead === "read" ? "  no forwarding or inbox rules" : c.red(`  ${officeRead === "partial" ? "none in the part read" : "not read"}`);
    lines.push("", c.bold("Mailbox (OfficeActivity)"), ...(office.length ? findingLines(input, office) : [empty]));
  }
  lines.push("", c.bold("Conditional-access bypass triage"));
  for (const [code, label] of [
    ["ca.device-code", "device-code flow"],
    ["ca.legacy-auth", "legacy authentication"],
    ["ca.compliant-mismatch", "compliant claim from an unknown device"],
  ] as const) {
    const hits = result.findings.filter((f) => f.code === code);
    const none = signinsRead === "read" ? c.green("none") : c.red(signinsRead === "partial" ? "none in the part read" : "not read");
    lines.push(`  ${label.padEnd(40)} ${hits.length ? c.red(`${hits.length} sign-in(s)`) : none}`);
    lines.push(...findingLines(input, hits).map((l) => `  ${l}`));
  }
  const alerts = findingsOf(input, "defender.");
  const alertsRead = readState(input, "alerts");
  const noAlerts = alertsRead === "read" ? "  none with Execution, Persistence or CredentialAccess" : c.red(`  ${alertsRead === "partial" ? "none in the part read" : "not read"}`);
  lines.push("", c.bold(`Defender for Cloud alerts (${alerts.length})`), ...(alerts.length ? findingLines(input, alerts) : [noAlerts]));
  const vms = (outputsOf(input, "alerts")?.vmResourceIds ?? []) as string[];
  if (vms.length) {
    lines.push(c.yellow.bold(`  VM forensics advised before anyone stops ${vms.length === 1 ? "it" : "them"} (the alerts point at ${vms.map((v) => v.split("/").at(-1)).join(", ")}):`));
    for (const vm of vms) lines.push(`    ${snapshotCommand(input, vm)}`);
  }
  lines.push(...gapLines(input), ...failureLines(input));
  if (start && result.status === "completed") lines.push("", `next: azir contain ${str(params.upn)}${sameTenant(input)}`);
  terminal.line(lines.join("\n"));
}

/** The exact `azir snapshot` command for a VM, by name and resource group (short enough to copy at 80 columns). */
function snapshotCommand(input: RunSummaryInput, vmId: string): string {
  const parts = vmId.split("/");
  const [sub, rg, name] = [parts[2], parts[4], parts.at(-1)];
  if (!sub || !rg || !name) return `azir snapshot ${vmId}${sameTenant(input)}`;
  const other = input.context.subscriptionId && sub.toLowerCase() !== input.context.subscriptionId.toLowerCase() ? ` --subscription ${sub}` : "";
  return `azir snapshot ${name} --resource-group ${rg}${other}${sameTenant(input)}`;
}

/** `azir contain`: what was done, what was skipped, what to do next. */
export function renderContainment(input: RunSummaryInput): void {
  const { terminal, result, params, document } = input;
  const c = terminal.color;
  const lines = header(input, `Containment of ${str(params.upn)}`);
  const start = result.findings.find((f) => f.code === "incident.start");
  const confidence = str(start?.data?.confidence);
  lines.push(`${c.dim("incident start:")} ${start ? `${when(start.occurredAt)} ${c.dim(`(${str(start.data?.rule)}${confidence ? `, confidence ${confidence}` : ""})`)}` : "not found in the logs"}`);
  const baseline = outputsOf(input, "signins")?.baseline as { sufficient?: boolean; days?: number } | undefined;
  if (baseline?.sufficient === false) lines.push(c.yellow(`no baseline: only ${baseline.days ?? 0} day(s) of sign-in history before the window; the start and what counts as the attacker's rest on fewer signs`));
  lines.push("", c.bold("Actions"));
  // A step that could not be done (a licence the tenant lacks) is recorded as skipped with a reason saying so.
  const notDone = (e: (typeof document.actions)[number]): string | undefined =>
    e.kind === "action.skipped" && typeof e.data.reason === "string" && e.data.reason.startsWith("not done: ") ? e.data.reason.slice("not done: ".length) : undefined;
  for (const e of document.actions) {
    const reason = notDone(e);
    if (reason !== undefined) {
      lines.push(`  ${c.yellow.bold("not done")} ${reason}`);
      continue;
    }
    const mark = e.kind === "action" ? c.green("done    ") : e.kind === "action.planned" ? c.yellow("planned ") : c.dim("skipped ");
    lines.push(`  ${mark} ${e.summary}`);
    if (e.kind === "action.planned") lines.push(c.dim(`           ${e.data.method} ${e.data.url}${e.data.body === undefined ? "" : ` ${JSON.stringify(e.data.body)}`}  [${e.data.permission}]`));
  }
  lines.push(...decisionLines(input));
  // the propagation note is repeated under Next, with the command to run
  const shown = new Set(document.actions.map((e) => (typeof e.data.reason === "string" ? e.data.reason : "")));
  const notes = document.response.filter(
    (e) => e.kind === "note" && e.step && !("stepCompleted" in e.data) && !("resumed" in e.data) && !/propagate/.test(e.summary) && !shown.has(e.summary),
  );
  if (notes.length) lines.push("", c.bold("Notes"), ...notes.map((n) => `  ${n.summary}`));
  const open = stillOpen(result.findings, start !== undefined);
  lines.push("", c.bold(`Still open (${open.length})`));
  if (!start && open.length > 0) lines.push(c.yellow("  the incident start is not known, so every persistence change of the lookback is listed: review each"));
  if (open.length === 0 && readState(input, "audit") === "read") lines.push("  nothing containment leaves open was found in the audit log");
  for (const item of open) lines.push(`  ${when(item.occurredAt)}  ${item.summary}`, c.dim(`    next: ${item.next}`));
  // What was not read cannot be called closed.
  for (const [role, what] of [["audit", "app credentials, roles, consents and policy changes (the audit log)"], ["office", "mailbox rules and forwarding (OfficeActivity)"]] as const) {
    const state = readState(input, role);
    if (state !== "read") lines.push(c.red(`  not known: ${what} ${state === "partial" ? "read only in part" : "not read"}`));
  }
  lines.push(...gapLines(input), ...failureLines(input));
  const revoke = outputsOf(input, "revoke");
  lines.push("", c.bold("Next"));
  // Whatever else failed, a revocation that was sent is verified after it propagates.
  if ((typeof revoke?.revokedAt === "string" || result.status === "completed") && !input.context.dryRun) {
    lines.push(`  revocation takes minutes to propagate (up to ~15 min with continuous access evaluation; access tokens live 60-90 min)`);
    lines.push(`  then run: azir verify ${str(params.upn)} --since ${str(revoke?.revokedAt ?? input.context.clock.now().toISOString())}${sameTenant(input)}`);
    lines.push(`  reset the password; then work through Still open above`);
    if (open.length > 0) lines.push(`  app credentials, roles, consents, Conditional Access and mailbox forwarding: azir harden ${str(params.upn)}${sameTenant(input)}`);
  } else if (input.context.dryRun) {
    lines.push(`  review the planned writes above; run again without --dry-run to send them`);
  }
  terminal.line(lines.join("\n"));
}

/** Steps that ended `not done: needs a decision`: what azir could not decide, each item with what is known of it. */
function decisionLines(input: RunSummaryInput): string[] {
  const c = input.terminal.color;
  const out: string[] = [];
  for (const e of input.document.response) {
    if (e.kind !== "error" || e.data.code !== "needs-decision") continue;
    out.push(`  ${c.red.bold("not done")} ${e.summary.replace(/^[^:]+: not done: /, "")}`);
    const items = Array.isArray(e.data.items) ? (e.data.items as Array<Record<string, unknown>>) : [];
    for (const m of items) {
      const known = [
        m.createdDateTime ? `created ${when(str(m.createdDateTime))}` : "no creation time",
        ...(m.registeredAt ? [`registered ${when(str(m.registeredAt))}${m.registeredFrom ? ` from ${str(m.registeredFrom)}` : ""}`] : []),
      ].join(", ");
      out.push(`           ${str(m.label)} ${c.dim(str(m.id))}: ${known}`);
      out.push(c.dim(`             ${str(m.reason)}`));
    }
    if (typeof e.data.hint === "string") out.push(`           ${c.bold("decide:")} ${e.data.hint}`);
  }
  return out;
}

/** `azir hunt device-code`: users by distinct IPs. */
export function renderHunt(input: RunSummaryInput): void {
  const { terminal, params } = input;
  const c = terminal.color;
  const lines = header(input, `Device-code hunt over ${str(params.lookback)} (tenant-wide)`);
  const users = (outputsOf(input, "device-code-hunt")?.users ?? []) as Array<Record<string, unknown>>;
  if (!users.length) lines.push("", "no device-code sign-ins");
  else {
    const rows = users.map((u) => [str(u.upn), str(u.signIns), str(u.distinctIps), when(str(u.firstSeen)), when(str(u.lastSeen))]);
    lines.push("", ...table(input, ["user", "sign-ins", "distinct IPs", "first", "last"], rows));
  }
  lines.push(...gapLines(input), ...failureLines(input));
  terminal.line(lines.join("\n"));
}

/** `azir verify`: sign-ins after containment. */
export function renderVerify(input: RunSummaryInput): void {
  const { terminal, params } = input;
  const c = terminal.color;
  const lines = header(input, `Verification for ${str(params.upn)} since ${str(params.since)}`);
  const hits = findingsOf(input, "contain.");
  const coverage = outputsOf(input, "coverage");
  const coveredUntil = typeof coverage?.coveredUntil === "string" ? coverage.coveredUntil : undefined;
  const again = typeof coverage?.checkAgainAt === "string" ? ` check again after ${when(coverage.checkAgainAt)}` : "";
  if (hits.length) lines.push("", c.red.bold(`${hits.length} successful sign-in(s) after containment:`));
  else if (readState(input, "signins-after-containment") !== "read") lines.push("", c.red.bold("not known: the sign-ins since containment were not read whole (see gaps)"));
  else if (coverage?.caughtUp === true) lines.push("", c.green(`no successful sign-in since containment in the sign-ins that have arrived (up to ${when(coveredUntil)});${again}, as sign-in logs arrive minutes late`));
  else lines.push("", c.yellow.bold(`not known yet: no sign-in of anyone has reached the workspace since ${when(str(params.since))} (${coveredUntil ? `newest: ${when(coveredUntil)}` : "none"}); Entra sign-in logs arrive minutes after the event:${again}`));
  lines.push(...findingLines(input, hits));
  lines.push(...gapLines(input), ...failureLines(input));
  terminal.line(lines.join("\n"));
}

/** `azir snapshot`: the VM's state, each disk's snapshot, lock and hashed copy, then what is left. */
export function renderSnapshot(input: RunSummaryInput): void {
  const { terminal, result, params, document } = input;
  const c = terminal.color;
  const snap = outputsOf(input, "snapshot");
  const lines = header(input, `VM forensics of ${str(snap?.vmName ?? params.vm)}`);
  if (snap?.vmId) lines.push(`${c.dim("vm:")} ${str(snap.vmId)}`);
  const power = snap ? snap.powerState : undefined;
  if (typeof power === "string") lines.push(`${c.dim("power state:")} ${power === "running" ? c.green(power) : c.red.bold(`${power.toUpperCase()}: memory is lost; the disks are the evidence left`)}`);
  else if (snap) lines.push(c.yellow("power state: not read"));
  lines.push(c.dim("azir never stops, deallocates or deletes a VM or a disk."));
  const snapshots = (snap?.snapshots ?? []) as Array<{ id: string; name: string; diskName: string; incremental: boolean; reused: boolean }>;
  const copies = (outputsOf(input, "export")?.copies ?? []) as Array<{ snapshotId: string; sha256: string; bytes: number; blobUrl: string; method: string }>;
  const locks = (outputsOf(input, "lock")?.locks ?? []) as Array<{ scope: string; state: string }>;
  const isLocked = (l: { state: string } | undefined): boolean => l?.state === "set" || l?.state === "kept";
  if (snapshots.length) {
    lines.push("", c.bold("Evidence"));
    for (const s of snapshots) {
      const copy = copies.find((x) => x.snapshotId === s.id);
      const lock = locks.find((l) => l.scope === s.id);
      const locked = isLocked(lock) ? ", locked" : lock?.state === "planned" ? ", lock planned" : c.red(", NOT locked");
      lines.push(`  ${c.bold(s.diskName)}  ${s.incremental ? "incremental" : "full"} snapshot${s.reused ? " (reused)" : ""}${locked}`);
      lines.push(c.dim(`    ${s.id}`));
      if (copy) lines.push(`    copy: ${copy.blobUrl} (${copy.bytes} bytes, ${copy.method})`, `    sha256: ${copy.sha256}`);
      else lines.push(c.red(`    copy: not made${input.context.dryRun ? " (dry run)" : ""}`));
    }
    const account = locks.find((l) => !snapshots.some((s) => s.id === l.scope));
    if (account) lines.push(`  storage account ${account.scope.split("/").at(-1)}: ${isLocked(account) ? `locked${account.state === "kept" ? " (lock kept)" : ""}` : account.state === "planned" ? "lock planned" : c.red("NOT locked")}`);
  }
  if (document.actions.some((e) => e.kind === "action.planned")) {
    lines.push("", c.bold("Planned writes"));
    for (const e of document.actions.filter((x) => x.kind === "action.planned")) lines.push(`  ${e.summary}`, c.dim(`    ${str(e.data.method)} ${str(e.data.url)}  [${str(e.data.permission)}]`));
  }
  const notes = document.response.filter((e) => e.kind === "note" && e.step && !("stepCompleted" in e.data) && !("resumed" in e.data) && !/^copied /.test(e.summary));
  if (notes.length) lines.push("", c.bold("Notes"), ...notes.map((n) => (n.summary.startsWith("WARNING") ? c.red.bold(`  ${n.summary}`) : `  ${n.summary}`)));
  lines.push(...decisionLines(input), ...failureLines(input));
  if (result.status === "completed" && !input.context.dryRun) lines.push("", c.bold("Next"), "  hand the copies' SHA-256 and this timeline to the examiner; the timeline's chain of custody names who ran it, from where, as whom");
  terminal.line(lines.join("\n"));
}

/** The Actions block of a command that writes: done, planned (with the exact request), skipped, not done. */
function actionLines(input: RunSummaryInput): string[] {
  const c = input.terminal.color;
  const lines: string[] = [];
  for (const e of input.document.actions) {
    if (e.kind === "action.skipped" && typeof e.data.reason === "string" && e.data.reason.startsWith("not done: ")) {
      lines.push(`  ${c.yellow.bold("not done")} ${e.data.reason.slice("not done: ".length)}`);
      continue;
    }
    const mark = e.kind === "action" ? c.green("done    ") : e.kind === "action.planned" ? c.yellow("planned ") : c.dim("skipped ");
    lines.push(`  ${mark} ${e.summary}`);
    if (e.kind === "action.planned") lines.push(c.dim(`           ${e.data.method} ${e.data.url}${e.data.body === undefined ? "" : ` ${JSON.stringify(e.data.body)}`}  [${e.data.permission}]`));
  }
  for (const e of input.document.response) if (e.kind === "error" && e.step && e.data.code !== "needs-decision" && "action" in e.data) lines.push(`  ${c.red.bold("failed  ")} ${e.summary}`);
  return lines;
}

/** The leaves that differ between two JSON values (arrays compared whole): `conditions.users.excludeUsers: [...] -> [...]`. */
export function changedPaths(before: unknown, after: unknown, path = ""): Array<{ path: string; before: string; after: string }> {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => changedPaths(before[k], after[k], path ? `${path}.${k}` : k));
  }
  const b = JSON.stringify(before ?? null);
  const a = JSON.stringify(after ?? null);
  return a === b ? [] : [{ path: path || "(value)", before: b, after: a }];
}

/** PowerShell single-quoted literal. */
const ps = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The Exchange Online command that removes one forwarding or hiding finding of the mailbox step. */
export function exchangeCommand(upn: string, f: Pick<Finding, "code" | "data">): string {
  const operation = str(f.data?.operation).toLowerCase();
  const rule = str(f.data?.ruleName);
  if (rule !== "" && /inboxrule/.test(operation)) return `Remove-InboxRule -Mailbox ${ps(upn)} -Identity ${ps(rule)} -Confirm:$false`;
  if (/set-mailbox/.test(operation)) return `Set-Mailbox -Identity ${ps(upn)} -ForwardingSmtpAddress $null -ForwardingAddress $null -DeliverToMailboxAndForward $false`;
  return `Get-InboxRule -Mailbox ${ps(upn)} | Format-List Name,Enabled,ForwardTo,RedirectTo,DeleteMessage,MoveToFolder; then Remove-InboxRule -Mailbox ${ps(upn)} -Identity <rule>`;
}

/** `azir harden`: what was rotated and removed, what is flagged, what a person must still do. */
export function renderHardening(input: RunSummaryInput): void {
  const { terminal, result, params } = input;
  const c = terminal.color;
  const upn = str(params.upn);
  const unreadByActions = hardeningUnread(input);
  const lines = header(input, `Hardening after the compromise of ${upn}`, unreadByActions.length);
  if (unreadByActions.length > 0) lines.push(c.red.bold(`INCOMPLETE: hardening could not read ${unreadByActions.length} thing(s) (listed below): do not read those areas as clean (each says why below), and run azir harden again to read them`));
  const start = result.findings.find((f) => f.code === "incident.start");
  lines.push(`${c.dim("incident start:")} ${start ? when(start.occurredAt) : c.yellow("not found in the logs: the window is not known")}`);
  lines.push("", c.bold("Actions"), ...actionLines(input), ...decisionLines(input));
  const section = (title: string, role: StepRole, codes: string[]): void => {
    const found = result.findings.filter((f) => codes.includes(f.code)).sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
    const outputs = outputsOf(input, role);
    const unread = (outputs?.unread ?? []) as string[];
    lines.push("", c.bold(`${title} (${found.length} flagged)`));
    if (!outputs) lines.push(c.red("  not known: the step did not run"));
    lines.push(...findingLines(input, found));
    for (const what of unread) lines.push(c.red(`  not read: ${what}`));
  };
  section("App credentials", "rotate-app-credentials", ["harden.app-credential-added"]);
  const apps = (outputsOf(input, "rotate-app-credentials")?.apps ?? []) as Array<Record<string, unknown>>;
  for (const a of apps) lines.push(`  ${str(a.kind).padEnd(16)} ${str(a.displayName ?? a.objectId)}: ${a.newSecret ? "new secret, " : ""}${(a.removeKeyIds as string[] | undefined)?.length ?? 0} old secret(s) to remove  ${c.dim(((a.why as string[] | undefined) ?? []).join("; "))}`);
  const certificates = (outputsOf(input, "rotate-app-credentials")?.certificates ?? []) as Array<Record<string, unknown>>;
  for (const cert of certificates) lines.push(c.yellow(`  certificate ${str(cert.keyId)} of ${str(cert.app)} (expires ${when(str(cert.endDateTime))}): review it`));
  section("Privileged roles", "privileged-roles", ["harden.new-privileged-assignment"]);
  // Every member, so the responder sees who holds what, flagged or not.
  const holders = (outputsOf(input, "privileged-roles")?.members ?? []) as Array<{ role?: string; kind?: string; principal?: string; principalType?: string; flagged?: boolean }>;
  for (const role of [...new Set(holders.map((m) => str(m.role)))]) {
    const of = holders.filter((m) => m.role === role);
    const name = (m: (typeof holders)[number]) => `${m.principalType === "group" ? "group " : ""}${str(m.principal)}${m.kind === "eligible" ? " (eligible)" : ""}${m.flagged ? c.red(" [flagged]") : ""}`;
    lines.push(c.dim(`  ${role}: `) + of.map(name).join(", "));
  }
  section("Consents", "consents", ["harden.consent-in-window"]);
  section("Conditional Access and named locations", "conditional-access", ["harden.ca-policy-changed", "harden.named-location-new"]);
  // The audit row's before and after, where it carries them: what changed, to revert.
  for (const f of result.findings.filter((x) => x.code === "harden.ca-policy-changed")) {
    for (const change of (f.data?.changes ?? []) as Array<{ at?: string; before?: unknown; after?: unknown }>) {
      for (const d of changedPaths(change.before, change.after)) lines.push(c.dim(`    ${str(f.data?.policyId).slice(0, 8)}… ${d.path}: ${d.before} -> ${d.after}`));
    }
  }
  const mail = findingsOf(input, "office.").filter((f) => f.code === "office.forwarding-rule" || f.code === "office.hiding-rule");
  const officeRead = readState(input, "office");
  lines.push("", c.bold(`Mailbox forwarding (${mail.length})`), c.dim("  Graph cannot change the inbox rules or forwarding of another user's mailbox: run these in Exchange Online PowerShell (Connect-ExchangeOnline)"));
  if (officeRead !== "read") lines.push(c.red(`  not known: the mailbox rules were ${officeRead === "partial" ? "read only in part" : "not read"}`));
  else if (mail.length === 0) lines.push("  no forwarding or hiding rule in the mailbox audit (OfficeActivity)");
  for (const f of mail) lines.push(`  ${when(f.occurredAt)}  ${f.summary}`, `    ${c.bold(exchangeCommand(upn, f))}`);
  const notes = input.document.response.filter((e) => e.kind === "note" && e.step && !("stepCompleted" in e.data) && !("resumed" in e.data));
  if (notes.length) lines.push("", c.bold("Notes"), ...notes.map((n) => `  ${n.summary}`));
  lines.push(...gapLines(input), ...failureLines(input));
  lines.push("", c.bold("Next"));
  if (input.context.dryRun) lines.push("  review the planned writes above; run again without --dry-run to send them");
  else {
    const manual = result.findings.some((f) => ["harden.ca-policy-changed", "harden.named-location-new", "office.forwarding-rule", "office.hiding-rule"].includes(f.code) || (f.code.startsWith("harden.") && f.data?.fix === undefined));
    if (manual) lines.push("  revert what is flagged above that azir cannot write (Conditional Access, named locations, mailbox forwarding, certificates), then run azir harden again");
    lines.push(`  reset the password; when nothing of high severity is open: azir release ${upn} --reason "<why>"${sameTenant(input)}`);
  }
  terminal.line(lines.join("\n"));
}

const hardeningRoles: readonly StepRole[] = ["rotate-app-credentials", "privileged-roles", "consents", "conditional-access"];

/** What the hardening actions could not read (their `unread` outputs): never a clean area. */
export function hardeningUnread(input: Pick<RunOutcome, "runbook" | "result">): string[] {
  return hardeningRoles.flatMap((role) => {
    const step = input.runbook.steps.find((s) => s.role === role);
    const outputs = step ? input.result.outputs[step.id] : undefined;
    return Array.isArray(outputs?.unread) ? (outputs.unread as unknown[]).map(String) : [];
  });
}

/** `azir release`: the re-enable, and who released the account and why. */
export function renderRelease(input: RunSummaryInput): void {
  const { terminal, params } = input;
  const c = terminal.color;
  const lines = header(input, `Release of ${str(params.upn)}`);
  lines.push("", c.bold("Actions"), ...actionLines(input));
  const notes = input.document.response.filter((e) => e.kind === "note" && e.step && !("stepCompleted" in e.data));
  if (notes.length) lines.push("", c.bold("Notes"), ...notes.map((n) => `  ${n.summary}`));
  lines.push(...failureLines(input));
  terminal.line(lines.join("\n"));
}

/** `azir respond`: the whole incident, verdict first, then what was done in each section and what is left. */
export function renderResponse(input: RunSummaryInput): void {
  const { terminal, result, params, document } = input;
  const c = terminal.color;
  const upn = str(params.upn);
  const verdict = document.summary.verdict;
  const paint = !verdict ? c.bold : verdict.kind === "no-evidence" ? c.green.bold : verdict.kind === "suspicious" ? c.yellow.bold : c.red.bold;
  const lines = [paint(verdict?.line ?? "no verdict: the sign-ins were not read"), ...header(input, `Response to the compromise of ${upn}`)];
  const start = result.findings.find((f) => f.code === "incident.start");
  lines.push(`${c.dim("incident start:")} ${start ? when(start.occurredAt) : c.yellow("not found in the logs")}`);
  const f = document.summary.findings;
  lines.push(`${c.dim("findings:")} ${f.total} (${f.critical} critical, ${f.high} high, ${f.medium} medium)   ${c.dim("indicators:")} ${document.indicators.length}   ${c.dim("techniques:")} ${(document.summary.techniques ?? []).map((t) => t.id).join(" ") || "-"}`);
  const sections: Array<[string, string]> = [
    ["contain", "Containment"],
    ["forensics", "VM forensics"],
    ["harden", "Hardening"],
  ];
  for (const [prefix, title] of sections) {
    const own = (step: string | undefined): boolean => (step ?? "").startsWith(`${prefix}-`);
    const actions = document.actions.filter((e) => own(e.step));
    const skippedAll = result.steps.filter((s) => own(s.id)).every((s) => s.status === "skipped");
    lines.push("", c.bold(title));
    if (prefix === "forensics" && skippedAll) {
      lines.push(c.dim("  no VM: the Defender alerts point at none"));
      continue;
    }
    for (const e of actions) {
      const reason = e.kind === "action.skipped" && typeof e.data.reason === "string" && e.data.reason.startsWith("not done: ") ? e.data.reason.slice("not done: ".length) : undefined;
      const mark = reason !== undefined ? c.yellow.bold("not done") : e.kind === "action" ? c.green("done    ") : e.kind === "action.planned" ? c.yellow("planned ") : c.dim("skipped ");
      lines.push(`  ${mark} ${reason ?? e.summary}`);
    }
    for (const e of document.response) if (e.kind === "error" && own(e.step) && "action" in e.data && e.data.code !== "needs-decision") lines.push(`  ${c.red.bold("failed  ")} ${e.summary}`);
    if (prefix === "forensics") {
      const copies = (outputsOf(input, "export")?.copies ?? []) as Array<{ snapshotId: string; sha256: string }>;
      for (const copy of copies) lines.push(`  ${c.dim("sha256")} ${copy.sha256}  ${copy.snapshotId.split("/").at(-1)}`);
    }
  }
  lines.push(...decisionLines(input));
  // What a later section of this same run took care of is not open any more: say which step did it.
  const handledBy: Array<[RegExp, StepRole]> = [
    [/^audit\.(sp-credentials-added|app-updated)$/, "rotate-app-credentials"],
    [/^audit\.role-member-added$/, "privileged-roles"],
    [/^audit\.consent-/, "consents"],
    [/^defender\.alert$/, "export"],
  ];
  const completed = (role: StepRole): string | undefined => {
    const step = input.runbook.steps.find((s) => s.role === role);
    const outcome = step ? result.steps.find((s) => s.id === step.id) : undefined;
    return outcome && outcome.status === "completed" && !outcome.error ? outcome.id : undefined;
  };
  const open = (document.summary.stillOpen ?? []).map((item) => ({ item, by: handledBy.map(([code, role]) => (code.test(item.code) ? completed(role) : undefined)).find(Boolean) }));
  const left = open.filter((o) => !o.by);
  lines.push("", c.bold(`Still open (${left.length})`));
  for (const { item } of left) lines.push(`  ${when(item.occurredAt)}  ${item.summary}`, c.dim(`    next: ${item.next}`));
  const done = open.filter((o) => o.by);
  if (done.length) lines.push("", c.bold(`Taken care of by this run (${done.length})`), ...done.map(({ item, by }) => `  ${when(item.occurredAt)}  ${item.summary} ${c.dim(`(${by})`)}`));
  lines.push(...gapLines(input), ...failureLines(input));
  lines.push("", c.bold("Next"));
  const revoke = outputsOf(input, "revoke");
  if (!input.context.dryRun && typeof revoke?.revokedAt === "string") lines.push(`  after the revocation propagates: azir verify ${upn} --since ${str(revoke.revokedAt)}${sameTenant(input)}`);
  lines.push(`  when what is open is closed: azir release ${upn} --reason "<why>"${sameTenant(input)}`);
  lines.push(`  the report: azir timeline export ${input.journalPath} --format html --output report.html (md, csv, pdf too)`);
  terminal.line(lines.join("\n"));
}
