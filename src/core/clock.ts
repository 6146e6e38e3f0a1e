/** The only place azir reads the wall clock. Everything else receives a Clock. */
export interface Clock {
  now(): Date;
  /** Resolves after `ms` milliseconds (or immediately on a manual clock). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** A clock for tests: time moves only when told to (and by `sleep`). */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date | string = "2026-11-25T12:00:00Z") {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
  async sleep(ms: number): Promise<void> {
    this.current += ms;
  }
}

/** Monotonic milliseconds for measuring durations (not wall time). */
export function monotonicMs(): number {
  return performance.now();
}
