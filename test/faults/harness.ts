import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { main } from "../../src/cli/main.js";
import type { RunDeps } from "../../src/cli/context.js";
import { systemClock } from "../../src/core/clock.js";
import { startEmulator } from "../../src/tabletop/emulator/server.js";
import type { z } from "zod";
import type { faultRuleSchema } from "../../src/tabletop/emulator/faults.js";
import type { Emulator, FaultRule, RequestLogEntry } from "../../src/tabletop/emulator/types.js";
import { builtInScenarioDir, loadScenario } from "../../src/tabletop/scenario/load.js";
import type { Scenario } from "../../src/tabletop/scenario/schema.js";
import { readJournal, verifyJournal } from "../../src/timeline/journal.js";
import { memoryIo } from "../cli/io.js";

/**
 * The fault-injection suite's machinery: a command run in-process against the emulator with one fault rule, then,
 * when it stopped, resumed once the fault is gone; what the emulator's request log and the journals show.
 */

/** A fault as a rule without its match (FaultConfig's rule input). */
export type Fault = Omit<Partial<FaultRule>, "match">;

/** The fault kinds injected, by name. Those marked `transport` happen to a whole HTTP exchange, never inside a batch. */
export const faultKinds: Array<{ name: string; fault: Fault; transport?: boolean }> = [
  { name: "429 with Retry-After", fault: { status: 429, retryAfter: 1 } },
  { name: "429 without Retry-After", fault: { status: 429 } },
  { name: "500", fault: { status: 500 } },
  { name: "502", fault: { status: 502 } },
  { name: "503", fault: { status: 503 } },
  { name: "504", fault: { status: 504 } },
  { name: "dropped connection", fault: { drop: true }, transport: true },
  { name: "silent server", fault: { silent: true }, transport: true },
  { name: "slow drip", fault: { dripMs: 25 }, transport: true },
  { name: "HTML error page", fault: { answer: "html" }, transport: true },
  { name: "empty 200", fault: { answer: "empty" }, transport: true },
  // Every follow of the redirect is redirected again, beyond any client's limit (graph-client 5, core-rest-pipeline 20).
  { name: "redirect loop", fault: { redirectLoop: true, times: 30 }, transport: true },
  { name: "wrong shape", fault: { answer: "wrong-shape" } },
];

/**
 * Faults after the service applied a write (its answer lost or mangled on the way back): a write may be applied by an
 * attempt the client saw fail. An empty or wrong-shape answer to a write is only ever injected this way: a gateway
 * that answers 200 without forwarding is indistinguishable from success for any client.
 */
export const appliedKinds: Array<{ name: string; fault: Fault; transport?: boolean }> = [
  { name: "503 after applying", fault: { status: 503, applied: true } },
  { name: "dropped after applying", fault: { drop: true, applied: true }, transport: true },
  { name: "empty 200 after applying", fault: { answer: "empty", applied: true }, transport: true },
  { name: "wrong shape after applying", fault: { answer: "wrong-shape", applied: true } },
];

/** One request of a run, as the emulator logged it: which of the same method and path it was, and how it went. */
export interface Target {
  method: string;
  path: string;
  service: "graph" | "logs" | "arm";
  /** Inside a Graph $batch. */
  inner: boolean;
  /** How many requests of the same method, path and service came before it in the run (the rule's `skip`). */
  ordinal: number;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The requests a run made that a fault can target (not the token authority, not the control routes). */
export function targetsOf(log: readonly RequestLogEntry[]): Target[] {
  const seen = new Map<string, number>();
  const out: Target[] = [];
  for (const r of log) {
    if (r.service !== "graph" && r.service !== "logs" && r.service !== "arm") continue;
    const key = `${r.service} ${r.method} ${r.path} ${r.batchId ? "inner" : "outer"}`;
    const ordinal = seen.get(key) ?? 0;
    seen.set(key, ordinal + 1);
    out.push({ method: r.method, path: r.path, service: r.service, inner: r.batchId !== undefined, ordinal });
  }
  return out;
}

/** A fault case: its name (the request and the fault) and its rule. */
export interface FaultCase {
  name: string;
  rule: RuleInput;
}

/** How a request is named in a case: method, path with ids folded, where it was sent, which of its kind. */
export function describeTarget(target: Target): string {
  return `${target.method} ${target.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "{id}")}${target.inner ? " (in a batch)" : ""}${target.ordinal ? ` #${target.ordinal + 1}` : ""}`;
}

/** A tally of a suite's cases, as the reliability table gives it. */
export function tally(all: readonly CaseResult[]): Record<string, number> {
  const results = all.filter((r) => r.injected);
  return {
    faults: results.length,
    notReached: all.length - results.length,
    completed: results.filter((r) => r.outcome === "completed").length,
    saidIncomplete: results.filter((r) => r.outcome === "said incomplete").length,
    stoppedCleanly: results.filter((r) => r.outcome === "stopped cleanly").length,
    stoppedBadly: results.filter((r) => r.outcome === "stopped badly").length,
    writesSentTwice: results.reduce((n, r) => n + r.sentTwice.length, 0),
    journalCorruptions: results.reduce((n, r) => n + r.corrupt, 0),
    hangs: results.filter((r) => r.outcome === "hang").length,
    falseAllClear: results.filter((r) => r.falseAllClear).length,
  };
}

/** The cases that break a rule of the suite, one line each (an empty list when all is well). */
export function failures(results: readonly CaseResult[]): string[] {
  return results
    .filter((r) => r.outcome === "stopped badly" || r.outcome === "hang" || r.sentTwice.length > 0 || r.corrupt > 0 || r.falseAllClear)
    .map((r) => `${r.name}: ${r.outcome} (exit ${r.code}${r.resumed !== undefined ? `, resumed ${r.resumed}` : ""}) ${r.sentTwice.join(", ")} ${r.problems.join(" | ")}`);
}

/** A fault rule as written (before defaults). */
export type RuleInput = z.input<typeof faultRuleSchema>;

export function ruleFor(target: Target, fault: Fault): RuleInput {
  return { match: { method: target.method, path: `^${escape(target.path)}$`, service: target.service }, ...fault, skip: target.ordinal, times: fault.times ?? 1 };
}

export const isWrite = (t: Pick<Target, "method" | "path">): boolean => t.method !== "GET" && !t.path.endsWith("/$batch") && !/\/query$/.test(t.path);

/**
 * Where the suite's journals go: a memory file system where there is one. Each journal line is fsynced, and a few
 * thousand fsyncs on a shared disk would make the suite's time the disk's; on tmpfs an fsync costs nothing, and
 * everything else about the journal is the same.
 */
export function scratchDir(): string {
  return mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "azir-faults-"));
}

/** What one case came to. */
export interface CaseResult {
  name: string;
  /** The first run's exit code. */
  code: number;
  /**
   * `said incomplete`: the run finished its work but could not read some of what it checks, said INCOMPLETE with
   * what, and exited 1; running the same command again (as its output says) then completes.
   */
  outcome: "completed" | "said incomplete" | "stopped cleanly" | "stopped badly" | "hang";
  /** Whether the fault met its request: a run whose requests came in another order or grouping may not make it. */
  injected: boolean;
  /** The resumed run's exit code, when the first stopped. */
  resumed?: number;
  /** Writes answered 2xx more than once over the run and its resume (the emulator's request log). */
  sentTwice: string[];
  /** Journals whose hash chain does not verify. */
  corrupt: number;
  /** The tenant after a run that exited 0 differs from the uninterrupted run's: it reported done on work not done. */
  falseAllClear: boolean;
  problems: string[];
  ms: number;
}

export interface Suite {
  scenario: Scenario;
  /** The uninterrupted run: its requests and the end state the faulted runs must reach. */
  baseline: { requests: RequestLogEntry[]; end: string };
  deps: Pick<RunDeps, "azure">;
}

/** Disk images of 64 KiB: the copy's bytes are not what is under test, and Azurite serves them in every case. */
export const suiteDiskImageBytes = 64 * 1024;

/**
 * Short retry delays, and deadlines long enough that a loaded machine does not turn an answer into a timeout; a case
 * whose fault is a silent server or a slow drip gets short deadlines (`stallDeps`), so that it costs seconds, not a
 * minute.
 */
export const suiteDeps: Pick<RunDeps, "azure"> = { azure: { retry: { maxRetries: 3, retryDelayMs: 20 }, timeouts: { graphMs: 15_000, logsMs: 15_000, armReadMs: 15_000 } } };
export const stallDeps: Pick<RunDeps, "azure"> = { azure: { retry: { maxRetries: 3, retryDelayMs: 20 }, timeouts: { graphMs: 2500, logsMs: 2500, armReadMs: 2500 } } };

/** The parts of the tenant a containment changes, for comparing end states. */
export function containedState(emulator: Emulator, userId: string): string {
  const s = emulator.state();
  const user = s.users.find((u) => u.id === userId);
  const methods = (s.authenticationMethods[userId] ?? []).map((m) => (m as { id: string }).id).sort();
  const risky = s.riskyUsers.find((u) => u.id === userId);
  return JSON.stringify({ accountEnabled: user?.accountEnabled, methods, riskState: risky?.riskState });
}

/** The parts of the tenant harden changes: app and service principal secrets (by name), role assignments, grants. */
export function hardenedState(emulator: Emulator): string {
  const s = emulator.state() as unknown as Record<string, unknown>;
  const list = (key: string): Array<Record<string, unknown>> => (Array.isArray(s[key]) ? (s[key] as Array<Record<string, unknown>>) : []);
  const secrets = (key: string) =>
    list(key).map((o) => [o.id, ((o.passwordCredentials as Array<{ displayName?: string }> | undefined) ?? []).map((c) => (c.displayName ?? "").replace(/\d{4}-\d{2}-\d{2}/, "(date)")).sort()]);
  const ids = (key: string) => list(key).map((o) => o.id).sort();
  return JSON.stringify({ applications: secrets("applications"), servicePrincipals: secrets("servicePrincipals"), roleAssignments: ids("roleAssignments"), grants: ids("oauth2PermissionGrants"), appRoleAssignments: s.appRoleAssignments });
}

/** Snapshots (name, state, SAS state), locks and storage accounts of the forensics subscription. */
export function forensicState(emulator: Emulator): string {
  const resources = emulator.state().arm.resources as Array<{ id: string; type: string; properties?: Record<string, unknown> }>;
  const snapshots = resources
    .filter((r) => r.type.toLowerCase() === "microsoft.compute/snapshots")
    .map((r) => `${r.id.split("/").at(-1)} ${String(r.properties?.provisioningState)} ${String(r.properties?.diskState)}`)
    .sort();
  const locks = resources.filter((r) => r.type.toLowerCase() === "microsoft.authorization/locks").map((r) => r.id.toLowerCase()).sort();
  // the incident id ends in the day of the run (alex-contoso-com-20261201): a suite that runs past midnight UTC names
  // its later snapshots and locks by the next day, the same end state
  return JSON.stringify({ snapshots, locks }).replace(/-\d{8}(?=[\s/"])/g, "-(day)");
}

export async function loadContoso(): Promise<Scenario> {
  return loadScenario(builtInScenarioDir(), systemClock.now());
}

async function runCli(args: string[], emulator: Emulator, deps: Pick<RunDeps, "azure">): Promise<{ code: number; err: string; out: string }> {
  const io = memoryIo();
  const code = await main([...args, "--tabletop", "--yes"], io, { emulator, ...deps });
  return { code, err: io.err(), out: io.out() };
}

/** The resume command a stopped run printed (`resume with: azir run ...`), as arguments; undefined when none was. */
export function printedResume(output: string): string[] | undefined {
  const line = /resume with: azir (run .+)$/m.exec(output.replace(/\u001b\[[0-9;]*m/g, ""))?.[1];
  return line?.split(" ").map((w) => w.replace(/^'(.*)'$/, "$1"));
}

function journalIn(out: string): string | undefined {
  const incident = readdirSync(out)[0];
  if (!incident) return undefined;
  const file = readdirSync(join(out, incident)).find((f) => f.endsWith(".jsonl"));
  return file ? join(out, incident, file) : undefined;
}

/**
 * Writes sent again after azir had received their success: for each write (method and path), how many more 2xx
 * answers reached the client than in the uninterrupted run (`baseline`; a path may take two writes, such as two
 * removePassword calls for two keys). An inner request's answer reaches the client only inside its envelope's 200:
 * when the envelope's answer was lost (a dropped connection, a 503 after the batch ran), the inner answers never
 * arrived, and re-sending an idempotent write then is the retry doing its job, not a duplicate. Envelopes are matched
 * to their inner requests in order (the emulator runs a batch's requests in one go and logs the envelope after them).
 */
export function writesSentTwice(log: readonly RequestLogEntry[], baseline: readonly RequestLogEntry[] = []): string[] {
  const counts = (entries: readonly RequestLogEntry[]): Map<string, number> => {
    const envelopes = entries.filter((r) => r.service === "graph" && r.batchId === undefined && r.path.endsWith("/$batch"));
    const lastSeq = new Map<string, number>();
    for (const r of entries) if (r.batchId !== undefined) lastSeq.set(r.batchId, r.seq);
    // Each batch's envelope is the first one logged after its last inner request; an envelope refused before the
    // batch ran has no inner requests and is passed over.
    const delivered = new Set<string>();
    let e = 0;
    for (const [id, seq] of lastSeq) {
      while (e < envelopes.length && envelopes[e]!.seq < seq) e++;
      if (envelopes[e]?.status === 200 && !envelopes[e]?.fault) delivered.add(id);
      e++;
    }
    const ok = new Map<string, number>();
    for (const r of entries) {
      if (r.service === "logs" || !isWrite(r) || r.status < 200 || r.status >= 300 || r.fault) continue;
      // Graph answers removePassword for a key that is gone with 400: two 2xx on one path are two keys (the log has
      // no bodies), such as a lost new secret removed by the resume beside the old ones.
      if (r.path.endsWith("/removePassword")) continue;
      if (r.batchId !== undefined && !delivered.has(r.batchId)) continue;
      const key = `${r.method} ${r.path}`;
      ok.set(key, (ok.get(key) ?? 0) + 1);
    }
    return ok;
  };
  const expected = counts(baseline);
  return [...counts(log)].filter(([k, n]) => n > Math.max(1, expected.get(k) ?? 0)).map(([k]) => k);
}

/**
 * Runs `args` with one fault rule; when it stops, checks the stop (exit code, a clear error, a journal whose chain
 * verifies and that does not say succeeded), clears the fault and resumes the journal. A case that takes longer than
 * `hangMs` is a hang.
 */
export async function runCase(suite: Suite, name: string, args: string[], rule: RuleInput, endState: (emulator: Emulator) => string, hangMs = 60_000): Promise<CaseResult> {
  const deps = rule.silent || rule.dripMs !== undefined ? stallDeps : suite.deps;
  const started = performance.now();
  const emulator = await startEmulator({ scenario: suite.scenario, clock: systemClock, faults: { rules: [rule] }, storage: { diskImageBytes: suiteDiskImageBytes } });
  const problems: string[] = [];
  let corrupt = 0;
  let injected = false;
  const result = (outcome: CaseResult["outcome"], code: number, extra: Partial<CaseResult> = {}): CaseResult => ({
    name,
    code,
    outcome,
    injected: injected || emulator.faultsInjected() > 0,
    sentTwice: writesSentTwice(emulator.requests(), suite.baseline.requests),
    corrupt,
    falseAllClear: false,
    problems,
    ms: Math.round(performance.now() - started),
    ...extra,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<"hang">((resolve) => (timer = setTimeout(() => resolve("hang"), hangMs)));
  try {
    const out = scratchDir();
    const first = await Promise.race([runCli([...args, "--out", out], emulator, deps), hang]);
    if (first === "hang") return result("hang", -1);
    injected = emulator.faultsInjected() > 0;
    const journal = journalIn(out);
    const check = async (): Promise<void> => {
      if (!journal) return;
      const verified = await verifyJournal(journal);
      if (!verified.ok) corrupt++;
    };
    await check();
    if (first.code === 0) {
      const falseAllClear = endState(emulator) !== suite.baseline.end;
      if (falseAllClear) problems.push(`exit 0 but the tenant is ${endState(emulator)}`);
      return result("completed", 0, { falseAllClear });
    }
    const events = journal ? (await readJournal(journal)).events : [];
    const finished = events.findLast((e) => e.kind === "run.finished") as { data?: { status?: string } } | undefined;
    if (first.code === 1 && finished?.data?.status === "succeeded" && /INCOMPLETE/.test(first.err) && !/this is a bug|internal error/i.test(first.err)) {
      // The work was done and what could not be read was said: the responder runs the same command again.
      emulator.setFaults({ rules: [] });
      const again = await Promise.race([runCli([...args, "--out", out], emulator, suite.deps), hang]);
      if (again === "hang") return result("hang", first.code);
      await check();
      const end = endState(emulator);
      if (again.code !== 0) problems.push(`run again: exit ${again.code}; stderr: ${again.err.slice(-400)}`);
      if (again.code === 0 && end !== suite.baseline.end) problems.push(`run again, but the tenant is ${end}`);
      return result(again.code === 0 && end === suite.baseline.end ? "said incomplete" : "stopped badly", first.code, {
        resumed: again.code,
        falseAllClear: again.code === 0 && end !== suite.baseline.end,
      });
    }
    // A clean stop: exit 1 (or 4 for an auth error), a message that is not an internal error, a journal that says failed.
    const clean = journal !== undefined && ![0, 2].includes(first.code) && !/this is a bug|internal error/i.test(first.err) && finished?.data?.status !== "succeeded";
    if (!clean) problems.push(`exit ${first.code}; stderr: ${first.err.slice(-400)}`);
    emulator.setFaults({ rules: [] });
    // The responder resumes with the command the stopped run printed, which names the run.
    const resume = printedResume(first.out + first.err);
    if (!resume) problems.push("the stopped run did not print how to resume it");
    const second = await Promise.race([runCli(resume ?? ["run", "--resume", journal ?? "(none)", "--as-recorded"], emulator, suite.deps), hang]);
    if (second === "hang") return result("hang", first.code);
    await check();
    if (second.code !== 0) problems.push(`resume exit ${second.code}; stderr: ${second.err.slice(-400)}`);
    const end = endState(emulator);
    if (second.code === 0 && end !== suite.baseline.end) problems.push(`resumed, but the tenant is ${end}`);
    return result(clean && second.code === 0 && end === suite.baseline.end ? "stopped cleanly" : "stopped badly", first.code, {
      resumed: second.code,
      falseAllClear: second.code === 0 && end !== suite.baseline.end,
    });
  } finally {
    clearTimeout(timer);
    await emulator.close();
  }
}

/** Runs `tasks` with at most `limit` at a time. */
export async function pool<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** The uninterrupted run of `args` on the built-in tenant: its requests and the end state every case must reach. */
export async function baselineSuite(args: string[], endState: (emulator: Emulator) => string): Promise<Suite> {
  const scenario = await loadContoso();
  const emulator = await startEmulator({ scenario, clock: systemClock, storage: { diskImageBytes: suiteDiskImageBytes } });
  try {
    const io = memoryIo();
    const code = await main([...args, "--tabletop", "--yes", "--out", scratchDir()], io, { emulator, ...suiteDeps });
    if (code !== 0) throw new Error(`the uninterrupted run failed: ${io.err()}`);
    return { scenario, baseline: { requests: emulator.requests(), end: endState(emulator) }, deps: suiteDeps };
  } finally {
    await emulator.close();
  }
}

/**
 * Runs every case (`concurrency` at once), prints the tally (each case too with AZIR_FAULTS_DETAIL) and checks the
 * suite's rules: no case stopped badly, hung, sent a write twice, broke a journal or said done on work not done;
 * every case whose fault was met completed or stopped cleanly; a case whose request came in another grouping than
 * the baseline's (batches form by timing) meets no fault, at most a fifth of them.
 */
export async function runSuite(label: string, suite: Suite, args: string[], cases: readonly FaultCase[], endState: (emulator: Emulator) => string, concurrency: number): Promise<CaseResult[]> {
  const results = await pool(
    cases.map((c) => () => runCase(suite, c.name, args, c.rule, endState)),
    concurrency,
  );
  const figures = tally(results);
  console.info(`faults suite (${label}): ${JSON.stringify(figures)}`);
  if (process.env.AZIR_FAULTS_DETAIL) for (const r of results) console.info(`${r.injected ? r.outcome : "not reached"}\t${r.code}\t${r.ms} ms\t${r.name}`);
  expect(failures(results)).toEqual([]);
  expect(figures.completed! + figures.saidIncomplete! + figures.stoppedCleanly!).toBe(figures.faults);
  expect(figures.notReached!).toBeLessThan(results.length / 5);
  return results;
}
