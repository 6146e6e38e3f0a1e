import { ManualClock } from "../../src/core/clock.js";
import type { Effect } from "../../src/core/effects.js";
import type { ArmReader, GraphReader, LogsPort } from "../../src/core/ports.js";
import { ActionRunner, type ActionRunResult, type PreparedAction } from "../../src/runbook/action-runner.js";
import { WriteGate } from "../../src/runbook/gate.js";
import type { ActionStep } from "../../src/runbook/schema.js";
import type { ActionDefinition, Decision, InputGap, Note, ReadContext } from "../../src/steps/types.js";
import type { EventInput } from "../../src/timeline/event.js";

// Drives one action the way the executor does: `decideWith` reads and decides (no runner, no memoising, so read
// counts are the action's own); `actionHarness` / `runWith` go through the real ActionRunner and WriteGate with a
// fake performer, and keep the journal.

export const harnessNow = "2026-11-25T09:00:00Z";
const endpoints = { graph: "https://graph.microsoft.com", arm: "https://management.azure.com" };

const unused = (): never => {
  throw new Error("not used by this test");
};

/** A ReadContext over `graph`; logs and ARM throw if touched. */
export function readContext(graph: GraphReader, clock = new ManualClock(harnessNow)): ReadContext {
  const logs: LogsPort = { query: unused };
  const arm: ArmReader = { getResource: unused, findResource: unused, checkSubscription: unused, listVirtualMachines: unused };
  return { clock, graph, arm, storage: { findBlob: unused, findContainer: unused }, logs, workspaceId: "00000000-0000-4000-8000-0000000000aa", signal: new AbortController().signal };
}

/** The text of a note, whichever form it has. */
export function noteText(note: Note): string {
  return typeof note === "string" ? note : note.summary;
}

/** Reads once and decides, as the runner's `prepare` does (the input is parsed by the caller). */
export async function decideWith<I, O>(
  action: ActionDefinition<I, O>,
  input: I,
  graph: GraphReader,
  now = harnessNow,
  incomplete: readonly InputGap[] = [],
): Promise<{ observed: O; decision: Decision }> {
  const clock = new ManualClock(now);
  const observed = await action.read(input, readContext(graph, clock));
  return { observed, decision: action.decide(input, observed, { now: clock.now(), incomplete }) };
}

export type Perform = (effect: Effect) => Promise<unknown>;

export interface ActionHarness {
  clock: ManualClock;
  /** Everything the runner and the gate journaled. */
  journal: EventInput[];
  /** Every effect handed to the performer, in the order it was handed. */
  performed: Effect[];
  /** Parses the raw input, reads, decides and journals the decision's notes. */
  prepare(raw: unknown, incomplete?: readonly InputGap[]): Promise<PreparedAction>;
  /** Live run of a prepared action: the gate performs its effects through `perform`, then `interpret`. */
  run(prepared: PreparedAction): Promise<ActionRunResult>;
  /** Summaries of the note events journaled so far. */
  notes(): string[];
}

export function actionHarness<I, O>(action: ActionDefinition<I, O>, graph: GraphReader, perform: Perform, now = harnessNow): ActionHarness {
  const clock = new ManualClock(now);
  const journal: EventInput[] = [];
  const performed: Effect[] = [];
  const sink = { append: (e: EventInput) => journal.push(e) };
  const ctx = readContext(graph, clock);
  const gate = new WriteGate({
    record: false,
    performer: {
      // As the performer's contract says: an effect goes once those it follows have their answers.
      perform: async (effect, _signal, after = []) => {
        await Promise.allSettled(after);
        performed.push(effect);
        return perform(effect);
      },
    },
    endpoints,
    journal: sink,
  });
  const widened: ActionDefinition<unknown, unknown> = action as ActionDefinition<unknown, unknown>;
  const runner = new ActionRunner({
    actions: { [action.name]: widened },
    ports: { graph, logs: ctx.logs, arm: ctx.arm, storage: ctx.storage, effects: { perform: unused } },
    clock,
    workspaceId: ctx.workspaceId,
    signal: ctx.signal,
    journal: sink,
    gate,
  });
  const step: ActionStep = { id: "step", action: action.name };
  return {
    clock,
    journal,
    performed,
    prepare: (raw, incomplete = []) => runner.prepare(step, raw, incomplete),
    run: (prepared) => runner.run(step, prepared, undefined),
    notes: () => journal.filter((e) => e.kind === "note").map((e) => e.summary),
  };
}

/** Prepares and runs an action live through the runner and the gate; rejects with the step's error. */
export async function runWith<I, O>(
  action: ActionDefinition<I, O>,
  raw: unknown,
  graph: GraphReader,
  perform: Perform,
): Promise<{ result: ActionRunResult; prepared: PreparedAction; journal: EventInput[]; performed: Effect[]; notes: string[] }> {
  const h = actionHarness(action, graph, perform);
  const prepared = await h.prepare(raw);
  const result = await h.run(prepared);
  return { result, prepared, journal: h.journal, performed: h.performed, notes: h.notes() };
}
