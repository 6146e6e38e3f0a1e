import { beforeAll, describe, expect, it } from "vitest";
import {
  baselineSuite,
  describeTarget,
  hardenedState,
  isWrite,
  ruleFor,
  runSuite,
  targetsOf,
  type Fault,
  type FaultCase,
  type Suite,
} from "./harness.js";

// The Faults suite for `azir harden`, on its writes: addPassword (not idempotent: never re-sent after an answer that
// leaves it unknown), removePassword, the deletions of role assignments, grants and app role assignments, and the
// $batch envelopes that carry them. Every run completes or stops cleanly and resumes to the uninterrupted run's end
// state: one new secret per app, never two.

const args = ["harden", "alex@contoso.com"];

const inner: Array<[string, Fault]> = [
  ["429 with Retry-After", { status: 429, retryAfter: 1 }],
  ["500", { status: 500 }],
  ["502", { status: 502 }],
  ["503", { status: 503 }],
  ["504", { status: 504 }],
  ["503 after applying", { status: 503, applied: true }],
  ["wrong shape after applying", { answer: "wrong-shape", applied: true }],
];
const envelope: Array<[string, Fault]> = [
  ["500", { status: 500 }],
  ["503", { status: 503 }],
  ["dropped connection", { drop: true }],
  ["silent server", { silent: true }],
  ["HTML error page", { answer: "html" }],
  ["503 after applying", { status: 503, applied: true }],
  ["dropped after applying", { drop: true, applied: true }],
  ["empty 200 after applying", { answer: "empty", applied: true }],
];

let suite: Suite;
beforeAll(async () => {
  suite = await baselineSuite(args, hardenedState);
}, 60_000);

function cases(): FaultCase[] {
  const targets = targetsOf(suite.baseline.requests);
  const out: FaultCase[] = [];
  // The envelopes whose batch carried a write: the first envelope logged after each batch of writes.
  const log = suite.baseline.requests;
  const writeBatches = new Set(log.filter((r) => r.batchId && isWrite(r)).map((r) => r.batchId));
  const envelopeOrdinals = new Set<number>();
  let ordinal = 0;
  let pending = false;
  for (const r of log) {
    if (r.batchId) pending ||= writeBatches.has(r.batchId);
    else if (r.service === "graph" && r.path.endsWith("/$batch")) {
      if (pending) envelopeOrdinals.add(ordinal);
      ordinal++;
      pending = false;
    }
  }
  for (const target of targets) {
    const kinds = target.inner && isWrite(target) ? inner : target.path.endsWith("/$batch") && envelopeOrdinals.has(target.ordinal) ? envelope : [];
    for (const [name, fault] of kinds) out.push({ name: `${describeTarget(target)}: ${name}`, rule: ruleFor(target, fault) });
  }
  return out;
}

describe("Faults: azir harden", () => {
  it("completes or stops cleanly and resumes under every fault on a write, never issuing a second secret", async () => {
    const all = cases();
    expect(all.some((c) => c.name.startsWith("POST /v1.0/applications/{id}/addPassword"))).toBe(true);
    const results = await runSuite("harden", suite, args, all, hardenedState, 8);
    // addPassword answered 500 or 503 after it ran is not sent again by the client: that run stops, and the resume
    // finds the secret it issued never reached the responder, issues another and removes that one (the end state has
    // one new secret, as the uninterrupted run's).
    const lost = results.find((r) => r.name === "POST /v1.0/applications/{id}/addPassword (in a batch): 503 after applying");
    expect(lost?.outcome).toBe("stopped cleanly");
  }, 240_000);
});
