import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { systemClock } from "../../src/core/clock.js";
import { emulatorEnv, startTabletop, type Emulator, type FaultConfig } from "../../src/tabletop/index.js";
import { readJournal, verifyJournal } from "../../src/timeline/journal.js";
import { memoryIo } from "../cli/io.js";
import { closeAfterEach } from "../helpers/close-after-each.js";
import { bulkScenario, bulkUpn, bulkUserId } from "../helpers/bulk-tenant.js";

// Containment of many users at once, end to end: the CLI, the real Graph client (JSON batching) and the simulated
// tenant over HTTPS on 127.0.0.1.

const alexId = "4f1c9a2e-8b3d-4c6e-9a1f-2d7e5b8c3a10";
const morganId = "9f8e7d6c-5b4a-4392-8180-7f6e5d4c3b2a";
const attackerPhone = "b6332ec1-7057-4abe-9331-3d72feddfe41";

const track = closeAfterEach<Emulator>();

async function tenant(options: { faults?: FaultConfig; scenarioDir?: string } = {}): Promise<Emulator> {
  const emulator = await startTabletop({ clock: systemClock, ...options });
  track(emulator);
  return emulator;
}

async function contain(emulator: Emulator, args: string[], deps: { prompt?: (m: string) => Promise<boolean> } = {}) {
  const out = mkdtempSync(join(tmpdir(), "azir-bulk-"));
  const io = memoryIo();
  const code = await main(["contain", ...args, "--tabletop", "--out", out], io, { emulator, ...deps });
  const incidents = existsSync(out) ? readdirSync(out) : [];
  const dir = incidents[0] ? join(out, incidents[0]) : "";
  const journal = dir ? join(dir, readdirSync(dir).find((f) => f.endsWith(".jsonl"))!) : "";
  return { code, io, journal, incidents };
}

const usersFile = (lines: string[]): string => {
  const file = join(mkdtempSync(join(tmpdir(), "azir-users-")), "users.txt");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
};

/** The requests Graph ran (inner requests of a batch included, the $batch envelopes not). */
const ran = (emulator: Emulator) => emulator.requests().filter((r) => r.service === "graph" && !r.path.endsWith("/$batch"));
const writes = (emulator: Emulator) => ran(emulator).filter((r) => r.method !== "GET");
/** The HTTP requests that reached the Graph endpoint: envelopes and requests sent alone, not the inner ones. */
const httpRequests = (emulator: Emulator) => emulator.requests().filter((r) => r.service === "graph" && r.batchId === undefined);
const user = (emulator: Emulator, id: string) => emulator.state().users.find((u) => u.id === id);
const risk = (emulator: Emulator, id: string) => emulator.state().riskyUsers.find((u) => u.id === id)?.riskState;

describe("azir contain over several users", () => {
  it("contains 25 users as one incident after one confirmation that lists every write, grouped by user", async () => {
    const emulator = await tenant({ scenarioDir: bulkScenario(25) });
    const asked: string[] = [];
    const users = Array.from({ length: 25 }, (_, i) => bulkUpn(i + 1));
    const { code, io, journal, incidents } = await contain(emulator, ["--users-file", usersFile(users)], { prompt: async (m) => (asked.push(m), true) });
    expect(code, io.err()).toBe(0);
    // one confirmation, before the first write, with all 75 writes (block, revoke, confirm for each user)
    expect(asked).toEqual(["Send these 75 write(s)?"]);
    const err = io.err();
    expect(err).toContain("azir is about to make 75 change(s) for 25 user(s):");
    for (const upn of [bulkUpn(1), bulkUpn(13), bulkUpn(25)]) expect(err).toContain(`  ${upn} (3)`);
    expect(err.match(/permission: /g)).toHaveLength(75);
    // every user contained, in one incident with one journal
    for (let n = 1; n <= 25; n++) {
      expect(user(emulator, bulkUserId(n))?.accountEnabled).toBe(false);
      expect(risk(emulator, bulkUserId(n))).toBe("confirmedCompromised");
    }
    expect(incidents).toHaveLength(1);
    expect(err.match(/contained\s+user0/g)).toHaveLength(25);
    const { events } = await readJournal(journal);
    expect(events[0]?.kind).toBe("run.started");
    expect(String((events[0]!.data.params as Record<string, unknown>).users).split(",")).toEqual(users);
    expect((await verifyJournal(journal)).ok).toBe(true);
    // each user's writes kept the runbook's order: block, then revoke, then confirm-compromised
    for (const n of [1, 25]) {
      const own = writes(emulator).filter((r) => r.path.includes(bulkUserId(n)) || r.path.endsWith("confirmCompromised"));
      const order = own.map((r) => (r.method === "PATCH" ? "block" : r.path.endsWith("revokeSignInSessions") ? "revoke" : "confirm"));
      expect(order.indexOf("block")).toBeLessThan(order.indexOf("revoke"));
    }
    // batched: far fewer HTTP requests than requests run, and never more than 20 in a batch
    expect(httpRequests(emulator).length * 5).toBeLessThan(ran(emulator).length);
    const sizes = new Map<string, number>();
    for (const r of ran(emulator)) if (r.batchId) sizes.set(r.batchId, (sizes.get(r.batchId) ?? 0) + 1);
    expect(Math.max(...sizes.values())).toBeLessThanOrEqual(20);
    // the scoping queries went once for the 25 users: sign-ins, audit, OfficeActivity
    expect(emulator.requests().filter((r) => r.service === "logs")).toHaveLength(3);
    // nothing but a password to remove: the registration report (5 requests per 10 s) was not asked about anyone
    expect(ran(emulator).filter((r) => r.path.includes("userRegistrationDetails"))).toEqual([]);
  }, 60_000);

  it("alex and morgan in one incident: both contained, morgan's authenticator from before the scoped window kept, a section per user", async () => {
    const emulator = await tenant();
    const { code, io, incidents, journal } = await contain(emulator, ["alex@contoso.com", "morgan@contoso.com", "--yes"]);
    expect(code, io.err()).toBe(0);
    expect(incidents).toEqual([expect.stringMatching(/^alex-contoso-com-and-1-more-\d{8}$/)]);
    // the exports: a section per user, with what was done for that user
    const md = memoryIo();
    expect(await main(["timeline", "export", journal, "--format", "md"], md)).toBe(0);
    const text = md.out();
    const alex = text.slice(text.indexOf("### alex@contoso.com"), text.indexOf("### morgan@contoso.com"));
    expect(alex).toContain("block sign-in for alex@contoso.com");
    expect(alex).not.toContain("morgan@contoso.com");
    expect(text.slice(text.indexOf("### morgan@contoso.com"))).toContain("block sign-in for morgan@contoso.com");
    const html = memoryIo();
    expect(await main(["timeline", "export", journal, "--format", "html"], html)).toBe(0);
    expect(html.out()).toContain("<h2>morgan@contoso.com</h2>");
    expect(user(emulator, alexId)?.accountEnabled).toBe(false);
    expect(user(emulator, morganId)?.accountEnabled).toBe(false);
    expect(risk(emulator, morganId)).toBe("confirmedCompromised");
    // no incident start for morgan: his authenticator, 480 days old, predates the window read and is kept; nothing removed
    expect(emulator.state().authenticationMethods[morganId]).toHaveLength(2);
    const { events } = await readJournal(journal);
    const kept = events.find((e) => e.step === "u2-remove-methods" && e.kind === "step.completed")?.data.outputs as { kept: Array<{ reason: string }> };
    expect(kept.kept.map((m) => m.reason)).toContainEqual(expect.stringMatching(/^created at .*, before the scoped window \(since .*\), in which no incident start was found$/));
    expect(io.err()).toMatch(/contained\s+alex@contoso\.com/);
    expect(io.err()).toMatch(/contained\s+morgan@contoso\.com/);
    expect(io.err()).toContain("2 contained");
  });

  it("the scoping queries go once for several users, and each user's findings and outputs are those of the user alone", async () => {
    const findingsOf = async (journal: string, prefix: string) =>
      (await readJournal(journal)).events
        .filter((e) => (e.kind === "finding" || e.kind === "query") && e.step?.startsWith(prefix))
        // the scenario's times are pinned when its tenant starts: each run has its own
        .map((e) => JSON.stringify({ step: e.step!.slice(prefix.length), summary: e.summary, ...(e.kind === "query" ? { outputs: e.data.outputs } : {}) }).replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "<time>"));
    const both = await tenant();
    const bulk = await contain(both, ["alex@contoso.com", "morgan@contoso.com", "--yes"]);
    expect(bulk.code, bulk.io.err()).toBe(0);
    // three Log Analytics queries (sign-ins, audit, OfficeActivity) for the two users, not six
    expect(both.requests().filter((r) => r.service === "logs")).toHaveLength(3);
    for (const [upn, prefix] of [["alex@contoso.com", "u1-"], ["morgan@contoso.com", "u2-"]] as const) {
      const alone = await contain(await tenant(), [upn, "--yes"]);
      const own = await findingsOf(alone.journal, "");
      expect(own.length).toBeGreaterThan(3);
      // the steps' queries run at once: their events come in the order the answers did
      expect((await findingsOf(bulk.journal, prefix)).sort()).toEqual(own.sort());
    }
  }, 60_000);

  it("a partial answer to a query shared by several users is a gap for each of them, never a clean result", async () => {
    const emulator = await tenant({ faults: { latencyMs: 0, rules: [{ match: { service: "logs", path: "/query$" }, partial: true, partialRows: 0, times: 1000 }] } });
    const { code, io, journal } = await contain(emulator, ["alex@contoso.com", "morgan@contoso.com", "--yes"]);
    expect(code, io.err()).toBe(1);
    const { events } = await readJournal(journal);
    for (const step of ["u1-signins", "u2-signins", "u1-audit", "u2-audit"]) {
      expect(events.some((e) => e.kind === "gap" && e.step === step), step).toBe(true);
      expect(events.find((e) => e.kind === "query" && e.step === step)?.data.status).toBe("partial");
    }
    expect(io.err()).toMatch(/NOT CONTAINED alex@contoso\.com/);
    expect(io.err()).toMatch(/NOT CONTAINED morgan@contoso\.com/);
  });

  it("a user whose method azir cannot tell apart is NOT CONTAINED, named with the step that needs a decision; exit 1", async () => {
    // morgan's authenticator registered five days ago, inside the window, with no incident start to judge it by
    const dir = mkdtempSync(join(tmpdir(), "azir-morgan-"));
    cpSync(join(process.cwd(), "scenarios", "contoso"), dir, { recursive: true });
    const file = join(dir, "tenant.json");
    const scenario = JSON.parse(readFileSync(file, "utf8")) as { authenticationMethods: Record<string, Array<Record<string, unknown>>> };
    scenario.authenticationMethods[morganId]![1]!.createdDateTime = "-5d";
    writeFileSync(file, JSON.stringify(scenario));
    const emulator = await tenant({ scenarioDir: dir });
    const { code, io, journal } = await contain(emulator, ["alex@contoso.com", "morgan@contoso.com", "--yes"]);
    expect(code, io.err()).toBe(1);
    const md = memoryIo();
    expect(await main(["timeline", "export", journal, "--format", "md"], md)).toBe(0);
    expect(md.out().slice(md.out().indexOf("### morgan@contoso.com"))).toMatch(/error: .*needs a decision/);
    expect(user(emulator, morganId)?.accountEnabled).toBe(false);
    expect(io.err()).toMatch(/NOT CONTAINED morgan@contoso\.com\n\s+remove-methods: needs-decision/);
    expect(io.err()).toContain("1 contained, 1 not fully contained");
  });

  it("a protected account in the list is refused on its own; the others are contained; exit 1", async () => {
    const emulator = await tenant({ scenarioDir: bulkScenario(3) });
    const cfg = join(mkdtempSync(join(tmpdir(), "azir-cfg-")), "azir.config.yaml");
    writeFileSync(cfg, `protectedAccounts: [${bulkUpn(2)}]\n`);
    const { code, io } = await contain(emulator, [bulkUpn(1), bulkUpn(2), bulkUpn(3), "--yes", "--config", cfg]);
    expect(code, io.err()).toBe(1);
    expect(user(emulator, bulkUserId(1))?.accountEnabled).toBe(false);
    expect(user(emulator, bulkUserId(3))?.accountEnabled).toBe(false);
    expect(user(emulator, bulkUserId(2))?.accountEnabled).toBe(true);
    expect(ran(emulator).filter((r) => r.path.includes(bulkUserId(2)))).toEqual([]);
    expect(io.err()).toMatch(/REFUSED\s+user002@contoso\.com\n\s+refused: a protected account/);
    expect(io.err()).toContain("2 contained, 1 not fully contained");
  });

  it("a bad entry refuses the whole list before anything is sent (exit 2), naming where it is", async () => {
    const emulator = await tenant();
    const { code, io, incidents } = await contain(emulator, ["alex@contoso.com", "--users-file", usersFile(["morgan@contoso.com", "# a comment", "x'; drop", ""]), "--yes"]);
    expect(code).toBe(2);
    expect(io.err()).toMatch(/users\.txt:3: "x'; drop"/);
    expect(emulator.requests()).toEqual([]);
    expect(incidents).toEqual([]);
  });

  it("--users-from takes the users the device-code hunt flagged (its --json)", async () => {
    const emulator = await tenant();
    const hunt = memoryIo();
    expect(await main(["hunt", "device-code", "--tabletop", "--json", "--out", mkdtempSync(join(tmpdir(), "azir-hunt-"))], hunt, { emulator })).toBe(0);
    const file = join(mkdtempSync(join(tmpdir(), "azir-from-")), "hunt.json");
    writeFileSync(file, hunt.out());
    const flagged = [...new Set((JSON.parse(hunt.out()) as { findings: Array<{ data: { subject?: string } }> }).findings.map((f) => f.data.subject))];
    const { code, io, journal } = await contain(emulator, ["--users-from", file, "--dry-run"]);
    expect(code, io.err()).toBeLessThanOrEqual(1);
    const { events } = await readJournal(journal);
    expect(String((events[0]!.data.params as Record<string, unknown>).users).split(",")).toEqual(flagged);
    expect(flagged).toContain("alex@contoso.com");
    expect(writes(emulator)).toEqual([]);
  });

  it("a second run over the same users sends no write", async () => {
    const emulator = await tenant({ scenarioDir: bulkScenario(4) });
    const users = [1, 2, 3, 4].map(bulkUpn);
    expect((await contain(emulator, [...users, "--yes"])).code).toBe(0);
    const before = writes(emulator).length;
    // a block and a revoke per user; confirm-compromised for all four in one request (it takes a list of users)
    expect(writes(emulator).map((r) => (r.method === "PATCH" ? "block" : r.path.endsWith("revokeSignInSessions") ? "revoke" : "confirm")).sort()).toEqual([...Array(4).fill("block"), "confirm", ...Array(4).fill("revoke")]);
    expect(before).toBe(9);
    const second = await contain(emulator, [...users, "--yes"]);
    expect(second.code, second.io.err()).toBe(0);
    expect(writes(emulator).length).toBe(before);
  });
});

describe("Graph JSON batching under the write gate", () => {
  it("one user's ordered writes go in one $batch, chained by dependsOn, once every write is decided (confirmation)", async () => {
    const emulator = await tenant();
    const { code, io } = await contain(emulator, ["alex@contoso.com"], { prompt: async () => true });
    expect(code, io.err()).toBe(0);
    const sent = writes(emulator);
    expect(sent.map((r) => (r.method === "PATCH" ? "block" : r.path.endsWith("revokeSignInSessions") ? "revoke" : r.method === "DELETE" ? "delete" : "confirm"))).toEqual([
      "block",
      "revoke",
      "delete",
      "delete",
      "confirm",
    ]);
    // the block, the revoke and the deletions leave together
    expect(new Set(sent.slice(0, 4).map((r) => r.batchId)).size).toBe(1);
    expect(sent[0]!.batchId).toBeDefined();
  });

  it("an inner 429 is sent again alone, after its Retry-After; the requests beside it are not repeated", async () => {
    const emulator = await tenant({ faults: { latencyMs: 0, rules: [{ match: { method: "POST", path: "revokeSignInSessions" }, status: 429, retryAfter: 0, times: 1 }] } });
    const { code, io } = await contain(emulator, ["alex@contoso.com"], { prompt: async () => true });
    expect(code, io.err()).toBe(0);
    const revokes = ran(emulator).filter((r) => r.path.endsWith("revokeSignInSessions"));
    expect(revokes.map((r) => r.status)).toEqual([429, 200]);
    expect(revokes[0]!.batchId).toBeDefined();
    expect(ran(emulator).filter((r) => r.method === "PATCH")).toHaveLength(1);
    expect(user(emulator, alexId)?.accountEnabled).toBe(false);
  });

  it("a deletion that fails does not stop confirm-compromised; a refused block gets revoke a 424, then revoke is sent on its own", async () => {
    const emulator = await tenant({
      faults: {
        latencyMs: 0,
        rules: [
          { match: { method: "DELETE", path: attackerPhone }, status: 500, times: 100 },
          { match: { method: "PATCH", path: `/users/${alexId}` }, status: 500, times: 100 },
        ],
      },
    });
    const { code } = await contain(emulator, ["alex@contoso.com"], { prompt: async () => true });
    expect(code).toBe(1);
    // the block failed (500): its dependent revoke answered 424 inside the batch, and went again once the block was final
    const revokePath = `/v1.0/users/${alexId}/revokeSignInSessions`;
    const revokes = ran(emulator).filter((r) => r.path === revokePath);
    expect(revokes.map((r) => r.status)).toEqual([424, 200]);
    expect(revokes[0]!.dependsOn).toEqual([`PATCH /v1.0/users/${alexId}`]);
    // the deletions depend on the revoke (424 behind it, then the phone's own 500, sent again since a DELETE is
    // idempotent, until the retries run out)
    const phone = ran(emulator).filter((r) => r.method === "DELETE" && r.path.includes(attackerPhone));
    expect(phone.slice(0, 2).map((r) => r.status)).toEqual([424, 500]);
    expect(phone.length).toBeGreaterThan(2);
    expect(phone.slice(2).every((r) => r.status === 500)).toBe(true);
    expect(phone[0]!.dependsOn).toEqual([`POST ${revokePath}`]);
    // confirm-compromised never depends on a deletion: it went, and the user is confirmed compromised
    const confirms = ran(emulator).filter((r) => r.path.endsWith("confirmCompromised"));
    expect(confirms.at(-1)?.status).toBe(204);
    expect(confirms.flatMap((r) => r.dependsOn ?? []).filter((d) => d.startsWith("DELETE"))).toEqual([]);
    expect(risk(emulator, alexId)).toBe("confirmedCompromised");
  });
});

describe("pacing within Graph's budgets", () => {
  it("500 users against a tenant that enforces Graph's budgets: every user contained, not one 429", async () => {
    const emulator = await tenant({ scenarioDir: bulkScenario(500, { budgets: true }) });
    const users = Array.from({ length: 500 }, (_, i) => bulkUpn(i + 1));
    const { code, io } = await contain(emulator, ["--users-file", usersFile(users), "--yes"]);
    expect(code, io.err().slice(-2000)).toBe(0);
    expect(emulator.requests().filter((r) => r.status === 429)).toEqual([]);
    expect(io.err()).toContain("500 contained, 0 not fully contained");
    // Identity Protection: one read of the users already confirmed, then confirm-compromised 50 users a request,
    // each at least a second after the answer to the one before
    const ip = ran(emulator).filter((r) => r.path.includes("/identityProtection/"));
    expect(ip.map((r) => r.method)).toEqual(["GET", ...Array(10).fill("POST")]);
    const times = ip.map((r) => Date.parse(r.time));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(990);
  }, 120_000);

  it("recovers when Identity Protection throttles anyway (429 without Retry-After): sent again, after a pause", async () => {
    const emulator = await tenant({ scenarioDir: bulkScenario(3), faults: { latencyMs: 0, rules: [{ match: { method: "POST", path: "confirmCompromised" }, status: 429, times: 1 }] } });
    const { code, io } = await contain(emulator, [1, 2, 3].map(bulkUpn).concat("--yes"));
    expect(code, io.err()).toBe(0);
    expect(ran(emulator).filter((r) => r.path.endsWith("confirmCompromised")).map((r) => r.status)).toEqual([429, 204]);
    for (const n of [1, 2, 3]) expect(risk(emulator, bulkUserId(n))).toBe("confirmedCompromised");
  });
});

describe("azir contain over several users, killed and resumed", () => {
  it("SIGKILL in the middle of a bulk run, then --resume: every user contained, no write sent twice", async () => {
    // Identity Protection throttles the confirm-compromised of the six users (one request) with Retry-After 30 s: the
    // run is killed while it waits, with every block and revoke sent and no confirmation yet
    const emulator = await tenant({
      scenarioDir: bulkScenario(6),
      faults: { latencyMs: 100, rules: [{ match: { method: "POST", path: "confirmCompromised" }, status: 429, retryAfter: 30, times: 1 }] },
    });
    const out = mkdtempSync(join(tmpdir(), "azir-bulk-proc-"));
    const env = { ...process.env, ...emulatorEnv(emulator), NO_COLOR: "1" };
    const users = [1, 2, 3, 4, 5, 6].map(bulkUpn);
    const child = spawn(process.execPath, ["bin/azir.js", "contain", ...users, "--yes", "--out", out], { env, stdio: "ignore" });
    let journal = "";
    for (let i = 0; i < 400 && !journal; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const inc = existsSync(out) ? readdirSync(out)[0] : undefined;
      const file = inc ? readdirSync(join(out, inc)).find((f) => f.endsWith(".jsonl")) : undefined;
      if (file && readFileSync(join(out, inc!, file), "utf8").includes('"kind":"action","mode"') && writes(emulator).some((r) => r.status === 429)) journal = join(out, inc!, file);
    }
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect(journal).not.toBe("");
    expect(writes(emulator).filter((r) => r.status < 300)).toHaveLength(12);
    expect(writes(emulator).filter((r) => r.status === 429)).toHaveLength(1);

    const resumed = spawn(process.execPath, ["bin/azir.js", "run", "--resume", journal, "--as-recorded", "--yes"], { env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    resumed.stderr.on("data", (d) => (err += String(d)));
    const code = await new Promise<number | null>((r) => resumed.once("exit", r));
    expect(code, err).toBe(0);
    for (let n = 1; n <= 6; n++) {
      expect(user(emulator, bulkUserId(n))?.accountEnabled).toBe(false);
      expect(risk(emulator, bulkUserId(n))).toBe("confirmedCompromised");
      // each change made once: a block sent once, a revoke at most once per user
      expect(ran(emulator).filter((r) => r.method === "PATCH" && r.path.endsWith(bulkUserId(n)) && r.status < 300)).toHaveLength(1);
      expect(ran(emulator).filter((r) => r.path.endsWith(`${bulkUserId(n)}/revokeSignInSessions`) && r.status < 300)).toHaveLength(1);
    }
    expect((await verifyJournal(journal)).ok).toBe(true);
    const { events } = await readJournal(journal);
    expect(events.some((e) => e.kind === "run.resumed")).toBe(true);
  }, 60_000);
});
