import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { refuseExistingSecretsFile, secretSink } from "../../src/cli/secrets.js";
import { createTerminal } from "../../src/cli/terminal.js";
import type { EffectDescription } from "../../src/core/effects.js";
import { memoryIo } from "./io.js";

const effect: EffectDescription = { service: "graph", method: "POST", url: "https://graph.microsoft.com/v1.0/applications/a/addPassword", permission: "Application.ReadWrite.All", summary: "add a new client secret to app registration A", target: "A (a)" };
const answer = (secretText: string) => ({ keyId: "k1", secretText, endDateTime: "2027-01-01T00:00:00Z", displayName: "azir rotation" });

describe("the secret sink", () => {
  it("writes each secret to the named file (0600), one JSON line each, and says where without the secret", async () => {
    const io = memoryIo();
    const file = join(mkdtempSync(join(tmpdir(), "azir-sink-")), "s.jsonl");
    const sink = secretSink({ file, terminal: createTerminal(io, { json: false }) });
    await sink.receive(effect, answer("first-secret-value-1234"));
    await sink.receive(effect, answer("second-secret-value-5678"));
    expect(readFileSync(file, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { secretText: string }).secretText)).toEqual(["first-secret-value-1234", "second-secret-value-5678"]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(io.err()).toContain(`written to ${file}`);
    expect(io.err()).not.toContain("secret-value");
  });

  it("never writes into a file that exists, and shows the secret once rather than lose it when the file cannot be written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "azir-sink-"));
    writeFileSync(join(dir, "taken"), "x");
    expect(() => refuseExistingSecretsFile("taken", dir)).toThrow(/exists/);
    const io = memoryIo();
    const sink = secretSink({ file: join(dir, "no-such-dir", "s.jsonl"), terminal: createTerminal(io, { json: false }) });
    await sink.receive(effect, answer("fallback-secret-9999"));
    expect(io.err().split("fallback-secret-9999").length - 1).toBe(1);
    expect(io.err()).toMatch(/could not write the new secret/);
  });
});
