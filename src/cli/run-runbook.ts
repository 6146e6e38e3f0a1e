import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { AzirError, ExitCode, formatDiagnostic, isAzirError } from "../core/errors.js";
import { actionNotInCloud } from "../entra/facts.js";
import type { GraphReader } from "../core/ports.js";
import { memoisedGraph, type Chooser, type MemoisedGraph } from "../runbook/action-runner.js";
import { checkRunbook } from "../runbook/rules.js";
import { executeRunbook, type ExecutionResult, type PendingWrite } from "../runbook/execute.js";
import { loadRunbookFile, type LoadedRunbook } from "../runbook/load.js";
import { protectedCandidates, resolveParams } from "../runbook/params.js";
import { registry, resolveQueryPath, ruleContext } from "../runbook/registry.js";
import { completedStepGaps, completedStepOutputs, resumeCommand } from "../runbook/resume.js";
import type { Runbook } from "../runbook/schema.js";
import { resolveTemplates } from "../runbook/template.js";
import { shippedRunbook } from "./shipped-runbooks.js";
import { resolveUser } from "../steps/user-target.js";
import type { TimelineDocument } from "../timeline/document.js";
import { openJournal, readJournal, verifyJournal } from "../timeline/journal.js";
import { createRunContext, type CommandContext, type RunContext } from "./context.js";
import { incidentDocument } from "./report.js";
import { renderWrites } from "./render/writes.js";
import { bulkUsersParam, expandForUsers, userParamOf, type BulkSection } from "../runbook/bulk.js";
import type { RunbookPlan } from "../runbook/plan.js";
import type { DoctorReport } from "../runbook/doctor.js";
import type { SecretSink } from "../core/effects.js";
import type { TenantBaseline } from "../steps/baseline.js";

export interface RunRequest {
  runbookFile: string;
  params: Record<string, string>;
  /** Journal of an interrupted run to continue. */
  resume?: string;
  /**
   * Resume what the journal records (runbook, subject, parameters) without naming it on the command line, and without
   * being asked. Without it, a resume that names nothing, or names something else than the journal, is put to the
   * responder even with --yes, and refused without a terminal: a journal is a file anyone who can write it can edit.
   */
  asRecorded?: boolean;
  /** Where secrets issued by the run's writes go (a new client secret): never the journal. */
  secrets?: SecretSink;
  /** The tenant baseline (`--baseline`), already validated. */
  baseline?: TenantBaseline;
  /** Defaults that depend on the run's context (the config, the tabletop tenant): given params win over them. */
  contextParams?: (context: RunContext) => Record<string, string>;
  /** Run the runbook for each of these users (its one UPN parameter), as one incident: see runbook/bulk.ts. */
  users?: string[];
}

/** A run over several users: each user's section of the run, and the protected accounts refused. */
export interface BulkRun {
  sections: BulkSection[];
  /** Protected (break-glass) accounts in the list: refused, nothing sent for them. */
  refused: string[];
}

/** A finished run, for the command's renderer: the result, the timeline document, and where the journal is. */
export interface RunOutcome {
  exitCode: number;
  runbook: Runbook;
  result: ExecutionResult;
  document: TimelineDocument;
  journalPath: string;
  /** How the command line names the runbook again (its id when it is the shipped one, else its file), for a resume. */
  runbookRef: string;
  /** The mode flags a resume of this run repeats (`--tabletop`, `--dry-run`). */
  modeFlags: string[];
  context: RunContext;
  params: Record<string, unknown>;
  /** A dry run's preflight: the doctor's checks, run before the first step. */
  doctor?: DoctorReport;
  /** Set when the run was over several users. */
  bulk?: BulkRun;
}

/** Loads and checks a runbook: schema and named rules. Diagnostics become one usage error listing all. */
export async function loadCheckedRunbook(file: string): Promise<LoadedRunbook> {
  const result = await loadRunbookFile(file);
  const diagnostics = result.ok ? checkRunbook(result.loaded, ruleContext()) : result.diagnostics;
  if (!result.ok || diagnostics.length > 0) {
    throw new AzirError("validation", `${file}: the runbook is not valid`, { details: diagnostics.map(formatDiagnostic) });
  }
  return result.loaded;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60) || "incident";
}

function incidentIdFor(loaded: LoadedRunbook, params: Record<string, unknown>, now: Date, explicit?: string): string {
  if (explicit) return explicit;
  const subject = loaded.runbook.subject ? String(resolveTemplates(loaded.runbook.subject, { params, findings: {} })) : loaded.runbook.id;
  // A resource id names its incident by the resource's own name (vm-web-01), not by the whole path.
  const name = subject.startsWith("/subscriptions/") ? (subject.split("/").filter(Boolean).at(-1) ?? subject) : subject;
  return `${slug(name)}-${now.toISOString().slice(0, 10).replace(/-/g, "")}`;
}

/**
 * Runs a runbook end to end: load and check it, resolve parameters, refuse protected accounts, build the
 * run's context (mode), open the journal, execute through the write gate. The command renders the outcome.
 */
export async function runRunbook(ctx: CommandContext, request: RunRequest): Promise<RunOutcome> {
  const { globals, terminal } = ctx;
  let runbookFile = request.runbookFile;
  let rawParams = request.params;
  let resumeEvents: Awaited<ReturnType<typeof readJournal>>["events"] | undefined;
  let recorded: RecordedRun | undefined;
  if (request.resume) {
    const read = await readJournal(request.resume);
    resumeEvents = read.events;
    const started = read.events.find((e) => e.kind === "run.started");
    if (!started) throw new AzirError("usage", `${request.resume}: no run.started event; nothing to resume`);
    recorded = recordedRun(started.data);
    // A runbook named on the command line is the one loaded (the journal's file path is only shown): it must be the
    // runbook the journal records, which resumeMatches checks once it is loaded.
    runbookFile = request.runbookFile || String(started.data.file ?? runbookFile);
    rawParams = Object.fromEntries(
      Object.entries(started.data.params).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, String(v)]),
    );
    if (read.torn) terminal.warn(`${request.resume}: the last line was cut by a crash; continuing after the last whole event`);
  }

  let loaded = await loadCheckedRunbook(runbookFile);
  // Several users: the runbook repeated per user, one journal; protected accounts are refused one by one.
  const resumedUsers = request.resume && rawParams[bulkUsersParam] !== undefined && loaded.runbook.params[bulkUsersParam] === undefined ? rawParams[bulkUsersParam].split(",") : undefined;
  const users = request.users ?? resumedUsers;
  let plan: RunbookPlan | undefined;
  let bulk: BulkRun | undefined;
  const context = await createRunContext(ctx);
  try {
    if (users) {
      const param = userParamOf(loaded.runbook);
      if (!param) throw new AzirError("usage", `${loaded.runbook.id} has no single user parameter to repeat over several users`);
      const refused = globals.forceProtected ? [] : users.filter((u) => context.protectedAccounts.includes(u));
      const proceed = users.filter((u) => !refused.includes(u));
      if (proceed.length === 0) {
        throw new AzirError("protected-account", `${refused.join(", ")} ${refused.length === 1 ? "is a protected account" : "are protected accounts"} (break-glass); azir will not act on ${refused.length === 1 ? "it" : "them"}`, {
          hint: "if this is really intended, run again with --force-protected",
        });
      }
      const expanded = expandForUsers(loaded.runbook, param, proceed);
      loaded = { ...loaded, runbook: expanded.runbook };
      plan = expanded.plan;
      bulk = { sections: expanded.sections, refused };
      const { [param]: _one, ...rest } = rawParams;
      rawParams = { ...rest, [bulkUsersParam]: proceed.join(",") };
    }
    const params = resolveParams(loaded.runbook, { ...(request.contextParams?.(context) ?? {}), ...rawParams });
    // The simulated storage starts beside the first steps when a step will copy evidence.
    if (loaded.runbook.steps.some((s) => "action" in s && s.action === "arm.exportSnapshots")) context.warmStorage?.();
    const protectedHit = protectedCandidates(loaded.runbook, params).filter((upn) => context.protectedAccounts.includes(upn));
    if (protectedHit.length > 0 && !globals.forceProtected) {
      throw new AzirError("protected-account", `${protectedHit.join(", ")} is a protected account (break-glass); azir will not act on it`, {
        hint: "if this is really intended, run again with --force-protected",
      });
    }
    if (!context.workspaceId && loaded.runbook.steps.some((s) => "query" in s)) {
      throw new AzirError("usage", "no Log Analytics workspace configured", { hint: "pass --workspace <guid>, set AZIR_WORKSPACE, or add workspace: to the config file" });
    }

    const journalMode = resumeEvents?.find((e) => e.kind === "run.started")?.mode;
    if (journalMode && journalMode !== context.mode) {
      // A dry run's planned writes must never count as done for a live run, nor the reverse.
      throw new AzirError("usage", `${request.resume} was written in ${journalMode} mode; this run is ${context.mode}`, {
        hint: "resume with the same mode flags (--tabletop, --dry-run) as the run that wrote the journal",
      });
    }

    const { journalKeyForRun, describeSignatures } = await import("./journal-key.js");
    const key = journalKeyForRun(ctx.io, terminal);
    if (recorded && request.resume) {
      const verified = await verifyJournal(request.resume, key ? { key } : {});
      // A torn last line is a crash's doing, which openJournal cuts off; any other failure is refused there.
      if (verified.ok) terminal.line(`  journal: ${describeSignatures(verified.signatures, key).text}`);
      else if (!verified.reason.startsWith("incomplete final line")) {
        throw new AzirError("validation", `cannot resume ${request.resume}: line ${verified.line}: ${verified.reason}`, {
          hint: `run \`azir timeline verify ${request.resume}\`; a damaged journal is evidence, start a new run instead of resuming it`,
        });
      }
      await confirmResume(ctx, request, recorded, loaded);
    }

    // Actions the cloud's Graph does not offer are refused before any call; the other steps run.
    const notInCloud = loaded.runbook.steps.flatMap((s) => ("action" in s && actionNotInCloud(context.cloud, s.action) ? [`${s.id} (${s.action}): ${actionNotInCloud(context.cloud, s.action)}`] : []));
    for (const line of notInCloud) terminal.warn(`not in ${context.cloud}: ${line}; azir will send nothing for it`);

    // A dry run answers "would the real run work?": the doctor's checks first, on the same sign-in and endpoints.
    let doctor: DoctorReport | undefined;
    if (context.dryRun) {
      const { checkRunbooks } = await import("./doctor.js");
      const { renderDoctor } = await import("./render/doctor.js");
      doctor = await checkRunbooks(context, [loaded]);
      terminal.line(renderDoctor(doctor, terminal.color));
      terminal.line();
    }

    // Reads shared by the preflight and the run: the user read here is the one the actions read.
    const ports = { ...context.ports, graph: memoisedGraph(context.ports.graph) };
    // Tenant-wide lists the actions will read go out with the users' reads (one Graph batch).
    warmTenantReads(loaded.runbook, ports.graph, {
      ...(resumeEvents ? { completed: completedStepOutputs(resumeEvents) } : {}),
      unavailable: (action) => actionNotInCloud(context.cloud, action) !== undefined,
    });
    await refuseUnknownUsers(loaded.runbook, params, ports.graph, bulk?.sections.map((s) => s.upn));

    const controller = new AbortController();
    const onSigint = (): void => {
      if (controller.signal.aborted) return;
      terminal.warn("interrupted: finishing the requests in flight, then stopping (the journal stays resumable)");
      controller.abort(new AzirError("interrupted", "interrupted"));
    };
    process.on("SIGINT", onSigint);

    const runId = context.ids.uuid();
    const incidentId = incidentIdFor(loaded, params, context.clock.now(), globals.incident);
    const subject = loaded.runbook.subject ? String(resolveTemplates(loaded.runbook.subject, { params, findings: {} })) : undefined;
    const journal = await openJournal({
      ...(key ? { key } : {}),
      secrets: context.issuedTokens,
      dir: context.out,
      incidentId,
      runId,
      mode: context.mode,
      clock: context.clock,
      ...(request.resume ? { resumeFrom: request.resume } : {}),
    });
    // What was done is read again under the incident's lock: another run may have added to the journal meanwhile.
    if (resumeEvents) resumeEvents = [...journal.events];
    // A run that issues client secrets learns from the incident's journals which earlier ones reached the responder.
    const issued = loaded.runbook.steps.some((s) => "action" in s && s.action === "entra.rotateAppCredentials")
      ? await (await import("../runbook/issued-secrets.js")).issuedSecrets(dirname(journal.path), key)
      : undefined;
    const resumedRunId = resumeEvents?.find((e) => e.kind === "run.started")?.runId;
    const confirm = context.dryRun || globals.yes ? undefined : confirmer(ctx, bulk);
    // What azir cannot decide is put to the responder on a terminal; with --yes (or none) the run says "not done".
    const choose = context.dryRun || globals.yes || (!ctx.deps.choose && !ctx.io.stdinIsTTY) ? undefined : chooser(ctx);
    // steps marked `confirm: true` in the runbook are asked for even with --yes
    const confirmStep = context.dryRun ? undefined : confirmer(ctx, bulk);
    const spinner = terminal.progress(`${loaded.runbook.title}`);
    // A long effect (a disk copy) says how far it is on the same line.
    context.progress.listener = (line) => spinner.update(line);
    const running = new Set<string>();
    let result: ExecutionResult;
    try {
      result = await executeRunbook({
        loaded,
        ...(plan ? { plan } : {}),
        params,
        dryRun: context.dryRun,
        journal,
        ports,
        endpoints: context.endpoints,
        clock: context.clock,
        ids: context.ids,
        signal: controller.signal,
        workspaceId: context.workspaceId,
        registry,
        incident: { id: journal.incidentId, ...(subject ? { subject } : {}) },
        operator: await operatorOf(context, loaded.runbook),
        loadQuery: queryLoader(),
        ...(request.secrets ? { secrets: request.secrets } : {}),
        ...(request.baseline ? { baseline: request.baseline } : {}),
        ...(issued ? { issuedSecrets: issued } : {}),
        unavailable: (action) => actionNotInCloud(context.cloud, action),
        ...(confirm ? { confirm: async (writes) => { spinner.stop(); return confirm(writes); } } : {}),
        ...(confirmStep ? { confirmStep: async (writes) => { spinner.stop(); return confirmStep(writes); } } : {}),
        ...(choose ? { choose: async (question) => { spinner.stop(); return choose(question); } } : {}),
        ...(resumeEvents ? { completed: completedStepOutputs(resumeEvents), resumedGaps: completedStepGaps(resumeEvents), ...(resumedRunId ? { resumedRunId } : {}) } : {}),
        onProgress: (p) => {
          if (p.state === "started") running.add(p.title);
          else running.delete(p.title);
          spinner.update(running.size ? `${[...running].join(", ")}` : loaded.runbook.title);
        },
      });
    } finally {
      spinner.stop();
      delete context.progress.listener;
      process.off("SIGINT", onSigint);
      journal.close();
    }
    const document = incidentDocument(journal.events, { incidentId: journal.incidentId });
    // Something the real run needs is missing: the dry run says so in its exit code too (4), unless it failed itself.
    const exitCode = exitCodeOf(result) === ExitCode.ok && doctor && !doctor.ok ? ExitCode.auth : exitCodeOf(result);
    // Several users: one of them not fully contained (a protected account refused included) fails the run.
    const bulkExit = bulk && exitCode === ExitCode.ok && bulk.refused.length > 0 ? ExitCode.failed : exitCode;
    return { exitCode: bulkExit, runbook: loaded.runbook, runbookRef: runbookRef(loaded), modeFlags: modeFlags(globals.tabletop, context.dryRun), result, document, journalPath: journal.path, context, params, ...(doctor ? { doctor } : {}), ...(bulk ? { bulk } : {}) };
  } finally {
    await context.close();
  }
}

/** What a journal's run.started says was run. */
interface RecordedRun {
  runbook: string;
  file: string;
  subject?: string;
  runbookSha256?: string;
  params: Record<string, string>;
  startedAt?: string;
}

function recordedRun(data: Record<string, unknown>): RecordedRun {
  const params = data.params !== null && typeof data.params === "object" ? (data.params as Record<string, unknown>) : {};
  return {
    runbook: String(data.runbook ?? "?"),
    file: String(data.file ?? "?"),
    ...(typeof data.subject === "string" ? { subject: data.subject } : {}),
    ...(typeof data.runbookSha256 === "string" ? { runbookSha256: data.runbookSha256 } : {}),
    params: Object.fromEntries(Object.entries(params).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, String(v)])),
  };
}

/** The flags that put a resume in the mode of the run (the mode is checked against the journal's). */
function modeFlags(tabletop: string | boolean | undefined, dryRun: boolean): string[] {
  return [...(tabletop ? [tabletop === true ? "--tabletop" : `--tabletop=${tabletop}`] : []), ...(dryRun ? ["--dry-run"] : [])];
}

/** The runbook as a command line names it: its id when the file is the shipped one, else the file. */
function runbookRef(loaded: LoadedRunbook): string {
  return resolve(loaded.file) === resolve(shippedRunbook(loaded.runbook.id)) ? loaded.runbook.id : resolve(loaded.file);
}

/**
 * Before a resume acts: says which runbook, subject and parameters the journal records, and compares them with what
 * the command line names. The journal's hash chain shows an edit only to someone who did not re-hash it, so a journal
 * alone never decides who or what is acted on: naming nothing, or something else, is asked even with --yes (refused
 * without a terminal) unless --as-recorded says to resume what the journal records.
 */
async function confirmResume(ctx: CommandContext, request: RunRequest, recorded: RecordedRun, loaded: LoadedRunbook): Promise<void> {
  const { terminal, io, deps } = ctx;
  const params = Object.entries(recorded.params).map(([k, v]) => `${k}: ${v}`);
  terminal.line(`resuming ${recorded.runbook} (${recorded.file})${recorded.subject ? ` on ${recorded.subject}` : ""}`);
  if (params.length > 0) terminal.line(`  parameters: ${params.join(", ")}`);
  const differences: string[] = [];
  if (request.runbookFile && loaded.runbook.id !== recorded.runbook) differences.push(`runbook: the journal records ${recorded.runbook}, the command line names ${loaded.runbook.id}`);
  for (const [name, value] of Object.entries(request.params)) {
    if (recorded.params[name] !== value) differences.push(`${name}: the journal records ${recorded.params[name] ?? "nothing"}, the command line names ${value}`);
  }
  if (request.runbookFile && recorded.runbookSha256) {
    const sha = createHash("sha256").update(loaded.source).digest("hex");
    if (sha !== recorded.runbookSha256) terminal.warn(`${loaded.file} has changed since the journal's run: the resumed steps follow the file as it is now`);
  }
  for (const line of differences) terminal.warn(line);
  const named = Boolean(request.runbookFile) || Object.keys(request.params).length > 0;
  if (request.asRecorded || (named && differences.length === 0)) return;
  const why = differences.length > 0 ? "the command line names another run than the journal records" : "the command line does not name the runbook and its subject";
  if (!deps.prompt && !io.stdinIsTTY) {
    throw new AzirError("refused", `not resuming ${request.resume}: ${why}; a journal can be edited, so azir does not act on what it says alone`, {
      hint: `check the run above, then name it (${resumeCommand({ id: runbookRef(loaded), subject: loaded.runbook.subject }, recorded.params, request.resume)}), or pass --as-recorded to resume what the journal records`,
    });
  }
  const ask = deps.prompt ?? (async (message: string) => (await import("@inquirer/prompts")).confirm({ message, default: false }, { output: process.stderr }));
  if (!(await ask(`${why}: resume ${recorded.runbook}${recorded.subject ? ` on ${recorded.subject}` : ""} as the journal records it?`))) {
    throw new AzirError("refused", `not resuming ${request.resume}: not confirmed; nothing was sent`, { hint: "name the run you mean on the command line" });
  }
}

/**
 * The chain of custody's "who, from where, as whom": the operating-system account and host, and the identity the
 * services see (read from the run's own token: app, user, tenant; never the token). A token that cannot be had is
 * said, not guessed.
 */
async function operatorOf(context: RunContext, runbook: Runbook): Promise<Record<string, unknown>> {
  const { hostname, userInfo } = await import("node:os");
  const { tokenFacts } = await import("../azure/token.js");
  let account = "unknown";
  try {
    account = userInfo().username;
  } catch {
    // no passwd entry (a container's arbitrary uid)
  }
  const scope = runbook.steps.some((s) => "action" in s && s.action.startsWith("arm.")) ? context.scopes.arm : context.scopes.graph;
  let identity: Record<string, unknown>;
  try {
    const token = await context.credential.getToken(scope);
    const facts = token ? tokenFacts(token.token) : undefined;
    identity = facts
      ? { kind: facts.kind, ...(facts.appId ? { appId: facts.appId } : {}), ...(facts.appName ? { appName: facts.appName } : {}), ...(facts.user ? { user: facts.user } : {}), ...(facts.tenantId ? { tenantId: facts.tenantId } : {}) }
      : { kind: "unknown (the token is not a JWT)" };
  } catch (error) {
    identity = { error: `no token: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` };
  }
  return { account, host: hostname(), pid: process.pid, signIn: context.signIn.kind, identity };
}

/**
 * Starts the tenant-wide lists (`tenantReads`) of the actions that will surely run: not a step completed before a
 * resume, not a conditional one, not an action the cloud does not offer (a list nobody reads would spend a paced
 * budget: Identity Protection's 1 request per second; and the cloud's Graph may not have it at all).
 */
function warmTenantReads(runbook: Runbook, graph: MemoisedGraph, skip: { completed?: ReadonlyMap<string, unknown>; unavailable(action: string): boolean }): void {
  const seen = new Set<string>();
  for (const step of runbook.steps) {
    if (!("action" in step) || step.when !== undefined || skip.completed?.has(step.id) || skip.unavailable(step.action)) continue;
    for (const read of registry.actions[step.action]?.tenantReads ?? []) {
      const key = JSON.stringify(read);
      if (seen.has(key)) continue;
      seen.add(key);
      graph.warm(read.path, read.options);
    }
  }
}

/**
 * A user the runbook is about who is not in the directory is refused before any step and before an incident folder
 * exists: a typo must not become four failed steps. A read that fails for another reason (no permission, say) does
 * not stop the run; the steps say what they could not read.
 */
async function refuseUnknownUsers(runbook: Runbook, params: Record<string, unknown>, graph: GraphReader, users: readonly string[] = []): Promise<void> {
  const upns = [
    ...Object.entries(runbook.params).flatMap(([name, spec]) => (spec.type === "upn" && typeof params[name] === "string" ? [params[name] as string] : [])),
    ...users,
  ];
  // Read together (one Graph batch): each user once.
  const unknown = (
    await Promise.all(
      upns.map(async (upn) => {
        try {
          await resolveUser({ graph }, upn);
          return undefined;
        } catch (error) {
          return isAzirError(error) && error.code === "not-found" && error.message.startsWith("no user") ? { upn, hint: error.hint } : undefined;
        }
      }),
    )
  ).filter((u) => u !== undefined);
  if (unknown.length === 1) {
    throw new AzirError("usage", `no user ${unknown[0]!.upn} in the directory; nothing was run`, { hint: unknown[0]!.hint ?? "check the user principal name", exitCode: ExitCode.usage });
  }
  if (unknown.length > 1) {
    throw new AzirError("usage", `${unknown.length} users are not in the directory; nothing was run`, {
      details: unknown.map((u) => `no user ${u.upn}`),
      hint: "check the user principal names, or leave these out",
      exitCode: ExitCode.usage,
    });
  }
}

function exitCodeOf(result: ExecutionResult): number {
  switch (result.status) {
    case "completed":
      return ExitCode.ok;
    case "refused":
      return ExitCode.refused;
    case "interrupted":
      return ExitCode.interrupted;
    case "failed":
      return result.error?.exitCode ?? ExitCode.failed;
  }
}

function queryLoader(): (query: string, runbookFile: string) => Promise<string> {
  const cache = new Map<string, Promise<string>>();
  return (query, runbookFile) => {
    const key = `${runbookFile}\u0000${query}`;
    let text = cache.get(key);
    if (!text) {
      const path = resolveQueryPath(query, runbookFile);
      text = path ? readFile(path, "utf8") : Promise.reject(new AzirError("validation", `KQL file not found: ${query}`));
      cache.set(key, text);
    }
    return text;
  };
}

/** An undecided step on a terminal: the items with what is known of each, and a choice of those that are the attacker's. */
function chooser({ terminal, deps }: CommandContext): Chooser {
  return async ({ summary, items }) => {
    terminal.line(terminal.color.bold(`azir cannot decide on its own: ${summary}`));
    const choices = items.flatMap((item) => {
      const id = typeof item.id === "string" ? item.id : undefined;
      if (!id) return [];
      const known = [item.createdDateTime ? `created ${String(item.createdDateTime)}` : "no creation time", item.registeredAt ? `registered ${String(item.registeredAt)}${item.registeredFrom ? ` from ${String(item.registeredFrom)}` : ""}` : ""].filter(Boolean).join(", ");
      return [{ value: id, name: `${String(item.label ?? id)} ${id} (${known})` }];
    });
    const message = "Which of these are the attacker's? (space to mark, enter to confirm; unmarked ones are kept as the user's own)";
    const ask = deps.choose ?? (async (m: string, c: Array<{ value: string; name: string }>) => (await import("@inquirer/prompts")).checkbox({ message: m, choices: c }, { output: process.stderr }));
    return ask(message, choices);
  };
}

/** Before the first live write: list every write and ask. Without a terminal to ask on, refuse (exit 3). */
function confirmer({ io, terminal, deps }: CommandContext, bulk?: BulkRun): (writes: PendingWrite[]) => Promise<boolean> {
  return async (writes) => {
    terminal.line(bulk ? (await import("./render/bulk.js")).renderBulkWrites(writes, bulk.sections, terminal.color) : renderWrites(writes, terminal.color));
    if (!deps.prompt && !io.stdinIsTTY) {
      throw new AzirError("refused", `refusing ${writes.length} write(s): no terminal to confirm on and no --yes`, {
        hint: "review the writes above (or run with --dry-run), then run again with --yes",
      });
    }
    const ask = deps.prompt ?? (async (message: string) => (await import("@inquirer/prompts")).confirm({ message, default: false }, { output: process.stderr }));
    return ask(`Send these ${writes.length} write(s)?`);
  };
}
