import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REDACTED, redact, redactString } from "../../src/timeline/redact.js";
import { newJournal, tempDir } from "./helpers.js";

// Test values shaped like real secrets (none is valid anywhere).
const jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGV4QGNvbnRvc28uY29tIn0.c2lnbmF0dXJlLXBhcnQtMTIzNDU2";
const sasSig = "Zm9yZW5zaWNzLXNpZy12YWx1ZQ%3D%3D";
const sasUrl = `https://forensics01.blob.core.windows.net/disks/os.vhd?sv=2022-11-02&sr=b&sp=r&se=2026-11-26T00%3A00%3A00Z&sig=${sasSig}`;
const clientSecret = "Qx8Q~not.a.real.secret.value~1234567890";
const refreshToken = "0.AXEA-refresh-token-material-abcdefghijklmnop";
const storageKey = "c3RvcmFnZS1hY2NvdW50LWtleS1tYXRlcmlhbC0xMjM0NTY3ODkwYWJjZGVm";

describe("redact", () => {
  it("masks secret-named keys at any depth, case-insensitively, and keeps keyId", () => {
    const input = {
      passwordCredential: { keyId: "3f1c2b9e-0000-4000-8000-000000000001", hint: "Qx8", secretText: clientSecret, displayName: "azir" },
      nested: [{ Client_Secret: clientSecret }, { AUTHORIZATION: `Bearer ${jwt}` }],
      password: null,
      key: storageKey,
      keys: ["not", "secret"],
      refresh_token: refreshToken,
      accessSAS: sasUrl,
    };
    const out = redact(input);
    expect(out).toEqual({
      passwordCredential: { keyId: "3f1c2b9e-0000-4000-8000-000000000001", hint: "Qx8", secretText: REDACTED, displayName: "azir" },
      nested: [{ Client_Secret: REDACTED }, { AUTHORIZATION: REDACTED }],
      password: null,
      key: REDACTED,
      keys: ["not", "secret"],
      refresh_token: REDACTED,
      accessSAS: REDACTED,
    });
    // Pure: the input is untouched.
    expect(input.passwordCredential.secretText).toBe(clientSecret);
  });

  it("masks tokens and signatures inside free text", () => {
    expect(redactString(`Authorization: Bearer ${jwt}`)).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactString(`token ${jwt} expired`)).toBe(`token ${REDACTED} expired`);
    expect(redactString(`copy from ${sasUrl} failed`)).toBe(
      `copy from https://forensics01.blob.core.windows.net/disks/os.vhd?sv=2022-11-02&sr=b&sp=r&se=2026-11-26T00%3A00%3A00Z&sig=${REDACTED} failed`,
    );
    expect(redactString(`grant_type=client_credentials&client_secret=${clientSecret}&scope=x`)).toBe(
      `grant_type=client_credentials&client_secret=${REDACTED}&scope=x`,
    );
    expect(redactString(`DefaultEndpointsProtocol=https;AccountName=f;AccountKey=${storageKey};EndpointSuffix=core.windows.net`)).toBe(
      `DefaultEndpointsProtocol=https;AccountName=f;AccountKey=${REDACTED};EndpointSuffix=core.windows.net`,
    );
  });

  it("leaves ordinary text alone", () => {
    const text = "blocked sign-in for alex@contoso.com; keyId 3f1c2b9e; signature verified; eyJ alone is not a token";
    expect(redactString(text)).toBe(text);
  });

  it("handles cycles and keeps non-plain objects", () => {
    const when = new Date("2026-11-25T12:00:00Z");
    const loop: Record<string, unknown> = { when, note: `Bearer ${jwt}` };
    loop.self = loop;
    const out = redact(loop);
    expect(out.self).toBe("[circular]");
    expect(out.when).toBe(when);
    expect(out.note).toBe(`Bearer ${REDACTED}`);
    const err = redact(new Error(`401 with Bearer ${jwt}`));
    expect(err.message).toBe(`401 with Bearer ${REDACTED}`);
  });
});

describe("journal redaction", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  it("writes none of the secrets handed to append", async () => {
    const { journal } = await newJournal(dir, "live");
    journal.append({
      kind: "action",
      step: "rotate",
      summary: `added a secret to app 1 (request carried Bearer ${jwt})`,
      data: {
        target: "app-1",
        request: { method: "POST", url: "/applications/app-1/addPassword", body: { passwordCredential: { displayName: "rotated" } } },
        permission: "Application.ReadWrite.All",
        status: "succeeded",
        result: { keyId: "k-1", secretText: clientSecret, hint: "Qx8" },
      },
    });
    journal.append({
      kind: "action",
      step: "snapshot",
      summary: "copied os disk",
      data: {
        target: "disk-1",
        request: { method: "POST", url: `/subscriptions/s/disks/d/beginGetAccess`, body: { access: "Read" } },
        permission: "Disk Snapshot Contributor",
        status: "succeeded",
        result: { accessSAS: sasUrl, copy: { source: sasUrl, sha256: "ab".repeat(32) } },
      },
    });
    journal.append({
      kind: "error",
      summary: `token request failed: refresh_token=${refreshToken}`,
      data: { code: "auth", details: [`id_token ${jwt}`], headers: { Authorization: `Bearer ${jwt}` }, key: storageKey },
    });
    journal.close();
    const text = readFileSync(journal.path, "utf8");
    for (const secret of [jwt, clientSecret, sasSig, refreshToken, storageKey]) expect(text).not.toContain(secret);
    expect(text).toContain(REDACTED);
    // What is needed to act on later (the key id, the hash of the copy) is still there.
    expect(text).toContain('"keyId":"k-1"');
    expect(text).toContain("ab".repeat(32));
    // The journal's in-memory copy matches the file.
    expect(JSON.stringify(journal.events)).not.toContain(clientSecret);
  });
});

describe("tokens issued in this run", () => {
  it("are masked wherever they appear, even where no pattern could recognise them (an opaque token echoed in an error)", () => {
    const opaque = "0paqueT0ken-not-a-jwt-9f8e7d";
    const issued = new Set([opaque]);
    const event = { summary: `Graph refused: token ${opaque} is not valid`, data: { details: [`echo: ${opaque}`] } };
    expect(JSON.stringify(redact(event, issued))).not.toContain(opaque);
    expect(JSON.stringify(redact(event))).toContain(opaque);
  });
});
