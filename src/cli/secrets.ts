import { existsSync } from "node:fs";
import { open } from "node:fs/promises";
import { resolve } from "node:path";
import { AzirError } from "../core/errors.js";
import type { EffectDescription, SecretSink } from "../core/effects.js";
import type { Terminal } from "./terminal.js";

/** What Graph answers to addPassword (passwordCredential): the secret is `secretText`, shown only in this answer. */
interface IssuedSecret {
  keyId?: unknown;
  secretText?: unknown;
  endDateTime?: unknown;
  displayName?: unknown;
}

function describe(effect: EffectDescription, value: IssuedSecret): Record<string, unknown> {
  return {
    for: effect.target,
    keyId: typeof value.keyId === "string" ? value.keyId : null,
    displayName: typeof value.displayName === "string" ? value.displayName : null,
    endDateTime: typeof value.endDateTime === "string" ? value.endDateTime : null,
  };
}

/** A file the responder named for the new secrets: refused if it exists, so no earlier secret is overwritten or mixed in. */
export function refuseExistingSecretsFile(file: string, cwd: string): string {
  const path = resolve(cwd, file);
  if (existsSync(path)) {
    throw new AzirError("usage", `--secrets-out ${file} exists: azir writes new secrets only to a file it creates`, { hint: "name a file that does not exist yet; move or delete the old one once its secrets are stored safely" });
  }
  return path;
}

/**
 * Where the new client secrets go (DESIGN.md section 7): a file the responder named, created with mode 0600 (one JSON
 * object per line), or, without one, the terminal once (stderr, never the JSON document on stdout). Never the journal.
 */
export function secretSink(options: { file?: string; terminal: Terminal }): SecretSink & { count(): number } {
  let count = 0;
  let written: Promise<unknown> = Promise.resolve();
  return {
    count: () => count,
    async receive(effect, raw) {
      const value = (raw !== null && typeof raw === "object" ? raw : {}) as IssuedSecret;
      if (typeof value.secretText !== "string" || value.secretText === "") {
        options.terminal.warn(`Graph answered "${effect.summary}" without a secret: check the app's credentials in the Entra admin center`);
        return false;
      }
      count++;
      const facts = describe(effect, value);
      if (options.file) {
        const file = options.file;
        const first = count === 1;
        written = written.then(async () => {
          // wx: never an existing file; 0o600: readable by the responder only.
          const handle = await open(file, first ? "wx" : "a", 0o600);
          try {
            await handle.write(`${JSON.stringify({ ...facts, secretText: value.secretText })}\n`);
          } finally {
            await handle.close();
          }
        });
        try {
          await written;
          options.terminal.line(`new client secret for ${String(facts.for)} (keyId ${String(facts.keyId)}) written to ${file}`);
          return true;
        } catch (error) {
          // The secret exists in the tenant now: lost, it would be a live credential nobody holds. Show it instead.
          written = Promise.resolve();
          options.terminal.warn(`could not write the new secret to ${file} (${error instanceof Error ? error.message : String(error)}): shown here instead`);
        }
      }
      options.terminal.line(
        `new client secret for ${String(facts.for)} (keyId ${String(facts.keyId)}, expires ${String(facts.endDateTime)}): ${value.secretText}\n  shown once: store it in the app's configuration or a vault now; azir does not keep it`,
      );
      return true;
    },
  };
}
