import { closeSync, fsyncSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Clock } from "../core/clock.js";
import { AzirError } from "../core/errors.js";
import { readUserBytes } from "../core/files.js";
import { GENESIS_HASH, computeEventHash } from "./canonical.js";
import { describeIssue, timelineEventSchema, type EventInput, type EventOf, type Mode, type TimelineEvent } from "./event.js";
import { lineSigned, macKeyId, signLine, type JournalKey } from "./key.js";
import { lockIncident, type IncidentLock } from "./lock.js";
import { redact, type KnownSecrets } from "./redact.js";

/** Options of `openJournal`. */
export interface JournalOptions {
  /** Output root (`--out`); the journal goes to `<dir>/<incidentId>/`. */
  dir: string;
  /** Folder name for the incident; a single path segment. */
  incidentId: string;
  /** This run's id (uuid). */
  runId: string;
  mode: Mode;
  clock: Clock;
  /** Exact strings never to write (the tokens issued in this run), masked wherever they appear. */
  secrets?: KnownSecrets;
  /**
   * Path of an existing journal to continue (`azir run --resume`). The run appends to that file, continuing seq
   * and the hash chain; a torn final line left by a crash is cut off first. `dir` and `incidentId` are then unused.
   */
  resumeFrom?: string;
  /** Signs every line appended (`mac`), and checks the signatures of a resumed journal made with this key. */
  key?: JournalKey;
}

/**
 * An open, append-only journal. Every `append` is written when it returns (a killed process loses nothing of it), and
 * on disk (fsync) by the end of the event loop's turn: the events of one turn share one fsync, which is what keeps a
 * run over many users from spending its time waiting on the disk.
 */
export interface Journal {
  readonly path: string;
  /** The incident folder's name: pass it to `buildDocument(events, { incidentId })`. */
  readonly incidentId: string;
  readonly runId: string;
  readonly mode: Mode;
  /** Every event of the file, including those of earlier runs when resumed. A copy: mutating it changes nothing. */
  readonly events: readonly TimelineEvent[];
  /** Validates, redacts, chains and writes one event (fsync at the end of the turn). Throws AzirError `internal` on an invalid event. */
  append<E extends EventInput>(event: E): EventOf<E["kind"]>;
  /** Flushes to disk and closes the file. Further appends throw. Safe to call twice. */
  close(): void;
}

/** What `readJournal` finds. */
export interface JournalReadResult {
  /** The whole, valid events in file order. */
  events: TimelineEvent[];
  /** True when the file ends in an incomplete or unreadable line (a write cut by a crash). */
  torn: boolean;
  /** One line per problem found: `line 7: not JSON`. Chain checks are `verifyJournal`'s job. */
  problems: string[];
}

/**
 * What the signatures of a journal show. `checked`: lines signed with the key given, signature verified. `unchecked`:
 * lines signed with another key (another machine or account), whose signature could not be checked. `unsigned`: lines
 * without a signature (journals written before signing): their hash chain shows only edits that were not re-hashed.
 */
export interface Signatures {
  checked: number;
  unchecked: number;
  unsigned: number;
  /** The ids of the keys that signed lines, in the order first seen. */
  keys: string[];
}

export type VerifyResult =
  | { ok: true; events: number; lastHash: string; signatures: Signatures }
  | { ok: false; line: number; reason: string };

interface RawLine {
  /** 1-based line number. */
  line: number;
  text: string;
  /** Byte offset just past this line (and its newline, when it has one). */
  end: number;
  terminated: boolean;
}

function splitLines(buffer: Buffer): RawLine[] {
  const lines: RawLine[] = [];
  let start = 0;
  let line = 1;
  while (start < buffer.length) {
    const nl = buffer.indexOf(0x0a, start);
    const stop = nl === -1 ? buffer.length : nl;
    lines.push({ line, text: buffer.subarray(start, stop).toString("utf8"), end: nl === -1 ? stop : nl + 1, terminated: nl !== -1 });
    start = stop + 1;
    line += 1;
  }
  return lines;
}

type Parsed = { ok: true; raw: Record<string, unknown>; event: TimelineEvent } | { ok: false; reason: string };

function parseLine(text: string): Parsed {
  if (text.trim() === "") return { ok: false, reason: "empty line" };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return { ok: false, reason: "not a JSON object" };
  const result = timelineEventSchema.safeParse(raw);
  if (!result.success) return { ok: false, reason: `invalid event: ${describeIssue(result.error)}` };
  // Keep the line's own object, not zod's copy: in-memory events then hold exactly what the file holds.
  return { ok: true, raw: raw as Record<string, unknown>, event: raw as TimelineEvent };
}

async function readBuffer(path: string): Promise<Buffer> {
  try {
    // A FIFO or a device named as a journal is refused before it is read (it would hang or never end).
    return await readUserBytes(path, { what: "journal", maxBytes: Number.MAX_SAFE_INTEGER, hint: "check the path; journals are <out>/<incident-id>/timeline-*.jsonl" });
  } catch (error) {
    const cause = error instanceof AzirError ? error.cause : error;
    if ((cause as NodeJS.ErrnoException | undefined)?.code !== "ENOENT") throw error;
    throw new AzirError("not-found", `cannot read journal ${path}`, { hint: "check the path; journals are <out>/<incident-id>/timeline-*.jsonl", cause });
  }
}

/** The events of a journal, up to the last whole event when a crash cut the final line. */
export async function readJournal(path: string): Promise<JournalReadResult> {
  const lines = splitLines(await readBuffer(path));
  const events: TimelineEvent[] = [];
  const problems: string[] = [];
  let torn = false;
  lines.forEach((l, i) => {
    const parsed = parseLine(l.text);
    if (parsed.ok) {
      events.push(parsed.event);
      return;
    }
    const last = i === lines.length - 1 && !l.terminated;
    if (last) {
      torn = true;
      problems.push(`line ${l.line}: incomplete final line (${parsed.reason}), ignored`);
    } else {
      problems.push(`line ${l.line}: ${parsed.reason}`);
    }
  });
  return { events, torn, problems };
}

interface ChainFailure {
  line: number;
  reason: string;
}

/** Checks the lines in order; returns the first failure, or undefined when every line is whole, chained and signed. */
function checkChain(lines: RawLine[], key?: JournalKey): { failure?: ChainFailure; events: TimelineEvent[]; lastHash: string; signatures: Signatures } {
  const events: TimelineEvent[] = [];
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  const signatures: Signatures = { checked: 0, unchecked: 0, unsigned: 0, keys: [] };
  for (const [i, l] of lines.entries()) {
    const parsed = parseLine(l.text);
    if (!parsed.ok) {
      // A crash can cut the last line short, never add one that ends with a newline: only an unterminated last
      // line is a torn write; a whole bad line at the end was written by someone, and is damage.
      const torn = i === lines.length - 1 && !l.terminated;
      return { failure: { line: l.line, reason: torn ? `incomplete final line (torn write): ${parsed.reason}` : parsed.reason }, events, lastHash: prevHash, signatures };
    }
    const { event, raw } = parsed;
    if (event.seq !== expectedSeq) {
      return { failure: { line: l.line, reason: `seq ${event.seq} where ${expectedSeq} was expected (line deleted, inserted or moved)` }, events, lastHash: prevHash, signatures };
    }
    if (event.prev !== prevHash) {
      return { failure: { line: l.line, reason: "prev does not match the hash of the previous line (chain broken)" }, events, lastHash: prevHash, signatures };
    }
    if (computeEventHash(raw) !== event.hash) {
      return { failure: { line: l.line, reason: "hash does not match the line's content (line edited)" }, events, lastHash: prevHash, signatures };
    }
    const signed = signatureOf(event, key, signatures);
    if (signed) return { failure: { line: l.line, reason: signed }, events, lastHash: prevHash, signatures };
    events.push(event);
    prevHash = event.hash;
    expectedSeq += 1;
  }
  return { events, lastHash: prevHash, signatures };
}

/** Counts the line's signature; returns why it fails, if it does. */
function signatureOf(event: TimelineEvent, key: JournalKey | undefined, signatures: Signatures): string | undefined {
  if (event.mac === undefined) {
    // Signatures stripped from the end of a signed journal would make it look older than it is.
    if (signatures.checked + signatures.unchecked > 0) return "unsigned line after signed ones (a signature was removed, or the line was added without the journal key)";
    signatures.unsigned += 1;
    return undefined;
  }
  const id = macKeyId(event.mac)!;
  if (!signatures.keys.includes(id)) signatures.keys.push(id);
  if (!key || key.id !== id) {
    signatures.unchecked += 1;
    return undefined;
  }
  if (!lineSigned(key, event.hash, event.mac)) return "signature does not match (the line was edited and re-hashed by someone without the journal key)";
  signatures.checked += 1;
  return undefined;
}

/**
 * Checks a journal: every line parses and validates, seq runs 1, 2, 3, ..., each `prev` is the previous line's
 * `hash` and each `hash` recomputes; with `key`, each line it signed carries its signature (lines signed with another
 * key are counted as unchecked, unsigned lines are allowed only before the first signed one). Names the first bad
 * line. Dropping lines from the END cannot be seen from the file alone: compare `lastHash` with a copy kept
 * elsewhere (the run's final output, a ticket).
 */
export async function verifyJournal(path: string, options: { key?: JournalKey } = {}): Promise<VerifyResult> {
  const buffer = await readBuffer(path);
  const lines = splitLines(buffer);
  if (lines.length === 0) return { ok: false, line: 1, reason: "empty journal" };
  const { failure, events, lastHash, signatures } = checkChain(lines, options.key);
  if (failure) return { ok: false, ...failure };
  return { ok: true, events: events.length, lastHash, signatures };
}

/** `2026-11-25T08:30:05.123Z` -> `20261125T083005Z`. */
export function journalTimestamp(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
}

function fsyncDir(dir: string): void {
  // Makes the new directory entry durable; not possible on every platform (Windows), where it is skipped.
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}

/**
 * A folder azir cannot write into: the responder's `--out` (a file on the way, no permission, a read-only file
 * system) is a usage error naming the cause; anything else is the machine's.
 */
function outFolderError(message: string, cause: unknown): AzirError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const said = { ENOTDIR: "a file is in the way of a folder", EEXIST: "a file is in the way of a folder", EACCES: "permission denied", EPERM: "permission denied", EROFS: "a read-only file system" }[code ?? ""];
  return said
    ? new AzirError("usage", `${message}: ${said}`, { hint: "name a writable folder with --out (or in the config file)", cause })
    : new AzirError("internal", `${message}: ${code ?? String(cause)}`, { hint: "check that --out is writable", cause });
}

function createExclusive(dir: string, stamp: string): { fd: number; path: string } {
  for (let n = 1; n < 1000; n++) {
    const path = join(dir, n === 1 ? `timeline-${stamp}.jsonl` : `timeline-${stamp}-${n}.jsonl`);
    try {
      return { fd: openSync(path, "ax", 0o600), path };
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "EEXIST") {
        throw outFolderError(`cannot create journal in ${dir}`, cause);
      }
    }
  }
  throw new AzirError("internal", `too many journals named timeline-${stamp}*.jsonl in ${dir}`, { hint: "use another --out" });
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

function normaliseTime(value: string | Date, field: string): string {
  const at = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(at.getTime())) {
    throw new AzirError("internal", `timeline event has an invalid ${field}: ${String(value)}`, { hint: "pass an ISO-8601 date-time" });
  }
  return at.toISOString();
}

function validIncidentId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) && !id.includes("..");
}

/** Opens a new journal, or continues an existing one (`resumeFrom`). */
export async function openJournal(options: JournalOptions): Promise<Journal> {
  const { runId, mode, clock } = options;
  let fd: number;
  let path: string;
  let events: TimelineEvent[] = [];
  let prevHash = GENESIS_HASH;
  let writeFailure: AzirError | undefined;

  let lock: IncidentLock;
  if (options.resumeFrom !== undefined) {
    path = options.resumeFrom;
    lock = lockIncident(dirname(path), clock);
    // A journal that cannot be resumed leaves its incident free again.
    try {
      const lines = splitLines(await readBuffer(path));
      const { failure, events: whole, lastHash } = checkChain(lines, options.key);
      // Only a torn LAST line is a crash's doing; anything else is damage the responder must look at first.
      const tornTail = failure !== undefined && failure.line === lines.length && failure.reason.startsWith("incomplete final line");
      if (failure && !tornTail) {
        throw new AzirError("validation", `cannot resume ${path}: line ${failure.line}: ${failure.reason}`, {
          hint: `run \`azir timeline verify ${path}\`; a damaged journal is evidence, start a new run instead of resuming it`,
        });
      }
      events = whole;
      prevHash = lastHash;
      const keep = whole.length === 0 ? 0 : lines[whole.length - 1]!.end;
      const lastTerminated = whole.length === 0 || lines[whole.length - 1]!.terminated;
      try {
        fd = openSync(path, "r+");
        ftruncateSync(fd, keep);
        closeSync(fd);
        fd = openSync(path, "a", 0o600);
        if (!lastTerminated) writeAll(fd, "\n");
        fsyncSync(fd);
      } catch (cause) {
        throw new AzirError("internal", `cannot open journal ${path} for appending`, { hint: "check the file's permissions", cause });
      }
    } catch (error) {
      lock.release();
      throw error;
    }
  } else {
    if (!validIncidentId(options.incidentId)) {
      throw new AzirError("usage", `invalid incident id: ${JSON.stringify(options.incidentId)}`, {
        hint: "use letters, digits, dot, dash and underscore (it becomes a folder name)",
      });
    }
    const folder = join(options.dir, options.incidentId);
    try {
      // An incident folder holds evidence: only its owner may read it (the journals themselves are 0600).
      await mkdir(folder, { recursive: true, mode: 0o700 });
    } catch (cause) {
      throw outFolderError(`cannot create ${folder}`, cause);
    }
    lock = lockIncident(folder, clock);
    try {
      ({ fd, path } = createExclusive(folder, journalTimestamp(clock.now())));
      fsyncDir(folder);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  let open = true;
  // One fsync for the events of a turn: scheduled by the first of them, run before the loop goes on to new I/O.
  let syncPending = false;
  const failed = (cause: unknown): AzirError => {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    return new AzirError("internal", `cannot write the timeline journal ${path}: ${code}${code === "ENOSPC" ? " (the disk is full)" : ""}`, {
      hint: `free space (or fix the folder), then continue with azir run --resume ${path}: the journal holds every event up to its last whole line`,
      cause,
    });
  };
  const sync = (): void => {
    if (!syncPending || writeFailure) return;
    syncPending = false;
    try {
      fsyncSync(fd);
    } catch (cause) {
      // The next append (or close) says so: nothing is appended after a journal that could not be made durable.
      writeFailure = failed(cause);
    }
  };

  const journal: Journal = {
    path,
    incidentId: journalIncidentId(path),
    runId,
    mode,
    get events() {
      return events.slice();
    },
    append<E extends EventInput>(input: E): EventOf<E["kind"]> {
      if (!open) throw new AzirError("internal", `journal ${basename(path)} is closed`, { hint: "append before close()" });
      const clean = redact(input, options.secrets);
      const data: Record<string, unknown> = clean.data === undefined ? {} : (clean.data as Record<string, unknown>);
      let occurredAt = clean.occurredAt;
      if (occurredAt === undefined && clean.kind === "finding" && typeof data.occurredAt === "string") occurredAt = data.occurredAt;
      const draft: Record<string, unknown> = {
        seq: events.length + 1,
        runId,
        recordedAt: clock.now().toISOString(),
        occurredAt: occurredAt === undefined ? undefined : normaliseTime(occurredAt, "occurredAt"),
        kind: clean.kind,
        mode,
        step: clean.step,
        summary: clean.summary,
        data,
        prev: prevHash,
      };
      // Round-trip through JSON so the hash covers exactly what a reader will parse (no undefined, Dates as text).
      const plain = JSON.parse(JSON.stringify(draft)) as Record<string, unknown>;
      plain.hash = computeEventHash(plain);
      if (options.key) plain.mac = signLine(options.key, plain.hash as string);
      const checked = timelineEventSchema.safeParse(plain);
      if (!checked.success) {
        throw new AzirError("internal", `invalid ${String(clean.kind)} event for the timeline: ${describeIssue(checked.error)}`, {
          hint: "this is a defect in the code that recorded the event",
        });
      }
      // A failed write (a full disk) may leave part of this line: nothing more is appended after it, so that the
      // journal ends with a torn line, which resume recognises, and never carries on past damage.
      if (writeFailure) throw writeFailure;
      try {
        writeAll(fd, `${JSON.stringify(plain)}\n`);
      } catch (cause) {
        writeFailure = failed(cause);
        throw writeFailure;
      }
      if (!syncPending) {
        syncPending = true;
        setImmediate(sync);
      }
      const event = plain as TimelineEvent;
      events.push(event);
      prevHash = event.hash;
      return event as EventOf<E["kind"]>;
    },
    close() {
      if (!open) return;
      open = false;
      const known = writeFailure;
      sync();
      closeSync(fd);
      lock.release();
      // A failure already thrown by an append is not thrown again; one the last fsync met is news.
      if (writeFailure && writeFailure !== known) throw writeFailure;
    },
  };
  return journal;
}

/** The incident folder of a journal path (`<out>/<incident-id>`). */
export function journalIncidentId(path: string): string {
  return basename(dirname(path));
}
