import type { z } from "zod";
import type { Clock } from "../core/clock.js";
import type { AzirError } from "../core/errors.js";
import type { Effect, EffectOutcome } from "../core/effects.js";
import type { ArmReader, GraphQueryOptions, GraphReader, LogsPort, StorageReader } from "../core/ports.js";
import type { TenantBaseline } from "./baseline.js";

/**
 * What an action's `read` may use: reads only. The Graph reader is memoised for the whole run by the action
 * runner, so actions that need the same resource share one GET.
 */
export interface ReadContext {
  clock: Clock;
  /** The tenant baseline the responder gave (`--baseline`), validated when it was read; absent without one. */
  baseline?: TenantBaseline;
  graph: GraphReader;
  arm: ArmReader;
  storage: StorageReader;
  logs: LogsPort;
  workspaceId: string;
  signal: AbortSignal;
}

/** A line for the timeline; `data` is kept beside it. Said once per run however many actions say it. */
export type Note = string | { summary: string; data?: Record<string, unknown> };

/**
 * Something an action found in the tenant (an app credential added in the window, a new privileged assignment): the
 * timeline's finding, with the same shape as an analyzer's. `data.fix` names the write that removes it
 * (`DELETE /oauth2PermissionGrants/{id}`), so that a later command can tell a finding that was dealt with from one
 * still open.
 */
export interface ActionFinding {
  code: string;
  severity: "info" | "low" | "medium" | "high" | "critical";
  occurredAt: string;
  summary: string;
  evidence: Array<Record<string, unknown>>;
  subject?: string;
  data?: Record<string, unknown>;
}

/** What an action decided from what it read: pure data. */
export interface Decision {
  /** Set when the change is already in effect: nothing is done, and the step is recorded as skipped for this reason. */
  done?: string;
  /** The effects to perform, in phases (see Effect.phase). Empty with no `done`: skipped, the first note says why. */
  effects: Effect[];
  /** What the responder should know, journaled when the decision is made (before any confirmation or write). */
  notes: Note[];
  /** Named outputs for later steps (`{{ findings.<step>.<key> }}`), known before any write. */
  outputs?: Record<string, unknown>;
  /** Findings, journaled with the notes when the decision is made. */
  findings?: ActionFinding[];
  /**
   * What azir cannot decide on its own (it cannot tell the attacker's methods from the user's own, say): the effects
   * it is sure of are still performed, the step ends `not done: needs a decision` listing these items, and the run
   * exits 1. A responder's decision comes back through the action's input.
   */
  undecided?: { summary: string; hint: string; items: Array<Record<string, unknown>> };
}

/** What an action makes of the outcomes of its effects. */
export interface Interpretation {
  /** Merged over the decision's outputs. */
  outputs?: Record<string, unknown>;
  notes?: Note[];
  /** Effects to perform now, after which `interpret` is called again with every outcome so far (bounded rounds). */
  retry?: Effect[];
  /** The step failed: the error says what was and was not done. */
  error?: AzirError;
}

/** A step this action's inputs come from that did not give complete data: its findings may be missing or partial. */
export interface InputGap {
  step: string;
  reason: string;
}

/** What a decision or an interpretation is made with besides its input: passed in, never read. */
export interface DecideContext {
  now: Date;
  /**
   * Steps the input comes from that failed or returned partial data. An action never reports itself done, and never
   * concludes that nothing is left to do, on the strength of such a step.
   */
  incomplete: readonly InputGap[];
  /** The client secrets azir issued in this incident's earlier runs, from their journals (`issuedSecrets`). */
  issuedSecrets?: IssuedSecrets;
}

/**
 * What an incident's journals show of the client secrets azir issued: from when the incident's first run started,
 * and the key ids of those that reached the responder. A secret azir issued after `since` whose key id is not in
 * `delivered` was created by a request whose answer was lost: nobody holds it.
 */
export interface IssuedSecrets {
  since: string;
  delivered: ReadonlySet<string>;
}

/**
 * An action: one kind of change to the tenant, idempotent. The runner calls `read` once (reads only), then the
 * pure `decide`, hands the decision's effects to the write gate, and in live and tabletop mode gives the outcomes
 * to `interpret`. In dry-run the effects are recorded as planned and `interpret` is not called.
 */
export interface ActionDefinition<I = unknown, O = unknown> {
  /** Registered name, e.g. `entra.blockSignIn`. */
  name: string;
  description: string;
  /** Everything the action needs, from the permission catalogue (least privilege). */
  permissions: readonly string[];
  /** zod schema of the step's `with:` block after templating. */
  input: z.ZodType<I>;
  /** Keys of the outputs it sets (checked when runbooks are validated). */
  outputs?: readonly string[];
  /**
   * Its writes stand side by side (one deletion per method): the actions after it follow what it followed, not its
   * writes, so that one write that fails does not hold them back (in a Graph batch, a request whose prerequisite
   * failed is not run: 424 Failed Dependency).
   */
  independentWrites?: boolean;
  /**
   * Tenant-wide lists its read will ask for whatever the input (the users confirmed compromised, the Conditional Access
   * policies): the run starts them with its first requests, and the read finds them done. Only `GraphReader.list`
   * calls, exactly as the read makes them.
   */
  tenantReads?: ReadonlyArray<{ path: string; options?: GraphQueryOptions }>;
  read(input: I, ctx: ReadContext): Promise<O>;
  decide(input: I, observed: O, ctx: DecideContext): Decision;
  /**
   * The input with the responder's choice among the undecided items (their ids), for a decision made on a terminal:
   * the runner then decides again. Absent: undecided items can only be settled through the input on a later run.
   */
  resolve?(input: I, chosen: readonly string[]): I;
  /**
   * On resume, for a step the earlier run completed: what to send again because the tenant no longer shows the change
   * (an account enabled again, a risk dismissed), read afresh. `earlier` holds the outputs the earlier run recorded.
   * Undefined: still in effect. Absent: `decide` again, and any effect it wants is the change undone.
   */
  recheck?(input: I, observed: O, earlier: Readonly<Record<string, unknown>>, ctx: DecideContext): Decision | undefined;
  /** Default: any failed effect fails the step with its error. */
  interpret?(input: I, observed: O, decision: Decision, outcomes: readonly EffectOutcome[], ctx: DecideContext): Interpretation;
}
