import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { severityRank, type Severity } from "../../src/analyze/types.js";
import { main } from "../../src/cli/main.js";
import { ManualClock, systemClock, type Clock } from "../../src/core/clock.js";
import { parseDuration } from "../../src/core/duration.js";
import { startTabletop, type Emulator } from "../../src/tabletop/index.js";
import { resolveScenarioDir } from "../../src/tabletop/scenario/load.js";
import { memoryIo } from "../cli/io.js";
import { closeAfterEach } from "../helpers/close-after-each.js";
import { scenarioExpected, type KestrelExpected } from "../helpers/scenarios.js";

// The Kestrel scenario end to end: a workspace that holds five days of Entra logs (no baseline of anyone's networks),
// device-code phishing that Identity Protection rated high and the victim's own MFA remediated, then a device
// registered with the broker's token and a Windows Hello key on it. The start must come from the risk rule with a
// lower confidence, and everything azir prints must say there is no baseline.

const expected = scenarioExpected<KestrelExpected>("kestrel");
const scenarioDir = resolveScenarioDir("kestrel");
const now = "2026-11-25T12:00:00.000Z";
const victim = expected.victim.upn;

interface DocFinding {
  summary: string;
  data: { code: string; severity: Severity; occurredAt: string; data?: Record<string, unknown> };
}

const track = closeAfterEach<Emulator>();

async function tenant(clock: Clock): Promise<Emulator> {
  const emulator = await startTabletop({ scenarioDir, clock });
  track(emulator);
  return emulator;
}

async function run(args: string[]) {
  const clock = new ManualClock(now);
  const emulator = await tenant(clock);
  const io = memoryIo();
  const out = mkdtempSync(join(tmpdir(), "azir-kestrel-"));
  const code = await main([...args, "--tabletop", "kestrel", "--out", out], io, { emulator, clock });
  return { code, io };
}

async function investigate(upn: string) {
  const { code, io } = await run(["investigate", upn, "--json"]);
  return { code, io, doc: JSON.parse(io.out()) as { findings: DocFinding[]; incident: { start: string | null }; complete: boolean } };
}

const top = (findings: DocFinding[]): Severity => findings.reduce<Severity>((acc, f) => (severityRank[f.data.severity] > severityRank[acc] ? f.data.severity : acc), "info");
const plantedStart = new Date(Date.parse(now) + parseDuration(expected.incidentStart)!);

describe("azir investigate on Kestrel (five days of history)", () => {
  it("the device-code sign-in is the incident start by the high-risk rule, one step less sure without a baseline; every planted finding and nothing else", async () => {
    const { code, io, doc } = await investigate(victim);
    expect(code, io.err()).toBe(0);
    expect(doc.complete).toBe(true);
    const start = doc.findings.find((f) => f.data.code === "incident.start");
    expect(start, "incident.start").toBeDefined();
    expect(Math.abs(Date.parse(start!.data.occurredAt) - plantedStart.getTime())).toBeLessThan(60_000);
    expect(start!.data.data).toMatchObject({ rule: expected.incidentStartRule, confidence: expected.incidentStartConfidence, signals: expected.incidentStartSignals, baselineSufficient: false, signinRisk: "evaluated" });
    expect(start!.summary).toContain("no baseline");
    const counts: Record<string, number> = {};
    for (const f of doc.findings) counts[f.data.code] = (counts[f.data.code] ?? 0) + 1;
    expect(counts).toEqual(Object.fromEntries(expected.expectedFindings.map((e) => [e.code, e.count])));
    for (const e of expected.expectedFindings) expect(top(doc.findings.filter((f) => f.data.code === e.code)), e.code).toBe(e.severity);
    const noBaseline = doc.findings.find((f) => f.data.code === "signin.no-baseline");
    expect(noBaseline!.data.data).toMatchObject(expected.baselineOutput);
  });

  it("the human output gives the start's rule and medium confidence and says there is no baseline", async () => {
    const { io } = await run(["investigate", victim]);
    const lines = io.err().split("\n");
    expect(lines[0]).toMatch(/^compromised since 2026-11-\d\dT\d\d:\d\dZ: \d+ high or critical finding\(s\)$/);
    expect(io.err()).toContain(`(rule: ${expected.incidentStartRule}, confidence ${expected.incidentStartConfidence})`);
    expect(io.err()).toMatch(/no baseline: only 0 day\(s\) of sign-in history before the window/);
  });

  it("the attacker's session after the start, on the device they registered, is among the flagged sign-ins", async () => {
    const { io } = await run(["investigate", victim]);
    const flagged = io.err().split("\n\n").find((block) => block.startsWith("Flagged sign-ins")) ?? "";
    // every address the attacker used after the device-code sign-in, not just the first
    for (const ip of expected.attackerIps) expect(flagged, ip).toContain(ip);
  });

  it("the new workstation's enrolment, the remediated medium-risk sign-in abroad and the other users raise nothing above low", async () => {
    for (const upn of expected.benignUsers) {
      const { code, doc } = await investigate(upn);
      expect(code).toBe(0);
      const loud = doc.findings.filter((f) => severityRank[f.data.severity] > severityRank[expected.benignMaxSeverity[upn]!]);
      expect(loud.map((f) => `${f.data.severity} ${f.data.code}`), upn).toEqual([]);
      expect(doc.findings.some((f) => f.data.code === "incident.start"), upn).toBe(false);
    }
    // the enrolment is in the audit log and is read: the device and its Hello key, both routine
    const [enroller] = Object.keys(expected.benignDevices ?? {});
    const { doc } = await investigate(enroller!);
    expect(doc.findings.filter((f) => f.data.code === "audit.device-registered").map((f) => f.data.severity)).toEqual(["info", "info", "info"]);
  });

  it("a benign user's verdict says there is no baseline, not 'no evidence in 14d (data complete)' over five days of data", async () => {
    const { io } = await run(["investigate", expected.benignUsers[0]!]);
    expect(io.err().split("\n")[0]).toContain("no baseline");
  });

  it("the device-code hunt lists the victim", async () => {
    const { code, io } = await run(["hunt", "device-code"]);
    expect(code, io.err()).toBe(0);
    for (const row of expected.deviceCodeHunt) expect(io.err()).toMatch(new RegExp(`${row.upn.replace(/\./g, "\\.")}\\s+${row.signIns}\\s+${row.distinctIps}\\s`));
  });
});

async function contain(emulator: Emulator) {
  const out = mkdtempSync(join(tmpdir(), "azir-kestrel-contain-"));
  const io = memoryIo();
  const code = await main(["contain", victim, "--tabletop", "kestrel", "--yes", "--out", out], io, { emulator });
  const dir = join(out, readdirSync(out)[0] ?? "");
  return { code, io, journal: existsSync(dir) ? join(dir, readdirSync(dir)[0]!) : "" };
}

const methodIds = (emulator: Emulator) => (emulator.state().authenticationMethods[expected.victim.id] ?? []).map((m) => m.id).sort();

describe("azir contain on Kestrel", () => {
  it("removes the Hello key created on the attacker's device after the start, keeps Noor's own (her own Hello key too), exit 0; Still open names the registered device", async () => {
    const emulator = await tenant(systemClock);
    const { code, io } = await contain(emulator);
    expect(code, io.err()).toBe(0);
    expect(emulator.state().users.find((u) => u.id === expected.victim.id)?.accountEnabled).toBe(false);
    expect(methodIds(emulator)).toEqual([...expected.ownMethodIds].sort());
    const deletes = emulator.requests().filter((r) => r.service === "graph" && r.method === "DELETE");
    expect(deletes.map((r) => [r.path.replace(/^\/v1\.0\/users\/[^/]+/, ""), r.status])).toEqual([[`/authentication/windowsHelloForBusinessMethods/${expected.attackerMethodIds[0]}`, 204]]);
    expect(io.err()).toMatch(/Still open \(\d+\)/);
    expect(io.err()).toContain(`Register device: ${expected.attackerDevice.displayName}`);
    expect(io.err()).toContain("next: delete the device the attacker registered");
  });

  it("says the start it acted on has medium confidence and that there is no baseline", async () => {
    const emulator = await tenant(systemClock);
    const { io } = await contain(emulator);
    const startLine = io.err().split("\n").find((l) => l.startsWith("incident start:")) ?? "";
    expect(startLine).toContain(`confidence ${expected.incidentStartConfidence}`);
    expect(io.err()).toContain("no baseline");
  });
});
