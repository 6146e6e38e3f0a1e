/**
 * Sign-in triage (DESIGN.md 4b items 2 and 5): lockouts, failed external challenges, successes from networks and
 * countries the user had not used in the baseline, risky successes, conditional-access bypass signs, and the
 * incident start that later steps use as the start of the attacker's window.
 */
import { z } from "zod";
import { AzirError } from "../core/errors.js";
import { parseDuration } from "../core/duration.js";
import type { AnalysisResult, AnalyzerDefinition, AnalyzerInput, Finding, Row, Severity } from "./types.js";
import { distinct, isoOrNull, maxEvidenceRows, maxSeverity, ms, parseWith } from "./rows.js";
import { normaliseSignIns, signInEvidence, type SignIn } from "./signin-rows.js";

const withSchema = z.object({
  upn: z.string().optional(),
  /** Start of the lookback window; earlier rows are the baseline. */
  windowStart: isoOrNull,
  /** Alternative to windowStart: the lookback, counted back from the end of the query window. */
  lookback: z.union([z.string(), z.number()]).optional(),
});

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

const riskLevels: ReadonlySet<string> = new Set(["none", "low", "medium", "high"]);

/** Severity of a new-network success from its sign-in risk: a benign trip abroad (no risk) stays low. */
function severityForRisk(risk: string): Severity {
  if (risk === "high") return "high";
  if (risk === "medium") return "medium";
  return "low";
}

function windowStartOf(input: AnalyzerInput, w: z.infer<typeof withSchema>): string {
  if (w.windowStart) return w.windowStart;
  if (w.lookback !== undefined) {
    const lookbackMs = typeof w.lookback === "number" ? w.lookback : parseDuration(w.lookback);
    const end = Date.parse(input.window.end);
    if (lookbackMs !== undefined && Number.isFinite(end)) return new Date(end - Math.abs(lookbackMs)).toISOString();
  }
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

  // Only successful baseline sign-ins make a network or country "known": an attacker's failed attempts before the
  // window must not whitelist the attacker's network.
  const knownAsns = new Set(baseline.filter((s) => s.success && s.asn !== "").map((s) => s.asn));
  const knownCountries = new Set(baseline.filter((s) => s.success && s.country !== "").map((s) => s.country.toUpperCase()));

  // Lockouts and failed external challenges: one finding per user.
  const failures: Array<[string, string, string]> = [
    ["50053", "signin.locked", "sign-ins refused with account locked (50053)"],
    ["50158", "signin.external-challenge-failed", "sign-ins failed the external security challenge (50158)"],
  ];
  for (const [resultType, code, what] of failures) {
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

  // Successes from networks and countries not seen in the baseline: one finding per new value, at its first use.
  const newAsnGroups = groupBy(
    successes.filter((s) => s.asn !== "" && !knownAsns.has(s.asn)),
    (s) => s.asn,
  );
  const newAsnSet = new Set(newAsnGroups.map((g) => g.value));
  const newCountryGroups = groupBy(
    successes.filter((s) => s.country !== "" && !knownCountries.has(s.country.toUpperCase())),
    (s) => s.country.toUpperCase(),
  );
  for (const [code, label, groups] of [
    ["signin.new-asn-success", "ASN", newAsnGroups],
    ["signin.new-country-success", "country", newCountryGroups],
  ] as const) {
    for (const g of groups) {
      const firstSignIn = g.signIns[0]!;
      // The highest sign-in risk among the group's successes sets the severity.
      const severity = g.signIns.reduce<Severity>((acc, s) => maxSeverity(acc, severityForRisk(s.risk)), "low");
      const { first, last } = span(g.signIns);
      const ips = distinct(g.signIns.map((s) => s.ip));
      findings.push({
        code,
        severity,
        occurredAt: first,
        summary: `${subjectOf(firstSignIn)} signed in successfully from a new ${label} ${g.value} (${where(firstSignIn)}): ${g.signIns.length} sign-in(s), first ${first}`,
        evidence: evidence(g.signIns),
        subject: subjectOf(firstSignIn),
        data: { [label === "ASN" ? "asn" : "country"]: g.value, count: g.signIns.length, ips, first, last, risk: firstSignIn.risk || null },
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

  // Incident start: the first high-risk success; when the window carries no risk data at all (no Identity
  // Protection), the first success from a new ASN.
  const hasRiskData = inWindow.some((s) => riskLevels.has(s.risk));
  let start: SignIn | undefined;
  let rule: "first-high-risk-success" | "first-new-asn-success" | null = null;
  if (highRisk[0]) {
    start = highRisk[0];
    rule = "first-high-risk-success";
  } else if (!hasRiskData) {
    start = successes.find((s) => newAsnSet.has(s.asn));
    if (start) rule = "first-new-asn-success";
  }
  if (start && rule) {
    findings.push({
      code: "incident.start",
      severity: "high",
      occurredAt: start.at,
      summary: `incident start for ${subjectOf(start)}: ${rule === "first-high-risk-success" ? "first successful high-risk sign-in" : "first successful sign-in from a new ASN (no risk data in the window)"} at ${start.at} from ${where(start)}`,
      evidence: evidence([start]),
      subject: subjectOf(start),
      data: { rule },
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
  const attackerIps =
    incidentStart === null ? [] : distinct(successes.filter((s) => s.atMs >= ms(incidentStart) && newAsnSet.has(s.asn)).map((s) => s.ip));

  return {
    findings,
    outputs: {
      incidentStart,
      incidentStartRule: rule,
      lastSuccessAt: successes.at(-1)?.at ?? null,
      knownAsns: [...knownAsns].sort(),
      newAsns: newAsnGroups.map((g) => g.value),
      attackerIps,
      flaggedSignins,
      signinCount: inWindow.length,
      baselineSigninCount: baseline.length,
      duplicateRows: duplicates,
      rowsWithoutTime: dropped,
      windowStart,
    },
  };
}

export const signinsAnalyzer: AnalyzerDefinition = {
  name: "signins",
  description: "Sign-in triage: lockouts, failed external challenges, new ASN/country successes, high-risk successes, CA bypass, incident start",
  outputs: ["incidentStart", "incidentStartRule", "lastSuccessAt", "knownAsns", "newAsns", "attackerIps", "flaggedSignins", "signinCount"],
  analyze: analyzeSignins,
};
