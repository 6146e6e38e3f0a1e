/**
 * How far the sign-in tables reach (DESIGN.md 9, "never a false all-clear"): Entra sign-in logs reach a workspace
 * minutes after the event (learn.microsoft.com/azure/azure-monitor/logs/data-ingestion-time), so "nothing since" is
 * only true up to the newest sign-in that has arrived, tenant-wide.
 */
import { z } from "zod";
import type { AnalysisResult, AnalyzerDefinition, AnalyzerInput } from "./types.js";
import { isoOrNull, ms, parseWith } from "./rows.js";

const withSchema = z.object({ since: isoOrNull, tables: z.array(z.string()).default(["SigninLogs", "AADNonInteractiveUserSignInLogs"]) });

/** How long to wait before looking again when the logs have not caught up. */
const checkAgainMs = 15 * 60_000;

export function analyzeCoverage(input: AnalyzerInput): AnalysisResult {
  const w = parseWith("coverage", withSchema, input.with);
  const latest: Record<string, string | null> = Object.fromEntries(w.tables.map((t) => [t, null]));
  for (const row of input.rows) {
    const table = typeof row.Table === "string" ? row.Table : undefined;
    const at = typeof row.Latest === "string" ? row.Latest : undefined;
    if (table && at && table in latest) latest[table] = at;
  }
  const known = Object.values(latest).filter((t): t is string => t !== null);
  // The interactive table decides: a workspace without non-interactive sign-ins still covers what it holds.
  const coveredUntil = latest.SigninLogs ?? (known.length ? known.sort()[0]! : null);
  const end = ms(input.window.end);
  return {
    findings: [],
    outputs: {
      coverage: latest,
      coveredUntil,
      caughtUp: coveredUntil !== null && w.since !== null && ms(coveredUntil) >= ms(w.since),
      checkAgainAt: Number.isFinite(end) ? new Date(end + checkAgainMs).toISOString() : null,
    },
  };
}

export const coverageAnalyzer: AnalyzerDefinition = {
  name: "coverage",
  description: "How far the sign-in tables reach (the newest sign-in that has arrived, per table)",
  outputs: ["coverage", "coveredUntil", "caughtUp", "checkAgainAt"],
  analyze: analyzeCoverage,
};
