import type { Clock } from "../../core/clock.js";
import type { RequestLogEntry } from "./types.js";

/** The requests the emulator saw, in order, timed by the emulator's clock (never bodies or query strings). */
export class RequestLog {
  private readonly entries: RequestLogEntry[] = [];

  constructor(private readonly clock: Clock) {}

  record(entry: Omit<RequestLogEntry, "seq" | "time">): void {
    this.entries.push({ seq: this.entries.length + 1, time: this.clock.now().toISOString(), ...entry });
  }

  /** The sequence number the next entry will get. */
  nextSeq(): number {
    return this.entries.length + 1;
  }

  list(): RequestLogEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }
}
