import { hostname } from "node:os";
import { readFileSync, writeFileSync, appendFileSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { AzirError } from "../../src/core/errors.js";
import { GENESIS_HASH, computeEventHash } from "../../src/timeline/canonical.js";
import { journalTimestamp, openJournal, readJournal, verifyJournal } from "../../src/timeline/journal.js";
import { RUN_A, RUN_B, newJournal, tempDir, writeSampleRun } from "./helpers.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

function lines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l !== "");
}

describe("openJournal / append", () => {
  it("creates <dir>/<incident>/timeline-<UTC stamp>.jsonl and has each event on disk when append returns", async () => {
    const { journal, clock } = await newJournal(dir);
    expect(journal.path).toBe(join(dir, "INC-1", "timeline-20261125T120000Z.jsonl"));
    expect(journal.incidentId).toBe("INC-1");
    const first = journal.append({ kind: "note", summary: "hello" });
    // Read back through a separate descriptor before close: nothing is buffered in the process.
    const onDisk = lines(journal.path);
    expect(onDisk).toHaveLength(1);
    expect(JSON.parse(onDisk[0]!)).toEqual(first);
    clock.advance(2500);
    const second = journal.append({ kind: "note", step: "s1", summary: "again", occurredAt: "2026-11-20T08:00:00+01:00" });
    expect(lines(journal.path)).toHaveLength(2);
    expect(first).toMatchObject({ seq: 1, runId: RUN_A, recordedAt: "2026-11-25T12:00:00.000Z", mode: "tabletop", prev: GENESIS_HASH });
    expect(second).toMatchObject({ seq: 2, prev: first.hash, recordedAt: "2026-11-25T12:00:02.500Z", occurredAt: "2026-11-20T07:00:00.000Z" });
    expect(second.hash).toBe(computeEventHash(JSON.parse(lines(journal.path)[1]!) as Record<string, unknown>));
    expect(journal.events.map((e) => e.seq)).toEqual([1, 2]);
    journal.close();
    expect(statSync(journal.path).mode & 0o777).toBe(0o600);
  });

  it("uses a new name when a journal of the same second exists", async () => {
    const clock = new ManualClock("2026-11-25T12:00:00Z");
    const a = await openJournal({ dir, incidentId: "INC-1", runId: RUN_A, mode: "live", clock });
    a.close();
    const b = await openJournal({ dir, incidentId: "INC-1", runId: RUN_B, mode: "live", clock });
    expect(b.path).not.toBe(a.path);
    expect(b.path.endsWith("timeline-20261125T120000Z-2.jsonl")).toBe(true);
    b.close();
  });

  it("one run at a time per incident: a second fails fast naming the holder, and a dead holder's lock is taken over", async () => {
    const clock = new ManualClock("2026-11-25T12:00:00Z");
    const a = await openJournal({ dir, incidentId: "INC-LOCK", runId: RUN_A, mode: "live", clock });
    await expect(openJournal({ dir, incidentId: "INC-LOCK", runId: RUN_B, mode: "live", clock })).rejects.toMatchObject({
      code: "refused",
      message: expect.stringContaining(`is in use by process ${process.pid}`),
    });
    // resuming the same journal while its run goes on is refused too
    await expect(openJournal({ dir, incidentId: "INC-LOCK", runId: RUN_B, mode: "live", clock, resumeFrom: a.path })).rejects.toMatchObject({ code: "refused" });
    a.close();
    // a crashed run leaves its lock behind: a process that no longer exists does not hold the incident
    writeFileSync(join(dir, "INC-LOCK", ".azir.lock"), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), startedAt: "2026-11-25T11:00:00.000Z" }));
    const b = await openJournal({ dir, incidentId: "INC-LOCK", runId: RUN_B, mode: "live", clock, resumeFrom: a.path });
    b.close();
  });

  it("refuses an incident id that is not a single safe folder name", async () => {
    const clock = new ManualClock();
    await expect(openJournal({ dir, incidentId: "../etc", runId: RUN_A, mode: "live", clock })).rejects.toBeInstanceOf(AzirError);
    expect(await readdir(dir)).toEqual([]);
  });

  it("rejects an invalid event without writing anything", async () => {
    const { journal } = await newJournal(dir);
    journal.append({ kind: "note", summary: "ok" });
    // A finding without its required data fields.
    expect(() => journal.append({ kind: "finding", summary: "bad", data: { code: "x" } as never })).toThrow(/invalid finding event/);
    expect(() => journal.append({ kind: "note", summary: "bad time", occurredAt: "yesterday" })).toThrow(AzirError);
    expect(lines(journal.path)).toHaveLength(1);
    // The chain continues from the last good event.
    const next = journal.append({ kind: "note", summary: "still fine" });
    expect(next.seq).toBe(2);
    journal.close();
    expect(await verifyJournal(journal.path)).toMatchObject({ ok: true, events: 2 });
  });

  it("takes a finding's occurredAt from its data when the event has none", async () => {
    const { journal, clock } = await newJournal(dir);
    writeSampleRun(journal, clock);
    const finding = journal.events.find((e) => e.kind === "finding");
    expect(finding?.occurredAt).toBe("2026-11-20T07:55:00.000Z");
    journal.close();
  });

  it("throws after close", async () => {
    const { journal } = await newJournal(dir);
    journal.close();
    journal.close();
    expect(() => journal.append({ kind: "note", summary: "late" })).toThrow(/closed/);
  });

  it("formats the file stamp in UTC", () => {
    expect(journalTimestamp(new Date("2026-01-02T03:04:05.678Z"))).toBe("20260102T030405Z");
  });
});

describe("verifyJournal", () => {
  async function sample(): Promise<string> {
    const { journal, clock } = await newJournal(dir);
    writeSampleRun(journal, clock);
    journal.close();
    return journal.path;
  }

  it("accepts an untouched journal and reports the last hash", async () => {
    const path = await sample();
    const result = await verifyJournal(path);
    const last = JSON.parse(lines(path).at(-1)!) as { hash: string };
    expect(result).toEqual({ ok: true, events: 7, lastHash: last.hash, signatures: { checked: 0, unchecked: 0, unsigned: 7, keys: [] } });
  });

  it("names the edited line", async () => {
    const path = await sample();
    const l = lines(path);
    l[3] = l[3]!.replace("blocked sign-in", "did nothing");
    writeFileSync(path, `${l.join("\n")}\n`);
    const result = await verifyJournal(path);
    expect(result).toMatchObject({ ok: false, line: 4 });
    expect(result.ok || result.reason).toMatch(/edited/);
  });

  it("names the line after an edit whose hash was recomputed", async () => {
    const path = await sample();
    const l = lines(path);
    const event = JSON.parse(l[2]!) as Record<string, unknown>;
    event.summary = "nothing to see";
    event.hash = computeEventHash(event);
    l[2] = JSON.stringify(event);
    writeFileSync(path, `${l.join("\n")}\n`);
    expect(await verifyJournal(path)).toMatchObject({ ok: false, line: 4, reason: expect.stringMatching(/chain broken/) });
  });

  it("names the first line after a deleted one", async () => {
    const path = await sample();
    const l = lines(path);
    l.splice(2, 1);
    writeFileSync(path, `${l.join("\n")}\n`);
    expect(await verifyJournal(path)).toMatchObject({ ok: false, line: 3, reason: expect.stringMatching(/seq 4 where 3/) });
  });

  it("names the first of two swapped lines", async () => {
    const path = await sample();
    const l = lines(path);
    [l[4], l[5]] = [l[5]!, l[4]!];
    writeFileSync(path, `${l.join("\n")}\n`);
    expect(await verifyJournal(path)).toMatchObject({ ok: false, line: 5 });
  });

  it("names a line that is not an event", async () => {
    const path = await sample();
    const l = lines(path);
    l[1] = '{"hello":1}';
    writeFileSync(path, `${l.join("\n")}\n`);
    expect(await verifyJournal(path)).toMatchObject({ ok: false, line: 2, reason: expect.stringMatching(/invalid event/) });
  });

  it("reports a torn final line", async () => {
    const path = await sample();
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.slice(0, text.length - 40));
    expect(await verifyJournal(path)).toMatchObject({ ok: false, line: 7, reason: expect.stringMatching(/torn/) });
  });

  it("reports a missing file as not-found", async () => {
    await expect(verifyJournal(join(dir, "nope.jsonl"))).rejects.toMatchObject({ code: "not-found" });
  });
});

describe("torn journals and resume", () => {
  it("reads up to the last whole event, then a resumed run continues seq and chain in the same file", async () => {
    const { journal, clock } = await newJournal(dir);
    writeSampleRun(journal, clock);
    journal.close();
    const path = journal.path;
    // A crash in the middle of writing event 8.
    appendFileSync(path, '{"seq":8,"runId":"00000000-0000-4000-8000-00000000000a","recordedAt":"2026-11-25T12:0');

    const read = await readJournal(path);
    expect(read.torn).toBe(true);
    expect(read.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(read.problems).toEqual([expect.stringMatching(/^line 8: incomplete final line/)]);

    clock.advance(60_000);
    const resumed = await openJournal({ dir: "unused", incidentId: "unused", runId: RUN_B, mode: "tabletop", clock, resumeFrom: path });
    expect(resumed.path).toBe(path);
    expect(resumed.events).toHaveLength(7);
    const e8 = resumed.append({ kind: "run.resumed", summary: "resumed", data: { runbook: "entra-compromised-user", params: {}, resumedRunId: RUN_A } });
    expect(e8).toMatchObject({ seq: 8, runId: RUN_B, prev: read.events[6]!.hash });
    resumed.append({ kind: "run.finished", summary: "done", data: { status: "succeeded" } });
    resumed.close();

    expect(await verifyJournal(path)).toMatchObject({ ok: true, events: 9 });
    const again = await readJournal(path);
    expect(again).toMatchObject({ torn: false, problems: [] });
    expect(new Set(again.events.map((e) => e.runId))).toEqual(new Set([RUN_A, RUN_B]));
  });

  it("keeps a whole final event that lost only its newline", async () => {
    const { journal, clock } = await newJournal(dir);
    writeSampleRun(journal, clock);
    journal.close();
    const text = readFileSync(journal.path, "utf8");
    writeFileSync(journal.path, text.slice(0, -1));
    expect((await readJournal(journal.path)).torn).toBe(false);
    const resumed = await openJournal({ dir, incidentId: "INC-1", runId: RUN_B, mode: "tabletop", clock, resumeFrom: journal.path });
    expect(resumed.append({ kind: "note", summary: "after" }).seq).toBe(8);
    resumed.close();
    expect(await verifyJournal(journal.path)).toMatchObject({ ok: true, events: 8 });
  });

  it("a whole line appended by hand is not a torn write: resume refuses, and the file is left as it is", async () => {
    const { journal, clock } = await newJournal(dir);
    writeSampleRun(journal, clock);
    journal.close();
    appendFileSync(journal.path, "nothing happened after this\n");
    const before = readFileSync(journal.path, "utf8");
    expect((await readJournal(journal.path)).torn).toBe(false);
    expect(await verifyJournal(journal.path)).toMatchObject({ ok: false, line: 8, reason: expect.not.stringMatching(/torn/) });
    await expect(openJournal({ dir, incidentId: "INC-1", runId: RUN_B, mode: "tabletop", clock, resumeFrom: journal.path })).rejects.toMatchObject({
      code: "validation",
      message: expect.stringMatching(/line 8/),
    });
    expect(readFileSync(journal.path, "utf8")).toBe(before);
  });

  it("refuses to resume a journal damaged anywhere but its last line", async () => {
    const { journal, clock } = await newJournal(dir);
    writeSampleRun(journal, clock);
    journal.close();
    const l = lines(journal.path);
    l[1] = l[1]!.replace("42 rows", "0 rows");
    writeFileSync(journal.path, `${l.join("\n")}\n`);
    const before = readFileSync(journal.path, "utf8");
    await expect(openJournal({ dir, incidentId: "INC-1", runId: RUN_B, mode: "tabletop", clock, resumeFrom: journal.path })).rejects.toMatchObject({
      code: "validation",
      message: expect.stringMatching(/line 2/),
    });
    expect(readFileSync(journal.path, "utf8")).toBe(before);
  });

  it("resumes a journal torn inside its first line from seq 1", async () => {
    const path = join(dir, "t.jsonl");
    writeFileSync(path, '{"seq":1,"ru');
    const clock = new ManualClock();
    const j = await openJournal({ dir, incidentId: "x", runId: RUN_B, mode: "live", clock, resumeFrom: path });
    expect(j.append({ kind: "note", summary: "first" })).toMatchObject({ seq: 1, prev: GENESIS_HASH });
    j.close();
    expect(await verifyJournal(path)).toMatchObject({ ok: true, events: 1 });
  });
});

describe("a crash at any byte", () => {
  it("reads the whole events before the cut, and every cut journal resumes to a valid chain", async () => {
    const { journal, clock } = await newJournal(dir);
    writeSampleRun(journal, clock);
    journal.close();
    const full = readFileSync(journal.path);
    const ends: number[] = [];
    for (let i = 0; i < full.length; i++) if (full[i] === 0x0a) ends.push(i);
    const cutPath = join(dir, "cut.jsonl");
    // Every byte of the first lines, then a stride (prime, so cuts fall at varied places in each line).
    for (let cut = 0; cut < full.length; cut += cut < 700 ? 1 : 7) {
      writeFileSync(cutPath, full.subarray(0, cut));
      const read = await readJournal(cutPath);
      // A line is whole once its closing brace is written, even if its newline is not.
      const whole = ends.filter((end) => end <= cut).length;
      expect(read.events.length, `cut at ${cut}`).toBe(whole);
      expect(read.torn, `cut at ${cut}`).toBe(cut > 0 && !ends.includes(cut) && !ends.includes(cut - 1));
      if (cut % 31 === 0 || ends.includes(cut) || ends.includes(cut - 1)) {
        const resumed = await openJournal({ dir, incidentId: "INC-1", runId: RUN_B, mode: "tabletop", clock, resumeFrom: cutPath });
        resumed.append({ kind: "note", summary: "after the crash" });
        resumed.close();
        expect(await verifyJournal(cutPath), `cut at ${cut}`).toMatchObject({ ok: true, events: whole + 1 });
      }
    }
  });

  it("verifies a journal whose keys were reordered on disk (the hash covers content, not layout)", async () => {
    const { journal, clock } = await newJournal(dir);
    writeSampleRun(journal, clock);
    journal.close();
    const reordered = lines(journal.path).map((l) => {
      const obj = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify(Object.fromEntries(Object.entries(obj).reverse()));
    });
    writeFileSync(journal.path, `${reordered.join("\n")}\n`);
    expect(await verifyJournal(journal.path)).toMatchObject({ ok: true, events: 7 });
  });
});
