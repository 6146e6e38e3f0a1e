import { z } from "zod";

/**
 * The journal's event schema: one JSON object per line of `timeline-*.jsonl`. The field descriptions feed the
 * published JSON Schema (`eventJsonSchema()`), so they are written for the people reading exported timelines.
 */

export const modeSchema = z
  .enum(["live", "dry-run", "tabletop", "tabletop-dry-run"])
  .describe("How the run reached the tenant: live Azure, live reads with planned writes, or the simulated tenant")
  .meta({ id: "Mode" });
/** How a run talks to the tenant (DESIGN.md section 1). */
export type Mode = z.infer<typeof modeSchema>;

export const eventKinds = [
  "run.started",
  "run.resumed",
  "run.interrupted",
  "run.finished",
  "query",
  "gap",
  "finding",
  "action",
  "action.planned",
  "action.skipped",
  "error",
  "note",
  "step.completed",
] as const;
export const eventKindSchema = z.enum(eventKinds);
export type EventKind = (typeof eventKinds)[number];

export const isoTimeSchema = z.iso.datetime().meta({ id: "UtcDateTime", description: "ISO-8601 date-time in UTC (ending in Z)" });
export const hashSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits")
  .meta({ id: "Sha256Hex", description: "SHA-256 digest, lowercase hex" });
export const severitySchema = z.enum(["info", "low", "medium", "high", "critical"]).meta({ id: "Severity" });
export const writeMethodSchema = z.enum(["POST", "PATCH", "PUT", "DELETE"]);

export const windowSchema = z
  .object({ start: isoTimeSchema, end: isoTimeSchema })
  .meta({ id: "Window", description: "A time window [start, end) in UTC" });

// --- data, per kind -------------------------------------------------------------------------------------------

export const runStartedDataSchema = z.looseObject({
  runbook: z.string().describe("Runbook id, e.g. entra-compromised-user"),
  params: z.record(z.string(), z.unknown()).describe("Resolved runbook parameters"),
  incidentId: z.string().optional(),
  subject: z.string().optional().describe("The user, app or resource the incident is about"),
  endpoints: z.record(z.string(), z.string()).optional().describe("Service base URLs used by the run"),
  version: z.string().optional().describe("azir version"),
  runbookSha256: z.string().optional().describe("SHA-256 of the runbook file as run: its version"),
  operator: z
    .looseObject({
      account: z.string().optional().describe("The operating-system account that ran azir"),
      host: z.string().optional(),
      signIn: z.string().optional().describe("How azir signed in (default, device-code, browser, certificate, tabletop)"),
      identity: z.record(z.string(), z.unknown()).optional().describe("What the services see: the token's kind, app, user and tenant (never the token)"),
    })
    .optional()
    .describe("Who ran it, from where, as whom: the chain of custody"),
});

export const runResumedDataSchema = runStartedDataSchema.extend({
  resumedRunId: z.uuid().optional().describe("runId of the run this one continues"),
  completedSteps: z.array(z.string()).optional().describe("Steps found completed in the journal and not run again"),
});

export const runInterruptedDataSchema = z.looseObject({
  reason: z.string().optional(),
  signal: z.string().optional().describe("e.g. SIGINT"),
});

export const runFinishedDataSchema = z.looseObject({
  status: z.enum(["succeeded", "failed", "refused"]),
  exitCode: z.int().optional(),
  durationMs: z.number().nonnegative().optional(),
});

export const queryDataSchema = z.looseObject({
  name: z.string().describe("Query name (usually the KQL file's base name)"),
  file: z.string().optional().describe("KQL file, relative to the package"),
  window: windowSchema.optional().describe("Time range queried; absent when the query sets no time bound"),
  rows: z.int().nonnegative().describe("Rows returned"),
  durationMs: z.number().nonnegative(),
  status: z
    .enum(["completed", "partial", "failed", "skipped"])
    .describe("completed: whole answer; partial: a gap event says what is missing; failed/skipped: no answer"),
  tables: z.array(z.string()).optional(),
});

export const gapDataSchema = z.looseObject({
  query: z.string().describe("Query name whose data is incomplete"),
  window: windowSchema.optional().describe("Time range affected; absent when the whole query is affected"),
  reason: z.string().describe("Why the data is incomplete, e.g. PartialError, row limit, timeout, table missing"),
  code: z.string().optional(),
});

export const findingDataSchema = z.looseObject({
  code: z.string().describe("Stable finding code, e.g. signin.new-asn-success"),
  severity: severitySchema,
  occurredAt: isoTimeSchema.describe("When it happened in the tenant"),
  evidence: z.array(z.record(z.string(), z.unknown())).describe("The rows that show it, with their row identity"),
  subject: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

export const requestSchema = z.object({
  method: writeMethodSchema,
  url: z.string().describe("Graph path below /v1.0, or ARM resource path with api-version, or a full URL"),
  body: z.unknown().optional(),
});

export const actionDataSchema = z.looseObject({
  action: z.string().optional().describe("Action name, e.g. entra.blockSignIn"),
  target: z.string().describe("UPN, object id or resource id acted on"),
  request: requestSchema,
  permission: z.string().describe("Graph permission or Azure role the write needs"),
  status: z.enum(["succeeded", "failed"]),
  httpStatus: z.int().optional(),
  result: z.unknown().optional().describe("The service's answer (redacted)"),
  service: z.enum(["graph", "arm", "storage"]).optional(),
  stepCompleted: z.boolean().optional().describe("Journals written before step.completed existed: true on the event that completed the step"),
  secretDelivered: z.string().optional().describe("A new client secret's key id, once the secret reached the responder (the secret itself is never journaled)"),
});

export const actionPlannedDataSchema = z.looseObject({
  action: z.string().optional(),
  target: z.string().optional(),
  method: writeMethodSchema,
  url: z.string(),
  body: z.unknown().optional(),
  permission: z.string(),
  service: z.enum(["graph", "arm", "storage"]).optional(),
  phase: z.int().optional(),
  stepCompleted: z.boolean().optional().describe("Journals written before step.completed existed: true on the event that completed the step"),
});

export const actionSkippedDataSchema = z.looseObject({
  action: z.string().optional(),
  target: z.string().optional(),
  reason: z.string().describe("Why nothing was sent: already in effect, condition false, refused, ..."),
});

export const errorDataSchema = z.looseObject({
  code: z.string().optional(),
  hint: z.string().optional(),
  details: z.array(z.string()).optional(),
});

export const noteDataSchema = z.looseObject({
  nextSteps: z.array(z.string()).optional().describe("Follow-ups for the responder; listed under Next steps in exports"),
});

export const stepCompletedDataSchema = z.looseObject({
  status: z.enum(["completed", "skipped", "planned"]).describe("completed; skipped (nothing to do, or its condition was false); planned (dry run)"),
  outputs: z.record(z.string(), z.unknown()).describe("The step's outputs, read by later steps and by `azir run --resume`"),
});

/** The `data` schema of each kind. */
export const dataSchemas = {
  "run.started": runStartedDataSchema,
  "run.resumed": runResumedDataSchema,
  "run.interrupted": runInterruptedDataSchema,
  "run.finished": runFinishedDataSchema,
  query: queryDataSchema,
  gap: gapDataSchema,
  finding: findingDataSchema,
  action: actionDataSchema,
  "action.planned": actionPlannedDataSchema,
  "action.skipped": actionSkippedDataSchema,
  error: errorDataSchema,
  note: noteDataSchema,
  "step.completed": stepCompletedDataSchema,
} as const satisfies Record<EventKind, z.ZodType>;

// --- the event --------------------------------------------------------------------------------------------------

const baseShape = {
  seq: z.int().min(1).describe("1-based position in the journal file, contiguous"),
  runId: z.uuid().describe("The run that recorded the event; a resumed journal holds several runs"),
  recordedAt: isoTimeSchema.describe("When azir did or saw it (azir's clock)"),
  occurredAt: isoTimeSchema.optional().describe("When it happened in the tenant, for events about tenant activity"),
  mode: modeSchema,
  step: z.string().min(1).optional().describe("Runbook step id"),
  summary: z.string().describe("One line a responder reads"),
  prev: hashSchema.describe("hash of the previous event; 64 zeros for the first"),
  hash: hashSchema.describe("SHA-256 hex of prev + canonical JSON (sorted keys, no whitespace) of the event without hash and mac"),
  mac: z
    .string()
    .regex(/^[0-9a-f]{16}:[0-9a-f]{64}$/)
    .optional()
    .describe("Signature: the journal key's id (16 hex), a colon, and HMAC-SHA-256 hex of hash under that key; absent in journals written before signing"),
};

/** `action.planned` -> `ActionPlannedEvent`: the name of the kind's definition in the JSON Schema. */
function definitionName(kind: EventKind): string {
  return `${kind
    .split(".")
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join("")}Event`;
}

function variant<K extends EventKind, D extends z.ZodType>(kind: K, data: D) {
  return z.object({ ...baseShape, kind: z.literal(kind), data }).meta({ id: definitionName(kind), description: `A ${kind} event` });
}

export const runStartedEventSchema = variant("run.started", runStartedDataSchema);
export const runResumedEventSchema = variant("run.resumed", runResumedDataSchema);
export const runInterruptedEventSchema = variant("run.interrupted", runInterruptedDataSchema);
export const runFinishedEventSchema = variant("run.finished", runFinishedDataSchema);
export const queryEventSchema = variant("query", queryDataSchema);
export const gapEventSchema = variant("gap", gapDataSchema);
export const findingEventSchema = variant("finding", findingDataSchema);
export const actionEventSchema = variant("action", actionDataSchema);
export const actionPlannedEventSchema = variant("action.planned", actionPlannedDataSchema);
export const actionSkippedEventSchema = variant("action.skipped", actionSkippedDataSchema);
export const errorEventSchema = variant("error", errorDataSchema);
export const noteEventSchema = variant("note", noteDataSchema);
export const stepCompletedEventSchema = variant("step.completed", stepCompletedDataSchema);

/** One journal line. */
export const timelineEventSchema = z
  .discriminatedUnion("kind", [
    runStartedEventSchema,
    runResumedEventSchema,
    runInterruptedEventSchema,
    runFinishedEventSchema,
    queryEventSchema,
    gapEventSchema,
    findingEventSchema,
    actionEventSchema,
    actionPlannedEventSchema,
    actionSkippedEventSchema,
    errorEventSchema,
    noteEventSchema,
    stepCompletedEventSchema,
  ])
  .meta({ id: "TimelineEvent", title: "azir timeline event" })
  .describe("One line of an azir journal (timeline-*.jsonl)");

/** One journal line, typed by kind. */
export type TimelineEvent = z.infer<typeof timelineEventSchema>;
/** The event of one kind. */
export type EventOf<K extends EventKind> = Extract<TimelineEvent, { kind: K }>;
export type FindingEvent = EventOf<"finding">;
export type ActionLikeEvent = EventOf<"action" | "action.planned" | "action.skipped">;
export type GapEvent = EventOf<"gap">;

type DataInput<K extends EventKind> = z.input<(typeof dataSchemas)[K]>;

/**
 * What a caller hands to `Journal.append`: the journal adds seq, runId, recordedAt, mode, prev and hash.
 * `occurredAt` may be a Date or an ISO string; a finding without one takes its `data.occurredAt`.
 */
export type EventInput = {
  [K in EventKind]: {
    kind: K;
    step?: string;
    summary: string;
    occurredAt?: string | Date;
    data?: DataInput<K>;
  };
}[EventKind];

/** JSON Schema (draft 2020-12) of one journal line, generated from the zod schema. */
export function eventJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(timelineEventSchema, { target: "draft-2020-12", io: "output" }) as Record<string, unknown>;
}

/** The first problem zod reports, as one line: `data.window.start: Invalid ISO datetime`. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid event";
  const path = issue.path.map(String).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}
