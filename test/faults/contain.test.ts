import { beforeAll, describe, expect, it } from "vitest";
import {
  appliedKinds,
  baselineSuite,
  containedState,
  describeTarget,
  faultKinds,
  isWrite,
  ruleFor,
  runSuite,
  targetsOf,
  type RuleInput,
  type Suite,
} from "./harness.js";

// The Faults suite for `azir contain`: every request the command makes (each Graph read and write, inside a batch or
// alone, each $batch envelope, each Log Analytics query) gets each fault kind once. Every run either completes or stops
// with a clear error and a journal that resumes to the same end state; no write answered 2xx is sent again; no journal
// breaks; nothing hangs; a run that exits 0 has contained the user.

const alexId = "4f1c9a2e-8b3d-4c6e-9a1f-2d7e5b8c3a10";
const args = ["contain", "alex@contoso.com"];

let suite: Suite;
beforeAll(async () => {
  suite = await baselineSuite(args, (e) => containedState(e, alexId));
}, 60_000);

/** Every (target, fault) pair: transport faults only where a whole HTTP exchange is; after-applying faults on writes. */
function cases(): Array<{ name: string; rule: RuleInput }> {
  const out: Array<{ name: string; rule: RuleInput }> = [];
  for (const target of targetsOf(suite.baseline.requests)) {
    const where = describeTarget(target);
    const write = isWrite(target);
    const envelope = target.path.endsWith("/$batch");
    for (const kind of faultKinds) {
      if (kind.transport && target.inner) continue;
      // An empty or wrong-shape answer that the service never ran is success to any client: only after applying.
      if (write && (kind.name === "empty 200" || kind.name === "wrong shape")) continue;
      out.push({ name: `${where}: ${kind.name}`, rule: ruleFor(target, kind.fault) });
    }
    if (write || (envelope && suite.baseline.requests.some((r) => r.batchId && isWrite(r)))) {
      for (const kind of appliedKinds) {
        if (kind.transport && target.inner) continue;
        out.push({ name: `${where}: ${kind.name}`, rule: ruleFor(target, kind.fault) });
      }
    }
  }
  return out;
}

describe("Faults: azir contain", () => {
  it("completes or stops cleanly and resumes under every fault, without a write sent twice", async () => {
    const all = cases();
    const results = await runSuite("contain", suite, args, all, (e) => containedState(e, alexId), 10);
    // The transient faults are absorbed by the retries: each of those runs completes.
    const transient = results.filter((r) => r.injected && /: (429 with|429 without|500|502|503|504|dropped connection|HTML error page|503 after applying|dropped after applying)/.test(r.name) && !/\/query/.test(r.name));
    expect(transient.filter((r) => r.outcome !== "completed").map((r) => r.name)).toEqual([]);
  }, 240_000);
});
