import { completedSteps } from "../timeline/resume.js";
import type { TimelineEvent } from "../timeline/event.js";
import type { StepGap } from "./query-runner.js";

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

/**
 * The gaps an earlier run recorded for the steps it completed: a resumed run does not read those steps again, so
 * their data stays as incomplete as it was.
 */
export function completedStepGaps(events: readonly TimelineEvent[]): StepGap[] {
  const done = completedSteps(events);
  return events.flatMap((e) => {
    if (e.kind !== "gap" || e.step === undefined || !done.has(e.step)) return [];
    const window = e.data.window ?? null;
    return [{ step: e.step, query: typeof e.data.file === "string" ? e.data.file : e.data.query, window, code: e.data.code ?? "gap", message: e.data.reason }];
  });
}
