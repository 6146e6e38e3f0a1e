/**
 * Verification after containment (DESIGN.md 4b item 4): any successful sign-in at or after the containment time
 * means the block or the revocation has not taken (or not yet propagated).
 */
import { z } from "zod";
import { AzirError } from "../core/errors.js";
import type { AnalysisResult, AnalyzerDefinition, AnalyzerInput, Finding } from "./types.js";
import { isoOrNull, ms, parseWith } from "./rows.js";
import { normaliseSignIns, signInEvidence } from "./signin-rows.js";

const withSchema = z.object({ upn: z.string().optional(), since: isoOrNull });

export function analyzeSigninAfterContainment(input: AnalyzerInput): AnalysisResult {
  const w = parseWith("signin-after-containment", withSchema, input.with);
  if (w.since === null)
    throw new AzirError("validation", "analyzer signin-after-containment: no since in with:", {
      hint: "Pass with: { since: <ISO time containment completed> }.",
    });
  const sinceMs = ms(w.since);
  const after = normaliseSignIns(input.rows).signIns.filter((s) => s.success && s.atMs >= sinceMs);
  const findings: Finding[] = after.map((s) => ({
    code: "contain.signin-after-containment",
    severity: "critical",
    occurredAt: s.at,
    summary: `${w.upn ?? s.upn} signed in successfully after containment (${w.since}) from ${s.ip || "unknown IP"}, ${s.country || "unknown country"}, ASN ${s.asn || "unknown"}, ${s.app || "unknown app"}`,
    evidence: [signInEvidence(s)],
    subject: w.upn ?? s.upn,
    data: { since: w.since, table: s.row["Table"] ?? null },
  }));
  return { findings, outputs: { count: after.length, lastSuccessAt: after.at(-1)?.at ?? null } };
}

export const signinAfterContainmentAnalyzer: AnalyzerDefinition = {
  name: "signin-after-containment",
  description: "Successful sign-ins at or after the containment time",
  outputs: ["count"],
  analyze: analyzeSigninAfterContainment,
};
