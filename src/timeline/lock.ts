import { closeSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import type { Clock } from "../core/clock.js";
import { AzirError } from "../core/errors.js";

/** Who holds an incident: the process, its machine and when it started. */
const holderSchema = z.object({ pid: z.int().positive(), host: z.string(), startedAt: z.string() });
export type LockHolder = z.infer<typeof holderSchema>;

export interface IncidentLock {
  /** The holder whose lock was stale (its process is gone) and was taken over, if any. */
  tookOverFrom?: LockHolder;
  release(): void;
}

/** Whether a process of this machine is still running (signal 0 checks without touching it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A lock file that does not parse and is older than this was not being written: it is damage, not a holder. */
const unreadableStaleMs = 10_000;
/** How long a process waits for another that is taking over a stale lock at the same moment: 200 looks, 10 ms apart. */
const takeoverLooks = 200;
let staged = 0;

type Read = { holder: LockHolder } | { unreadable: true; ageMs: number } | { absent: true };

function readHolder(path: string, now: number): Read {
  let text: string;
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { absent: true };
    return { unreadable: true, ageMs: 0 };
  }
  try {
    const parsed = holderSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { holder: parsed.data };
  } catch {
    // not JSON
  }
  return { unreadable: true, ageMs: now - mtimeMs };
}

/**
 * Creates `path` holding `content`, whole or not at all: the content goes to a file of this process first, then a
 * hard link gives it the lock's name, which fails if the name exists. A reader never sees a half-written lock.
 */
function createWhole(path: string, content: string, pid: number): boolean {
  const staging = `${path}.${pid}.${++staged}`;
  const fd = openSync(staging, "wx", 0o600);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(staging, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    unlinkSync(staging);
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const sameHolder = (a: LockHolder, b: LockHolder) => a.pid === b.pid && a.host === b.host && a.startedAt === b.startedAt;

/**
 * An exclusive lock on an incident folder: two runs on one incident (two responders, two resumes of one journal)
 * would send writes twice and interleave one journal. The second fails fast naming the holder; a lock left by a
 * process of this machine that is gone is taken over, by one process at a time: a takeover holds a second lock file
 * (`.azir.lock.takeover`) while it checks again that the lock is the stale one and removes it, so that two processes
 * that both saw it stale cannot both end up holding the incident.
 */
export function lockIncident(folder: string, clock: Clock, self: { pid: number; host: string } = { pid: process.pid, host: hostname() }): IncidentLock {
  const path = join(folder, ".azir.lock");
  const guard = `${path}.takeover`;
  const mine: LockHolder = { ...self, startedAt: clock.now().toISOString() };
  let tookOverFrom: LockHolder | undefined;
  let looks = 0;
  for (;;) {
    let created: boolean;
    try {
      created = createWhole(path, JSON.stringify(mine), self.pid);
    } catch (error) {
      throw new AzirError("internal", `cannot lock ${folder}`, { cause: error });
    }
    if (created) {
      return {
        ...(tookOverFrom ? { tookOverFrom } : {}),
        release() {
          const now = readHolder(path, clock.now().getTime());
          if ("holder" in now && sameHolder(now.holder, mine)) {
            try {
              unlinkSync(path);
            } catch {
              // already gone
            }
          }
        },
      };
    }
    const found = readHolder(path, clock.now().getTime());
    if ("absent" in found) continue;
    const stale = "holder" in found ? found.holder.host === self.host && !alive(found.holder.pid) : found.ageMs > unreadableStaleMs;
    if (!stale) {
      const who = "holder" in found ? `process ${found.holder.pid} on ${found.holder.host}, since ${found.holder.startedAt}` : "another run (its lock file is being written or is unreadable)";
      throw new AzirError("refused", `incident ${folder} is in use by ${who}`, {
        hint: `wait for that run to end; if it is gone (another machine, or a crash there), delete ${path} and run again`,
      });
    }
    // One takeover at a time; whoever holds the guard checks again that the lock is still the stale one.
    let guarded = false;
    try {
      guarded = createWhole(guard, JSON.stringify(mine), self.pid);
    } catch (error) {
      throw new AzirError("internal", `cannot lock ${folder}`, { cause: error });
    }
    if (!guarded) {
      const other = readHolder(guard, clock.now().getTime());
      const abandoned = "holder" in other ? other.holder.host === self.host && !alive(other.holder.pid) : "unreadable" in other && other.ageMs > unreadableStaleMs;
      if (abandoned) {
        try {
          unlinkSync(guard);
        } catch {
          // another process removed it
        }
      } else if (++looks > takeoverLooks) {
        throw new AzirError("refused", `incident ${folder} is being taken over by another run`, { hint: `run again in a moment; if nothing runs, delete ${guard}` });
      } else {
        sleepSync(10);
      }
      continue;
    }
    try {
      const again = readHolder(path, clock.now().getTime());
      if ("holder" in again && "holder" in found && sameHolder(again.holder, found.holder)) {
        unlinkSync(path);
        tookOverFrom = found.holder;
      } else if ("unreadable" in again && again.ageMs > unreadableStaleMs) {
        unlinkSync(path);
      }
    } finally {
      unlinkSync(guard);
    }
  }
}
