/**
 * Identity Protection risk detections (AADUserRiskEvents), to cross-check the sign-ins' own risk levels. The
 * signins analyzer owns the sign-in findings; this one lists detections and flags high ones for information.
 */
import type { AnalysisResult, AnalyzerDefinition, AnalyzerInput, Finding, Row } from "./types.js";
import { distinct, memberText, ms, text, timeOf } from "./rows.js";

export function analyzeRisk(input: AnalyzerInput): AnalysisResult {
  const byId = new Map<string, Row>();
  input.rows.forEach((row, i) => {
    const id = text(row, "Id") || `row:${i}`;
    const prev = byId.get(id);
    // Keep the latest state of each detection.
    if (!prev || (timeOf(row, "TimeGenerated") ?? "") >= (timeOf(prev, "TimeGenerated") ?? "")) byId.set(id, row);
  });
  const detections = [...byId.values()]
    .map((row) => ({
      at: timeOf(row, "ActivityDateTime", "DetectedDateTime", "TimeGenerated") ?? input.window.start,
      id: text(row, "Id"),
      requestId: text(row, "RequestId"),
      correlationId: text(row, "CorrelationId"),
      upn: text(row, "UserPrincipalName"),
      riskEventType: text(row, "RiskEventType"),
      riskLevel: text(row, "RiskLevel").toLowerCase(),
      riskState: text(row, "RiskState"),
      riskDetail: text(row, "RiskDetail"),
      ipAddress: text(row, "IpAddress"),
      country: memberText(row["Location"], "countryOrRegion"),
      source: text(row, "Source"),
      detectionTimingType: text(row, "DetectionTimingType"),
    }))
    .sort((a, b) => ms(a.at) - ms(b.at));
  const high = detections.filter((d) => d.riskLevel === "high");
  const findings: Finding[] = high.map((d) => ({
    code: "identity.risk-detection",
    severity: "info",
    occurredAt: d.at,
    summary: `Identity Protection: ${d.riskEventType || "risk detection"} (high) for ${d.upn || "the user"}${d.ipAddress ? ` from ${d.ipAddress}` : ""}${d.country ? ` (${d.country})` : ""}, state ${d.riskState || "unknown"}`,
    evidence: [{ ...d }],
    subject: d.upn || undefined,
    data: { requestId: d.requestId || null, riskEventType: d.riskEventType },
  }));
  return {
    findings,
    outputs: { detections, highRiskRequestIds: distinct(high.map((d) => d.requestId)), detectionCount: detections.length },
  };
}

export const riskAnalyzer: AnalyzerDefinition = {
  name: "risk",
  description: "Identity Protection risk detections for the user; request ids of high-risk detections",
  outputs: ["detections", "highRiskRequestIds"],
  analyze: analyzeRisk,
};
