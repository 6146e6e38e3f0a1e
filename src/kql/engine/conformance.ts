/**
 * The conformance check: runs the engine over the corpus of queries answered by the real Kusto engine
 * (kql-conformance/kusto-results.jsonl) and counts supported, matching and wrong answers.
 */
import { readFile } from "node:fs/promises";
import { UnsupportedKqlError } from "./errors.js";
import { scalarToString } from "./functions.js";
import { compile, run } from "./index.js";
import type { KqlResult, ScalarType } from "./types.js";
import { formatDateTimeFull, formatReal, formatTimespan } from "./values.js";

/** One corpus case. */
export interface ConformanceCase {
  id: string;
  family: string;
  kql: string;
  columns: string[];
  rows: string[];
}

export type CaseOutcome = "matching" | "wrong" | "unsupported";

export interface CaseResult {
  id: string;
  family: string;
  outcome: CaseOutcome;
  /** Why the case was refused, or how the answer differed. */
  detail?: string;
}

export interface ConformanceReport {
  total: number;
  supported: number;
  matching: number;
  wrong: number;
  families: Record<string, { total: number; supported: number; matching: number; wrong: number }>;
  cases: CaseResult[];
}

const typeNames: Record<string, string> = {
  long: "Int",
  int: "Int",
  real: "Real",
  string: "String",
  bool: "Bool",
  datetime: "DateTime",
  timespan: "TimeSpan",
  dynamic: "Dynamic",
  guid: "Guid",
};

/** A cell as the corpus renders it. */
export function corpusCell(v: unknown, type: ScalarType): string {
  if (v === null || v === undefined) return type === "string" ? "''" : "null";
  switch (type) {
    case "string":
    case "guid":
      return `'${String(v)}'`;
    case "bool":
      return v ? "True" : "False";
    case "real":
      return formatReal(v as number);
    case "datetime":
      return formatDateTimeFull(v as bigint);
    case "timespan":
      return formatTimespan(v as bigint);
    case "dynamic":
      // as the wire writes it: a NaN or an infinity inside a dynamic value is its text ("NaN"), not null
      return JSON.stringify(v, (_k, x: unknown) => (typeof x === "number" && !Number.isFinite(x) ? formatReal(x) : x), 2);
    default:
      return scalarToString(v, type);
  }
}

export function corpusRows(result: KqlResult): string[] {
  const types = result.columns.map((c) => c.type as ScalarType);
  return result.rows.map((r) => `(${r.map((v, i) => corpusCell(v, types[i]!)).join(", ")})`);
}

export function parseCases(text: string): ConformanceCase[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as ConformanceCase);
}

const fixedNow = new Date("2026-01-01T00:00:00Z");

/** A cell whose JS value is not what its column's type is held as (see docs/kql-engine.md): an answer of the wrong kind. */
export function cellOfWrongKind(result: KqlResult): string | undefined {
  const fits = (v: unknown, t: string): boolean => {
    if (v === null) return t !== "string";
    switch (t) {
      case "string":
      case "guid":
        return typeof v === "string";
      case "long":
      case "int":
      case "real":
        return typeof v === "number";
      case "bool":
        return typeof v === "boolean";
      case "datetime":
      case "timespan":
        return typeof v === "bigint";
      default:
        return v !== undefined;
    }
  };
  for (const row of result.rows) {
    for (let i = 0; i < result.columns.length; i++) {
      const c = result.columns[i]!;
      const v = row[i];
      if (fits(v, c.type)) continue;
      const what = v === null ? "null" : v === undefined ? "no value" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `a ${typeof v}`;
      return `column ${c.name} (${c.type}) holds ${what}`;
    }
  }
  return undefined;
}

export async function runCase(c: ConformanceCase): Promise<CaseResult> {
  const base = { id: c.id, family: c.family };
  try {
    const compiled = await compile(c.kql, {});
    if (!compiled.ok) return { ...base, outcome: "unsupported", detail: `diagnostics: ${compiled.diagnostics[0]?.code} ${compiled.diagnostics[0]?.message}` };
    const result = run(compiled.plan, {}, { now: fixedNow });
    const columns = result.columns.map((col) => `${col.name}:${typeNames[col.type] ?? col.type}`);
    if (columns.join("|") !== c.columns.join("|")) return { ...base, outcome: "wrong", detail: `columns ${columns.join(", ")} != ${c.columns.join(", ")}` };
    const misfit = cellOfWrongKind(result);
    if (misfit) return { ...base, outcome: "wrong", detail: misfit };
    const rows = corpusRows(result);
    const expected = compiled.plan.ordered ? c.rows : [...c.rows].sort();
    const actual = compiled.plan.ordered ? rows : [...rows].sort();
    if (expected.length !== actual.length || expected.some((r, i) => r !== actual[i])) {
      const i = expected.findIndex((r, j) => r !== actual[j]);
      return { ...base, outcome: "wrong", detail: `rows differ at ${i}: got ${actual[i] ?? "(none)"} expected ${expected[i] ?? "(none)"} (${actual.length} vs ${expected.length} rows)` };
    }
    return { ...base, outcome: "matching" };
  } catch (error) {
    if (error instanceof UnsupportedKqlError) return { ...base, outcome: "unsupported", detail: error.construct };
    // An engine failure is a refusal, not an answer; listed so that it can be fixed.
    return { ...base, outcome: "unsupported", detail: `error: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export async function runConformance(corpusPath: string, filter?: (c: ConformanceCase) => boolean): Promise<ConformanceReport> {
  const cases = parseCases(await readFile(corpusPath, "utf8")).filter(filter ?? (() => true));
  const report: ConformanceReport = { total: 0, supported: 0, matching: 0, wrong: 0, families: {}, cases: [] };
  for (const c of cases) {
    const r = await runCase(c);
    report.cases.push(r);
    const f = (report.families[c.family] ??= { total: 0, supported: 0, matching: 0, wrong: 0 });
    report.total++;
    f.total++;
    if (r.outcome !== "unsupported") {
      report.supported++;
      f.supported++;
    }
    if (r.outcome === "matching") {
      report.matching++;
      f.matching++;
    }
    if (r.outcome === "wrong") {
      report.wrong++;
      f.wrong++;
    }
  }
  return report;
}
