import { afterEach, describe, expect, it } from "vitest";
import { AzureServiceError } from "../../src/azure/errors.js";
import { ManualClock } from "../../src/core/clock.js";
import { AzirError } from "../../src/core/errors.js";
import { ids, raw, startHarness, type Harness } from "./fixture.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("Log Analytics adapter against the emulator", () => {
  it("LogsQueryClient.queryBatch gets its answers in request order", async () => {
    h = await startHarness(new ManualClock());
    const { LogsQueryClient } = await import("@azure/monitor-query-logs");
    const client = new LogsQueryClient(
      { getToken: async () => ({ token: "t", expiresOnTimestamp: Date.parse("2100-01-01T00:00:00Z") }) },
      { endpoint: h.emulator.endpoints.logs, credentials: { scopes: ["https://api.loganalytics.io/.default"] }, tlsOptions: { ca: h.emulator.caPem } },
    );
    const results = await client.queryBatch([
      { workspaceId: ids.workspace, query: "SecurityAlert", timespan: { duration: "P30D" } },
      { workspaceId: ids.workspace, query: "SigninLogs", timespan: { duration: "P30D" } },
    ]);
    const names = results.map((r) => ("tables" in r ? r.tables[0]?.columnDescriptors.map((c) => c.name).join(",") : "failed"));
    expect(names[0]).toContain("AlertName");
    expect(names[1]).toContain("IPAddress");
  });

  it("decodes datetime cells to ISO strings and dynamic cells to values", async () => {
    h = await startHarness(new ManualClock());
    const result = await h.ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs" });
    expect(result.complete).toBe(true);
    const table = result.tables[0]!;
    expect(table.columns.map((c) => c.type)).toEqual(["datetime", "string", "string", "string", "dynamic", "string"]);
    expect(table.rows[0]).toEqual(["2026-11-25T10:00:00.000Z", "kim@fabrikam.example", "203.0.113.7", "0", { operatingSystem: "Linux" }, "s-1"]);
  });

  it("applies the timespan on TimeGenerated, and sends none when the request has none", async () => {
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"));
    const windowed = await h.ports.logs.query({
      workspaceId: ids.workspace,
      query: "SigninLogs",
      timespan: { start: new Date("2026-11-24T00:00:00Z"), end: new Date("2026-11-25T12:00:00Z") },
    });
    expect(windowed.tables[0]?.rows.map((r) => r[5])).toEqual(["s-1", "s-2"]);
    const all = await h.ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs", timeoutSeconds: 30 });
    expect(all.tables[0]?.rows).toHaveLength(3);
  });

  it("a missing table is not-found, naming the table", async () => {
    h = await startHarness(new ManualClock());
    const error = await h.ports.logs.query({ workspaceId: ids.workspace, query: "OfficeActivity | take 1" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzirError);
    expect((error as AzirError).code).toBe("not-found");
    expect((error as AzirError).details).toContain("table: OfficeActivity");
    expect((error as AzirError).details).toContain("code: table-not-found");
  });

  it("an unknown workspace is 404 PathNotFoundError", async () => {
    h = await startHarness(new ManualClock());
    const error = await h.ports.logs.query({ workspaceId: "00000000-0000-4000-8000-000000000000", query: "SigninLogs" }).catch((e: unknown) => e);
    expect((error as AzureServiceError).status).toBe(404);
    expect((error as AzureServiceError).serviceCode).toBe("PathNotFoundError");
  });

  it("a partial result is complete:false with the reason", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { path: "/query$", service: "logs" }, partial: true, partialRows: 1 }] } });
    const result = await h.ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs" });
    expect(result.complete).toBe(false);
    if (!result.complete) expect(result.reason.code).toBe("PartialError");
    expect(result.tables[0]?.rows).toHaveLength(1);
  });

  it("429 with Retry-After: 1 is retried by the SDK and succeeds", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { path: "/query$" }, status: 429, retryAfter: 1 }] } });
    const result = await h.ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs" });
    expect(result.tables[0]?.rows).toHaveLength(3);
    expect(h.emulator.requests().map((e) => e.status)).toEqual([429, 200]);
  });

  it("a dropped connection is retried and succeeds", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { path: "/query$" }, drop: true }] } });
    const result = await h.ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs" });
    expect(result.complete).toBe(true);
    expect(h.emulator.requests().map((e) => e.status)).toEqual([0, 200]);
  });

  it("a 503 storm ends in an AzirError naming the service, method and path", async () => {
    h = await startHarness(new ManualClock(), { maxRetries: 2, faults: { rules: [{ match: { path: "/query$" }, status: 503, retryAfter: 0, times: 5 }] } });
    const error = await h.ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs" }).catch((e: unknown) => e);
    expect((error as AzirError).code).toBe("service");
    expect((error as AzirError).message).toContain(`Log Analytics answered 503 on POST /workspaces/${ids.workspace}/query`);
    expect(h.emulator.requests()).toHaveLength(3);
  });

  it("no bearer token -> 401 in the OneAPI error shape; non-JSON body -> 400; $batch answers in request order", async () => {
    h = await startHarness(new ManualClock());
    const res = await raw(h, "POST", `/v1/workspaces/${ids.workspace}/query`, { token: null, body: { query: "SigninLogs" } });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ error: { code: "AuthenticationFailed" } });
    const bad = await raw(h, "POST", `/v1/workspaces/${ids.workspace}/query`, { body: "query=SigninLogs" });
    expect(bad.status).toBe(400);
    const batch = await raw(h, "POST", "/v1/$batch", {
      body: {
        requests: [
          { id: "query-0", body: { query: "Nope" }, path: "/query", method: "POST", workspace: ids.workspace },
          { id: "query-1", body: { query: "SigninLogs" }, path: "/query", method: "POST", workspace: ids.workspace },
        ],
      },
    });
    const responses = (batch.json as { responses: Array<{ id: string; status: number }> }).responses;
    expect(responses.map((r) => `${r.id}:${r.status}`)).toEqual(["query-0:400", "query-1:200"]);
    const stats = await raw(h, "POST", `/v1/workspaces/${ids.workspace}/query`, { body: { query: "SigninLogs", timespan: "P1D/2026-11-25T11:00:00Z" }, headers: { Prefer: "wait=10,include-statistics=true" } });
    expect(stats.json).toMatchObject({ statistics: { query: {} }, tables: [{ name: "PrimaryResult" }] });
    expect((stats.json as { tables: Array<{ rows: unknown[][] }> }).tables[0]?.rows).toHaveLength(1);
    const tooLong = await raw(h, "POST", `/v1/workspaces/${ids.workspace}/query`, { body: { query: "SigninLogs" }, headers: { Prefer: "wait=601" } });
    expect(tooLong.status).toBe(400);
    const viaResource = await raw(h, "POST", `/v1//subscriptions/${ids.sub}/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/ws/query`, { body: { query: "SigninLogs" } });
    expect(viaResource.status).toBe(200);
  });
});
