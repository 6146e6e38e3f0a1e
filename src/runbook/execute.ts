import { parseDuration } from "../core/duration.js";
import { AzirError, isAzirError } from "../core/errors.js";
import type { Clock } from "../core/clock.js";
import type { IdSource } from "../core/ids.js";
import type { Endpoints, Ports, WriteRequest } from "../core/ports.js";
import type { AnalyzerDefinition, Finding } from "../analyze/types.js";
import { parseQueryFile, renderQuery } from "../kql/render.js";
import { schemaText, tableSchemas } from "../kql/tables.js";
import { createLimiter, runQueryStep, type QueryGap } from "../steps/query-step.js";
import type { ActionDefinition, ActionPlan, DoneCheck, StepContext } from "../steps/types.js";
import type { EventInput } from "../timeline/event.js";
import type { LoadedRunbook } from "./load.js";
import { dependencyGraph, orderingOnly, planRunbook, type RunbookPlan } from "./plan.js";
import { stepKind, type ActionStep, type QueryStep, type Step, type StepKind } from "./schema.js";
import { findReferences, isTruthy, resolveTemplates, type TemplateScope } from "./template.js";

/** Where the executor writes the timeline (the journal, or a test's array). */
export interface JournalSink {
  append(event: EventInput): unknown;
}

export interface ExecutorRegistry {
  actions: Readonly<Record<string, ActionDefinition<unknown>>>;
  analyzers: Readonly<Record<string, AnalyzerDefinition>>;
}

/** A write waiting for the responder's yes, with the step it belongs to. */
export interface PendingWrite {
  step: string;
  request: WriteRequest;
  url: string;
}

export type StepStatus = "completed" | "skipped" | "planned" | "failed" | "not-run" | "resumed";

export interface StepOutcome {
  id: string;
  kind: StepKind;
  status: StepStatus;
  summary: string;
  error?: AzirError;
}

export interface StepProgress {
  step: string;
  title: string;
  state: "started" | StepStatus;
  summary?: string;
}

export interface ExecuteOptions {
  loaded: LoadedRunbook;
  params: Record<string, unknown>;
  dryRun: boolean;
  journal: JournalSink;
  ports: Ports;
  endpoints: Endpoints;
  clock: Clock;
  ids: IdSource;
  signal: AbortSignal;
  workspaceId: string;
  registry: ExecutorRegistry;
  /** Text of a step's KQL file. */
  loadQuery(query: string, runbookFile: string): Promise<string>;
  /**
   * Asks the responder to allow these writes. Absent: no confirmation is needed (--yes, or dry-run).
   * Resolves false to refuse: nothing is sent.
   */
  confirm?: (writes: PendingWrite[]) => Promise<boolean>;
  /**
   * Asks for the writes of a step marked `confirm: true`, even with --yes (live writes only). Absent: such a step
   * is refused unless `confirm` already covered it.
   */
  confirmStep?: (writes: PendingWrite[]) => Promise<boolean>;
  /** Resume: outputs of the steps an earlier run completed; they are not run again. */
  completed?: ReadonlyMap<string, Record<string, unknown>>;
  /** The journal run being resumed, for the run.resumed event. */
  resumedRunId?: string;
  onProgress?: (progress: StepProgress) => void;
  maxConcurrentQueries?: number;
  /** Recorded on run.started: the incident folder and what it is about. */
  incident?: { id: string; subject?: string };
}

export interface ExecutionResult {
  status: "completed" | "failed" | "interrupted" | "refused";
  plan: RunbookPlan;
  steps: StepOutcome[];
  findings: Array<Finding & { step: string }>;
  gaps: Array<QueryGap & { step: string; query: string }>;
  outputs: Record<string, Record<string, unknown>>;
  writes: { sent: number; planned: number; skippedSteps: number };
  /** The first error that failed the run. */
  error?: AzirError;
}

interface PreparedAction {
  input: unknown;
  done: DoneCheck;
  plan: ActionPlan | null;
}

function toAzirError(error: unknown): AzirError {
  if (isAzirError(error)) return error;
  return new AzirError("internal", (error as Error)?.message ?? String(error), { cause: error });
}

/** Runs a planned runbook through the one write gate. The mode is decided by the caller (dryRun, confirm). */
export async function executeRunbook(options: ExecuteOptions): Promise<ExecutionResult> {
  return new Execution(options).run();
}

class Execution {
  private readonly runbook;
  private readonly graph: Map<string, string[]>;
  private readonly ordering: Map<string, string>;
  private readonly steps: Map<string, Step>;
  private readonly plan: RunbookPlan;
  private readonly limit;
  private readonly running = new Map<string, Promise<StepOutcome>>();
  private readonly outcomes = new Map<string, StepOutcome>();
  private readonly outputs: Record<string, Record<string, unknown>> = {};
  private readonly prepared = new Map<string, PreparedAction>();
  private readonly preparing = new Map<string, Promise<PreparedAction>>();
  private readonly confirmedSteps = new Set<string>();
  private readonly findings: ExecutionResult["findings"] = [];
  private readonly gaps: ExecutionResult["gaps"] = [];
  private readonly writes = { sent: 0, planned: 0, skippedSteps: 0 };
  private readonly notes = new Set<string>();
  private refused = false;
  /** Why the writes were refused, when it was not a plain "no". */
  private refusal: AzirError | undefined;
  private firstError: AzirError | undefined;

  constructor(private readonly o: ExecuteOptions) {
    this.runbook = o.loaded.runbook;
    this.graph = dependencyGraph(this.runbook);
    this.ordering = orderingOnly(this.runbook);
    this.steps = new Map(this.runbook.steps.map((s) => [s.id, s]));
    this.plan = planRunbook(this.runbook);
    this.limit = createLimiter(o.maxConcurrentQueries ?? 5);
  }

  async run(): Promise<ExecutionResult> {
    const { journal } = this.o;
    if (this.o.resumedRunId) {
      journal.append({
        kind: "run.resumed",
        summary: `resumed ${this.runbook.id}: ${this.o.completed?.size ?? 0} completed step(s) are not repeated`,
        data: {
          runbook: this.runbook.id,
          params: this.o.params,
          resumedRunId: this.o.resumedRunId,
          completedSteps: [...(this.o.completed?.keys() ?? [])],
        },
      });
    } else {
      journal.append({
        kind: "run.started",
        summary: `started ${this.runbook.id}${this.o.dryRun ? " (dry run: no writes)" : ""}`,
        data: {
          runbook: this.runbook.id,
          title: this.runbook.title,
          ...(this.o.incident ? { incidentId: this.o.incident.id, ...(this.o.incident.subject ? { subject: this.o.incident.subject } : {}) } : {}),
          file: this.o.loaded.file,
          params: this.o.params,
          dryRun: this.o.dryRun,
          endpoints: { ...this.o.endpoints } as Record<string, string>,
          stages: this.plan.stages,
        },
      });
    }
    for (const [id, outputs] of this.o.completed ?? []) this.outputs[id] = outputs;

    if (this.o.confirm && !this.o.dryRun) {
      // Reads first, then every write listed and confirmed once, before the first write is sent.
      const readOnly = this.runbook.steps.filter((s) => this.isReadOnlyClosure(s.id));
      await Promise.all(readOnly.map((s) => this.runOnce(s.id)));
      if (!this.o.signal.aborted) await this.prepareAndConfirm();
    }
    if (!this.refused) await Promise.all(this.runbook.steps.map((s) => this.runOnce(s.id)));
    return this.finish();
  }

  private finish(): ExecutionResult {
    const steps = this.runbook.steps.map(
      (s) => this.outcomes.get(s.id) ?? { id: s.id, kind: stepKind(s), status: "not-run" as const, summary: this.refused ? "refused" : "not run" },
    );
    const status: ExecutionResult["status"] = this.refused
      ? "refused"
      : this.o.signal.aborted
        ? "interrupted"
        : steps.some((s) => s.status === "failed" || s.status === "not-run")
          ? "failed"
          : "completed";
    const summary = {
      completed: `finished ${this.runbook.id}`,
      failed: `${this.runbook.id} failed${this.firstError ? `: ${this.firstError.message}` : ""}`,
      interrupted: `interrupted ${this.runbook.id}; resume with azir run --resume <this journal>`,
      refused: `${this.runbook.id}: the writes were not confirmed; nothing was changed`,
    }[status];
    const facts = { steps: Object.fromEntries(steps.map((s) => [s.id, s.status])), writes: this.writes, complete: this.gaps.length === 0 };
    if (status === "interrupted") {
      this.o.journal.append({ kind: "run.interrupted", summary, data: { reason: "interrupted by the responder", signal: "SIGINT", ...facts } });
    } else {
      this.o.journal.append({ kind: "run.finished", summary, data: { status: status === "completed" ? "succeeded" : status, ...facts } });
    }
    const error = status === "refused" ? this.refusal : this.firstError;
    return { status, plan: this.plan, steps, findings: this.findings, gaps: this.gaps, outputs: this.outputs, writes: this.writes, ...(error ? { error } : {}) };
  }

  /** True when neither the step nor anything it depends on is an action. */
  private isReadOnlyClosure(id: string, seen = new Set<string>()): boolean {
    if (seen.has(id)) return true;
    seen.add(id);
    const step = this.steps.get(id);
    if (!step || stepKind(step) === "action") return false;
    return (this.graph.get(id) ?? []).every((d) => this.isReadOnlyClosure(d, seen));
  }

  private runOnce(id: string): Promise<StepOutcome> {
    let p = this.running.get(id);
    if (!p) {
      p = this.runStep(id).then((outcome) => {
        this.outcomes.set(id, outcome);
        this.o.onProgress?.({ step: id, title: this.title(id), state: outcome.status, summary: outcome.summary });
        return outcome;
      });
      this.running.set(id, p);
    }
    return p;
  }

  private title(id: string): string {
    return this.steps.get(id)?.title ?? id;
  }

  private scope(): TemplateScope {
    return { params: this.o.params, findings: this.outputs };
  }

  /** Waits for the given steps; returns the first one that did not succeed, if any (`orderOnly`: waited for, not required). */
  private async waitFor(ids: string[], orderOnly?: string): Promise<StepOutcome | undefined> {
    const outcomes = await Promise.all(ids.map((d) => this.runOnce(d)));
    return outcomes.find((o) => o.id !== orderOnly && (o.status === "failed" || o.status === "not-run"));
  }

  private async runStep(id: string): Promise<StepOutcome> {
    const step = this.steps.get(id)!;
    const kind = stepKind(step);
    const deps = this.graph.get(id) ?? [];
    const notRun = (summary: string): StepOutcome => ({ id, kind, status: "not-run", summary });

    if (this.o.completed?.has(id)) {
      this.o.journal.append({ kind: "note", step: id, summary: `${id}: completed in the earlier run; not repeated`, data: { resumed: true } });
      return { id, kind, status: "resumed", summary: "completed in the earlier run" };
    }

    // A query may start fetching before the steps whose findings only its analyzer needs are done.
    let fetch: Promise<FetchResult> | undefined;
    if ("query" in step) {
      const fetchDeps = await this.queryFetchDependencies(step);
      const blocked = await this.waitFor(fetchDeps);
      if (blocked) return notRun(`waits for ${blocked.id}, which did not complete`);
      if (this.o.signal.aborted) return notRun("interrupted");
      if (!(await this.whenHolds(step))) return this.skipByCondition(step);
      fetch = this.fetch(step);
      fetch.catch(() => undefined); // handled below, after the other dependencies
    }
    // An action reads the tenant and plans as soon as its inputs are known; only its writes wait for the action
    // declared before it. The reads of later actions thus run beside the writes of earlier ones.
    let prepared = false;
    if ("action" in step && !this.o.signal.aborted) {
      const inputDeps = [...new Set([...(step.after ?? []), ...findReferences([step.with, step.when]).flatMap((r) => (r.kind === "findings" ? [r.step] : []))])];
      if (!(await this.waitFor(inputDeps)) && !this.o.signal.aborted && (await this.whenHolds(step))) {
        prepared = true;
        this.prepare(step).catch(() => undefined); // a failure is reported when the step runs
      }
    }
    const blocked = await this.waitFor(deps, this.ordering.get(id));
    if (blocked) return notRun(`waits for ${blocked.id}, which did not complete`);
    if (this.o.signal.aborted && !fetch) return notRun("interrupted");
    if (this.refused) return notRun("not confirmed");
    if (!fetch && !prepared && !(await this.whenHolds(step))) return this.skipByCondition(step);

    this.o.onProgress?.({ step: id, title: this.title(id), state: "started" });
    try {
      if ("query" in step) return await this.completeQuery(step, fetch!);
      if ("action" in step) return await this.runAction(step);
      const text = String(resolveTemplates(step.note, this.scope()));
      this.o.journal.append({ kind: "note", step: id, summary: text, data: { stepCompleted: true } });
      this.outputs[id] = {};
      return { id, kind, status: "completed", summary: text };
    } catch (error) {
      return this.fail(step, toAzirError(error));
    }
  }

  private async whenHolds(step: Step): Promise<boolean> {
    if (step.when === undefined) return true;
    const blocked = await this.waitFor(findReferences(step.when).flatMap((r) => (r.kind === "findings" ? [r.step] : [])));
    return !blocked && isTruthy(resolveTemplates(step.when, this.scope()));
  }

  private skipByCondition(step: Step): StepOutcome {
    this.outputs[step.id] = {};
    this.o.journal.append({ kind: "note", step: step.id, summary: `${step.id}: skipped, its condition is false (${step.when})`, data: { stepCompleted: true } });
    return { id: step.id, kind: stepKind(step), status: "skipped", summary: "condition false" };
  }

  private fail(step: Step, error: AzirError): StepOutcome {
    const kind = stepKind(step);
    if (step.optional) {
      this.outputs[step.id] = {};
      this.o.journal.append({ kind: "note", step: step.id, summary: `${step.id} (optional) did not complete: ${error.message}`, data: { code: error.code, stepCompleted: true } });
      return { id: step.id, kind, status: "skipped", summary: `optional, did not complete: ${error.message}` };
    }
    this.firstError ??= error;
    this.o.journal.append({
      kind: "error",
      step: step.id,
      summary: `${step.id} failed: ${error.message}`,
      data: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}), details: error.details },
    });
    return { id: step.id, kind, status: "failed", summary: error.message, error };
  }

  // ---- queries ---------------------------------------------------------------------------------

  private async queryFetchDependencies(step: QueryStep): Promise<string[]> {
    const text = await this.o.loadQuery(step.query, this.o.loaded.file);
    const declared = new Set(parseQueryFile(text, step.query).parameters.map((p) => p.name));
    const used = Object.entries(step.with ?? {}).filter(([k]) => declared.has(k));
    const refs = findReferences(used.map(([, v]) => v)).flatMap((r) => (r.kind === "findings" ? [r.step] : []));
    return [...new Set([...(step.after ?? []), ...refs])];
  }

  private async fetch(step: QueryStep): Promise<FetchResult> {
    const text = await this.o.loadQuery(step.query, this.o.loaded.file);
    const declared = parseQueryFile(text, step.query).parameters.map((p) => p.name);
    // Only the query's own parameters are known at fetch time; the rest of `with` is for the analyzer.
    const own = Object.fromEntries(Object.entries(step.with ?? {}).filter(([k]) => declared.includes(k)));
    const resolved = (resolveTemplates(own, this.scope()) ?? {}) as Record<string, unknown>;
    const values = Object.fromEntries(declared.map((name) => [name, resolved[name]]));
    const rendered = renderQuery(text, values, step.query);
    const window = queryWindow(resolved, this.o.clock.now());
    const started = performance.now();
    const missing: QueryGap[] = [];
    const stand: string[] = [];
    // A table the step declares optional and the workspace lacks is replaced by an empty table of its schema
    // (a `let` of that name shadows the table), and the gap is recorded: the other tables still answer.
    for (;;) {
      try {
        const result = await runQueryStep({
          logs: this.o.ports.logs,
          workspaceId: this.o.workspaceId,
          query: [...stand, rendered].join("\n"),
          window,
          ...(step.timeoutSeconds ? { timeoutSeconds: step.timeoutSeconds } : {}),
          limit: this.limit,
        });
        return { ...result, gaps: [...missing, ...result.gaps], window, resolved, durationMs: Math.round(performance.now() - started) };
      } catch (error) {
        const table = toAzirError(error).details.find((d) => d.startsWith("table: "))?.slice("table: ".length);
        const schema = table && (step.optionalTables ?? []).includes(table) ? tableSchemas[table] : undefined;
        if (!table || !schema || missing.some((g) => g.message.includes(`'${table}'`))) throw error;
        stand.push(`let ${table} = datatable${schemaText(schema)}[];`);
        missing.push({
          window: window ? { start: window.start.toISOString(), end: window.end.toISOString() } : null,
          code: "table-not-found",
          message: `the workspace has no table '${table}': the query ran without it`,
        });
      }
    }
  }

  private async completeQuery(step: QueryStep, fetch: Promise<FetchResult>): Promise<StepOutcome> {
    let result: FetchResult;
    const windowText = (w: { start: Date; end: Date } | null) => (w ? { start: w.start.toISOString(), end: w.end.toISOString() } : null);
    try {
      result = await fetch;
    } catch (error) {
      const e = toAzirError(error);
      // A missing table or a timed-out query is data azir did not get: a gap, whether or not the step may fail.
      const gapCode = e.code === "not-found" ? "table-not-found" : e.details.some((d) => /^status: (504|408)$/.test(d)) ? "timeout" : undefined;
      if (gapCode) {
        const window = windowText(queryWindow((resolveTemplates(step.with ?? {}, this.scope()) ?? {}) as Record<string, unknown>, this.o.clock.now()));
        this.gaps.push({ step: step.id, query: step.query, window, code: gapCode, message: e.message });
        this.o.journal.append({ kind: "gap", step: step.id, summary: `${step.query}: ${e.message}`, data: { query: queryName(step.query), file: step.query, ...(window ? { window } : {}), code: gapCode, reason: e.message } });
      }
      throw e;
    }
    for (const gap of result.gaps) {
      this.gaps.push({ ...gap, step: step.id, query: step.query });
      this.o.journal.append({
        kind: "gap",
        step: step.id,
        summary: `${step.query}: incomplete data (${gap.code}) for ${gap.window ? `${gap.window.start} .. ${gap.window.end}` : "the whole query"}`,
        data: { query: queryName(step.query), file: step.query, ...(gap.window ? { window: gap.window } : {}), code: gap.code, reason: gap.message },
      });
    }
    let outputs: Record<string, unknown> = { rowCount: result.rows.length };
    let findings: Finding[] = [];
    if (step.analyze) {
      const analyzer = this.o.registry.analyzers[step.analyze];
      if (!analyzer) throw new AzirError("validation", `unknown analyzer "${step.analyze}"`);
      const window = windowText(result.window) ?? { start: "", end: this.o.clock.now().toISOString() };
      const all = (resolveTemplates(step.with ?? {}, this.scope()) ?? {}) as Record<string, unknown>;
      const analysis = analyzer.analyze({
        rows: result.rows,
        with: { windowStart: windowStartOf(all, this.o.clock.now())?.toISOString() ?? window.start, ...all },
        window,
      });
      findings = analysis.findings;
      outputs = { ...outputs, ...analysis.outputs };
    } else {
      outputs.rows = result.rows;
    }
    for (const f of findings) {
      this.findings.push({ ...f, step: step.id });
      this.o.journal.append({
        kind: "finding",
        step: step.id,
        summary: f.summary,
        occurredAt: f.occurredAt,
        data: { code: f.code, severity: f.severity, occurredAt: f.occurredAt, ...(f.subject ? { subject: f.subject } : {}), evidence: f.evidence, ...(f.data ? { data: f.data } : {}) },
      });
    }
    this.outputs[step.id] = outputs;
    const summary = `${step.query}: ${result.rows.length} row(s), ${findings.length} finding(s)${result.gaps.length ? ", INCOMPLETE" : ""}`;
    this.o.journal.append({
      kind: "query",
      step: step.id,
      summary,
      data: {
        name: queryName(step.query),
        file: step.query,
        ...(result.window ? { window: windowText(result.window)! } : {}),
        rows: result.rows.length,
        requests: result.requests,
        durationMs: result.durationMs,
        complete: result.gaps.length === 0,
        status: result.gaps.length ? "partial" : "completed",
        stepCompleted: true,
        outputs,
      },
    });
    return { id: step.id, kind: "query", status: "completed", summary };
  }

  // ---- actions ---------------------------------------------------------------------------------

  private context(step: Step): StepContext {
    return {
      clock: this.o.clock,
      ids: this.o.ids,
      logs: this.o.ports.logs,
      graph: this.o.ports.graph,
      arm: this.o.ports.arm,
      workspaceId: this.o.workspaceId,
      signal: this.o.signal,
      note: (summary, data) => {
        // Several actions may say the same thing (e.g. "this user is an administrator"): journal it once.
        if (this.notes.has(summary)) return;
        this.notes.add(summary);
        this.o.journal.append({ kind: "note", step: step.id, summary, ...(data ? { data } : {}) });
      },
    };
  }

  private definition(step: ActionStep): ActionDefinition<unknown> {
    const action = this.o.registry.actions[step.action];
    if (!action) {
      throw new AzirError("validation", `unknown action "${step.action}"`, { hint: `valid actions: ${Object.keys(this.o.registry.actions).join(", ")}` });
    }
    return action;
  }

  private prepare(step: ActionStep): Promise<PreparedAction> {
    let pending = this.preparing.get(step.id);
    if (!pending) {
      pending = this.prepareNow(step);
      this.preparing.set(step.id, pending);
    }
    return pending;
  }

  private async prepareNow(step: ActionStep): Promise<PreparedAction> {
    const known = this.prepared.get(step.id);
    if (known) return known;
    const action = this.definition(step);
    const raw = resolveTemplates(step.with ?? {}, this.scope());
    const parsed = action.input.safeParse(raw);
    if (!parsed.success) {
      throw new AzirError("validation", `step ${step.id}: invalid input for ${action.name}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
    }
    const ctx = this.context(step);
    await action.preflight?.(parsed.data, ctx);
    const done = await action.isDone(parsed.data, ctx);
    const plan = done.done ? null : await action.plan(parsed.data, ctx);
    const prepared = { input: parsed.data, done, plan };
    this.prepared.set(step.id, prepared);
    // Outputs known from planning (e.g. the user's object id) are visible to the steps that follow.
    this.outputs[step.id] = { ...(plan?.outputs ?? {}) };
    return prepared;
  }

  private pending(step: ActionStep, plan: ActionPlan | null): PendingWrite[] {
    return (plan?.writes ?? []).map((request) => ({ step: step.id, request, url: this.urlOf(request) }));
  }

  private async prepareAndConfirm(): Promise<void> {
    const all: PendingWrite[] = [];
    for (const step of this.runbook.steps) {
      if (!("action" in step)) continue;
      const deps = this.graph.get(step.id) ?? [];
      const ready = deps.every((d) => this.outcomes.get(d)?.status === "completed" || this.outcomes.get(d)?.status === "resumed" || this.prepared.has(d) || this.o.completed?.has(d));
      if (!ready || this.o.completed?.has(step.id)) continue;
      if (step.when !== undefined && !isTruthy(resolveTemplates(step.when, this.scope()))) continue;
      try {
        const prepared = await this.prepare(step);
        all.push(...this.pending(step, prepared.plan));
        this.confirmedSteps.add(step.id);
      } catch {
        // reported when the step runs
      }
    }
    if (all.length === 0) return;
    if (!(await this.ask(all))) this.refuse(all.length);
  }

  /** Asks for confirmation; a confirmer that cannot ask (no terminal) refuses with its reason. */
  private async ask(writes: PendingWrite[], confirmer = this.o.confirm): Promise<boolean> {
    if (!confirmer) return false;
    try {
      return await confirmer(writes);
    } catch (error) {
      this.refusal = toAzirError(error);
      return false;
    }
  }

  private refuse(count: number): void {
    this.refused = true;
    this.o.journal.append({ kind: "note", summary: `the responder did not confirm ${count} write(s); nothing was sent`, data: { refused: true } });
  }

  private urlOf(w: WriteRequest): string {
    return w.service === "graph" ? `${this.o.endpoints.graph.replace(/\/$/, "")}/v1.0${w.path}` : `${this.o.endpoints.arm.replace(/\/$/, "")}${w.path}`;
  }

  private async runAction(step: ActionStep): Promise<StepOutcome> {
    const action = this.definition(step);
    const prepared = await this.prepare(step);
    const ctx = this.context(step);
    for (const note of prepared.plan?.notes ?? []) ctx.note(note);
    if (prepared.done.done) {
      this.writes.skippedSteps++;
      this.o.journal.append({
        kind: "action.skipped",
        step: step.id,
        summary: `${action.name}: ${prepared.done.reason}`,
        data: { action: action.name, reason: prepared.done.reason, stepCompleted: true, outputs: this.outputs[step.id] },
      });
      return { id: step.id, kind: "action", status: "skipped", summary: prepared.done.reason };
    }
    const plan = prepared.plan!;
    if (plan.writes.length === 0) {
      this.writes.skippedSteps++;
      const reason = plan.notes[0] ?? "nothing to change";
      this.o.journal.append({ kind: "action.skipped", step: step.id, summary: `${action.name}: ${reason}`, data: { action: action.name, reason, stepCompleted: true, outputs: this.outputs[step.id] } });
      return { id: step.id, kind: "action", status: "skipped", summary: reason };
    }
    if (this.o.dryRun) {
      plan.writes.forEach((w, i) => {
        this.writes.planned++;
        this.o.journal.append({
          kind: "action.planned",
          step: step.id,
          summary: `would ${w.summary}`,
          data: {
            action: action.name,
            target: w.target,
            service: w.service,
            method: w.method,
            url: this.urlOf(w),
            ...(w.body === undefined ? {} : { body: w.body }),
            permission: w.permission,
            ...(i === plan.writes.length - 1 ? { stepCompleted: true, outputs: this.outputs[step.id] } : {}),
          },
        });
      });
      return { id: step.id, kind: "action", status: "planned", summary: `${plan.writes.length} write(s) planned` };
    }
    // A step marked `confirm: true` is asked for on its own, even with --yes.
    const confirmer = step.confirm ? (this.o.confirm ?? this.o.confirmStep ?? (async () => false)) : this.o.confirm;
    if (confirmer && !this.confirmedSteps.has(step.id)) {
      const writes = this.pending(step, plan);
      if (!(await this.ask(writes, confirmer))) {
        this.refuse(writes.length);
        return { id: step.id, kind: "action", status: "not-run", summary: "not confirmed" };
      }
    }
    const send = (w: WriteRequest): Promise<unknown> => this.send(step, action, w);
    const result = action.apply ? await action.apply(plan, prepared.input, ctx, send) : await sendByPhase(plan.writes, send);
    for (const note of result?.notes ?? []) ctx.note(note);
    this.outputs[step.id] = { ...this.outputs[step.id], ...(result?.outputs ?? {}) };
    this.o.journal.append({
      kind: "note",
      step: step.id,
      summary: `${action.name}: done (${plan.writes.length} write(s))`,
      data: { action: action.name, stepCompleted: true, outputs: this.outputs[step.id] },
    });
    return { id: step.id, kind: "action", status: "completed", summary: `${plan.writes.length} write(s) sent` };
  }

  /** The write gate: the only place a write leaves azir. Every write is journaled with its result. */
  private async send(step: ActionStep, action: ActionDefinition<unknown>, w: WriteRequest): Promise<unknown> {
    const request = { method: w.method, url: this.urlOf(w), ...(w.body === undefined ? {} : { body: w.body }) };
    try {
      const response = await this.o.ports.writer.send(w);
      this.writes.sent++;
      this.o.journal.append({
        kind: "action",
        step: step.id,
        summary: w.summary,
        data: { action: action.name, service: w.service, target: w.target, request, permission: w.permission, status: "succeeded" },
      });
      return response;
    } catch (error) {
      const e = toAzirError(error);
      this.o.journal.append({
        kind: "error",
        step: step.id,
        summary: `${w.summary}: failed: ${e.message}`,
        data: { action: action.name, target: w.target, request, permission: w.permission, code: e.code, message: e.message, details: e.details },
      });
      throw e;
    }
  }
}

/** `kql/signins-for-user.kql` -> `signins-for-user`. */
function queryName(file: string): string {
  return file.replace(/^.*\//, "").replace(/\.kql$/i, "");
}

interface FetchResult {
  rows: Record<string, unknown>[];
  gaps: QueryGap[];
  requests: number;
  window: { start: Date; end: Date } | null;
  resolved: Record<string, unknown>;
  durationMs: number;
}

/** Sends writes phase by phase; writes of one phase go concurrently. */
export async function sendByPhase(writes: WriteRequest[], send: (w: WriteRequest) => Promise<unknown>): Promise<undefined> {
  const phases = [...new Set(writes.map((w) => w.phase ?? 0))].sort((a, b) => a - b);
  for (const phase of phases) await Promise.all(writes.filter((w) => (w.phase ?? 0) === phase).map(send));
  return undefined;
}

function durationOf(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string") return parseDuration(value);
  return undefined;
}

/** Start of the analysis window: now - lookback (the baseline lies before it). */
function windowStartOf(resolved: Record<string, unknown>, now: Date): Date | undefined {
  if (typeof resolved.since === "string") return new Date(resolved.since);
  const lookback = durationOf(resolved.lookback);
  return lookback === undefined ? undefined : new Date(now.getTime() - lookback);
}

/** The time range a query covers (sent as the request's timespan): lookback + baseline back from now, or since..now. */
export function queryWindow(resolved: Record<string, unknown>, now: Date): { start: Date; end: Date } | null {
  if (typeof resolved.since === "string" && !Number.isNaN(new Date(resolved.since).getTime())) return { start: new Date(resolved.since), end: now };
  const lookback = durationOf(resolved.lookback);
  if (lookback === undefined) return null;
  const baseline = durationOf(resolved.baseline) ?? 0;
  return { start: new Date(now.getTime() - lookback - baseline), end: now };
}
