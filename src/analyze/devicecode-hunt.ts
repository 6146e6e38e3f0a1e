/**
 * The tenant-wide device-code hunt (DESIGN.md 4b item 5): one finding per user who signed in with the device-code
 * flow, in the order of the query (most distinct IPs first).
 */
import type { AnalysisResult, AnalyzerDefinition, AnalyzerInput, Finding } from "./types.js";
import { parseMaybeJson, pick, text, timeOf } from "./rows.js";

/** One user's device-code sign-ins. */
export interface DeviceCodeUser {
  upn: string;
  signIns: number;
  distinctIps: number;
  firstSeen: string | null;
  lastSeen: string | null;
}

function count(v: unknown): number {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
  return Number.isFinite(n) ? n : 0;
}

function list(v: unknown): string[] {
  const p = parseMaybeJson(v);
  return Array.isArray(p) ? p.filter((x): x is string => typeof x === "string" && x !== "") : [];
}

export function analyzeDevicecodeHunt(input: AnalyzerInput): AnalysisResult {
  const findings: Finding[] = [];
  const users: DeviceCodeUser[] = [];
  for (const row of input.rows) {
    const upn = text(row, "UserPrincipalName");
    const signIns = count(row["SignIns"]);
    if (upn === "" || signIns <= 0) continue;
    const distinctIps = count(row["DistinctIPs"]);
    const firstSeen = timeOf(row, "FirstSeen") ?? null;
    const lastSeen = timeOf(row, "LastSeen") ?? null;
    const ips = list(row["IPs"]);
    const apps = list(row["Apps"]);
    users.push({ upn, signIns, distinctIps, firstSeen, lastSeen });
    // One device signing in with a code it displays stays on one network; codes redeemed from several IPs are
    // the phishing pattern (the code is entered by the victim, the token used elsewhere).
    const severity = distinctIps > 1 ? "high" : "medium";
    findings.push({
      code: "ca.device-code",
      severity,
      occurredAt: firstSeen ?? input.window.start,
      summary: `${upn}: ${signIns} device-code sign-in(s) from ${distinctIps} IP(s) (${ips.slice(0, 5).join(", ")})${apps.length ? ` to ${apps.slice(0, 3).join(", ")}` : ""}, ${firstSeen ?? "?"} to ${lastSeen ?? "?"}`,
      evidence: [pick(row, ["UserPrincipalName", "SignIns", "FailedCount", "DistinctIPs", "FirstSeen", "LastSeen", "IPs", "Apps"])],
      subject: upn,
      data: { signIns, distinctIps, failedCount: count(row["FailedCount"]), ips, apps },
    });
  }
  return { findings, outputs: { users, userCount: users.length } };
}

export const devicecodeHuntAnalyzer: AnalyzerDefinition = {
  name: "devicecode-hunt",
  description: "Tenant-wide device-code hunt: one finding per user, most distinct IPs first",
  outputs: ["users", "userCount"],
  analyze: analyzeDevicecodeHunt,
};
