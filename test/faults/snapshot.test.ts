import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { systemClock } from "../../src/core/clock.js";
import { startEmulator } from "../../src/tabletop/emulator/server.js";
import { memoryIo } from "../cli/io.js";
import { describeTarget, failures, forensicState, isWrite, loadContoso, pool, ruleFor, runCase, scratchDir, suiteDeps, suiteDiskImageBytes, tally, targetsOf, type CaseResult, type Fault, type FaultCase, type Suite } from "./harness.js";

// The Faults suite for `azir snapshot`, on the first ARM write of each kind: a snapshot PUT, a lock PUT on a snapshot
// and on the storage account, beginGetAccess and endGetAccess (core-rest-pipeline's retry policy re-sends them after
// a 5xx or a dropped connection). Every run
// completes or stops cleanly and resumes to the uninterrupted run's end state: each disk snapshotted once, copied,
// locked, and no SAS left active.

const args = ["snapshot", "vm-web-01"];

const kinds: Array<[string, Fault]> = [
  ["500", { status: 500 }],
  ["dropped connection", { drop: true }],
  ["503 after applying", { status: 503, retryAfter: 0, applied: true }],
  ["dropped after applying", { drop: true, applied: true }],
];

let suite: Suite;
beforeAll(async () => {
  const scenario = await loadContoso();
  const emulator = await startEmulator({ scenario, clock: systemClock, storage: { diskImageBytes: suiteDiskImageBytes } });
  try {
    const io = memoryIo();
    const code = await main([...args, "--tabletop", "--yes", "--out", scratchDir()], io, { emulator, ...suiteDeps });
    if (code !== 0) throw new Error(`the uninterrupted run failed: ${io.err()}`);
    suite = { scenario, baseline: { requests: emulator.requests(), end: forensicState(emulator) }, deps: suiteDeps };
  } finally {
    await emulator.close();
  }
}, 60_000);

/** The kind of an ARM write, whichever disk it is for: the suite aims at the first write of each kind. */
const writeKind = (path: string): string =>
  path
    .replace(/\/snapshots\/[^/]+/i, "/snapshots/{name}")
    .replace(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+/i, "")
    .replace(/\/locks\/[^/]+$/i, "/locks/{name}");

function cases(): FaultCase[] {
  const seen = new Set<string>();
  return targetsOf(suite.baseline.requests)
    .filter((t) => t.service === "arm" && isWrite(t))
    .filter((t) => {
      const kind = `${t.method} ${writeKind(t.path)}`;
      if (seen.has(kind)) return false;
      seen.add(kind);
      return true;
    })
    .flatMap((t) => kinds.map(([name, fault]) => ({ name: `${describeTarget(t)}: ${name}`, rule: ruleFor(t, fault) })));
}

describe("Faults: azir snapshot", () => {
  it("completes or stops cleanly and resumes under every fault on an ARM write", async () => {
    const all = cases();
    const results: CaseResult[] = await pool(
      all.map((c) => () => runCase(suite, c.name, args, c.rule, forensicState)),
      6,
    );
    const figures = tally(results);
    console.info(`faults suite (snapshot): ${JSON.stringify(figures)}`);
    if (process.env.AZIR_FAULTS_DETAIL) for (const r of results) console.info(`${r.injected ? r.outcome : "not reached"}\t${r.code}\t${r.ms} ms\t${r.name}`);
    expect(failures(results)).toEqual([]);
    expect(figures.completed! + figures.stoppedCleanly!).toBe(figures.faults);
    expect(figures.notReached!).toBeLessThan(results.length / 5);
  }, 240_000);
});
