import { afterEach, describe, expect, it } from "vitest";
import { createAzurePorts } from "../../src/azure/ports.js";
import { AzureServiceError } from "../../src/azure/errors.js";
import { ManualClock } from "../../src/core/clock.js";
import { diskId, ids, raw, startHarness, type Harness } from "./fixture.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("faults and refusals across the adapters", () => {
  it("ARM: a dropped connection and a 429 with Retry-After are retried by the SDK", async () => {
    h = await startHarness(new ManualClock(), {
      faults: { rules: [{ match: { path: "/disks/", service: "arm" }, drop: true }, { match: { path: "/disks/", service: "arm" }, status: 429, retryAfter: 0 }] },
    });
    const disk = await h.ports.arm.getResource<{ name: string }>(diskId);
    expect(disk.name).toBe("vm-web-01-osdisk");
    expect(h.emulator.requests().map((e) => e.status)).toEqual([0, 429, 200]);
  });

  it("Graph $batch: an injected inner 429 comes back inside the 200 envelope with its Retry-After", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { path: "/revokeSignInSessions$" }, status: 429, retryAfter: 2 }] } });
    const res = await raw(h, "POST", "/v1.0/$batch", {
      body: { requests: [{ id: "1", method: "POST", url: `/users/${ids.kim}/revokeSignInSessions`, headers: { "Content-Type": "application/json" }, body: {} }] },
    });
    expect(res.status).toBe(200);
    expect((res.json as { responses: Array<{ status: number; headers: Record<string, string> }> }).responses[0]).toMatchObject({ status: 429, headers: { "Retry-After": "2" } });
  });

  it("a token the service refuses is an auth error for Log Analytics and Graph, and the token never appears in the error", async () => {
    h = await startHarness(new ManualClock());
    const secretish = " ";
    const ports = await createAzurePorts({
      endpoints: h.emulator.endpoints,
      credential: { getToken: async () => ({ token: secretish, expiresOnTimestamp: Date.parse("2100-01-01T00:00:00Z") }) },
      ca: h.emulator.caPem,
      retry: { maxRetries: 0 },
    });
    const la = await ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs" }).catch((e: unknown) => e);
    expect((la as AzureServiceError).code).toBe("auth");
    expect((la as AzureServiceError).status).toBe(401);
    const graph = await ports.graph.get(`/users/${ids.kim}`).catch((e: unknown) => e);
    expect((graph as AzureServiceError).code).toBe("auth");
    expect((graph as AzureServiceError).message).toBe(`Graph answered 401 on GET /users/${ids.kim}: "Access token is empty." (InvalidAuthenticationToken): the token was refused`);
  });

  it("errors keep a sanitised cause: no request object, no Authorization header", async () => {
    h = await startHarness(new ManualClock(), { maxRetries: 0, faults: { rules: [{ match: { path: "/query$" }, status: 500 }] } });
    const error = (await h.ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs" }).catch((e: unknown) => e)) as AzureServiceError;
    expect(error.status).toBe(500);
    const cause = error.cause as Record<string, unknown>;
    expect(cause.request).toBeUndefined();
    expect(JSON.stringify({ ...cause, message: (cause as unknown as Error).message })).not.toContain("tabletop-token");
  });

  it("a 429 that outlasts the retries is `throttled` for Graph and Log Analytics", async () => {
    h = await startHarness(new ManualClock(), {
      maxRetries: 1,
      faults: { rules: [{ match: { path: "/users/" }, status: 429, retryAfter: 0, times: 5 }, { match: { path: "/query$" }, status: 429, retryAfter: 0, times: 5 }] },
    });
    const graph = await h.ports.graph.get(`/users/${ids.kim}`).catch((e: unknown) => e);
    expect((graph as AzureServiceError).code).toBe("throttled");
    const la = await h.ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs" }).catch((e: unknown) => e);
    expect((la as AzureServiceError).code).toBe("throttled");
    expect((la as AzureServiceError).message).toContain("Log Analytics answered 429");
  });

  it("Graph: a dropped connection is retried; one that stays down says it could not reach Graph", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { path: "/users/", service: "graph" }, drop: true }] } });
    expect(await h.ports.graph.get<{ id: string }>(`/users/${ids.kim}`)).toMatchObject({ id: ids.kim });
    expect(h.emulator.requests().map((e) => e.status)).toEqual([0, 200]);
    h.emulator.setFaults({ rules: [{ match: { path: "/users/", service: "graph" }, drop: true, times: 10 }] });
    const error = await h.ports.graph.get(`/users/${ids.kim}`).catch((e: unknown) => e);
    expect((error as AzureServiceError).code).toBe("service");
    expect((error as AzureServiceError).message).toContain(`Could not reach Graph for GET /users/${ids.kim}`);
    expect(h.emulator.requests().slice(2).map((e) => e.status)).toEqual([0, 0, 0, 0]);
  });

  it("ARM: a read the server never answers ends at its deadline, as a 408 that says so", async () => {
    h = await startHarness(new ManualClock(), { timeouts: { armReadMs: 300 }, faults: { rules: [{ match: { path: "/disks/", service: "arm" }, silent: true }] } });
    const started = performance.now();
    const error = await h.ports.arm.getResource(diskId).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(5000);
    expect((error as AzureServiceError).status).toBe(408);
    expect((error as AzureServiceError).message).toBe(`ARM did not answer GET ${diskId} within 1 s`);
  });
});
