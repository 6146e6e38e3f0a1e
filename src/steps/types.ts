import type { z } from "zod";
import type { Clock } from "../core/clock.js";
import type { IdSource } from "../core/ids.js";
import type { ArmReader, GraphReader, LogsPort, WriteRequest } from "../core/ports.js";

/** What a step may use. Reads only: writes are returned as WriteRequests and pass the executor's gate. */
export interface StepContext {
  clock: Clock;
  ids: IdSource;
  logs: LogsPort;
  graph: GraphReader;
  arm: ArmReader;
  workspaceId: string;
  signal: AbortSignal;
  /** Adds a `note` event to the timeline (e.g. an unknown auth-method type that was left alone). */
  note(summary: string, data?: Record<string, unknown>): void;
}

export type DoneCheck = { done: true; reason: string } | { done: false };

export interface ActionPlan {
  /** The writes, in order (see WriteRequest.phase for concurrency). Empty when nothing is left to do. */
  writes: WriteRequest[];
  /** Things the responder should know that need no write (e.g. "left the password method alone"). */
  notes: string[];
  /** Named outputs for later steps (`{{ findings.<step>.<key> }}`). */
  outputs?: Record<string, unknown>;
}

export interface ActionResult {
  /** Outputs for later steps, merged over the plan's. */
  outputs?: Record<string, unknown>;
  notes?: string[];
}

/**
 * An action: one kind of change to the tenant, idempotent. The executor calls `isDone` (reads), then `plan`
 * (reads, returns the exact writes); in live and tabletop mode the writes go through the gate and `apply`
 * may follow up on their responses; in dry-run they are recorded as `action.planned` and `apply` is never called.
 */
export interface ActionDefinition<I = unknown> {
  /** Registered name, e.g. `entra.blockSignIn`. */
  name: string;
  description: string;
  /** Graph permissions or Azure roles the action needs (least privilege). */
  permissions: readonly string[];
  /** zod schema of the step's `with:` block after templating. */
  input: z.ZodType<I>;
  /** Keys of the outputs it sets (checked when runbooks are validated). */
  outputs?: readonly string[];
  /** Extra checks before any write (e.g. the operator lacks a role needed for an admin target): throw AzirError. */
  preflight?(input: I, ctx: StepContext): Promise<void>;
  isDone(input: I, ctx: StepContext): Promise<DoneCheck>;
  plan(input: I, ctx: StepContext): Promise<ActionPlan>;
  /**
   * Optional: sends the plan's writes through `send` (the gate) and interprets the responses. Without it the
   * executor sends the writes phase by phase.
   */
  apply?(plan: ActionPlan, input: I, ctx: StepContext, send: (w: WriteRequest) => Promise<unknown>): Promise<ActionResult>;
}
