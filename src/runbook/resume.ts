import type { TimelineEvent } from "../timeline/event.js";

/**
 * Outputs of the steps a journal shows as completed, for `azir run --resume`. A step is completed by the event
 * the executor marks with `data.stepCompleted: true`: the query event after its findings, the closing note after
 * every write of an action succeeded, an `action.skipped`, or the last `action.planned` of a dry run. A step with
 * some writes sent but no closing event is run again: its `isDone`/`plan` read the tenant, so only what is
 * missing is sent.
 */
export function completedStepOutputs(events: readonly TimelineEvent[]): Map<string, Record<string, unknown>> {
  const done = new Map<string, Record<string, unknown>>();
  for (const e of events) {
    if (e.step === undefined) continue;
    const data = e.data as Record<string, unknown>;
    if (data.stepCompleted === true) {
      const outputs = data.outputs;
      done.set(e.step, outputs !== null && typeof outputs === "object" ? (outputs as Record<string, unknown>) : {});
    }
  }
  return done;
}
