import { DelegateBackoff, handleWhen, retry, type IRetryBackoffContext } from "cockatiel";
import type { Context, Middleware, MiddlewareOptions } from "@microsoft/microsoft-graph-client";

/**
 * Which Graph requests may be sent again after an answer that does not say whether they were applied (500, 502, 503,
 * 504, a reset or dropped connection). GET, PATCH, PUT and DELETE are idempotent by HTTP's definition (RFC 9110
 * 9.2.2); a POST only when sending it twice leaves the tenant as sending it once:
 * - `revokeSignInSessions` sets the user's sessions-valid-from time to now: a second call revokes the same sessions;
 * - `riskyUsers/confirmCompromised` and `riskyUsers/dismiss` set a risk state: the same state again;
 * - a `$batch` envelope when each request inside it is idempotent.
 * Not idempotent, never re-sent on such an answer (the run stops; resume reads the tenant first): `addPassword`
 * (a second secret), `removePassword` (the second answers an error for a key already gone), `roleEligibilityScheduleRequests`
 * (a second request object), and any other POST not listed. A 429 is re-sent for every method: Graph refused the
 * request before running it (concepts/throttling.md).
 */
const idempotentPost = [/\/revokeSignInSessions$/i, /^\/identityProtection\/riskyUsers\/(confirmCompromised|dismiss)$/i];

export function isIdempotentGraphRequest(method: string, path: string): boolean {
  const m = method.toUpperCase();
  if (m !== "POST") return m === "GET" || m === "PATCH" || m === "PUT" || m === "DELETE";
  const p = path.split("?")[0] ?? path;
  return idempotentPost.some((pattern) => pattern.test(p));
}

/** Per request: whether it may be re-sent after an answer that leaves its outcome unknown (default: by method, POST not). */
export class GraphRetryOption implements MiddlewareOptions {
  constructor(readonly idempotent: boolean) {}
}

export interface GraphRetrySettings {
  /** Re-sends after the first attempt (default 3). */
  maxRetries?: number;
  /** First delay without a Retry-After, in ms, doubled each time (default 3000, graph-client's own default). */
  retryDelayMs?: number;
  /** Longest wait for one Retry-After, in ms (default 60 s: the request's own deadline bounds the rest). */
  maxDelayMs?: number;
}

/** Statuses whose request Graph did not run (429) or may not have run (the others). */
const unknownOutcome = new Set([500, 502, 503, 504]);

/**
 * A network failure that may be transient: undici's `fetch failed` for a reset, refused or dropped connection (its
 * cause carries the system or undici code). An abort (the caller's or the deadline's) is not.
 */
export function isTransientNetworkError(error: Error): boolean {
  if (error.name === "AbortError" || error.name === "TimeoutError") return false;
  const own = (error as { code?: unknown }).code;
  const cause = (error as { cause?: { code?: unknown } }).cause?.code;
  const code = typeof cause === "string" ? cause : typeof own === "string" ? own : "";
  if (/^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|ENETUNREACH|EAI_AGAIN|UND_ERR_SOCKET|UND_ERR_CLOSED|UND_ERR_CONNECT_TIMEOUT)$/.test(code)) return true;
  // Any other code is not a passing failure (a certificate the client does not trust, a name that does not resolve).
  if (code !== "") return false;
  return error instanceof TypeError && /fetch failed|terminated|other side closed/i.test(error.message);
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 10.2.3), in ms; undefined without a usable one. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (value.trim() !== "" && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/**
 * graph-client middleware in place of its RetryHandler, which re-sends only 429, 503 and 504 and never a request whose
 * connection dropped. This one (cockatiel's retry policy) re-sends a 429 always, and a 500, 502, 503, 504 or a
 * transient network failure when the request is idempotent; it waits for Retry-After when the answer has one, and
 * otherwise backs off exponentially. The request's deadline (graph.ts) bounds the whole.
 */
export class GraphRetryHandler implements Middleware {
  private next: Middleware | undefined;
  private readonly maxRetries: number;
  private readonly retryDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    settings: GraphRetrySettings = {},
    private readonly now: () => number = Date.now,
  ) {
    this.maxRetries = settings.maxRetries ?? 3;
    this.retryDelayMs = settings.retryDelayMs ?? 3000;
    this.maxDelayMs = settings.maxDelayMs ?? 60_000;
  }

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const next = this.next;
    if (!next) throw new Error("GraphRetryHandler has no next middleware");
    const method = (context.options?.method ?? "GET").toUpperCase();
    const option = context.middlewareControl?.getMiddlewareOptions(GraphRetryOption) as GraphRetryOption | undefined;
    const path = typeof context.request === "string" ? new URL(context.request).pathname.replace(/^\/(v1\.0|beta)(?=\/)/, "") : "";
    const idempotent = option?.idempotent ?? isIdempotentGraphRequest(method, path);
    const policy = retry(
      handleWhen((error) => idempotent && isTransientNetworkError(error)).orWhenResult((r) => {
        const status = (r as Response).status;
        return status === 429 || (idempotent && unknownOutcome.has(status));
      }),
      { maxAttempts: this.maxRetries, backoff: new DelegateBackoff((ctx: IRetryBackoffContext<unknown>) => this.delay(ctx)) },
    );
    // An answer that will be retried is not read: its body is released so that the connection can be reused.
    policy.onRetry((reason) => {
      if ("value" in reason) void (reason.value as Response).body?.cancel().catch(() => undefined);
    });
    const signal = context.options?.signal ?? undefined;
    const response = await policy.execute(async () => {
      await next.execute(context);
      return context.response as Response;
    }, signal ?? undefined);
    context.response = response;
  }

  private delay(ctx: IRetryBackoffContext<unknown>): number {
    const fallback = Math.min(this.retryDelayMs * 2 ** (ctx.attempt - 1), this.maxDelayMs);
    if (!("value" in ctx.result)) return fallback;
    const given = retryAfterMs((ctx.result.value as Response).headers.get("retry-after"), this.now());
    return given === undefined ? fallback : Math.min(given, this.maxDelayMs);
  }
}
