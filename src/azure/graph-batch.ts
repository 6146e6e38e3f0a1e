import { z } from "zod";

/**
 * Graph JSON batching below the write gate (microsoft-graph-docs-contrib concepts/json-batching.md): requests handed
 * to the adapter in the same turn of the event loop go out together as `POST /$batch`, at most 20 to a batch. A
 * request may name requests it must follow (`after`): when those are in the same batch they become `dependsOn`, so
 * Graph runs them in order; when they are already on the wire, it waits for their answers and goes in a later batch.
 *
 * What Graph does inside a batch, and what azir does about it:
 * - inner responses come back in any order: they are matched by id;
 * - the batch answers 200 while inner requests fail: each inner status is judged on its own;
 * - each inner request is throttled on its own (429 with its own Retry-After): just that request is sent again,
 *   after the delay it was given; an inner 500, 502, 503 or 504 may or may not have run, so only an idempotent
 *   request is sent again (graph-retry.ts names which are);
 * - a request whose prerequisite failed answers 424 and was not run: it is sent again once its prerequisite has its
 *   final answer, which keeps the order and lets containment degrade instead of stop (revoke still goes when the
 *   block was refused).
 */

export const maxBatchSize = 20;

/** One request as the batcher sends it. `url` is below the version root, query string included. */
export interface BatchableRequest {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** v1.0 requests are batched; beta ones are sent on their own (a v1.0 batch cannot carry them). */
  version?: "v1.0" | "beta";
  /** Named when Graph refuses it (403). */
  permission?: string;
  /**
   * Whether it may be sent again after an inner 500, 502, 503 or 504, whose request may have run (graph-retry.ts);
   * a 429 is sent again either way. Default: false.
   */
  idempotent?: boolean;
  /** A budget with a pace of its own (Identity Protection: 1 request per second per tenant): its requests are spaced. */
  lane?: { key: string; intervalMs: number };
  /**
   * Requests that Graph takes as one, their lists joined (confirmCompromised takes `userIds`): those queued together
   * go as one request of at most `max` entries, and each caller gets its answer.
   */
  merge?: { key: string; field: string; max: number };
  /** Sends the request on its own, through the client's middleware (auth, retry): when it is alone in its turn. */
  alone(): Promise<unknown>;
}

export interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

export const batchAnswerSchema = z.object({
  responses: z.array(
    z.object({
      id: z.string(),
      status: z.number().int(),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
    }),
  ),
});
export type BatchResponse = z.infer<typeof batchAnswerSchema>["responses"][number];

/** How the batcher reaches Graph: one request on its own, or one `$batch`. */
export interface BatchTransport {
  batch(items: BatchItem[]): Promise<BatchResponse[]>;
  /** Turns an inner error answer into the error the caller sees (the same as for the request sent alone). */
  failure(request: BatchableRequest, status: number, body: unknown): Error;
}

export interface BatcherOptions {
  /**
   * How many times an inner request is sent again: throttled (429), refused for a failed dependency (424), or, when
   * idempotent, answered 500, 502, 503 or 504.
   */
  maxRetries?: number;
  /** Delay before a throttled inner request is sent again when its answer has no Retry-After, in ms (doubled each time). */
  retryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Called with each batch as it leaves (tests, the benchmark). */
  onBatch?: (size: number) => void;
  /** The clock's time in ms, for a Retry-After given as an HTTP date. */
  now?: () => number;
}

interface Pending {
  request: BatchableRequest;
  /** Requests merged into this one (see BatchableRequest.merge): they settle with it. */
  members?: Pending[];
  /** The paced lane it holds while on the wire. */
  lane?: { key: string; intervalMs: number } | undefined;
  after: ReadonlyArray<Promise<unknown>>;
  state: "waiting" | "queued" | "sent" | "done";
  attempts: number;
  promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Inner statuses whose request may or may not have run: sent again only when it is idempotent. */
const unknownOutcome = new Set([500, 502, 503, 504]);

interface Lane {
  busy: boolean;
  freeAt: number;
  waiting: Pending[];
  timer?: ReturnType<typeof setTimeout> | undefined;
}

/** Groups queued requests into batches of at most `size`, each dependency chain whole when it fits. Pure. */
export function packBatches<T>(items: readonly T[], deps: (item: T) => readonly T[], size = maxBatchSize): T[][] {
  // Connected components of the dependency graph among the queued items, in queue order.
  const parent = new Map<T, T>(items.map((i) => [i, i]));
  const find = (x: T): T => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  for (const item of items) for (const d of deps(item)) if (parent.has(d)) parent.set(find(item), find(d));
  const components = new Map<T, T[]>();
  for (const item of items) {
    const root = find(item);
    components.set(root, [...(components.get(root) ?? []), item]);
  }
  // First fit, largest chains first; a chain longer than a batch is cut in queue order (a later part waits).
  const batches: T[][] = [];
  const sorted = [...components.values()].sort((a, b) => b.length - a.length);
  for (const component of sorted) {
    for (let i = 0; i < component.length; i += size) {
      const part = component.slice(i, i + size);
      const fit = part.length === component.length ? batches.find((b) => b.length + part.length <= size) : undefined;
      if (fit) fit.push(...part);
      else batches.push(part);
    }
  }
  return batches;
}

/** Coalesces Graph requests into `$batch` requests. One per Graph adapter. */
export class GraphBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly byPromise = new WeakMap<Promise<unknown>, Pending>();
  /** The paced lanes: whether a request is on the wire, when the next may go, who waits. */
  private readonly lanes = new Map<string, Lane>();
  private readonly maxRetries: number;
  private readonly retryDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly transport: BatchTransport,
    private readonly options: BatcherOptions = {},
  ) {
    this.maxRetries = options.maxRetries ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * Sends a request, after the requests whose promises are in `after` (promises this batcher returned; others are
   * waited for). Resolves with the answer's body, or rejects with the transport's error for the answer.
   */
  request(request: BatchableRequest, after: readonly Promise<unknown>[] = []): Promise<unknown> {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const pending: Pending = { request, after, state: "waiting", attempts: 0, promise, resolve, reject };
    this.byPromise.set(promise, pending);
    this.enqueue(pending);
    return promise;
  }

  /** Queues a request once nothing it must follow is on the wire or waiting for a retry. */
  private enqueue(p: Pending): void {
    // A prerequisite on the wire, waiting for a retry, or not this batcher's: its final answer first (success or
    // failure alike); then only the ones still queued matter.
    const busy = p.after.filter((a) => {
      const dep = this.byPromise.get(a);
      return dep === undefined || dep.state === "waiting" || dep.state === "sent";
    });
    if (busy.length > 0) {
      p.state = "waiting";
      void Promise.allSettled(busy).then(() => {
        p.after = p.after.filter((a) => this.byPromise.has(a));
        this.enqueue(p);
      });
      return;
    }
    p.state = "queued";
    this.queue.push(p);
    if (!this.scheduled) {
      this.scheduled = true;
      // Everything handed over in this turn of the event loop (and the promise jobs it starts) goes together.
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  private queuedDeps(p: Pending): Pending[] {
    return p.after.map((a) => this.byPromise.get(a)).filter((d): d is Pending => d !== undefined && d.state === "queued");
  }

  private flush(): void {
    const queue = this.pace(this.merged(this.queue));
    this.queue = [];
    const beta = queue.filter((p) => p.request.version === "beta");
    for (const p of beta) void this.sendAlone(p);
    const batches = packBatches(
      queue.filter((p) => p.request.version !== "beta"),
      (p) => this.queuedDeps(p),
    );
    for (const batch of batches) {
      // Alone, a request goes as itself (the client's own retry policy applies); a merged one only exists in a batch.
      if (batch.length === 1 && this.queuedDeps(batch[0]!).length === 0 && !batch[0]!.members) void this.sendAlone(batch[0]!);
      else void this.sendBatch(batch);
    }
  }

  /** Queued requests that Graph takes as one, joined: one request for each group of up to `max`. */
  private merged(queue: Pending[]): Pending[] {
    const out: Pending[] = [];
    const groups = new Map<string, Pending>();
    for (const p of queue) {
      const merge = p.request.merge;
      if (!merge) {
        out.push(p);
        continue;
      }
      const group = groups.get(merge.key);
      const entries = (p.request.body as Record<string, unknown> | undefined)?.[merge.field];
      if (!Array.isArray(entries)) {
        out.push(p);
        continue;
      }
      if (group && group.members && (group.request.body as Record<string, unknown[]>)[merge.field]!.length + entries.length <= merge.max) {
        (group.request.body as Record<string, unknown[]>)[merge.field]!.push(...entries);
        group.members.push(p);
        group.after = [...group.after, ...p.after];
        continue;
      }
      let resolve!: (v: unknown) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<unknown>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined);
      const body = { ...(p.request.body as Record<string, unknown>), [merge.field]: [...entries] };
      const joined: Pending = { request: { ...p.request, body }, after: [...p.after], state: "queued", attempts: 0, promise, resolve, reject, members: [p] };
      this.byPromise.set(promise, joined);
      groups.set(merge.key, joined);
      out.push(joined);
    }
    return out.map((p) => (p.members?.length === 1 ? p.members[0]! : p));
  }

  /**
   * A paced lane has one request on the wire at a time, the next no sooner than its interval after the answer to the
   * one before: spacing by the time of sending would bunch requests up whenever the service answers late.
   */
  private pace(queue: Pending[]): Pending[] {
    const now = this.options.now?.() ?? 0;
    const out: Pending[] = [];
    for (const p of queue) {
      const lane = p.request.lane;
      if (!lane) {
        out.push(p);
        continue;
      }
      const l = this.lane(lane.key);
      if (!l.busy && now >= l.freeAt) {
        l.busy = true;
        p.lane = lane;
        out.push(p);
        continue;
      }
      p.state = "waiting";
      l.waiting.push(p);
      if (!l.busy) this.wake(l, now);
    }
    return out;
  }

  private lane(key: string): Lane {
    let l = this.lanes.get(key);
    if (!l) {
      l = { busy: false, freeAt: 0, waiting: [] };
      this.lanes.set(key, l);
    }
    return l;
  }

  /** A paced request left the wire (answered, or not sent after all): its lane's next request may go after the interval. */
  private release(p: Pending, answered: boolean): void {
    if (!p.lane) return;
    const l = this.lane(p.lane.key);
    const now = this.options.now?.() ?? 0;
    l.busy = false;
    if (answered) l.freeAt = Math.max(l.freeAt, now + p.lane.intervalMs);
    p.lane = undefined;
    this.wake(l, now);
  }

  /** Lets the first request waiting in a free lane go once its interval has passed. */
  private wake(l: Lane, now: number): void {
    if (l.waiting.length === 0 || l.timer) return;
    l.timer = setTimeout(() => {
      l.timer = undefined;
      const next = l.waiting.shift();
      if (next) this.enqueue(next);
    }, Math.max(0, l.freeAt - now));
  }

  private async sendAlone(p: Pending): Promise<void> {
    this.markSent(p);
    try {
      const value = await p.request.alone();
      this.settle(p, true, value);
    } catch (error) {
      this.settle(p, false, error);
    }
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    // A request whose prerequisite was cut into another batch of this flush (a chain longer than 20), and whatever
    // depends on it, waits for that batch's answers instead (see packBatches).
    const cut = new Set<Pending>();
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of batch) {
        if (!cut.has(p) && this.queuedDeps(p).some((d) => !batch.includes(d) || cut.has(d))) {
          cut.add(p);
          grew = true;
        }
      }
    }
    const sent = batch.filter((p) => !cut.has(p));
    const ids = new Map(sent.map((p, i) => [p, String(i + 1)]));
    const items: BatchItem[] = sent.map((p) => {
      const deps = this.queuedDeps(p);
      const body = p.request.body;
      const hasBody = body !== undefined || (p.request.method !== "GET" && p.request.method !== "DELETE");
      return {
        id: ids.get(p)!,
        method: p.request.method,
        url: p.request.url,
        ...(hasBody ? { body: body ?? {}, headers: { "Content-Type": "application/json", ...(p.request.headers ?? {}) } } : p.request.headers ? { headers: p.request.headers } : {}),
        ...(deps.length > 0 ? { dependsOn: deps.map((d) => ids.get(d)!) } : {}),
      };
    });
    for (const p of sent) this.markSent(p);
    for (const p of cut) {
      p.state = "waiting";
      this.release(p, false);
    }
    for (const p of cut) this.enqueue(p);
    this.options.onBatch?.(sent.length);
    let responses: BatchResponse[];
    try {
      responses = await this.transport.batch(items);
    } catch (error) {
      for (const p of sent) this.settle(p, false, error);
      return;
    }
    const byId = new Map(responses.map((r) => [r.id, r]));
    for (const p of sent) {
      const answer = byId.get(ids.get(p)!);
      if (!answer) {
        this.settle(p, false, this.transport.failure(p.request, 502, { error: { code: "BadGateway", message: "the batch answer has no response for this request" } }));
        continue;
      }
      void this.judge(p, answer);
    }
  }

  private async judge(p: Pending, answer: BatchResponse): Promise<void> {
    this.release(p, answer.status !== 424);
    if (answer.status >= 200 && answer.status < 300) return this.settle(p, true, answer.body);
    const again = answer.status === 424 || answer.status === 429 || (p.request.idempotent === true && unknownOutcome.has(answer.status));
    if (again && p.attempts < this.maxRetries) {
      p.attempts++;
      p.state = "waiting";
      if (answer.status !== 424) await this.sleep(retryDelay(answer.headers, this.retryDelayMs * 2 ** (p.attempts - 1), this.options.now?.() ?? 0));
      this.enqueue(p);
      return;
    }
    this.settle(p, false, this.transport.failure(p.request, answer.status, answer.body));
  }

  private markSent(p: Pending): void {
    p.state = "sent";
    for (const m of p.members ?? []) this.markSent(m);
  }

  private settle(p: Pending, ok: boolean, value: unknown): void {
    this.release(p, true);
    p.state = "done";
    if (ok) p.resolve(value);
    else p.reject(value);
    for (const m of p.members ?? []) this.settle(m, ok, value);
  }
}

/** Retry-After in seconds (or an HTTP date), from an inner response's headers; `fallback` ms without one. */
export function retryDelay(headers: Record<string, string> | undefined, fallback: number, now: number): number {
  const value = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === "retry-after")?.[1];
  if (value === undefined) return fallback;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : fallback;
}
