import { AzirError } from "../core/errors.js";
import type { TimelineDocument } from "./document.js";
import type { ActionLikeEvent, TimelineEvent } from "./event.js";
import { oneLine, shortTime } from "./render.js";
import { userSections } from "./sections.js";

export const exportFormats = ["json", "md", "csv", "html"] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** Renders a timeline document for a ticket (md), a spreadsheet (csv), a browser (html) or a program (json). */
export function exportTimeline(doc: TimelineDocument, format: ExportFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(doc, null, 2)}\n`;
    case "md":
      return toMarkdown(doc);
    case "csv":
      return toCsv(doc);
    case "html":
      return toHtml(doc);
    default:
      throw new AzirError("usage", `unknown export format: ${String(format)}`, { hint: `use one of ${exportFormats.join(", ")}` });
  }
}

function nextSteps(doc: TimelineDocument): string[] {
  const steps: string[] = [];
  for (const e of doc.response) if (e.kind === "note" && e.data.nextSteps) steps.push(...e.data.nextSteps);
  return steps;
}

function requestLine(e: ActionLikeEvent): string | undefined {
  if (e.kind === "action") return `${e.data.request.method} ${e.data.request.url}`;
  if (e.kind === "action.planned") return `${e.data.method} ${e.data.url}`;
  return undefined;
}

function permissionOf(e: ActionLikeEvent): string | undefined {
  return e.kind === "action.skipped" ? undefined : e.data.permission;
}

function targetOf(e: ActionLikeEvent): string | undefined {
  return e.data.target;
}

// --- Markdown ---------------------------------------------------------------------------------------------------

// CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that change rendering here
// (tables, emphasis, links, inline HTML, code).
function md(text: string): string {
  return oneLine(text).replace(/[\\`*_[\]<>|#!]/g, (c) => `\\${c}`);
}

function mdTable(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
}

function actionItems(events: ActionLikeEvent[]): string[] {
  return events.map((e) => {
    const parts = [`${shortTime(e.recordedAt)}`, md(e.summary)];
    const request = requestLine(e);
    if (request) parts.push(md(request));
    const permission = permissionOf(e);
    if (permission) parts.push(`permission ${md(permission)}`);
    if (e.kind === "action") parts.push(`**${e.data.status}**${e.data.httpStatus ? ` (HTTP ${e.data.httpStatus})` : ""}`);
    if (e.kind === "action.skipped") parts.push(`reason: ${md(e.data.reason)}`);
    return `- ${parts.join(" — ")}`;
  });
}

function toMarkdown(doc: TimelineDocument): string {
  const out: string[] = [];
  const title = doc.incident.subject ? `Incident ${md(doc.incident.id)}: ${md(doc.incident.subject)}` : `Incident ${md(doc.incident.id)}`;
  out.push(`# ${title}`, "");
  out.push(`- **Incident start:** ${doc.incident.start ? shortTime(doc.incident.start) : "not determined"}`);
  for (const r of doc.runs) {
    const end = r.finishedAt ? ` to ${shortTime(r.finishedAt)}` : "";
    out.push(`- **Run:** ${md(r.runbook || "(unnamed)")} in ${r.mode} mode, ${shortTime(r.startedAt)}${end}: ${r.status}${r.resumed ? " (resumed)" : ""}`);
  }
  out.push(
    doc.complete
      ? "- **Data:** complete"
      : `- **Data: INCOMPLETE**: ${doc.gaps.length} gap${doc.gaps.length === 1 ? "" : "s"}; do not read missing findings as clean`,
  );
  if (doc.integrity) {
    out.push(
      doc.integrity.verified
        ? `- **Integrity:** verified (journal head ${doc.integrity.headHash})`
        : `- **Integrity: BROKEN** at line ${doc.integrity.brokenAt?.line}: ${md(doc.integrity.brokenAt?.reason ?? "")}`,
    );
  }
  out.push("");

  out.push(`## Findings (${doc.findings.length})`, "");
  if (doc.findings.length === 0) out.push("None.", "");
  else {
    out.push(
      ...mdTable(
        ["Occurred (UTC)", "Severity", "Code", "Summary", "Evidence rows"],
        doc.findings.map((f) => [
          shortTime(f.occurredAt ?? f.data.occurredAt),
          f.data.severity,
          md(f.data.code),
          md(f.summary),
          String(f.data.evidence.length),
        ]),
      ),
      "",
    );
  }

  // A run over several users: a section per user, before the actions of all of them.
  const users = userSections(doc);
  if (users.length > 0) out.push(`## Users (${users.length})`, "");
  for (const u of users) {
    out.push(`### ${md(u.upn)}`, "", ...(u.actions.length === 0 ? ["No action."] : actionItems(u.actions)), ...u.errors.map((e) => `- error: ${md(e.summary)}`), "");
  }

  const sections: Array<[string, ActionLikeEvent["kind"]]> = [
    ["Actions taken", "action"],
    ["Actions planned (not sent)", "action.planned"],
    ["Actions skipped", "action.skipped"],
  ];
  for (const [heading, kind] of sections) {
    const items = doc.actions.filter((a) => a.kind === kind);
    if (items.length === 0 && kind !== "action") continue;
    out.push(`## ${heading} (${items.length})`, "");
    out.push(...(items.length === 0 ? ["None."] : actionItems(items)), "");
  }

  if (doc.gaps.length > 0) {
    out.push(`## Gaps (${doc.gaps.length})`, "");
    for (const g of doc.gaps) {
      out.push(`- ${md(g.data.query)}, ${g.data.window ? `${shortTime(g.data.window.start)} to ${shortTime(g.data.window.end)}` : "whole query"}: ${md(g.data.reason)}`);
    }
    out.push("");
  }

  const errors = doc.response.filter((e) => e.kind === "error");
  if (errors.length > 0) {
    out.push(`## Errors (${errors.length})`, "");
    for (const e of errors) out.push(`- ${shortTime(e.recordedAt)} ${e.step ? `[${md(e.step)}] ` : ""}${md(e.summary)}`);
    out.push("");
  }

  const next = nextSteps(doc);
  if (next.length > 0) {
    out.push("## Next steps", "");
    for (const s of next) out.push(`- [ ] ${md(s)}`);
    out.push("");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

// --- CSV (RFC 4180) ---------------------------------------------------------------------------------------------

const csvColumns = ["seq", "recordedAt", "occurredAt", "runId", "mode", "kind", "step", "summary", "data", "prev", "hash"] as const;

function csvField(value: string): string {
  // Cells that a spreadsheet would evaluate as a formula get a leading apostrophe (OWASP CSV injection advice):
  // summaries and data carry tenant-controlled text.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csvRow(e: TimelineEvent): string {
  const cells: Record<(typeof csvColumns)[number], string> = {
    seq: String(e.seq),
    recordedAt: e.recordedAt,
    occurredAt: e.occurredAt ?? "",
    runId: e.runId,
    mode: e.mode,
    kind: e.kind,
    step: e.step ?? "",
    summary: e.summary,
    data: JSON.stringify(e.data),
    prev: e.prev,
    hash: e.hash,
  };
  return csvColumns.map((c) => csvField(cells[c])).join(",");
}

/** One header row, then one row per event in response order; CRLF line ends as RFC 4180 says. */
function toCsv(doc: TimelineDocument): string {
  return [csvColumns.join(","), ...doc.response.map(csvRow)].map((line) => `${line}\r\n`).join("");
}

// --- HTML -------------------------------------------------------------------------------------------------------

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

const severityColour: Record<string, string> = {
  info: "#8a8f98",
  low: "#4f8fd6",
  medium: "#d9a21b",
  high: "#e0642b",
  critical: "#c4202b",
};

function responseColour(e: TimelineEvent): string {
  switch (e.kind) {
    case "action":
      return e.data.status === "failed" ? "#c4202b" : "#2f9e44";
    case "action.planned":
      return "#4f8fd6";
    case "action.skipped":
      return "#8a8f98";
    case "gap":
      return "#d9a21b";
    case "error":
      return "#c4202b";
    default:
      return "#b8bec7";
  }
}

interface Point {
  at: number;
  lane: 0 | 1;
  colour: string;
  label: string;
  big: boolean;
}

/** Tenant activity (by occurredAt) and azir's response (by recordedAt) on one time axis. */
function chart(doc: TimelineDocument): string {
  const points: Point[] = [];
  for (const e of doc.story) {
    const colour = e.kind === "finding" ? (severityColour[e.data.severity] ?? "#8a8f98") : "#8a8f98";
    points.push({ at: Date.parse(e.occurredAt!), lane: 0, colour, label: `${shortTime(e.occurredAt!)} ${e.kind}: ${oneLine(e.summary)}`, big: e.kind === "finding" });
  }
  for (const e of doc.response) {
    if (e.kind === "run.started" || e.kind === "run.resumed" || e.kind === "note") continue;
    const big = e.kind === "action" || e.kind === "action.planned" || e.kind === "action.skipped" || e.kind === "gap" || e.kind === "error";
    points.push({ at: Date.parse(e.recordedAt), lane: 1, colour: responseColour(e), label: `${shortTime(e.recordedAt)} ${e.kind}: ${oneLine(e.summary)}`, big });
  }
  if (points.length === 0) return "<p>No events to chart.</p>";

  const width = 960;
  const left = 170;
  const right = 70;
  const laneY = [50, 110];
  const height = 170;
  const min = Math.min(...points.map((p) => p.at));
  const max = Math.max(...points.map((p) => p.at));
  const span = max - min;
  const x = (at: number): number => (span === 0 ? (left + width - right) / 2 : left + ((at - min) / span) * (width - left - right));

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="Tenant activity and response actions over time">`,
  );
  const lanes = ["Tenant (occurred)", "Response (recorded)"];
  lanes.forEach((name, i) => {
    const y = laneY[i]!;
    parts.push(`<text x="10" y="${y + 4}" class="lane">${escapeHtml(name)}</text>`);
    parts.push(`<line x1="${left}" y1="${y}" x2="${width - right}" y2="${y}" class="axis"/>`);
  });
  const ticks = span === 0 ? [min] : [0, 0.25, 0.5, 0.75, 1].map((f) => min + f * span);
  for (const t of ticks) {
    const tx = x(t).toFixed(1);
    parts.push(`<line x1="${tx}" y1="30" x2="${tx}" y2="${height - 35}" class="tick"/>`);
    parts.push(`<text x="${tx}" y="${height - 18}" text-anchor="middle" class="tick-label">${escapeHtml(shortTime(new Date(t).toISOString()))}</text>`);
  }
  for (const p of points) {
    parts.push(
      `<circle cx="${x(p.at).toFixed(1)}" cy="${laneY[p.lane]}" r="${p.big ? 6 : 3.5}" fill="${p.colour}" fill-opacity="0.85"><title>${escapeHtml(p.label)}</title></circle>`,
    );
  }
  parts.push("</svg>");
  return parts.join("\n");
}

function htmlTable(head: string[], rows: string[][]): string {
  if (rows.length === 0) return "<p>None.</p>";
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("\n");
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function dataCell(value: unknown): string {
  const text = JSON.stringify(value, null, 1);
  return text === "{}" ? "" : `<details><summary>data</summary><pre>${escapeHtml(text)}</pre></details>`;
}

const css = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d2127;max-width:1200px}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d5dc}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #d0d5dc;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f2f4f7}pre{white-space:pre-wrap;margin:0;font-size:12px}.warn{color:#b02a1c;font-weight:600}
.axis{stroke:#6b7280;stroke-width:1}.tick{stroke:#e5e7eb;stroke-width:1}.lane,.tick-label{font-size:11px;fill:#374151}
.sev-high,.sev-critical,.failed{color:#b02a1c;font-weight:600}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{font-weight:600}`;

function toHtml(doc: TimelineDocument): string {
  const t = escapeHtml;
  const title = `Incident ${doc.incident.id}${doc.incident.subject ? `: ${doc.incident.subject}` : ""}`;
  const runs = doc.runs
    .map((r) => `<li>${t(r.runbook || "(unnamed)")} — ${t(r.mode)} — ${t(shortTime(r.startedAt))}${r.finishedAt ? ` to ${t(shortTime(r.finishedAt))}` : ""} — ${t(r.status)}${r.resumed ? " (resumed)" : ""}</li>`)
    .join("\n");
  const findings = htmlTable(
    ["Occurred (UTC)", "Severity", "Code", "Summary", "Evidence"],
    doc.findings.map((f) => [
      t(shortTime(f.occurredAt ?? f.data.occurredAt)),
      `<span class="sev-${t(f.data.severity)}">${t(f.data.severity)}</span>`,
      t(f.data.code),
      t(f.summary),
      f.data.evidence.length === 0 ? "" : `<details><summary>${f.data.evidence.length} rows</summary><pre>${t(JSON.stringify(f.data.evidence, null, 1))}</pre></details>`,
    ]),
  );
  const actions = htmlTable(
    ["Recorded (UTC)", "Kind", "Step", "Summary", "Target", "Request", "Permission", "Result"],
    doc.actions.map((a) => {
      const result = a.kind === "action" ? `<span class="${a.data.status === "failed" ? "failed" : ""}">${t(a.data.status)}${a.data.httpStatus ? ` (${a.data.httpStatus})` : ""}</span>` : a.kind === "action.skipped" ? t(a.data.reason) : "planned, not sent";
      return [t(shortTime(a.recordedAt)), t(a.kind), t(a.step ?? ""), t(a.summary), t(targetOf(a) ?? ""), t(requestLine(a) ?? ""), t(permissionOf(a) ?? ""), result];
    }),
  );
  const gaps = htmlTable(
    ["Query", "Window (UTC)", "Reason"],
    doc.gaps.map((g) => [t(g.data.query), t(g.data.window ? `${shortTime(g.data.window.start)} to ${shortTime(g.data.window.end)}` : "whole query"), t(g.data.reason)]),
  );
  const events = htmlTable(
    ["#", "Recorded (UTC)", "Occurred (UTC)", "Kind", "Step", "Summary", "Data"],
    doc.response.map((e) => [String(e.seq), t(shortTime(e.recordedAt)), t(e.occurredAt ? shortTime(e.occurredAt) : ""), t(e.kind), t(e.step ?? ""), t(e.summary), dataCell(e.data)]),
  );
  const next = nextSteps(doc);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t(title)}</title>
<style>${css}</style>
</head>
<body>
<h1>${t(title)}</h1>
<dl>
<dt>Incident start</dt><dd>${doc.incident.start ? t(shortTime(doc.incident.start)) : "not determined"}</dd>
<dt>Data</dt><dd>${doc.complete ? "complete" : `<span class="warn">incomplete: ${doc.gaps.length} gap(s); missing findings are not proof of a clean tenant</span>`}</dd>${
    doc.integrity
      ? `<dt>Integrity</dt><dd>${doc.integrity.verified ? `verified (journal head ${escapeHtml(doc.integrity.headHash ?? "")})` : `<span class="warn">BROKEN at line ${doc.integrity.brokenAt?.line}: ${escapeHtml(doc.integrity.brokenAt?.reason ?? "")}</span>`}</dd>`
      : ""
  }
<dt>Schema</dt><dd>${t(doc.schema)}</dd>
</dl>
<h2>Runs</h2>
<ul>
${runs}
</ul>
<h2>Timeline</h2>
${chart(doc)}
<h2>Findings (${doc.findings.length})</h2>
${findings}
${userSections(doc)
  .map((u) => `<h2>${t(u.upn)}</h2>\n<ul>\n${[...u.actions.map((a) => `<li>${t(a.kind)}: ${t(a.summary)}${a.kind === "action.skipped" ? ` (${t(a.data.reason)})` : a.kind === "action" ? ` (${t(a.data.status)})` : ""}</li>`), ...u.errors.map((e) => `<li class="failed">error: ${t(e.summary)}</li>`)].join("\n")}\n</ul>`)
  .join("\n")}
<h2>Response actions (${doc.actions.length})</h2>
${actions}
<h2>Gaps (${doc.gaps.length})</h2>
${gaps}
${next.length > 0 ? `<h2>Next steps</h2>\n<ul>\n${next.map((s) => `<li>${t(s)}</li>`).join("\n")}\n</ul>` : ""}
<h2>All events (${doc.response.length})</h2>
${events}
</body>
</html>
`;
}
