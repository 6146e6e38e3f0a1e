import type { TokenCredential } from "@azure/core-auth";
import type { PipelinePolicy, RestError as RestErrorClass, RetryStrategy } from "@azure/core-rest-pipeline";
import type { LogsQueryClient, LogsTable as SdkLogsTable } from "@azure/monitor-query-logs";
import { AzirError } from "../core/errors.js";
import type { KustoType, LogsColumn, LogsPort, LogsQueryRequest, LogsQueryResult, LogsTable } from "../core/ports.js";
import { logAnalyticsPermission } from "../entra/permissions.js";
import { AzureServiceError, codeForStatus, rawServiceError, redact, safeCause } from "./errors.js";

/** Retry settings handed to the SDK's own retry policy. */
export interface RetrySettings {
  maxRetries?: number;
  retryDelayMs?: number;
}

export interface LogsAdapterOptions {
  credential: TokenCredential;
  /** Query endpoint including the version segment, e.g. `https://api.loganalytics.io/v1`. */
  endpoint: string;
  /** Token scope, e.g. `https://api.loganalytics.io/.default`. */
  scope: string;
  /** Extra CA certificate (PEM) to trust, e.g. the emulator's. */
  ca?: string;
  retry?: RetrySettings;
  /** Client-side deadline of one query, retries included (default: the server timeout plus 30 s). */
  clientTimeoutMs?: number;
}

const kustoTypes = new Set<string>(["string", "datetime", "dynamic", "bool", "int", "long", "real", "decimal", "guid", "timespan"]);
const omitTimespanHeader = "x-azir-omit-timespan";

/** A LogsPort over LogsQueryClient. The SDK is imported when the port is created, not before. */
export async function createLogsPort(options: LogsAdapterOptions): Promise<LogsPort> {
  const [{ LogsQueryClient: Client }, { RestError, retryPolicy }] = await Promise.all([import("@azure/monitor-query-logs"), import("@azure/core-rest-pipeline")]);
  const client: LogsQueryClient = new Client(options.credential, {
    endpoint: options.endpoint.replace(/\/+$/, ""),
    // The 1.0.0 client ignores `audience`; `credentials.scopes` is what sets the token scope.
    credentials: { scopes: [options.scope] },
    retryOptions: {
      ...(options.retry?.maxRetries !== undefined ? { maxRetries: options.retry.maxRetries } : {}),
      ...(options.retry?.retryDelayMs !== undefined ? { retryDelayInMs: options.retry.retryDelayMs, maxRetryDelayInMs: Math.max(options.retry.retryDelayMs, 1) * 8 } : {}),
    },
    ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}),
  });
  client.pipeline.addPolicy(omitTimespanPolicy);
  const answers = new Map<string, WireAnswer>();
  const signals = new Map<string, AbortSignal>();
  client.pipeline.addPolicy(abortPolicy(signals));
  client.pipeline.addPolicy(wirePolicy(answers, RestError), { afterPhase: "Retry" });
  client.pipeline.addPolicy(retryPolicy([throttledWithoutRetryAfter(options.retry?.retryDelayMs ?? 1000)], { maxRetries: options.retry?.maxRetries ?? 3 }), { phase: "Retry" });
  let sequence = 0;
  return {
    async query(request: LogsQueryRequest, signal?: AbortSignal): Promise<LogsQueryResult> {
      // The SDK requires a timespan; the service does not. Without one, send a placeholder and strip it on the wire.
      const timespan = request.timespan
        ? { startTime: request.timespan.start, endTime: request.timespan.end }
        : { duration: "P1D" };
      const id = String(++sequence);
      const timeout = Math.min(600, Math.max(1, Math.round(request.timeoutSeconds ?? defaultServerTimeoutSeconds)));
      // The server's own timeout, plus a margin for the answer to arrive: a server that never answers must not hold the run.
      const deadline = AbortSignal.timeout(options.clientTimeoutMs ?? (timeout + clientMarginSeconds) * 1000);
      try {
        signals.set(id, signal ? AbortSignal.any([signal, deadline]) : deadline);
        const result = await client.queryWorkspace(request.workspaceId, request.query, timespan, {
          serverTimeoutInSeconds: timeout,
          requestOptions: { headers: { [captureHeader]: id, ...(request.timespan ? {} : { [omitTimespanHeader]: "1" }) } },
        });
        const wire = answers.get(id);
        if (result.status === "PartialFailure") {
          return { complete: false, tables: result.partialTables.map(decodeTable), reason: partialReason(wire, result.partialError) };
        }
        if (!Array.isArray(result.tables)) throw unreadable(request.workspaceId, wire);
        return { complete: true, tables: result.tables.map(decodeTable) };
      } catch (error) {
        if (deadline.aborted && !signal?.aborted) {
          throw new AzureServiceError("service", `Log Analytics did not answer POST /workspaces/${request.workspaceId}/query within the server timeout and a margin`, {
            service: "Log Analytics",
            status: 408,
            hint: "Narrow the time window or the query, or run again later (the journal resumes).",
            details: ["status: 408"],
          });
        }
        const wire = answers.get(id);
        // 1.0.0 throws a plain TypeError on a body it cannot read. Only a real 204 means "this workspace has no data";
        // an empty 200, an HTML page or a body of another shape is an answer azir did not get.
        if (error instanceof TypeError) {
          if (wire?.status === 204) return { complete: true, tables: [] };
          throw unreadable(request.workspaceId, wire, error);
        }
        throw translateLogsError(error, request.workspaceId);
      } finally {
        answers.delete(id);
        signals.delete(id);
      }
    },
  };
}

/** Log Analytics' own default is 3 minutes; ask for the most the service allows (Prefer: wait=600). */
const defaultServerTimeoutSeconds = 600;
/** How long after the server timeout azir stops waiting for an answer. */
const clientMarginSeconds = 30;
const captureHeader = "x-azir-capture";

/** What came over the wire for one query: the SDK keeps neither the status of an unreadable answer nor the details. */
interface WireAnswer {
  status: number;
  contentType: string;
  text: string | undefined;
}

/**
 * Keeps the raw answer of each query (the SDK drops `error.details[].innererror`, where the service says which limit
 * cut a partial result), and stops a timed-out query from being run again: a 504 is the server timeout the request
 * asked for, and the default retry policy would re-run a query of up to 10 minutes three times.
 */
function wirePolicy(answers: Map<string, WireAnswer>, RestError: typeof RestErrorClass): PipelinePolicy {
  return {
    name: "azirLogsWire",
    async sendRequest(request, next) {
      const id = request.headers.get(captureHeader);
      request.headers.delete(captureHeader);
      const response = await next(request);
      const text = response.bodyAsText ?? undefined;
      if (id) answers.set(id, { status: response.status, contentType: response.headers.get("content-type") ?? "", text });
      if (response.status === 504) {
        const error = new RestError(deepest(parseJson(text))?.message ?? "Gateway Timeout", { statusCode: 504, code: "GatewayTimeout", request });
        error.details = parseJson(text);
        throw error; // without `response`, no retry strategy re-sends it
      }
      return response;
    },
  };
}

/**
 * monitor-query-logs 1.0.0 drops the `abortSignal` of `queryWorkspace`'s options (its convertToInternalOptions keeps
 * only the Prefer header and requestOptions), so neither an interrupt nor a deadline would reach the request. This
 * policy puts the call's signal back on the request, before the retries, so that every attempt is cancelled.
 */
function abortPolicy(signals: Map<string, AbortSignal>): PipelinePolicy {
  return {
    name: "azirLogsAbort",
    sendRequest(request, next) {
      const id = request.headers.get(captureHeader);
      const signal = id ? signals.get(id) : undefined;
      if (signal) request.abortSignal = signal;
      return next(request);
    },
  };
}

/**
 * Log Analytics documents throttling (429) without always sending Retry-After, and the SDK retries a 429 only with
 * one: back off exponentially within the same bounded number of retries.
 */
function throttledWithoutRetryAfter(baseMs: number): RetryStrategy {
  return {
    name: "azirThrottledWithoutRetryAfter",
    retry({ retryCount, response }) {
      if (response?.status !== 429 || ["retry-after", "retry-after-ms", "x-ms-retry-after-ms"].some((h) => response.headers.has(h))) return { skipStrategy: true };
      return { retryAfterInMs: Math.min(baseMs * 2 ** (retryCount - 1), baseMs * 16) };
    },
  };
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

interface ServiceErrorNode {
  code?: string;
  message?: string;
  innererror?: ServiceErrorNode;
  details?: ServiceErrorNode[];
}

/**
 * The deepest `{code, message}` of a OneAPI error: Log Analytics nests the real text two levels down
 * (`BadArgumentError` > `SemanticError` > `SEM0100 ... Failed to resolve table or column expression named 'X'`).
 * Accepts the whole body (`{error: …}`) or the error object itself.
 */
export function deepest(body: unknown): { code?: string; message?: string } | undefined {
  if (body === null || typeof body !== "object") return undefined;
  let node = ((body as { error?: unknown }).error ?? body) as ServiceErrorNode;
  if (typeof node !== "object" || node === null) return undefined;
  for (let depth = 0; node.innererror && typeof node.innererror === "object" && depth < 16; depth++) node = node.innererror;
  return { ...(typeof node.code === "string" ? { code: node.code } : {}), ...(typeof node.message === "string" ? { message: node.message } : {}) };
}

/** Why a result is partial, from the raw body's details (the top-level message is generic), classified. */
function partialReason(wire: WireAnswer | undefined, fallback: { code?: string; message?: string }): { code: string; message: string } {
  const error = (parseJson(wire?.text) as { error?: ServiceErrorNode } | undefined)?.error;
  const texts = [...(error?.details ?? []).map((d) => deepest(d)?.message ?? d.message), deepest(error)?.message, fallback.message].filter(
    (m): m is string => typeof m === "string" && m !== "",
  );
  const all = texts.join(" ");
  const code = /record count|rows? limit|E_QUERY_RESULT_SET_TOO_LARGE/i.test(all)
    ? "row-limit"
    : /size limit|data size|bytes|64\s?MB|too large/i.test(all)
      ? "size-limit"
      : /timeout|timed out|cancel/i.test(all)
        ? "timeout"
        : (error?.code ?? fallback.code ?? "PartialError");
  const specific = texts.find((t) => !/^There were some errors when processing your query\.?$/i.test(t)) ?? texts[0] ?? "partial result";
  return { code, message: redact(specific) };
}

function unreadable(workspaceId: string, wire: WireAnswer | undefined, cause?: unknown): AzureServiceError {
  const what = !wire
    ? "an answer azir could not read"
    : wire.text === undefined || wire.text === ""
      ? `${wire.status} with an empty body`
      : /html/i.test(wire.contentType) || /^\s*</.test(wire.text)
        ? `${wire.status} with an HTML page instead of query results`
        : `${wire.status} with a body that is not a query result`;
  return new AzureServiceError("service", `Log Analytics answered ${what} on POST /workspaces/${workspaceId}/query: no data was read`, {
    service: "Log Analytics",
    status: wire?.status ?? -1,
    hint: "A proxy or gateway may be answering for the service; check the endpoint and run again (the journal resumes).",
    ...(cause ? { cause: safeCause(cause) } : {}),
  });
}

const omitTimespanPolicy: PipelinePolicy = {
  name: "azirOmitTimespan",
  async sendRequest(request, next) {
    if (request.headers.has(omitTimespanHeader)) {
      request.headers.delete(omitTimespanHeader);
      if (typeof request.body === "string") {
        const body = JSON.parse(request.body) as Record<string, unknown>;
        delete body.timespan;
        request.body = JSON.stringify(body);
      }
    }
    return next(request);
  },
};

function decodeTable(table: SdkLogsTable): LogsTable {
  const columns: LogsColumn[] = table.columnDescriptors.map((c) => ({
    name: c.name ?? "",
    type: (c.type && kustoTypes.has(c.type) ? c.type : "string") as KustoType,
  }));
  const rows = table.rows.map((row) =>
    columns.map((col, i) => {
      const cell: unknown = row[i];
      if (cell === undefined || cell === null) return null;
      if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? null : cell.toISOString();
      if (col.type === "datetime" && typeof cell === "string") {
        const d = new Date(cell);
        return Number.isNaN(d.getTime()) ? cell : d.toISOString();
      }
      if (col.type === "dynamic" && typeof cell === "string") {
        try {
          return JSON.parse(cell) as unknown;
        } catch {
          return cell;
        }
      }
      return cell;
    }),
  );
  return { name: table.name, columns, rows };
}

/** Translates an SDK error of a Log Analytics query into an AzirError that says what to do. */
export function translateLogsError(error: unknown, workspaceId: string): AzirError {
  if (error instanceof AzirError) return error;
  if (error instanceof Error && error.name === "AbortError") {
    return new AzirError("interrupted", "The Log Analytics query was cancelled.", { cause: safeCause(error) });
  }
  const raw = rawServiceError(error);
  const inner = deepest((error as { details?: unknown }).details);
  const innerMessage = inner?.message ? redact(inner.message) : undefined;
  const where = `POST /workspaces/${workspaceId}/query`;
  const missing = innerMessage ? /Failed to resolve table or column expression named '([^']+)'/.exec(innerMessage) : null;
  if (raw.status === 400 && missing) {
    const table = missing[1] ?? "?";
    return new AzureServiceError("not-found", `Log Analytics has no table '${table}' in workspace ${workspaceId}.`, {
      service: "Log Analytics",
      status: 400,
      serviceCode: inner?.code ?? raw.serviceCode,
      hint: `Connect the data source that fills ${table} (or mark the step optional).`,
      details: ["code: table-not-found", `table: ${table}`, innerMessage ?? ""],
      cause: error,
    });
  }
  if (raw.status === 401 || raw.status === 403) {
    return new AzureServiceError(codeForStatus(raw.status), `Log Analytics answered ${raw.status} on ${where}: ${raw.message}`, {
      service: "Log Analytics",
      status: raw.status,
      serviceCode: raw.serviceCode,
      hint:
        raw.status === 401
          ? "Sign in again; the token was refused (wrong tenant or audience)."
          : `The identity needs ${logAnalyticsPermission}.`,
      details: [`needs: ${logAnalyticsPermission}`],
      cause: error,
    });
  }
  if (raw.status === 400) {
    return new AzureServiceError("validation", `Log Analytics refused the query on ${where}: ${innerMessage ?? raw.message}`, {
      service: "Log Analytics",
      status: 400,
      serviceCode: inner?.code ?? raw.serviceCode,
      hint: "Check the KQL against the table schemas (`azir validate`).",
      details: innerMessage ? [innerMessage] : [],
      cause: error,
    });
  }
  if (raw.status === -1) {
    return new AzureServiceError("service", `Could not reach Log Analytics for ${where}: ${raw.message}`, {
      service: "Log Analytics",
      status: -1,
      serviceCode: raw.serviceCode,
      hint: "Check network access to the Log Analytics endpoint (and the CA, for a local emulator).",
      cause: error,
    });
  }
  const code = codeForStatus(raw.status);
  return new AzureServiceError(code, `Log Analytics answered ${raw.status} on ${where}: ${raw.message}`, {
    service: "Log Analytics",
    status: raw.status,
    serviceCode: raw.serviceCode,
    hint:
      raw.status === 404
        ? "Check the workspace id (the workspace GUID, not its name)."
        : raw.status === 504
          ? "The query timed out: narrow the time window or the query."
          : code === "throttled"
            ? "Log Analytics is throttling; wait a minute and run again (the journal resumes)."
            : "Retry later; the service failed after the SDK's retries.",
    cause: error,
  });
}

/** The table a `not-found` error of this adapter names as missing from the workspace, if it is one. */
export function missingTableOf(error: unknown): string | undefined {
  if (!(error instanceof AzirError) || error.code !== "not-found" || !error.details.includes("code: table-not-found")) return undefined;
  return error.details.find((d) => d.startsWith("table: "))?.slice("table: ".length);
}
