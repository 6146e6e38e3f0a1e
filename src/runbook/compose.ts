import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { packageRoot } from "../core/paths.js";
import { runbookSchema, stepSchema, type Runbook, type Step } from "./schema.js";

/**
 * Composition: a runbook may include another (`include: contain-user`), its steps copied in under the include's id
 * (`contain-block`), its parameters given by the include's `with:` (templates of the including runbook), and the
 * steps it shares with the including runbook bound to them (`bind: { signins: investigate-signins }`: not run twice,
 * and what read them reads the bound step). `after:` and `when:` on the include apply to every included step. The
 * result is a plain runbook: planning, rules and execution know nothing of includes.
 */

const stepIdPattern = /^[a-z][a-z0-9-]{0,62}$/;

export const includeStepSchema = z
  .object({
    id: z.string().regex(stepIdPattern).describe("Names the include; its steps become <id>-<step>"),
    title: z.string().optional(),
    include: z.string().describe("A shipped runbook id (contain-user), or a runbook file relative to this one"),
    with: z.record(z.string(), z.unknown()).optional().describe("Values of the included runbook's parameters; templates of this runbook allowed"),
    bind: z
      .record(z.string(), z.string())
      .optional()
      .describe("Included step id -> a step of this runbook that already does it: not copied; references to it read the bound step"),
    after: z.array(z.string()).optional().describe("Steps or includes every included step waits for"),
    when: z.string().optional().describe("Template; the included steps run only when it is truthy"),
  })
  .strict();
export type IncludeStep = z.infer<typeof includeStepSchema>;

/** A runbook as written: its steps may include other runbooks. */
export const composedRunbookSchema = runbookSchema.extend({ steps: z.array(z.union([stepSchema, includeStepSchema])).min(1) });

const maxDepth = 4;
const templatePattern = /\{\{\s*([^{}]*?)\s*\}\}/g;
const wholePattern = /^\{\{\s*([^{}]*?)\s*\}\}$/;

const maxRunbookBytes = 1024 * 1024;

/**
 * Where an include points: a shipped runbook id, or a relative .yaml file inside the including runbook's folder
 * (as a runbook's KQL files must be): a regular file of at most 1 MiB, never a path outside.
 */
function includedFile(include: IncludeStep, from: string): string {
  const name = include.include;
  const file = /^[a-z][a-z0-9-]*$/.test(name) ? resolve(packageRoot(), "runbooks", `${name}.yaml`) : isAbsolute(name) || !/\.ya?ml$/i.test(name) ? undefined : resolve(dirname(from), name);
  if (!file) throw new CompositionError({ message: `include ${include.id}: ${name} must be a shipped runbook id or a relative path to a .yaml file` });
  if (!existsSync(file)) throw new CompositionError({ message: `include ${include.id}: no runbook ${name}`, hint: "name a shipped runbook (azir runbooks) or a .yaml file next to this one" });
  const real = realpathSync(file);
  const base = /^[a-z][a-z0-9-]*$/.test(name) ? resolve(packageRoot(), "runbooks") : dirname(realpathSync(from));
  const inside = relative(realpathSync(base), real);
  if (inside.startsWith("..") || isAbsolute(inside)) throw new CompositionError({ message: `include ${include.id}: ${name} is outside the runbook's folder` });
  const info = statSync(real);
  if (!info.isFile() || info.size > maxRunbookBytes) throw new CompositionError({ message: `include ${include.id}: ${name} is not a regular runbook file of at most ${maxRunbookBytes} bytes` });
  return real;
}

/** What went wrong, and where in the including runbook (a document path). */
export interface CompositionProblem {
  message: string;
  hint?: string;
  path?: Array<string | number>;
}

export class CompositionError extends Error {
  constructor(readonly diagnostic: CompositionProblem) {
    super(diagnostic.message);
  }
}

/** Rewrites the templates of a value: params of the included runbook become the include's values, step ids move. */
function rewrite(value: unknown, params: Record<string, unknown>, stepOf: (id: string) => string): unknown {
  const one = (expression: string): { whole: unknown; text: string } | undefined => {
    const parts = expression.split(".");
    if (parts[0] === "params" && parts.length === 2) {
      const v = Object.hasOwn(params, parts[1]!) ? params[parts[1]!] : null;
      return { whole: v, text: v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v) };
    }
    if (parts[0] === "findings" && parts.length === 3) {
      const t = `{{ findings.${stepOf(parts[1]!)}.${parts[2]} }}`;
      return { whole: t, text: t };
    }
    return undefined;
  };
  if (typeof value === "string") {
    const whole = wholePattern.exec(value);
    if (whole) {
      const r = one(whole[1] ?? "");
      return r ? r.whole : value;
    }
    return value.replace(templatePattern, (m, expression: string) => one(expression)?.text ?? m);
  }
  if (Array.isArray(value)) return value.map((v) => rewrite(v, params, stepOf));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, params, stepOf)]));
  return value;
}

/** The steps an include brings, expanded (an included runbook may itself include others). */
function expandInclude(include: IncludeStep, from: string, depth: number, seen: readonly string[], includeSteps: ReadonlyMap<string, string[]>): Step[] {
  if (depth >= maxDepth) throw new CompositionError({ message: `include ${include.id}: runbooks nest deeper than ${maxDepth}` });
  const file = includedFile(include, from);
  if (seen.includes(file)) throw new CompositionError({ message: `include ${include.id}: ${include.include} includes itself (${[...seen, file].map((f) => relative(process.cwd(), f)).join(" -> ")})` });
  const included = composeRunbook(readFileSync(file, "utf8"), file, depth + 1, [...seen, file]);
  if (!included.ok) {
    const first = included.diagnostics[0];
    throw new CompositionError({ message: `include ${include.id}: ${include.include}: ${first ? `${first.path?.length ? `${first.path.join(".")}: ` : ""}${first.message}` : "invalid"}` });
  }
  const runbook = included.runbook;
  const given = include.with ?? {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(runbook.params, name)) throw new CompositionError({ message: `include ${include.id}: ${include.include} has no parameter "${name}"`, hint: `its parameters: ${Object.keys(runbook.params).join(", ")}` });
  }
  const params: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(runbook.params)) {
    if (Object.hasOwn(given, name)) params[name] = given[name];
    else if (spec.default !== undefined) params[name] = spec.default;
    else if (spec.required) throw new CompositionError({ message: `include ${include.id}: ${include.include} needs parameter "${name}"`, hint: `give it under with:` });
    else params[name] = null;
  }
  const bind = include.bind ?? {};
  const own = new Set(runbook.steps.map((s) => s.id));
  for (const id of Object.keys(bind)) if (!own.has(id)) throw new CompositionError({ message: `include ${include.id}: ${include.include} has no step "${id}" to bind` });
  const stepOf = (id: string): string => bind[id] ?? (own.has(id) ? `${include.id}-${id}` : id);
  const waitFor = (include.after ?? []).flatMap((id) => includeSteps.get(id) ?? [id]);
  return runbook.steps
    .filter((s) => !Object.hasOwn(bind, s.id))
    .map((s) => {
      if (include.when !== undefined && s.when !== undefined) throw new CompositionError({ message: `include ${include.id}: step ${s.id} has its own when:, which cannot be combined with the include's` });
      const copy = rewrite(s, params, stepOf) as Step;
      return {
        ...copy,
        id: stepOf(s.id),
        ...(s.after || waitFor.length ? { after: [...new Set([...(s.after ?? []).map(stepOf), ...waitFor])] } : {}),
        ...(s.tolerate ? { tolerate: s.tolerate.map(stepOf) } : {}),
        ...(include.when !== undefined ? { when: include.when } : {}),
      } as Step;
    });
}

/**
 * Parses a runbook's data and expands its includes. Errors are diagnostics (with the include's step index as their
 * path, so the caller can give the line).
 */
export function composeRunbook(
  source: string | unknown,
  file: string,
  depth = 0,
  seen: readonly string[] = [file],
): { ok: true; runbook: Runbook } | { ok: false; diagnostics: CompositionProblem[] } {
  const raw: unknown = typeof source === "string" ? parseYaml(source, { maxAliasCount: 50, uniqueKeys: true }) : source;
  const parsed = composedRunbookSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, diagnostics: parsed.error.issues.map((i) => ({ message: i.message, path: i.path.filter((p): p is string | number => typeof p !== "symbol") })) };
  const steps: Step[] = [];
  const includeSteps = new Map<string, string[]>();
  for (const [index, step] of parsed.data.steps.entries()) {
    if (!("include" in step)) {
      steps.push(step);
      continue;
    }
    try {
      const expanded = expandInclude(step, file, depth, seen, includeSteps);
      // Waiting for an include is waiting for its queries and actions: a note of it holds nothing up.
      includeSteps.set(step.id, expanded.filter((s) => !("note" in s)).map((s) => s.id));
      steps.push(...expanded);
    } catch (error) {
      if (error instanceof CompositionError) return { ok: false, diagnostics: [{ ...error.diagnostic, path: ["steps", index, "include"] }] };
      throw error;
    }
  }
  const result = runbookSchema.safeParse({ ...parsed.data, steps });
  if (!result.success) return { ok: false, diagnostics: result.error.issues.map((i) => ({ message: `after composition: ${i.message}`, path: i.path.filter((p): p is string | number => typeof p !== "symbol") })) };
  return { ok: true, runbook: result.data };
}
