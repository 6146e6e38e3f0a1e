import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runConformance } from "../../src/kql/engine/conformance.js";

const corpus =
  process.env.AZIR_KQL_CONFORMANCE ?? fileURLToPath(new URL("../../../shared/kql-conformance/kusto-results.jsonl", import.meta.url));

// The floor only goes up: raise it when the engine answers more cases.
const matchingFloor = 1231;

describe.skipIf(!existsSync(corpus))("KQL conformance corpus", () => {
  it("answers no case wrongly and matches at least the floor", { timeout: 120_000 }, async () => {
    const report = await runConformance(corpus);
    const wrong = report.cases.filter((c) => c.outcome === "wrong").map((c) => `${c.id}: ${c.detail}`);
    expect(wrong).toEqual([]);
    expect(report.wrong).toBe(0);
    expect(report.matching).toBeGreaterThanOrEqual(matchingFloor);
  });
});
