import { beforeAll, describe, it } from "vitest";
import type { Emulator } from "../../src/tabletop/emulator/types.js";
import {
  baselineSuite,
  containedState,
  describeTarget,
  forensicState,
  hardenedState,
  isWrite,
  ruleFor,
  runSuite,
  targetsOf,
  type Fault,
  type FaultCase,
  type Suite,
  type Target,
} from "./harness.js";

// The Faults suite for `azir respond`, the whole incident in one run (investigation, containment, recovery, VM
// forensics): the first request of each kind it makes (service, method, path with its ids folded, in a batch or not),
// under a server error and a lost connection, and each kind of write also under a loss after the service applied it.
// The fault kinds one by one are the contain, harden and snapshot suites'; this one shows the composition holds: every
// run completes or stops cleanly and resumes, with the command it printed, to the uninterrupted run's end state.

const args = ["respond", "alex@contoso.com"];
const alexId = "4f1c9a2e-8b3d-4c6e-9a1f-2d7e5b8c3a10";

const endState = (emulator: Emulator): string => JSON.stringify([containedState(emulator, alexId), hardenedState(emulator), forensicState(emulator)]);

let suite: Suite;
beforeAll(async () => {
  suite = await baselineSuite(args, endState);
}, 60_000);

/** A request's kind: which service, method and path (ids, names of snapshots and locks folded), in a batch or not. */
const kindOf = (t: Target): string =>
  `${t.service} ${t.inner ? "inner" : "outer"} ${t.method} ${t.path
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "{id}")
    .replace(/\/(snapshots|locks|disks)\/[^/]+/gi, "/$1/{name}")
    .replace(/\/users\/[^/]+/g, "/users/{upn}")}`;

function cases(): FaultCase[] {
  const seen = new Set<string>();
  const out: FaultCase[] = [];
  for (const target of targetsOf(suite.baseline.requests)) {
    const kind = kindOf(target);
    if (seen.has(kind)) continue;
    seen.add(kind);
    const faults: Array<[string, Fault]> = target.inner ? [["500", { status: 500 }]] : [["500", { status: 500 }], ["dropped connection", { drop: true }]];
    if (isWrite(target)) faults.push(target.inner ? ["503 after applying", { status: 503, applied: true }] : ["dropped after applying", { drop: true, applied: true }]);
    for (const [name, fault] of faults) out.push({ name: `${describeTarget(target)}: ${name}`, rule: ruleFor(target, fault) });
  }
  return out;
}

describe("Faults: azir respond", () => {
  it("completes or stops cleanly and resumes under a fault on each kind of request of the whole incident", async () => {
    await runSuite("respond", suite, args, cases(), endState, 6);
  }, 300_000);
});
