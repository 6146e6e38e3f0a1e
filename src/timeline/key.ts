import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { AzirError } from "../core/errors.js";

/**
 * The key that signs journal lines (HMAC-SHA-256 over each line's hash). It lives outside the incident folder, in a
 * 0600 file of the user's configuration folder, so that whoever holds only the journal (a copied evidence folder, a
 * shared drive) cannot re-sign a line they edit. Whoever can read the key file can.
 */
export interface JournalKey {
  /** First 16 hex digits of SHA-256 of the secret: names the key on each signed line, never reveals it. */
  id: string;
  secret: Buffer;
}

const keyBytes = 32;

export function journalKeyOf(secret: Buffer): JournalKey {
  return { id: createHash("sha256").update(secret).digest("hex").slice(0, 16), secret };
}

/** `<key id>:<HMAC-SHA-256 hex of the line's hash>`: the `mac` of a signed line. */
export function signLine(key: JournalKey, hash: string): string {
  return `${key.id}:${createHmac("sha256", key.secret).update(hash, "utf8").digest("hex")}`;
}

/** The key id a `mac` names, or undefined when it is not of the form `<16 hex>:<64 hex>`. */
export function macKeyId(mac: string): string | undefined {
  return /^[0-9a-f]{16}:[0-9a-f]{64}$/.test(mac) ? mac.slice(0, 16) : undefined;
}

/** Whether `mac` is this key's signature of `hash`. */
export function lineSigned(key: JournalKey, hash: string, mac: string): boolean {
  const expected = Buffer.from(signLine(key, hash));
  const given = Buffer.from(mac);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function parseKey(text: string, file: string): JournalKey {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new AzirError("validation", `${file} is not a journal key (64 hex digits)`, { hint: "move it aside: azir creates a new key, and journals signed with the old one can still be checked with it" });
  }
  return journalKeyOf(Buffer.from(hex, "hex"));
}

/** Reads the key file, or undefined when there is none. */
export function readJournalKey(file: string): JournalKey | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new AzirError("internal", `cannot read the journal key ${file}`, { hint: "check the file's permissions", cause: error });
  }
  return parseKey(text, file);
}

/**
 * Reads the key file, creating it (0600, in a 0700 folder) with `random` bytes when there is none. Two processes
 * creating it at once end with one key: it is written aside and linked into place, and the loser reads the winner's.
 */
export function loadOrCreateJournalKey(file: string, random: (bytes: number) => Buffer): JournalKey {
  const known = readJournalKey(file);
  if (known) return known;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const staging = `${file}.${process.pid}.${random(6).toString("hex")}`;
    const fd = openSync(staging, "wx", 0o600);
    try {
      writeSync(fd, `${random(keyBytes).toString("hex")}\n`);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(staging, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      unlinkSync(staging);
    }
  } catch (error) {
    throw new AzirError("internal", `cannot create the journal key ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: "set AZIR_JOURNAL_KEY to a writable path, or make the folder writable",
      cause: error,
    });
  }
  return readJournalKey(file)!;
}
