import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { raw, startHarness, type Harness } from "../azure/fixture.js";

// A $batch whose inner URL cannot be read (a broken percent-escape) is the client's mistake: Graph answers that inner
// request 400 BadRequest inside the 200 envelope (json-batching.md: each request gets its own status; errors.md: 400
// "can't process the request because it's malformed or incorrect"), never a 500 for the whole batch.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("a $batch with a malformed inner URL", () => {
  it("answers that request 400 BadRequest and runs the others", async () => {
    h = await startHarness(new ManualClock());
    const res = await raw(h, "POST", "/v1.0/$batch", {
      body: {
        requests: [
          { id: "1", method: "GET", url: "/users/%E0%A4%A" },
          { id: "2", method: "GET", url: "/users?$select=id" },
          { id: "3", method: "GET", url: "%", dependsOn: ["1"] },
        ],
      },
    });
    expect(res.status).toBe(200);
    const byId = new Map((res.json as { responses: Array<{ id: string; status: number; body: { error?: { code: string } } }> }).responses.map((r) => [r.id, r]));
    expect(byId.get("1")).toMatchObject({ status: 400, body: { error: { code: "BadRequest" } } });
    expect(byId.get("2")?.status).toBe(200);
    expect(byId.get("3")?.status).toBe(424);
    expect(h.emulator.requests().some((r) => r.status >= 500)).toBe(false);
  });
});
