import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { sequentialIds } from "../../src/core/ids.js";
import { PendingConnections } from "../../src/tabletop/emulator/connections.js";
import { FaultInjector } from "../../src/tabletop/emulator/faults.js";
import { GraphService } from "../../src/tabletop/emulator/graph/index.js";
import { MethodDeletions } from "../../src/tabletop/emulator/graph/method-deletions.js";
import { RequestLog } from "../../src/tabletop/emulator/request-log.js";
import { fixtureScenario, ids } from "../azure/fixture.js";

describe("concurrent method deletions (no clock, no sleep)", () => {
  it("two deletions of one user's methods started together are concurrent; one after the other are not", () => {
    const deletions = new MethodDeletions();
    const a = deletions.announce("kim");
    const b = deletions.announce("kim");
    const other = deletions.announce("ada");
    a.start();
    b.start();
    other.start();
    expect([a.concurrent(), b.concurrent(), other.concurrent()]).toEqual([true, true, false]);
    a.finish();
    b.finish();
    const c = deletions.announce("kim");
    c.start();
    expect(c.concurrent()).toBe(false);
  });

  it("a deletion decides only once those that arrived with it have reached their route or given up", async () => {
    const deletions = new MethodDeletions();
    const first = deletions.announce("kim");
    const second = deletions.announce("kim");
    const refusedEarly = deletions.announce("kim");
    first.start();
    let settled = false;
    const waiting = first.settled().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    second.start();
    await Promise.resolve();
    expect(settled).toBe(false);
    // Refused before reaching the route (a 401, an injected fault): it never ran, so it does not count.
    refusedEarly.finish();
    await waiting;
    expect(first.concurrent()).toBe(true);
  });

  it("waits for connections already accepted to deliver their request or close", async () => {
    const server = new EventEmitter();
    const pending = new PendingConnections();
    pending.watch(server);
    const socket = (port: number) => Object.assign(new EventEmitter(), { remoteAddress: "127.0.0.1", remotePort: port });
    const [one, two] = [socket(50001), socket(50002)];
    server.emit("connection", one);
    server.emit("connection", two);
    let settled = false;
    const waiting = pending.settled().then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    pending.arrived(one);
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    two.emit("close");
    await waiting;
    await pending.settled();
  });
});

describe("Graph's default-method rule, decided deterministically", () => {
  const del = (collection: string, id: string) => ({
    method: "DELETE",
    path: `/v1.0/users/${ids.kim}/authentication/${collection}/${id}`,
    query: new URLSearchParams(),
    headers: {},
    body: undefined,
    origin: "https://127.0.0.1:1",
  });

  function graphService() {
    const scenario = fixtureScenario();
    const clock = new ManualClock("2026-11-25T12:00:00Z");
    const state = structuredClone(scenario.tenant);
    const graph = new GraphService({ state, tables: scenario.tables, clock, ids: sequentialIds(), faults: new FaultInjector(), log: new RequestLog(clock), arrivals: async () => {} });
    /** As the server does: announced on arrival, finished once answered. */
    const send = (req: ReturnType<typeof del>) => {
      const deletion = graph.announce(req.method, req.path);
      return graph.handle(req, deletion).finally(() => deletion?.finish());
    };
    return { state, send };
  }

  it("the default is refused while another deletion of the user's methods arrives in the same tick, then goes alone", async () => {
    const { state, send } = graphService();
    expect(state.defaultMethods[ids.kim]).toBe(ids.mobile);
    const [defaultMethod, other] = await Promise.all([send(del("phoneMethods", ids.mobile)), send(del("microsoftAuthenticatorMethods", ids.authenticator))]);
    expect(other.status).toBe(204);
    expect(defaultMethod.status).toBe(400);
    expect(defaultMethod.body).toMatchObject({ error: { code: "badRequest", message: expect.stringContaining("default authentication method") } });
    expect((await send(del("phoneMethods", ids.mobile))).status).toBe(204);
    expect(state.defaultMethods[ids.kim]).toBeUndefined();
  });

  it("sent one after the other, the default goes first too (the emulator's rule is the lenient one; see docs/emulator.md)", async () => {
    const { send } = graphService();
    expect((await send(del("phoneMethods", ids.mobile))).status).toBe(204);
    expect((await send(del("microsoftAuthenticatorMethods", ids.authenticator))).status).toBe(204);
  });
});
