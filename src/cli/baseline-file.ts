import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { AzirError } from "../core/errors.js";
import { readUserFile } from "../core/files.js";
import { findJsonSyntaxProblem } from "../kql/json-position.js";
import { baselineVersion, tenantBaselineSchema, type TenantBaseline } from "../steps/baseline.js";

/** `users[3].authenticationMethods` from a zod issue path. */
function pathText(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : `${out}${out ? "." : ""}${String(key)}`), "") || "(root)";
}

/**
 * Reads and validates a tenant baseline (`azir baseline capture`'s file). Every problem is named by where it is: the
 * line and column of a JSON syntax error, the path of a value the schema refuses; a version azir does not know is
 * refused by name.
 */
export async function readBaselineFile(file: string, cwd: string): Promise<TenantBaseline> {
  const path = resolve(cwd, file);
  const text = await readUserFile(path, { what: "the baseline", hint: "capture one with azir baseline capture --out <file> before an incident" });
  const syntax = findJsonSyntaxProblem(text);
  if (syntax) throw new AzirError("validation", `${file}:${syntax.line}:${syntax.column}: not valid JSON: ${syntax.message}`);
  const value: unknown = JSON.parse(text);
  const version = value !== null && typeof value === "object" ? (value as Record<string, unknown>).version : undefined;
  if (typeof version === "number" && version !== baselineVersion) {
    throw new AzirError("validation", `${file}: baseline version ${version} is not one this azir reads (it reads version ${baselineVersion})`, { hint: "capture the baseline again with this version of azir" });
  }
  const parsed = tenantBaselineSchema.safeParse(value);
  if (!parsed.success) {
    throw new AzirError("validation", `${file}: not a valid azir tenant baseline`, { details: parsed.error.issues.slice(0, 20).map((i) => `${pathText(i.path)}: ${i.message}`) });
  }
  return parsed.data;
}

/** Writes a baseline; refuses to overwrite a file (a baseline is evidence of what was normal). */
export async function writeBaselineFile(file: string, cwd: string, baseline: TenantBaseline): Promise<string> {
  const path = resolve(cwd, file);
  try {
    await writeFile(path, `${JSON.stringify(baseline, null, 2)}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new AzirError("usage", `${file} exists: azir does not overwrite a baseline`, { hint: "name a new file (e.g. with the date)" });
    throw error;
  }
  return path;
}
