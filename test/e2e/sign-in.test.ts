import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock.js";
import { emulatorEnv, startTabletop, type Emulator } from "../../src/tabletop/index.js";
import { closeAfterEach } from "../helpers/close-after-each.js";

// How azir signs in, end to end: the built CLI as its own process, the real @azure/identity credentials, the
// simulated tenant's authority and Graph over HTTPS on 127.0.0.1. A token from the Azure CLI's app lacks the Graph
// scopes containment needs; a customer's app (--client-id), a browser sign-in or a certificate works.

const alexId = "4f1c9a2e-8b3d-4c6e-9a1f-2d7e5b8c3a10";
const ownApp = "6a0c1f3e-2b4d-4e6f-8a1c-3e5f7a9b1c2d";

const track = closeAfterEach<Emulator>();

async function tenant(): Promise<Emulator> {
  const emulator = await startTabletop({ clock: systemClock });
  track(emulator);
  return emulator;
}

function azir(emulator: Emulator, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  const out = mkdtempSync(join(tmpdir(), "azir-signin-"));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/azir.js", ...args, "--out", out], {
      env: { ...process.env, ...emulatorEnv(emulator), NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 40_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out: stdout, err: stderr });
    });
  });
}

const methodCount = (emulator: Emulator): number => (emulator.state().authenticationMethods[alexId] ?? []).length;
const graphWrites = (emulator: Emulator) => emulator.requests().filter((r) => r.service === "graph" && r.method !== "GET");

describe("signing in", () => {
  it("--device-code with the Azure CLI's app: block and revoke go through, the method and risk reads are refused for missing scopes, and azir says it is the token (exit 4)", async () => {
    const emulator = await tenant();
    const before = methodCount(emulator);
    const r = await azir(emulator, ["contain", "alex@contoso.com", "--device-code", "--yes"]);
    expect(r.code, r.err).toBe(4);
    expect(r.err).toContain("TABLETOP"); // the device-code prompt
    expect(r.err).toMatch(/token lacks the delegated permission UserAuthenticationMethod\.Read\.All/);
    expect(r.err).toContain("--client-id");
    expect(emulator.state().users.find((u) => u.id === alexId)?.accountEnabled).toBe(false);
    expect(methodCount(emulator)).toBe(before);
    expect(graphWrites(emulator).filter((w) => w.method === "DELETE")).toEqual([]);
    const refused = emulator.requests().filter((q) => q.status === 403).map((q) => q.path);
    expect(refused.some((p) => p.endsWith("/authentication/methods"))).toBe(true);
  }, 60_000);

  it("--device-code --client-id (or AZIR_CLIENT_ID) with the customer's app: the token holds the granted scopes and containment completes", async () => {
    const emulator = await tenant();
    const r = await azir(emulator, ["contain", "alex@contoso.com", "--device-code", "--client-id", ownApp, "--yes"]);
    expect(r.code, r.err).toBe(0);
    // one sign-in for Graph, Log Analytics and ARM: the later tokens come silently from its refresh token
    expect(r.err.match(/enter the code TABLETOP/g)).toHaveLength(1);
    expect(emulator.state().riskyUsers.find((u) => u.id === alexId)?.riskState).toBe("confirmedCompromised");
    expect(graphWrites(emulator).filter((w) => w.method === "DELETE" && w.status === 204)).toHaveLength(2);

    const again = await tenant();
    const fromEnv = await azir(again, ["contain", "alex@contoso.com", "--device-code", "--yes"], { AZIR_CLIENT_ID: ownApp });
    expect(fromEnv.code, fromEnv.err).toBe(0);
  }, 60_000);

  it("--certificate with --client-id and --tenant, or AZURE_CLIENT_CERTIFICATE_PATH: a service principal's app token (client assertion), containment completes", async () => {
    const emulator = await tenant();
    const selfsigned = await import("selfsigned");
    const pems = await selfsigned.generate([{ name: "commonName", value: "azir-ir" }], { keySize: 2048, algorithm: "sha256" });
    const dir = mkdtempSync(join(tmpdir(), "azir-cert-"));
    const pem = join(dir, "azir-ir.pem");
    writeFileSync(pem, `${pems.private}\n${pems.cert}`, { mode: 0o600 });
    const r = await azir(emulator, ["contain", "alex@contoso.com", "--certificate", pem, "--client-id", ownApp, "--tenant", emulator.tenantId, "--yes"], {
      AZURE_CLIENT_SECRET: "",
    });
    expect(r.code, r.err).toBe(0);
    expect(emulator.state().users.find((u) => u.id === alexId)?.accountEnabled).toBe(false);

    // the same certificate through the environment: DefaultAzureCredential's EnvironmentCredential
    const fromEnv = await azir(await tenant(), ["contain", "alex@contoso.com", "--yes"], { AZURE_CLIENT_SECRET: "", AZURE_CLIENT_CERTIFICATE_PATH: pem });
    expect(fromEnv.code, fromEnv.err).toBe(0);

    const missing = await azir(emulator, ["contain", "alex@contoso.com", "--certificate", pem, "--yes"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("--client-id");
  }, 60_000);

  it("--browser: the system browser is opened on the authority's sign-in page, the redirect reaches azir's loopback listener, containment completes", async () => {
    const emulator = await tenant();
    // A stand-in for the system browser (xdg-open hands the URL to $BROWSER): follows the authority's redirect to
    // the loopback address azir listens on, as a browser would after the user signs in.
    const dir = mkdtempSync(join(tmpdir(), "azir-browser-"));
    const browser = join(dir, "browser.mjs");
    writeFileSync(
      browser,
      `#!${process.execPath}
import { get as getHttps } from "node:https";
import { get as getHttp } from "node:http";
import { readFileSync } from "node:fs";
const url = process.argv[2];
getHttps(url, { ca: readFileSync(process.env.NODE_EXTRA_CA_CERTS) }, (res) => {
  res.resume();
  const next = res.headers.location;
  if (next) getHttp(next, (back) => back.resume());
});
`,
    );
    chmodSync(browser, 0o755);
    const r = await azir(emulator, ["contain", "alex@contoso.com", "--browser", "--client-id", ownApp, "--yes"], { BROWSER: browser, DISPLAY: "", WAYLAND_DISPLAY: "", XDG_CURRENT_DESKTOP: "" });
    expect(r.code, r.err).toBe(0);
    expect(emulator.requests().some((q) => q.service === "authority" && q.path.endsWith("/oauth2/v2.0/authorize"))).toBe(true);
    expect(emulator.state().riskyUsers.find((u) => u.id === alexId)?.riskState).toBe("confirmedCompromised");
  }, 60_000);
});
