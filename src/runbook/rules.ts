import type { Diagnostic } from "../core/errors.js";
import { tableSchemas } from "../kql/tables.js";
import type { LoadedRunbook } from "./load.js";
import { dependencyGraph, findCycle } from "./plan.js";
import type { Step } from "./schema.js";
import { findReferences, TemplateError } from "./template.js";

/** What the rules need to know about the world: the registries and the KQL files. */
export interface RuleContext {
  /** Output keys of a registered action, or undefined when no such action exists. */
  actionOutputs(name: string): readonly string[] | undefined;
  actionNames(): string[];
  analyzerOutputs(name: string): readonly string[] | undefined;
  analyzerNames(): string[];
  /**
   * The parameters a KQL file declares, or a problem: the file is missing, or its declaration is malformed.
   * `query` is the step's path; `runbookFile` the runbook it is written in.
   */
  kqlParameters(query: string, runbookFile: string): { ok: true; parameters: string[] } | { ok: false; problem: string };
}

/** Named rules run after the schema. Each problem carries the step path and the line it is on. */
export function checkRunbook(loaded: LoadedRunbook, context: RuleContext): Diagnostic[] {
  const { runbook, file } = loaded;
  const problems: Diagnostic[] = [];
  const report = (path: Array<string | number>, message: string, hint?: string): void => {
    const pos = loaded.locate(path);
    const pathText = path.reduce<string>((o, p) => (typeof p === "number" ? `${o}[${p}]` : o ? `${o}.${p}` : p), "");
    problems.push({ severity: "error", file, ...pos, path: pathText, message, ...(hint ? { hint } : {}) });
  };

  // unique-step-ids
  const firstIndex = new Map<string, number>();
  runbook.steps.forEach((step, i) => {
    const seen = firstIndex.get(step.id);
    if (seen !== undefined) report(["steps", i, "id"], `duplicate step id "${step.id}" (first used by steps[${seen}])`);
    else firstIndex.set(step.id, i);
  });

  // after-targets-exist
  runbook.steps.forEach((step, i) => {
    (step.after ?? []).forEach((target, j) => {
      if (target === step.id) report(["steps", i, "after", j], `"after" names the step itself: "${target}"`, "a step cannot wait for itself; remove it");
      else if (!firstIndex.has(target)) report(["steps", i, "after", j], `"after" names a step that does not exist: "${target}"`, `steps are: ${[...firstIndex.keys()].join(", ")}`);
    });
  });

  // tolerate-names-dependencies: a step can only run without a step it would otherwise wait for
  const dependencies = dependencyGraph(runbook);
  runbook.steps.forEach((step, i) => {
    const deps = new Set(dependencies.get(step.id) ?? []);
    (step.tolerate ?? []).forEach((target, j) => {
      if (!deps.has(target)) report(["steps", i, "tolerate", j], `"tolerate" names "${target}", which "${step.id}" does not depend on`, "name a step in its after list or one whose findings it uses");
    });
  });

  // no-cycles
  const cycle = findCycle(dependencies);
  if (cycle) {
    const at = runbook.steps.findIndex((s) => s.id === cycle[0]);
    report(["steps", at, "after"], `steps depend on each other in a cycle: ${cycle.join(" -> ")}`, "remove one of these dependencies");
  }

  // ancestors, for template references to findings
  const ancestors = (id: string, seen = new Set<string>()): Set<string> => {
    for (const dep of dependencies.get(id) ?? []) {
      if (!seen.has(dep)) {
        seen.add(dep);
        ancestors(dep, seen);
      }
    }
    return seen;
  };
  const outputsOf = (step: Step): readonly string[] | undefined => {
    if ("query" in step) return step.analyze ? context.analyzerOutputs(step.analyze) : ["rows", "rowCount"];
    if ("action" in step) return context.actionOutputs(step.action);
    return [];
  };
  const stepById = new Map(runbook.steps.map((s) => [s.id, s]));

  runbook.steps.forEach((step, i) => {
    // registered action / analyzer
    if ("action" in step && context.actionOutputs(step.action) === undefined) {
      report(["steps", i, "action"], `unknown action "${step.action}"`, `valid actions: ${context.actionNames().join(", ")}`);
    }
    if ("query" in step && step.analyze && context.analyzerOutputs(step.analyze) === undefined) {
      report(["steps", i, "analyze"], `unknown analyzer "${step.analyze}"`, `valid analyzers: ${context.analyzerNames().join(", ")}`);
    }
    // optional tables must be declared ones: azir stands in for a missing one with an empty table of its schema
    if ("query" in step) {
      (step.optionalTables ?? []).forEach((table, j) => {
        if (!Object.hasOwn(tableSchemas, table)) report(["steps", i, "optionalTables", j], `"${table}" is not a table azir knows the schema of`, `known: ${Object.keys(tableSchemas).join(", ")}`);
      });
    }
    // KQL file exists, and its declared parameters are all given
    if ("query" in step) {
      const kql = context.kqlParameters(step.query, file);
      if (!kql.ok) report(["steps", i, "query"], kql.problem);
      else {
        const given = new Set(Object.keys(step.with ?? {}));
        for (const p of kql.parameters) {
          if (!given.has(p)) report(["steps", i, "with"], `query parameter "${p}" of ${step.query} is not given in "with"`);
        }
        // the query for several users: the same parameters, one dynamic list in place of the user's
        if (step.forUsers !== undefined) {
          const many = context.kqlParameters(step.forUsers, file);
          if (!many.ok) report(["steps", i, "forUsers"], many.problem);
          else if (!usersForm(kql.parameters, many.parameters)) {
            report(["steps", i, "forUsers"], `${step.forUsers} must declare the parameters of ${step.query} with one of them (the user) replaced by a list`);
          }
        }
      }
    }
    // template references resolve
    for (const [field, value] of [["with", step.with], ["when", step.when], ["note", "note" in step ? step.note : undefined]] as const) {
      if (value === undefined) continue;
      let refs;
      try {
        refs = findReferences(value);
      } catch (error) {
        if (error instanceof TemplateError) {
          report(["steps", i, field], error.message);
          continue;
        }
        throw error;
      }
      for (const ref of refs) {
        if (ref.kind === "incident") continue;
        if (ref.kind === "params") {
          if (!Object.hasOwn(runbook.params, ref.name)) report(["steps", i, field], `{{ ${ref.text} }}: the runbook declares no parameter "${ref.name}"`, `declared: ${Object.keys(runbook.params).join(", ") || "none"}`);
          continue;
        }
        const target = stepById.get(ref.step);
        if (!target) {
          report(["steps", i, field], `{{ ${ref.text} }}: no step "${ref.step}"`);
          continue;
        }
        if (!ancestors(step.id).has(ref.step)) {
          report(["steps", i, field], `{{ ${ref.text} }}: step "${ref.step}" does not run before "${step.id}"`, `add "${ref.step}" to after`);
          continue;
        }
        const outputs = outputsOf(target);
        if (outputs && !outputs.includes(ref.key)) {
          report(["steps", i, field], `{{ ${ref.text} }}: step "${ref.step}" has no output "${ref.key}"`, `its outputs: ${outputs.join(", ") || "none"}`);
        }
      }
    }
  });

  // subject template
  if (runbook.subject) {
    try {
      for (const ref of findReferences(runbook.subject)) {
        if (ref.kind !== "params" || !Object.hasOwn(runbook.params, ref.name)) report(["subject"], `subject may only reference declared params: {{ ${ref.text} }}`);
      }
    } catch (error) {
      report(["subject"], (error as Error).message);
    }
  }
  return problems;
}

/** The user parameter of a query and the list parameter of its form for several users, when the one replaces the other. */
export function usersForm(one: readonly string[], many: readonly string[]): { user: string; list: string } | undefined {
  const user = one.filter((p) => !many.includes(p));
  const list = many.filter((p) => !one.includes(p));
  return user.length === 1 && list.length === 1 ? { user: user[0]!, list: list[0]! } : undefined;
}
