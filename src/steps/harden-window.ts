import { z } from "zod";
import { isAzirError } from "../core/errors.js";
import { isLicenceError, isPermissionError, serviceSaid } from "./graph-errors.js";
import type { DecideContext } from "./types.js";

/**
 * What the hardening actions share: the audit log's operations of the lookback (the audit analyzer's `operations`
 * output) and the incident start, and how a read they cannot do becomes a gap instead of "nothing found".
 */

/** One audit operation as the audit analyzer outputs it (src/analyze/audit.ts, AuditOperation). */
export const auditOperationSchema = z.looseObject({
  code: z.string(),
  at: z.string(),
  operationName: z.string(),
  result: z.string(),
  initiatedBy: z.string(),
  ip: z.string(),
  target: z.string(),
  afterIncidentStart: z.boolean(),
  id: z.string(),
  targetId: z.string().default(""),
  targetType: z.string().default(""),
  roleTemplateId: z.string().optional(),
  keyIds: z.array(z.string()).optional(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});
export type AuditOperationInput = z.infer<typeof auditOperationSchema>;

/** The audit step's operations; null (the step failed or did not run) is not the same as none. */
export const operationsSchema = z.preprocess((v) => (v === "" || v === undefined ? null : v), z.array(auditOperationSchema).nullable());

/** A comma-separated list of ids from the responder ("" for none given). */
export const idListSchema = z.preprocess(
  (v) => (v === undefined || v === null ? "" : v),
  z.string().transform((s) => s.split(",").map((x) => x.trim()).filter((x) => x !== "")),
);

/** Successful operations of these codes made at or after the incident start. */
export function inWindow(operations: readonly AuditOperationInput[] | null, codes: readonly string[]): AuditOperationInput[] {
  return (operations ?? []).filter((o) => codes.includes(o.code) && o.afterIncidentStart && o.result.toLowerCase() !== "failure");
}

/** Whether `at` (ISO) is at or after the incident start. */
export function atOrAfter(at: string | null | undefined, start: string | null): boolean {
  return typeof at === "string" && start !== null && Date.parse(at) >= Date.parse(start);
}

/** Why the audit log cannot date anything for this run, or undefined when it can. */
export function auditUnknown(operations: readonly unknown[] | null, incidentStart: string | null, ctx: DecideContext): string | undefined {
  if (operations === null) return "the audit log was not read";
  if (ctx.incomplete.some((g) => g.step === "audit")) return "the audit log was read only in part";
  if (incidentStart === null) return "the incident start is not known";
  return undefined;
}

/** A read the action could not do, said in the report instead of being taken for "none". */
export interface ReadGap {
  what: string;
  said: string;
}

/** Runs a read; a refusal or a failure of the service becomes a gap (an interruption or a token problem still throws). */
export async function readOrGap<T>(what: string, gaps: ReadGap[], read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (!(isAzirError(error) && ["permission", "licence", "service", "throttled", "not-found"].includes(error.code)) && !isPermissionError(error) && !isLicenceError(error)) throw error;
    gaps.push({ what, said: serviceSaid(error) });
    return undefined;
  }
}

/** The notes of the reads that failed: "not read: ...". */
export function gapNotes(gaps: readonly ReadGap[]): string[] {
  return gaps.map((g) => `not read: ${g.what}: ${g.said}`);
}
