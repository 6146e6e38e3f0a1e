import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runConformance } from "../../src/kql/engine/conformance.js";

const corpus = resolve(
  process.env.AZIR_KQL_CONFORMANCE ?? fileURLToPath(new URL("../../../shared/kql-conformance/kusto-results.jsonl", import.meta.url)),
);
const present = existsSync(corpus);
// CI checks out ../shared beside the clone, so there a missing corpus is a broken setup, not a choice.
const ci = /^(true|1)$/i.test(process.env.CI ?? "");
const absent = [
  `KQL conformance corpus not found at ${corpus}: the engine's answers are NOT checked against the real Kusto engine.`,
  "It is kql-conformance/kusto-results.jsonl in the shared folder beside the checkout (../shared/kql-conformance/), or the file",
  "named by AZIR_KQL_CONFORMANCE: 1,530 queries with the answers the real engine gave, taken from the differential-fuzzing",
  "verdicts of saoc90/kql-to-sql (fuzzing/verdicts, commit 291511cb, MIT); see its README.md.",
  ci ? "CI=true: failing." : "Skipped here; under CI=true this fails.",
].join("\n");
// A warning on the terminal, not only a skipped count in the summary.
if (!present) process.stderr.write(`\nWARNING ${absent}\n\n`);

// The floor only goes up: raise it when the engine answers more cases.
const matchingFloor = 1436;

describe("KQL conformance corpus", () => {
  it("answers no case wrongly and matches at least the floor", { timeout: 120_000 }, async (ctx) => {
    if (!present && !ci) ctx.skip(absent);
    expect(present, absent).toBe(true);
    const report = await runConformance(corpus);
    const wrong = report.cases.filter((c) => c.outcome === "wrong").map((c) => `${c.id}: ${c.detail}`);
    expect(wrong).toEqual([]);
    expect(report.wrong).toBe(0);
    expect(report.matching).toBeGreaterThanOrEqual(matchingFloor);
  });
});
