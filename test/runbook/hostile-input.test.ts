import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveGlobals } from "../../src/cli/options.js";
import { createTerminal } from "../../src/cli/terminal.js";
import { parseSince } from "../../src/core/duration.js";
import { ManualClock } from "../../src/core/clock.js";
import { parseRunbook } from "../../src/runbook/load.js";
import { resolveParams } from "../../src/runbook/params.js";
import { loadRunbookFile } from "../../src/runbook/load.js";
import { locateQuery, ruleContext } from "../../src/runbook/registry.js";
import { checkRunbook } from "../../src/runbook/rules.js";
import { resolveTemplates } from "../../src/runbook/template.js";
import { openJournal } from "../../src/timeline/journal.js";
import { memoryIo } from "../cli/io.js";

// Inputs that looked harmless and were not: each must be refused, or mean what it says.

const runbook = (yaml: string) => {
  const r = parseRunbook(yaml, "r.yaml");
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.loaded;
};
const head = `id: r\ntitle: t\nparams:\n  upn: { type: upn, required: true }\n  when: { type: datetime }\nsteps:\n`;

describe("hostile or odd input", () => {
  it("AZIR_YES=off means no, and a value that says neither is refused", () => {
    const io = (v: string) => ({ ...memoryIo(), env: { AZIR_YES: v } });
    expect(resolveGlobals({}, io("off")).yes).toBe(false);
    expect(resolveGlobals({}, io("on")).yes).toBe(true);
    expect(() => resolveGlobals({}, io("maybe"))).toThrow(/--yes \(or AZIR_YES\): expected true or false/);
  });

  it("FORCE_COLOR=0 turns colour off, even on a terminal", () => {
    const io = { ...memoryIo(), stderr: { write: () => true, isTTY: true, columns: 80 }, env: { FORCE_COLOR: "0" } };
    expect(createTerminal(io, { json: false }).color.level).toBe(0);
    expect(createTerminal({ ...io, env: { FORCE_COLOR: "1" } }, { json: false }).color.level).toBe(1);
  });

  it("a date that does not exist is refused, not rolled over to the next month", () => {
    expect(parseSince("2026-02-30T00:00:00Z", new Date("2026-03-05T00:00:00Z"))).toBeUndefined();
    expect(parseSince("2026-02-28T00:00:00Z", new Date("2026-03-05T00:00:00Z"))?.toISOString()).toBe("2026-02-28T00:00:00.000Z");
    expect(() => resolveParams(runbook(`${head}  - id: n\n    note: x\n`).runbook, { upn: "a@b.co", when: "2026-02-30T10:00:00Z" })).toThrow(/not an ISO 8601 date-time/);
  });

  it("an alias bomb and nesting deeper than the parser's stack are located YAML errors, not an internal error", () => {
    const bomb = `id: b\ntitle: b\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\nsteps: [*d]\n`;
    const r = parseRunbook(bomb, "bomb.yaml");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics[0]!.message).toMatch(/^YAML: .*alias/i);
    const deep = parseRunbook(`id: d\ntitle: d\nsteps:\n  - id: x\n    note: n\n    with: ${"[".repeat(5000)}${"]".repeat(5000)}\n`, "deep.yaml");
    expect(deep.ok).toBe(false);
    if (!deep.ok) expect(deep.diagnostics[0]!.message).toMatch(/^YAML: /);
  });

  it("a duration longer than any workspace keeps data is refused", () => {
    const withLookback = runbook(`id: r\ntitle: t\nparams:\n  lookback: { type: duration, default: 14d }\nsteps:\n  - id: n\n    note: x\n`).runbook;
    expect(() => resolveParams(withLookback, { lookback: "99999999d" })).toThrow(/longer than any workspace keeps data/);
    expect(resolveParams(withLookback, { lookback: "4383d" }).lookback).toBe("4383d");
  });

  it("templates and parameters reach own properties only", () => {
    expect(() => resolveTemplates("{{ params.constructor }}", { params: { upn: "a@b.co" }, findings: {} })).toThrow(/no parameter "constructor"/);
    expect(() => resolveParams(runbook(`${head}  - id: n\n    note: x\n`).runbook, { upn: "a@b.co", ["__proto__"]: "x" })).toThrow(/has no parameter "__proto__"/);
  });

  it("a step that waits for itself is refused", () => {
    const problems = checkRunbook(runbook(`${head}  - id: n\n    note: x\n    after: [n]\n`), ruleContext());
    expect(problems.map((p) => p.message)).toContain('"after" names the step itself: "n"');
  });

  it("an incident folder is readable by its owner only", async () => {
    const dir = mkdtempSync(join(tmpdir(), "azir-mode-"));
    const journal = await openJournal({ dir, incidentId: "inc-1", runId: "00000000-0000-4000-8000-000000000001", mode: "tabletop", clock: new ManualClock("2026-11-25T12:00:00Z") });
    journal.close();
    expect(readdirSync(dir)).toEqual(["inc-1"]);
    expect(statSync(join(dir, "inc-1")).mode & 0o777).toBe(0o700);
  });

  it("a runbook's KQL file stays inside its folder or the package, and is a regular .kql file", () => {
    const dir = mkdtempSync(join(tmpdir(), "azir-confine-"));
    const rb = join(dir, "r.yaml");
    writeFileSync(join(dir, "ok.kql"), "SigninLogs | take 1\n");
    symlinkSync("/proc/self/environ", join(dir, "environ.kql"));
    execFileSync("mkfifo", [join(dir, "fifo.kql")]);
    expect(locateQuery("ok.kql", rb)).toMatchObject({ ok: true });
    expect(locateQuery("kql/signins-for-user.kql", rb)).toMatchObject({ ok: true });
    expect(locateQuery("environ.kql", rb)).toMatchObject({ ok: false, problem: expect.stringContaining("outside the runbook's folder") });
    expect(locateQuery("fifo.kql", rb)).toMatchObject({ ok: false, problem: expect.stringContaining("not a regular file") });
    expect(locateQuery("/proc/self/environ", rb)).toMatchObject({ ok: false, problem: expect.stringContaining("relative path to a .kql file") });
    expect(locateQuery("../../../../etc/hostname", rb)).toMatchObject({ ok: false });
  });

  it("a runbook that is not a regular file is refused before it is read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "azir-fifo-"));
    execFileSync("mkfifo", [join(dir, "r.yaml")]);
    const result = await loadRunbookFile(join(dir, "r.yaml"));
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.diagnostics[0]!.message).toBe("not a regular file");
  });
});
