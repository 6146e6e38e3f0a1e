import type { TimelineDocument } from "../document.js";
import type { ActionLikeEvent, TimelineEvent } from "../event.js";
import { shortTime } from "../render.js";

/** What every report needs from a document, computed once: the header facts and the key events in one order. */

export function requestLine(e: ActionLikeEvent): string | undefined {
  if (e.kind === "action") return `${e.data.request.method} ${e.data.request.url}`;
  if (e.kind === "action.planned") return `${e.data.method} ${e.data.url}`;
  return undefined;
}

export function permissionOf(e: ActionLikeEvent): string | undefined {
  return e.kind === "action.skipped" ? undefined : e.data.permission;
}

export function resultOf(e: ActionLikeEvent): string {
  if (e.kind === "action") return `${e.data.status}${e.data.httpStatus ? ` (HTTP ${e.data.httpStatus})` : ""}`;
  if (e.kind === "action.planned") return "planned, not sent";
  return `skipped: ${e.data.reason}`;
}

/** The title: the incident, its subject, and EXERCISE for a tabletop run. */
export function titleOf(doc: TimelineDocument): string {
  const subject = doc.incident.subject ? `: ${doc.incident.subject}` : "";
  return `${doc.summary.exercise ? "EXERCISE: " : ""}Incident ${doc.incident.id}${subject}`;
}

/** The verdict line, or what stands in for it when the runbook reads no sign-ins. */
export function verdictLine(doc: TimelineDocument): string {
  if (doc.summary.verdict) return doc.summary.verdict.line;
  const { sent, failed, planned } = doc.summary.actions;
  return `${sent} write(s) sent${failed ? `, ${failed} failed` : ""}${planned ? `, ${planned} planned (dry run)` : ""}; ${doc.summary.findings.total} finding(s)${doc.summary.complete ? "" : "; data INCOMPLETE"}`;
}

export function modeLine(doc: TimelineDocument): string {
  const words: Record<TimelineDocument["summary"]["mode"], string> = {
    live: "live",
    "dry-run": "dry run (nothing was changed)",
    tabletop: "tabletop exercise on the simulated tenant",
    "tabletop-dry-run": "tabletop exercise, dry run",
  };
  return words[doc.summary.mode];
}

export function operatorLine(doc: TimelineDocument): string | undefined {
  const o = doc.operator;
  if (!o) return undefined;
  const identity = o.identity as { kind?: string; user?: string; appName?: string; appId?: string; tenantId?: string } | undefined;
  const as = identity ? [identity.user, identity.appName ?? identity.appId, identity.kind].filter(Boolean).join(", ") : "";
  return `${o.account ?? "?"}@${o.host ?? "?"}${o.signIn ? ` (${o.signIn})` : ""}${as ? ` as ${as}` : ""}${identity?.tenantId ? ` in tenant ${identity.tenantId}` : ""}`;
}

/** One key event: a finding (medium and above, when it happened) or a write (when it was done), in one order. */
export interface KeyEvent {
  at: string;
  what: "finding" | "action";
  severity?: string;
  code?: string;
  summary: string;
  result?: string;
}

export function keyEvents(doc: TimelineDocument): KeyEvent[] {
  const rank: Record<string, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
  const out: KeyEvent[] = [];
  for (const f of doc.findings) {
    if ((rank[f.data.severity] ?? 0) < rank.medium!) continue;
    out.push({ at: f.occurredAt ?? f.data.occurredAt, what: "finding", severity: f.data.severity, code: f.data.code, summary: f.summary });
  }
  for (const a of doc.actions) if (a.kind !== "action.skipped") out.push({ at: a.recordedAt, what: "action", summary: a.summary, result: resultOf(a) });
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

export function windowLine(doc: TimelineDocument): string | undefined {
  const w = doc.summary.window;
  return w ? `${shortTime(w.start)} to ${shortTime(w.end)}` : undefined;
}

export function isAction(e: TimelineEvent): e is ActionLikeEvent {
  return e.kind === "action" || e.kind === "action.planned" || e.kind === "action.skipped";
}
