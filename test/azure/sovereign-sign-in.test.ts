import { createDefaultHttpClient, type HttpClient, type PipelineRequest } from "@azure/core-rest-pipeline";
import { afterEach, describe, expect, it } from "vitest";
import { resolveEndpoints } from "../../src/azure/clouds.js";
import { createCredential, identityCredentialSpec, type CredentialKind } from "../../src/azure/credential.js";
import { signInOf } from "../../src/cli/context.js";
import { globalsSchema } from "../../src/cli/options.js";
import { ManualClock } from "../../src/core/clock.js";
import { startHarness, type Harness } from "./fixture.js";

// A national cloud signs in at its own authority: every credential azir builds is given the cloud's authority host,
// and its token requests go there. Proved without leaving 127.0.0.1: the credential's transport records the URL it
// was asked for and hands the request to the emulator's authority.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A transport that records each sign-in request's URL, then sends it to the emulator instead. */
function recordingTransport(emulatorOrigin: string): { httpClient: HttpClient; asked: string[] } {
  const inner = createDefaultHttpClient();
  const asked: string[] = [];
  return {
    asked,
    httpClient: {
      async sendRequest(request: PipelineRequest) {
        asked.push(request.url);
        const url = new URL(request.url);
        request.url = `${emulatorOrigin}${url.pathname}${url.search}`;
        return inner.sendRequest(request);
      },
    },
  };
}

describe("national clouds sign in at their own authority", () => {
  it("a US Government run's sign-in is the cloud's authority, for every way of signing in", () => {
    const authority = resolveEndpoints("AzureUSGovernment").endpoints.authority;
    expect(authority).toBe("https://login.microsoftonline.us");
    const globals = globalsSchema.parse({ cloud: "AzureUSGovernment" });
    expect(signInOf(globals, {}, authority, "/", "contoso.us").authority).toBe("https://login.microsoftonline.us");
    const kinds: Array<{ kind: CredentialKind; extra?: Record<string, string> }> = [
      { kind: "default" },
      { kind: "device-code" },
      { kind: "browser" },
      { kind: "certificate", extra: { clientId: "6a0c1f3e-2b4d-4e6f-8a1c-3e5f7a9b1c2d", certificatePath: "/x.pem" } },
    ];
    for (const { kind, extra } of kinds) {
      const spec = identityCredentialSpec({ kind, tenantId: "contoso.us", authorityHost: authority, ...extra });
      // the cloud's authority is a known one: MSAL keeps instance discovery, azir does not turn it off
      expect({ kind, authorityHost: spec.options.authorityHost, discovery: spec.options.disableInstanceDiscovery }).toEqual({ kind, authorityHost: authority, discovery: undefined });
    }
    const china = identityCredentialSpec({ kind: "device-code", authorityHost: resolveEndpoints("AzureChinaCloud").endpoints.authority });
    expect(china.options.authorityHost).toBe("https://login.chinacloudapi.cn");
  });

  it("a credential built for AzureUSGovernment asks login.microsoftonline.us for its token (recorded, answered by the emulator)", async () => {
    h = await startHarness(new ManualClock());
    const origin = h.emulator.endpoints.authority;
    const { httpClient, asked } = recordingTransport(origin);
    const saved = { ...process.env };
    Object.assign(process.env, { AZURE_TENANT_ID: h.emulator.tenantId, AZURE_CLIENT_ID: h.emulator.env.AZURE_CLIENT_ID, AZURE_CLIENT_SECRET: h.emulator.env.AZURE_CLIENT_SECRET });
    try {
      const cloud = resolveEndpoints("AzureUSGovernment");
      const credential = createCredential({ kind: "default", tenantId: h.emulator.tenantId, authorityHost: cloud.endpoints.authority, ca: h.emulator.caPem, httpClient });
      const token = await credential.getToken(cloud.scopes.graph);
      const claims = JSON.parse(Buffer.from(token!.token.split(".")[1]!, "base64url").toString("utf8")) as { aud: string };
      expect(claims.aud).toBe("https://graph.microsoft.us");
    } finally {
      for (const key of ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
    const hosts = [...new Set(asked.map((u) => new URL(u).host))];
    expect(hosts[0]).toBe("login.microsoftonline.us");
    expect(asked.some((u) => u.startsWith(`https://login.microsoftonline.us/${h!.emulator.tenantId}/`))).toBe(true);
    expect(asked.some((u) => new URL(u).host === "login.microsoftonline.com")).toBe(false);
    expect(h.emulator.requests().some((r) => r.service === "authority" && r.path === `/${h!.emulator.tenantId}/oauth2/v2.0/token`)).toBe(true);
  }, 30_000);
});
