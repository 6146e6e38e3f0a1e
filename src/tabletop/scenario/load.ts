import { existsSync, readdirSync, statSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { z } from "zod";
import { parseDuration } from "../../core/duration.js";
import { AzirError } from "../../core/errors.js";
import type { KustoType, LogsColumn } from "../../core/ports.js";
import { tableSchemas } from "../../kql/tables.js";
import { findJsonSyntaxProblem } from "./json-position.js";
import { reservedScenarioFiles, tenantStateSchema, type Scenario, type ScenarioTable, type ScenarioTables, type TenantState } from "./schema.js";

/** Larger files are refused before reading: a tabletop scenario is meant to be small, and this bounds memory. */
export const maxScenarioFileBytes = 64 * 1024 * 1024;

const tableNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const isoPattern = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const timeHint = 'write an ISO-8601 date-time ("2026-11-20T08:00:00Z") or a time relative to the start of the run ("-3d4h", "-14d", "+1h", "now")';

/**
 * Loads and validates a scenario folder, pinning every relative time against `now` (the start of the run).
 * Throws AzirError `validation` naming the file and JSON path of the first problem, `usage` when the folder is missing.
 */
export async function loadScenario(dir: string, now: Date): Promise<Scenario> {
  if (Number.isNaN(now.getTime())) throw new AzirError("internal", "loadScenario was given an invalid `now`");
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    throw new AzirError("usage", `scenario folder not found: ${dir}`, {
      hint: `pass a folder holding tenant.json and one <Table>.json per Log Analytics table, or a built-in scenario name (${builtInScenarioNames().join(", ") || "contoso"})`,
      cause: error,
    });
  }
  if (!entries.includes("tenant.json")) {
    throw new AzirError("validation", `${join(dir, "tenant.json")}: missing`, {
      hint: "every scenario needs a tenant.json (see docs/scenarios.md)",
    });
  }
  const tableFiles = entries.filter((f) => f.endsWith(".json") && !reservedScenarioFiles.includes(f)).sort();
  const [tenant, ...tables] = await Promise.all([
    readJson(join(dir, "tenant.json")).then((raw) => buildTenant(raw, join(dir, "tenant.json"), now)),
    ...tableFiles.map(async (f) => {
      const name = f.slice(0, -".json".length);
      const file = join(dir, f);
      if (!tableNamePattern.test(name)) {
        throw new AzirError("validation", `${file}: "${name}" is not a Log Analytics table name`, {
          hint: "name table files after the table, e.g. SigninLogs.json",
        });
      }
      return [name, buildTable(name, await readJson(file), file, now)] as const;
    }),
  ]);
  const byName: ScenarioTables = {};
  for (const [name, table] of tables) byName[name] = table;
  return { name: basename(resolve(dir)), dir, tables: byName, tenant };
}

/** Pins a scenario time: ISO-8601 (UTC unless an offset is given) or relative to `now` ("-3d4h", "+1h", "now"). */
export function pinTime(text: string, now: Date): string | undefined {
  const t = text.trim();
  if (t === "now") return now.toISOString();
  if (t.startsWith("-") || t.startsWith("+")) {
    const ms = parseDuration(t);
    return ms === undefined ? undefined : new Date(now.getTime() + ms).toISOString();
  }
  const m = isoPattern.exec(t);
  if (!m) return undefined;
  // Sub-millisecond digits (Log Analytics writes 7) are cut, and a missing zone means UTC, as Azure writes it.
  const fraction = m[3] ? m[3].slice(0, 4) : "";
  const time = m[2] ? `T${m[2].length === 5 ? `${m[2]}:00` : m[2]}${fraction}` : "T00:00:00";
  const at = new Date(`${m[1]}${time}${m[4] ?? "Z"}`);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

/** The folder of the built-in Contoso scenario, from src/ (tests) or dist/ (installed package) alike. */
export function builtInScenarioDir(): string {
  return join(builtInScenariosRoot(), "contoso");
}

/** `scenarios/` at the package root. */
export function builtInScenariosRoot(): string {
  return join(packageRoot(), "scenarios");
}

/** Names of the scenarios shipped with azir (`contoso`, `minimal`, ...). */
export function builtInScenarioNames(): string[] {
  try {
    const root = builtInScenariosRoot();
    return existsSync(root)
      ? listDirsSync(root).filter((name) => existsSync(join(root, name, "tenant.json")))
      : [];
  } catch {
    return [];
  }
}

/**
 * `--tabletop [scenario]`: no value means the built-in Contoso tenant; a bare name of a built-in scenario means that
 * one; anything else is a folder path.
 */
export function resolveScenarioDir(ref?: string): string {
  if (ref === undefined || ref === "" || ref === "contoso") return builtInScenarioDir();
  if (!/[\\/]/.test(ref) && !existsSync(ref)) {
    const builtIn = join(builtInScenariosRoot(), ref);
    if (existsSync(join(builtIn, "tenant.json"))) return builtIn;
  }
  return resolve(ref);
}

let cachedRoot: string | undefined;

function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  // This module sits at <root>/src/tabletop/scenario or <root>/dist/tabletop/scenario; walk up rather than count.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "scenarios"))) {
      cachedRoot = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new AzirError("internal", "cannot find azir's package folder (the one holding scenarios/)");
    dir = up;
  }
}

function listDirsSync(root: string): string[] {
  return (existsSync(root) ? readdirSync(root) : []).filter((name) => statSync(join(root, name)).isDirectory()).sort();
}

async function readJson(file: string): Promise<unknown> {
  const info = await stat(file);
  if (info.size > maxScenarioFileBytes) {
    throw new AzirError("validation", `${file}: ${info.size} bytes is more than the ${maxScenarioFileBytes} bytes a scenario file may have`, {
      hint: "trim the export to the lookback window and the users of the exercise",
    });
  }
  const text = await readFile(file, "utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    const problem = findJsonSyntaxProblem(text);
    const where = problem ? `:${problem.line}:${problem.column}` : "";
    const what = problem ? problem.message : error instanceof Error ? error.message : "not valid JSON";
    throw new AzirError("validation", `${file}${where}: not valid JSON: ${what}`, {
      hint: "fix the JSON syntax at that position",
      cause: error,
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// tenant.json

function buildTenant(raw: unknown, file: string, now: Date): TenantState {
  const pinned = pinTenantTimes(raw, [], file, now);
  const parsed = tenantStateSchema.safeParse(pinned);
  if (!parsed.success) throw zodFailure(file, parsed.error, pinned);
  const tenant = parsed.data;
  const problems = crossCheck(tenant);
  if (problems.length > 0) {
    throw new AzirError("validation", `${file}: ${problems[0]}`, {
      details: problems.slice(1, 20).map((p) => `${file}: ${p}`),
      hint: "every id a tenant object refers to must exist in the same tenant.json",
    });
  }
  return tenant;
}

function isTimeKey(key: string): boolean {
  return key.endsWith("DateTime") || key === "timeCreated";
}

function pinTenantTimes(value: unknown, path: (string | number)[], file: string, now: Date): unknown {
  if (Array.isArray(value)) return value.map((v, i) => pinTenantTimes(v, [...path, i], file, now));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const here = [...path, key];
    if (isTimeKey(key) && v !== null && v !== undefined) {
      if (typeof v !== "string") throw new AzirError("validation", `${file}: ${formatPath(here)}: expected a date-time string, got ${kindOf(v)}`, { hint: timeHint });
      const at = pinTime(v, now);
      if (at === undefined) throw new AzirError("validation", `${file}: ${formatPath(here)}: bad time ${JSON.stringify(v)}`, { hint: timeHint });
      out[key] = at;
    } else out[key] = pinTenantTimes(v, here, file, now);
  }
  return out;
}

function crossCheck(t: TenantState): string[] {
  const problems: string[] = [];
  const userIds = new Set<string>();
  const upns = new Set<string>();
  t.users.forEach((u, i) => {
    if (userIds.has(u.id)) problems.push(`users[${i}].id: duplicate user id ${u.id}`);
    if (upns.has(u.userPrincipalName.toLowerCase())) problems.push(`users[${i}].userPrincipalName: duplicate ${u.userPrincipalName}`);
    userIds.add(u.id);
    upns.add(u.userPrincipalName.toLowerCase());
  });
  for (const [userId, methods] of Object.entries(t.authenticationMethods)) {
    if (!userIds.has(userId)) problems.push(`authenticationMethods.${userId}: no user has this id`);
    const seen = new Set<string>();
    methods.forEach((m, i) => {
      if (seen.has(m.id)) problems.push(`authenticationMethods.${userId}[${i}].id: duplicate method id ${m.id}`);
      seen.add(m.id);
    });
  }
  for (const [userId, methodId] of Object.entries(t.defaultMethods)) {
    if (!userIds.has(userId)) problems.push(`defaultMethods.${userId}: no user has this id`);
    else if (!(t.authenticationMethods[userId] ?? []).some((m) => m.id === methodId)) {
      problems.push(`defaultMethods.${userId}: ${methodId} is not one of the user's authenticationMethods`);
    }
  }
  const principals = new Set([...userIds, ...t.servicePrincipals.map((s) => s.id)]);
  t.roleAssignments.forEach((a, i) => {
    if (!principals.has(a.principalId)) problems.push(`roleAssignments[${i}].principalId: no user or service principal has id ${a.principalId}`);
  });
  t.riskyUsers.forEach((r, i) => {
    if (!userIds.has(r.id)) problems.push(`riskyUsers[${i}].id: no user has id ${r.id}`);
  });
  t.applications.forEach((a, i) =>
    a.owners.forEach((o, j) => {
      if (!principals.has(o)) problems.push(`applications[${i}].owners[${j}]: no user or service principal has id ${o}`);
    }),
  );
  const spIds = new Set(t.servicePrincipals.map((s) => s.id));
  t.oauth2PermissionGrants.forEach((g, i) => {
    if (!spIds.has(g.clientId)) problems.push(`oauth2PermissionGrants[${i}].clientId: no service principal has id ${g.clientId}`);
    if (!spIds.has(g.resourceId)) problems.push(`oauth2PermissionGrants[${i}].resourceId: no service principal has id ${g.resourceId}`);
    if (g.consentType === "Principal" && (!g.principalId || !userIds.has(g.principalId))) {
      problems.push(`oauth2PermissionGrants[${i}].principalId: a Principal grant needs the id of an existing user`);
    }
  });
  return problems;
}

function zodFailure(file: string, error: z.ZodError, input: unknown): AzirError {
  const lines = error.issues.map((issue) => {
    const path = formatPath(issue.path.filter((p): p is string | number => typeof p !== "symbol"));
    let message = issue.message.replace(/^Invalid input: /, "");
    if (issue.code === "invalid_type") {
      const got = valueAt(input, issue.path);
      message = `expected ${issue.expected}, got ${got === undefined ? "nothing" : kindOf(got)}`;
    }
    return `${path || "(top level)"}: ${message}`;
  });
  return new AzirError("validation", `${file}: ${lines[0]}`, {
    details: lines.slice(1, 20).map((l) => `${file}: ${l}`),
    hint: "see docs/scenarios.md for the tenant.json fields",
  });
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

// ---------------------------------------------------------------------------------------------------------------
// tables

interface ApiTableShape {
  tables: { name?: string; columns: { name: string; type: string }[]; rows: unknown[][] }[];
}

function isApiShape(raw: unknown): raw is ApiTableShape {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return false;
  const tables = (raw as { tables?: unknown }).tables;
  return Array.isArray(tables) && tables.length > 0 && tables.every((t) => t && typeof t === "object" && Array.isArray(t.columns) && Array.isArray(t.rows));
}

const kustoTypes: ReadonlySet<string> = new Set(["string", "datetime", "dynamic", "bool", "int", "long", "real", "decimal", "guid", "timespan"]);

function buildTable(name: string, raw: unknown, file: string, now: Date): ScenarioTable {
  let objects: unknown[];
  const typed = new Map<string, KustoType>();
  if (isApiShape(raw)) {
    // A saved Log Analytics query response: positional rows with their column types.
    const first = raw.tables[0]!;
    first.columns.forEach((c) => {
      const t = c.type.toLowerCase() === "boolean" ? "bool" : c.type.toLowerCase();
      if (kustoTypes.has(t)) typed.set(c.name, t as KustoType);
    });
    objects = first.rows.map((r) => Object.fromEntries(first.columns.map((c, i) => [c.name, r[i]])));
  } else if (Array.isArray(raw)) {
    objects = raw;
  } else {
    throw new AzirError("validation", `${file}: expected an array of rows (one object per row), got ${kindOf(raw)}`, {
      hint: 'write the table as [ { "TimeGenerated": "-1d", ... }, ... ]',
    });
  }
  const declared = tableSchemas[name];
  const columns: LogsColumn[] = declared ? declared.map(([n, t]) => ({ name: n, type: t })) : [];
  const known = new Set(columns.map((c) => c.name));
  const extra: string[] = [];
  objects.forEach((row, i) => {
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new AzirError("validation", `${file}: [${i}]: expected an object (one row), got ${kindOf(row)}`, {
        hint: "each element of a table file is one row: an object keyed by column name",
      });
    }
    for (const key of Object.keys(row)) {
      if (!known.has(key)) {
        known.add(key);
        extra.push(key);
      }
    }
  });
  for (const col of extra) {
    columns.push({ name: col, type: typed.get(col) ?? inferType(col, objects as Record<string, unknown>[]) });
  }
  const rows = (objects as Record<string, unknown>[]).map((row, i) =>
    columns.map((c) => convertCell(row[c.name], c, name, () => `${file}: [${i}].${c.name}`, now)),
  );
  return { columns, rows };
}

function inferType(column: string, rows: Record<string, unknown>[]): KustoType {
  const values = rows.map((r) => r[column]).filter((v) => v !== null && v !== undefined);
  if (values.length === 0) return "string";
  if (values.every((v) => typeof v === "boolean")) return "bool";
  if (values.every((v) => typeof v === "number")) return values.every((v) => Number.isInteger(v)) ? "long" : "real";
  if (values.every((v) => typeof v === "object")) return "dynamic";
  if (values.every((v) => typeof v === "string")) {
    const strings = values as string[];
    const timeNamed = /(Time|DateTime|Date|TimeGenerated|TimeUtc)$/.test(column);
    if (strings.every((s) => isoPattern.test(s.trim()) && /T|\s/.test(s.trim()))) return "datetime";
    if (timeNamed && strings.every((s) => pinTime(s, new Date(0)) !== undefined)) return "datetime";
    return "string";
  }
  return "dynamic";
}

function convertCell(value: unknown, column: LogsColumn, table: string, where: () => string, now: Date): unknown {
  const fail = (message: string, hint?: string): never => {
    throw new AzirError("validation", `${where()}: ${message}`, { hint: hint ?? `${table}.${column.name} is a ${column.type} column` });
  };
  if (value === undefined || value === null) return column.type === "string" ? "" : null;
  switch (column.type) {
    case "string":
    case "guid":
    case "timespan":
      if (typeof value === "string") return value;
      // JSON "details" columns that Azure types as string (the non-interactive table, SecurityAlert.Entities)
      // may be written as objects in a scenario; they are stored as the JSON text Azure would return.
      if (typeof value === "object") return JSON.stringify(value);
      return fail(`expected string, got ${kindOf(value)}`, `${table}.${column.name} is a string column: write it in quotes, e.g. "${String(value)}"`);
    case "datetime": {
      if (typeof value !== "string") return fail(`expected a date-time string, got ${kindOf(value)}`, timeHint);
      const at = pinTime(value, now);
      return at ?? fail(`bad time ${JSON.stringify(value)}`, timeHint);
    }
    case "bool":
      if (typeof value === "boolean") return value;
      // Exports made with `az monitor log-analytics query` write booleans as "True"/"False".
      if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
      if (value === 0 || value === 1) return value === 1;
      return fail(`expected bool, got ${kindOf(value)}`);
    case "int":
    case "long":
    case "real":
    case "decimal": {
      const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
      if (!Number.isFinite(n)) return fail(`expected ${column.type}, got ${kindOf(value)}`);
      if ((column.type === "int" || column.type === "long") && !Number.isInteger(n)) return fail(`expected ${column.type} (a whole number), got ${n}`);
      return n;
    }
    case "dynamic":
      if (typeof value === "string") {
        const t = value.trim();
        // Log Analytics exports carry dynamic cells as JSON text.
        if (t.startsWith("{") || t.startsWith("[")) {
          try {
            return JSON.parse(t) as unknown;
          } catch {
            return value;
          }
        }
      }
      return value;
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** `users[2].userPrincipalName` */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  return typeof value;
}
