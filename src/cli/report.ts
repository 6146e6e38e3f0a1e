import { techniquesOf } from "../analyze/attack.js";
import type { Severity } from "../analyze/types.js";
import { investigationVerdict, stillOpen } from "../analyze/verdict.js";
import { buildDocument, type DocumentMeta, type TimelineDocument } from "../timeline/document.js";
import type { TimelineEvent } from "../timeline/event.js";

/**
 * The timeline document with the judgements the analyzers make of it: the verdict (for runbooks that read the
 * user's sign-ins), what the response leaves open, and the ATT&CK techniques. Used by every command's --json and by
 * `timeline export`, so a report made later from the journal says what the run said.
 */
export function incidentDocument(events: readonly TimelineEvent[], meta: DocumentMeta = {}): TimelineDocument {
  const doc = buildDocument(events, meta);
  const findings = doc.findings.map((f) => ({ code: f.data.code, severity: f.data.severity as Severity, occurredAt: f.occurredAt ?? f.data.occurredAt, summary: f.summary, evidence: f.data.evidence }));
  // In the order the tenant saw them (queries finish in any order; the report must not).
  const techniques = techniquesOf([...findings].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.code.localeCompare(b.code)));
  const readSignIns = doc.response.some((e) => e.kind === "query" && /signins/i.test(e.data.name));
  const summary = { ...doc.summary, ...(techniques.length ? { techniques } : {}) };
  if (readSignIns) {
    const unread = [
      ...doc.response.filter((e) => e.kind === "query" && (e.data.status === "failed" || e.data.status === "skipped")).map((e) => (e.kind === "query" ? e.data.name : "")),
      ...new Set(doc.gaps.map((g) => g.data.query)),
    ];
    const lookback = doc.runs.map((r) => r.params.lookback).find((l): l is string => typeof l === "string") ?? "the window";
    const baseline = baselineOf(doc);
    summary.verdict = investigationVerdict({
      findings,
      incidentStart: doc.incident.start ?? null,
      unread,
      lookback,
      readUntil: doc.summary.window?.end ?? doc.response.at(-1)?.recordedAt ?? new Date(0).toISOString(),
      ...(baseline?.sufficient === false ? { shortBaselineDays: baseline.days ?? 0 } : {}),
    });
    summary.stillOpen = stillOpen(findings, doc.incident.start !== undefined);
  }
  // The verdict first: what `jq .summary` shows at the top.
  const { verdict, ...rest } = summary;
  return { ...doc, summary: verdict ? { verdict, ...rest } : rest };
}

function baselineOf(doc: TimelineDocument): { sufficient?: boolean; days?: number } | undefined {
  for (const e of [...doc.response].reverse()) {
    if (e.kind !== "step.completed") continue;
    const b = (e.data.outputs as Record<string, unknown> | undefined)?.baseline;
    if (b && typeof b === "object") return b as { sufficient?: boolean; days?: number };
  }
  return undefined;
}

export type { TimelineDocument };
