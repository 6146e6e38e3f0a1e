import type { TokenCredential } from "@azure/core-auth";
import type { Client, GraphRequest } from "@microsoft/microsoft-graph-client";
import { AzirError } from "../core/errors.js";
import type { GraphQueryOptions, GraphReader, HttpWrite } from "../core/ports.js";
import { licenceRefusal } from "../entra/facts.js";
import { graphPermissionFor, missingScopeHint } from "../entra/permissions.js";
import { AzureServiceError, codeForStatus, isMissingScopeAnswer, pathOnly, rawServiceError, safeCause } from "./errors.js";
import { batchAnswerSchema, GraphBatcher, type BatchableRequest, type BatchItem, type BatchResponse } from "./graph-batch.js";
import type { RetrySettings } from "./logs.js";

export interface GraphAdapterOptions {
  credential: TokenCredential;
  /** Graph origin, e.g. `https://graph.microsoft.com` (the version segment is added). */
  baseUrl: string;
  /** Token scope, e.g. `https://graph.microsoft.com/.default`. */
  scope: string;
  ca?: string;
  retry?: RetrySettings;
  /** Per-request deadline, retries included (default 60 s). */
  timeoutMs?: number;
  /** Pacing of the Conditional Access reads (default 1 request per second, on the process's monotonic clock). */
  pacing?: PacingOptions;
  /** Send requests of the same turn as one `$batch` (default true). */
  batching?: boolean;
  /** Called with the size of each `$batch` sent. */
  onBatch?: (size: number) => void;
  /** The clock's time in ms (an inner Retry-After given as a date). */
  now?: () => number;
}

export interface PacingOptions {
  /** Least time between two paced requests (default 1000 ms). */
  intervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Conditional Access (policies, named locations) answers 1 request per second per tenant, all apps combined, and its
 * 429 carries no Retry-After (azure-reference.md sections 7 and 9): azir sends its own such reads one at a time, a
 * second apart, so that it does not spend the tenant's budget on refusals. graph-client's retry handler still backs off
 * (exponentially, a bounded number of times) from a 429 another app caused.
 */
const pacedPath = /^\/identity\/conditionalAccess(\/|$)/i;

export function createPacer(options: PacingOptions = {}): <T>(path: string, run: () => Promise<T>) => Promise<T> {
  const interval = options.intervalMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let queue: Promise<unknown> = Promise.resolve();
  let last: number | undefined;
  return <T>(path: string, run: () => Promise<T>): Promise<T> => {
    if (!pacedPath.test(path)) return run();
    const turn = queue.then(async () => {
      const wait = last === undefined ? 0 : last + interval - now();
      if (wait > 0) await sleep(wait);
      try {
        return await run();
      } finally {
        last = now();
      }
    });
    queue = turn.catch(() => undefined);
    return turn;
  };
}

/** Graph reads and writes over one graph-client instance, coalesced into JSON batches (graph-batch.ts). */
export interface GraphAdapter extends GraphReader {
  /**
   * Sends one write; only the effect performer calls it. `after`: promises of earlier sends this one must follow
   * (in one batch they become `dependsOn`).
   */
  send(request: HttpWrite, signal?: AbortSignal, after?: ReadonlyArray<Promise<unknown>>): Promise<unknown>;
}

const graphHosts = new Set(["graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn"]);
// A safety stop for a service that keeps handing out nextLinks: no real collection azir reads is this long.
const maxPages = 1000;

/** Creates the Graph adapter; graph-client and undici are imported here, not at module load. */
export async function createGraphAdapter(options: GraphAdapterOptions): Promise<GraphAdapter> {
  const graph = await import("@microsoft/microsoft-graph-client");
  const { TokenCredentialAuthenticationProvider } = await import(
    "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js"
  );
  const { GraphRetryHandler, GraphRetryOption, isIdempotentGraphRequest } = await import("./graph-retry.js");
  const authProvider = new TokenCredentialAuthenticationProvider(options.credential, { scopes: [options.scope] });
  const base = new URL(options.baseUrl);
  const customHosts = graphHosts.has(base.hostname) ? undefined : new Set([base.hostname]);

  // The default chain, its RetryHandler replaced by one that also re-sends idempotent requests after a 500, a 502 or
  // a dropped connection (graph-retry.ts); the same settings (the default is 3 retries, 3 s base delay).
  const auth = new graph.AuthenticationHandler(authProvider);
  const retry = new GraphRetryHandler(
    { maxRetries: options.retry?.maxRetries ?? 3, retryDelayMs: options.retry?.retryDelayMs ?? 3000 },
    options.now ?? Date.now,
  );
  const redirect = new graph.RedirectHandler(new graph.RedirectHandlerOptions());
  const telemetry = new graph.TelemetryHandler();
  const http = new graph.HTTPMessageHandler();
  auth.setNext(retry);
  retry.setNext(redirect);
  redirect.setNext(telemetry);
  telemetry.setNext(http);

  let fetchOptions: Record<string, unknown> | undefined;
  if (options.ca) {
    const { Agent } = await import("undici");
    fetchOptions = { dispatcher: new Agent({ connect: { ca: options.ca } }) };
  }
  const client: Client = graph.Client.initWithMiddleware({
    middleware: auth,
    baseUrl: `${base.origin}/`,
    defaultVersion: "v1.0",
    ...(customHosts ? { customHosts } : {}),
    ...(fetchOptions ? { fetchOptions } : {}),
  });

  const build = (path: string, query: GraphQueryOptions | undefined, signal?: AbortSignal, idempotent?: boolean): GraphRequest => {
    let req = client.api(path);
    if (idempotent !== undefined) req = req.middlewareOptions([new GraphRetryOption(idempotent)]);
    if (query?.select?.length) req = req.select(query.select);
    if (query?.filter) req = req.filter(query.filter);
    if (query?.expand) req = req.expand(query.expand);
    if (query?.top !== undefined) req = req.top(query.top);
    if (query?.headers) req = req.headers(query.headers);
    if (signal) req = req.option("signal", signal);
    return req;
  };

  // A server that accepts and never answers must not hold a run: each request has its own deadline (retries included).
  const timeoutMs = options.timeoutMs ?? 60_000;
  const timed = async <T>(method: string, path: string, signal: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>, permission?: string): Promise<T> => {
    const deadline = AbortSignal.timeout(timeoutMs);
    // The deadline ends the wait even while a retry waits out its delay (which no signal interrupts).
    let stop: (() => void) | undefined;
    const expired = new Promise<never>((_, reject) => {
      stop = () => reject(deadline.reason);
      deadline.addEventListener("abort", stop, { once: true });
    });
    try {
      return await Promise.race([run(signal ? AbortSignal.any([signal, deadline]) : deadline), expired]);
    } catch (error) {
      if (deadline.aborted && !signal?.aborted) {
        throw new AzureServiceError("service", `Graph did not answer ${method.toUpperCase()} ${pathOnly(path)} within ${Math.round(timeoutMs / 1000)} s`, {
          service: "Graph",
          status: 408,
          hint: "The request may or may not have been applied: run again; every action reads the tenant first and sends only what is missing.",
          details: ["status: 408"],
        });
      }
      throw translateGraphError(error, method, path, permission);
    } finally {
      if (stop) deadline.removeEventListener("abort", stop);
    }
  };

  const batcher = new GraphBatcher(
    {
      batch: (items: BatchItem[]) =>
        timed("POST", "/$batch", undefined, async (signal) => {
          // The envelope may be sent again after a dropped connection or a 5xx only when every request inside may.
          const idempotent = items.every((i) => isIdempotentGraphRequest(i.method, i.url));
          const answer = batchAnswerSchema.safeParse(
            await client.api("/$batch").version("v1.0").middlewareOptions([new GraphRetryOption(idempotent)]).option("signal", signal).post({ requests: items }),
          );
          if (!answer.success) {
            throw new AzirError("service", "Graph answered POST /$batch with a body that is not a batch answer: the requests' outcomes are unknown", {
              hint: "Run again: every action reads the tenant first and sends only what is missing.",
            });
          }
          return answer.data.responses satisfies BatchResponse[];
        }),
      failure: (request: BatchableRequest, status: number, body: unknown) => translateGraphError(innerError(status, body), request.method, request.url, request.permission),
    },
    {
      maxRetries: options.retry?.maxRetries ?? 3,
      retryDelayMs: options.retry?.retryDelayMs ?? 3000,
      ...(options.onBatch ? { onBatch: options.onBatch } : {}),
      ...(options.now ? { now: options.now } : {}),
    },
  );
  const batching = options.batching ?? true;

  /**
   * A DELETE answered 404 may be one re-sent after a first attempt that removed the object but lost its answer: it
   * is "already removed" (a success whose value says so, `{ alreadyRemoved: true }`) once a read of the object also
   * answers 404. When the read finds the object, or cannot tell, the deletion failed.
   */
  const confirmed = (request: HttpWrite, sent: Promise<unknown>): Promise<unknown> =>
    request.method !== "DELETE"
      ? sent
      : sent.catch(async (error: unknown) => {
          if (!(error instanceof AzureServiceError) || error.status !== 404) throw error;
          const still = await get<unknown>(request.path).then(
            () => true,
            (read: unknown) => (read instanceof AzureServiceError && read.status === 404 ? false : undefined),
          );
          if (still === false) return { alreadyRemoved: true };
          throw new AzureServiceError("service", `Graph answered 404 to DELETE ${pathOnly(request.path)}, but ${still ? "the object is still there" : "a read could not confirm it is gone"}`, {
            service: "Graph",
            status: 409,
            hint: "Run the step again: it reads the tenant first and removes what is still there.",
            details: [`service said: ${error.message}`],
          });
        });

  // Batched requests are paced by the batcher's lanes; the pacer spaces what goes alone (no batching, next pages).
  const pace = createPacer(options.pacing);
  const unpaced = <T>(path: string, query?: GraphQueryOptions): Promise<T> => timed("GET", path, undefined, async (signal) => (await build(path, query, signal).get()) as T);
  const direct = <T>(path: string, query?: GraphQueryOptions): Promise<T> => (batching ? unpaced<T>(path, query) : pace(path, () => unpaced<T>(path, query)));
  const get = <T>(path: string, query?: GraphQueryOptions): Promise<T> =>
    batching
      ? (batcher.request({ method: "GET", url: withQuery(path, query), ...(query?.headers ? { headers: query.headers } : {}), ...budgetOf("GET", path), idempotent: true, alone: () => direct<T>(path, query) }) as Promise<T>)
      : direct<T>(path, query);

  return {
    get,
    async find<T>(path: string, query?: GraphQueryOptions): Promise<T | undefined> {
      try {
        return await get<T>(path, query);
      } catch (error) {
        if (error instanceof AzureServiceError && error.status === 404) return undefined;
        throw error;
      }
    },
    async list<T>(path: string, query?: GraphQueryOptions): Promise<T[]> {
      const items: T[] = [];
      let page: unknown = await get<unknown>(path, query);
      for (let n = 0; ; n++) {
        const { value, next } = collectionPage(page, path);
        // One push per item: spreading a page of hundreds of thousands of items overflows the stack.
        for (const item of value) items.push(item as T);
        if (!next) return items;
        if (!/^https:\/\//i.test(next)) {
          throw new AzirError("service", `Graph returned a non-https nextLink for GET ${pathOnly(path)}.`, { hint: "Paging stopped to avoid sending the token in clear text." });
        }
        // The token goes with every page: a nextLink to another host would hand it to that host.
        if (new URL(next).origin !== base.origin) {
          throw new AzirError("service", `Graph returned a nextLink to another host (${new URL(next).origin}) for GET ${pathOnly(path)}.`, {
            hint: "Paging stopped: the token is sent only to the Graph endpoint azir was given.",
          });
        }
        if (n >= maxPages) throw new AzirError("service", `Graph paging for GET ${pathOnly(path)} exceeded ${maxPages} pages.`);
        page = await pace(path, () => timed("GET", path, undefined, async (signal) => (await client.api(next).headers(query?.headers ?? {}).option("signal", signal).get()) as unknown));
      }
    },
    send(request: HttpWrite, signal?: AbortSignal, after: ReadonlyArray<Promise<unknown>> = []): Promise<unknown> {
      const alone = (): Promise<unknown> =>
        timed(
          request.method,
          request.path,
          signal,
          async (combined) => {
            const req = build(request.path, undefined, combined, isIdempotentGraphRequest(request.method, request.path)).version(request.version ?? "v1.0");
            switch (request.method) {
              case "PATCH":
                return await req.patch(request.body ?? {});
              case "POST":
                return await req.post(request.body ?? {});
              case "PUT":
                return await req.put(request.body ?? {});
              case "DELETE":
                return await req.delete();
            }
          },
          request.permission,
        );
      if (!batching) return confirmed(request, Promise.allSettled(after).then(alone));
      return confirmed(request, batcher.request(
        {
          method: request.method,
          url: request.path,
          ...(request.body === undefined ? {} : { body: request.body }),
          ...(request.version ? { version: request.version } : {}),
          ...(request.permission ? { permission: request.permission } : {}),
          ...(request.version === "beta" ? {} : budgetOf(request.method, request.path)),
          idempotent: isIdempotentGraphRequest(request.method, request.path),
          alone,
        },
        after,
      ));
    },
  };
}

/**
 * How a request is paced and merged. Identity Protection and Conditional Access allow 1 request per second per tenant,
 * all applications together, and their 429 has no Retry-After (throttling-limits.md,
 * includes/throttling-identityprotection-ca.md): azir spaces them itself. confirmCompromised takes a list of users
 * (riskyuser-confirmcompromised.md, "userIds": "one or more"; no maximum is documented, so azir sends at most 50).
 */
export function budgetOf(method: string, path: string): Pick<BatchableRequest, "lane" | "merge"> {
  const paced = /^\/(identityProtection|identity\/conditionalAccess)(\/|$)/i.test(path);
  return {
    ...(paced ? { lane: { key: "identityProtection", intervalMs: 1000 } } : {}),
    ...(method.toUpperCase() === "POST" && path === "/identityProtection/riskyUsers/confirmCompromised" ? { merge: { key: path, field: "userIds", max: 50 } } : {}),
  };
}

/** A path with its OData query, as an inner request of a batch names it (`/users/x?$select=id,displayName`). */
export function withQuery(path: string, query: GraphQueryOptions | undefined): string {
  const parts: string[] = [];
  if (query?.select?.length) parts.push(`$select=${encodeURIComponent(query.select.join(","))}`);
  if (query?.filter) parts.push(`$filter=${encodeURIComponent(query.filter)}`);
  if (query?.expand) parts.push(`$expand=${encodeURIComponent(query.expand)}`);
  if (query?.top !== undefined) parts.push(`$top=${query.top}`);
  return parts.length ? `${path}${path.includes("?") ? "&" : "?"}${parts.join("&")}` : path;
}

/** An inner error answer of a batch in the shape graph-client gives a GraphError, for translateGraphError. */
function innerError(status: number, body: unknown): { statusCode: number; code?: string; message: string; body?: string } {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return {
    statusCode: status,
    ...(typeof error?.code === "string" ? { code: error.code } : {}),
    message: typeof error?.message === "string" ? error.message : `status ${status}`,
    ...(error ? { body: JSON.stringify(error) } : {}),
  };
}

/**
 * A collection page as Graph answers it (`{"value": [...], "@odata.nextLink"?: "..."}`, odata collection format): a
 * `value` that is not an array is an answer azir cannot read, never an empty collection.
 */
function collectionPage(page: unknown, path: string): { value: readonly unknown[]; next: string | undefined } {
  const body = page !== null && typeof page === "object" ? (page as Record<string, unknown>) : undefined;
  const value = body?.value;
  const next = body?.["@odata.nextLink"];
  if (!Array.isArray(value) || (next !== undefined && typeof next !== "string")) {
    throw new AzirError("service", `Graph answered GET ${pathOnly(path)} with a body that is not a collection page: no data was read`, {
      hint: "A proxy or gateway may be answering for Graph; check the endpoint and run again.",
    });
  }
  return { value, next };
}

/** Whether Graph refused for a licence the tenant lacks rather than for a permission (facts.ts, licenceRefusal). */
export function isLicenceRefusal(raw: { status: number; serviceCode?: string | undefined; message: string }): boolean {
  if (raw.status !== 403) return false;
  return (raw.serviceCode !== undefined && (licenceRefusal.codes as readonly string[]).includes(raw.serviceCode)) || licenceRefusal.message.test(raw.message);
}

/** `"<what Graph said>" (<code>)`: the service's own words, first in every translated message. */
function said(raw: { serviceCode?: string | undefined; message: string }): string {
  const text = raw.message.trim() === "" ? "(no message)" : `"${raw.message.trim()}"`;
  return raw.serviceCode ? `${text} (${raw.serviceCode})` : text;
}

/**
 * A GraphError (or network error) as an AzirError naming the service, method and path. The message gives what Graph
 * said first, then what azir makes of it: a 403 can mean a missing permission, a privileged target, a token without
 * the scope, or a licence the tenant lacks, and only the service's words tell them apart.
 */
export function translateGraphError(error: unknown, method: string, path: string, permission?: string): AzirError {
  if (error instanceof AzirError) return error;
  if (error instanceof Error && error.name === "AbortError") {
    return new AzirError("interrupted", `The Graph request ${method} ${pathOnly(path)} was cancelled.`, { cause: safeCause(error) });
  }
  const raw = rawServiceError(error);
  const where = `${method.toUpperCase()} ${pathOnly(path)}`;
  const needs = permission ?? graphPermissionFor(method, path);
  const common = { service: "Graph" as const, status: raw.status, serviceCode: raw.serviceCode, cause: error };
  const serviceSaid = [`service said: ${raw.message}`];
  if (isLicenceRefusal(raw)) {
    return new AzureServiceError("licence", `Graph answered 403 on ${where}: ${said(raw)}: the tenant lacks the licence this needs, not a permission`, {
      ...common,
      hint: "No permission or role changes this: the feature needs a licence the tenant does not have (Identity Protection: Microsoft Entra ID P2; sign-in logs and reports: P1 or P2).",
      details: serviceSaid,
    });
  }
  if (raw.status === 403 && isMissingScopeAnswer(raw.message)) {
    // The token, not the identity's roles: a delegated token from an app without the permission (azure-reference.md 9).
    return new AzureServiceError("permission", `Graph answered 403 on ${where}: the token lacks the delegated permission ${needs ?? "this request needs"} (required scopes are missing in the token)`, {
      ...common,
      hint: missingScopeHint(needs),
      details: [`service said: ${raw.message}`, ...(needs ? [`needs: ${needs}`] : [])],
    });
  }
  if (raw.status === 403) {
    return new AzureServiceError("permission", `Graph answered 403 on ${where}: ${said(raw)}: the request needs ${needs ?? "a permission the identity may lack"}`, {
      ...common,
      hint: needs
        ? `Grant ${needs} (admin consent), or, for a target that holds a directory role, run as Privileged Authentication Administrator.`
        : "Check the identity's Graph permissions and directory roles.",
      details: [...serviceSaid, ...(needs ? [`needs: ${needs}`] : [])],
    });
  }
  if (raw.status === 401) {
    return new AzureServiceError("auth", `Graph answered 401 on ${where}: ${said(raw)}: the token was refused`, {
      ...common,
      hint: "Sign in again, and check the tenant and that the token is for Microsoft Graph.",
      details: serviceSaid,
    });
  }
  if (raw.status === -1) {
    return new AzureServiceError("service", `Could not reach Graph for ${where}: ${raw.message}`, {
      ...common,
      hint: "Check network access to the Graph endpoint (and the CA, for a local emulator).",
    });
  }
  if (raw.status >= 300 && raw.status < 400) {
    // graph-client follows up to 5 redirects, then hands back the last one: something between azir and Graph (a
    // proxy, a gateway) keeps redirecting; Graph itself never answered.
    return new AzureServiceError("service", `Graph answered ${raw.status} on ${where}: a redirect that kept redirecting; Graph itself did not answer`, {
      ...common,
      hint: "A proxy or gateway is redirecting the Graph endpoint: check the endpoint and the network path, then run again.",
    });
  }
  const code = codeForStatus(raw.status);
  return new AzureServiceError(code, `Graph answered ${raw.status} on ${where}: ${raw.message}`, {
    ...common,
    details: serviceSaid,
    hint:
      code === "not-found"
        ? "Check the id or user principal name."
        : code === "throttled"
          ? "Graph is throttling after retries; wait a minute and resume the run."
          : raw.status === 400
            ? "The service refused the request as sent; see the details."
            : "Retry later; Graph failed after the client's retries.",
  });
}
