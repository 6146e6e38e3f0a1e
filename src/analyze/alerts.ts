/**
 * Defender for Cloud alerts (DESIGN.md 4b item 6): one finding per alert, and the virtual machines they name,
 * which decide whether the VM forensics step is needed.
 */
import type { AnalysisResult, AnalyzerDefinition, AnalyzerInput, Finding, Row, Severity } from "./types.js";
import { ms, parseMaybeJson, pick, text, timeOf } from "./rows.js";
import { parseResourceId } from "../core/validate.js";

const severityOf: Record<string, Severity> = { high: "high", medium: "medium", low: "low", informational: "info" };

const vmIdPattern = /\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w._()]{1,90}\/providers\/Microsoft\.Compute\/virtualMachines\/[-\w._]{1,64}/gi;

/** ARM ids of virtual machines anywhere in a value (strings, arrays, objects), cut to the VM itself. */
function vmIdsIn(v: unknown, out: string[], depth = 0): void {
  if (depth > 12) return;
  const p = parseMaybeJson(v);
  if (typeof p === "string") {
    for (const m of p.matchAll(vmIdPattern)) if (parseResourceId(m[0])) out.push(m[0]);
  } else if (Array.isArray(p)) for (const x of p) vmIdsIn(x, out, depth + 1);
  else if (typeof p === "object" && p !== null) for (const x of Object.values(p)) vmIdsIn(x, out, depth + 1);
}

/**
 * When the investigation names a user (`with.upn`) and the attacker's IPs (`with.attackerIps`), an alert is
 * linked to the incident when its text (entities, description, compromised entity) names either. Unlinked
 * alerts stay on the timeline as context at info severity and do not ask for VM forensics.
 */
function linkTerms(input: AnalyzerInput): string[] | undefined {
  const upn = typeof input.with.upn === "string" ? input.with.upn : undefined;
  const ips = Array.isArray(input.with.attackerIps) ? input.with.attackerIps.filter((x): x is string => typeof x === "string" && x !== "") : undefined;
  if (upn === undefined && ips === undefined) return undefined;
  return [...(upn ? [upn.toLowerCase()] : []), ...(ips ?? [])];
}

function mentions(row: Row, terms: string[]): boolean {
  const haystack = ["Entities", "Description", "CompromisedEntity", "ExtendedProperties"].map((k) => text(row, k)).join("\n").toLowerCase();
  return terms.some((t) => new RegExp(`(^|[^0-9A-Za-z.@_-])${t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^0-9A-Za-z.@_-])`, "i").test(haystack));
}

export function analyzeAlerts(input: AnalyzerInput): AnalysisResult {
  const terms = linkTerms(input);
  // Latest row per alert (the query already does this; an export may not).
  const latest = new Map<string, { row: Row; t: number }>();
  input.rows.forEach((row, i) => {
    const id = text(row, "SystemAlertId") || `row:${i}`;
    const t = ms(timeOf(row, "TimeGenerated", "StartTime") ?? "1970-01-01T00:00:00Z");
    const prev = latest.get(id);
    if (!prev || t >= prev.t) latest.set(id, { row, t });
  });
  const findings: Finding[] = [];
  const vmIds = new Map<string, string>();
  for (const { row } of latest.values()) {
    const at = timeOf(row, "StartTime", "TimeGenerated") ?? input.window.start;
    const ids: string[] = [];
    vmIdsIn(row["ResourceId"], ids);
    vmIdsIn(row["Entities"], ids);
    const name = text(row, "DisplayName") || text(row, "AlertName");
    const entity = text(row, "CompromisedEntity");
    const linked = terms === undefined || mentions(row, terms);
    findings.push({
      code: "defender.alert",
      severity: linked ? (severityOf[text(row, "AlertSeverity").toLowerCase()] ?? "medium") : "info",
      occurredAt: at,
      summary: `Defender for Cloud: ${name || "alert"} (${text(row, "AlertSeverity") || "unknown severity"}) on ${entity || text(row, "ResourceId") || "an unknown resource"}, tactics ${text(row, "Tactics") || "unknown"}, status ${text(row, "Status") || "unknown"}${linked ? "" : " (not linked to this user or the attacker's IPs)"}`,
      evidence: [{ StartTime: at, ...pick(row, ["SystemAlertId", "AlertName", "DisplayName", "AlertSeverity", "Status", "Tactics", "ResourceId", "CompromisedEntity", "AlertLink"]) }],
      subject: entity || text(row, "ResourceId") || undefined,
      data: { systemAlertId: text(row, "SystemAlertId"), tactics: text(row, "Tactics").split(",").map((t) => t.trim()).filter(Boolean), vmResourceIds: [...new Set(ids)], linked },
    });
  }
  findings.sort((a, b) => ms(a.occurredAt) - ms(b.occurredAt));
  // ARM ids are case-insensitive: keep the first spelling met, in the order the alerts started.
  for (const f of findings) {
    if (f.data?.["linked"] === false) continue;
    for (const id of f.data?.["vmResourceIds"] as string[]) if (!vmIds.has(id.toLowerCase())) vmIds.set(id.toLowerCase(), id);
  }
  return { findings, outputs: { vmResourceIds: [...vmIds.values()], alertCount: latest.size } };
}

export const alertsAnalyzer: AnalyzerDefinition = {
  name: "alerts",
  description: "Defender for Cloud alerts with Execution, Persistence or CredentialAccess tactics, and the VMs they name",
  outputs: ["vmResourceIds", "alertCount"],
  analyze: analyzeAlerts,
};
