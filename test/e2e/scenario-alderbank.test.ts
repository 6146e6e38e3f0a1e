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
import { readJournal } from "../../src/timeline/journal.js";
import { memoryIo } from "../cli/io.js";
import { closeAfterEach } from "../helpers/close-after-each.js";
import { scenarioExpected, type AlderbankExpected } from "../helpers/scenarios.js";

// The Alderbank scenario end to end: a tenant without Entra ID P2 (every sign-in's risk is hidden, no
// AADUserRiskEvents), a password spray that ends in IMAP and SMTP access, MFA fatigue, and a code-only authenticator
// app the attacker made the default. What azir must find without Identity Protection, and what containment must do
// with a default method only the audit log attributes.

const expected = scenarioExpected<AlderbankExpected>("alderbank");
const scenarioDir = resolveScenarioDir("alderbank");
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

/** `azir investigate <upn> --tabletop alderbank`: the human output (stderr) and, with json, the timeline document. */
async function investigate(upn: string, json: boolean) {
  const clock = new ManualClock(now);
  const emulator = await tenant(clock);
  const io = memoryIo();
  const out = mkdtempSync(join(tmpdir(), "azir-alder-"));
  const code = await main(["investigate", upn, "--tabletop", "alderbank", ...(json ? ["--json"] : []), "--out", out], io, { emulator, clock });
  return { code, io, doc: json ? (JSON.parse(io.out()) as { findings: DocFinding[]; incident: { start: string | null }; complete: boolean }) : undefined };
}

const top = (findings: DocFinding[]): Severity => findings.reduce<Severity>((acc, f) => (severityRank[f.data.severity] > severityRank[acc] ? f.data.severity : acc), "info");
const loud = (findings: DocFinding[]): string[] => findings.filter((f) => severityRank[f.data.severity] > severityRank.low).map((f) => `${f.data.severity} ${f.data.code}: ${f.summary}`);
const plantedStart = new Date(Date.parse(now) + parseDuration(expected.incidentStart)!);

describe("azir investigate on Alderbank (no Entra ID P2)", () => {
  it("finds the spray's IMAP success as the incident start by a new network and its signals, with every planted finding and nothing else", async () => {
    const { code, io, doc } = await investigate(victim, true);
    expect(code, io.err()).toBe(0);
    const findings = doc!.findings;
    const start = findings.find((f) => f.data.code === "incident.start");
    expect(start, "incident.start").toBeDefined();
    expect(Math.abs(Date.parse(start!.data.occurredAt) - plantedStart.getTime())).toBeLessThan(60_000);
    expect(start!.data.data).toMatchObject({ rule: expected.incidentStartRule, confidence: expected.incidentStartConfidence, signals: expected.incidentStartSignals, signinRisk: "hidden", baselineSufficient: true });
    expect((start!.data.data!["evidenceIds"] as string[])[0]).toBe(expected.incidentSignInId);
    const counts: Record<string, number> = {};
    for (const f of findings) counts[f.data.code] = (counts[f.data.code] ?? 0) + 1;
    expect(counts).toEqual(Object.fromEntries(expected.expectedFindings.map((e) => [e.code, e.count])));
    for (const e of expected.expectedFindings) expect(top(findings.filter((f) => f.data.code === e.code)), e.code).toBe(e.severity);
    // without a risk level, the high findings are the start and the attacker's security info
    expect(findings.some((f) => f.data.code === "signin.high-risk-success")).toBe(false);
  });

  it("the verdict names the start and says nothing is unread: a tenant without P2 has no AADUserRiskEvents to read", async () => {
    const { io, doc } = await investigate(victim, true);
    expect(doc!.incident.start).not.toBeNull();
    const human = await investigate(victim, false);
    const minute = `${new Date(doc!.incident.start!).toISOString().slice(0, 16)}Z`;
    expect(human.io.err().split("\n")[0]).toBe(`compromised since ${minute}: 3 high or critical finding(s)`);
    expect(human.io.err()).toContain("sign-in risk is hidden in this tenant (no Entra ID P2)");
    expect(doc!.complete, io.err()).toBe(true);
  });

  it("the next command it prints runs against the same scenario", async () => {
    const { io } = await investigate(victim, false);
    expect(io.err()).toContain(`next: azir contain ${victim} --tabletop alderbank`);
  });

  it("the traveller on her own compliant laptop and the spray's other targets raise nothing above low and no incident start", async () => {
    for (const upn of expected.benignUsers.filter((u) => !expected.benignDevices?.[u])) {
      const { code, doc } = await investigate(upn, true);
      expect(code).toBe(0);
      expect(loud(doc!.findings), upn).toEqual([]);
      expect(severityRank[top(doc!.findings)]).toBeLessThanOrEqual(severityRank[expected.benignMaxSeverity[upn]!]);
      expect(doc!.findings.some((f) => f.data.code === "incident.start"), upn).toBe(false);
      const want = expected.benignFindings[upn];
      if (want) {
        for (const w of want) {
          const got = doc!.findings.filter((f) => f.data.code === w.code);
          expect(got.map((f) => f.data.severity), `${upn} ${w.code}`).toEqual(Array(w.count).fill(w.severity));
          expect(got.every((f) => f.data.data?.["travel"] === true), `${upn} ${w.code} reads as travel`).toBe(true);
        }
      }
    }
  });

  it("omar, abroad on the compliant laptop he enrolled at the office before the trip, raises nothing above low and no incident start", async () => {
    const [upn] = Object.keys(expected.benignDevices ?? {});
    const { code, doc } = await investigate(upn!, true);
    expect(code).toBe(0);
    expect(loud(doc!.findings)).toEqual([]);
    expect(doc!.findings.some((f) => f.data.code === "incident.start")).toBe(false);
    for (const w of expected.benignFindings[upn!]!) expect(doc!.findings.filter((f) => f.data.code === w.code).map((f) => f.data.severity), w.code).toEqual(Array(w.count).fill(w.severity));
  });

  it("a benign user's verdict is 'no evidence of compromise', not INCOMPLETE for the risk table a tenant without P2 cannot have", async () => {
    const { io } = await investigate(expected.benignUsers[0]!, false);
    expect(io.err().split("\n")[0]).toMatch(/^no evidence of compromise in 14d \(data complete, read up to /);
  });
});

/** `azir contain dana@alderbank.example --tabletop alderbank --yes`: the exit code, the human output and the journal. */
async function contain(emulator: Emulator, extra: string[] = []) {
  const out = mkdtempSync(join(tmpdir(), "azir-alder-contain-"));
  const io = memoryIo();
  const code = await main(["contain", victim, "--tabletop", "alderbank", "--yes", "--out", out, ...extra], io, { emulator });
  const dir = join(out, readdirSync(out)[0] ?? "");
  const journal = existsSync(dir) ? join(dir, readdirSync(dir)[0]!) : "";
  return { code, io, journal };
}

const writes = (emulator: Emulator) => emulator.requests().filter((r) => r.service === "graph" && r.method !== "GET");
const methodIds = (emulator: Emulator) => (emulator.state().authenticationMethods[expected.victim.id] ?? []).map((m) => m.id).sort();
const [attackerToken] = expected.attackerMethodIds;

describe("azir contain on Alderbank: the attacker's code app is Dana's default", () => {
  it("without leave: blocks and revokes, keeps Dana's own methods, leaves the attacker's default token and names --change-default-method, exit 1", async () => {
    const emulator = await tenant(systemClock);
    const { code, io } = await contain(emulator);
    expect(code, io.err()).toBe(1);
    const state = emulator.state();
    expect(state.users.find((u) => u.id === expected.victim.id)?.accountEnabled).toBe(false);
    expect(writes(emulator).some((r) => r.path.endsWith("revokeSignInSessions") && r.status < 300)).toBe(true);
    expect(methodIds(emulator)).toEqual([...expected.ownMethodIds, ...expected.attackerMethodIds].sort());
    expect(state.defaultMethods[expected.victim.id]).toBe(expected.defaultMethodId);
    expect(io.err()).toContain("--change-default-method");
    expect(io.err()).toContain(attackerToken);
  });

  it("the audit log shows the attacker made the token the default: azir asks first, and sends no deletion Graph must refuse", async () => {
    const emulator = await tenant(systemClock);
    const { io } = await contain(emulator);
    expect(writes(emulator).filter((r) => r.status >= 400).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([]);
    expect(io.err()).toContain("not done");
  });

  it("with --change-default-method: the default moves to one of Dana's own methods, then the token (no creation date) goes on the strength of its audit registration; exit 0", async () => {
    const emulator = await tenant(systemClock);
    const { code, io, journal } = await contain(emulator, ["--change-default-method"]);
    expect(code, io.err()).toBe(0);
    const methodWrites = writes(emulator).filter((r) => r.path.includes("/authentication/"));
    expect(methodWrites.map((r) => [r.method, r.path.replace(/^\/(v1\.0|beta)\/users\/[^/]+/, ""), r.status])).toEqual([
      ["PATCH", "/authentication/signInPreferences", 204],
      ["DELETE", `/authentication/softwareOathMethods/${attackerToken}`, 204],
    ]);
    expect(methodIds(emulator)).toEqual([...expected.ownMethodIds].sort());
    expect(expected.ownMethodIds).toContain(emulator.state().defaultMethods[expected.victim.id]);
    // the token has no createdDateTime: the reason is its AuditLogs registration after the incident start
    const { events } = await readJournal(journal);
    const removal = events.find((e) => e.kind === "action" && e.step === "remove-methods" && e.summary.startsWith(`remove software OATH token ${attackerToken}`));
    expect(removal?.summary).toMatch(/softwareOath registered at .* by dana@alderbank\.example from 203\.0\.113\.47, at or after the incident start/);
    expect(io.err()).not.toContain("not done");
  });
});
