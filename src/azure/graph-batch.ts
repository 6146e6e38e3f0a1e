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
 * - each inner request is throttled on its own (429 with its own Retry-After, or 503/504): just that request is sent
 *   again, after the delay it was given;
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
  /** How many times an inner request throttled (429, 503, 504) or refused for a failed dependency is sent again. */
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
  after: ReadonlyArray<Promise<unknown>>;
  state: "waiting" | "queued" | "sent" | "done";
  attempts: number;
  promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const throttled = new Set([429, 503, 504]);

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
    const queue = this.queue;
    this.queue = [];
    const beta = queue.filter((p) => p.request.version === "beta");
    for (const p of beta) void this.sendAlone(p);
    const batches = packBatches(
      queue.filter((p) => p.request.version !== "beta"),
      (p) => this.queuedDeps(p),
    );
    for (const batch of batches) {
      if (batch.length === 1 && this.queuedDeps(batch[0]!).length === 0) void this.sendAlone(batch[0]!);
      else void this.sendBatch(batch);
    }
  }

  private async sendAlone(p: Pending): Promise<void> {
    p.state = "sent";
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
    for (const p of sent) p.state = "sent";
    for (const p of cut) p.state = "waiting";
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
    if (answer.status >= 200 && answer.status < 300) return this.settle(p, true, answer.body);
    const again = answer.status === 424 || throttled.has(answer.status);
    if (again && p.attempts < this.maxRetries) {
      p.attempts++;
      p.state = "waiting";
      if (answer.status !== 424) await this.sleep(retryDelay(answer.headers, this.retryDelayMs * 2 ** (p.attempts - 1), this.options.now?.() ?? 0));
      this.enqueue(p);
      return;
    }
    this.settle(p, false, this.transport.failure(p.request, answer.status, answer.body));
  }

  private settle(p: Pending, ok: boolean, value: unknown): void {
    p.state = "done";
    if (ok) p.resolve(value);
    else p.reject(value);
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
