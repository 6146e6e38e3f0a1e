import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { analyzers } from "../analyze/index.js";
import { isAzirError } from "../core/errors.js";
import { packageRoot } from "../core/paths.js";
import { parseQueryFile } from "../kql/render.js";
import { actions } from "../steps/index.js";
import type { ExecutorRegistry } from "./execute.js";
import type { RuleContext } from "./rules.js";

/** The registries of the shipped actions and analyzers. */
export const registry: ExecutorRegistry = { actions, analyzers };

/** A step's KQL file: beside the runbook first, then in the package (kql/...). */
export function resolveQueryPath(query: string, runbookFile: string): string | undefined {
  if (isAbsolute(query)) return existsSync(query) ? query : undefined;
  for (const base of [dirname(resolve(runbookFile)), packageRoot()]) {
    const candidate = join(base, query);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function ruleContext(reg: ExecutorRegistry = registry): RuleContext {
  return {
    actionOutputs: (name) => (Object.hasOwn(reg.actions, name) ? (reg.actions[name]!.outputs ?? []) : undefined),
    actionNames: () => Object.keys(reg.actions),
    analyzerOutputs: (name) => (Object.hasOwn(reg.analyzers, name) ? [...reg.analyzers[name]!.outputs, "rowCount"] : undefined),
    analyzerNames: () => Object.keys(reg.analyzers),
    kqlParameters(query, runbookFile) {
      const path = resolveQueryPath(query, runbookFile);
      if (!path) return { ok: false, problem: `KQL file not found: ${query} (looked beside the runbook and in the package)` };
      try {
        return { ok: true, parameters: parseQueryFile(readFileSync(path, "utf8"), query).parameters.map((p) => p.name) };
      } catch (error) {
        return { ok: false, problem: isAzirError(error) ? error.message : `cannot read ${query}: ${(error as Error).message}` };
      }
    },
  };
}
