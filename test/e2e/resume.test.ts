import { request } from "node:https";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { systemClock } from "../../src/core/clock.js";
import { startTabletop, type Emulator } from "../../src/tabletop/index.js";
import { computeEventHash } from "../../src/timeline/canonical.js";
import { readJournal, verifyJournal } from "../../src/timeline/journal.js";
import { memoryIo } from "../cli/io.js";
import { closeAfterEach } from "../helpers/close-after-each.js";

// Resume re-checks the tenant, and does not let the journal alone decide who or what is acted on.

const alexId = "4f1c9a2e-8b3d-4c6e-9a1f-2d7e5b8c3a10";
const samId = "7b2d4f6a-1c3e-4a5b-9d8f-0e1a2b3c4d5e";

const track = closeAfterEach<Emulator>();

async function tenant(): Promise<Emulator> {
  const emulator = await startTabletop({ clock: systemClock });
  track(emulator);
  return emulator;
}

/** One request to the emulator's Graph with a token it issued, as another administrator of the tenant would send it. */
function graph(emulator: Emulator, method: string, path: string, body?: unknown): Promise<number> {
  const token = emulator.issueToken({ scope: "https://graph.microsoft.com/.default" });
  const url = new URL(`${emulator.endpoints.graph}/v1.0${path}`);
  const text = body === undefined ? "" : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca: emulator.caPem, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(text);
  });
}

async function contain(emulator: Emulator, upn = "alex@contoso.com"): Promise<{ code: number; journal: string; out: string }> {
  const out = mkdtempSync(join(tmpdir(), "azir-resume-"));
  const code = await main(["contain", upn, "--tabletop", "--yes", "--out", out], memoryIo(), { emulator });
  const dir = join(out, readdirSync(out)[0] ?? "");
  const journal = existsSync(dir) ? join(dir, readdirSync(dir).find((f) => f.endsWith(".jsonl"))!) : "";
  return { code, journal, out };
}

const graphWrites = (emulator: Emulator) => emulator.requests().filter((r) => r.service === "graph" && r.method !== "GET" && !r.path.endsWith("/$batch"));
const enabled = (emulator: Emulator, id: string) => emulator.state().users.find((u) => u.id === id)?.accountEnabled;

/** Rewrites a journal line by line and re-hashes the chain, as anyone who can write the file can (SHA-256 needs no key). */
function rewrite(path: string, edit: (event: Record<string, unknown>) => void): void {
  let prev = "0".repeat(64);
  const lines = readFileSync(path, "utf8").trimEnd().split("\n").map((line) => {
    const event = JSON.parse(line) as Record<string, unknown>;
    edit(event);
    event.prev = prev;
    delete event.mac;
    event.hash = computeEventHash(event);
    prev = event.hash as string;
    return JSON.stringify(event);
  });
  writeFileSync(path, `${lines.join("\n")}\n`);
}

describe("resume re-checks what the earlier run completed", () => {
  it("an account re-enabled after the block is blocked again on resume, the sessions revoked again, and the regression journaled", async () => {
    const emulator = await tenant();
    const first = await contain(emulator);
    expect(first.code).toBe(0);
    expect(enabled(emulator, alexId)).toBe(false);
    // someone (the attacker, with a role of their own) turns the account back on
    expect(await graph(emulator, "PATCH", `/users/${alexId}`, { accountEnabled: true })).toBe(204);
    expect(enabled(emulator, alexId)).toBe(true);
    const before = graphWrites(emulator).length;

    const io = memoryIo();
    const code = await main(["run", "contain-user", "--param", "upn=alex@contoso.com", "--resume", first.journal, "--tabletop", "--yes"], io, { emulator });
    expect(code, io.err()).toBe(0);
    expect(enabled(emulator, alexId)).toBe(false);
    const again = graphWrites(emulator).slice(before);
    // the block again, then the revocation (sessions issued while the account was enabled); nothing else
    expect(again.map((r) => `${r.method} ${r.path.replace(/^\/v1\.0/, "")}`)).toEqual([`PATCH /users/${alexId}`, `POST /users/${alexId}/revokeSignInSessions`]);
    const { events } = await readJournal(first.journal);
    const regressed = events.filter((e) => e.kind === "finding" && e.data.code === "containment-regressed");
    expect(regressed.map((e) => e.step)).toEqual(["block", "revoke"]);
    expect(events.filter((e) => e.kind === "note" && e.data.recheck === "in-effect").map((e) => e.step).sort()).toEqual(["confirm-compromised", "remove-methods"]);
    expect((await verifyJournal(first.journal)).ok).toBe(true);
  }, 60_000);

  it("a finished harden run resumed: every completed action is read again, holds, and nothing is sent again", async () => {
    const emulator = await tenant();
    const out = mkdtempSync(join(tmpdir(), "azir-resume-"));
    const prompt = async () => true;
    const first = memoryIo();
    expect(await main(["harden", "alex@contoso.com", "--tabletop", "--yes", "--out", out], first, { emulator, prompt }), first.err()).toBe(0);
    const dir = join(out, readdirSync(out)[0]!);
    const journal = join(dir, readdirSync(dir).find((f) => f.endsWith(".jsonl"))!);
    const before = graphWrites(emulator).length;
    expect(before).toBeGreaterThan(0);
    const io = memoryIo();
    expect(await main(["run", "harden-user", "--param", "upn=alex@contoso.com", "--resume", journal, "--tabletop", "--yes"], io, { emulator, prompt }), io.err()).toBe(0);
    expect(graphWrites(emulator).slice(before)).toEqual([]);
    const { events } = await readJournal(journal);
    expect(events.some((e) => e.kind === "finding" && e.data.code === "containment-regressed")).toBe(false);
    expect(events.filter((e) => e.kind === "note" && e.data.recheck === "in-effect").length).toBeGreaterThanOrEqual(3);
  }, 90_000);

  it("a resume whose re-check cannot read the tenant does not exit 0", async () => {
    const emulator = await tenant();
    const first = await contain(emulator);
    expect(first.code).toBe(0);
    emulator.setFaults({ rules: [{ match: { path: `^/v1\\.0/users/(alex|${alexId})`, method: "GET" }, status: 500, times: 1000 }] });
    const io = memoryIo();
    const code = await main(["run", "contain-user", "--param", "upn=alex@contoso.com", "--resume", first.journal, "--tabletop", "--yes"], io, { emulator });
    expect(code, io.err()).not.toBe(0);
  }, 60_000);
});

describe("resume shows what it resumes, and asks when the command line does not name it", () => {
  it("a journal edited to name another user and re-hashed is not resumed with --yes and no terminal; the recorded run is shown", async () => {
    const emulator = await tenant();
    const first = await contain(emulator);
    rewrite(first.journal, (e) => {
      if (e.kind === "run.started") (e.data as Record<string, unknown>).params = { ...((e.data as Record<string, Record<string, unknown>>).params), upn: "sam@contoso.com" };
    });
    const before = graphWrites(emulator).length;
    const io = memoryIo();
    const code = await main(["run", "--resume", first.journal, "--tabletop", "--yes"], io, { emulator });
    expect(code, io.err()).toBe(3);
    expect(io.err()).toContain("contain-user");
    expect(io.err()).toContain("sam@contoso.com");
    expect(graphWrites(emulator).length).toBe(before);
    expect(enabled(emulator, samId)).toBe(true);
  }, 60_000);

  it("naming another user than the journal's: asked even with --yes, and nothing sent when the answer is no", async () => {
    const emulator = await tenant();
    const first = await contain(emulator);
    const before = graphWrites(emulator).length;
    const asked: string[] = [];
    const io = memoryIo({ tty: true });
    const prompt = async (message: string) => {
      asked.push(message);
      return false;
    };
    const code = await main(["run", "contain-user", "--param", "upn=sam@contoso.com", "--resume", first.journal, "--tabletop", "--yes"], io, { emulator, prompt });
    expect(code, io.err()).toBe(3);
    expect(asked).toHaveLength(1);
    expect(io.err()).toMatch(/upn: alex@contoso\.com.*sam@contoso\.com|sam@contoso\.com.*alex@contoso\.com/s);
    expect(graphWrites(emulator).length).toBe(before);
  }, 60_000);

  it("without naming the run, --as-recorded resumes what the journal records, after showing it", async () => {
    const emulator = await tenant();
    const first = await contain(emulator);
    const io = memoryIo();
    const code = await main(["run", "--resume", first.journal, "--as-recorded", "--tabletop", "--yes"], io, { emulator });
    expect(code, io.err()).toBe(0);
    expect(io.err() + io.out()).toMatch(/resuming contain-user .*alex@contoso\.com/);
  }, 60_000);
});

describe("a stopped run says how to resume it", () => {
  it("a runbook run from its own file: the printed command names the file, the subject and the mode, and resumes without asking", async () => {
    const dir = mkdtempSync(join(tmpdir(), "azir-rbfile-"));
    const file = join(dir, "my contain.yaml");
    writeFileSync(file, readFileSync("runbooks/contain-user.yaml"));
    const emulator = await startTabletop({ clock: systemClock, faults: { rules: [{ match: { method: "GET", path: "/identityProtection/riskyUsers" }, answer: "wrong-shape", times: 1 }] } });
    track(emulator);
    const out = join(dir, "out");
    const first = memoryIo();
    expect(await main(["run", file, "--param", "upn=alex@contoso.com", "--tabletop", "--yes", "--out", out], first, { emulator })).toBe(1);
    const printed = /resume with: (azir run .+)$/m.exec(first.err() + first.out())?.[1];
    expect(printed).toMatch(/^azir run '[^']*my contain\.yaml' --param upn=alex@contoso\.com --resume \S+ --tabletop$/);
    const [, ref, upn, journal, mode] = /^azir run '([^']+)' --param (\S+) --resume (\S+) (--tabletop)$/.exec(printed!)!;
    const resumed = memoryIo();
    expect(await main(["run", ref!, "--param", upn!, "--resume", journal!, mode!, "--yes"], resumed, { emulator }), resumed.err()).toBe(0);
    expect(resumed.err()).not.toContain("not resuming");
  });
});

describe("signed journals on resume and verify", () => {
  it("a journal edited and re-hashed with its signatures kept is refused, naming the line; stripped of them, verify says it is not signed", async () => {
    const emulator = await tenant();
    const env = { AZIR_JOURNAL_KEY: join(mkdtempSync(join(tmpdir(), "azir-key-")), "journal.key") };
    const out = mkdtempSync(join(tmpdir(), "azir-resume-"));
    expect(await main(["contain", "alex@contoso.com", "--tabletop", "--yes", "--out", out], memoryIo({ env }), { emulator })).toBe(0);
    const dir = join(out, readdirSync(out)[0]!);
    const journal = join(dir, readdirSync(dir).find((f) => f.endsWith(".jsonl"))!);
    const ok = memoryIo({ env });
    expect(await main(["timeline", "verify", journal], ok)).toBe(0);
    expect(ok.err()).toMatch(/line\(s\) signed with this machine's journal key [0-9a-f]{16}, signatures verified/);

    // the params edited, the chain re-hashed, the signatures left as they were
    let prev = "0".repeat(64);
    const edited = readFileSync(journal, "utf8").trimEnd().split("\n").map((line) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      if (event.kind === "run.started") (event.data as { params: Record<string, unknown> }).params.upn = "sam@contoso.com";
      event.prev = prev;
      event.hash = computeEventHash(event);
      prev = event.hash as string;
      return JSON.stringify(event);
    });
    writeFileSync(journal, `${edited.join("\n")}\n`);
    const before = graphWrites(emulator).length;
    const io = memoryIo({ env });
    expect(await main(["run", "--resume", journal, "--as-recorded", "--tabletop", "--yes"], io, { emulator })).toBe(2);
    expect(io.err()).toMatch(/line 1: signature does not match/);
    expect(graphWrites(emulator).length).toBe(before);

    rewrite(journal, () => undefined);
    const stripped = memoryIo({ env });
    expect(await main(["timeline", "verify", journal], stripped)).toBe(0);
    expect(stripped.err()).toContain("NOT SIGNED");
  }, 60_000);
});

