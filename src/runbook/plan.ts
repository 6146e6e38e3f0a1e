import { findReferences } from "./template.js";
import { stepKind, type Runbook, type Step, type StepKind } from "./schema.js";

/**
 * The plan of a runbook is pure data: every step with the steps it waits for, and the stages that follow.
 * Dependencies are the declared `after`, the steps whose findings a step references, and, for actions, the
 * previously declared action: writes keep the order in which the runbook lists them.
 */
export interface PlannedStep {
  id: string;
  kind: StepKind;
  /** What the step runs: KQL file, action name, or "note". */
  runs: string;
  title?: string;
  dependsOn: string[];
  /**
   * The action declared before this one, when that is an ordering only (not an `after` or a step whose findings it
   * uses): its writes wait for that action to finish, not to succeed.
   */
  orderedAfter?: string;
  stage: number;
  write: boolean;
}

export interface RunbookPlan {
  runbookId: string;
  title: string;
  steps: PlannedStep[];
  /** Steps grouped by stage: a stage's reads can run concurrently once the stages before it are done. */
  stages: string[][];
}

export function dependenciesOf(step: Step, previousAction: string | undefined): string[] {
  const deps = new Set(step.after ?? []);
  try {
    for (const ref of findReferences([step.with, step.when, "note" in step ? step.note : undefined])) if (ref.kind === "findings") deps.add(ref.step);
  } catch {
    // malformed templates are reported by the rules; the plan ignores them
  }
  if (stepKind(step) === "action" && previousAction) deps.add(previousAction);
  deps.delete(step.id);
  return [...deps];
}

/** Dependency lists by step id (only references to steps that exist). */
export function dependencyGraph(runbook: Runbook): Map<string, string[]> {
  const ids = new Set(runbook.steps.map((s) => s.id));
  const graph = new Map<string, string[]>();
  let previousAction: string | undefined;
  for (const step of runbook.steps) {
    graph.set(step.id, dependenciesOf(step, previousAction).filter((d) => ids.has(d)));
    if (stepKind(step) === "action") previousAction = step.id;
  }
  return graph;
}

/**
 * For each action, the action declared before it when that is an ordering only (not an `after` or a step whose
 * findings it uses). Its writes wait for that action to finish, but not for it to succeed: containment goes on as
 * far as it can (if a method cannot be removed, the user is still confirmed compromised).
 */
export function orderingOnly(runbook: Runbook): Map<string, string> {
  const out = new Map<string, string>();
  let previousAction: string | undefined;
  for (const step of runbook.steps) {
    if (stepKind(step) !== "action") continue;
    if (previousAction && !dependenciesOf(step, undefined).includes(previousAction)) out.set(step.id, previousAction);
    previousAction = step.id;
  }
  return out;
}

/** A cycle as a list of step ids (first = last), or undefined. */
export function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "visiting") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "visiting");
    stack.push(id);
    for (const dep of graph.get(id) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const id of graph.keys()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Plans a runbook that passed the rules (no cycles). */
export function planRunbook(runbook: Runbook): RunbookPlan {
  const graph = dependencyGraph(runbook);
  const ordering = orderingOnly(runbook);
  const stageOf = new Map<string, number>();
  const stageFor = (id: string): number => {
    const known = stageOf.get(id);
    if (known !== undefined) return known;
    const deps = graph.get(id) ?? [];
    const stage = deps.length === 0 ? 0 : Math.max(...deps.map(stageFor)) + 1;
    stageOf.set(id, stage);
    return stage;
  };
  const steps: PlannedStep[] = runbook.steps.map((step) => {
    const kind = stepKind(step);
    return {
      id: step.id,
      kind,
      runs: "query" in step ? step.query : "action" in step ? step.action : "note",
      ...(step.title ? { title: step.title } : {}),
      dependsOn: graph.get(step.id) ?? [],
      ...(ordering.has(step.id) ? { orderedAfter: ordering.get(step.id)! } : {}),
      stage: stageFor(step.id),
      write: kind === "action",
    };
  });
  const stages: string[][] = [];
  for (const s of steps) (stages[s.stage] ??= []).push(s.id);
  return { runbookId: runbook.id, title: runbook.title, steps, stages };
}
