import type { TokenCredential } from "@azure/core-auth";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
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
}

const kustoTypes = new Set<string>(["string", "datetime", "dynamic", "bool", "int", "long", "real", "decimal", "guid", "timespan"]);
const omitTimespanHeader = "x-azir-omit-timespan";

/** A LogsPort over LogsQueryClient. The SDK is imported when the port is created, not before. */
export async function createLogsPort(options: LogsAdapterOptions): Promise<LogsPort> {
  const { LogsQueryClient: Client } = await import("@azure/monitor-query-logs");
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
  return {
    async query(request: LogsQueryRequest, signal?: AbortSignal): Promise<LogsQueryResult> {
      // The SDK requires a timespan; the service does not. Without one, send a placeholder and strip it on the wire.
      const timespan = request.timespan
        ? { startTime: request.timespan.start, endTime: request.timespan.end }
        : { duration: "P1D" };
      try {
        const result = await client.queryWorkspace(request.workspaceId, request.query, timespan, {
          ...(request.timeoutSeconds !== undefined ? { serverTimeoutInSeconds: Math.min(600, Math.max(1, Math.round(request.timeoutSeconds))) } : {}),
          ...(signal ? { abortSignal: signal } : {}),
          ...(request.timespan ? {} : { requestOptions: { headers: { [omitTimespanHeader]: "1" } } }),
        });
        if (result.status === "PartialFailure") {
          return {
            complete: false,
            tables: result.partialTables.map(decodeTable),
            reason: { code: result.partialError.code ?? "PartialError", message: redact(result.partialError.message ?? "partial result") },
          };
        }
        return { complete: true, tables: result.tables.map(decodeTable) };
      } catch (error) {
        // 1.0.0 throws a plain TypeError on 204 / an empty body ("workspace has no data").
        if (error instanceof TypeError && /Cannot read properties of (undefined|null)/.test(error.message)) {
          return { complete: true, tables: [] };
        }
        throw translateLogsError(error, request.workspaceId);
      }
    },
  };
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
  const body = (error as { details?: { error?: { code?: string; message?: string; innererror?: { code?: string; message?: string } } } }).details;
  const inner = body?.error?.innererror;
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
