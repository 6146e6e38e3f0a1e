import { summariseRuns, type RunSummary } from "./document.js";
import type { TimelineEvent } from "./event.js";

/**
 * The steps a journal shows as completed, each with the event that completed it (the latest such event), for
 * `azir run --resume`: a completed step is not run again, so its writes are never sent twice.
 *
 * The rule, over all runs of the journal (events without a `step` are ignored):
 * - a `step.completed` event completes its step: the executor journals one after a step's last event, with its
 *   outputs. An `action` event for one write of several does not, and a failed write never does, so a step cut off
 *   half-way is run again (it reads the tenant and sends only what is missing);
 * - journals written before `step.completed` existed: any event whose `data.stepCompleted` is `true`;
 * - `action.skipped` always completes its step: nothing needed sending;
 * - a `query` event with `data.status: "completed"` completes its step.
 * Nothing un-completes a step: a later `error` for a completed step does not.
 */
export function completedSteps(events: readonly TimelineEvent[]): Map<string, TimelineEvent> {
  const done = new Map<string, TimelineEvent>();
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    if (e.step === undefined) continue;
    const completes =
      e.kind === "step.completed" ||
      (e.data as Record<string, unknown>).stepCompleted === true ||
      e.kind === "action.skipped" ||
      (e.kind === "query" && e.data.status === "completed");
    if (completes) done.set(e.step, e);
  }
  return done;
}

/** The run that appears last in the journal (by seq), or undefined for an empty journal. */
export function lastRun(events: readonly TimelineEvent[]): RunSummary | undefined {
  return summariseRuns(events).at(-1);
}
