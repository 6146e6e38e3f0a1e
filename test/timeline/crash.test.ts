import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { openJournal, readJournal, verifyJournal } from "../../src/timeline/journal.js";
import { transpileTimeline } from "../helpers/transpile.js";
import { RUN_B, tempDir } from "./helpers.js";

// Appends until killed; prints each seq after append returned (written: a killed process loses none of it).
const writer = `
import { ManualClock } from "./src/core/clock.js";
import { openJournal } from "./src/timeline/journal.js";
const clock = new ManualClock("2026-11-25T12:00:00Z");
const journal = await openJournal({ dir: process.argv[2], incidentId: "INC-9", runId: "00000000-0000-4000-8000-00000000000a", mode: "tabletop", clock });
process.stdout.write("path " + journal.path + "\\n");
const evidence = Array.from({ length: 40 }, (_, i) => ({ Id: "row-" + i, IPAddress: "203.0.113." + i, UserAgent: "x".repeat(200) }));
for (let i = 0; i < 20000; i++) {
  clock.advance(1000);
  const e = journal.append({ kind: "finding", step: "signins", summary: "finding " + i, data: { code: "c", severity: "low", occurredAt: "2026-11-20T08:00:00Z", evidence } });
  process.stdout.write("seq " + e.seq + "\\n");
}
`;

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

describe("SIGKILL while appending", () => {
  it("loses no event whose append returned, and the journal resumes to a valid chain", async () => {
    const build = join(dir, "build");
    await transpileTimeline(build);
    await writeFile(join(build, "writer.mjs"), writer);
    const out = join(dir, "out");

    const child = spawn(process.execPath, [join(build, "writer.mjs"), out], { stdio: ["ignore", "pipe", "pipe"] });
    let path = "";
    let lastSeq = 0;
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolveExit) => child.on("exit", (_code, signal) => resolveExit(signal)));
    await new Promise<void>((resolveKill, reject) => {
      let buffered = "";
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`writer too slow; stderr: ${stderr}`));
      }, 20_000);
      child.stdout.on("data", (d: Buffer) => {
        buffered += d.toString();
        const parts = buffered.split("\n");
        buffered = parts.pop() ?? "";
        for (const line of parts) {
          if (line.startsWith("path ")) path = line.slice(5);
          if (line.startsWith("seq ")) lastSeq = Number(line.slice(4));
        }
        if (lastSeq >= 150 && !child.killed) {
          clearTimeout(timer);
          child.kill("SIGKILL");
          resolveKill();
        }
      });
      child.on("exit", () => {
        clearTimeout(timer);
        if (lastSeq < 150) reject(new Error(`writer exited early; stderr: ${stderr}`));
      });
    });
    expect(await exited).toBe("SIGKILL");
    expect(relative(out, path).startsWith("INC-9")).toBe(true);

    const read = await readJournal(path);
    // Everything reported as appended is there, in order; at most one line may be cut.
    expect(read.events.length).toBeGreaterThanOrEqual(lastSeq);
    expect(read.events.map((e) => e.seq)).toEqual(Array.from({ length: read.events.length }, (_, i) => i + 1));

    const clock = new ManualClock("2026-11-25T13:00:00Z");
    const resumed = await openJournal({ dir: out, incidentId: "INC-9", runId: RUN_B, mode: "tabletop", clock, resumeFrom: path });
    resumed.append({ kind: "run.resumed", summary: "after SIGKILL", data: { runbook: "rb", params: {} } });
    resumed.close();
    expect(await verifyJournal(path)).toMatchObject({ ok: true, events: read.events.length + 1 });
  });
});
