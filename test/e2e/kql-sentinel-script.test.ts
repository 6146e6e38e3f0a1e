import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// `npm run kql:sentinel` (scripts/kql-sentinel.mjs): the hunting set stays outside the repository; the script says
// where it looked when the set is missing, and tallies outcomes by cause. The queries here are our own.

const run = (env: Record<string, string>, args: string[] = []) =>
  spawnSync(process.execPath, ["scripts/kql-sentinel.mjs", ...args], { env: { ...process.env, ...env }, encoding: "utf8", timeout: 60_000 });

describe("npm run kql:sentinel", () => {
  it("names the path it expected when the hunting set is missing", () => {
    const r = run({ AZIR_SENTINEL_HUNTING: "/nonexistent/sentinel-hunting-kql" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("SENTINEL HUNTING SET NOT FOUND at /nonexistent/sentinel-hunting-kql");
  });

  it("tallies answered, refused by name and semantic, by cause, in one process", () => {
    const dir = mkdtempSync(join(tmpdir(), "azir-hunts-"));
    writeFileSync(join(dir, "hunt-SigninLogs-a.kql"), "SigninLogs | where TimeGenerated > todatetime('{{StartTimeISO}}') | summarize count() by UserPrincipalName");
    writeFileSync(join(dir, "hunt-SigninLogs-b.kql"), "SigninLogs | where ResultType == 0 | count");
    writeFileSync(join(dir, "hunt-AuditLogs-c.kql"), "AuditLogs | where NoSuchColumn == 'x'");
    const r = run({ AZIR_SENTINEL_HUNTING: dir }, ["--json"]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { total: number; answered: number; refused: number; semantic: number; crash: number; timeout: number; causes: Record<string, number> };
    expect(report).toMatchObject({ total: 3, answered: 1, refused: 1, semantic: 1, crash: 0, timeout: 0 });
    expect(Object.keys(report.causes)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^refused: comparison of a string with a number/), expect.stringMatching(/^semantic: .*NoSuchColumn/)]),
    );
  });
});
