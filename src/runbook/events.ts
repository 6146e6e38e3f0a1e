import type { AzirError } from "../core/errors.js";
import type { EffectDescription } from "../core/effects.js";
import type { Finding } from "../analyze/types.js";
import type { EventInput } from "../timeline/event.js";

/**
 * Typed constructors of every event the executor journals: one place decides what each event says and carries,
 * so the scheduler, the runners and the gate only choose which to append.
 */

type Window = { start: string; end: string };

/** `kql/signins-for-user.kql` -> `signins-for-user`. */
export function queryName(file: string): string {
  return file.replace(/^.*\//, "").replace(/\.kql$/i, "");
}

export const events = {
  /** The checkpoint of `--resume`: the step is done, and later steps read these outputs. */
  stepCompleted(step: string, status: "completed" | "skipped" | "planned", outputs: Record<string, unknown>): EventInput {
    return { kind: "step.completed", step, summary: `${step}: ${status}`, data: { status, outputs } };
  },

  note(summary: string, step?: string, data?: Record<string, unknown>): EventInput {
    return { kind: "note", ...(step ? { step } : {}), summary, ...(data ? { data } : {}) };
  },

  stepFailed(step: string, error: AzirError): EventInput {
    return {
      kind: "error",
      step,
      summary: `${step} failed: ${error.message}`,
      data: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}), details: error.details },
    };
  },

  gap(step: string, file: string, summary: string, gap: { window: Window | null; code: string; message: string }): EventInput {
    return { kind: "gap", step, summary, data: { query: queryName(file), file, ...(gap.window ? { window: gap.window } : {}), code: gap.code, reason: gap.message } };
  },

  finding(step: string, f: Finding): EventInput {
    return {
      kind: "finding",
      step,
      summary: f.summary,
      occurredAt: f.occurredAt,
      data: { code: f.code, severity: f.severity, occurredAt: f.occurredAt, ...(f.subject ? { subject: f.subject } : {}), evidence: f.evidence, ...(f.data ? { data: f.data } : {}) },
    };
  },

  query(
    step: string,
    file: string,
    facts: {
      window: Window | null;
      rows: number;
      requests: number;
      durationMs: number;
      /** The query was sent once for this many users (`sentAs`, the step's form for several users). */
      sharedWith?: number;
      sentAs?: string;
      complete: boolean;
      summary: string;
      outputs: Record<string, unknown>;
    },
  ): EventInput {
    return {
      kind: "query",
      step,
      summary: facts.summary,
      data: {
        name: queryName(file),
        file,
        ...(facts.window ? { window: facts.window } : {}),
        rows: facts.rows,
        requests: facts.requests,
        durationMs: facts.durationMs,
        ...(facts.sharedWith ? { sharedWith: facts.sharedWith, ...(facts.sentAs ? { sentAs: facts.sentAs } : {}) } : {}),
        complete: facts.complete,
        status: facts.complete ? "completed" : "partial",
        outputs: facts.outputs,
      },
    };
  },

  actionSkipped(step: string, action: string, reason: string): EventInput {
    return { kind: "action.skipped", step, summary: `${action}: ${reason}`, data: { action, reason } };
  },

  actionPlanned(step: string, action: string, d: EffectDescription): EventInput {
    return {
      kind: "action.planned",
      step,
      summary: `would ${d.summary}`,
      data: { action, target: d.target, service: d.service, method: d.method, url: d.url, ...(d.body === undefined ? {} : { body: d.body }), permission: d.permission },
    };
  },

  actionPerformed(step: string, action: string, d: EffectDescription, extra: { secretDelivered?: string } = {}): EventInput {
    return {
      kind: "action",
      step,
      summary: d.summary,
      data: { action, service: d.service, target: d.target, request: request(d), permission: d.permission, status: "succeeded", ...extra },
    };
  },

  actionFailed(step: string, action: string, d: EffectDescription, error: AzirError): EventInput {
    return {
      kind: "error",
      step,
      summary: `${d.summary}: failed: ${error.message}`,
      data: { action, target: d.target, request: request(d), permission: d.permission, code: error.code, message: error.message, details: error.details },
    };
  },

  needsDecision(step: string, action: string, summary: string, hint: string, items: Array<Record<string, unknown>>): EventInput {
    return { kind: "error", step, summary: `${action}: not done: needs a decision: ${summary}`, data: { code: "needs-decision", action, hint, items } };
  },

  refused(count: number): EventInput {
    return { kind: "note", summary: `the responder did not confirm ${count} write(s); nothing was sent`, data: { refused: true } };
  },
};

function request(d: EffectDescription): { method: EffectDescription["method"]; url: string; body?: unknown } {
  return { method: d.method, url: d.url, ...(d.body === undefined ? {} : { body: d.body }) };
}
