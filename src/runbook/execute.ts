import { createHash } from "node:crypto";
import { packageVersion } from "../core/paths.js";
import { AzirError, toAzirError } from "../core/errors.js";
import type { Clock } from "../core/clock.js";
import type { IdSource } from "../core/ids.js";
import type { SecretSink } from "../core/effects.js";
import type { TenantBaseline } from "../steps/baseline.js";
import type { Endpoints, Ports } from "../core/ports.js";
import type { AnalyzerDefinition, Finding } from "../analyze/types.js";
import type { ActionDefinition, InputGap, IssuedSecrets } from "../steps/types.js";
import type { EventInput } from "../timeline/event.js";
import { ActionRunner, type Chooser, type PreparedAction } from "./action-runner.js";
import { events } from "./events.js";
import { WriteGate, type Confirmer, type PendingWrite } from "./gate.js";
import type { LoadedRunbook } from "./load.js";
import { planRunbook, type PlannedStep, type RunbookPlan } from "./plan.js";
import { QueryRunner, type StepGap } from "./query-runner.js";
import { resumeCommand } from "./resume.js";
import { stepKind, type ActionStep, type Step, type StepKind } from "./schema.js";
import { findReferences, isTruthy, resolveTemplates, type TemplateScope } from "./template.js";

export type { PendingWrite } from "./gate.js";

/** Where the executor writes the timeline (the journal, or a test's array). */
export interface JournalSink {
  append(event: EventInput): unknown;
}

export interface ExecutorRegistry {
  actions: Readonly<Record<string, ActionDefinition<unknown, unknown>>>;
  analyzers: Readonly<Record<string, AnalyzerDefinition>>;
}

export type StepStatus = "completed" | "skipped" | "planned" | "failed" | "not-run" | "resumed" | "needs-decision";

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
  /** The plan to execute; default: the runbook's own (`planRunbook`). */
  plan?: RunbookPlan;
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
  confirm?: Confirmer;
  /**
   * Asks for the writes of a step marked `confirm: true`, even with --yes (live writes only). Absent: such a step
   * is refused unless `confirm` already covered it.
   */
  confirmStep?: Confirmer;
  /** Asks the responder to settle what an action could not decide (a terminal, not --yes). */
  choose?: Chooser;
  /** Where secret answers of effects go (shown once, or written to a file the responder named). */
  secrets?: SecretSink;
  /** The tenant baseline (`--baseline`), validated; actions compare the tenant with it. */
  baseline?: TenantBaseline;
  /** The client secrets this incident's earlier runs issued, from their journals. */
  issuedSecrets?: IssuedSecrets;
  /** Resume: outputs of the steps an earlier run completed; they are not run again. */
  completed?: ReadonlyMap<string, Record<string, unknown>>;
  /** Resume: the gaps the earlier run recorded for the steps it completed (their data stays incomplete). */
  resumedGaps?: readonly StepGap[];
  /** The journal run being resumed, for the run.resumed event. */
  resumedRunId?: string;
  onProgress?: (progress: StepProgress) => void;
  /**
   * Why an action cannot be performed where the run points (a national cloud's Graph lacks the API), or undefined.
   * Such a step fails at once, before any read or write of it is sent; the others run.
   */
  unavailable?: (action: string) => string | undefined;
  maxConcurrentQueries?: number;
  /** Recorded on run.started: the incident folder and what it is about. */
  incident?: { id: string; subject?: string };
  /** Recorded on run.started and run.resumed: who runs it, from where, as which identity (the chain of custody). */
  operator?: Record<string, unknown>;
}

export interface ExecutionResult {
  status: "completed" | "failed" | "interrupted" | "refused";
  plan: RunbookPlan;
  steps: StepOutcome[];
  findings: Array<Finding & { step: string }>;
  gaps: StepGap[];
  outputs: Record<string, Record<string, unknown>>;
  writes: { sent: number; planned: number; skippedSteps: number };
  /** The first error that failed the run. */
  error?: AzirError;
}


/** Runs a planned runbook through the one write gate. The mode is decided by the caller (dryRun, confirm). */
export async function executeRunbook(options: ExecuteOptions): Promise<ExecutionResult> {
  return new Scheduler(options).run();
}

/**
 * The scheduler: executes the plan it is handed. Each step starts once the steps it depends on are done; queries
 * run concurrently (bounded by the query runner), actions read and decide as soon as their inputs are known, and
 * only their writes wait for the action declared before them.
 */
class Scheduler {
  private readonly runbook;
  private readonly plan: RunbookPlan;
  private readonly planned: Map<string, PlannedStep>;
  private readonly steps: Map<string, Step>;
  private readonly gate: WriteGate;
  private readonly queries: QueryRunner;
  private readonly actions: ActionRunner;
  private readonly running = new Map<string, Promise<StepOutcome>>();
  private readonly outcomes = new Map<string, StepOutcome>();
  private readonly outputs: Record<string, Record<string, unknown>> = {};
  private readonly preparing = new Map<string, Promise<PreparedAction>>();
  /** Per action: its writes handed to the gate (what the next action's writes follow), and what it followed. */
  private readonly handed = new Map<string, { promise: Promise<ReadonlyArray<Promise<unknown>>>; resolve: (tickets: ReadonlyArray<Promise<unknown>>) => void }>();
  private readonly inherited = new Map<string, ReadonlyArray<Promise<unknown>>>();
  private readonly prepared = new Set<string>();
  private readonly findings: ExecutionResult["findings"] = [];
  private readonly gaps: StepGap[] = [];
  private skippedSteps = 0;
  private firstError: AzirError | undefined;
  /** Resume: the steps the earlier run completed that still hold (those whose change regressed are run again). */
  private readonly completed: Map<string, Record<string, unknown>>;

  constructor(private readonly o: ExecuteOptions) {
    this.runbook = o.loaded.runbook;
    this.plan = o.plan ?? planRunbook(this.runbook);
    this.planned = new Map(this.plan.steps.map((s) => [s.id, s]));
    this.steps = new Map(this.runbook.steps.map((s) => [s.id, s]));
    this.completed = new Map(o.completed ?? []);
    this.gate = new WriteGate({
      record: o.dryRun,
      performer: o.ports.effects,
      endpoints: o.endpoints,
      journal: o.journal,
      ...(o.secrets ? { secrets: o.secrets } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    this.queries = new QueryRunner({
      logs: o.ports.logs,
      workspaceId: o.workspaceId,
      clock: o.clock,
      signal: o.signal,
      journal: o.journal,
      analyzers: o.registry.analyzers,
      loadQuery: (query) => o.loadQuery(query, o.loaded.file),
      maxConcurrentQueries: o.maxConcurrentQueries ?? 5,
      findings: this.findings,
      gaps: this.gaps,
    });
    this.actions = new ActionRunner({
      actions: o.registry.actions,
      ports: o.ports,
      clock: o.clock,
      workspaceId: o.workspaceId,
      signal: o.signal,
      journal: o.journal,
      gate: this.gate,
      findings: this.findings,
      ...(o.baseline ? { baseline: o.baseline } : {}),
      ...(o.issuedSecrets ? { issuedSecrets: o.issuedSecrets } : {}),
      ...(o.choose ? { choose: o.choose } : {}),
    });
  }

  async run(): Promise<ExecutionResult> {
    const { journal } = this.o;
    if (this.o.resumedRunId) {
      journal.append({
        kind: "run.resumed",
        summary: `resumed ${this.runbook.id}: ${this.o.completed?.size ?? 0} completed step(s) are not repeated`,
        data: { runbook: this.runbook.id, params: this.o.params, resumedRunId: this.o.resumedRunId, completedSteps: [...(this.o.completed?.keys() ?? [])], ...(this.o.operator ? { operator: this.o.operator } : {}) },
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
          runbookSha256: createHash("sha256").update(this.o.loaded.source).digest("hex"),
          version: packageVersion(),
          params: this.o.params,
          dryRun: this.o.dryRun,
          ...(this.o.operator ? { operator: this.o.operator } : {}),
          endpoints: { ...this.o.endpoints } as Record<string, string>,
          stages: this.plan.stages,
        },
      });
    }
    for (const [id, outputs] of this.completed) this.outputs[id] = outputs;
    this.gaps.push(...(this.o.resumedGaps ?? []));
    if (this.o.resumedRunId && !this.o.dryRun) await this.recheckCompleted();

    if (!this.o.dryRun) {
      // Reads first (they succeed or fail: a failed one is a gap, never a reason not to write), then every action
      // decides, and the writes are listed and confirmed once (unless --yes) before the first is sent. The writes
      // then leave together, in order, as the Graph adapter batches them: one round trip of reads, one of writes.
      const readOnly = this.runbook.steps.filter((s) => this.isReadOnlyClosure(s.id));
      // Each action reads the tenant as soon as its inputs are known, beside the queries that scope the others.
      for (const step of this.runbook.steps) if ("action" in step) void this.readEarly(step);
      await Promise.all(readOnly.map((s) => this.runOnce(s.id)));
      // With a confirmation to ask, every write is listed before the first is sent. Without one (--yes), the actions
      // decide in the same waves, but a write does not wait for the reads of actions declared after it (hardening's
      // paced Conditional Access reads must not hold back the block).
      if (!this.o.signal.aborted) {
        if (this.o.confirm) await this.prepareAndConfirm();
        else void this.prepareAndConfirm().catch(() => undefined);
      }
    }
    if (!this.gate.refused) await Promise.all(this.runbook.steps.map((s) => this.runOnce(s.id)));
    return this.finish();
  }

  private finish(): ExecutionResult {
    const refused = this.gate.refused;
    const steps = this.runbook.steps.map(
      (s) => this.outcomes.get(s.id) ?? { id: s.id, kind: stepKind(s), status: "not-run" as const, summary: refused ? "refused" : "not run" },
    );
    const status: ExecutionResult["status"] = refused
      ? "refused"
      : this.o.signal.aborted
        ? "interrupted"
        : steps.some((s) => s.status === "failed" || s.status === "not-run" || s.status === "needs-decision")
          ? "failed"
          : "completed";
    const summary = {
      completed: `finished ${this.runbook.id}`,
      failed: `${this.runbook.id} failed${this.firstError ? `: ${this.firstError.message}` : ""}`,
      interrupted: `interrupted ${this.runbook.id}; resume with ${resumeCommand(this.runbook, this.o.params)}`,
      refused: `${this.runbook.id}: the writes were not confirmed; nothing was changed`,
    }[status];
    const writes = { ...this.gate.counts, skippedSteps: this.skippedSteps };
    const facts = { steps: Object.fromEntries(steps.map((s) => [s.id, s.status])), writes, complete: this.gaps.length === 0 };
    if (status === "interrupted") {
      this.o.journal.append({ kind: "run.interrupted", summary, data: { reason: "interrupted by the responder", signal: "SIGINT", ...facts } });
    } else {
      this.o.journal.append({ kind: "run.finished", summary, data: { status: status === "completed" ? "succeeded" : status, ...facts } });
    }
    const error = status === "refused" ? this.gate.refusal : this.firstError;
    return { status, plan: this.plan, steps, findings: this.findings, gaps: this.gaps, outputs: this.outputs, writes, ...(error ? { error } : {}) };
  }

  /**
   * Resume: the journal says what was done, the tenant says what holds. Every action the earlier run completed reads
   * the tenant again; a change that no longer holds (an account enabled again, a risk dismissed) is a finding and the
   * step runs again with what undoes it, in the runbook's order of writes. A re-check that cannot read runs the step
   * again too, so that a read that keeps failing fails the step instead of trusting the journal.
   */
  private async recheckCompleted(): Promise<void> {
    const steps = this.runbook.steps.filter((s): s is ActionStep => "action" in s && this.completed.has(s.id) && !this.o.unavailable?.(s.action));
    await Promise.all(
      steps.map(async (step) => {
        const earlier = this.completed.get(step.id) ?? {};
        let redo: PreparedAction | undefined;
        try {
          if (step.when !== undefined && !isTruthy(resolveTemplates(step.when, this.scope()))) return;
          redo = await this.actions.recheck(step, resolveTemplates(step.with ?? {}, this.scopeFor(step)), earlier);
        } catch (error) {
          const cause = toAzirError(error);
          this.completed.delete(step.id);
          delete this.outputs[step.id];
          this.o.journal.append(events.note(`${step.id}: could not re-check that the earlier run's change still holds (${cause.message}); the step runs again`, step.id, { recheck: "unread", code: cause.code }));
          return;
        }
        if (!redo) {
          this.o.journal.append(events.note(`${step.id}: re-checked: what the earlier run did still holds`, step.id, { recheck: "in-effect" }));
          return;
        }
        const writes = redo.decision.effects.map((e) => e.summary);
        const finding = {
          code: "containment-regressed",
          severity: "high" as const,
          occurredAt: this.o.clock.now().toISOString(),
          summary: `${step.id}: what the earlier run did no longer holds in the tenant; sent again: ${writes.join("; ")}`,
          evidence: [],
          data: { writes },
        };
        this.o.journal.append(events.finding(step.id, finding));
        this.findings.push({ ...finding, step: step.id });
        this.completed.delete(step.id);
        this.preparing.set(step.id, Promise.resolve(redo));
        this.prepared.add(step.id);
        this.outputs[step.id] = { ...earlier, ...(redo.decision.outputs ?? {}) };
      }),
    );
  }

  private dependsOn(id: string): string[] {
    return this.planned.get(id)?.dependsOn ?? [];
  }

  /** True when neither the step nor anything it depends on is an action. */
  private isReadOnlyClosure(id: string, seen = new Set<string>()): boolean {
    if (seen.has(id)) return true;
    seen.add(id);
    const step = this.planned.get(id);
    if (!step || step.write) return false;
    return step.dependsOn.every((d) => this.isReadOnlyClosure(d, seen));
  }

  /**
   * The pending writes of an action, once it has handed them to the gate (or finished without any: then what it
   * followed itself, so that the order holds across an action with nothing to do).
   */
  private writesOf(id: string): Promise<ReadonlyArray<Promise<unknown>>> {
    void this.runOnce(id);
    return this.handedOver(id).promise;
  }

  private handedOver(id: string): { promise: Promise<ReadonlyArray<Promise<unknown>>>; resolve: (tickets: ReadonlyArray<Promise<unknown>>) => void } {
    let entry = this.handed.get(id);
    if (!entry) {
      let resolve!: (tickets: ReadonlyArray<Promise<unknown>>) => void;
      const promise = new Promise<ReadonlyArray<Promise<unknown>>>((r) => (resolve = r));
      entry = { promise, resolve };
      this.handed.set(id, entry);
    }
    return entry;
  }

  private runOnce(id: string): Promise<StepOutcome> {
    let p = this.running.get(id);
    if (!p) {
      p = this.runStep(id).then((outcome) => {
        this.handedOver(id).resolve(this.inherited.get(id) ?? []);
        this.outcomes.set(id, outcome);
        this.unread(outcome);
        if (outcome.status === "completed" || outcome.status === "skipped" || outcome.status === "planned") {
          this.o.journal.append(events.stepCompleted(id, outcome.status, this.outputs[id] ?? {}));
        }
        this.o.onProgress?.({ step: id, title: this.title(id), state: outcome.status, summary: outcome.summary });
        return outcome;
      });
      this.running.set(id, p);
    }
    return p;
  }

  /** A query that failed, did not run or failed as optional is data azir did not read: a gap, unless one says so already. */
  private unread(outcome: StepOutcome): void {
    const step = this.steps.get(outcome.id);
    if (!step || !("query" in step) || this.gaps.some((g) => g.step === outcome.id)) return;
    if (outcome.status !== "failed" && outcome.status !== "not-run" && outcome.error === undefined) return;
    const gap: StepGap = { step: outcome.id, query: step.query, window: null, code: "not-read", message: `not read: ${outcome.summary}` };
    this.gaps.push(gap);
    this.o.journal.append(events.gap(outcome.id, step.query, `${step.query}: ${gap.message}`, gap));
  }

  private title(id: string): string {
    return this.steps.get(id)?.title ?? id;
  }

  private scope(): TemplateScope {
    return { params: this.o.params, findings: this.outputs, ...(this.o.incident ? { incident: { id: this.o.incident.id } } : {}) };
  }

  /** Waits for the given steps; returns the first one that did not succeed and is required (not in `notRequired`). */
  private async waitFor(ids: string[], notRequired: ReadonlySet<string> = new Set()): Promise<StepOutcome | undefined> {
    const outcomes = await Promise.all(ids.map((d) => this.runOnce(d)));
    return outcomes.find((o) => !notRequired.has(o.id) && (o.status === "failed" || o.status === "not-run"));
  }

  /** Steps a step waits for without needing them to succeed: the action ordered before it, and what it tolerates. */
  private notRequired(step: Step): Set<string> {
    const orderedAfter = this.planned.get(step.id)?.orderedAfter;
    return new Set([...(step.tolerate ?? []), ...(orderedAfter ? [orderedAfter] : [])]);
  }

  /** The template scope of a step: a tolerated step that did not complete reads as having found nothing (null). */
  private scopeFor(step: Step): TemplateScope {
    const missing = (step.tolerate ?? []).filter((id) => this.outputs[id] === undefined);
    return missing.length === 0 ? this.scope() : { ...this.scope(), findings: { ...this.outputs, ...Object.fromEntries(missing.map((id) => [id, {}])) } };
  }

  /** The steps a step's inputs come from: its `after`, and the steps whose findings its `with` and `when` use. */
  private inputSteps(step: Step): string[] {
    return [...new Set([...(step.after ?? []), ...findReferences([step.with, step.when]).flatMap((r) => (r.kind === "findings" ? [r.step] : []))])];
  }

  /** The steps an action's inputs come from that failed or gave partial data, with why. */
  private incompleteInputs(step: Step): InputGap[] {
    const out: InputGap[] = [];
    for (const id of this.inputSteps(step)) {
      const outcome = this.outcomes.get(id);
      if (outcome?.status === "failed" || outcome?.status === "not-run") out.push({ step: id, reason: `${id} did not complete: ${outcome.summary}` });
      else {
        // A table the runbook declares optional and the workspace lacks is the workspace's shape, not data lost on
        // the way: it stays a gap in the report, but the data read is all there is to decide on.
        const lost = this.gaps.filter((g) => g.step === id && g.code !== "table-not-found");
        if (lost.length > 0) out.push({ step: id, reason: `${id} returned incomplete data (${[...new Set(lost.map((g) => g.code))].join(", ")})` });
      }
    }
    return out;
  }

  private async runStep(id: string): Promise<StepOutcome> {
    const step = this.steps.get(id)!;
    const kind = stepKind(step);
    const notRun = (summary: string): StepOutcome => ({ id, kind, status: "not-run", summary });

    if (this.completed.has(id)) {
      this.o.journal.append(events.note(`${id}: completed in the earlier run; not repeated`, id, { resumed: true }));
      return { id, kind, status: "resumed", summary: "completed in the earlier run" };
    }
    const unavailable = "action" in step ? this.o.unavailable?.(step.action) : undefined;
    if (unavailable) {
      return this.fail(step, new AzirError("unsupported", `${step.id} not done: ${unavailable}; nothing was sent for it`, { hint: "do this step by other means (the admin center of the cloud, if it offers it), and record it" }));
    }

    // A query may start fetching before the steps whose findings only its analyzer needs are done.
    let fetch: ReturnType<QueryRunner["fetch"]> | undefined;
    if ("query" in step) {
      const blocked = await this.waitFor(await this.queries.fetchDependencies(step), this.notRequired(step));
      if (blocked) return notRun(`waits for ${blocked.id}, which did not complete`);
      if (this.o.signal.aborted) return notRun("interrupted");
      if (!(await this.whenHolds(step))) return this.skipByCondition(step);
      fetch = this.queries.fetch(step, this.scopeFor(step));
    }
    // An action reads the tenant and decides as soon as its inputs are known; only its writes wait for the action
    // declared before it. The reads of later actions thus run beside the writes of earlier ones.
    if ("action" in step && !this.o.signal.aborted && !this.o.unavailable?.(step.action)) {
      if (!(await this.waitFor(this.inputSteps(step), this.notRequired(step))) && !this.o.signal.aborted && (await this.whenHolds(step))) {
        this.prepare(step).catch(() => undefined); // a failure is reported when the step runs
      }
    }
    // The action declared before is an ordering only: its writes are waited for in the performer (one Graph batch,
    // dependsOn), not here, so this action's writes can go out with them.
    const orderedAfter = "action" in step ? this.planned.get(id)?.orderedAfter : undefined;
    const blocked = await this.waitFor(this.dependsOn(id).filter((d) => d !== orderedAfter), this.notRequired(step));
    if (blocked) return notRun(`waits for ${blocked.id}, which did not complete`);
    if (orderedAfter) this.inherited.set(id, await this.writesOf(orderedAfter));
    if (this.o.signal.aborted && !fetch) return notRun("interrupted");
    if (this.gate.refused) return notRun("not confirmed");
    if (!fetch && !this.prepared.has(id) && !(await this.whenHolds(step))) return this.skipByCondition(step);

    this.o.onProgress?.({ step: id, title: this.title(id), state: "started" });
    try {
      if ("query" in step) {
        const { summary, outputs } = this.queries.complete(step, await fetch!, this.scopeFor(step));
        this.outputs[id] = outputs;
        return { id, kind, status: "completed", summary };
      }
      if ("action" in step) return await this.runAction(step);
      const text = String(resolveTemplates(step.note, this.scopeFor(step)));
      this.o.journal.append(events.note(text, id));
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
    this.o.journal.append(events.note(`${step.id}: skipped, its condition is false (${step.when})`, step.id));
    return { id: step.id, kind: stepKind(step), status: "skipped", summary: "condition false" };
  }

  private fail(step: Step, error: AzirError): StepOutcome {
    const kind = stepKind(step);
    if (step.optional) {
      this.outputs[step.id] = {};
      this.o.journal.append(events.note(`${step.id} (optional) did not complete: ${error.message}`, step.id, { code: error.code }));
      return { id: step.id, kind, status: "skipped", summary: `optional, did not complete: ${error.message}`, error };
    }
    this.firstError ??= error;
    this.o.journal.append(events.stepFailed(step.id, error));
    return { id: step.id, kind, status: "failed", summary: error.message, error };
  }

  /** Reads and decides once per step; the decision's outputs (e.g. the user's object id) are visible at once. */
  private prepare(step: ActionStep): Promise<PreparedAction> {
    let pending = this.preparing.get(step.id);
    if (!pending) {
      // A template that does not resolve fails the step (reported when it runs), not the whole run.
      pending = Promise.resolve()
        .then(() => this.actions.prepare(step, resolveTemplates(step.with ?? {}, this.scopeFor(step)), this.incompleteInputs(step)))
        .then((prepared) => {
        this.prepared.add(step.id);
        this.outputs[step.id] = { ...(prepared.decision.outputs ?? {}) };
        return prepared;
      });
      this.preparing.set(step.id, pending);
    }
    return pending;
  }

  /** Reads and decides an action once the steps its inputs come from are done (a failure is reported when it runs). */
  private async readEarly(step: ActionStep): Promise<void> {
    if (this.completed.has(step.id) || this.o.unavailable?.(step.action)) return;
    const inputs = this.inputSteps(step);
    // only inputs from steps that are themselves reads: an action's outputs come when it has run
    if (!inputs.every((d) => this.isReadOnlyClosure(d))) return;
    // Until its inputs are known, it reads with what is known (the user, from the parameters).
    const pending = inputs.filter((d) => this.outputs[d] === undefined);
    if (pending.length > 0) {
      try {
        const scope = this.scope();
        const raw = resolveTemplates(step.with ?? {}, { ...scope, findings: { ...scope.findings, ...Object.fromEntries(pending.map((d) => [d, {}])) } });
        void this.actions.readAhead(step, raw);
      } catch {
        // a template that does not resolve yet: the action reads when its inputs are known
      }
    }
    if (await this.waitFor(inputs, this.notRequired(step))) return;
    if (this.o.signal.aborted || !(await this.whenHolds(step))) return;
    await this.prepare(step).catch(() => undefined);
  }

  private async prepareAndConfirm(): Promise<void> {
    // In waves: every action whose inputs are known reads and decides at once (their reads go out together); an
    // action ordered after another only needs that one to be deciding too.
    const considered = new Set<string>();
    for (;;) {
      const wave: ActionStep[] = [];
      for (const step of this.runbook.steps) {
        if (!("action" in step) || considered.has(step.id)) continue;
        const orderedAfter = this.planned.get(step.id)?.orderedAfter;
        const tolerated = new Set(step.tolerate ?? []);
        const ready = this.dependsOn(step.id).every((d) => {
          const status = this.outcomes.get(d)?.status;
          return (
            status === "completed" ||
            status === "resumed" ||
            this.prepared.has(d) ||
            this.completed.has(d) ||
            (tolerated.has(d) && status !== undefined) ||
            (d === orderedAfter && (considered.has(d) || wave.some((w) => w.id === d)))
          );
        });
        if (!ready) continue;
        considered.add(step.id);
        if (this.completed.has(step.id) || this.o.unavailable?.(step.action)) continue;
        if (step.when !== undefined && !isTruthy(resolveTemplates(step.when, this.scope()))) continue;
        wave.push(step);
      }
      if (wave.length === 0) break;
      // a failure is reported when the step runs
      await Promise.all(wave.map((step) => this.prepare(step).catch(() => undefined)));
    }
    if (!this.o.confirm) return;
    const all: PendingWrite[] = [];
    for (const step of this.runbook.steps) {
      if (!("action" in step) || !this.prepared.has(step.id)) continue;
      const { decision } = await this.prepare(step);
      if (decision.done === undefined) all.push(...this.gate.pending(step.id, decision.effects));
    }
    if (all.length > 0) await this.gate.ask(all, this.o.confirm);
  }

  private async runAction(step: ActionStep): Promise<StepOutcome> {
    const prepared = await this.prepare(step);
    // A step marked `confirm: true` is asked for on its own, even with --yes.
    const confirmer = step.confirm ? (this.o.confirm ?? this.o.confirmStep ?? (async () => false)) : this.o.confirm;
    const result = await this.actions.run(step, prepared, confirmer, {
      ...(this.inherited.has(step.id) ? { after: this.inherited.get(step.id)! } : {}),
      submitted: (tickets) => this.handedOver(step.id).resolve(tickets),
    });
    this.outputs[step.id] = result.outputs;
    if (result.status === "skipped") this.skippedSteps++;
    if (result.status === "needs-decision") this.firstError ??= new AzirError("needs-decision", `${step.id}: ${result.summary}`, { hint: prepared.decision.undecided?.hint });
    return { id: step.id, kind: "action", status: result.status, summary: result.summary };
  }
}

