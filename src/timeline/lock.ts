import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
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

/**
 * An exclusive lock on an incident folder: two runs on one incident (two responders, two resumes of one journal)
 * would send writes twice and interleave one journal. The second fails fast naming the holder; a lock left by a
 * process of this machine that is gone is taken over.
 */
export function lockIncident(folder: string, clock: Clock, self: { pid: number; host: string } = { pid: process.pid, host: hostname() }): IncidentLock {
  const path = join(folder, ".azir.lock");
  const mine: LockHolder = { ...self, startedAt: clock.now().toISOString() };
  let tookOverFrom: LockHolder | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, JSON.stringify(mine));
      closeSync(fd);
      return {
        ...(tookOverFrom ? { tookOverFrom } : {}),
        release() {
          try {
            const now = holderSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
            if (now.success && now.data.pid === mine.pid && now.data.host === mine.host && now.data.startedAt === mine.startedAt) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw new AzirError("internal", `cannot lock ${folder}`, { cause: error });
    }
    let holder: LockHolder | undefined;
    try {
      const parsed = holderSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
      holder = parsed.success ? parsed.data : undefined;
    } catch {
      holder = undefined;
    }
    const stale = holder !== undefined && holder.host === self.host && !alive(holder.pid);
    if (!stale) {
      const who = holder ? `process ${holder.pid} on ${holder.host}, since ${holder.startedAt}` : "another run (its lock file is unreadable)";
      throw new AzirError("refused", `incident ${folder} is in use by ${who}`, {
        hint: `wait for that run to end; if it is gone (another machine, or a crash there), delete ${path} and run again`,
      });
    }
    tookOverFrom = holder;
    unlinkSync(path);
  }
  throw new AzirError("refused", `incident ${folder} is in use by another run`, { hint: `delete ${path} once that run has ended` });
}
