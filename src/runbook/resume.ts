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

/**
 * The command that resumes a run and names it: the runbook and the parameters its subject is made of (all of them
 * when the subject names none of those given, as in a run over several users), so that the resume is not asked
 * about (a journal alone never decides what is acted on); then `flags`, the mode the journal was written in
 * (`--tabletop`, `--dry-run`), which a resume must repeat.
 */
export function resumeCommand(runbook: { id: string; subject?: string | undefined }, params: Readonly<Record<string, unknown>>, journalPath?: string, flags: readonly string[] = []): string {
  const given = (p: string): boolean => params[p] !== undefined && params[p] !== null && typeof params[p] !== "object";
  const inSubject = [...new Set([...(runbook.subject ?? "").matchAll(/params\.([A-Za-z0-9_]+)/g)].map((m) => m[1]!))].filter(given);
  const names = inSubject.length > 0 ? inSubject : Object.keys(params).filter(given);
  return `azir run ${shellWord(runbook.id)}${names.map((p) => ` --param ${shellWord(`${p}=${String(params[p])}`)}`).join("")} --resume ${journalPath === undefined ? "<journal>" : shellWord(journalPath)}${flags.map((f) => ` ${shellWord(f)}`).join("")}`;
}

/** A word a POSIX shell reads back as it is: quoted when it holds anything but plain characters. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
