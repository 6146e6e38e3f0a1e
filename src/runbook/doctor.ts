import { actionNotInCloud } from "../entra/facts.js";
import { actionPermissions, checkNeeds, grantInstruction, graph, logAnalyticsPermission, type ActionPermissions, type TokenKind } from "../entra/permissions.js";
import { identifiersIn, parseQueryFile } from "../kql/render.js";
import { tableSchemas } from "../kql/tables.js";
import type { ExecutorRegistry } from "./execute.js";
import type { LoadedRunbook } from "./load.js";

/**
 * `azir doctor`, the pure part: what a runbook's steps need (Graph permissions from the catalogue, directory roles
 * for a delegated sign-in, Log Analytics tables, ARM), and the report that sets those needs against what the
 * token holds and what the probes found. Nothing here calls a service; the command gathers the facts.
 */

export interface RunbookNeeds {
  runbooks: string[];
  /** Each Graph permission (least privileged) with the steps that need it. */
  graph: Array<{ permission: string; steps: string[] }>;
  /** Delegated sign-in: the signed-in user must hold one of these roles for each action. */
  delegatedRoles: Array<{ step: string; anyOf: readonly string[] }>;
  /** Tables the queries read; `optional` when every step reading it tolerates its absence. */
  tables: Array<{ table: string; steps: string[]; optional: boolean }>;
  /** Some step queries Log Analytics. */
  logs: boolean;
  /** Some step acts on Azure Resource Manager. */
  arm: boolean;
  /** Steps the cloud's Graph does not offer (refused before any call). */
  notInCloud: Array<{ step: string; action: string; why: string }>;
}

/** Everything the runbooks need, by walking their steps. `queryText` is a query step's KQL file's text. */
export function runbookNeeds(runbooks: readonly LoadedRunbook[], queryText: (query: string, runbookFile: string) => string, registry: ExecutorRegistry, cloud: string): RunbookNeeds {
  const graphNeeds = new Map<string, Set<string>>();
  const tables = new Map<string, { steps: Set<string>; optional: boolean }>();
  const needs: RunbookNeeds = { runbooks: [], graph: [], delegatedRoles: [], tables: [], logs: false, arm: false, notInCloud: [] };
  const addGraph = (permission: string, step: string): void => {
    graphNeeds.set(permission, (graphNeeds.get(permission) ?? new Set()).add(step));
  };
  for (const { runbook, file } of runbooks) {
    needs.runbooks.push(runbook.id);
    const label = (id: string): string => (runbooks.length > 1 ? `${runbook.id}/${id}` : id);
    // The preflight reads each user the runbook is about before any step.
    if (Object.values(runbook.params).some((p) => p.type === "upn")) addGraph(graph.userRead, label("(user lookup)"));
    for (const step of runbook.steps) {
      if ("action" in step) {
        const why = actionNotInCloud(cloud, step.action);
        if (why) {
          needs.notInCloud.push({ step: label(step.id), action: step.action, why });
          continue;
        }
        if (step.action.startsWith("arm.")) {
          // Azure roles are not in a token: the ARM check below reads the subscription, the rest is documented.
          needs.arm = true;
          continue;
        }
        const catalogue = (actionPermissions as Record<string, ActionPermissions>)[step.action];
        for (const p of catalogue?.needs ?? registry.actions[step.action]?.permissions ?? []) addGraph(p, label(step.id));
        if (catalogue) needs.delegatedRoles.push({ step: label(step.id), anyOf: catalogue.delegatedRoles });
      } else if ("query" in step) {
        needs.logs = true;
        const body = parseQueryFile(queryText(step.query, file), step.query).body;
        const used = identifiersIn(body);
        for (const table of Object.keys(tableSchemas).filter((t) => used.has(t))) {
          const optional = step.optional === true || (step.optionalTables ?? []).includes(table);
          const entry = tables.get(table) ?? { steps: new Set<string>(), optional: true };
          entry.steps.add(label(step.id));
          entry.optional &&= optional;
          tables.set(table, entry);
        }
      }
    }
  }
  needs.graph = [...graphNeeds].map(([permission, steps]) => ({ permission, steps: [...steps] }));
  needs.tables = [...tables].map(([table, e]) => ({ table, steps: [...e.steps], optional: e.optional })).sort((a, b) => a.table.localeCompare(b.table));
  return needs;
}

/** What the command found out, without a secret. */
export interface DoctorFacts {
  signIn: { kind: string; cloud: string; authority: string; tenantId?: string; clientId?: string };
  /** The Graph token's facts, or why none could be had. */
  token: { kind: TokenKind; appId?: string; appName?: string; tenantId?: string; user?: string; permissions: string[]; roles: string[]; azureCliApp: boolean } | { error: string; hint?: string };
  workspace?: { id: string; tables: Array<{ table: string; present: boolean; latest?: string | null }> } | { id: string; error: string };
  subscription?: { id: string; locks: number } | { id: string; error: string };
  /** VM forensics: the subscription the evidence goes to (from the config or the simulated tenant). */
  forensicsSubscription?: { id: string; locks: number } | { id: string; error: string };
}

export type CheckStatus = "ok" | "missing" | "warning" | "skipped";

export interface DoctorCheck {
  area: "sign-in" | "graph" | "role" | "workspace" | "table" | "subscription" | "cloud";
  status: CheckStatus;
  subject: string;
  detail: string;
  /** Steps that need it. */
  steps?: string[];
  /** How to fix it. */
  fix?: string;
}

export interface DoctorReport {
  runbooks: string[];
  signIn: DoctorFacts["signIn"];
  token: DoctorFacts["token"];
  checks: DoctorCheck[];
  /** Nothing needed is missing. */
  ok: boolean;
}

/** The report: every need against the facts. A need nobody could check (no token) is missing, never assumed held. */
export function doctorReport(needs: RunbookNeeds, facts: DoctorFacts): DoctorReport {
  const checks: DoctorCheck[] = [];
  const token = facts.token;
  if ("error" in token) {
    checks.push({ area: "sign-in", status: "missing", subject: "token", detail: token.error, ...(token.hint ? { fix: token.hint } : {}) });
  } else {
    const who = token.kind === "delegated" ? `${token.user ?? "a user"} through app ${token.appName ?? token.appId ?? "?"}` : `application ${token.appName ?? token.appId ?? "?"}`;
    checks.push({ area: "sign-in", status: "ok", subject: "token", detail: `${token.kind} token for ${who} in tenant ${token.tenantId ?? "?"}` });
    const byNeed = new Map(checkNeeds(needs.graph.map((n) => n.permission), token).map((c) => [c.need, c]));
    for (const need of needs.graph) {
      const held = byNeed.get(need.permission)?.heldAs;
      checks.push(
        held
          ? { area: "graph", status: "ok", subject: need.permission, detail: held === need.permission ? "held" : `held as ${held}`, steps: need.steps }
          : { area: "graph", status: "missing", subject: need.permission, detail: `the token does not hold ${need.permission} (${token.kind})`, steps: need.steps, fix: grantInstruction(need.permission, token) },
      );
    }
    if (token.kind === "delegated") {
      for (const need of needs.delegatedRoles) {
        const held = need.anyOf.find((r) => token.roles.includes(r));
        checks.push(
          held
            ? { area: "role", status: "ok", subject: need.step, detail: `the signed-in user holds ${held}`, steps: [need.step] }
            : {
                area: "role",
                status: token.roles.length === 0 ? "warning" : "missing",
                subject: need.step,
                detail: token.roles.length === 0 ? `the token lists no directory role; the signed-in user needs one of: ${need.anyOf.join(", ")}` : `the signed-in user holds ${token.roles.join(", ")}, none of: ${need.anyOf.join(", ")}`,
                steps: [need.step],
                fix: `assign the signed-in user one of ${need.anyOf.join(", ")} (Entra admin center > Roles and administrators), or activate it in PIM`,
              },
        );
      }
    }
  }
  for (const n of needs.notInCloud) {
    checks.push({ area: "cloud", status: "warning", subject: n.step, detail: `${n.action} is refused in ${facts.signIn.cloud}: ${n.why}`, steps: [n.step] });
  }
  if (needs.logs) {
    const ws = facts.workspace;
    if (!ws || !ws.id) {
      checks.push({ area: "workspace", status: "missing", subject: "workspace", detail: "no Log Analytics workspace configured", fix: "pass --workspace <guid>, set AZIR_WORKSPACE, or add workspace: to the config file" });
    } else if ("error" in ws) {
      checks.push({ area: "workspace", status: "missing", subject: ws.id, detail: ws.error, fix: `grant ${logAnalyticsPermission}` });
    } else {
      checks.push({ area: "workspace", status: "ok", subject: ws.id, detail: "reachable: queries run" });
      for (const t of needs.tables) {
        const found = ws.tables.find((x) => x.table === t.table);
        if (found?.present) {
          checks.push({ area: "table", status: "ok", subject: t.table, detail: found.latest ? `latest record ${found.latest}` : "present, no records", steps: t.steps });
        } else {
          checks.push({
            area: "table",
            status: t.optional ? "warning" : "missing",
            subject: t.table,
            detail: t.optional ? "not in the workspace (the steps reading it tolerate that: a note, not a failure)" : "not in the workspace",
            steps: t.steps,
            ...(t.optional ? {} : { fix: `connect the data source that fills ${t.table} (for Entra logs: the tenant's diagnostic settings, sent to this workspace)` }),
          });
        }
      }
    }
  }
  const sub = facts.subscription;
  if (needs.arm || sub) {
    const status = (bad: boolean): CheckStatus => (bad ? (needs.arm ? "missing" : "warning") : "ok");
    if (!sub || !sub.id) checks.push({ area: "subscription", status: status(true), subject: "subscription", detail: "no subscription configured", fix: "pass --subscription <guid> or add subscription: to the config file" });
    else if ("error" in sub) checks.push({ area: "subscription", status: status(true), subject: sub.id, detail: sub.error, fix: "grant Reader on the subscription" });
    else checks.push({ area: "subscription", status: "ok", subject: sub.id, detail: `reachable (${sub.locks} management lock(s) readable)${needs.arm ? "" : "; no step of these runbooks acts on ARM"}` });
  }
  const forensics = facts.forensicsSubscription;
  if (needs.arm && forensics) {
    if ("error" in forensics) checks.push({ area: "subscription", status: "missing", subject: `${forensics.id} (forensics)`, detail: forensics.error, fix: "grant Reader (and the roles in docs/forensics.md) on the forensics subscription" });
    else checks.push({ area: "subscription", status: "ok", subject: `${forensics.id} (forensics)`, detail: `reachable (${forensics.locks} management lock(s) readable)` });
  }
  return { runbooks: needs.runbooks, signIn: facts.signIn, token, checks, ok: checks.every((c) => c.status !== "missing") };
}

/**
 * The query that says which tables the workspace has and how recent their data is: one small summary per table,
 * unioned. (A fuzzy `union withsource=` over whole tables would tolerate missing ones, but the tables' differing
 * schemas make it heavy; the caller drops a table the service names as missing and asks again.) `max(TimeGenerated)`
 * is the latest record's time; the local engine does not evaluate `ingestion_time()`.
 */
export function latestRecordsQuery(tables: readonly string[]): string {
  const known = tables.filter((t) => Object.hasOwn(tableSchemas, t));
  const parts = known.map((t) => `(${t} | summarize Latest = max(TimeGenerated) | extend Table = "${t}")`);
  return `union ${parts.join(", ")}\n| project Table, Latest`;
}
