import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { systemClock } from "../../src/core/clock.js";
import { emulatorEnv, startTabletop, type Emulator } from "../../src/tabletop/index.js";
import { memoryIo } from "../cli/io.js";

// The secrets scan: a full tabletop incident (respond, harden with --secrets-out, snapshot, and a contain signed in
// with a client secret through the real @azure/identity), then every stream and every file under the config folder
// and the incident folders searched for the client secret, every token the tenant issued, every Authorization header
// value it received, every SAS (the URL, its query and its signature) and every rotated app secret. None may be found,
// except each rotated secret where it is meant to be: the --secrets-out file, or once on the terminal.

const clientSecret = "tabletop-client-secret"; // what emulatorEnv gives AZURE_CLIENT_SECRET
const emulators: Emulator[] = [];
const streams: Array<{ name: string; text: string }> = [];
let home = ""; // the working directory: azir.config.yaml and incidents/
let secretsFile = "";

async function tenant(): Promise<Emulator> {
  const emulator = await startTabletop({ clock: systemClock, storage: { start: "eager" } });
  emulators.push(emulator);
  return emulator;
}

async function azir(name: string, argv: string[], emulator: Emulator): Promise<number> {
  const io = memoryIo({ cwd: home });
  const code = await main(argv, io, { emulator });
  streams.push({ name: `${name} stdout`, text: io.out() }, { name: `${name} stderr`, text: io.err() });
  return code;
}

/** The built CLI as its own process, signed in with the client secret (EnvironmentCredential) against the tenant. */
function spawned(name: string, argv: string[], emulator: Emulator): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/azir.js", ...argv], { cwd: process.cwd(), env: { ...process.env, ...emulatorEnv(emulator), NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      streams.push({ name: `${name} stdout`, text: out }, { name: `${name} stderr`, text: err });
      resolve(code);
    });
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Every piece of a SAS that must never be written: the URL, its query and its signature (raw and encoded). */
function sasPieces(sas: string): string[] {
  const url = new URL(sas);
  const sig = url.searchParams.get("sig") ?? "";
  return [sas, url.search.slice(1), sig, encodeURIComponent(sig)].filter((s) => s.length > 8);
}

/** A token, and its claims segment on its own (a JWT cut at its dots is still the token's content). */
function tokenPieces(token: string): string[] {
  const bare = token.replace(/^Bearer\s+/i, "");
  return [bare, ...(bare.split(".").length === 3 ? [bare.split(".")[1]!] : [])].filter((s) => s.length > 16);
}

let rotated: string[] = [];
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "azir-secrets-home-"));
  writeFileSync(join(home, "azir.config.yaml"), "protectedAccounts: [breakglass@contoso.com]\n");
  mkdirSync(join(home, "incidents"));
  const out = ["--out", join(home, "incidents")];
  secretsFile = join(mkdtempSync(join(tmpdir(), "azir-secrets-file-")), "new-secrets.jsonl");
  expect(await azir("respond", ["respond", "alex@contoso.com", "--tabletop", "--yes", "--json", ...out], await tenant())).toBe(0);
  expect(await azir("harden", ["harden", "alex@contoso.com", "--tabletop", "--yes", "--secrets-out", secretsFile, ...out], await tenant())).toBe(0);
  expect(await azir("snapshot", ["snapshot", "vm-web-01", "--resource-group", "rg-web", "--tabletop", "--yes", ...out], await tenant())).toBe(0);
  expect(await azir("timeline export", ["timeline", "export", filesUnder(home).find((f) => f.endsWith(".jsonl"))!, "--format", "html", "--output", join(home, "incidents", "report.html")], emulators[0]!)).toBe(0);
  const live = await tenant();
  expect(await spawned("contain (client secret)", ["contain", "alex@contoso.com", "--yes", "--json", "--out", join(home, "incidents")], live)).toBe(0);
  expect(live.requests().some((r) => r.service === "authority" && r.path.endsWith("/oauth2/v2.0/token"))).toBe(true);
  rotated = readFileSync(secretsFile, "utf8")
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { secretText: string }).secretText);
  const shown = /new client secret for .*\): (\S+)$/m.exec(streams.find((s) => s.name === "respond stderr")!.text)?.[1];
  if (shown) rotated.push(shown);
}, 240_000);
afterAll(async () => {
  await Promise.all(emulators.map((e) => e.close()));
});

describe("no secret in any output of a full tabletop incident", () => {
  it("the scan has something to find: tokens, Authorization headers, SAS, the client secret's sign-in and rotated secrets", () => {
    expect(emulators.flatMap((e) => e.issuedTokens()).length).toBeGreaterThan(3);
    expect(emulators.flatMap((e) => e.authorizations()).length).toBeGreaterThan(3);
    expect(emulators.flatMap((e) => e.issuedSas()).length).toBeGreaterThan(0);
    expect(rotated.length).toBeGreaterThanOrEqual(2);
  });

  it("finds none of them in any stream or file", () => {
    const secrets = [
      { what: "client secret", value: clientSecret },
      ...emulators.flatMap((e) => e.issuedTokens()).flatMap((t) => tokenPieces(t).map((value) => ({ what: "issued token", value }))),
      ...emulators.flatMap((e) => e.authorizations()).flatMap((a) => [a, ...tokenPieces(a)].map((value) => ({ what: "Authorization header", value }))),
      ...emulators.flatMap((e) => e.issuedSas()).flatMap((s) => sasPieces(s).map((value) => ({ what: "SAS", value }))),
    ];
    const files = filesUnder(home);
    // the incidents' journals, reports and the config: at least one journal per run and the config file
    expect(files.filter((f) => f.endsWith(".jsonl")).length).toBeGreaterThanOrEqual(4);
    const outputs = [...streams, ...files.map((f) => ({ name: f, text: readFileSync(f, "utf8") }))];
    const found: string[] = [];
    for (const { name, text } of outputs) {
      for (const s of secrets) if (text.includes(s.value)) found.push(`${s.what} in ${name}`);
      for (const r of rotated) {
        // shown once on respond's terminal, as designed; nowhere else
        const allowed = name === "respond stderr" ? 1 : 0;
        if (text.split(r).length - 1 > allowed) found.push(`rotated secret in ${name}`);
      }
    }
    process.stderr.write(`secrets scan: ${outputs.length} outputs (${streams.length} streams, ${files.length} files), ${secrets.length} secret values, found ${found.length}\n`);
    expect(found).toEqual([]);
  });

  it("every incident folder is its owner's only (0700), and every journal too (0600)", () => {
    const incidents = readdirSync(join(home, "incidents"), { withFileTypes: true }).filter((e) => e.isDirectory());
    expect(incidents.length).toBeGreaterThanOrEqual(2);
    for (const d of incidents) expect(statSync(join(home, "incidents", d.name)).mode & 0o777, d.name).toBe(0o700);
    for (const f of filesUnder(home).filter((f) => f.endsWith(".jsonl"))) expect(statSync(f).mode & 0o777, f).toBe(0o600);
  });
});
