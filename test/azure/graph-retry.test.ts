import { afterEach, describe, expect, it } from "vitest";
import { AzureServiceError } from "../../src/azure/errors.js";
import { isIdempotentGraphRequest, isTransientNetworkError, retryAfterMs } from "../../src/azure/graph-retry.js";
import { ManualClock } from "../../src/core/clock.js";
import type { GraphRequestEffect } from "../../src/core/effects.js";
import { ids, startHarness, type Harness } from "./fixture.js";

// Graph's retries against the emulator over HTTPS: which requests are sent again, after what, and how often.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const write = (method: GraphRequestEffect["method"], path: string, body?: unknown): GraphRequestEffect => ({
  kind: "graph.request",
  key: `${method} ${path}`,
  method,
  path,
  ...(body === undefined ? {} : { body }),
  permission: "test",
  summary: `${method} ${path}`,
  target: path,
});
const block = write("PATCH", `/users/${ids.kim}`, { accountEnabled: false });
const addPassword = write("POST", `/applications/${ids.app}/addPassword`, { passwordCredential: { displayName: "new" } });
const appWriter = ["Application.ReadWrite.All", "Application.Read.All", "User.Read.All"];
const graphLog = (harness: Harness) => harness.emulator.requests().filter((r) => r.service === "graph" && !r.path.endsWith("/$batch"));

describe("which Graph requests are idempotent", () => {
  it("reads, PATCH, PUT and DELETE are; a POST only when sending it twice changes nothing more", () => {
    expect(isIdempotentGraphRequest("GET", "/users/x")).toBe(true);
    expect(isIdempotentGraphRequest("PATCH", "/users/x")).toBe(true);
    expect(isIdempotentGraphRequest("DELETE", "/users/x/authentication/phoneMethods/y")).toBe(true);
    expect(isIdempotentGraphRequest("POST", "/users/x/revokeSignInSessions")).toBe(true);
    expect(isIdempotentGraphRequest("POST", "/identityProtection/riskyUsers/confirmCompromised")).toBe(true);
    expect(isIdempotentGraphRequest("POST", "/applications/x/addPassword")).toBe(false);
    expect(isIdempotentGraphRequest("POST", "/applications/x/removePassword")).toBe(false);
    expect(isIdempotentGraphRequest("POST", "/roleManagement/directory/roleEligibilityScheduleRequests")).toBe(false);
  });

  it("a reset connection is transient, an abort is not; Retry-After in seconds or as a date", () => {
    expect(isTransientNetworkError(Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } }))).toBe(true);
    expect(isTransientNetworkError(Object.assign(new TypeError("fetch failed"), { cause: { code: "UND_ERR_SOCKET" } }))).toBe(true);
    expect(isTransientNetworkError(Object.assign(new Error("aborted"), { name: "AbortError" }))).toBe(false);
    // a certificate the client does not trust will not pass by itself: no retries before saying so
    expect(isTransientNetworkError(Object.assign(new TypeError("fetch failed"), { cause: { code: "DEPTH_ZERO_SELF_SIGNED_CERT" } }))).toBe(false);
    expect(retryAfterMs("2", 0)).toBe(2000);
    expect(retryAfterMs("Wed, 25 Nov 2026 12:00:03 GMT", Date.parse("2026-11-25T12:00:00Z"))).toBe(3000);
    expect(retryAfterMs(null, 0)).toBeUndefined();
    expect(retryAfterMs("soon", 0)).toBeUndefined();
  });
});

describe("Graph retries against the emulator", () => {
  it("a read answered 500, then 502, then dropped is sent again until it succeeds", async () => {
    h = await startHarness(new ManualClock(), {
      faults: {
        rules: [
          { match: { path: "/users/", service: "graph" }, status: 500 },
          { match: { path: "/users/", service: "graph" }, status: 502 },
          { match: { path: "/users/", service: "graph" }, drop: true },
        ],
      },
    });
    expect(await h.ports.graph.get<{ id: string }>(`/users/${ids.kim}`)).toMatchObject({ id: ids.kim });
    expect(h.emulator.requests().map((r) => r.status)).toEqual([500, 502, 0, 200]);
  });

  it("a block applied but answered 503 inside a batch is sent again and reported done, not failed", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { method: "PATCH", path: "^/v1.0/users/" }, status: 503, applied: true }] } });
    // Two writes in one turn go as one batch.
    const [patched, revoked] = await Promise.allSettled([h.ports.effects.perform(block), h.ports.effects.perform(write("POST", `/users/${ids.kim}/revokeSignInSessions`, {}))]);
    expect(patched.status).toBe("fulfilled");
    expect(revoked.status).toBe("fulfilled");
    expect(graphLog(h).map((r) => `${r.method} ${r.status}`)).toEqual(["PATCH 503", "POST 200", "PATCH 204"]);
    expect(h.emulator.state().users.find((u) => u.id === ids.kim)?.accountEnabled).toBe(false);
  });

  it("a write sent alone and answered 502 with a gateway's HTML page is sent again", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { method: "PATCH", path: "^/v1.0/users/" }, answer: "html" }] } });
    await h.ports.effects.perform(block);
    expect(graphLog(h).map((r) => `${r.method} ${r.status}`)).toEqual(["PATCH 502", "PATCH 204"]);
  });

  it("addPassword is not idempotent: a 500 or a dropped connection is not followed by a second secret", async () => {
    h = await startHarness(new ManualClock(), { permissions: appWriter, faults: { rules: [{ match: { path: "/addPassword$" }, status: 500, applied: true }] } });
    const error = await h.ports.effects.perform(addPassword).catch((e: unknown) => e);
    expect((error as AzureServiceError).status).toBe(500);
    h.emulator.setFaults({ rules: [{ match: { path: "/addPassword$" }, drop: true, applied: true }] });
    const dropped = await h.ports.effects.perform(addPassword).catch((e: unknown) => e);
    expect((dropped as AzureServiceError).status).toBe(-1);
    expect(graphLog(h).map((r) => `${r.method} ${r.status}`)).toEqual(["POST 500", "POST 0"]);
    // each attempt was applied once: two secrets added, never four
    expect(h.emulator.state().applications[0]?.passwordCredentials).toHaveLength(3);
  });

  it("a 429 is sent again even for addPassword: Graph refused it before running it", async () => {
    h = await startHarness(new ManualClock(), { permissions: appWriter, faults: { rules: [{ match: { path: "/addPassword$" }, status: 429, retryAfter: 0 }] } });
    await h.ports.effects.perform(addPassword);
    expect(graphLog(h).map((r) => r.status)).toEqual([429, 200]);
  });

  it("a DELETE whose first answer was lost answers 404 when re-sent: already removed, once a read says 404 too", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { method: "DELETE", path: "/microsoftAuthenticatorMethods/" }, status: 503, applied: true }] } });
    const remove = write("DELETE", `/users/${ids.kim}/authentication/microsoftAuthenticatorMethods/${ids.authenticator}`);
    expect(await h.ports.effects.perform(remove)).toEqual({ alreadyRemoved: true });
    expect(graphLog(h).map((r) => `${r.method} ${r.status}`)).toEqual(["DELETE 503", "DELETE 404", "GET 404"]);
  });

  it("a DELETE of a method already gone is 'already removed' once a read confirms it; a 404 the read contradicts is a failure", async () => {
    h = await startHarness(new ManualClock());
    const remove = write("DELETE", `/users/${ids.kim}/authentication/microsoftAuthenticatorMethods/${ids.authenticator}`);
    await h.ports.effects.perform(remove);
    expect(await h.ports.effects.perform(remove)).toEqual({ alreadyRemoved: true });
    expect(graphLog(h).map((r) => `${r.method} ${r.status}`)).toEqual(["DELETE 204", "DELETE 404", "GET 404"]);
    // A read that answers 200 (here made up by a fault) contradicts the DELETE's 404: the deletion failed.
    h.emulator.setFaults({ rules: [{ match: { method: "GET", path: "/microsoftAuthenticatorMethods/" }, answer: "wrong-shape", times: 5 }] });
    const contradicted = await h.ports.effects.perform(remove).catch((e: unknown) => e);
    expect((contradicted as AzureServiceError).code).toBe("service");
    expect((contradicted as AzureServiceError).message).toContain("the object is still there");
  });

  it("a 503 with Retry-After: 1 is sent again after a second, not after the backoff's 5 ms", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { path: "^/v1.0/users/", service: "graph" }, status: 503, retryAfter: 1 }] } });
    const started = performance.now();
    await h.ports.graph.get(`/users/${ids.kim}`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(h.emulator.requests().map((r) => r.status)).toEqual([503, 200]);
  });

  it("the request's deadline ends a wait for a long Retry-After", async () => {
    h = await startHarness(new ManualClock(), { timeouts: { graphMs: 300 }, faults: { rules: [{ match: { path: "/users/", service: "graph" }, status: 503, retryAfter: 30 }] } });
    const started = performance.now();
    const error = await h.ports.graph.get(`/users/${ids.kim}`).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(5000);
    expect((error as AzureServiceError).message).toContain("did not answer");
  });

  it("a silent server is a timeout within the deadline, not a hang", async () => {
    h = await startHarness(new ManualClock(), { timeouts: { graphMs: 300 }, faults: { rules: [{ match: { path: "/users/", service: "graph" }, silent: true }] } });
    const error = await h.ports.graph.get(`/users/${ids.kim}`).catch((e: unknown) => e);
    expect((error as AzureServiceError).status).toBe(408);
    expect(h.emulator.requests().map((r) => r.status)).toEqual([0]);
  });

  it("a redirect loop is not followed forever: a clear error that Graph itself did not answer", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { path: "^/v1.0/users/" }, redirectLoop: true, times: 30 }] } });
    const error = (await h.ports.graph.get(`/users/${ids.kim}`).catch((e: unknown) => e)) as AzureServiceError;
    expect(error.message).toBe(`Graph answered 302 on GET /users/${ids.kim}: a redirect that kept redirecting; Graph itself did not answer`);
    // graph-client's RedirectHandler gives up after its first request and 5 redirects
    expect(h.emulator.requests().length).toBe(6);
  });
});
