import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { main } from "../../src/cli/main.js";
import { systemClock } from "../../src/core/clock.js";
import { emulatorEnv, startTabletop, type Emulator, type FaultConfig } from "../../src/tabletop/index.js";
import type { tenantStateSchema } from "../../src/tabletop/scenario/schema.js";
import { readJournal, verifyJournal } from "../../src/timeline/journal.js";
import { memoryIo } from "../cli/io.js";
import { closeAfterEach } from "../helpers/close-after-each.js";

// Containment end to end: the CLI, the real SDK clients and the simulated tenant over HTTPS on 127.0.0.1.

const alexId = "4f1c9a2e-8b3d-4c6e-9a1f-2d7e5b8c3a10";
const attackerAuthenticator = "c2e4a6b8-0d2f-4a4c-9e6b-1f3d5a7c9e02"; // alex's default method, set by the attacker
const attackerPhone = "b6332ec1-7057-4abe-9331-3d72feddfe41"; // alternateMobile, dated by the audit log only
const ownPhone = "3179e48a-750b-4051-897c-87b9720928f7";
const ownAuthenticator = "6f1e3a5c-7b9d-4f2e-a4c6-8e0a2c4e6a81";
const password = "28c10230-6103-485e-b985-444c60001490";

const track = closeAfterEach<Emulator>();

async function tenant(options: { faults?: FaultConfig; scenarioDir?: string } = {}): Promise<Emulator> {
  const emulator = await startTabletop({ clock: systemClock, ...options });
  track(emulator);
  return emulator;
}

async function contain(emulator: Emulator, extra: string[] = []) {
  const out = mkdtempSync(join(tmpdir(), "azir-contain-"));
  const io = memoryIo();
  const code = await main(["contain", "alex@contoso.com", "--tabletop", "--yes", "--out", out, ...extra], io, { emulator });
  const dir = join(out, readdirSync(out)[0] ?? "");
  const file = existsSync(dir) ? join(dir, readdirSync(dir)[0]!) : "";
  return { code, io, journal: file };
}

/** Runs azir contain as its own process against the emulator and returns once the block is journaled. */
async function spawnUntilBlocked(emulator: Emulator, marker = '"kind":"action","mode"'): Promise<{ child: ReturnType<typeof spawn>; journal: string; env: NodeJS.ProcessEnv }> {
  const out = mkdtempSync(join(tmpdir(), "azir-proc-"));
  const env = { ...process.env, ...emulatorEnv(emulator), NO_COLOR: "1" };
  const child = spawn(process.execPath, ["bin/azir.js", "contain", "alex@contoso.com", "--yes", "--out", out], { env, stdio: "ignore" });
  let journal = "";
  for (let i = 0; i < 400 && !journal; i++) {
    await new Promise((r) => setTimeout(r, 25));
    const inc = existsSync(out) ? readdirSync(out)[0] : undefined;
    const file = inc ? readdirSync(join(out, inc)).find((f) => f.endsWith(".jsonl")) : undefined;
    if (file && readFileSync(join(out, inc!, file), "utf8").includes(marker)) journal = join(out, inc!, file);
  }
  return { child, journal, env };
}

/** tenant.json as written (before defaults and pinned times). */
type TenantJson = z.input<typeof tenantStateSchema>;

/** A copy of the Contoso scenario with its tenant.json edited: a variant of the built-in tenant. */
function variant(edit: (tenant: TenantJson) => void): string {
  const dir = mkdtempSync(join(tmpdir(), "azir-scn-"));
  cpSync(join(process.cwd(), "scenarios", "contoso"), dir, { recursive: true });
  const file = join(dir, "tenant.json");
  const t = JSON.parse(readFileSync(file, "utf8")) as TenantJson;
  edit(t);
  writeFileSync(file, JSON.stringify(t));
  return dir;
}

// The requests Graph ran: a $batch envelope is not one (its inner requests are logged each with the batch's id).
const writes = (emulator: Emulator) => emulator.requests().filter((r) => r.service === "graph" && r.method !== "GET" && !r.path.endsWith("/$batch"));
const methodIds = (emulator: Emulator) => (emulator.state().authenticationMethods[alexId] ?? []).map((m) => (m as { id: string }).id).sort();

describe("azir contain against the simulated tenant", () => {
  it("blocks, then revokes, then removes the attacker's methods (default last), then confirms compromised", async () => {
    const emulator = await tenant();
    const { code, io, journal } = await contain(emulator);
    expect(code, io.err()).toBe(0);

    // the emulator's received-request log: the order of the writes
    const sent = writes(emulator).filter((r) => r.status < 300);
    const kinds = sent.map((r) => (r.method === "PATCH" ? "block" : r.path.endsWith("revokeSignInSessions") ? "revoke" : r.method === "DELETE" ? "delete" : "confirm"));
    expect(kinds).toEqual(["block", "revoke", "delete", "delete", "confirm"]);
    // the default method (the attacker's authenticator) goes last
    const deletes = sent.filter((r) => r.method === "DELETE").map((r) => r.path);
    expect(deletes[0]).toContain(attackerPhone);
    expect(deletes[1]).toContain(attackerAuthenticator);

    // the state: blocked, attacker methods gone, the user's own kept, the password untouched
    const state = emulator.state();
    expect(state.users.find((u) => u.id === alexId)?.accountEnabled).toBe(false);
    expect(methodIds(emulator)).toEqual([password, ownPhone, ownAuthenticator].sort());
    expect(state.riskyUsers.find((u) => u.id === alexId)?.riskState).toBe("confirmedCompromised");

    // the journal: same order, a valid chain, and the verification plan
    const { events } = await readJournal(journal);
    const actionSteps = events.filter((e) => e.kind === "action").map((e) => e.step);
    expect(actionSteps).toEqual(["block", "revoke", "remove-methods", "remove-methods", "confirm-compromised"]);
    expect((await verifyJournal(journal)).ok).toBe(true);
    expect(events.some((e) => e.kind === "note" && /propagate/.test(e.summary))).toBe(true);
    expect(events.every((e) => e.mode === "tabletop")).toBe(true);
    expect(io.err()).toContain("azir verify alex@contoso.com --since");
    // what containment does not address is listed with the next step: the role the attacker's app granted, say
    expect(io.err()).toMatch(/Still open \(\d+\)/);
    expect(io.err()).toContain("added alex@contoso.com to role Global Administrator");
    expect(io.err()).toContain("next: azir harden flags and removes the role assignment made in the window");
    // and the persistence Still open lists is what azir harden covers
    expect(io.err()).toContain("app credentials, roles, consents, Conditional Access and mailbox forwarding: azir harden alex@contoso.com --tabletop");

    // reads are shared by the actions of the run: no Graph GET is sent twice (same path and query)
    const gets = emulator.requests().filter((r) => r.service === "graph" && r.method === "GET").map((r) => r.path);
    expect(gets.filter((p, i) => gets.indexOf(p) !== i)).toEqual([]);
  });

  it("a second run sends no write", async () => {
    const emulator = await tenant();
    expect((await contain(emulator)).code).toBe(0);
    const before = writes(emulator).length;
    const second = await contain(emulator);
    expect(second.code, second.io.err()).toBe(0);
    expect(writes(emulator).length).toBe(before);
    const { events } = await readJournal(second.journal);
    expect(events.filter((e) => e.kind === "action.skipped").map((e) => e.step)).toEqual(["block", "revoke", "remove-methods", "confirm-compromised"]);
  });

  it("--dry-run records every write with method, URL, body and permission, and changes nothing", async () => {
    const emulator = await tenant();
    const before = JSON.stringify(emulator.state());
    const { code, journal, io } = await contain(emulator, ["--dry-run"]);
    expect(code, io.err()).toBe(0);
    expect(writes(emulator)).toEqual([]);
    expect(JSON.stringify(emulator.state())).toBe(before);
    const { events } = await readJournal(journal);
    const planned = events.filter((e) => e.kind === "action.planned");
    expect(planned.map((e) => e.data.method)).toEqual(["PATCH", "POST", "DELETE", "DELETE", "POST"]);
    expect(planned[0]!.data).toMatchObject({ url: `${emulator.endpoints.graph}/v1.0/users/${alexId}`, body: { accountEnabled: false }, permission: expect.stringContaining("User.EnableDisableAccount.All") });
    expect(events.every((e) => e.mode === "tabletop-dry-run")).toBe(true);
  });

  it("an attacker-made default method: not deleted without leave (exit 1, the portal steps named); moved first with --change-default-method", async () => {
    const dir = mkdtempSync(join(tmpdir(), "azir-scn-"));
    cpSync(join(process.cwd(), "scenarios", "contoso"), dir, { recursive: true });
    const tenantFile = join(dir, "tenant.json");
    const t = JSON.parse(readFileSync(tenantFile, "utf8"));
    // the attacker made their phone the default: the registration report says voiceAlternateMobile, only it can be
    t.defaultMethods[alexId] = attackerPhone;
    writeFileSync(tenantFile, JSON.stringify(t));

    const refused = await tenant({ scenarioDir: dir });
    const first = await contain(refused);
    expect(first.code, first.io.err()).toBe(1);
    expect(first.io.err()).toContain("not done");
    expect(first.io.err()).toContain("--change-default-method");
    // no doomed deletion is sent: the default stays, the attacker's other method goes
    expect(writes(refused).filter((r) => r.status >= 400)).toEqual([]);
    expect(methodIds(refused)).toEqual([password, ownPhone, ownAuthenticator, attackerPhone].sort());

    const allowed = await tenant({ scenarioDir: dir });
    const second = await contain(allowed, ["--change-default-method"]);
    expect(second.code, second.io.err()).toBe(0);
    const methodWrites = writes(allowed).filter((r) => r.path.includes("/authentication/"));
    expect(methodWrites[0]).toMatchObject({ method: "PATCH", path: `/beta/users/${alexId}/authentication/signInPreferences`, status: 204 });
    expect(methodIds(allowed)).toEqual([password, ownPhone, ownAuthenticator].sort());
  });

  it("on a terminal, the responder settles the undecided methods: their choice is journaled, only the chosen go", async () => {
    const emulator = await tenant({ faults: { latencyMs: 0, rules: [{ match: { service: "logs", path: "/query$" }, status: 500, times: 1000 }] } });
    const out = mkdtempSync(join(tmpdir(), "azir-choose-"));
    const io = memoryIo();
    const offered: string[][] = [];
    const choose = async (_message: string, items: Array<{ value: string }>) => {
      offered.push(items.map((i) => i.value));
      return [attackerAuthenticator, attackerPhone];
    };
    const code = await main(["contain", "alex@contoso.com", "--tabletop", "--out", out], io, { emulator, prompt: async () => true, choose });
    // the scoping reads failed, so the run still fails; but the methods are settled and containment is shown
    expect(code, io.err()).toBe(1);
    expect(io.err()).toContain("remove Microsoft Authenticator (Pixel 7)");
    expect(offered[0]!.sort()).toEqual([attackerAuthenticator, attackerPhone, ownAuthenticator, ownPhone].sort());
    expect(methodIds(emulator)).toEqual([password, ownPhone, ownAuthenticator].sort());
    const dir = join(out, readdirSync(out)[0]!);
    const { events } = await readJournal(join(dir, readdirSync(dir)[0]!));
    expect(events.find((e) => e.kind === "note" && e.summary.startsWith("the responder decided:"))?.data).toMatchObject({
      decision: { chosen: [attackerAuthenticator, attackerPhone], kept: expect.arrayContaining([ownAuthenticator, ownPhone]) },
    });
  });

  it("partial sign-in data: no method is kept on its strength, nothing says 'no attacker-added methods remain', exit 1", async () => {
    const emulator = await tenant({ faults: { latencyMs: 0, rules: [{ match: { service: "logs", path: "/query$" }, partial: true, partialRows: 0, times: 1000 }] } });
    const { code, io } = await contain(emulator);
    expect(code, io.err()).toBe(1);
    expect(io.err()).toContain("INCOMPLETE");
    expect(io.err()).not.toContain("no attacker-added methods remain");
    expect(io.err()).toContain("not done");
    // the audit log was cut too: what containment leaves open is "not known", never "nothing"
    expect(io.err()).toContain("not known: app credentials, roles, consents and policy changes (the audit log) read only in part");
    expect(io.err()).not.toContain("nothing containment leaves open");
    expect(methodIds(emulator)).toContain(attackerAuthenticator);
  });

  it("a workspace without the non-interactive sign-in table still revokes and removes the attacker's methods; the missing table is a gap", async () => {
    const dir = mkdtempSync(join(tmpdir(), "azir-scn-"));
    cpSync(join(process.cwd(), "scenarios", "contoso"), dir, { recursive: true });
    rmSync(join(dir, "AADNonInteractiveUserSignInLogs.json"));
    const emulator = await tenant({ scenarioDir: dir });
    const { code, io, journal } = await contain(emulator);
    expect(code, io.err()).toBe(0);
    expect(writes(emulator).some((r) => r.path.endsWith("revokeSignInSessions") && r.status < 300)).toBe(true);
    expect(methodIds(emulator)).toEqual([password, ownPhone, ownAuthenticator].sort());
    // Log Analytics named the missing table in its nested error; the query ran without it, and the report says so
    const { events } = await readJournal(journal);
    expect(events.some((e) => e.kind === "gap" && e.data.code === "table-not-found" && /AADNonInteractiveUserSignInLogs/.test(String(e.data.reason)))).toBe(true);
    expect(io.err()).toContain("INCOMPLETE");
  });

  it("two contains of one user at once: one runs, the other is refused naming the holder, and no write is sent twice", async () => {
    const emulator = await tenant();
    const out = mkdtempSync(join(tmpdir(), "azir-twice-"));
    const [a, b] = [memoryIo(), memoryIo()];
    const codes = await Promise.all([a, b].map((io) => main(["contain", "alex@contoso.com", "--tabletop", "--yes", "--out", out], io, { emulator })));
    expect(codes.sort()).toEqual([0, 3]);
    expect(a.err() + b.err()).toContain("is in use by process");
    const blocks = writes(emulator).filter((r) => r.method === "PATCH" && r.path.endsWith(alexId));
    expect(blocks).toHaveLength(1);
  });

  it("a user who does not exist is refused before any step, with exit 2 and no incident folder", async () => {
    const emulator = await tenant();
    const out = mkdtempSync(join(tmpdir(), "azir-nouser-"));
    const io = memoryIo();
    const code = await main(["contain", "nobody@contoso.com", "--tabletop", "--yes", "--out", out], io, { emulator });
    expect(code).toBe(2);
    expect(io.err()).toContain("no user nobody@contoso.com in the directory");
    expect(readdirSync(out)).toEqual([]);
    // reads only (a $batch envelope carries the reads: its inner requests are logged each)
    expect(emulator.requests().filter((r) => r.service === "logs" || (r.service === "graph" && r.method !== "GET" && !r.path.endsWith("/$batch")))).toEqual([]);
  });

  it("an admin target without the needed role gets the explanatory error (exit 4)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "azir-scn-"));
    cpSync(join(process.cwd(), "scenarios", "contoso"), dir, { recursive: true });
    const tenantFile = join(dir, "tenant.json");
    const t = JSON.parse(readFileSync(tenantFile, "utf8"));
    t.operator.roles = ["Security Administrator"];
    writeFileSync(tenantFile, JSON.stringify(t));
    const emulator = await tenant({ scenarioDir: dir });
    const { code, io } = await contain(emulator);
    expect(code).toBe(4);
    expect(io.err()).toContain("Global Administrator");
    expect(io.err()).toContain("Privileged Authentication Administrator");
    expect(emulator.state().users.find((u) => u.id === alexId)?.accountEnabled).toBe(true);
  });

  it("an administrator through a role-assignable group, without the role to act on one: exit 4, the group-held role named, nothing changed", async () => {
    const emulator = await tenant({
      scenarioDir: variant((t) => {
        const group = "f1a2b3c4-0000-4000-8000-00000000ad01";
        t.groups = [{ id: group, displayName: "Finance Admins", isAssignableToRole: true, members: [alexId] }];
        // the attacker's Global Administrator now reaches alex through the group, not by alex's own assignment
        for (const a of t.roleAssignments ?? []) if (a.principalId === alexId) a.principalId = group;
        t.operator.roles = ["Security Administrator"];
      }),
    });
    const { code, io } = await contain(emulator);
    expect(code, io.err()).toBe(4);
    expect(io.err()).toContain("alex@contoso.com holds Global Administrator (through a group) and is a member of the role-assignable group Finance Admins");
    expect(io.err()).toContain('"Insufficient privileges to complete the operation."');
    expect(emulator.state().users.find((u) => u.id === alexId)?.accountEnabled).toBe(true);
    expect(writes(emulator).filter((r) => r.status < 300 && r.path.startsWith("/v1.0/users/"))).toEqual([]);
  });

  it("a user synchronised from AD DS: the block is refused with the steps in AD DS, revoke and the rest still run, exit 1", async () => {
    const emulator = await tenant({
      scenarioDir: variant((t) => Object.assign(t.users?.find((u) => u.id === alexId) ?? {}, { onPremisesSyncEnabled: true, onPremisesSamAccountName: "alex.wilber" })),
    });
    const { code, io, journal } = await contain(emulator);
    expect(code, io.err()).toBe(1);
    const err = io.err();
    expect(err).toContain("Unable to update the specified properties for on-premises mastered Directory Sync objects");
    expect(err).toContain("Disable-ADAccount -Identity alex.wilber");
    expect(err).toContain("Start-ADSyncSyncCycle -PolicyType Delta");
    // containment degrades: the revocation, the methods and Identity Protection are done without the block
    const state = emulator.state();
    expect(state.users.find((u) => u.id === alexId)?.accountEnabled).toBe(true);
    expect(writes(emulator).some((r) => r.path.endsWith("revokeSignInSessions") && r.status === 200)).toBe(true);
    expect(methodIds(emulator)).toEqual([password, ownPhone, ownAuthenticator].sort());
    expect(state.riskyUsers.find((u) => u.id === alexId)?.riskState).toBe("confirmedCompromised");
    const { events } = await readJournal(journal);
    expect(events.find((e) => e.kind === "note" && e.summary.includes("synchronised from on-premises Active Directory"))).toBeDefined();
    expect(events.filter((e) => e.kind === "action").map((e) => e.step)).toEqual(["revoke", "remove-methods", "remove-methods", "confirm-compromised"]);
  });

  it("a tenant without Entra ID P2: block, revoke and removal done; confirm compromised 'not done' for the licence, nothing sent to Identity Protection", async () => {
    const emulator = await tenant({ scenarioDir: variant((t) => void (t.licences = { entraIdP2: false })) });
    const { code, io, journal } = await contain(emulator);
    // the containment itself is complete; the one step the tenant cannot have says so and fails nothing
    expect(code, io.err()).toBe(0);
    const err = io.err();
    expect(err).toContain("not done the tenant has no Entra ID P2 licence (Identity Protection)");
    expect(err).toContain('Graph said "Your tenant is not licensed for this feature."');
    expect(err).not.toMatch(/lacks IdentityRiskyUser|needs IdentityRiskyUser/);
    const state = emulator.state();
    expect(state.users.find((u) => u.id === alexId)?.accountEnabled).toBe(false);
    expect(methodIds(emulator)).toEqual([password, ownPhone, ownAuthenticator].sort());
    expect(writes(emulator).filter((r) => r.path.includes("identityProtection"))).toEqual([]);
    // the list of confirmed users was asked for once, with the user's read, and its refusal given to the action
    const listed = emulator.requests().filter((r) => r.path === "/v1.0/identityProtection/riskyUsers");
    expect(listed).toHaveLength(1);
    const first = emulator.requests().find((r) => r.path === "/v1.0/users/alex@contoso.com");
    expect(listed[0]!.batchId).toBeDefined();
    expect(first?.batchId).toBe(listed[0]!.batchId);
    const { events } = await readJournal(journal);
    expect(events.filter((e) => e.kind === "action").map((e) => e.step)).toEqual(["block", "revoke", "remove-methods", "remove-methods"]);
    const skipped = events.find((e) => e.kind === "action.skipped" && e.step === "confirm-compromised");
    expect(skipped?.summary).toContain("not done: the tenant has no Entra ID P2 licence (Identity Protection)");
  });

  it("a 429 on revoke is retried and the run completes", async () => {
    const emulator = await tenant({ faults: { latencyMs: 0, rules: [{ match: { method: "POST", path: "revokeSignInSessions" }, status: 429, retryAfter: 0, times: 1 }] } });
    const { code, io } = await contain(emulator);
    expect(code, io.err()).toBe(0);
    const revokes = emulator.requests().filter((r) => r.path.endsWith("revokeSignInSessions"));
    expect(revokes.map((r) => r.status)).toEqual([429, 200]);
  });

  it("a failed scoping read does not stop containment: block and revoke go on, the methods need a decision, exit 1", async () => {
    const emulator = await tenant({ faults: { latencyMs: 0, rules: [{ match: { service: "logs", path: "/query$" }, status: 500, times: 1000 }] } });
    const { code, io, journal } = await contain(emulator);
    expect(code, io.err()).toBe(1);
    const state = emulator.state();
    expect(state.users.find((u) => u.id === alexId)?.accountEnabled).toBe(false);
    expect(writes(emulator).some((r) => r.path.endsWith("revokeSignInSessions") && r.status < 300)).toBe(true);
    // nothing is removed on a guess: every method but the password stays and is listed for a decision
    expect(methodIds(emulator)).toContain(attackerAuthenticator);
    const { events } = await readJournal(journal);
    const decision = events.find((e) => e.kind === "error" && e.data.code === "needs-decision");
    expect(decision?.step).toBe("remove-methods");
    expect((decision?.data as { items: Array<{ id: string }> }).items.map((m) => m.id).sort()).toEqual([attackerAuthenticator, attackerPhone, ownAuthenticator, ownPhone].sort());
    expect(events.some((e) => e.kind === "action.skipped" && e.step === "remove-methods")).toBe(false);
  });
});

describe("azir contain, killed and resumed", () => {
  it("SIGKILL after the block, then --resume, completes without blocking twice", async () => {
    // slow every request down so that the process can be killed between the block and the revoke
    const emulator = await tenant({ faults: { latencyMs: 250, rules: [] } });
    const { child, journal, env } = await spawnUntilBlocked(emulator);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect(journal).not.toBe("");
    expect(emulator.state().users.find((u) => u.id === alexId)?.accountEnabled).toBe(false);
    const blocksBefore = emulator.requests().filter((r) => r.method === "PATCH").length;
    expect(blocksBefore).toBe(1);

    const resumed = spawn(process.execPath, ["bin/azir.js", "run", "--resume", journal, "--as-recorded", "--yes"], { env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    resumed.stderr.on("data", (d) => (err += String(d)));
    const code = await new Promise<number | null>((r) => resumed.once("exit", r));
    expect(code, err).toBe(0);
    expect(emulator.requests().filter((r) => r.method === "PATCH").length).toBe(1);
    expect(methodIds(emulator)).toEqual([password, ownPhone, ownAuthenticator].sort());
    expect((await verifyJournal(journal)).ok).toBe(true);
    const { events } = await readJournal(journal);
    expect(events.some((e) => e.kind === "run.resumed")).toBe(true);
  }, 60_000);

  it("SIGINT finishes the requests in flight, starts no write, journals run.interrupted and exits 130", async () => {
    const emulator = await tenant({ faults: { latencyMs: 250, rules: [] } });
    // interrupted while the reads are in flight: the writes wait for every read, so none is started
    const { child, journal } = await spawnUntilBlocked(emulator, '"kind":"run.started"');
    child.kill("SIGINT");
    const code = await new Promise((r) => child.once("exit", r));
    expect(code).toBe(130);
    const { events } = await readJournal(journal);
    expect(events.at(-1)!.kind).toBe("run.interrupted");
    expect((await verifyJournal(journal)).ok).toBe(true);
    expect(writes(emulator)).toEqual([]);
    expect(emulator.state().users.find((u) => u.id === alexId)?.accountEnabled).toBe(true);
  }, 60_000);

  it("verify reports successful sign-ins after the containment time, and none after it in a clean tenant", async () => {
    const emulator = await tenant();
    const out = mkdtempSync(join(tmpdir(), "azir-verify-"));
    // the attacker's last successful sign-in in the scenario is about a day old: containment "two days ago" misses it
    const early = memoryIo();
    expect(await main(["verify", "alex@contoso.com", "--since", "2d", "--tabletop", "--json", "--out", out], early, { emulator })).toBe(1);
    const doc = JSON.parse(early.out());
    const hits = doc.findings.filter((f: { data: { code: string } }) => f.data.code === "contain.signin-after-containment");
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0].data.severity).toBe("critical");
    // taylor's last sign-in is about 18 hours old, and the tenant's sign-ins reach later than that: a clean answer
    const clean = memoryIo();
    expect(await main(["verify", "taylor@contoso.com", "--since", "18h", "--tabletop", "--out", out], clean, { emulator })).toBe(0);
    expect(clean.err()).toContain("no successful sign-in since containment in the sign-ins that have arrived (up to");
    // a minute ago: no sign-in of anyone has arrived since, so nothing can be said yet
    const now = memoryIo();
    expect(await main(["verify", "alex@contoso.com", "--since", "1m", "--tabletop", "--out", out], now, { emulator })).toBe(1);
    expect(now.err()).toContain("not known yet");
    expect(now.err()).not.toContain("no successful sign-in since containment");
  });

  it("verify with sign-in logs that arrive late says 'not known yet' and when to look again, never 'no sign-in'", async () => {
    // the workspace holds nothing of the last 20 hours (the emulator delays ingestion), so alex's late sign-ins are not there
    const emulator = await tenant({ faults: { latencyMs: 0, ingestionDelayMs: 20 * 3_600_000, rules: [] } });
    const io = memoryIo();
    expect(await main(["verify", "alex@contoso.com", "--since", "19h", "--tabletop", "--out", mkdtempSync(join(tmpdir(), "azir-late-"))], io, { emulator })).toBe(1);
    expect(io.err()).toContain("not known yet");
    expect(io.err()).toContain("check again after");
  });

  it("a dry run's journal cannot be resumed as a live run (its planned writes were never sent)", async () => {
    const emulator = await tenant();
    const { journal } = await contain(emulator, ["--dry-run"]);
    const io = memoryIo();
    expect(await main(["run", "--resume", journal, "--tabletop", "--yes"], io, { emulator })).toBe(2);
    expect(io.err()).toContain("was written in tabletop-dry-run mode");
    expect(writes(emulator)).toEqual([]);
  });

  it("verify without --since starts from the revocation recorded in the user's timeline", async () => {
    const emulator = await tenant();
    const out = mkdtempSync(join(tmpdir(), "azir-verify2-"));
    expect(await main(["contain", "alex@contoso.com", "--tabletop", "--yes", "--out", out], memoryIo(), { emulator })).toBe(0);
    const io = memoryIo();
    expect(await main(["verify", "alex@contoso.com", "--tabletop", "--out", out], io, { emulator })).toBe(1);
    expect(io.err()).toContain("since the last revocation in the timeline");
    // right after containment no sign-in has arrived since: the answer is "not known yet", never a clean one
    expect(io.err()).toContain("not known yet");
    const none = memoryIo();
    expect(await main(["verify", "sam@contoso.com", "--tabletop", "--out", out], none, { emulator })).toBe(2);
    expect(none.err()).toContain("pass --since");
    // only evidence counts: a journal whose chain no longer verifies is not a containment time
    const dir = join(out, readdirSync(out).find((d) => d.startsWith("alex-"))!);
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".jsonl")).map((f) => join(dir, f))) {
      writeFileSync(file, readFileSync(file, "utf8").replace('"summary":"', '"summary":"edited: '));
    }
    const edited = memoryIo();
    expect(await main(["verify", "alex@contoso.com", "--tabletop", "--out", out], edited, { emulator })).toBe(2);
    expect(edited.err()).toContain("no containment of alex@contoso.com found");
    // and a containment time in the future is refused
    const future = memoryIo();
    expect(await main(["verify", "alex@contoso.com", "--since", "2099-01-01T00:00:00Z", "--tabletop", "--out", out], future, { emulator })).toBe(2);
    expect(future.err()).toContain("is in the future");
  });
});

