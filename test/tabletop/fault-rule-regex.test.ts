import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { raw, startHarness, type Harness } from "../azure/fixture.js";

// A fault rule's path pattern is matched with RE2 semantics (linear time), as the local KQL engine's regular
// expressions are: a catastrophic pattern posted to the emulator cannot freeze it.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("fault rules", () => {
  it("a catastrophic path pattern answers at once", async () => {
    h = await startHarness(new ManualClock());
    h.emulator.setFaults({ rules: [{ match: { path: "^/v1\\.0/users/(a+)+$" }, status: 500 }] });
    const started = performance.now();
    const res = await raw(h, "GET", `/v1.0/users/${"a".repeat(32)}!`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(res.status).toBe(404);
    // and the pattern still matches what it says
    expect((await raw(h, "GET", "/v1.0/users/aaaa")).status).toBe(500);
  });
});
