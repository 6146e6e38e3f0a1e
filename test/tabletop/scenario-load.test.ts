import { describe, expect, it } from "vitest";
import { loadScenario, resolveScenarioDir } from "../../src/tabletop/scenario/load.js";

const now = new Date("2026-11-25T12:00:00.000Z");

describe("minimal scenario", () => {
  it("loads", async () => {
    const s = await loadScenario(resolveScenarioDir("minimal"), now);
    expect(s.name).toBe("minimal");
    const t = s.tables.SigninLogs!;
    const col = (n: string) => t.columns.findIndex((c) => c.name === n);
    expect(t.rows[1]![col("TimeGenerated")]).toBe("2026-11-23T12:00:00.000Z");
    expect(s.tenant.users[0]!.createdDateTime).toBe("2025-10-21T12:00:00.000Z");
  });
});
