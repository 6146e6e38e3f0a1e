import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock.js";
import { startTabletop, type Emulator, type RequestLogEntry } from "../../src/tabletop/index.js";
import { readJournal, verifyJournal } from "../../src/timeline/journal.js";
import { azir, journalsIn, sentTwice, startRelay, until, wholeLines, writesOf, type Relay } from "../helpers/kill-resume.js";

// Crash and resume, systematically: `azir contain` is killed (SIGKILL) at every boundary between the events it
// journals, and inside each write (the tenant applied it, azir has not seen the answer yet), then resumed with
// `azir run contain-user --param upn=... --resume <journal>`. Each resume must end in the state of an uninterrupted
// run, send no write twice (the emulator's request log), and leave a journal that verifies.

const alexId = "4f1c9a2e-8b3d-4c6e-9a1f-2d7e5b8c3a10";
const upn = "alex@contoso.com";
// Every answer reaches azir this long after the tenant sent it: the window in which a kill lands inside a write.
const answerDelayMs = 80;

interface Tenant {
  emulator: Emulator;
  relay: Relay;
  close(): Promise<void>;
}

async function tenant(): Promise<Tenant> {
  const emulator = await startTabletop({ clock: systemClock });
  const relay = await startRelay(emulator, answerDelayMs);
  return { emulator, relay, close: async () => (await relay.close(), await emulator.close()) };
}

/** What containment leaves in the tenant, to compare a resumed run with an uninterrupted one. */
function containment(emulator: Emulator, initialSessions: unknown) {
  const state = emulator.state();
  const user = state.users.find((u) => u.id === alexId)!;
  return {
    accountEnabled: user.accountEnabled,
    sessionsRevoked: user.signInSessionsValidFromDateTime !== initialSessions,
    methods: (state.authenticationMethods[alexId] ?? []).map((m) => (m as { id: string }).id).sort(),
    risk: state.riskyUsers.find((r) => r.id === alexId)?.riskState,
  };
}

const key = (r: RequestLogEntry) => `${r.method} ${r.path}`;

interface Trial {
  point: string;
  linesAtKill: number;
  resumed: boolean;
  twice: string[];
  verified: boolean;
}

const trials: Trial[] = [];

/** Runs `contain` until `kill` says so, kills it, resumes it, and checks the outcome. */
async function trial(point: string, kill: (journal: () => string | undefined, emulator: Emulator) => boolean, reference: { state: unknown; writes: string[] }): Promise<Trial> {
  const t = await tenant();
  try {
    const initialSessions = t.emulator.state().users.find((u) => u.id === alexId)?.signInSessionsValidFromDateTime;
    const out = mkdtempSync(join(tmpdir(), "azir-crash-"));
    const journal = () => journalsIn(out)[0];
    const run = azir(["contain", upn, "--yes", "--out", out], t.relay.env);
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

    const resume = azir(["run", "contain-user", "--param", `upn=${upn}`, "--resume", path!, "--yes"], t.relay.env);
    const { code } = await resume.exit;
    const log = t.emulator.requests();
    const result: Trial = {
      point,
      linesAtKill,
      resumed: code === 0 && JSON.stringify(containment(t.emulator, initialSessions)) === JSON.stringify(reference.state),
      twice: sentTwice(log),
      verified: (await verifyJournal(path!)).ok,
    };
    trials.push(result);
    expect(code, `${point}: ${resume.stderr()}`).toBe(0);
    expect(containment(t.emulator, initialSessions), point).toEqual(reference.state);
    expect(result.twice, point).toEqual([]);
    expect([...new Set(writesOf(log).map(key))].sort(), point).toEqual([...reference.writes].sort());
    expect(result.verified, point).toBe(true);
    const { events } = await readJournal(path!);
    expect(events.filter((e) => e.kind === "run.finished").at(-1)?.data.status, point).toBe("succeeded");
    return result;
  } finally {
    await t.close();
  }
}

/** Runs the trials two at a time (the machine has few cores). */
async function pool<T>(jobs: Array<() => Promise<T>>, width = 2): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        results.push(await job());
      }
    }),
  );
  return results;
}

afterAll(() => {
  if (trials.length === 0) return;
  const resumed = trials.filter((t) => t.resumed).length;
  const twice = trials.reduce((n, t) => n + t.twice.length, 0);
  const corrupt = trials.filter((t) => !t.verified).length;
  process.stdout.write(`crash and resume: ${trials.length} kill points, ${resumed} resumes completed, ${twice} writes sent twice, ${corrupt} journal corruptions\n`);
});

describe("azir contain killed at every boundary and inside each write, then resumed", () => {
  it("ends as an uninterrupted run, sends no write twice, and every journal verifies", async () => {
    // The uninterrupted run: its end state, its writes and how many events it journals.
    const ref = await tenant();
    let reference: { state: unknown; writes: string[]; lines: number; writeLog: RequestLogEntry[]; kinds: string[] };
    try {
      const initialSessions = ref.emulator.state().users.find((u) => u.id === alexId)?.signInSessionsValidFromDateTime;
      const out = mkdtempSync(join(tmpdir(), "azir-crash-ref-"));
      const run = azir(["contain", upn, "--yes", "--out", out], ref.relay.env);
      expect((await run.exit).code, run.stderr()).toBe(0);
      const lines = wholeLines(journalsIn(out)[0]!);
      const writeLog = writesOf(ref.emulator.requests());
      const writes = writeLog.map(key);
      const kinds = (await readJournal(journalsIn(out)[0]!)).events.map((e) => e.kind);
      reference = { state: containment(ref.emulator, initialSessions), writes, writeLog, kinds, lines };
      expect(reference.state).toEqual({ accountEnabled: false, sessionsRevoked: true, methods: expect.any(Array), risk: "confirmedCompromised" });
      expect(writes).toHaveLength(5);
    } finally {
      await ref.close();
    }

    // Every step boundary: killed once the journal holds k whole events, for each k that ends with a checkpoint of
    // resume (run.started, step.completed, an action journaled, run.finished). AZIR_CRASH_EVERY_EVENT=1: for every k,
    // 1 to all of them (about 50 kill points, two minutes on two cores). A watcher polls every 2 ms, so a kill lands
    // at k or, when azir appended several events at once, just after them.
    const every = process.env.AZIR_CRASH_EVERY_EVENT === "1";
    const checkpoints = new Set(["run.started", "step.completed", "action", "action.skipped", "run.finished"]);
    const kinds = reference.kinds;
    const boundaries = kinds.flatMap((kind, i) => (every || checkpoints.has(kind) ? [i + 1] : []));
    expect(boundaries.length).toBeGreaterThanOrEqual(15);
    // Inside each write request: killed once the tenant has applied it, while its answer is on the way. Writes that
    // leave in one Graph $batch are one request: a kill lands after all of them or before all of them.
    const requests = new Map<string, string>();
    for (const w of reference.writeLog) requests.set(w.batchId ?? `${w.method} ${w.path}`, `${w.method} ${w.path}`);
    const inside = [...requests.values()].map((write, i) => ({ write, i }));
    const jobs = [
      ...boundaries.map((k) => () => trial(`after event ${k}`, (journal) => (journal() ? wholeLines(journal()!) >= k : false), reference)),
      ...inside.map(({ write, i }) => () =>
        trial(`inside write request ${i + 1} (${write})`, (_journal, emulator) => writesOf(emulator.requests()).some((r) => key(r) === write), reference),
      ),
    ];
    const results = await pool(jobs, 3);
    expect(results).toHaveLength(boundaries.length + inside.length);
    // The kill points reached cover the journal from its first event to its last.
    const reached = new Set(results.filter((r) => r.point.startsWith("after")).map((r) => r.linesAtKill));
    expect(Math.min(...reached)).toBeLessThanOrEqual(2);
    expect(Math.max(...reached)).toBe(reference.lines);
  }, 300_000);
});
