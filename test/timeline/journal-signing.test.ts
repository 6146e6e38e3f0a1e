import { randomBytes } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { computeEventHash } from "../../src/timeline/canonical.js";
import { openJournal, verifyJournal } from "../../src/timeline/journal.js";
import { journalKeyOf, loadOrCreateJournalKey, type JournalKey } from "../../src/timeline/key.js";
import { RUN_A, RUN_B, tempDir, writeSampleRun } from "./helpers.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

const key: JournalKey = journalKeyOf(Buffer.alloc(32, 7));
const otherKey: JournalKey = journalKeyOf(Buffer.alloc(32, 9));

async function signedJournal(k: JournalKey | null = key): Promise<string> {
  const clock = new ManualClock("2026-11-25T12:00:00Z");
  const journal = await openJournal({ dir, incidentId: "INC-1", runId: RUN_A, mode: "tabletop", clock, ...(k ? { key: k } : {}) });
  writeSampleRun(journal, clock);
  journal.close();
  return journal.path;
}

/** Rewrites every line and re-hashes the chain with SHA-256, as anyone who can write the file can. */
function rehash(path: string, edit: (event: Record<string, unknown>, index: number) => void): void {
  let prev = "0".repeat(64);
  const lines = readFileSync(path, "utf8").trimEnd().split("\n").map((line, i) => {
    const event = JSON.parse(line) as Record<string, unknown>;
    edit(event, i);
    event.prev = prev;
    event.hash = computeEventHash(event);
    prev = event.hash as string;
    return JSON.stringify(event);
  });
  writeFileSync(path, `${lines.join("\n")}\n`);
}

const editParams = (event: Record<string, unknown>) => {
  if (event.kind === "run.started") (event.data as { params: Record<string, unknown> }).params.upn = "sam@contoso.com";
};

describe("signed journals", () => {
  it("every line is signed with the key; verified with it, and counted as unchecked without it", async () => {
    const path = await signedJournal();
    const lines = readFileSync(path, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as { mac?: string });
    expect(lines.every((l) => l.mac?.startsWith(`${key.id}:`))).toBe(true);
    expect(await verifyJournal(path, { key })).toMatchObject({ ok: true, signatures: { checked: lines.length, unchecked: 0, unsigned: 0, keys: [key.id] } });
    expect(await verifyJournal(path)).toMatchObject({ ok: true, signatures: { checked: 0, unchecked: lines.length } });
    expect(await verifyJournal(path, { key: otherKey })).toMatchObject({ ok: true, signatures: { checked: 0, unchecked: lines.length } });
  });

  it("a line edited and the chain re-hashed without the key: the signature does not match, naming the line", async () => {
    const path = await signedJournal();
    rehash(path, editParams);
    // the unkeyed chain alone is fooled
    expect((await verifyJournal(path)).ok).toBe(true);
    expect(await verifyJournal(path, { key })).toEqual({ ok: false, line: 1, reason: expect.stringContaining("signature does not match") });
  });

  it("signatures stripped from the end: an unsigned line after signed ones is damage", async () => {
    const path = await signedJournal();
    const count = readFileSync(path, "utf8").trimEnd().split("\n").length;
    rehash(path, (e, i) => {
      if (i === count - 1) delete e.mac;
    });
    expect(await verifyJournal(path, { key })).toMatchObject({ ok: false, line: count, reason: expect.stringContaining("unsigned line after signed ones") });
  });

  it("every signature stripped and re-hashed: verifies only as an unsigned journal, never as signed", async () => {
    const path = await signedJournal();
    rehash(path, (e) => {
      delete e.mac;
      editParams(e);
    });
    const result = await verifyJournal(path, { key });
    expect(result).toMatchObject({ ok: true, signatures: { checked: 0, unchecked: 0 } });
    expect(result.ok && result.signatures.unsigned).toBeGreaterThan(0);
  });

  it("a journal written before signing still verifies, as unsigned; a resume signs what it appends", async () => {
    const path = await signedJournal(null);
    const before = await verifyJournal(path, { key });
    expect(before).toMatchObject({ ok: true, signatures: { unsigned: expect.any(Number), checked: 0 } });
    const resumed = await openJournal({ dir, incidentId: "INC-1", runId: RUN_B, mode: "tabletop", clock: new ManualClock("2026-11-25T13:00:00Z"), resumeFrom: path, key });
    resumed.append({ kind: "run.resumed", summary: "resumed", data: { runbook: "rb", params: {} } });
    resumed.close();
    expect(await verifyJournal(path, { key })).toMatchObject({ ok: true, signatures: { checked: 1 } });
  });

  it("a signed journal whose signature does not match is not resumed", async () => {
    const path = await signedJournal();
    rehash(path, editParams);
    await expect(openJournal({ dir, incidentId: "INC-1", runId: RUN_B, mode: "tabletop", clock: new ManualClock("2026-11-25T13:00:00Z"), resumeFrom: path, key })).rejects.toThrow(
      /signature does not match/,
    );
  });
});

describe("the journal key file", () => {
  it("is created once, 0600 in a 0700 folder, and read back the same", () => {
    const file = join(dir, "config", "azir", "journal.key");
    const first = loadOrCreateJournalKey(file, randomBytes);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "config", "azir")).mode & 0o777).toBe(0o700);
    expect(loadOrCreateJournalKey(file, () => Buffer.alloc(32, 1))).toEqual(first);
    expect(first.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it("a file that is not a key is a clear error, not a new key over it", () => {
    const file = join(dir, "journal.key");
    writeFileSync(file, "not a key\n");
    expect(() => loadOrCreateJournalKey(file, randomBytes)).toThrow(/is not a journal key/);
    expect(readFileSync(file, "utf8")).toBe("not a key\n");
  });
});
