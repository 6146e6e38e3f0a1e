import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { analyzers } from "../analyze/index.js";
import { isAzirError } from "../core/errors.js";
import { packageRoot } from "../core/paths.js";
import { parseQueryFile } from "../kql/render.js";
import { actions } from "../steps/index.js";
import type { ExecutorRegistry } from "./execute.js";
import type { RuleContext } from "./rules.js";

/** The registries of the shipped actions and analyzers. */
export const registry: ExecutorRegistry = { actions, analyzers };

/** The largest KQL file azir reads: a query is text a person wrote, not a data file. */
const maxQueryBytes = 1024 * 1024;

/**
 * A step's KQL file: a `.kql` file beside the runbook (or below its folder) first, then one of the package's (kql/...).
 * Nothing outside those folders, and regular files only: a runbook pointing at /proc/self/environ would otherwise
 * send the environment to Log Analytics as query text, and a FIFO or /dev/zero would hang the run.
 */
export function locateQuery(query: string, runbookFile: string): { ok: true; path: string } | { ok: false; problem: string } {
  if (isAbsolute(query) || !/\.kql$/i.test(query)) return { ok: false, problem: `KQL file must be a relative path to a .kql file: ${query}` };
  for (const base of [dirname(resolve(runbookFile)), packageRoot()]) {
    const candidate = join(base, query);
    if (!existsSync(candidate)) continue;
    const real = realpathSync(candidate);
    const inside = relative(realpathSync(base), real);
    if (inside.startsWith("..") || isAbsolute(inside)) return { ok: false, problem: `KQL file ${query} is outside the runbook's folder and the package` };
    const stat = statSync(real);
    if (!stat.isFile()) return { ok: false, problem: `KQL file ${query} is not a regular file` };
    if (stat.size > maxQueryBytes) return { ok: false, problem: `KQL file ${query} is larger than ${maxQueryBytes} bytes` };
    return { ok: true, path: real };
  }
  return { ok: false, problem: `KQL file not found: ${query} (looked beside the runbook and in the package)` };
}

/** The path of a step's KQL file, or undefined (see `locateQuery` for why). */
export function resolveQueryPath(query: string, runbookFile: string): string | undefined {
  const found = locateQuery(query, runbookFile);
  return found.ok ? found.path : undefined;
}

export function ruleContext(reg: ExecutorRegistry = registry): RuleContext {
  return {
    actionOutputs: (name) => (Object.hasOwn(reg.actions, name) ? (reg.actions[name]!.outputs ?? []) : undefined),
    actionNames: () => Object.keys(reg.actions),
    analyzerOutputs: (name) => (Object.hasOwn(reg.analyzers, name) ? [...reg.analyzers[name]!.outputs, "rowCount"] : undefined),
    analyzerNames: () => Object.keys(reg.analyzers),
    kqlParameters(query, runbookFile) {
      const found = locateQuery(query, runbookFile);
      if (!found.ok) return { ok: false, problem: found.problem };
      const path = found.path;
      try {
        return { ok: true, parameters: parseQueryFile(readFileSync(path, "utf8"), query).parameters.map((p) => p.name) };
      } catch (error) {
        return { ok: false, problem: isAzirError(error) ? error.message : `cannot read ${query}: ${(error as Error).message}` };
      }
    },
  };
}
