import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { cloudScopes, resolveEndpoints } from "../../src/azure/clouds.js";
import { createCredential } from "../../src/azure/credential.js";
import { redact } from "../../src/azure/errors.js";
import { ManualClock } from "../../src/core/clock.js";
import { AzirError } from "../../src/core/errors.js";
import { startHarness, type Harness } from "./fixture.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The claims of an access token the emulator issued (a JWT). */
function claimsOf(token: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from((token ?? "").split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

/** Runs a small ESM script in a fresh node (NODE_EXTRA_CA_CERTS is read only at process start). */
function runNode(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: process.cwd(), env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("credentials", () => {
  it("ClientSecretCredential obtains a token from the emulator's authority (child process with NODE_EXTRA_CA_CERTS)", async () => {
    h = await startHarness(new ManualClock());
    const script = `
      import { ClientSecretCredential } from "@azure/identity";
      const c = new ClientSecretCredential(process.env.AZURE_TENANT_ID, process.env.AZURE_CLIENT_ID, process.env.AZURE_CLIENT_SECRET,
        { authorityHost: process.env.AZIR_AUTHORITY_URL, disableInstanceDiscovery: true });
      const t = await c.getToken("https://graph.microsoft.com/.default");
      const claims = JSON.parse(Buffer.from(t.token.split(".")[1], "base64url").toString());
      console.log(JSON.stringify({ ok: claims.tid === process.env.AZURE_TENANT_ID && claims.idtyp === "app", expires: t.expiresOnTimestamp > 0 }));`;
    const result = await runNode(script, h.emulator.env);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout.trim())).toEqual({ ok: true, expires: true });
    const paths = h.emulator.requests().filter((e) => e.service === "authority").map((e) => `${e.method} ${e.path}`);
    expect(paths).toContain(`POST /${h.emulator.tenantId}/oauth2/v2.0/token`);
  });

  it("DefaultAzureCredential with the env service principal and an overridden authority works the same way", async () => {
    h = await startHarness(new ManualClock());
    const script = `
      import { DefaultAzureCredential } from "@azure/identity";
      const c = new DefaultAzureCredential({ authorityHost: process.env.AZIR_AUTHORITY_URL, disableInstanceDiscovery: true, tenantId: process.env.AZURE_TENANT_ID });
      const t = await c.getToken("https://management.azure.com/.default");
      const claims = JSON.parse(Buffer.from(t.token.split(".")[1], "base64url").toString());
      console.log(claims.aud === "https://management.azure.com" && claims.appid === process.env.AZURE_CLIENT_ID ? "ok" : "bad");`;
    const result = await runNode(script, h.emulator.env);
    expect(result.stdout.trim()).toBe("ok");
  });

  it("createCredential: device code (prompt to the callback) and default (env service principal) against the emulator's authority", async () => {
    h = await startHarness(new ManualClock());
    const prompts: string[] = [];
    const deviceCode = createCredential({
      kind: "device-code",
      tenantId: h.emulator.tenantId,
      authorityHost: h.emulator.endpoints.authority,
      ca: h.emulator.caPem,
      onDeviceCode: (m) => prompts.push(m),
    });
    const token = await deviceCode.getToken("https://graph.microsoft.com/.default");
    expect(claimsOf(token?.token)).toMatchObject({ tid: h.emulator.tenantId, idtyp: "user", aud: "https://graph.microsoft.com" });
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toContain("TABLETOP");

    const saved = { ...process.env };
    Object.assign(process.env, { AZURE_TENANT_ID: h.emulator.env.AZURE_TENANT_ID, AZURE_CLIENT_ID: h.emulator.env.AZURE_CLIENT_ID, AZURE_CLIENT_SECRET: h.emulator.env.AZURE_CLIENT_SECRET });
    try {
      const credential = createCredential({ kind: "default", tenantId: h.emulator.tenantId, authorityHost: h.emulator.endpoints.authority, ca: h.emulator.caPem });
      const t = await credential.getToken("https://management.azure.com/.default");
      expect(claimsOf(t?.token)).toMatchObject({ tid: h.emulator.tenantId, idtyp: "app", aud: "https://management.azure.com" });
    } finally {
      for (const key of ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  }, 30_000);

  it("a credential failure is an auth AzirError with a hint, and no secret in the message", async () => {
    h = await startHarness(new ManualClock());
    const saved = { ...process.env };
    Object.assign(process.env, { AZURE_TENANT_ID: h.emulator.tenantId, AZURE_CLIENT_ID: "bad client", AZURE_CLIENT_SECRET: "s3cr3t-value" });
    try {
      const credential = createCredential({ kind: "default", tenantId: h.emulator.tenantId, authorityHost: h.emulator.endpoints.authority, ca: h.emulator.caPem });
      const error = await credential.getToken("https://graph.microsoft.com/.default").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AzirError);
      expect((error as AzirError).code).toBe("auth");
      expect((error as AzirError).hint).toContain("az login");
      expect((error as AzirError).message).not.toContain("s3cr3t-value");
    } finally {
      for (const key of ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  }, 30_000);

  it("the static credential returns its token; without one it is a usage error", async () => {
    const clock = new ManualClock("2026-11-25T12:00:00Z");
    const token = await createCredential({ kind: "static", token: "abc", clock }).getToken("x");
    expect(token).toEqual({ token: "abc", expiresOnTimestamp: Date.parse("2026-11-25T13:00:00Z") });
    expect(() => createCredential({ kind: "static" })).toThrow(AzirError);
  });
});

describe("clouds and redaction", () => {
  it("overrides replace URLs but keep the cloud's scopes", () => {
    const r = resolveEndpoints("AzureUSGovernment", { graph: "https://127.0.0.1:8443/", logs: "https://127.0.0.1:8443/v1" });
    expect(r.endpoints).toEqual({ graph: "https://127.0.0.1:8443", logs: "https://127.0.0.1:8443/v1", arm: "https://management.usgovcloudapi.net", authority: "https://login.microsoftonline.us" });
    expect(r.scopes.graph).toBe("https://graph.microsoft.us/.default");
    expect(cloudScopes("AzureCloud").logs).toBe("https://api.loganalytics.io/.default");
    expect(resolveEndpoints("AzureChinaCloud").endpoints.logs).toBe("https://api.loganalytics.azure.cn/v1");
  });

  it("redacts bearer tokens, JWTs, SAS signatures and secrets", () => {
    const text = redact('Bearer abc.def-ghi and eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig at https://x/y?sv=1&sig=SECRET1 {"secretText":"S3cr3t"}');
    expect(text).not.toMatch(/abc\.def|eyJhbGci|SECRET1|S3cr3t/);
  });
});
