import { Agent, fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { armRoutes } from "../../src/tabletop/emulator/arm.js";
import { authorityRoutes } from "../../src/tabletop/emulator/authority.js";
import { controlRoutes } from "../../src/tabletop/emulator/control.js";
import { graphRoutes } from "../../src/tabletop/emulator/graph/index.js";
import { logsRoutes } from "../../src/tabletop/emulator/logs-routes.js";
import { RouteTable } from "../../src/tabletop/emulator/router.js";
import { startEmulator } from "../../src/tabletop/emulator/server.js";
import type { Emulator } from "../../src/tabletop/emulator/types.js";
import { fixtureScenario, ids, tableOnlyEngine } from "../azure/fixture.js";

describe("route table", () => {
  const table = new RouteTable<null, { method: string }, string>(
    [
      { method: "GET", pattern: "/users/{user}/authentication/methods", source: "s", handle: (_c, _r, p) => `methods of ${p.user}` },
      { method: "GET", pattern: "/users/{user}/authentication/{collection}", source: "s", handle: (_c, _r, p) => `${p.collection} of ${p.user}` },
      { method: "*", pattern: "/users/{user}/{rest+}", source: "s", handle: (_c, _r, p) => `catch-all ${p.rest}` },
    ],
    { unmatched: (_c, req) => `unmatched ${req.method}` },
  );

  it("matches method and pattern, first match first, {name+} over several segments", () => {
    expect(table.dispatch(null, { method: "GET" }, "/users/kim/authentication/methods")).toBe("methods of kim");
    expect(table.dispatch(null, { method: "get" }, "/users/kim/authentication/phoneMethods")).toBe("phoneMethods of kim");
    expect(table.dispatch(null, { method: "DELETE" }, "/users/kim/authentication/phoneMethods/1")).toBe("catch-all authentication/phoneMethods/1");
    expect(table.dispatch(null, { method: "GET" }, "/groups")).toBe("unmatched GET");
    // Literal segments are matched exactly (no regular-expression meaning) and case-sensitively unless asked.
    expect(table.match("GET", "/USERS/kim/authentication/methods")).toBeUndefined();
    const dollar = new RouteTable<null, { method: string }, string>([{ method: "POST", pattern: "/$batch", source: "s", handle: () => "batch" }], { ignoreCase: true, unmatched: () => "none" });
    expect(dollar.dispatch(null, { method: "POST" }, "/$BATCH")).toBe("batch");
    expect(dollar.dispatch(null, { method: "POST" }, "/xbatch")).toBe("none");
  });

  it("every emulated route names the Microsoft document, spec or SDK code it follows", () => {
    const tables = [graphRoutes, armRoutes, logsRoutes, authorityRoutes, controlRoutes];
    const routes = tables.flatMap((t) => t.routes.map((r) => ({ route: `${r.method} ${r.pattern}`, source: r.source })));
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.filter((r) => r.source.trim().length < 10)).toEqual([]);
  });
});

describe("the emulator's routes on the wire", () => {
  let emulator: Emulator;
  let agent: Agent;
  beforeAll(async () => {
    emulator = await startEmulator({ scenario: fixtureScenario(), clock: new ManualClock("2026-11-25T12:00:00Z"), loadEngine: async () => tableOnlyEngine });
    agent = new Agent({ connect: { ca: emulator.caPem } });
  });
  afterAll(async () => {
    await agent.close();
    await emulator.close();
  });

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${emulator.endpoints.graph}${path}`, {
      method,
      dispatcher: agent,
      headers: { Authorization: "Bearer t", ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
  }

  it("a route answers; an unknown path gets each service's own 400/404 shape", async () => {
    const methods = await call("GET", "/v1.0/users/kim@fabrikam.example/authentication/methods");
    expect(methods.status).toBe(200);
    expect((methods.json as { value: Array<{ id: string }> }).value.map((m) => m.id)).toEqual([ids.password, ids.mobile, ids.authenticator]);

    const graph = await call("GET", "/v1.0/groups");
    expect(graph.status).toBe(400);
    expect(graph.json).toMatchObject({ error: { code: "BadRequest", innerError: { "request-id": expect.any(String) } } });
    // Under /users/{id}, an unknown user is a 404 before the path is refused.
    expect((await call("GET", "/v1.0/users/nobody@fabrikam.example/photo")).status).toBe(404);
    expect((await call("GET", "/v1.0/users/kim@fabrikam.example/photo")).status).toBe(400);

    const armGet = await call("GET", `/subscriptions/${ids.sub}/providers/Microsoft.Nothing/things?api-version=2025-01-02`);
    expect(armGet).toMatchObject({ status: 404, json: { error: { code: "NotFound" } } });
    const armPost = await call("POST", `/subscriptions/${ids.sub}/providers/Microsoft.Nothing/things?api-version=2025-01-02`, {});
    expect(armPost).toMatchObject({ status: 405, json: { error: { code: "MethodNotAllowed" } } });

    const logs = await call("POST", "/v1/nothing", { query: "x" });
    expect(logs).toMatchObject({ status: 404, json: { error: { code: "PathNotFoundError" } } });

    expect(await call("GET", `/${ids.tenant}/oauth2/v2.0/logout`)).toEqual({ status: 404, json: { error: "not_found" } });
    expect(await call("GET", "/nothing")).toMatchObject({ status: 404, json: { error: { code: "NotFound", message: "No route for GET /nothing" } } });
  });
});
