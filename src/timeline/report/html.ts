import type { TimelineDocument } from "../document.js";
import { shortTime } from "../render.js";
import { userSections } from "../sections.js";
import { chartLegend, escapeHtml as t, signInChart } from "./chart.js";
import { keyEvents, modeLine, operatorLine, permissionOf, requestLine, resultOf, titleOf, verdictLine, windowLine } from "./text.js";

function table(head: string[], rows: string[][], className = ""): string {
  if (rows.length === 0) return `<p class="muted">None.</p>`;
  const th = head.map((h) => `<th>${t(h)}</th>`).join("");
  return `<table${className ? ` class="${className}"` : ""}>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("\n")}\n</tbody>\n</table>`;
}

const css = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;color:#1d2127;max-width:1100px;padding:0 1rem}
h1{font-size:1.45rem;margin-bottom:.2rem}h2{font-size:1.1rem;margin-top:1.8rem;border-bottom:1px solid #d0d5dc;padding-bottom:.2rem}
.verdict{font-size:1.15rem;font-weight:700;padding:.6rem .8rem;border-radius:4px;margin:.8rem 0}
.v-compromised,.v-incomplete{background:#fbe4e4;color:#8a1020}.v-suspicious{background:#fff3d6;color:#7a4b00}.v-no-evidence,.v-none{background:#e3f4e8;color:#1d5f33}
.exercise{display:inline-block;background:#1d2127;color:#fff;font-weight:700;padding:.1rem .5rem;border-radius:3px;letter-spacing:.05em}
table{border-collapse:collapse;width:100%;font-size:12.5px;margin:.4rem 0}th,td{border:1px solid #d0d5dc;padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f2f4f7}td:first-child{white-space:nowrap}code{font-size:11.5px}pre{white-space:pre-wrap;margin:0;font-size:11.5px}.warn{color:#b02a1c;font-weight:600}.muted{color:#6b7280}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
.chart{border:1px solid #e5e7eb;border-radius:4px}.axis{stroke:#6b7280;stroke-width:1}.tick{stroke:#eceef1;stroke-width:1}
.lane,.tick-label,.action-label{font-size:11px;fill:#374151}.start{stroke:#c4202b;stroke-width:1.5;stroke-dasharray:4 3}.start-label{font-size:11px;fill:#c4202b}
.legend{font-size:12px;color:#374151}.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin:0 3px 0 10px;vertical-align:middle}.ring{border:2px solid #111;width:7px;height:7px}
.sev-high,.sev-critical,.failed{color:#b02a1c;font-weight:600}.sev-medium{color:#8a5a00;font-weight:600}
.key td:nth-child(2),.key td:nth-child(3){white-space:nowrap}
@media print{body{margin:0;max-width:none;font-size:11px}.all-events{display:none}h2{break-after:avoid}tr,.chart{break-inside:avoid}details{display:none}a{color:inherit}}`;

/**
 * The report as one self-contained HTML file: an executive summary (verdict first), the chart of the user's
 * sign-ins with the response on the same axis, then the key events, actions, what is still open, the indicators and
 * the journal's head hash. No script, no external resource (the Content-Security-Policy forbids both); it prints.
 */
export function toHtml(doc: TimelineDocument): string {
  const title = titleOf(doc);
  const kind = doc.summary.verdict?.kind ?? "none";
  const { findings: f, actions: a } = doc.summary;
  const facts: Array<[string, string]> = [
    ["Incident start", doc.incident.start ? t(shortTime(doc.incident.start)) : "not determined"],
    ["Window", t(windowLine(doc) ?? "-")],
    ["Mode", t(modeLine(doc))],
    ["Data", doc.complete ? "complete" : `<span class="warn">INCOMPLETE: ${doc.gaps.length} gap(s); missing findings are not proof of a clean tenant</span>`],
    ["Findings", `${f.total}: ${f.critical} critical, ${f.high} high, ${f.medium} medium, ${f.low} low, ${f.info} info`],
    ["Actions", `${a.sent} sent, ${a.failed} failed, ${a.planned} planned, ${a.skipped} skipped`],
    ["Sign-ins charted", `${doc.signins.length}`],
  ];
  const operator = operatorLine(doc);
  if (operator) facts.push(["Run by", t(operator)]);
  facts.push(["Tool", t(`azir ${doc.tool.version ?? ""}; ${doc.runbooks.map((r) => `${r.id}${r.sha256 ? ` (sha256 ${r.sha256.slice(0, 12)})` : ""}`).join(", ")}`)]);
  if (doc.integrity) {
    facts.push([
      "Journal",
      doc.integrity.verified ? `hash chain verified; head <code>${t(doc.integrity.headHash ?? "")}</code>${doc.integrity.signatures ? `; ${t(doc.integrity.signatures)}` : ""}` : `<span class="warn">hash chain BROKEN at line ${doc.integrity.brokenAt?.line}: ${t(doc.integrity.brokenAt?.reason ?? "")}</span>`,
    ]);
  }
  const open = doc.summary.stillOpen;
  const actions = doc.actions.filter((x) => x.kind !== "action.skipped");
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
<h1>${doc.summary.exercise ? `<span class="exercise">EXERCISE</span> ` : ""}${t(title.replace(/^EXERCISE: /, ""))}</h1>
<div class="verdict v-${t(kind)}">${t(verdictLine(doc))}</div>
<dl>
${facts.map(([k, v]) => `<dt>${t(k)}</dt><dd>${v}</dd>`).join("\n")}
</dl>
<h2>Sign-ins and response over time</h2>
${signInChart(doc)}
${chartLegend}
<h2>Key events (UTC, in order)</h2>
${table(["When (UTC)", "What", "Severity / result", "Summary"], keyEvents(doc).map((e) => [t(shortTime(e.at)), t(e.what === "finding" ? (e.code ?? "") : "action"), e.severity ? `<span class="sev-${t(e.severity)}">${t(e.severity)}</span>` : t(e.result ?? ""), t(e.summary)]), "key")}
${userSections(doc)
  .map((u) => `<h2>${t(u.upn)}</h2>\n${table(["Recorded (UTC)", "Summary", "Result"], [...u.actions.map((a) => [t(shortTime(a.recordedAt)), t(a.summary), t(resultOf(a))]), ...u.errors.map((e) => [t(shortTime(e.recordedAt)), `<span class="failed">error: ${t(e.summary)}</span>`, ""])])}`)
  .join("\n")}
<h2>Response actions (${actions.length})</h2>
${table(["#", "Recorded (UTC)", "Summary", "Request", "Permission", "Result"], actions.map((x, i) => [String(i + 1), t(shortTime(x.recordedAt)), t(x.summary), `<code>${t(requestLine(x) ?? "")}</code>`, t(permissionOf(x) ?? ""), `<span class="${x.kind === "action" && x.data.status === "failed" ? "failed" : ""}">${t(resultOf(x))}</span>`]))}
<h2>Still open${open ? ` (${open.length})` : ""}</h2>
${open ? table(["Occurred (UTC)", "What", "Next"], open.map((o) => [t(shortTime(o.occurredAt)), t(o.summary), t(o.next)])) : `<p class="muted">Not assessed by this runbook.</p>`}
<h2>Indicators (${doc.indicators.length})</h2>
${table(["Type", "Value", "First seen (UTC)", "Last seen (UTC)", "Findings"], doc.indicators.map((i) => [t(i.type), `<code>${t(i.value)}</code>`, t(shortTime(i.firstSeen)), t(shortTime(i.lastSeen)), t(i.findings.join(", "))]))}
${doc.summary.techniques?.length ? `<h2>MITRE ATT&amp;CK</h2>\n${table(["Technique", "Name", "Findings"], doc.summary.techniques.map((x) => [t(x.id), t(x.name), t(x.findings.join(", "))]))}` : ""}
<h2>Findings (${doc.findings.length})</h2>
${table(["Occurred (UTC)", "Severity", "Code", "Summary", "Evidence"], doc.findings.map((x) => [t(shortTime(x.occurredAt ?? x.data.occurredAt)), `<span class="sev-${t(x.data.severity)}">${t(x.data.severity)}</span>`, t(x.data.code), t(x.summary), x.data.evidence.length === 0 ? "" : `<details><summary>${x.data.evidence.length} row(s)</summary><pre>${t(JSON.stringify(x.data.evidence, null, 1))}</pre></details>`]))}
${doc.gaps.length ? `<h2>Gaps (${doc.gaps.length})</h2>\n${table(["Query", "Window (UTC)", "Reason"], doc.gaps.map((g) => [t(g.data.query), t(g.data.window ? `${shortTime(g.data.window.start)} to ${shortTime(g.data.window.end)}` : "whole query"), t(g.data.reason)]))}` : ""}
${doc.summary.nextChecks.length ? `<h2>Next checks</h2>\n<ul>\n${doc.summary.nextChecks.map((s) => `<li>${t(s)}</li>`).join("\n")}\n</ul>` : ""}
<section class="all-events">
<h2>All events (${doc.response.length})</h2>
${table(["#", "Recorded (UTC)", "Occurred (UTC)", "Kind", "Step", "Summary"], doc.response.map((e) => [String(e.seq), t(shortTime(e.recordedAt)), t(e.occurredAt ? shortTime(e.occurredAt) : ""), t(e.kind), t(e.step ?? ""), t(e.summary)]), "events")}
<p class="muted">Every event with its data is in the journal, and in the CSV and JSON exports.</p>
</section>
</body>
</html>
`;
}
