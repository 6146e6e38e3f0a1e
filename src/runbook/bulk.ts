import { planRunbook, type PlannedStep, type RunbookPlan } from "./plan.js";
import type { Runbook, Step } from "./schema.js";

/**
 * One runbook about one user, run for many users as one incident: every step is repeated per user under an id of
 * its own (`u2-block`), its templates pointing at that user's steps and UPN. The users' chains are independent: a
 * user's actions follow each other in the runbook's order, never another user's, so the scheduler runs them side by
 * side and the Graph adapter sends their requests together. Pure.
 */

import { bulkPrefix, bulkUsersParam } from "../core/bulk.js";

export { bulkPrefix, bulkUsersParam };

export interface BulkSection {
  upn: string;
  /** Prefix of this user's step ids: `u1-`. */
  prefix: string;
  /** This user's step ids, in the runbook's order. */
  steps: string[];
}

export interface BulkRunbook {
  runbook: Runbook;
  plan: RunbookPlan;
  sections: BulkSection[];
}


/** The section (user) a step id of a bulk run belongs to. */
export function sectionOf(sections: readonly BulkSection[], step: string | undefined): BulkSection | undefined {
  return step === undefined ? undefined : sections.find((s) => step.startsWith(s.prefix));
}

function rewrite(value: unknown, param: string, upn: string, ids: ReadonlySet<string>, prefix: string): unknown {
  if (typeof value === "string") {
    return value
      .replace(new RegExp(`\\{\\{\\s*params\\.${param}\\s*\\}\\}`, "g"), upn)
      .replace(/(\{\{\s*findings\.)([a-z][a-z0-9-]*)/g, (whole, head: string, id: string) => (ids.has(id) ? `${head}${prefix}${id}` : whole));
  }
  if (Array.isArray(value)) return value.map((v) => rewrite(v, param, upn, ids, prefix));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, param, upn, ids, prefix)]));
  return value;
}

/** The steps of one user: ids prefixed, `after`/`tolerate` and `findings.<id>` references to that user's steps, the UPN written in. */
export function stepsFor(runbook: Runbook, param: string, upn: string, prefix: string): Step[] {
  const ids = new Set(runbook.steps.map((s) => s.id));
  const mapId = (id: string): string => (ids.has(id) ? `${prefix}${id}` : id);
  return runbook.steps.map((step) => {
    const copy = rewrite(step, param, upn, ids, prefix) as Step;
    return {
      ...copy,
      id: `${prefix}${step.id}`,
      ...(step.after ? { after: step.after.map(mapId) } : {}),
      ...(step.tolerate ? { tolerate: step.tolerate.map(mapId) } : {}),
    };
  });
}

/**
 * The runbook for these users (each UPN once, in the order given). `param` is the runbook's UPN parameter: it leaves
 * the parameters, and `users` (the list, for the journal and resume) takes its place.
 */
export function expandForUsers(runbook: Runbook, param: string, users: readonly string[]): BulkRunbook {
  const sections: BulkSection[] = [];
  const steps: Step[] = [];
  const planned: PlannedStep[] = [];
  const stages: string[][] = [];
  users.forEach((upn, i) => {
    const prefix = bulkPrefix(i);
    const own = stepsFor(runbook, param, upn, prefix);
    // Planned per user: the ordering of actions holds within a user's chain only.
    const plan = planRunbook({ ...runbook, steps: own });
    steps.push(...own);
    planned.push(...plan.steps);
    plan.stages.forEach((ids, n) => (stages[n] ??= []).push(...ids));
    sections.push({ upn, prefix, steps: own.map((s) => s.id) });
  });
  const { [param]: _upn, ...params } = runbook.params;
  const expanded: Runbook = {
    ...runbook,
    // Named by its first user and how many more: two lists of the same size on one day are two incidents.
    subject: users.length === 1 ? users[0]! : `${users[0]} and ${users.length - 1} more`,
    params: { ...params, [bulkUsersParam]: { type: "string", required: true, description: "The users, comma-separated" } },
    steps,
  };
  return { runbook: expanded, plan: { runbookId: runbook.id, title: runbook.title, steps: planned, stages }, sections };
}

/** The runbook's UPN parameter: the one a bulk run repeats over, or undefined when it has none or several. */
export function userParamOf(runbook: Runbook): string | undefined {
  const upns = Object.entries(runbook.params).filter(([, spec]) => spec.type === "upn");
  return upns.length === 1 ? upns[0]![0] : undefined;
}
