import { randomBytes } from "node:crypto";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { isAzirError } from "../core/errors.js";
import { loadOrCreateJournalKey, readJournalKey, type JournalKey } from "../timeline/key.js";
import type { Signatures } from "../timeline/journal.js";
import type { Io } from "./io.js";
import type { Terminal } from "./terminal.js";

/** Where the journal key is: AZIR_JOURNAL_KEY, or `journal.key` in azir's folder of the user's configuration. */
export function journalKeyPath(io: Io): string {
  if (io.env.AZIR_JOURNAL_KEY) return resolve(io.cwd, io.env.AZIR_JOURNAL_KEY);
  const base = io.env.XDG_CONFIG_HOME || join(io.env.HOME || homedir(), ".config");
  return join(base, "azir", "journal.key");
}

/**
 * The key that signs the journal of a run, created on first use. A key that cannot be had does not stop a run (a
 * containment must not wait on it): the journal is then written unsigned, and the responder is told.
 */
export function journalKeyForRun(io: Io, terminal: Terminal): JournalKey | undefined {
  try {
    return loadOrCreateJournalKey(journalKeyPath(io), randomBytes);
  } catch (error) {
    terminal.warn(`the journal will not be signed: ${isAzirError(error) ? error.message : String(error)}`);
    return undefined;
  }
}

/** The key to check signatures with, if this machine has one (never created here). */
export function journalKeyToCheck(io: Io, terminal: Terminal): JournalKey | undefined {
  try {
    return readJournalKey(journalKeyPath(io));
  } catch (error) {
    terminal.warn(`signatures not checked: ${isAzirError(error) ? error.message : String(error)}`);
    return undefined;
  }
}

/** What the signatures of a verified journal prove, in one line. */
export function describeSignatures(s: Signatures, key: JournalKey | undefined): { text: string; signed: boolean } {
  const total = s.checked + s.unchecked + s.unsigned;
  if (s.unsigned === total) {
    return { text: "NOT SIGNED: the hash chain shows edits that were not re-hashed, but anyone who can write the file can re-hash it", signed: false };
  }
  const parts = [
    ...(s.checked > 0 ? [`${s.checked} line(s) signed with this machine's journal key ${key?.id ?? ""}, signatures verified`] : []),
    ...(s.unchecked > 0 ? [`${s.unchecked} line(s) signed with key(s) ${s.keys.filter((k) => k !== key?.id).join(", ")} that this machine does not hold: not checked here`] : []),
    ...(s.unsigned > 0 ? [`${s.unsigned} line(s) before them unsigned (written before signing)`] : []),
  ];
  return { text: `signed: ${parts.join("; ")}`, signed: s.unchecked === 0 && s.unsigned === 0 };
}
