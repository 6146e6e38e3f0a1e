import type { TimelineEvent } from "../timeline/event.js";

/** A high-severity finding of a hardening run that is still open: nothing azir sent removed it. */
export interface OpenFinding {
  code: string;
  summary: string;
  occurredAt: string;
  /** The write that would remove it, when azir can make one. */
  fix?: string;
}

/** Findings a release waits on: what hardening flags, and the mailbox forwarding only Exchange can remove. */
const recoveryCodes = /^(harden\.|office\.forwarding-rule$|office\.hiding-rule$)/;

/**
 * The high-severity findings of one hardening run (its journal's events) that remain open. A finding whose `fix`
 * names a write (`DELETE /oauth2PermissionGrants/{id}`) is closed when the run journaled that write as performed;
 * anything else (a Conditional Access change, a named location, a forwarding rule) stays open until a later
 * hardening run no longer finds it, or the responder releases with --force, which is recorded.
 */
export function openFindings(events: readonly TimelineEvent[]): OpenFinding[] {
  const performed = events.flatMap((e) => {
    if (e.kind !== "action") return [];
    const request = e.data.request as { method?: unknown; url?: unknown; body?: unknown } | undefined;
    if (typeof request?.method !== "string" || typeof request.url !== "string") return [];
    const path = new URL(request.url).pathname.replace(/^\/(v1\.0|beta)(?=\/)/, "");
    return [{ request: `${request.method} ${decodeURIComponent(path)}`.toLowerCase(), body: request.body }];
  });
  // A fix that names a body (a PIM request, one path for every removal) is matched on those fields too.
  const sent = (fix: string, body: unknown): boolean =>
    performed.some((p) => {
      if (p.request !== fix.toLowerCase()) return false;
      if (body === null || typeof body !== "object") return true;
      const got = (p.body ?? {}) as Record<string, unknown>;
      return Object.entries(body as Record<string, unknown>).every(([k, v]) => got[k] === v);
    });
  const open: OpenFinding[] = [];
  for (const e of events) {
    if (e.kind !== "finding") continue;
    const code = String(e.data.code ?? "");
    const severity = String(e.data.severity ?? "");
    if (!recoveryCodes.test(code) || (severity !== "high" && severity !== "critical")) continue;
    const inner = (e.data.data ?? {}) as Record<string, unknown>;
    const fix = typeof inner.fix === "string" ? inner.fix : undefined;
    if (fix && sent(fix, inner.fixBody)) continue;
    open.push({ code, summary: e.summary, occurredAt: String(e.data.occurredAt ?? e.occurredAt ?? ""), ...(fix ? { fix } : {}) });
  }
  return open;
}

/**
 * What a hardening run did not read (its journal's events): gaps of its queries, optional steps that did not
 * complete, steps that failed, and what its actions could not read (`outputs.unread`). Release treats them as open:
 * an area not read is not an area shown clean.
 */
export function unreadAreas(events: readonly TimelineEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.kind === "gap") out.push(`${e.step ?? "a query"}: ${String(e.data.code ?? "gap")}`);
    else if (e.kind === "note" && /\(optional\) did not complete/.test(e.summary)) out.push(e.summary);
    else if (e.kind === "error" && e.step && e.data.code !== "needs-decision" && !("action" in e.data)) out.push(e.summary);
    else if (e.kind === "step.completed") {
      const outputs = (e.data.outputs ?? {}) as Record<string, unknown>;
      if (Array.isArray(outputs.unread)) for (const what of outputs.unread) out.push(`${e.step ?? ""}: not read: ${String(what)}`);
    }
  }
  return [...new Set(out)];
}
