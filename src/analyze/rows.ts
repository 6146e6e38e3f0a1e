/**
 * Reading query rows defensively. Rows come from Log Analytics or the local engine with datetimes as ISO strings and
 * dynamic cells parsed, but a scenario file or an export may hold JSON text, other offsets, or leave a column out.
 */
import { z } from "zod";
import { AzirError } from "../core/errors.js";
import type { Row, Severity } from "./types.js";
import { severityRank } from "./types.js";

/** A cell as text: strings as they are, numbers and booleans printed, anything else (absent, null) as "". */
export function text(row: Row, column: string): string {
  const v = row[column];
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  return "";
}

/** A dynamic cell: parsed JSON when it arrives as JSON text, undefined when absent or empty. */
export function dynamic(row: Row, column: string): unknown {
  return parseMaybeJson(row[column]);
}

export function parseMaybeJson(v: unknown): unknown {
  if (typeof v !== "string") return v ?? undefined;
  const t = v.trim();
  if (t === "") return undefined;
  if (t.startsWith("{") || t.startsWith("[") || t.startsWith('"')) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return v;
    }
  }
  return v;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Member access that never throws: `member(obj, "user", "userPrincipalName")`. */
export function member(v: unknown, ...path: string[]): unknown {
  let cur = parseMaybeJson(v);
  for (const key of path) {
    if (!isRecord(cur)) return undefined;
    cur = parseMaybeJson(cur[key]);
  }
  return cur;
}

export function memberText(v: unknown, ...path: string[]): string {
  const m = member(v, ...path);
  if (typeof m === "string") return m;
  if (typeof m === "number" || typeof m === "boolean") return String(m);
  return "";
}

/** A time value (ISO text with any offset, or a Date) as ISO-8601 UTC with milliseconds; undefined if unreadable. */
export function utc(v: unknown): string | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  if (typeof v !== "string" || v.trim() === "") return undefined;
  const t = v.trim();
  // A time without a zone is taken as UTC, as Log Analytics exports write them.
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(t) || !/T\d/.test(t) ? t : `${t}Z`;
  const d = new Date(zoned);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The first readable time among the given columns, in UTC. */
export function timeOf(row: Row, ...columns: string[]): string | undefined {
  for (const c of columns) {
    const t = utc(row[c]);
    if (t !== undefined) return t;
  }
  return undefined;
}

/** A subset of a row's columns, skipping absent ones: evidence keeps only what identifies and explains. */
export function pick(row: Row, columns: readonly string[]): Row {
  const out: Row = {};
  for (const c of columns) {
    const v = row[c];
    if (v !== undefined && v !== null && v !== "") out[c] = v;
  }
  return out;
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank[a] >= severityRank[b] ? a : b;
}

export function minSeverity(a: Severity, b: Severity): Severity {
  return severityRank[a] <= severityRank[b] ? a : b;
}

/** Distinct values in first-seen order, ignoring empty strings. */
export function distinct(values: Iterable<string>): string[] {
  const seen = new Set<string>();
  for (const v of values) if (v !== "") seen.add(v);
  return [...seen];
}

/** Caps an evidence list so that a finding over thousands of rows stays readable. */
export const maxEvidenceRows = 25;

/** Validates an analyzer's `with:` block with zod; problems become AzirError `validation` naming the analyzer. */
export function parseWith<T>(analyzer: string, schema: z.ZodType<T>, value: Record<string, unknown>): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(with)"}: ${i.message}`);
  throw new AzirError("validation", `analyzer ${analyzer}: invalid with: values`, {
    details: problems,
    hint: `Check the step's with: block for the ${analyzer} analyzer (see docs/analyzers.md).`,
  });
}

/** An ISO date-time (any offset) or null/absent, normalised to UTC. */
export const isoOrNull = z
  .union([z.string(), z.date(), z.null()])
  .optional()
  .transform((v, ctx) => {
    if (v === null || v === undefined || v === "") return null;
    const t = utc(v);
    if (t === undefined) {
      ctx.addIssue({ code: "custom", message: "not an ISO-8601 date-time" });
      return z.NEVER;
    }
    return t;
  });

export function ms(iso: string): number {
  return new Date(iso).getTime();
}
