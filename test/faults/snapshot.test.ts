import { beforeAll, describe, it } from "vitest";
import {
  baselineSuite,
  describeTarget,
  forensicState,
  isWrite,
  ruleFor,
  runSuite,
  targetsOf,
  type Fault,
  type FaultCase,
  type Suite,
} from "./harness.js";

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
  suite = await baselineSuite(args, forensicState);
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
    await runSuite("snapshot", suite, args, cases(), forensicState, 6);
  }, 240_000);
});
