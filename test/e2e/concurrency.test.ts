import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock.js";
import { startTabletop, type Emulator } from "../../src/tabletop/index.js";
import { readJournal, verifyJournal } from "../../src/timeline/journal.js";
import { azir, journalsIn, sentTwice, startRelay, until, type Relay } from "../helpers/kill-resume.js";
import { transpileTimeline } from "../helpers/transpile.js";

// Concurrency: several processes on one incident at once. One holds it, the others refuse naming the holder (or run
// after it); nothing is sent twice and no journal is corrupted.

let build: string;
beforeAll(async () => {
  build = mkdtempSync(join(tmpdir(), "azir-lock-build-"));
  await transpileTimeline(build);
  // Tries the incident's lock at an agreed instant; holds it a while when it gets it.
  await writeFile(
    join(build, "locker.mjs"),
    `
import { systemClock } from "./src/core/clock.js";
import { lockIncident } from "./src/timeline/lock.js";
const [folder, at, holdMs] = process.argv.slice(2);
while (Date.now() < Number(at)) {}
try {
  const lock = lockIncident(folder, systemClock);
  const start = Date.now();
  while (Date.now() < start + Number(holdMs)) {}
  process.stdout.write(JSON.stringify({ got: true, start, end: Date.now(), tookOver: lock.tookOverFrom?.pid ?? null }));
  lock.release();
} catch (error) {
  process.stdout.write(JSON.stringify({ got: false, message: error.message, code: error.code }));
}
`,
  );
});
afterAll(() => undefined);

interface LockerOutcome {
  got: boolean;
  start?: number;
  end?: number;
  tookOver?: number | null;
  message?: string;
}

function locker(folder: string, at: number, holdMs: number): Promise<LockerOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(build, "locker.mjs"), folder, String(at), String(holdMs)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    // "close", not "exit": the output may still be on its way when the process has exited
    child.on("close", () => {
      try {
        resolve(JSON.parse(out) as LockerOutcome);
      } catch {
        reject(new Error(`locker said ${out} ${err}`));
      }
    });
  });
}

/** The pid of a process that has ended. */
function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    child.on("exit", () => resolve(child.pid!));
  });
}

const overlapping = (held: LockerOutcome[]) =>
  held.some((a, i) => held.some((b, j) => i !== j && a.start! < b.end! && b.start! < a.end!));

describe("the incident lock, from several processes at once", () => {
  it("processes started together on one incident: one holds it at a time, the others are refused naming the holder", async () => {
    for (let round = 0; round < 6; round++) {
      const folder = mkdtempSync(join(tmpdir(), "azir-lock-"));
      const at = Date.now() + 400;
      const outcomes = await Promise.all(Array.from({ length: 5 }, () => locker(folder, at, 200)));
      const held = outcomes.filter((o) => o.got);
      expect(held.length, JSON.stringify(outcomes)).toBeGreaterThanOrEqual(1);
      expect(overlapping(held), JSON.stringify(outcomes)).toBe(false);
      for (const o of outcomes.filter((x) => !x.got)) expect(o.message).toMatch(new RegExp(`in use by process \\d+ on ${hostname()}, since \\d{4}-`));
    }
  }, 60_000);

  it("a stale lock of a dead process, with several processes started together: exactly one takes it over at a time", async () => {
    for (let round = 0; round < 8; round++) {
      const folder = mkdtempSync(join(tmpdir(), "azir-lock-"));
      const dead = await deadPid();
      writeFileSync(join(folder, ".azir.lock"), JSON.stringify({ pid: dead, host: hostname(), startedAt: "2026-11-25T12:00:00.000Z" }));
      const at = Date.now() + 400;
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => locker(folder, at, 200)));
      const held = outcomes.filter((o) => o.got);
      expect(held.length, JSON.stringify(outcomes)).toBeGreaterThanOrEqual(1);
      expect(overlapping(held), JSON.stringify(outcomes)).toBe(false);
      expect(held.filter((o) => o.tookOver === dead).length, JSON.stringify(outcomes)).toBeLessThanOrEqual(1);
    }
  }, 60_000);

  it("an unreadable lock file of long ago (written by hand, or by an older azir killed while writing it) is not a lock held forever", async () => {
    const folder = mkdtempSync(join(tmpdir(), "azir-lock-"));
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, ".azir.lock"), "");
    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(join(folder, ".azir.lock"), longAgo, longAgo);
    const outcome = await locker(folder, Date.now(), 10);
    expect(outcome.got, JSON.stringify(outcome)).toBe(true);
    expect(() => readFileSync(join(folder, ".azir.lock"))).toThrow();
  }, 30_000);
});

describe("two azir processes on one incident", () => {
  const alexId = "4f1c9a2e-8b3d-4c6e-9a1f-2d7e5b8c3a10";
  const figures = { pairs: 0, refused: 0, twice: 0, corrupt: 0 };
  afterAll(() => {
    if (figures.pairs > 0) process.stdout.write(`concurrency: ${figures.pairs} concurrent pairs, ${figures.refused} refused naming the holder, ${figures.twice} writes sent twice, ${figures.corrupt} journal corruptions\n`);
  });

  async function pair(first: string[], second: string[], t: { relay: Relay; emulator: Emulator }, journals: () => string[]): Promise<void> {
    const [a, b] = [azir(first, t.relay.env), azir(second, t.relay.env)];
    const ends = await Promise.all([a.exit, b.exit]);
    const codes = ends.map((e) => e.code).sort();
    figures.pairs++;
    // one runs; the other is refused naming the holder, or ran after it and found everything done
    expect([[0, 0], [0, 3]], `${a.stderr()}\n${b.stderr()}`).toContainEqual(codes);
    for (const [i, run] of [a, b].entries()) {
      if (ends[i]!.code === 3) {
        figures.refused++;
        expect(run.stderr()).toMatch(new RegExp(`in use by process \\d+ on ${hostname()}, since \\d{4}-`));
      }
    }
    const twice = sentTwice(t.emulator.requests());
    figures.twice += twice.length;
    expect(twice).toEqual([]);
    for (const j of journals()) {
      const verified = await verifyJournal(j);
      if (!verified.ok) figures.corrupt++;
      expect(verified.ok, j).toBe(true);
    }
    expect(t.emulator.state().users.find((u) => u.id === alexId)?.accountEnabled).toBe(false);
  }

  it("two contains of one user started together, three times: one runs, nothing is sent twice, no journal is damaged", async () => {
    for (let i = 0; i < 3; i++) {
      const emulator = await startTabletop({ clock: systemClock });
      const relay = await startRelay(emulator, 20);
      try {
        const out = mkdtempSync(join(tmpdir(), "azir-pair-"));
        const args = ["contain", "alex@contoso.com", "--yes", "--out", out];
        await pair(args, args, { relay, emulator }, () => journalsIn(out));
      } finally {
        await relay.close();
        await emulator.close();
      }
    }
  }, 120_000);

  it("two resumes of one killed run started together, three times: one resumes, nothing is sent twice, the journal verifies", async () => {
    for (let i = 0; i < 3; i++) {
      const emulator = await startTabletop({ clock: systemClock });
      const relay = await startRelay(emulator, 80);
      try {
        const out = mkdtempSync(join(tmpdir(), "azir-pair-"));
        const run = azir(["contain", "alex@contoso.com", "--yes", "--out", out], relay.env);
        // killed once the block is journaled: the rest of the containment is left to the resumes
        await until(() => journalsIn(out).some((j) => readFileSync(j, "utf8").includes('"kind":"action"')), run);
        run.child.kill("SIGKILL");
        await run.exit;
        const journal = journalsIn(out)[0]!;
        const args = ["run", "contain-user", "--param", "upn=alex@contoso.com", "--resume", journal, "--yes"];
        await pair(args, args, { relay, emulator }, () => [journal]);
        const { events } = await readJournal(journal);
        expect(events.filter((e) => e.kind === "run.finished").map((e) => e.data.status)).toContain("succeeded");
      } finally {
        await relay.close();
        await emulator.close();
      }
    }
  }, 120_000);
});
