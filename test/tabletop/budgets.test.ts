import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { GraphBudgets } from "../../src/tabletop/emulator/graph/budgets.js";

describe("the emulator's Graph budgets (throttling-limits.md)", () => {
  it("Identity Protection and Conditional Access: 1 request per second per tenant, a 429 without Retry-After", () => {
    const clock = new ManualClock();
    const budgets = new GraphBudgets(clock, { tenantId: "t", users: 10 });
    expect(budgets.charge("GET", "/identityProtection/riskyUsers", "app-a")).toBeUndefined();
    const second = budgets.charge("POST", "/identityProtection/riskyUsers/confirmCompromised", "app-b");
    expect(second?.status).toBe(429);
    expect(second?.headers["Retry-After"]).toBeUndefined();
    expect(budgets.charge("GET", "/identity/conditionalAccess/policies", "app-a")?.status).toBe(429);
    clock.advance(1000);
    expect(budgets.charge("GET", "/identity/conditionalAccess/policies", "app-a")).toBeUndefined();
  });

  it("the first request of a budget is never throttled, however the clock moves while it is charged", () => {
    // a clock that moves a millisecond at every reading, as a busy machine's does between two readings
    let t = Date.parse("2026-12-01T00:00:00Z");
    const ticking = { now: () => new Date(t++), sleep: async () => undefined };
    const budgets = new GraphBudgets(ticking, { tenantId: "t", users: 10 });
    expect(budgets.charge("GET", "/identityProtection/riskyUsers", "app-a")).toBeUndefined();
    expect(budgets.charge("GET", "/users/u1", "app-a")).toBeUndefined();
    expect(budgets.charge("PATCH", "/users/u1", "app-a")).toBeUndefined();
  });

  it("identity and access: resource units per app and tenant by tenant size, a 429 with Retry-After and the scope", () => {
    const clock = new ManualClock();
    const small = new GraphBudgets(clock, { tenantId: "t", users: 10 });
    for (let i = 0; i < 3500; i++) expect(small.charge("GET", `/users/u${i}`, "app-a")).toBeUndefined();
    const spent = small.charge("GET", "/users/x", "app-a");
    expect(spent?.status).toBe(429);
    expect(spent?.headers["Retry-After"]).toBe("1");
    expect(spent?.headers["x-ms-throttle-scope"]).toBe("Tenant_Application/ReadWrite/app-a/t");
    // another application has its own budget; time refills it
    expect(small.charge("GET", "/users/x", "app-b")).toBeUndefined();
    clock.advance(10);
    expect(small.charge("GET", "/users/x", "app-a")).toBeUndefined();
    const large = new GraphBudgets(clock, { tenantId: "t", users: 600 });
    for (let i = 0; i < 8000; i++) expect(large.charge("GET", "/users/x", "app-a")).toBeUndefined();
    expect(large.charge("GET", "/users/x", "app-a")?.status).toBe(429);
  });

  it("writes: 3,000 per 2 min 30 s per app and tenant", () => {
    const clock = new ManualClock();
    const budgets = new GraphBudgets(clock, { tenantId: "t", users: 600 });
    for (let i = 0; i < 3000; i++) expect(budgets.charge("PATCH", `/users/u${i}`, "app-a")).toBeUndefined();
    expect(budgets.charge("PATCH", "/users/x", "app-a")?.status).toBe(429);
    expect(budgets.charge("GET", "/users/x", "app-a")).toBeUndefined();
  });
});
