import { existsSync, readdirSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { z } from "zod";
import { AzirError } from "../../core/errors.js";
import { packageRoot } from "../../core/paths.js";
import { kindOf, loadTableFolder, pinTime, readJsonFile, timeHint, type FileSizeLimit } from "../../kql/table-files.js";
import { tenantStateSchema, type Scenario, type TenantState } from "./schema.js";

export { pinTime } from "../../kql/table-files.js";

/** Larger files are refused before reading: a tabletop scenario is meant to be small, and this bounds memory. */
export const maxScenarioFileBytes = 64 * 1024 * 1024;

const sizeLimit: FileSizeLimit = {
  bytes: maxScenarioFileBytes,
  what: "a scenario file",
  hint: "trim the export to the lookback window and the users of the exercise",
};

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
  const tenantFile = join(dir, "tenant.json");
  const [tenant, tables] = await Promise.all([
    readJsonFile(tenantFile, sizeLimit).then((raw) => buildTenant(raw, tenantFile, now)),
    loadTableFolder(dir, { now, limit: sizeLimit }),
  ]);
  return { name: basename(resolve(dir)), dir, tables, tenant };
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
 * `--tabletop [scenario]` and `tabletop serve --scenario`: no value means the built-in Contoso tenant; the name of a
 * built-in scenario means that one; anything else is a folder path, relative to `cwd`.
 */
export function resolveScenarioDir(ref?: string | true, cwd = "."): string {
  if (ref === undefined || ref === true || ref === "") return builtInScenarioDir();
  if (!/[\\/]/.test(ref)) {
    const builtIn = join(builtInScenariosRoot(), ref);
    if (existsSync(join(builtIn, "tenant.json"))) return builtIn;
  }
  return resolve(cwd, ref);
}

function listDirsSync(root: string): string[] {
  return (existsSync(root) ? readdirSync(root) : []).filter((name) => statSync(join(root, name)).isDirectory()).sort();
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
  const groups = new Map(t.groups.map((g) => [g.id, g]));
  t.groups.forEach((g, i) =>
    g.members.forEach((m, j) => {
      if (!userIds.has(m) && !groups.has(m) && !principals.has(m)) problems.push(`groups[${i}].members[${j}]: no user, group or service principal has id ${m}`);
      // groups-concept.md: "Group nesting isn't supported. A group can't be added as a member of a role-assignable group."
      else if (g.isAssignableToRole && groups.has(m)) problems.push(`groups[${i}].members[${j}]: a role-assignable group cannot have a group as a member`);
    }),
  );
  // groups-concept.md: "Only groups that have the isAssignableToRole property set to true at creation time can be assigned a role."
  const rolePrincipal = (id: string, where: string): void => {
    const group = groups.get(id);
    if (group && !group.isAssignableToRole) problems.push(`${where}: group ${group.displayName} is not role-assignable (isAssignableToRole: false)`);
    else if (!group && !principals.has(id)) problems.push(`${where}: no user, service principal or group has id ${id}`);
  };
  t.roleAssignments.forEach((a, i) => rolePrincipal(a.principalId, `roleAssignments[${i}].principalId`));
  t.roleEligibilityScheduleInstances.forEach((e, i) => rolePrincipal(e.principalId, `roleEligibilityScheduleInstances[${i}].principalId`));
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
