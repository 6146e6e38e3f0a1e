import { summariseRuns, type RunSummary } from "./document.js";
import type { TimelineEvent } from "./event.js";

/**
 * The steps a journal shows as completed, each with the event that completed it (the latest such event), for
 * `azir run --resume`: a completed step is not run again, so its writes are never sent twice.
 *
 * The rule, over all runs of the journal:
 * - `action.skipped` completes its step: nothing needed sending (already in effect, condition false).
 * - `action` and `action.planned` complete their step only with `data.stepCompleted: true`. A step may send
 *   several writes (one per authentication method); the executor sets `stepCompleted` on the event of the
 *   step's LAST write, after every write of the step succeeded. A failed write never carries it.
 * - `query` completes its step when `data.status` is `"completed"` (a partial answer leaves a gap and is
 *   queried again on resume).
 * Events without a `step` are ignored. Nothing un-completes a step: a later `error` for a completed step does not.
 */
export function completedSteps(events: readonly TimelineEvent[]): Map<string, TimelineEvent> {
  const done = new Map<string, TimelineEvent>();
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    if (e.step === undefined) continue;
    const completes =
      e.kind === "action.skipped" ||
      ((e.kind === "action" || e.kind === "action.planned") && e.data.stepCompleted === true) ||
      (e.kind === "query" && e.data.status === "completed");
    if (completes) done.set(e.step, e);
  }
  return done;
}

/** The run that appears last in the journal (by seq), or undefined for an empty journal. */
export function lastRun(events: readonly TimelineEvent[]): RunSummary | undefined {
  return summariseRuns(events).at(-1);
}
