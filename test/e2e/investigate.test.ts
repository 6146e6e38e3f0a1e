import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { ManualClock } from "../../src/core/clock.js";
import { parseDuration } from "../../src/core/duration.js";
import { startTabletop, type Emulator, type FaultConfig } from "../../src/tabletop/index.js";
import { timelineDocumentSchema } from "../../src/timeline/document.js";
import { memoryIo } from "../cli/io.js";
import { closeAfterEach } from "../helpers/close-after-each.js";
import { contosoExpected } from "../helpers/contoso.js";

// Investigation end to end on the built-in scenario: the story it planted (scenarios/contoso/expected.json) must
// come out, and the benign traveller must not raise anything above low.

const expected = contosoExpected;
const now = "2026-11-25T12:00:00.000Z";

const track = closeAfterEach<Emulator>();

async function investigate(upn: string, faults?: FaultConfig, extra: string[] = []) {
  const clock = new ManualClock(now);
  const emulator = await startTabletop({ clock, ...(faults ? { faults } : {}) });
  track(emulator);
  const io = memoryIo();
  const out = mkdtempSync(join(tmpdir(), "azir-inv-"));
  const code = await main(["investigate", upn, "--tabletop", "--json", "--out", out, ...extra], io, { emulator, clock });
  return { code, io, doc: JSON.parse(io.out()) as Record<string, any> };
}

describe("azir investigate on the built-in scenario", () => {
  it("finds the planted incident start and every planted attacker operation; the document passes the timeline schema", async () => {
    const { code, io, doc } = await investigate("alex@contoso.com");
    expect(code, io.err()).toBe(0);
    expect(timelineDocumentSchema.safeParse(doc).success).toBe(true);
    const findings = doc.findings as Array<{ occurredAt?: string; data: { code: string; occurredAt: string; data?: { rule?: string } } }>;
    const start = findings.find((f) => f.data.code === "incident.start");
    const planted = new Date(new Date(now).getTime() + parseDuration(expected.incidentStart)!);
    expect(start, "incident.start").toBeDefined();
    // the planted start, to the minute (the scenario's sign-in carries seconds of its own)
    expect(Math.abs(new Date(start!.data.occurredAt).getTime() - planted.getTime())).toBeLessThan(60_000);
    expect(doc.incident.start).toBe(start!.data.occurredAt);
    for (const e of expected.expectedFindings) {
      const n = findings.filter((f) => f.data.code === e.code).length;
      expect(n, e.code).toBe(e.count);
    }
    expect(doc.complete).toBe(true);
  });

  it("starts with the verdict: compromised for alex, no evidence for sam", async () => {
    const human = async (upn: string) => {
      const clock = new ManualClock(now);
      const emulator = await startTabletop({ clock });
      track(emulator);
      const io = memoryIo();
      await main(["investigate", upn, "--tabletop", "--out", mkdtempSync(join(tmpdir(), "azir-inv-"))], io, { emulator, clock });
      return io.err().split("\n")[0]!;
    };
    expect(await human("alex@contoso.com")).toMatch(/^compromised since 2026-11-\d\dT\d\d:\d\dZ: \d+ high or critical finding\(s\)$/);
    expect(await human("sam@contoso.com")).toMatch(/^no evidence of compromise in 14d \(data complete, read up to /);
  });

  it("finds nothing above low severity for the benign traveller", async () => {
    for (const upn of ["sam@contoso.com"]) {
      const { code, doc } = await investigate(upn);
      expect(code).toBe(0);
      const loud = (doc.findings as Array<{ data: { code: string; severity: string } }>).filter((f) => !["info", "low"].includes(f.data.severity));
      expect(loud.map((f) => f.data.code), upn).toEqual([]);
    }
  });

  it("a partial result injected by the emulator becomes a gap, and the summary says incomplete", async () => {
    const { doc } = await investigate("alex@contoso.com", { latencyMs: 0, rules: [{ match: { path: "/query", service: "logs" }, partial: true, times: 100 }] });
    expect(doc.complete).toBe(false);
    expect(doc.gaps.length).toBeGreaterThan(0);
    expect(doc.gaps[0].data).toMatchObject({ query: expect.any(String), reason: expect.any(String) });
    const human = memoryIo();
    const clock = new ManualClock(now);
    const emulator = await startTabletop({ clock, faults: { latencyMs: 0, rules: [{ match: { path: "/query", service: "logs" }, partial: true, times: 100 }] } });
    track(emulator);
    await main(["investigate", "alex@contoso.com", "--tabletop", "--out", mkdtempSync(join(tmpdir(), "azir-inv-"))], human, { emulator, clock });
    expect(human.err()).toContain("INCOMPLETE");
  });

  it("the device-code hunt lists alex", async () => {
    const clock = new ManualClock(now);
    const emulator = await startTabletop({ clock });
    track(emulator);
    const io = memoryIo();
    expect(await main(["hunt", "device-code", "--tabletop", "--out", mkdtempSync(join(tmpdir(), "azir-hunt-"))], io, { emulator, clock })).toBe(0);
    expect(io.err()).toMatch(/alex@contoso\.com\s+\d+\s+\d+/);
  });

  it("a query timeout (504 after the retries) is a gap naming the query and its window, never a clean answer", async () => {
    const { code, doc } = await investigate("alex@contoso.com", { latencyMs: 0, rules: [{ match: { path: "/query", service: "logs" }, status: 504, times: 1000 }] });
    expect(code).toBe(1);
    expect(doc.complete).toBe(false);
    const timeouts = doc.gaps.filter((g: { data: { code: string } }) => g.data.code === "timeout");
    expect(timeouts.map((g: { data: { query: string } }) => g.data.query)).toContain("signins-for-user");
    expect(timeouts[0].data.window).toMatchObject({ start: expect.any(String), end: expect.any(String) });
  }, 60_000);

  it("when nothing could be read, prints the error and no empty report; the document is not complete", async () => {
    const clock = new ManualClock(now);
    const emulator = await startTabletop({ clock, faults: { latencyMs: 0, rules: [{ match: { path: "/query", service: "logs" }, status: 500, times: 1000 }] } });
    track(emulator);
    const human = memoryIo();
    const out = mkdtempSync(join(tmpdir(), "azir-inv-"));
    expect(await main(["investigate", "alex@contoso.com", "--tabletop", "--out", out], human, { emulator, clock })).toBe(1);
    expect(human.err()).toContain("nothing could be read");
    expect(human.err().split("\n")[0]).toContain("nothing could be read");
    expect(human.err()).toContain("INCOMPLETE");
    expect(human.err()).not.toMatch(/none found|no evidence|data: complete/i);
    const { doc } = await investigate("alex@contoso.com", { latencyMs: 0, rules: [{ match: { path: "/query", service: "logs" }, status: 500, times: 1000 }] });
    expect(doc.complete).toBe(false);
  }, 60_000);

  it("without the sign-in table the audit log is still read, and nothing about sign-ins is called 'none'", async () => {
    const dir = mkdtempSync(join(tmpdir(), "azir-nosign-"));
    cpSync(join(process.cwd(), "scenarios", "contoso"), dir, { recursive: true });
    rmSync(join(dir, "SigninLogs.json"));
    const clock = new ManualClock(now);
    const emulator = await startTabletop({ clock, scenarioDir: dir });
    track(emulator);
    const io = memoryIo();
    expect(await main(["investigate", "alex@contoso.com", "--tabletop", dir, "--out", mkdtempSync(join(tmpdir(), "azir-inv-"))], io, { emulator, clock })).toBe(1);
    const err = io.err();
    expect(err.split("\n")[0]).toContain("data incomplete: signins");
    expect(err).toContain("audit.role-member-added");
    expect(err).toMatch(/device-code flow\s+not read/);
    expect(err).not.toMatch(/device-code flow\s+none/);
  }, 60_000);
});
