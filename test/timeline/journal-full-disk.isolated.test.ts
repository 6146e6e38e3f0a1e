import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { newJournal, tempDir } from "./helpers.js";

// A full disk: the write fails. The journal says so clearly, and appends nothing after the failed line, so that it
// ends with a torn line that resume recognises.

const state = vi.hoisted(() => ({ full: false }));
vi.mock("node:fs", async (original) => {
  const fs = await original<typeof import("node:fs")>();
  return {
    ...fs,
    writeSync: (...args: Parameters<typeof fs.writeSync>) => {
      if (state.full) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      return (fs.writeSync as (...a: unknown[]) => number)(...args);
    },
  };
});

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => {
  state.full = false;
  await cleanup();
});

describe("a journal on a full disk", () => {
  it("a failed write is a clear error naming the disk, and nothing is appended after it", async () => {
    const { journal } = await newJournal(dir);
    journal.append({ kind: "note", summary: "first" });
    state.full = true;
    expect(() => journal.append({ kind: "note", summary: "second" })).toThrow(/cannot write the timeline journal .*: ENOSPC \(the disk is full\)/);
    state.full = false;
    // space again: still nothing after the failed line, until a resume takes the journal up
    expect(() => journal.append({ kind: "note", summary: "third" })).toThrow(/cannot write the timeline journal/);
    journal.close();
  });
});
