/**
 * Plans for the shipped KQL files (kql/*.kql). Each file starts with `declare query_parameters(...)`; at run time
 * that statement is replaced by `let` statements holding the values, so the cache key is the text after the
 * declaration plus the declared names and types: the same key `compile` computes for the rendered query.
 */
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tableSchemas } from "../tables.js";
import { UnsupportedKqlError } from "./errors.js";
import { compileUncached } from "./index.js";
import { type PlanCacheFile, type StoredDiagnostic, planKey, tablesRead } from "./plan-cache.js";
import type { KqlPlan, ScalarType } from "./types.js";

const paramTypes: Record<string, ScalarType> = {
  string: "string",
  timespan: "timespan",
  time: "timespan",
  datetime: "datetime",
  date: "datetime",
  dynamic: "dynamic",
  long: "long",
  int: "int",
  real: "real",
  double: "real",
  bool: "bool",
  boolean: "bool",
  guid: "guid",
};

/** The declared parameters and the text after the declaration; no declaration gives no parameters and the whole text. */
export function splitDeclaration(text: string): { params: Array<{ name: string; type: ScalarType }>; rest: string } {
  const head = /^(?:\s|\/\/[^\n]*(?:\n|$))*declare\s+query_parameters\s*\(/.exec(text);
  if (!head) return { params: [], rest: text };
  let depth = 1;
  let i = head[0].length;
  for (; i < text.length && depth > 0; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
    else if (text[i] === '"' || text[i] === "'") {
      const q = text[i];
      for (i++; i < text.length && text[i] !== q; i++) if (text[i] === "\\") i++;
    }
  }
  const inner = text.slice(head[0].length, i - 1);
  const semi = /^\s*;/.exec(text.slice(i));
  const rest = text.slice(i + (semi ? semi[0].length : 0));
  const params: Array<{ name: string; type: ScalarType }> = [];
  for (const m of inner.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([A-Za-z]+)/g)) {
    const type = paramTypes[m[2]!.toLowerCase()];
    if (type) params.push({ name: m[1]!, type });
  }
  return { params, rest };
}

export function planKeyForFile(text: string): string {
  const { params, rest } = splitDeclaration(text);
  return planKey(rest, params);
}

/** One shipped file's entry: its key, and whether a plan exists (the engine may refuse a file). */
export interface PlanFileEntry {
  key: string;
  status: "compiled" | "unsupported" | "invalid";
  reason?: string;
}

/**
 * Kusto.Language's errors for a compiled body when one table it reads is missing and the others are as declared,
 * offsets counted from the body's first non-blank character: what a workspace without that table answers.
 */
export async function missingTableDiagnostics(
  rest: string,
  params: Array<{ name: string; type: ScalarType }>,
  plan: KqlPlan,
): Promise<Record<string, StoredDiagnostic[]>> {
  const body = rest.trimStart();
  const out: Record<string, StoredDiagnostic[]> = {};
  for (const table of [...tablesRead(plan).keys()].sort()) {
    const schemas = Object.fromEntries(Object.entries(tableSchemas).filter(([name]) => name !== table));
    const compiled = await compileUncached(body, schemas, params);
    if (compiled.ok) continue;
    out[table] = compiled.diagnostics.map(({ code, severity, message, offset, length }) => ({ code, severity, message, offset: offset - compiled.prefix, length }));
  }
  return out;
}

/** Compiles every `*.kql` file of `kqlDir` and writes the cache to `outFile`. Returns the cache written. */
export async function buildPlanCache(kqlDir: string, outFile: string, relPrefix = "kql/"): Promise<PlanCacheFile> {
  const files = (await readdir(kqlDir)).filter((f) => f.endsWith(".kql")).sort();
  const missing: Record<string, Record<string, StoredDiagnostic[]>> = {};
  const cache: PlanCacheFile = { version: 1, files: {}, plans: {}, missing };
  for (const f of files) {
    const text = await readFile(join(kqlDir, f), "utf8");
    const { params, rest } = splitDeclaration(text);
    const key = planKey(rest, params);
    try {
      const compiled = await compileUncached(rest, tableSchemas, params);
      if (compiled.ok) {
        cache.plans[key] = compiled.plan;
        missing[key] = await missingTableDiagnostics(rest, params, compiled.plan);
        cache.files[relPrefix + f] = { key, status: "compiled" };
      } else {
        const d = compiled.diagnostics[0]!;
        cache.files[relPrefix + f] = { key, status: "invalid", reason: `${d.code} ${d.message}` };
      }
    } catch (error) {
      if (!(error instanceof UnsupportedKqlError)) throw error;
      cache.files[relPrefix + f] = { key, status: "unsupported", reason: error.message };
    }
  }
  await writeFile(outFile, `${JSON.stringify(cache)}\n`);
  return cache;
}
