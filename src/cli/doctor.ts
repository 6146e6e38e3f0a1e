import { readFileSync } from "node:fs";
import { azureCliClientId } from "../azure/credential.js";
import { missingTableOf } from "../azure/logs.js";
import { tokenFacts } from "../azure/token.js";
import { AzirError, isAzirError } from "../core/errors.js";
import { roleTemplateNames } from "../entra/facts.js";
import { doctorReport, latestRecordsQuery, runbookNeeds, type DoctorFacts, type DoctorReport } from "../runbook/doctor.js";
import type { LoadedRunbook } from "../runbook/load.js";
import { registry, resolveQueryPath } from "../runbook/registry.js";
import { createRunContext, type CommandContext, type RunContext } from "./context.js";
import { loadCheckedRunbook } from "./run-runbook.js";
import { shippedRunbook } from "./shipped-runbooks.js";

/** The runbook each command runs; `azir doctor contain` checks what `azir contain` needs. */
const commandRunbooks: Readonly<Record<string, string>> = {
  contain: "contain-user",
  investigate: "investigate-user",
  hunt: "hunt-device-code",
  verify: "verify-containment",
  snapshot: "vm-forensics",
  harden: "harden-user",
  release: "release-user",
};
const allShipped = ["contain-user", "investigate-user", "hunt-device-code", "verify-containment", "vm-forensics", "harden-user", "release-user"];

/** The runbook files a doctor target names: a command, a shipped runbook id, a file; none: every shipped runbook. */
export function doctorTargets(target: string | undefined, exists: (file: string) => boolean): string[] {
  if (target === undefined) return allShipped.map(shippedRunbook);
  const id = commandRunbooks[target] ?? target;
  if (exists(target) && !commandRunbooks[target]) return [target];
  const file = shippedRunbook(id);
  if (exists(file)) return [file];
  throw new AzirError("usage", `${JSON.stringify(target)} is neither a command (${Object.keys(commandRunbooks).join(", ")}), a shipped runbook nor a runbook file`, {
    hint: "azir runbooks lists the shipped ones",
  });
}

/** Checks what the runbooks need against the run's sign-in, token, workspace and subscription. */
export async function checkRunbooks(context: RunContext, runbooks: readonly LoadedRunbook[]): Promise<DoctorReport> {
  const needs = runbookNeeds(runbooks, (query, file) => readFileSync(resolveQueryPath(query, file) ?? query, "utf8"), registry, context.cloud);
  const { signIn } = context;
  const facts: DoctorFacts = {
    signIn: { kind: signIn.kind, cloud: context.cloud, authority: signIn.authority, ...(signIn.tenantId ? { tenantId: signIn.tenantId } : {}), ...(signIn.clientId ? { clientId: signIn.clientId } : {}) },
    token: await graphTokenFacts(context),
  };
  if (needs.logs && context.workspaceId) facts.workspace = await workspaceFacts(context, needs.tables.map((t) => t.table));
  const reach = async (id: string): Promise<NonNullable<DoctorFacts["subscription"]>> => {
    try {
      return { id, ...(await context.ports.arm.checkSubscription(id)) };
    } catch (error) {
      return { id, error: isAzirError(error) ? error.message : String(error) };
    }
  };
  if (context.subscriptionId) facts.subscription = await reach(context.subscriptionId);
  const forensics = context.config.forensics?.subscription ?? context.tabletopForensics?.subscription;
  if (needs.arm && forensics) facts.forensicsSubscription = await reach(forensics);
  return doctorReport(needs, facts);
}

/** The Graph token's claims: asked of the run's own credential, read, and dropped. */
async function graphTokenFacts(context: RunContext): Promise<DoctorFacts["token"]> {
  let token: string | undefined;
  try {
    token = (await context.credential.getToken(context.scopes.graph))?.token;
  } catch (error) {
    return isAzirError(error) ? { error: error.message, ...(error.hint ? { hint: error.hint } : {}) } : { error: String(error) };
  }
  const facts = token ? tokenFacts(token) : undefined;
  if (!facts) return { error: "the credential's token is not a JWT: what it holds cannot be read" };
  return {
    kind: facts.kind,
    ...(facts.appId ? { appId: facts.appId } : {}),
    ...(facts.appName ? { appName: facts.appName } : {}),
    ...(facts.tenantId ? { tenantId: facts.tenantId } : {}),
    ...(facts.user ? { user: facts.user } : {}),
    permissions: facts.permissions,
    roles: facts.roleTemplateIds.map((id) => roleTemplateNames[id.toLowerCase()] ?? id),
    azureCliApp: facts.appId?.toLowerCase() === azureCliClientId,
  };
}

/** Which tables the workspace has and their latest record; a table the service says is missing is dropped and asked again. */
async function workspaceFacts(context: RunContext, tables: string[]): Promise<NonNullable<DoctorFacts["workspace"]>> {
  const id = context.workspaceId;
  const missing = new Set<string>();
  for (let asked = tables.filter((t) => !missing.has(t)); asked.length > 0; asked = tables.filter((t) => !missing.has(t))) {
    try {
      const result = await context.ports.logs.query({ workspaceId: id, query: latestRecordsQuery(asked) });
      const rows = result.tables[0]?.rows ?? [];
      const latest = new Map(rows.map((r) => [String(r[0]), typeof r[1] === "string" ? r[1] : null]));
      return { id, tables: tables.map((table) => (missing.has(table) ? { table, present: false } : { table, present: true, latest: latest.get(table) ?? null })) };
    } catch (error) {
      const table = missingTableOf(error);
      if (!table || missing.has(table) || !asked.includes(table)) return { id, error: isAzirError(error) ? error.message : String(error) };
      missing.add(table);
    }
  }
  return { id, tables: tables.map((table) => ({ table, present: false })) };
}

/** `azir doctor [target]`: the checks with a run context of their own. */
export async function runDoctor(ctx: CommandContext, target: string | undefined, exists: (file: string) => boolean): Promise<DoctorReport> {
  const runbooks = await Promise.all(doctorTargets(target, exists).map((file) => loadCheckedRunbook(file)));
  const context = await createRunContext(ctx);
  try {
    return await checkRunbooks(context, runbooks);
  } finally {
    await context.close();
  }
}
