import { statSync } from "node:fs";
import { join } from "node:path";
import { Agent, fetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { AzirError } from "../../src/core/errors.js";
import { startEmulator } from "../../src/tabletop/emulator/server.js";
import type { Emulator } from "../../src/tabletop/emulator/types.js";
import { serveInfo, startTabletop } from "../../src/tabletop/index.js";
import { fixtureScenario, ids, tableOnlyEngine } from "../azure/fixture.js";

let emulator: Emulator | undefined;
let agent: Agent | undefined;
afterEach(async () => {
  await agent?.close();
  await emulator?.close();
  emulator = undefined;
  agent = undefined;
});

async function call(e: Emulator, method: string, path: string, body?: unknown, token: string | null = "t"): Promise<{ status: number; json: unknown }> {
  agent ??= new Agent({ connect: { ca: e.caPem } });
  const res = await fetch(`${e.endpoints.graph}${path}`, {
    method,
    dispatcher: agent,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

describe("tabletop emulator", () => {
  it("serves HTTPS on 127.0.0.1 with a fresh CA file of mode 0600, and endpoints on that origin", async () => {
    emulator = await startEmulator({ scenario: fixtureScenario(), clock: new ManualClock(), loadEngine: async () => tableOnlyEngine });
    expect(emulator.endpoints.graph).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(emulator.endpoints.logs).toBe(`${emulator.endpoints.graph}/v1`);
    expect(emulator.caPem).toContain("BEGIN CERTIFICATE");
    expect(statSync(emulator.caPath).mode & 0o777).toBe(0o600);
    expect(emulator.env).toMatchObject({ AZIR_WORKSPACE: ids.workspace, AZIR_SUBSCRIPTION: ids.sub, AZURE_TENANT_ID: ids.tenant, NODE_EXTRA_CA_CERTS: emulator.caPath });
    const caPath = emulator.caPath;
    await emulator.close();
    emulator = undefined;
    expect(() => statSync(caPath)).toThrow();
  });

  it("control routes: request log without bodies or query strings, state without secrets, faults validated", async () => {
    const clock = new ManualClock("2026-11-25T12:00:00Z");
    emulator = await startEmulator({ scenario: fixtureScenario(["Application.ReadWrite.All", "User.Read.All"]), clock, loadEngine: async () => tableOnlyEngine });
    const added = await call(emulator, "POST", `/v1.0/applications/${ids.app}/addPassword`, { passwordCredential: { displayName: "x" } });
    expect(added.status).toBe(200);
    const secret = (added.json as { secretText: string }).secretText;
    clock.advance(1000);
    await call(emulator, "GET", `/v1.0/users/${ids.kim}?$select=id`);
    const log = await call(emulator, "GET", "/_tabletop/requests", undefined, null);
    expect(log.json).toEqual([
      { seq: 1, time: "2026-11-25T12:00:00.000Z", method: "POST", path: `/v1.0/applications/${ids.app}/addPassword`, service: "graph", status: 200 },
      { seq: 2, time: "2026-11-25T12:00:01.000Z", method: "GET", path: `/v1.0/users/${ids.kim}`, service: "graph", status: 200 },
    ]);
    const state = await call(emulator, "GET", "/_tabletop/state", undefined, null);
    expect(JSON.stringify(state.json)).not.toContain(secret);
    expect((state.json as { applications: Array<{ passwordCredentials: unknown[] }> }).applications[0]?.passwordCredentials).toHaveLength(2);

    const badFaults = await call(emulator, "POST", "/_tabletop/faults", { rules: [{ match: { path: "(" }, status: 429 }] }, null);
    expect(badFaults.status).toBe(400);
    const faults = await call(emulator, "POST", "/_tabletop/faults", { rules: [{ match: { path: "/users/" }, status: 503, times: 2 }] }, null);
    expect(faults.status).toBe(204);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(emulator, "GET", `/v1.0/users/${ids.kim}`)).status);
    expect(statuses).toEqual([503, 503, 200]);
    expect(() => emulator!.setFaults({ rules: [{ match: { path: "x" } }] } as never)).toThrow(AzirError);
  });

  it("injects latency on API requests", async () => {
    emulator = await startEmulator({ scenario: fixtureScenario(), clock: new ManualClock(), faults: { latencyMs: 100 }, loadEngine: async () => tableOnlyEngine });
    const t0 = performance.now();
    await call(emulator, "GET", `/v1.0/users/${ids.kim}`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
  });

  it("Graph refuses what it does not emulate with 400, never a wrong answer", async () => {
    emulator = await startEmulator({ scenario: fixtureScenario(), clock: new ManualClock(), loadEngine: async () => tableOnlyEngine });
    expect((await call(emulator, "GET", `/v1.0/users/${ids.kim}?$search=x`)).status).toBe(400);
    expect((await call(emulator, "GET", `/v1.0/identityProtection/riskyUsers?$expand=history`)).status).toBe(400);
    expect((await call(emulator, "GET", "/v1.0/groups")).status).toBe(400);
    const counted = await call(emulator, "GET", "/v1.0/users?$count=true&$top=1");
    expect(counted.json).toMatchObject({ "@odata.count": 3, value: [expect.objectContaining({ id: ids.kim })] });
    expect((counted.json as Record<string, string>)["@odata.nextLink"]).toMatch(new RegExp(`^${emulator.endpoints.graph}/v1.0/users\\?`));
    const patch = await call(emulator, "PATCH", `/v1.0/users/${ids.kim}`, { accountEnabled: "no" });
    expect(patch.status).toBe(400);
    expect(patch.json).toMatchObject({ error: { code: "Request_BadRequest" } });
  });

  it("startTabletop loads a scenario folder and serveInfo gives the one-line JSON for `serve --json`", async () => {
    emulator = await startTabletop({ scenarioDir: join(process.cwd(), "scenarios", "minimal"), clock: new ManualClock("2026-11-25T12:00:00Z") });
    const info = serveInfo(emulator);
    expect(info.endpoints).toEqual(emulator.endpoints);
    expect(info.ca).toBe(emulator.caPath);
    expect(info.env.AZIR_TENANT).toBe(emulator.tenantId);
    const user = await call(emulator, "GET", "/v1.0/users/kim@fabrikam.example?$select=createdDateTime");
    // Relative scenario times are pinned against the clock: an ISO time before "now".
    const created = (user.json as { createdDateTime: string }).createdDateTime;
    expect(created).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(Date.parse(created)).toBeLessThan(Date.parse("2026-11-25T12:00:00Z"));
  });

  it("the Azure adapters load no SDK at import time (only type imports at module top level)", async () => {
    const { readFileSync, readdirSync } = await import("node:fs");
    const files = readdirSync(join(process.cwd(), "src", "azure"));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(join(process.cwd(), "src", "azure", file), "utf8");
      const valueImports = text.split("\n").filter((l) => /^import\s+(?!type\b)/.test(l) && /@azure\/|@microsoft\/|undici|selfsigned/.test(l));
      expect(valueImports, file).toEqual([]);
    }
  });
});
