/**
 * What `azir kql` runs: queries given as text, `.kql` files or folders of them, with `--param name=value` bound to
 * the parameters a file declares (`declare query_parameters(...)`) the way a runbook binds them.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { AzirError } from "../core/errors.js";
import { parseQueryFile, renderQuery, type KqlParameter } from "./render.js";

export interface QuerySource {
  /** The file (relative to the working directory) or `query` for text given on the command line. */
  source: string;
  text: string;
}

async function kind(path: string): Promise<"file" | "dir" | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? "dir" : s.isFile() ? "file" : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Each argument is a `.kql` file, a folder (its `.kql` files, in name order) or the text of a query. A name ending
 * in `.kql` that does not exist is an error, not a query.
 */
export async function readQuerySources(args: string[], cwd: string): Promise<QuerySource[]> {
  const out: QuerySource[] = [];
  for (const arg of args) {
    const path = resolve(cwd, arg);
    const what = /[\n|]/.test(arg) ? undefined : await kind(path);
    if (what === "dir") {
      const files = (await readdir(path)).filter((f) => f.endsWith(".kql")).sort();
      if (files.length === 0) throw new AzirError("usage", `${arg}: no .kql files in this folder`, { hint: "give a folder of .kql files, a .kql file or the text of a query" });
      for (const f of files) out.push({ source: relative(cwd, join(path, f)) || f, text: await readFile(join(path, f), "utf8") });
    } else if (what === "file") {
      out.push({ source: relative(cwd, path) || arg, text: await readFile(path, "utf8") });
    } else if (/\.kql$/i.test(arg.trim())) {
      throw new AzirError("usage", `${arg}: no such file`, { hint: "give a .kql file, a folder of them, or the text of a query" });
    } else {
      out.push({ source: "query", text: arg });
    }
  }
  return out;
}

/** `name=value` pairs from `--param`, later ones winning. */
export function parseParamFlags(flags: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(f);
    if (!m) throw new AzirError("usage", `--param ${JSON.stringify(f)}: expected name=value`, { hint: "e.g. --param upn=alex@contoso.com --param lookback=14d" });
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** A `--param` value as the parameter's declared type reads it. */
function typedValue(p: KqlParameter, raw: string, source: string): unknown {
  switch (p.type) {
    case "long": {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isSafeInteger(n)) throw new AzirError("usage", `--param ${p.name}: ${source} declares ${p.name}:long, and ${JSON.stringify(raw)} is not a whole number`);
      return n;
    }
    case "bool":
      if (!/^(true|false)$/i.test(raw)) throw new AzirError("usage", `--param ${p.name}: ${source} declares ${p.name}:bool; write true or false`);
      return raw.toLowerCase() === "true";
    case "dynamic":
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        throw new AzirError("usage", `--param ${p.name}: ${source} declares ${p.name}:dynamic; write JSON, e.g. '["a","b"]'`);
      }
    default:
      return raw;
  }
}

/**
 * Binds the `--param` values to the parameters a query declares (as `let` statements, values checked and escaped);
 * a query without a declaration is returned as it is. Every declared parameter needs a value.
 */
export function bindParams(q: QuerySource, params: Record<string, string>): string {
  if (!/\bdeclare\s+query_parameters\b/.test(q.text)) return q.text;
  const { parameters } = parseQueryFile(q.text, q.source);
  const missing = parameters.filter((p) => params[p.name] === undefined);
  if (missing.length > 0) {
    throw new AzirError("usage", `${q.source} declares ${missing.map((p) => `${p.name}:${p.type}`).join(", ")} and no value was given`, {
      hint: `pass ${missing.map((p) => `--param ${p.name}=<${p.type}>`).join(" ")}`,
    });
  }
  const values: Record<string, unknown> = {};
  for (const p of parameters) values[p.name] = typedValue(p, params[p.name]!, q.source);
  return renderQuery(q.text, values, q.source);
}

/** The names given with --param that no query declares (a typo, most likely). */
export function unusedParams(sources: QuerySource[], params: Record<string, string>): string[] {
  const declared = new Set<string>();
  for (const q of sources) {
    if (/\bdeclare\s+query_parameters\b/.test(q.text)) for (const p of parseQueryFile(q.text, q.source).parameters) declared.add(p.name);
  }
  return Object.keys(params).filter((n) => !declared.has(n));
}
