import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock.js";
import { startTabletop, type Emulator, type RequestLogEntry } from "../../src/tabletop/index.js";
import { readJournal, verifyJournal } from "../../src/timeline/journal.js";
import { azir, journalsIn, sentTwice, startRelay, until, wholeLines, writesOf, type Relay } from "../helpers/kill-resume.js";

// Crash and resume, systematically: a command is killed (SIGKILL) at every step boundary of the journal it writes,
// and inside each write request (the tenant applied it, azir has not seen the answer yet), then resumed with
// `azir run <runbook> --param ... --resume <journal>`. Each resume must end in the state of an uninterrupted run,
// send no write twice (the emulator's request log), and leave a journal that verifies.
// AZIR_CRASH_EVERY_EVENT=1 kills contain after every event instead of every checkpoint (about 50 kill points).

// Every answer reaches azir this long after the tenant sent it: the window in which a kill lands inside a write.
const answerDelayMs = 80;

interface Tenant {
  emulator: Emulator;
  relay: Relay;
  close(): Promise<void>;
}

interface Scenario {
  name: string;
  start(): Promise<Emulator>;
  /** The command, and how to resume it (with the runbook and subject named). */
  command: string[];
  resume: (journal: string) => string[];
  /** What the run leaves in the tenant, to compare a resumed run with an uninterrupted one. */
  state(emulator: Emulator, initial: unknown): unknown;
  initial(emulator: Emulator): unknown;
  /**
   * Writes the scenario may send again by design (none for contain): a read SAS for a copy the kill cut short is lost
   * with the process, so the resumed copy asks for another, and revokes it.
   */
  resent?: (write: string) => boolean;
}

const key = (r: RequestLogEntry) => `${r.method} ${r.path}`;

interface Trial {
  scenario: string;
  point: string;
  linesAtKill: number;
  resumed: boolean;
  twice: string[];
  /** Read access asked again for a copy the kill cut short (see Scenario.resent). */
  regranted: number;
  verified: boolean;
}

const trials: Trial[] = [];

async function tenant(scenario: Scenario): Promise<Tenant> {
  const emulator = await scenario.start();
  const relay = await startRelay(emulator, answerDelayMs);
  return { emulator, relay, close: async () => (await relay.close(), await emulator.close()) };
}

interface Reference {
  state: unknown;
  writes: string[];
  writeLog: RequestLogEntry[];
  kinds: string[];
  lines: number;
}

async function uninterrupted(scenario: Scenario): Promise<Reference> {
  const t = await tenant(scenario);
  try {
    const initial = scenario.initial(t.emulator);
    const out = mkdtempSync(join(tmpdir(), "azir-crash-ref-"));
    const run = azir([...scenario.command, "--yes", "--out", out], t.relay.env);
    expect((await run.exit).code, run.stderr()).toBe(0);
    const journal = journalsIn(out)[0]!;
    const writeLog = writesOf(t.emulator.requests());
    return {
      state: scenario.state(t.emulator, initial),
      writes: writeLog.map(key),
      writeLog,
      kinds: (await readJournal(journal)).events.map((e) => e.kind),
      lines: wholeLines(journal),
    };
  } finally {
    await t.close();
  }
}

/** Runs the command until `kill` says so, kills it, resumes it, and checks the outcome. */
async function trial(scenario: Scenario, point: string, kill: (journal: () => string | undefined, emulator: Emulator) => boolean, reference: Reference): Promise<Trial> {
  const t = await tenant(scenario);
  try {
    const initial = scenario.initial(t.emulator);
    const out = mkdtempSync(join(tmpdir(), "azir-crash-"));
    const journal = () => journalsIn(out)[0];
    const run = azir([...scenario.command, "--yes", "--out", out], t.relay.env);
    const hit = await until(() => kill(journal, t.emulator), run);
    run.child.kill("SIGKILL");
    const ended = await run.exit;
    expect(hit || ended.signal !== "SIGKILL", `${point}: the kill point was not reached; stderr: ${run.stderr()}`).toBe(true);
    const path = journal();
    expect(path, `${point}: no journal`).toBeDefined();
    const linesAtKill = wholeLines(path!);
    // the tenant finishes what it was sent before the resume reads it
    await new Promise((r) => setTimeout(r, answerDelayMs + 30));
    if (point.startsWith("inside")) {
      // a kill inside a write: the tenant has applied writes the journal does not show
      const journaled = (await readJournal(path!)).events.filter((e) => e.kind === "action").length;
      expect(journaled, point).toBeLessThan(writesOf(t.emulator.requests()).length);
    }

    const resume = azir([...scenario.resume(path!), "--yes"], t.relay.env);
    const { code } = await resume.exit;
    const log = t.emulator.requests();
    const twice = sentTwice(log).filter((w) => !scenario.resent?.(w.replace(/ x\d+$/, "")));
    // (for snapshot, the end state says each snapshot's disk state: none is left with an active SAS)
    const regranted = sentTwice(log).length - twice.length;
    const state = scenario.state(t.emulator, initial);
    const result: Trial = { scenario: scenario.name, point, linesAtKill, resumed: code === 0 && JSON.stringify(state) === JSON.stringify(reference.state), twice, regranted, verified: (await verifyJournal(path!)).ok };
    trials.push(result);
    expect(code, `${point}: ${resume.stderr()}`).toBe(0);
    expect(state, point).toEqual(reference.state);
    expect(twice, point).toEqual([]);
    expect([...new Set(writesOf(log).map(key))].sort(), point).toEqual([...new Set(reference.writes)].sort());
    expect(result.verified, point).toBe(true);
    const { events } = await readJournal(path!);
    expect(events.filter((e) => e.kind === "run.finished").at(-1)?.data.status, point).toBe("succeeded");
    return result;
  } finally {
    await t.close();
  }
}

/** Runs the jobs a few at a time (the machine has few cores); every job runs, and the failures are reported together. */
async function pool<T>(jobs: Array<() => Promise<T>>, width: number): Promise<T[]> {
  const results: T[] = [];
  const failures: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        try {
          results.push(await job());
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
      }
    }),
  );
  if (failures.length > 0) throw new Error(`${failures.length} trial(s) failed:\n${failures.join("\n---\n")}`);
  return results;
}

/** Every kill point of a scenario: its checkpoints (or every event), and inside each write request. */
async function killEverywhere(scenario: Scenario, reference: Reference, width: number, every = false): Promise<Trial[]> {
  // Resume's checkpoints: run.started, step.completed, an action journaled, run.finished. A watcher polls every 2 ms,
  // so a kill lands at k or, when azir appended several events at once, just after them.
  const checkpoints = new Set(["run.started", "step.completed", "action", "action.skipped", "run.finished"]);
  const boundaries = reference.kinds.flatMap((kind, i) => (every || checkpoints.has(kind) ? [i + 1] : []));
  // Writes that leave in one Graph $batch are one request: a kill lands after all of them or before all of them.
  const requests = new Map<string, string>();
  for (const w of reference.writeLog) requests.set(w.batchId ?? `${w.seq}`, key(w));
  const jobs = [
    ...boundaries.map((k) => () => trial(scenario, `after event ${k}`, (journal) => (journal() ? wholeLines(journal()!) >= k : false), reference)),
    ...[...requests.values()].map((write, i) => () =>
      trial(scenario, `inside write request ${i + 1} (${write})`, (_journal, emulator) => writesOf(emulator.requests()).filter((r) => key(r) === write).length >= reference.writes.slice(0, reference.writes.indexOf(write) + 1).filter((w) => w === write).length, reference),
    ),
  ];
  const results = await pool(jobs, width);
  expect(results).toHaveLength(boundaries.length + requests.size);
  // The kill points reached cover the journal from its first event to its last.
  const reached = results.filter((r) => r.point.startsWith("after")).map((r) => r.linesAtKill);
  expect(Math.min(...reached)).toBeLessThanOrEqual(2);
  expect(Math.max(...reached)).toBe(reference.lines);
  return results;
}

afterAll(() => {
  for (const name of new Set(trials.map((t) => t.scenario))) {
    const mine = trials.filter((t) => t.scenario === name);
    const resumed = mine.filter((t) => t.resumed).length;
    const twice = mine.reduce((n, t) => n + t.twice.length, 0);
    const corrupt = mine.filter((t) => !t.verified).length;
    const regranted = mine.reduce((n, t) => n + t.regranted, 0);
    process.stdout.write(`crash and resume (${name}): ${mine.length} kill points, ${resumed} resumes completed, ${twice} writes sent twice, ${corrupt} journal corruptions${regranted ? `, ${regranted} SAS grants or revocations sent again for copies cut short` : ""}\n`);
  }
});

const alexId = "4f1c9a2e-8b3d-4c6e-9a1f-2d7e5b8c3a10";
const upn = "alex@contoso.com";

const contain: Scenario = {
  name: "contain",
  start: () => startTabletop({ clock: systemClock }),
  command: ["contain", upn],
  resume: (journal) => ["run", "contain-user", "--param", `upn=${upn}`, "--resume", journal],
  initial: (emulator) => emulator.state().users.find((u) => u.id === alexId)?.signInSessionsValidFromDateTime,
  state(emulator, initialSessions) {
    const state = emulator.state();
    const user = state.users.find((u) => u.id === alexId)!;
    return {
      accountEnabled: user.accountEnabled,
      sessionsRevoked: user.signInSessionsValidFromDateTime !== initialSessions,
      methods: (state.authenticationMethods[alexId] ?? []).map((m) => (m as { id: string }).id).sort(),
      risk: state.riskyUsers.find((r) => r.id === alexId)?.riskState,
    };
  },
};

describe("killed at every boundary and inside each write, then resumed", () => {
  it("azir contain: ends as an uninterrupted run, sends no write twice, and every journal verifies", async () => {
    const reference = await uninterrupted(contain);
    expect(reference.state).toEqual({ accountEnabled: false, sessionsRevoked: true, methods: expect.any(Array), risk: "confirmedCompromised" });
    expect(reference.writes).toHaveLength(5);
    const results = await killEverywhere(contain, reference, 3, process.env.AZIR_CRASH_EVERY_EVENT === "1");
    expect(results.length).toBeGreaterThanOrEqual(17);
  }, 300_000);
});

const forensicsSub = "e7a9b2c4-1d3f-4e5a-8b6c-9d0e1f2a3b4c";

const snapshot: Scenario = {
  name: "snapshot",
  start: () => startTabletop({ clock: systemClock, storage: { start: "eager", diskImageBytes: 1024 * 1024 } }),
  command: ["snapshot", "vm-web-01", "--resource-group", "rg-web", "--forensics-subscription", forensicsSub, "--forensics-resource-group", "rg-forensics", "--forensics-account", "stcontosoforensics"],
  resume: (journal) => ["run", "vm-forensics", "--param", "vm=vm-web-01", "--resume", journal],
  resent: (write) => /\/(beginGetAccess|endGetAccess)$/.test(write),
  initial: () => undefined,
  state(emulator) {
    const resources = emulator.state().arm.resources;
    return {
      snapshots: resources
        .filter((r) => r.type === "Microsoft.Compute/snapshots")
        .map((r) => `${r.name} ${(r.properties as { diskState?: string }).diskState ?? ""}`)
        .sort(),
      locks: resources.filter((r) => /locks$/i.test(r.type)).map((r) => r.id.replace(/^.*\/providers\/Microsoft\.(Compute|Storage)\//, "")).sort(),
    };
  },
};

// Each trial copies three disks through the emulated storage service: about 90 s on two cores, so it runs when asked
// (AZIR_CRASH_SNAPSHOT=1, as .ci/run does).
describe.runIf(process.env.AZIR_CRASH_SNAPSHOT === "1")("killed at every boundary and inside each write, then resumed (VM forensics)", () => {
  it("azir snapshot: ends as an uninterrupted run, sends no write twice, and every journal verifies", async () => {
    const reference = await uninterrupted(snapshot);
    expect(reference.state).toMatchObject({ snapshots: expect.arrayContaining([expect.stringMatching(/Unattached$/)]) });
    const results = await killEverywhere(snapshot, reference, 2);
    expect(results.length).toBeGreaterThanOrEqual(10);
  }, 300_000);
});
