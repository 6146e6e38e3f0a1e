/**
 * Sign-in triage (DESIGN.md 4b items 2 and 5): lockouts, failed external challenges, successes from networks and
 * countries the user had not used in the baseline, risky successes, conditional-access bypass signs, and the
 * incident start that later steps use as the start of the attacker's window.
 *
 * The incident start must not depend on Identity Protection: without Entra ID P2 every row's risk is "hidden", and a
 * P2 tenant's "none" only says detection saw nothing. So a start is either a high-risk success, or a success from a
 * new network that something else corroborates (an unknown or non-compliant device, a legacy or device-code protocol,
 * a burst of failed guesses before it, an attacker-like audit event right after it). A new network alone, from the
 * user's own compliant device with MFA, is travel. Without enough history there are no "new" networks at all.
 */
import { z } from "zod";
import { AzirError } from "../core/errors.js";
import { parseDuration } from "../core/duration.js";
import { evaluatedRiskLevels, guessingFailureResultTypes, hiddenRiskLevel, multiFactorRequirement, riskyAuthenticationProtocols } from "../entra/facts.js";
import type { AnalysisResult, AnalyzerDefinition, AnalyzerInput, Finding, Row, Severity } from "./types.js";
import { distinct, isoOrNull, maxEvidenceRows, maxSeverity, ms, parseWith, text, utc } from "./rows.js";
import { normaliseSignIns, signInEvidence, type SignIn } from "./signin-rows.js";

const durationSchema = z.union([z.string(), z.number()]).optional();

/** An audit event a sign-in may be followed by: an item of the audit analyzer's `operations` or `securityInfoRegistrations`. */
const auditEventSchema = z
  .object({
    at: z.string(),
    code: z.string().optional(),
    operationName: z.string().optional(),
    methodType: z.string().optional(),
    initiatedBy: z.string().optional(),
    ip: z.string().optional(),
    id: z.string().optional(),
  })
  .passthrough();

const withSchema = z.object({
  upn: z.string().optional(),
  /** Start of the lookback window; earlier rows are the baseline. */
  windowStart: isoOrNull,
  /** Alternative to windowStart: the lookback, counted back from the end of the query window. */
  lookback: durationSchema,
  /** The baseline the query asked for (e.g. 30d): how much history before the window should count as normal. */
  baseline: durationSchema,
  /** Least history (days of successful sign-ins before the window) that makes a baseline; default min(7, baseline). */
  minBaselineDays: z.number().positive().optional(),
  /** Audit events of the user (the audit analyzer's `operations` and/or `securityInfoRegistrations`), when a step read them first. */
  auditEvents: z.array(auditEventSchema).nullish(),
});

type AuditEvent = z.infer<typeof auditEventSchema>;

const dayMs = 86_400_000;
/** A week of history covers a working week's places (office, home, phone): less cannot tell the user's own networks from new ones. */
const defaultMinBaselineDays = 7;
/** How far back a burst of failed guesses counts towards the success that follows it. */
const burstWindowMs = 24 * 3_600_000;
/** Failed guesses from anywhere that make a burst (one from the sign-in's own network or IP is enough). */
const burstMinFailures = 3;
/** How soon after a sign-in an audit event from its session counts as "right after". */
const auditAfterMs = 60 * 60_000;
/** Audit codes an attacker's session produces for persistence or escalation (routine user updates are not among them). */
const attackerAuditCodes: ReadonlySet<string> = new Set([
  "audit.security-info-registered",
  "audit.security-info-updated",
  "audit.security-info-deleted",
  "audit.security-info-default-changed",
  "audit.device-registered",
  "audit.consent-non-admin",
  "audit.consent-admin",
  "audit.sp-credentials-added",
  "audit.app-updated",
  "audit.role-member-added",
  "audit.ca-policy-updated",
]);

/** Client apps Entra ID reports for legacy (non-modern) authentication. */
const legacyClientApps: ReadonlySet<string> = new Set(
  [
    "Exchange ActiveSync",
    "IMAP4",
    "IMAP",
    "POP3",
    "POP",
    "SMTP",
    "Authenticated SMTP",
    "MAPI Over HTTP",
    "Exchange Web Services",
    "AutoDiscover",
    "Exchange Online PowerShell",
    "Offline Address Book",
    "Outlook Anywhere (RPC over HTTP)",
    "Reporting Web Services",
    "Other clients",
  ].map((x) => x.toLowerCase()),
);

const evaluated: ReadonlySet<string> = new Set(evaluatedRiskLevels);
const riskyProtocols: ReadonlySet<string> = new Set(riskyAuthenticationProtocols.map((p) => p.toLowerCase()));

/** Network markers and corroborating signals, in the order outputs list them. */
const signalOrder = ["new-asn", "new-country", "risk-high", "risk-medium", "unknown-device", "legacy-protocol", "device-code", "ropc", "failure-burst", "audit-after"] as const;
type Signal = (typeof signalOrder)[number];
type NetworkMarker = "new-asn" | "new-country";

export type IncidentStartRule = "first-high-risk-success" | "new-network-with-signals";
export type Confidence = "high" | "medium" | "low";

function durationMs(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === "number" ? v : parseDuration(v);
  return n === undefined || !Number.isFinite(n) ? undefined : Math.abs(n);
}

function windowStartOf(input: AnalyzerInput, w: z.infer<typeof withSchema>): string {
  if (w.windowStart) return w.windowStart;
  const lookbackMs = durationMs(w.lookback);
  const end = Date.parse(input.window.end);
  if (lookbackMs !== undefined && Number.isFinite(end)) return new Date(end - lookbackMs).toISOString();
  throw new AzirError("validation", "analyzer signins: no windowStart (or lookback) in with:", {
    hint: "Pass with: { windowStart: <ISO start of the lookback window> } so that earlier sign-ins form the baseline.",
  });
}

interface Group {
  value: string;
  signIns: SignIn[];
}

function groupBy(signIns: readonly SignIn[], keyOf: (s: SignIn) => string): Group[] {
  const groups = new Map<string, Group>();
  for (const s of signIns) {
    const k = keyOf(s);
    if (k === "") continue;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { value: k, signIns: [] }));
    g.signIns.push(s);
  }
  return [...groups.values()];
}

function where(s: SignIn): string {
  const parts = [s.ip || "unknown IP", s.country || "unknown country", s.asn ? `ASN ${s.asn}` : "unknown ASN", s.app || "unknown app"];
  return parts.join(", ");
}

function span(signIns: readonly SignIn[]): { first: string; last: string } {
  return { first: signIns[0]!.at, last: signIns[signIns.length - 1]!.at };
}

/** Index of the first item whose time is >= t, in a list ordered by time. */
function lowerBound(list: readonly SignIn[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.atMs < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function ordered(signals: Iterable<Signal>): Signal[] {
  const set = new Set(signals);
  return signalOrder.filter((s) => set.has(s));
}

/** What one successful sign-in shows. */
interface Assessment {
  s: SignIn;
  network: NetworkMarker[];
  /** Corroborating signals (everything but the network markers). */
  signals: Signal[];
  failures: SignIn[];
  audit: AuditEvent[];
  /** The user's own compliant device (organisation-enrolled, or seen in the baseline), with MFA satisfied. */
  ownDeviceWithMfa: boolean;
}

interface Candidate {
  a: Assessment;
  rule: IncidentStartRule;
  confidence: Confidence;
}

const lowerConfidence: Record<Confidence, Confidence> = { high: "medium", medium: "low", low: "low" };

const ruleWords: Record<IncidentStartRule, string> = {
  "first-high-risk-success": "first successful sign-in with high sign-in risk",
  "new-network-with-signals": "first successful sign-in from a new network that other signals corroborate",
};

/** One sign-in of the window as the report charts and tabulates it. */
export interface SignInPoint {
  at: string;
  requestId: string;
  success: boolean;
  resultType: string;
  risk: string;
  ip: string;
  asn: string;
  country: string;
  app: string;
  clientApp: string;
  protocol: string;
  caStatus: string;
  deviceId: string;
  userAgent: string;
  /** Evidence of a finding. */
  flagged: boolean;
  /** From an ASN or country the baseline never saw (false without a sufficient baseline). */
  newAsn: boolean;
  newCountry: boolean;
}

/** At most this many sign-ins of the window go into the journal (the newest); the rest are counted. */
const maxSeriesSignins = 5000;

export function analyzeSignins(input: AnalyzerInput): AnalysisResult {
  const w = parseWith("signins", withSchema, input.with);
  const windowStart = windowStartOf(input, w);
  const startMs = ms(windowStart);
  const { signIns, duplicates, dropped } = normaliseSignIns(input.rows);
  const baseline = signIns.filter((s) => s.atMs < startMs);
  const inWindow = signIns.filter((s) => s.atMs >= startMs);
  const successes = inWindow.filter((s) => s.success);
  const subjectOf = (s: SignIn): string => w.upn ?? s.upn;
  const findings: Finding[] = [];
  const flagged = new Set<SignIn>();
  const evidence = (list: readonly SignIn[], withDevice = false): Row[] => {
    for (const s of list) flagged.add(s);
    return list.slice(0, maxEvidenceRows).map((s) => signInEvidence(s, withDevice));
  };

  // Only successful baseline sign-ins make a network, country or device "known": an attacker's failed attempts
  // before the window must not whitelist the attacker's network.
  const baselineSuccesses = baseline.filter((s) => s.success);
  const knownAsns = new Set(baselineSuccesses.filter((s) => s.asn !== "").map((s) => s.asn));
  const knownCountries = new Set(baselineSuccesses.filter((s) => s.country !== "").map((s) => s.country.toUpperCase()));
  const knownDevices = new Set(baselineSuccesses.filter((s) => s.device.deviceId !== "").map((s) => s.device.deviceId.toLowerCase()));

  // The baseline is the history of successes before the window; too short a history knows too few of the user's places.
  const requestedMs = durationMs(w.baseline);
  const requiredMs = w.minBaselineDays !== undefined ? w.minBaselineDays * dayMs : Math.min(requestedMs ?? Infinity, defaultMinBaselineDays * dayMs);
  const historyMs = baselineSuccesses[0] ? startMs - baselineSuccesses[0].atMs : 0;
  const sufficient = baselineSuccesses.length > 0 && historyMs >= requiredMs;
  const baselineOut = {
    days: Math.floor(historyMs / dayMs),
    sufficient,
    requiredDays: Math.round((requiredMs / dayMs) * 100) / 100,
    requestedDays: requestedMs === undefined ? null : Math.round((requestedMs / dayMs) * 100) / 100,
    signins: baselineSuccesses.length,
    firstSignin: baselineSuccesses[0]?.at ?? null,
  };

  // Sign-in risk: "hidden" on every row means no Identity Protection (no P2); "none" means it saw nothing.
  const riskValues = new Set(inWindow.map((s) => s.risk).filter((r) => r !== ""));
  const signinRisk = [...riskValues].some((r) => evaluated.has(r)) ? "evaluated" : riskValues.has(hiddenRiskLevel) ? "hidden" : "absent";

  const guessing = signIns.filter((s) => !s.success && guessingFailureResultTypes[s.resultType] !== undefined);
  const auditEvents = (w.auditEvents ?? [])
    .map((e) => ({ e, atMs: ms(utc(e.at) ?? "") }))
    .filter(({ e, atMs }) => Number.isFinite(atMs) && (e.code === undefined || attackerAuditCodes.has(e.code)));

  const assess = (s: SignIn): Assessment => {
    const network: NetworkMarker[] = [];
    if (sufficient && s.asn !== "" && !knownAsns.has(s.asn)) network.push("new-asn");
    if (sufficient && s.country !== "" && !knownCountries.has(s.country.toUpperCase())) network.push("new-country");
    const signals: Signal[] = [];
    if (s.risk === "high") signals.push("risk-high");
    if (s.risk === "medium") signals.push("risk-medium");
    // A device the directory knows (id and trust type) that the organisation's device management enrolled and rates
    // compliant is the organisation's own, even the first time this user signs in on it (a laptop handed out inside the
    // window): an attacker's browser or a device they only registered is neither managed nor compliant. Otherwise a
    // compliant device is the user's own when the baseline used it; without a baseline no device is known, so only an
    // unregistered or non-compliant one counts.
    const { deviceId, isCompliant, isManaged, trustType } = s.device;
    const enrolled = deviceId !== "" && isCompliant && isManaged && trustType !== "";
    const ownDevice = enrolled || (deviceId !== "" && isCompliant && (!sufficient || knownDevices.has(deviceId.toLowerCase())));
    if (!ownDevice) signals.push("unknown-device");
    if (legacyClientApps.has(s.clientApp.trim().toLowerCase())) signals.push("legacy-protocol");
    const protocol = s.protocol.trim().toLowerCase();
    if (protocol === "devicecode") signals.push("device-code");
    else if (riskyProtocols.has(protocol)) signals.push("ropc");
    const before = guessing.slice(lowerBound(guessing, s.atMs - burstWindowMs), lowerBound(guessing, s.atMs));
    const sameNetwork = before.filter((f) => (f.ip !== "" && f.ip === s.ip) || (f.asn !== "" && f.asn === s.asn));
    const failures = before.length >= burstMinFailures ? before : sameNetwork;
    if (failures.length > 0) signals.push("failure-burst");
    const upn = (w.upn ?? s.upn).toLowerCase();
    const audit = auditEvents
      .filter(({ atMs }) => atMs >= s.atMs && atMs - s.atMs <= auditAfterMs)
      .filter(({ e }) => !e.initiatedBy || e.initiatedBy.toLowerCase() === upn)
      .filter(({ e }) => !e.ip || e.ip === s.ip)
      .map(({ e }) => e);
    if (audit.length > 0) signals.push("audit-after");
    return { s, network, signals, failures: failures.slice(-10), audit, ownDeviceWithMfa: ownDevice && s.authRequirement === multiFactorRequirement };
  };
  const assessments = new Map<SignIn, Assessment>();
  const assessmentOf = (s: SignIn): Assessment => {
    let a = assessments.get(s);
    if (!a) assessments.set(s, (a = assess(s)));
    return a;
  };

  // Lockouts and failed external challenges: one finding per user.
  const failureRules: Array<[string, string, string]> = [
    ["50053", "signin.locked", "sign-ins refused with account locked (50053)"],
    ["50158", "signin.external-challenge-failed", "sign-ins failed the external security challenge (50158)"],
  ];
  for (const [resultType, code, what] of failureRules) {
    for (const g of groupBy(
      inWindow.filter((s) => s.resultType === resultType),
      (s) => subjectOf(s).toLowerCase(),
    )) {
      const { first, last } = span(g.signIns);
      const ips = distinct(g.signIns.map((s) => s.ip));
      findings.push({
        code,
        severity: "medium",
        occurredAt: first,
        summary: `${subjectOf(g.signIns[0]!)}: ${g.signIns.length} ${what} from ${ips.length} IP(s) (${ips.slice(0, 5).join(", ")}) between ${first} and ${last}`,
        evidence: evidence(g.signIns),
        subject: subjectOf(g.signIns[0]!),
        data: { count: g.signIns.length, ips, first, last },
      });
    }
  }

  // Without a baseline nothing is "new": the user's own first sign-ins must not read as an attacker's network.
  if (!sufficient && inWindow.length > 0) {
    const first = signIns[0]!;
    findings.push({
      code: "signin.no-baseline",
      severity: "info",
      occurredAt: inWindow[0]!.at,
      summary: `${subjectOf(first)}: ${baselineOut.signins === 0 ? "no successful sign-in" : `only ${baselineOut.days} day(s) of successful sign-ins`} before the window (${baselineOut.requiredDays} needed${baselineOut.requestedDays === null ? "" : `, ${baselineOut.requestedDays} asked for`}): no network, country or device can be called new, so the incident start rests on Identity Protection's sign-in risk${signinRisk === "evaluated" ? "" : ", which this tenant does not report"}; review the sign-ins by hand`,
      evidence: [signInEvidence(first)],
      subject: subjectOf(first),
      data: { ...baselineOut },
    });
  }
  if (signinRisk !== "evaluated" && inWindow.length > 0) {
    const first = inWindow[0]!;
    findings.push({
      code: "signin.risk-unavailable",
      severity: "info",
      occurredAt: first.at,
      summary: `${subjectOf(first)}: ${signinRisk === "hidden" ? "RiskLevelDuringSignIn is hidden on every sign-in (the tenant or user is not covered by Microsoft Entra ID P2 Identity Protection)" : "no sign-in carries RiskLevelDuringSignIn"}: "no high-risk sign-in" means nothing here; the incident start rests on network, device, protocol, failure and audit signals`,
      evidence: [signInEvidence(first)],
      subject: subjectOf(first),
      data: { signinRisk },
    });
  }

  // Successes from networks and countries not seen in the baseline: one finding per new value, at its first use.
  const newAsnGroups = sufficient
    ? groupBy(
        successes.filter((s) => s.asn !== "" && !knownAsns.has(s.asn)),
        (s) => s.asn,
      )
    : [];
  const newAsnSet = new Set(newAsnGroups.map((g) => g.value));
  const newCountryGroups = sufficient
    ? groupBy(
        successes.filter((s) => s.country !== "" && !knownCountries.has(s.country.toUpperCase())),
        (s) => s.country.toUpperCase(),
      )
    : [];
  for (const [code, label, groups] of [
    ["signin.new-asn-success", "ASN", newAsnGroups],
    ["signin.new-country-success", "country", newCountryGroups],
  ] as const) {
    for (const g of groups) {
      const firstSignIn = g.signIns[0]!;
      const assessed = g.signIns.map(assessmentOf);
      // Risk sets the severity (high, medium); any other corroborating signal makes it medium; a new place alone is low.
      const severity = assessed.reduce<Severity>((acc, a) => {
        const own: Severity = a.signals.includes("risk-high") ? "high" : a.signals.length > 0 ? "medium" : "low";
        return maxSeverity(acc, own);
      }, "low");
      const signals = ordered(assessed.flatMap((a) => a.signals));
      const travel = assessed.every((a) => a.signals.length === 0 && a.ownDeviceWithMfa);
      const { first, last } = span(g.signIns);
      const ips = distinct(g.signIns.map((s) => s.ip));
      findings.push({
        code,
        severity,
        occurredAt: first,
        summary: `${subjectOf(firstSignIn)} signed in successfully from a new ${label} ${g.value} (${where(firstSignIn)}): ${g.signIns.length} sign-in(s), first ${first}${travel ? "; all from the user's own compliant device with MFA: looks like travel" : signals.length ? `; signals: ${signals.join(", ")}` : ""}`,
        evidence: evidence(g.signIns),
        subject: subjectOf(firstSignIn),
        data: { [label === "ASN" ? "asn" : "country"]: g.value, count: g.signIns.length, ips, first, last, risk: firstSignIn.risk || null, signals, travel },
      });
    }
  }

  // Successful sign-ins that Identity Protection rated high risk.
  const highRisk = successes.filter((s) => s.risk === "high");
  for (const s of highRisk) {
    findings.push({
      code: "signin.high-risk-success",
      severity: "high",
      occurredAt: s.at,
      summary: `${subjectOf(s)} signed in successfully with high sign-in risk from ${where(s)}`,
      evidence: evidence([s]),
      subject: subjectOf(s),
      data: { riskEventTypes: s.row["RiskEventTypes_V2"] ?? null },
    });
  }

  // Incident start: the earliest success that a rule accepts; a high-risk one names its rule when both apply.
  let chosen: Candidate | undefined;
  for (const s of successes) {
    const highRiskSuccess = s.risk === "high";
    const fromNewNetwork = sufficient && ((s.asn !== "" && !knownAsns.has(s.asn)) || (s.country !== "" && !knownCountries.has(s.country.toUpperCase())));
    if (!highRiskSuccess && !fromNewNetwork) continue;
    const a = assessmentOf(s);
    if (highRiskSuccess) {
      const more = a.signals.filter((x) => x !== "risk-high").length + a.network.length;
      chosen = { a, rule: "first-high-risk-success", confidence: more > 0 ? "high" : "medium" };
    } else if (a.signals.length > 0) {
      chosen = { a, rule: "new-network-with-signals", confidence: a.signals.length >= 2 ? "high" : "medium" };
    } else continue;
    // Without a baseline the corroboration itself is weaker (no device is known): one step less sure.
    if (!sufficient) chosen.confidence = lowerConfidence[chosen.confidence];
    break;
  }
  const start = chosen?.a.s;
  const startSignals = chosen ? ordered([...chosen.a.network, ...chosen.a.signals]) : [];
  const evidenceIds = chosen ? distinct([chosen.a.s.requestId, ...chosen.a.failures.map((f) => f.requestId), ...chosen.a.audit.map((e) => e.id ?? "")]) : [];
  // The attacker's networks: the new ones (with a baseline), or the start's own network when it had no success before.
  const attackerAsns = new Set(newAsnSet);
  if (start && start.asn !== "" && !successes.some((s) => s.atMs < start.atMs && s.asn === start.asn) && !knownAsns.has(start.asn)) attackerAsns.add(start.asn);
  // The attacker's session: every later success from those networks. Without a baseline no other finding names them
  // (nothing is "new"), yet they are what the responder must see: the token's reuse, a device registered with it.
  const session = start === undefined ? [] : successes.filter((s) => s.atMs >= start.atMs && s !== start && attackerAsns.has(s.asn));
  const attackerIps = start === undefined ? [] : distinct([start.ip, ...session.map((s) => s.ip)]);
  if (chosen && start) {
    const auditRows: Row[] = chosen.a.audit.map((e) => ({ ActivityDateTime: utc(e.at) ?? e.at, Id: e.id ?? null, OperationName: e.operationName ?? e.code ?? null, InitiatedBy: e.initiatedBy ?? null, InitiatorIp: e.ip ?? null }));
    const startRows = [...evidence([start, ...chosen.a.failures], true), ...auditRows];
    // The session follows the start's own evidence in the rows left under the limit; all of it is flagged and counted.
    const sessionRows = evidence(session, true).slice(0, Math.max(0, maxEvidenceRows - startRows.length));
    const sessionIps = distinct(session.map((s) => s.ip));
    const sessionData = session.length === 0 ? null : { count: session.length, ips: sessionIps, ...span(session) };
    findings.push({
      code: "incident.start",
      // A start chosen on thin evidence is still the start later steps use, but it is said less loudly.
      severity: chosen.confidence === "low" ? "medium" : "high",
      occurredAt: start.at,
      summary: `incident start for ${subjectOf(start)}: ${ruleWords[chosen.rule]} at ${start.at} from ${where(start)} (signals: ${startSignals.join(", ")}; confidence ${chosen.confidence}${sufficient ? "" : ", no baseline"})${session.length ? `; then ${session.length} later successful sign-in(s) from the attacker's network(s) (${sessionIps.slice(0, 5).join(", ")}${sessionIps.length > 5 ? ", …" : ""}) until ${session.at(-1)!.at}` : ""}`,
      evidence: [...startRows, ...sessionRows],
      subject: subjectOf(start),
      data: { rule: chosen.rule, confidence: chosen.confidence, signals: startSignals, evidenceIds, baselineSufficient: sufficient, signinRisk, attackerSessions: sessionData },
    });
  }

  // Conditional-access bypass triage over the window's successes.
  for (const g of groupBy(
    successes.filter((s) => s.protocol.toLowerCase() === "devicecode"),
    (s) => s.ip || "unknown",
  )) {
    const s = g.signIns[0]!;
    const fromNewAsn = g.signIns.some((x) => newAsnSet.has(x.asn));
    findings.push({
      code: "ca.device-code",
      severity: fromNewAsn ? "high" : "medium",
      occurredAt: s.at,
      summary: `${subjectOf(s)} signed in with the device-code flow from ${where(s)}${fromNewAsn ? " (a new ASN)" : ""}: ${g.signIns.length} sign-in(s)`,
      evidence: evidence(g.signIns),
      subject: subjectOf(s),
      data: { ip: s.ip, count: g.signIns.length, fromNewAsn },
    });
  }
  for (const g of groupBy(
    successes.filter((s) => legacyClientApps.has(s.clientApp.trim().toLowerCase())),
    (s) => `${s.clientApp}|${s.ip}`,
  )) {
    const s = g.signIns[0]!;
    findings.push({
      code: "ca.legacy-auth",
      severity: "medium",
      occurredAt: s.at,
      summary: `${subjectOf(s)} signed in successfully with legacy authentication (${s.clientApp}) from ${where(s)}: ${g.signIns.length} sign-in(s)`,
      evidence: evidence(g.signIns),
      subject: subjectOf(s),
      data: { clientApp: s.clientApp, ip: s.ip, count: g.signIns.length },
    });
  }
  for (const s of successes.filter((x) => x.device.isCompliant && (x.device.deviceId === "" || x.device.trustType === ""))) {
    findings.push({
      code: "ca.compliant-mismatch",
      severity: "high",
      occurredAt: s.at,
      summary: `${subjectOf(s)} signed in from a device marked compliant that the directory does not know (${s.device.deviceId === "" ? "no device id" : "no trust type"}) from ${where(s)}`,
      evidence: evidence([s], true),
      subject: subjectOf(s),
      data: { deviceId: s.device.deviceId || null, trustType: s.device.trustType || null },
    });
  }

  findings.sort((a, b) => ms(a.occurredAt) - ms(b.occurredAt) || a.code.localeCompare(b.code));

  const incidentStart = start?.at ?? null;
  const flaggedSignins = inWindow.filter((s) => flagged.has(s)).map((s) => signInEvidence(s));
  // Every sign-in of the window, compact, for the report's chart and the sign-in table (the newest kept when there are more).
  const series = inWindow.slice(-maxSeriesSignins).map((s): SignInPoint => {
    const network = sufficient ? { newAsn: s.asn !== "" && !knownAsns.has(s.asn), newCountry: s.country !== "" && !knownCountries.has(s.country.toUpperCase()) } : { newAsn: false, newCountry: false };
    return {
      at: s.at,
      requestId: s.requestId,
      success: s.success,
      resultType: s.resultType,
      risk: s.risk,
      ip: s.ip,
      asn: s.asn,
      country: s.country,
      app: s.app,
      clientApp: s.clientApp,
      protocol: s.protocol,
      caStatus: text(s.row, "ConditionalAccessStatus"),
      deviceId: s.device.deviceId,
      userAgent: text(s.row, "UserAgent"),
      flagged: flagged.has(s),
      ...network,
    };
  });

  return {
    findings,
    outputs: {
      incidentStart,
      incidentStartRule: chosen?.rule ?? null,
      incidentStartConfidence: chosen?.confidence ?? null,
      incidentStartSignals: startSignals,
      incidentStartEvidence: evidenceIds,
      lastSuccessAt: successes.at(-1)?.at ?? null,
      baseline: baselineOut,
      signinRisk,
      // Identity Protection's risk detections exist only where sign-in risk is evaluated (Entra ID P2).
      riskEvaluated: signinRisk === "evaluated",
      knownAsns: [...knownAsns].sort(),
      newAsns: newAsnGroups.map((g) => g.value),
      attackerIps,
      flaggedSignins,
      signinCount: inWindow.length,
      signins: series,
      signinsOmitted: inWindow.length - series.length,
      baselineSigninCount: baseline.length,
      duplicateRows: duplicates,
      rowsWithoutTime: dropped,
      windowStart,
      // The window was in the data only when the user's history reaches before it: on a workspace that keeps five days
      // of a 30-day window, "no incident start in the window" says nothing of the 25 days it does not hold.
      windowReadFrom: sufficient ? windowStart : null,
    },
  };
}

export const signinsAnalyzer: AnalyzerDefinition = {
  name: "signins",
  description:
    "Sign-in triage: lockouts, failed external challenges, new ASN/country successes (travel told apart), high-risk successes, CA bypass, the baseline and the incident start with its rule, signals and confidence",
  outputs: [
    "incidentStart",
    "incidentStartRule",
    "incidentStartConfidence",
    "incidentStartSignals",
    "incidentStartEvidence",
    "lastSuccessAt",
    "baseline",
    "signinRisk",
    "riskEvaluated",
    "knownAsns",
    "newAsns",
    "attackerIps",
    "flaggedSignins",
    "signinCount",
    "signins",
    "signinsOmitted",
    "windowStart",
    "windowReadFrom",
  ],
  analyze: analyzeSignins,
};
