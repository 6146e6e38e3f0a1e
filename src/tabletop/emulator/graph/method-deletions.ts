/**
 * One DELETE of a user's authentication method, from its arrival at the server to its answer.
 * `start` when it reaches the Graph route (after latency, token and fault checks), `settled` before deciding,
 * `finish` once answered, whatever happened.
 */
export interface MethodDeletion {
  readonly userId: string;
  /** The request reached the route: it now runs alongside every other running deletion of the user's methods. */
  start(): void;
  /** Resolves once no other deletion of this user's methods is still between arrival and `start`. */
  settled(): Promise<void>;
  /** Whether another deletion of the same user's methods ran at the same time as this one. */
  concurrent(): boolean;
  finish(): void;
}

interface Entry {
  userId: string;
  running: boolean;
  concurrent: boolean;
}

/**
 * The emulator's model of Graph's "the default method can only go last" (phoneauthenticationmethod-delete.md): the
 * default is refused while another deletion of the same user's methods runs at the same time. Deletions in flight
 * are counted per user, with no clock: two deletions are concurrent when one starts while the other is running,
 * and a deletion decides only once those that arrived with it (announced, not yet started) have started or given up.
 * The rule azure-reference.md section 4 gives (refused while any other method remains) is stricter; see
 * docs/emulator.md, "Default method".
 */
export class MethodDeletions {
  private readonly entries = new Set<Entry>();
  private readonly waiters = new Set<() => void>();

  /** Registers a deletion as it arrives, before anything asynchronous happens to it. */
  announce(userId: string): MethodDeletion {
    const entry: Entry = { userId, running: false, concurrent: false };
    this.entries.add(entry);
    return {
      userId,
      start: () => this.start(entry),
      settled: () => this.settled(entry),
      concurrent: () => entry.concurrent,
      finish: () => {
        this.entries.delete(entry);
        this.changed();
      },
    };
  }

  private start(entry: Entry): void {
    for (const other of this.entries) {
      if (other === entry || other.userId !== entry.userId || !other.running) continue;
      other.concurrent = true;
      entry.concurrent = true;
    }
    entry.running = true;
    this.changed();
  }

  private settled(entry: Entry): Promise<void> {
    const pending = (): boolean => [...this.entries].some((o) => o !== entry && o.userId === entry.userId && !o.running);
    if (!pending()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (pending()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  private changed(): void {
    for (const check of [...this.waiters]) check();
  }
}
