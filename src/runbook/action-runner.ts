import { AzirError, toAzirError } from "../core/errors.js";
import type { Clock } from "../core/clock.js";
import type { EffectOutcome } from "../core/effects.js";
import type { GraphQueryOptions, GraphReader, Ports } from "../core/ports.js";
import type { ActionDefinition, Decision, DecideContext, InputGap, Interpretation, IssuedSecrets, Note, ReadContext } from "../steps/types.js";
import { events } from "./events.js";
import type { JournalSink } from "./execute.js";
import type { Confirmer, WriteGate, WriteOrder } from "./gate.js";
import type { ActionStep } from "./schema.js";
import type { Finding } from "../analyze/types.js";
import type { TenantBaseline } from "../steps/baseline.js";

/** An action read and decided, waiting for its turn to write. */
export interface PreparedAction {
  action: ActionDefinition<unknown, unknown>;
  input: unknown;
  observed: unknown;
  decision: Decision;
  incomplete: readonly InputGap[];
}

export interface ActionRunResult {
  status: "completed" | "skipped" | "planned" | "not-run" | "needs-decision";
  summary: string;
  outputs: Record<string, unknown>;
}

/** What azir could not decide, put to the responder: the ids they choose among the items, or undefined (no answer). */
export type Chooser = (question: { step: string; summary: string; items: ReadonlyArray<Record<string, unknown>> }) => Promise<string[] | undefined>;

export interface ActionRunnerOptions {
  actions: Readonly<Record<string, ActionDefinition<unknown, unknown>>>;
  ports: Ports;
  clock: Clock;
  workspaceId: string;
  signal: AbortSignal;
  journal: JournalSink;
  gate: WriteGate;
  /** Asks the responder to settle an undecided step on a terminal; absent when nobody can be asked. */
  choose?: Chooser;
  /** Where the findings of actions join those of the analyzers. */
  findings?: Array<Finding & { step: string }>;
  /** The tenant baseline given for the run, if any. */
  baseline?: TenantBaseline;
  /** The client secrets this incident's earlier runs issued (DecideContext). */
  issuedSecrets?: IssuedSecrets;
}

/** How many times an action's `interpret` may ask for more effects (a refused default method retried last). */
const maxRetryRounds = 3;

/**
 * Graph reads shared by every action of the run: the same GET (method, path and options) is sent once. A failed
 * read is forgotten, so a later action reads again.
 */
export function memoisedGraph(graph: GraphReader): MemoisedGraph {
  const reads = new Map<string, Promise<unknown>>();
  // Lists started before anyone asked (warm): a failure is kept for the first who asks, then forgotten like any other.
  const warmed = new Set<string>();
  const keyOf = (verb: string, path: string, options: GraphQueryOptions | undefined): string => `${verb} ${path} ${JSON.stringify(options ?? {})}`;
  const once = <T>(verb: string, path: string, options: GraphQueryOptions | undefined, load: () => Promise<T>): Promise<T> => {
    const key = keyOf(verb, path, options);
    const known = reads.get(key);
    if (known) {
      if (warmed.delete(key)) known.catch(() => reads.delete(key));
      return known as Promise<T>;
    }
    const pending = load();
    reads.set(key, pending);
    pending.catch(() => {
      if (!warmed.has(key)) reads.delete(key);
    });
    return pending;
  };
  return {
    get: (path, options) => once("get", path, options, () => graph.get(path, options)),
    find: (path, options) => once("find", path, options, () => graph.find(path, options)),
    list: (path, options) => once("list", path, options, () => graph.list(path, options)),
    warm(path, options) {
      const key = keyOf("list", path, options);
      if (reads.has(key)) return;
      warmed.add(key);
      once("list", path, options, () => graph.list(path, options)).catch(() => undefined);
    },
  };
}

/** The run's shared Graph reads, and lists it may start before an action asks for them. */
export interface MemoisedGraph extends GraphReader {
  /** Starts a list now; the first read that asks for it gets its answer, or its error. */
  warm(path: string, options?: GraphQueryOptions): void;
}

/** The action lifecycle: read once, decide (pure), then the gate, then interpret the outcomes. */
export class ActionRunner {
  private readonly reads: ReadContext;
  private readonly said = new Set<string>();

  constructor(private readonly o: ActionRunnerOptions) {
    this.reads = {
      clock: o.clock,
      graph: memoisedGraph(o.ports.graph),
      arm: o.ports.arm,
      storage: o.ports.storage,
      logs: o.ports.logs,
      workspaceId: o.workspaceId,
      signal: o.signal,
      ...(o.baseline ? { baseline: o.baseline } : {}),
    };
  }

  definition(step: ActionStep): ActionDefinition<unknown, unknown> {
    const action = this.o.actions[step.action];
    if (!action) {
      throw new AzirError("validation", `unknown action "${step.action}"`, { hint: `valid actions: ${Object.keys(this.o.actions).join(", ")}` });
    }
    return action;
  }

  /** Several actions may say the same thing (e.g. "this user is an administrator"): journal it once. */
  note(step: string, note: Note): void {
    const { summary, data } = typeof note === "string" ? { summary: note, data: undefined } : note;
    if (this.said.has(summary)) return;
    this.said.add(summary);
    this.o.journal.append(events.note(summary, step, data));
  }

  /**
   * Reads ahead with the input known so far (the findings still to come read as null): the run's reads are shared,
   * so the action's own read later costs nothing for what it asks again. Nothing is decided or journaled; an input
   * that does not parse yet, or a read that fails, is left to the real read.
   */
  async readAhead(step: ActionStep, raw: unknown): Promise<void> {
    const action = this.definition(step);
    const parsed = action.input.safeParse(raw);
    if (parsed.success) await action.read(parsed.data, this.reads).catch(() => undefined);
  }

  /** What an action decides with besides its input and its reads. */
  private context(incomplete: readonly InputGap[]): DecideContext {
    return { now: this.o.clock.now(), incomplete, ...(this.o.issuedSecrets ? { issuedSecrets: this.o.issuedSecrets } : {}) };
  }

  /** Parses the step's input, reads and decides. The decision's notes are journaled now, before any write. */
  async prepare(step: ActionStep, raw: unknown, incomplete: readonly InputGap[]): Promise<PreparedAction> {
    const action = this.definition(step);
    const parsed = action.input.safeParse(raw);
    if (!parsed.success) {
      throw new AzirError("validation", `step ${step.id}: invalid input for ${action.name}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
    }
    const observed = await action.read(parsed.data, this.reads);
    const decision = action.decide(parsed.data, observed, this.context(incomplete));
    for (const note of decision.notes) this.note(step.id, note);
    for (const finding of decision.findings ?? []) {
      this.o.journal.append(events.finding(step.id, finding));
      this.o.findings?.push({ ...finding, step: step.id });
    }
    return { action, input: parsed.data, observed, decision, incomplete };
  }

  /**
   * Resume: reads the tenant again for a step the earlier run completed, and decides what undoes the change it made
   * (the action's `recheck`, or else its decision: any effect wanted means the change no longer holds). Returns the
   * action prepared to redo it, or undefined when the change is still in effect. A read that fails throws.
   */
  async recheck(step: ActionStep, raw: unknown, earlier: Readonly<Record<string, unknown>>): Promise<PreparedAction | undefined> {
    const action = this.definition(step);
    const parsed = action.input.safeParse(raw);
    if (!parsed.success) throw new AzirError("validation", `step ${step.id}: invalid input for ${action.name} on re-check`);
    const observed = await action.read(parsed.data, this.reads);
    const ctx = this.context([]);
    const decision = action.recheck ? action.recheck(parsed.data, observed, earlier, ctx) : action.decide(parsed.data, observed, ctx);
    if (decision === undefined || decision.done !== undefined || decision.effects.length === 0) return undefined;
    return { action, input: parsed.data, observed, decision, incomplete: [] };
  }

  /**
   * Runs a prepared action through the gate. `confirmer` asks for a step marked `confirm: true` that the one
   * confirmation before the first write did not cover.
   */
  async run(step: ActionStep, prepared: PreparedAction, confirmer: Confirmer | undefined, order: WriteOrder = {}): Promise<ActionRunResult> {
    // The writes the next action follows: this one's, or (independent writes, or none sent) what this one followed.
    let handed = false;
    const follow: WriteOrder = {
      ...(order.after ? { after: order.after } : {}),
      submitted: (tickets) => {
        handed = true;
        order.submitted?.(prepared.action.independentWrites || tickets.length === 0 ? (order.after ?? []) : tickets);
      },
    };
    try {
      return await this.runOrdered(step, prepared, confirmer, follow);
    } finally {
      if (!handed) order.submitted?.(order.after ?? []);
    }
  }

  private async runOrdered(step: ActionStep, prepared: PreparedAction, confirmer: Confirmer | undefined, order: WriteOrder): Promise<ActionRunResult> {
    prepared = await this.settle(step, prepared);
    const { action, decision } = prepared;
    const outputs = { ...(decision.outputs ?? {}) };
    if (decision.undecided && decision.effects.length === 0) return this.undecided(step, decision, outputs);
    if (decision.done !== undefined || decision.effects.length === 0) {
      const first = decision.notes[0];
      const reason = decision.done ?? (typeof first === "string" ? first : first?.summary) ?? "nothing to change";
      this.o.journal.append(events.actionSkipped(step.id, action.name, reason));
      return { status: "skipped", summary: reason, outputs };
    }
    const gate = this.o.gate;
    if (confirmer && !gate.records && !gate.isConfirmed(step.id) && !(await gate.ask(gate.pending(step.id, decision.effects), confirmer))) {
      return { status: "not-run", summary: "not confirmed", outputs };
    }
    const first = await gate.apply(step.id, action.name, decision.effects, order);
    if (first.recorded) {
      return decision.undecided ? this.undecided(step, decision, outputs) : { status: "planned", summary: `${decision.effects.length} write(s) planned`, outputs };
    }

    const outcomes: EffectOutcome[] = [...first.outcomes];
    let verdict = this.interpret(prepared, outcomes);
    for (let round = 0; verdict.retry?.length && round < maxRetryRounds; round++) {
      const more = await gate.apply(step.id, action.name, verdict.retry);
      if (!more.recorded) outcomes.push(...more.outcomes);
      verdict = this.interpret(prepared, outcomes);
    }
    for (const note of verdict.notes ?? []) this.note(step.id, note);
    if (verdict.error) throw verdict.error;
    Object.assign(outputs, verdict.outputs ?? {});
    if (decision.undecided) return this.undecided(step, decision, outputs);
    return { status: "completed", summary: `${decision.effects.length} write(s) sent`, outputs };
  }

  /**
   * Puts an undecided step to the responder when someone can be asked (a terminal, not --yes, not a dry run): their
   * choice, journaled, becomes the action's input and it decides again. Only what was chosen is added: the items not
   * chosen are kept as the user's own.
   */
  private async settle(step: ActionStep, prepared: PreparedAction): Promise<PreparedAction> {
    const { action, decision } = prepared;
    if (!decision.undecided || !action.resolve || !this.o.choose || this.o.gate.records) return prepared;
    const ids = decision.undecided.items.map((i) => i.id).filter((id): id is string => typeof id === "string");
    const chosen = await this.o.choose({ step: step.id, summary: decision.undecided.summary, items: decision.undecided.items });
    if (chosen === undefined) return prepared;
    const sure = decision.effects.map((e) => e.key).filter((key) => key !== "default");
    const picked = chosen.filter((id) => ids.includes(id));
    this.o.journal.append(
      events.note(`the responder decided: ${picked.length ? `${picked.join(", ")} ${picked.length === 1 ? "is" : "are"} the attacker's` : "none of them is the attacker's"}`, step.id, {
        decision: { chosen: picked, kept: ids.filter((id) => !picked.includes(id)) },
      }),
    );
    const input = action.resolve(prepared.input, [...sure, ...picked]);
    const again = action.decide(input, prepared.observed, this.context(prepared.incomplete));
    for (const note of again.notes) this.note(step.id, note);
    return { ...prepared, input, decision: again };
  }

  /** Ends a step azir could not finish on its own: the items to decide on are journaled, and the run will exit 1. */
  private undecided(step: ActionStep, decision: Decision, outputs: Record<string, unknown>): ActionRunResult {
    const { summary, hint, items } = decision.undecided!;
    this.o.journal.append(events.needsDecision(step.id, this.definition(step).name, summary, hint, items));
    return { status: "needs-decision", summary: `not done: needs a decision: ${summary}`, outputs };
  }

  private interpret(prepared: PreparedAction, outcomes: readonly EffectOutcome[]): Interpretation {
    const { action, input, observed, decision, incomplete } = prepared;
    if (action.interpret) return action.interpret(input, observed, decision, outcomes, this.context(incomplete));
    const failed = outcomes.find((o) => !o.ok);
    return failed && !failed.ok ? { error: toAzirError(failed.error) } : {};
  }
}
