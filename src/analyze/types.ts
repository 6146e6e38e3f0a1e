/**
 * Analyzers are pure functions: query rows in, findings and named outputs out. No clock, no I/O:
 * everything time-dependent (the window, "now") arrives in the input.
 */

/** One result row keyed by column name. datetimes are ISO-8601 UTC strings, dynamic cells parsed JSON. */
export type Row = Record<string, unknown>;

export type Severity = "info" | "low" | "medium" | "high" | "critical";

export const severityRank: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export interface Finding {
  /** Stable code, e.g. `signin.new-asn-success`. */
  code: string;
  severity: Severity;
  /** When it happened in the tenant (ISO-8601 UTC), taken from the evidence. */
  occurredAt: string;
  /** One line a responder reads. */
  summary: string;
  /** The rows that show it (a few columns are enough; keep the row identity: Id / CorrelationId / request id). */
  evidence: Row[];
  /** The user, app or resource the finding is about. */
  subject?: string;
  /** Extra structured facts (e.g. which rule chose the incident start). */
  data?: Record<string, unknown>;
}

export interface AnalyzerInput {
  /** Rows of the step's own query. */
  rows: Row[];
  /** The step's resolved `with:` values (params and earlier findings). */
  with: Record<string, unknown>;
  /** The query window. */
  window: { start: string; end: string };
}

export interface AnalysisResult {
  findings: Finding[];
  /** Named outputs for later steps: `{{ findings.<step>.<key> }}`. */
  outputs: Record<string, unknown>;
}

export interface AnalyzerDefinition {
  name: string;
  description: string;
  /** Output keys this analyzer always sets (value may be null): checked when runbooks are validated. */
  outputs: readonly string[];
  analyze(input: AnalyzerInput): AnalysisResult;
}
