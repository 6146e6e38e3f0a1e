import { z } from "zod";
import {
  windowSchema,
  actionEventSchema,
  actionPlannedEventSchema,
  actionSkippedEventSchema,
  findingEventSchema,
  gapEventSchema,
  isoTimeSchema,
  modeSchema,
  runStartedDataSchema,
  timelineEventSchema,
  type ActionLikeEvent,
  type FindingEvent,
  type GapEvent,
  type Mode,
  type TimelineEvent,
} from "./event.js";

/** Version tag of the document; bumped on any incompatible change. */
export const TIMELINE_SCHEMA_VERSION = "azir.timeline/v2";

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

export const indicatorTypes = ["ip", "asn", "country", "app", "device", "mail"] as const;

export const indicatorSchema = z
  .object({
    type: z.enum(indicatorTypes),
    value: z.string(),
    firstSeen: isoTimeSchema,
    lastSeen: isoTimeSchema,
    sightings: z.int().nonnegative().describe("Evidence rows (or findings) it appears in"),
    findings: z.array(z.string()).describe("Codes of the findings it appears in"),
  })
  .meta({ id: "Indicator", description: "An indicator of the attacker's activity, from the findings' evidence" });
export type Indicator = z.infer<typeof indicatorSchema>;

export const signInPointSchema = z
  .looseObject({
    at: isoTimeSchema,
    requestId: z.string(),
    success: z.boolean(),
    resultType: z.string(),
    risk: z.string().describe("RiskLevelDuringSignIn, lower case; empty when absent"),
    ip: z.string(),
    asn: z.string(),
    country: z.string(),
    app: z.string(),
    clientApp: z.string(),
    protocol: z.string(),
    caStatus: z.string(),
    deviceId: z.string(),
    userAgent: z.string(),
    flagged: z.boolean().describe("Evidence of a finding"),
    newAsn: z.boolean(),
    newCountry: z.boolean(),
  })
  .meta({ id: "SignIn", description: "One sign-in of the incident window" });
export type SignInPoint = z.infer<typeof signInPointSchema>;

export const verdictSchema = z.object({
  kind: z.enum(["compromised", "suspicious", "incomplete", "no-evidence"]),
  line: z.string().describe("The first line a responder reads"),
});

export const openItemSchema = z.object({ code: z.string(), summary: z.string(), occurredAt: isoTimeSchema, next: z.string() });

export const techniqueSchema = z.object({
  id: z.string().describe("MITRE ATT&CK technique id, e.g. T1078.004"),
  name: z.string(),
  findings: z.array(z.string()).describe("Codes of the findings that map to it"),
});

export const summarySchema = z
  .object({
    verdict: verdictSchema.optional().describe("Compromise verdict, for runbooks that read the user's sign-ins"),
    exercise: z.boolean().describe("True for a tabletop run: an exercise on the simulated tenant, not an incident"),
    mode: modeSchema,
    subject: z.string().optional(),
    incidentStart: isoTimeSchema.optional(),
    window: windowSchema.optional().describe("The incident window the queries read"),
    findings: z.object({ total: z.int(), critical: z.int(), high: z.int(), medium: z.int(), low: z.int(), info: z.int() }),
    actions: z.object({ sent: z.int(), failed: z.int(), planned: z.int(), skipped: z.int() }),
    gaps: z.int(),
    complete: z.boolean(),
    stillOpen: z.array(openItemSchema).optional().describe("What the response leaves open, each with the next step"),
    nextChecks: z.array(z.string()).describe("Checks to run later, e.g. the sign-ins after revocation has propagated"),
    techniques: z.array(techniqueSchema).optional().describe("MITRE ATT&CK techniques the findings map to"),
  })
  .meta({ id: "Summary", description: "The incident in brief: the verdict first" });
export type DocumentSummary = z.infer<typeof summarySchema>;

export const timelineDocumentSchema = z
  .object({
    schema: z.literal(TIMELINE_SCHEMA_VERSION),
    summary: summarySchema,
    incident: z.object({
      id: z.string().describe("Incident id (the journal's folder name)"),
      subject: z.string().optional().describe("The user, app or resource the incident is about"),
      start: isoTimeSchema
        .optional()
        .describe("occurredAt of the earliest incident-start finding (first high-risk successful sign-in), if any"),
    }),
    tool: z.object({ name: z.literal("azir"), version: z.string().optional() }),
    operator: runStartedDataSchema.shape.operator.describe("Who ran the first run, from where, as whom"),
    runbooks: z.array(z.object({ id: z.string(), sha256: z.string().optional() })).describe("The runbooks the runs ran, with the SHA-256 of each file"),
    runs: z.array(runSummarySchema),
    story: z.array(timelineEventSchema).describe("What happened in the tenant: events with occurredAt, ordered by it"),
    response: z.array(timelineEventSchema).describe("What azir did: every event, ordered by recordedAt then seq"),
    findings: z.array(findingEventSchema),
    actions: z.array(actionLikeEventSchema).describe("Writes sent, planned (dry-run) and skipped, in response order"),
    gaps: z.array(gapEventSchema).describe("Data azir could not read completely"),
    indicators: z.array(indicatorSchema).describe("IPs, ASNs, countries, apps, devices and mail addresses in the findings' evidence, with first and last seen"),
    signins: z.array(signInPointSchema).describe("Every sign-in of the incident window the run read (for the chart and the sign-in table)"),
    complete: z.boolean().describe("False when any gap was recorded: never read an incomplete timeline as clean"),
    integrity: z
      .object({
        verified: z.boolean(),
        headHash: z.string().optional().describe("hash of the last event: what a copy of the journal must end with"),
        brokenAt: z.object({ line: z.int(), reason: z.string() }).optional().describe("the first line whose hash chain does not hold"),
        signatures: z.string().optional().describe("what the lines' signatures (the journal key's HMAC) show: verified, made with a key this machine does not hold, or absent"),
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

  const runs = summariseRuns(events);
  const mode = runs.at(-1)?.mode ?? first?.mode ?? "live";
  const windows = response.flatMap((e) => (e.kind === "query" && e.data.window ? [e.data.window] : []));
  // The incident window: from the lookback's start (a sign-in step's windowStart: its query also reads the baseline
  // before it), else the earliest query start, to the latest query end.
  const lookbackStart = response
    .map((e) => (e.kind === "step.completed" ? (e.data.outputs as Record<string, unknown> | undefined)?.windowStart : undefined))
    .find((v): v is string => typeof v === "string" && !Number.isNaN(Date.parse(v)));
  const window = windows.length ? { start: lookbackStart ?? windows.map((w) => w.start).sort()[0]!, end: windows.map((w) => w.end).sort().at(-1)! } : undefined;
  const signins = latestSignIns(response);
  const severities = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) severities[f.data.severity] += 1;
  // A write that failed is journaled as an error carrying its request.
  const failed = response.filter((e) => e.kind === "error" && "request" in e.data).length;
  const summary: DocumentSummary = {
    exercise: mode === "tabletop" || mode === "tabletop-dry-run",
    mode,
    ...(subject !== undefined ? { subject } : {}),
    ...(incident.start ? { incidentStart: incident.start } : {}),
    ...(window ? { window } : {}),
    findings: { total: findings.length, ...severities },
    actions: {
      sent: actions.filter((a) => a.kind === "action").length,
      failed,
      planned: actions.filter((a) => a.kind === "action.planned").length,
      skipped: actions.filter((a) => a.kind === "action.skipped").length,
    },
    gaps: gaps.length,
    complete: gaps.length === 0,
    nextChecks: nextChecksOf(response),
  };
  const runbooks = new Map<string, { id: string; sha256?: string }>();
  for (const e of starts) if (e.kind === "run.started" && !runbooks.has(e.data.runbook)) runbooks.set(e.data.runbook, { id: e.data.runbook, ...(e.data.runbookSha256 ? { sha256: e.data.runbookSha256 } : {}) });
  const version = starts.map((e) => (e.kind === "run.started" ? e.data.version : undefined)).find((v): v is string => typeof v === "string");
  const operator = starts.map((e) => (e.kind === "run.started" ? e.data.operator : undefined)).find((o) => o !== undefined);

  return {
    schema: TIMELINE_SCHEMA_VERSION,
    summary,
    incident,
    tool: { name: "azir", ...(version ? { version } : {}) },
    ...(operator ? { operator } : {}),
    runbooks: [...runbooks.values()],
    runs,
    story,
    response,
    findings,
    actions,
    gaps,
    indicators: indicatorsOf(findings),
    signins,
    complete: gaps.length === 0,
  };
}

/** The sign-ins of the window, as the last step that read them recorded them (outputs.signins). */
function latestSignIns(response: readonly TimelineEvent[]): SignInPoint[] {
  for (let i = response.length - 1; i >= 0; i--) {
    const e = response[i]!;
    if (e.kind !== "step.completed") continue;
    const list = (e.data.outputs as Record<string, unknown> | undefined)?.signins;
    if (Array.isArray(list)) {
      const parsed = z.array(signInPointSchema).safeParse(list);
      if (parsed.success) return parsed.data;
    }
  }
  return [];
}

/** Checks to run later: the notes that name one (the verification after revocation) and explicit next steps. */
function nextChecksOf(response: readonly TimelineEvent[]): string[] {
  const out = new Set<string>();
  for (const e of response) {
    if (e.kind !== "note") continue;
    for (const step of e.data.nextSteps ?? []) out.add(step);
    if (/run `azir verify /.test(e.summary)) out.add(e.summary);
  }
  return [...out];
}

const indicatorColumns: ReadonlyArray<readonly [Indicator["type"], readonly string[]]> = [
  ["ip", ["IPAddress", "ClientIP", "ClientIPAddress", "IpAddress", "ipAddress", "CallerIpAddress"]],
  ["asn", ["AutonomousSystemNumber"]],
  ["country", ["Location"]],
  ["app", ["AppDisplayName"]],
];
const rowTimeColumns = ["CreatedDateTime", "TimeGenerated", "ActivityDateTime", "activityDateTime", "StartTime"];

/**
 * Indicators from the findings' evidence rows (IPs, ASNs, countries, apps, device ids) and data (forwarding
 * addresses, IP lists), each with its first and last sighting: what a responder pastes into a block list or a hunt.
 */
export function indicatorsOf(findings: readonly FindingEvent[]): Indicator[] {
  const found = new Map<string, Indicator>();
  const see = (type: Indicator["type"], raw: unknown, at: string, code: string): void => {
    const value = typeof raw === "number" ? String(raw) : typeof raw === "string" ? raw.trim() : "";
    if (value === "" || value === "-" || Number.isNaN(Date.parse(at))) return;
    const key = `${type}|${value.toLowerCase()}`;
    const i = found.get(key);
    if (!i) {
      found.set(key, { type, value, firstSeen: at, lastSeen: at, sightings: 1, findings: [code] });
      return;
    }
    i.sightings += 1;
    if (at < i.firstSeen) i.firstSeen = at;
    if (at > i.lastSeen) i.lastSeen = at;
    if (!i.findings.includes(code)) i.findings.push(code);
  };
  for (const f of findings) {
    const code = f.data.code;
    if (code === "incident.start" || f.data.severity === "info") continue;
    const occurred = f.occurredAt ?? f.data.occurredAt;
    for (const row of f.data.evidence) {
      const at = rowTimeColumns.map((c) => row[c]).find((v): v is string => typeof v === "string" && !Number.isNaN(Date.parse(v))) ?? occurred;
      const iso = new Date(Date.parse(at)).toISOString();
      for (const [type, columns] of indicatorColumns) for (const c of columns) if (c in row) see(type, row[c], iso, code);
      const device = row.DeviceDetail;
      if (device && typeof device === "object" && "deviceId" in device) see("device", (device as { deviceId?: unknown }).deviceId, iso, code);
    }
    const data = f.data.data ?? {};
    for (const target of Array.isArray(data.targets) ? data.targets : []) if (typeof target === "string" && target.includes("@")) see("mail", target, occurred, code);
    for (const ip of Array.isArray(data.ips) ? data.ips : []) see("ip", ip, occurred, code);
  }
  const order: Record<Indicator["type"], number> = { ip: 0, asn: 1, country: 2, app: 3, device: 4, mail: 5 };
  return [...found.values()].sort((a, b) => order[a.type] - order[b.type] || a.firstSeen.localeCompare(b.firstSeen) || a.value.localeCompare(b.value));
}

/** JSON Schema (draft 2020-12) of the timeline document, generated from the zod schema. */
export function timelineJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(timelineDocumentSchema, { target: "draft-2020-12", io: "output" }) as Record<string, unknown>;
}

/** The mode a set of runs ran in, for headings: the last run's. */
export function lastMode(runs: readonly RunSummary[]): Mode | undefined {
  return runs.at(-1)?.mode;
}
