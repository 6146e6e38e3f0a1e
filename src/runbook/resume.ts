import { completedSteps } from "../timeline/resume.js";
import type { TimelineEvent } from "../timeline/event.js";

/**
 * Outputs of the steps a journal shows as completed (the rule is `completedSteps`'), for `azir run --resume`:
 * those steps are not run again, and later steps still read their outputs.
 */
export function completedStepOutputs(events: readonly TimelineEvent[]): Map<string, Record<string, unknown>> {
  const done = new Map<string, Record<string, unknown>>();
  for (const [step, event] of completedSteps(events)) {
    const outputs = (event.data as Record<string, unknown>).outputs;
    done.set(step, outputs !== null && typeof outputs === "object" ? (outputs as Record<string, unknown>) : {});
  }
  return done;
}
