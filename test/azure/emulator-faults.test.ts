import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { ids, raw, startHarness, type Harness } from "./fixture.js";

// The emulator's fault kinds on the wire, as a plain HTTPS client sees them.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const user = `/v1.0/users/${ids.kim}`;

describe("emulator fault kinds", () => {
  it("502 in Graph's error shape; a gateway's HTML page; an empty 200; a wrong-shape 200", async () => {
    h = await startHarness(new ManualClock(), {
      faults: {
        rules: [
          { match: { path: "^/v1.0/users/" }, status: 502 },
          { match: { path: "^/v1.0/users/" }, answer: "html" },
          { match: { path: "^/v1.0/users/" }, answer: "empty" },
          { match: { path: "^/v1.0/users/" }, answer: "wrong-shape" },
        ],
      },
    });
    const bad = await raw(h, "GET", user);
    expect(bad).toMatchObject({ status: 502, json: { error: { code: "BadGateway" } } });
    const html = await raw(h, "GET", user);
    expect(html.status).toBe(502);
    expect(html.headers.get("content-type")).toBe("text/html");
    expect(String(html.json)).toMatch(/^<!DOCTYPE html>/);
    const empty = await raw(h, "GET", user);
    expect(empty).toMatchObject({ status: 200, json: undefined });
    const shape = await raw(h, "GET", user);
    expect(shape.status).toBe(200);
    expect(shape.json).not.toHaveProperty("id");
    expect((await raw(h, "GET", user)).json).toMatchObject({ id: ids.kim });
  });

  it("skip lets the first matches through; a redirect loop points at the request's own absolute URL", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { path: "^/v1.0/users/" }, redirectLoop: true, skip: 1, times: 2 }] } });
    expect((await raw(h, "GET", user)).status).toBe(200);
    const { fetch } = await import("undici");
    const res = await fetch(`${h.emulator.endpoints.graph}${user}?$select=id`, { headers: { Authorization: "Bearer t" }, dispatcher: h.agent, redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`${h.emulator.endpoints.graph}${user}?%24select=id`);
    expect(h.emulator.requests().map((r) => r.status)).toEqual([200, 302]);
  });

  it("applied: the write takes effect, then the fault replaces its answer", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { method: "PATCH", path: "^/v1.0/users/" }, status: 503, applied: true }] } });
    const res = await raw(h, "PATCH", user, { body: { accountEnabled: false } });
    expect(res.status).toBe(503);
    expect(h.emulator.state().users.find((u) => u.id === ids.kim)?.accountEnabled).toBe(false);
  });

  it("a silent server holds the request unanswered; a slow drip sends the whole answer, late", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { path: "^/v1.0/users/" }, silent: true }, { match: { path: "^/v1.0/users/" }, dripMs: 20 }] } });
    const { fetch } = await import("undici");
    const silent = await fetch(`${h.emulator.endpoints.graph}${user}`, { headers: { Authorization: "Bearer t" }, dispatcher: h.agent, signal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
    expect((silent as Error).name).toBe("TimeoutError");
    const started = performance.now();
    const dripped = await raw(h, "GET", user);
    expect(dripped.json).toMatchObject({ id: ids.kim });
    // the body is several 64-byte chunks, 20 ms apart
    expect(performance.now() - started).toBeGreaterThan(60);
    expect(h.emulator.requests().map((r) => r.status)).toEqual([0, 200]);
  });

  it("inside a batch: a 502 and a wrong-shape answer for one inner request; transport faults do not apply there", async () => {
    h = await startHarness(new ManualClock(), {
      faults: { rules: [{ match: { path: "^/v1.0/users/" }, status: 502 }, { match: { path: "^/v1.0/users/" }, answer: "wrong-shape" }, { match: { path: "^/v1.0/users/" }, drop: true }] },
    });
    const batch = (n: string) => raw(h!, "POST", "/v1.0/$batch", { body: { requests: [{ id: n, method: "GET", url: `/users/${ids.kim}` }] } });
    const answers = async (n: string) => ((await batch(n)).json as { responses: Array<{ status: number; body: unknown }> }).responses[0];
    expect(await answers("1")).toMatchObject({ status: 502 });
    expect((await answers("2"))?.body).not.toHaveProperty("id");
    expect(await answers("3")).toMatchObject({ status: 200, body: { id: ids.kim } });
  });
});
