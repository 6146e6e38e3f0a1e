import type { TimelineDocument } from "../document.js";
import { oneLine, shortTime } from "../render.js";
import { userSections } from "../sections.js";
import { keyEvents, modeLine, operatorLine, permissionOf, requestLine, resultOf, titleOf, verdictLine, windowLine } from "./text.js";

// CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that change rendering here
// (tables, emphasis, links, inline HTML, code).
export function md(text: string): string {
  return oneLine(text).replace(/[\\`*_[\]<>|#!]/g, (c) => `\\${c}`);
}

/** Appends one by one: `out.push(...lines)` would overflow the stack with hundreds of thousands of rows. */
function append(out: string[], lines: readonly string[]): void {
  for (const line of lines) out.push(line);
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
}

/**
 * A ticket body: the verdict and what it rests on, the incident start, the key events in one chronological order,
 * the actions taken, what is still open, the indicators, and the checks to run next.
 */
export function toMarkdown(doc: TimelineDocument): string {
  const out: string[] = [`# ${md(titleOf(doc))}`, ""];
  if (doc.summary.exercise) out.push("> **Exercise**: a tabletop run on the simulated tenant, not a real incident.", "");
  out.push(`**Verdict:** ${md(verdictLine(doc))}`, "");
  out.push(`- **Incident start:** ${doc.incident.start ? shortTime(doc.incident.start) : "not determined"}`);
  const window = windowLine(doc);
  if (window) out.push(`- **Window:** ${window}`);
  out.push(`- **Mode:** ${modeLine(doc)}`);
  out.push(
    doc.complete ? "- **Data:** complete" : `- **Data: INCOMPLETE**: ${doc.gaps.length} gap${doc.gaps.length === 1 ? "" : "s"}; do not read missing findings as clean`,
  );
  const { findings: f, actions: a } = doc.summary;
  out.push(`- **Findings:** ${f.total} (${f.critical} critical, ${f.high} high, ${f.medium} medium, ${f.low} low, ${f.info} info)`);
  out.push(`- **Actions:** ${a.sent} sent, ${a.failed} failed, ${a.planned} planned, ${a.skipped} skipped`);
  const operator = operatorLine(doc);
  if (operator) out.push(`- **Run by:** ${md(operator)}`);
  out.push(`- **Tool:** azir ${md(doc.tool.version ?? "")}; runbooks ${doc.runbooks.map((r) => `${md(r.id)}${r.sha256 ? ` (sha256 ${r.sha256.slice(0, 12)})` : ""}`).join(", ") || "none"}`);
  if (doc.integrity) {
    out.push(
      doc.integrity.verified
        ? `- **Integrity:** verified (journal head ${doc.integrity.headHash})${doc.integrity.signatures ? `; ${md(doc.integrity.signatures)}` : ""}`
        : `- **Integrity: BROKEN** at line ${doc.integrity.brokenAt?.line}: ${md(doc.integrity.brokenAt?.reason ?? "")}`,
    );
  }
  out.push("");

  const events = keyEvents(doc);
  out.push(`## Key events (UTC, in order) (${events.length})`, "");
  if (events.length === 0) out.push("None.", "");
  else {
    append(out, table(["When (UTC)", "What", "Severity", "Summary"], events.map((e) => [shortTime(e.at), e.what === "finding" ? md(e.code ?? "") : "action", e.severity ?? md(e.result ?? ""), md(e.summary)])));
    out.push("");
  }

  // A run over several users: a section per user, before the actions of all of them.
  const users = userSections(doc);
  if (users.length > 0) out.push(`## Users (${users.length})`, "");
  for (const u of users) {
    out.push(`### ${md(u.upn)}`, "");
    if (u.actions.length === 0) out.push("No action.");
    for (const x of u.actions) out.push(`- ${shortTime(x.recordedAt)} ${md(x.summary)}: **${md(resultOf(x))}**`);
    append(out, u.errors.map((e) => `- error: ${md(e.summary)}`));
    out.push("");
  }

  const taken = doc.actions.filter((x) => x.kind !== "action.skipped");
  out.push(`## Actions (${taken.length})`, "");
  if (taken.length === 0) out.push("None.", "");
  for (const x of taken) {
    out.push(`- ${shortTime(x.recordedAt)} ${md(x.summary)}: **${md(resultOf(x))}**`);
    const request = requestLine(x);
    if (request) out.push(`  - \`${oneLine(request).replace(/`/g, "'")}\` (permission: ${md(permissionOf(x) ?? "")})`);
  }
  if (taken.length) out.push("");
  const skipped = doc.actions.filter((x) => x.kind === "action.skipped");
  if (skipped.length) out.push(`Skipped (already in effect or not done): ${skipped.map((x) => md(x.summary)).join("; ")}`, "");

  const open = doc.summary.stillOpen ?? [];
  out.push(`## Still open (${open.length})`, "");
  if (open.length === 0) out.push(doc.summary.stillOpen ? (doc.complete ? "Nothing the response leaves open was found." : "Nothing found in the data read; the data is INCOMPLETE.") : "Not assessed by this runbook.", "");
  for (const o of open) out.push(`- [ ] ${shortTime(o.occurredAt)} ${md(o.summary)}`, `  - next: ${md(o.next)}`);
  if (open.length) out.push("");

  out.push(`## Indicators (${doc.indicators.length})`, "");
  if (doc.indicators.length === 0) out.push("None.", "");
  else {
    append(out, table(["Type", "Value", "First seen (UTC)", "Last seen (UTC)", "Findings"], doc.indicators.map((i) => [i.type, md(i.value), shortTime(i.firstSeen), shortTime(i.lastSeen), md(i.findings.join(", "))])));
    out.push("");
  }

  if (doc.summary.techniques?.length) {
    out.push("## MITRE ATT&CK", "");
    for (const t of doc.summary.techniques) out.push(`- ${t.id} ${md(t.name)}: ${md(t.findings.join(", "))}`);
    out.push("");
  }

  if (doc.gaps.length > 0) {
    out.push(`## Gaps (${doc.gaps.length})`, "");
    for (const g of doc.gaps) out.push(`- ${md(g.data.query)}, ${g.data.window ? `${shortTime(g.data.window.start)} to ${shortTime(g.data.window.end)}` : "whole query"}: ${md(g.data.reason)}`);
    out.push("");
  }

  const errors = doc.response.filter((e) => e.kind === "error");
  if (errors.length > 0) {
    out.push(`## Errors (${errors.length})`, "");
    for (const e of errors) out.push(`- ${shortTime(e.recordedAt)} ${e.step ? `[${md(e.step)}] ` : ""}${md(e.summary)}`);
    out.push("");
  }

  if (doc.summary.nextChecks.length > 0) {
    out.push("## Next checks", "");
    for (const s of doc.summary.nextChecks) out.push(`- [ ] ${md(s)}`);
    out.push("");
  }
  return `${out.join("\n").trimEnd()}\n`;
}
