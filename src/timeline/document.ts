import { z } from "zod";
import {
  actionEventSchema,
  actionPlannedEventSchema,
  actionSkippedEventSchema,
  findingEventSchema,
  gapEventSchema,
  isoTimeSchema,
  modeSchema,
  timelineEventSchema,
  type ActionLikeEvent,
  type FindingEvent,
  type GapEvent,
  type Mode,
  type TimelineEvent,
} from "./event.js";

/** Version tag of the document; bumped on any incompatible change. */
export const TIMELINE_SCHEMA_VERSION = "azir.timeline/v1";

export const runStatusSchema = z
  .enum(["succeeded", "failed", "refused", "interrupted", "unfinished"])
  .describe("From the run's run.finished or run.interrupted event; unfinished when it has neither (still running, or crashed)");
export type RunStatus = z.infer<typeof runStatusSchema>;

export const runSummarySchema = z
  .object({
    runId: z.uuid(),
    runbook: z.string().describe("Runbook id; empty when the run recorded no run.started/run.resumed"),
    mode: modeSchema,
    resumed: z.boolean().describe("True when the run continued an earlier one (run.resumed)"),
    startedAt: isoTimeSchema.describe("recordedAt of the run's first event"),
    finishedAt: isoTimeSchema.optional().describe("recordedAt of run.finished or run.interrupted"),
    status: runStatusSchema,
    params: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "RunSummary", description: "One run recorded in the journal" });
/** One run of a journal (a resumed journal holds several). */
export type RunSummary = z.infer<typeof runSummarySchema>;

export const actionLikeEventSchema = z.discriminatedUnion("kind", [actionEventSchema, actionPlannedEventSchema, actionSkippedEventSchema]);

export const timelineDocumentSchema = z
  .object({
    schema: z.literal(TIMELINE_SCHEMA_VERSION),
    incident: z.object({
      id: z.string().describe("Incident id (the journal's folder name)"),
      subject: z.string().optional().describe("The user, app or resource the incident is about"),
      start: isoTimeSchema
        .optional()
        .describe("occurredAt of the earliest incident-start finding (first high-risk successful sign-in), if any"),
    }),
    runs: z.array(runSummarySchema),
    story: z.array(timelineEventSchema).describe("What happened in the tenant: events with occurredAt, ordered by it"),
    response: z.array(timelineEventSchema).describe("What azir did: every event, ordered by recordedAt then seq"),
    findings: z.array(findingEventSchema),
    actions: z.array(actionLikeEventSchema).describe("Writes sent, planned (dry-run) and skipped, in response order"),
    gaps: z.array(gapEventSchema).describe("Data azir could not read completely"),
    complete: z.boolean().describe("False when any gap was recorded: never read an incomplete timeline as clean"),
    integrity: z
      .object({
        verified: z.boolean(),
        headHash: z.string().optional().describe("hash of the last event: what a copy of the journal must end with"),
        brokenAt: z.object({ line: z.int(), reason: z.string() }).optional().describe("the first line whose hash chain does not hold"),
      })
      .optional()
      .describe("The journal's hash chain, checked when the document was exported from it"),
  })
  .meta({ id: "TimelineDocument", title: "azir incident timeline" })
  .describe("An azir incident timeline: the journal as one document (azir --json, azir timeline export --format json)");

/** The timeline as one document. */
export type TimelineDocument = z.infer<typeof timelineDocumentSchema>;

/** Overrides for what the events do not say (or say differently). */
export interface DocumentMeta {
  /** Default: run.started `data.incidentId`, else "unknown". */
  incidentId?: string;
  /** Default: run.started `data.subject`, else `params.upn`. */
  subject?: string;
}

/**
 * True for the finding that marks the incident start. The analyzers name it `incident.start` or
 * `<area>.incident-start` (e.g. `signin.incident-start`); either spelling counts.
 */
export function isIncidentStartFinding(event: FindingEvent): boolean {
  const code = event.data.code;
  return code === "incident.start" || code.endsWith(".incident-start") || code.endsWith(".incident.start");
}

function time(iso: string): number {
  return Date.parse(iso);
}

/** Runs in the order they first appear in the journal. */
export function summariseRuns(events: readonly TimelineEvent[]): RunSummary[] {
  const runs = new Map<string, RunSummary>();
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    let run = runs.get(e.runId);
    if (!run) {
      run = { runId: e.runId, runbook: "", mode: e.mode, resumed: false, startedAt: e.recordedAt, status: "unfinished", params: {} };
      runs.set(e.runId, run);
    }
    if (e.kind === "run.started" || e.kind === "run.resumed") {
      run.runbook = e.data.runbook;
      run.params = e.data.params;
      run.resumed = e.kind === "run.resumed";
      run.mode = e.mode;
    } else if (e.kind === "run.finished") {
      run.status = e.data.status;
      run.finishedAt = e.recordedAt;
    } else if (e.kind === "run.interrupted") {
      run.status = "interrupted";
      run.finishedAt = e.recordedAt;
    }
  }
  return [...runs.values()];
}

function byResponseOrder(a: TimelineEvent, b: TimelineEvent): number {
  return time(a.recordedAt) - time(b.recordedAt) || a.seq - b.seq;
}

function isActionLike(e: TimelineEvent): e is ActionLikeEvent {
  return e.kind === "action" || e.kind === "action.planned" || e.kind === "action.skipped";
}

/** Builds the one-document timeline from a journal's events (pure). */
export function buildDocument(events: readonly TimelineEvent[], meta: DocumentMeta = {}): TimelineDocument {
  const response = [...events].sort(byResponseOrder);
  // Array.prototype.sort is stable: events at the same instant keep their response order.
  const story = response.filter((e) => e.occurredAt !== undefined).sort((a, b) => time(a.occurredAt!) - time(b.occurredAt!));
  const findings = response.filter((e): e is FindingEvent => e.kind === "finding");
  const actions = response.filter(isActionLike);
  const gaps = response.filter((e): e is GapEvent => e.kind === "gap");

  const starts = response.filter((e) => e.kind === "run.started" || e.kind === "run.resumed");
  const first = starts[0];
  const firstData = first && (first.kind === "run.started" || first.kind === "run.resumed") ? first.data : undefined;
  const upn = firstData?.params.upn;
  const subject = meta.subject ?? firstData?.subject ?? (typeof upn === "string" ? upn : undefined);
  const startFinding = findings
    .filter(isIncidentStartFinding)
    .sort((a, b) => time(a.occurredAt ?? a.data.occurredAt) - time(b.occurredAt ?? b.data.occurredAt))[0];

  const incident: TimelineDocument["incident"] = { id: meta.incidentId ?? firstData?.incidentId ?? "unknown" };
  if (subject !== undefined) incident.subject = subject;
  if (startFinding) incident.start = startFinding.occurredAt ?? startFinding.data.occurredAt;

  return {
    schema: TIMELINE_SCHEMA_VERSION,
    incident,
    runs: summariseRuns(events),
    story,
    response,
    findings,
    actions,
    gaps,
    complete: gaps.length === 0,
  };
}

/** JSON Schema (draft 2020-12) of the timeline document, generated from the zod schema. */
export function timelineJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(timelineDocumentSchema, { target: "draft-2020-12", io: "output" }) as Record<string, unknown>;
}

/** The mode a set of runs ran in, for headings: the last run's. */
export function lastMode(runs: readonly RunSummary[]): Mode | undefined {
  return runs.at(-1)?.mode;
}
