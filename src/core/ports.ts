/**
 * The ports between azir's logic and the Azure services. `src/azure` implements them over the official SDKs;
 * steps and the runbook executor see only these interfaces. Writes never go through a port directly: they are
 * WriteRequests handed to the executor's single write gate (live: sent; dry-run: recorded as planned).
 */

/** Kusto result column types as Log Analytics names them on the wire. */
export type KustoType = "string" | "datetime" | "dynamic" | "bool" | "int" | "long" | "real" | "decimal" | "guid" | "timespan";

export interface LogsColumn {
  name: string;
  type: KustoType;
}

/**
 * A result table. Cells are already decoded: datetime cells are ISO-8601 UTC strings (`2026-11-20T08:00:00.000Z`),
 * dynamic cells parsed JSON, numbers numbers, missing values null.
 */
export interface LogsTable {
  name: string;
  columns: LogsColumn[];
  rows: unknown[][];
}

export interface LogsQueryRequest {
  workspaceId: string;
  query: string;
  /** Applied by the service on top of any time filter in the query. */
  timespan?: { start: Date; end: Date };
  /** Server-side timeout (Prefer: wait=N), at most 600. */
  timeoutSeconds?: number;
}

export type LogsQueryResult =
  | { complete: true; tables: LogsTable[] }
  /** The service answered with a partial result (PartialError, row or size limit): never treat as clean. */
  | { complete: false; tables: LogsTable[]; reason: { code: string; message: string } };

export interface LogsPort {
  /**
   * Runs one query. Throws AzirError: `not-found` for a missing table (code `table-not-found` in details),
   * `permission`/`auth` for 401/403, `service` for the rest (timeouts included, after the SDK's retries).
   */
  query(request: LogsQueryRequest, signal?: AbortSignal): Promise<LogsQueryResult>;
}

export interface GraphQueryOptions {
  select?: string[];
  filter?: string;
  expand?: string;
  top?: number;
  /** Extra request headers, e.g. ConsistencyLevel. */
  headers?: Record<string, string>;
}

/** Read side of Microsoft Graph v1.0. Paths are relative to the version root: `/users/{id}`. */
export interface GraphReader {
  /** GET one resource; throws AzirError `not-found` on 404. */
  get<T>(path: string, options?: GraphQueryOptions): Promise<T>;
  /** GET one resource, or undefined on 404. */
  find<T>(path: string, options?: GraphQueryOptions): Promise<T | undefined>;
  /** GET a collection, following @odata.nextLink to the end. */
  list<T>(path: string, options?: GraphQueryOptions): Promise<T[]>;
}

export type WriteMethod = "POST" | "PATCH" | "PUT" | "DELETE";

/** A write azir intends to make: exactly what would be sent, and why it is allowed. */
export interface WriteRequest {
  service: "graph" | "arm";
  method: WriteMethod;
  /** Graph: path below /v1.0 (`/users/{id}`). ARM: resource path with api-version (`/subscriptions/...?...`). */
  path: string;
  body?: unknown;
  /** Least-privileged Graph permission or Azure role the write needs. */
  permission: string;
  /** One line for the confirmation prompt and the timeline, e.g. "block sign-in for alex@contoso.com". */
  summary: string;
  /** The object acted on (UPN, object id or resource id). */
  target: string;
  /**
   * Order inside one action: writes of the same phase are sent concurrently, phases in increasing order.
   * Defaults to 0.
   */
  phase?: number;
}

/** Sends a WriteRequest. Implemented by the Graph and ARM adapters; only the executor's write gate calls it. */
export interface WritePort {
  send(request: WriteRequest, signal?: AbortSignal): Promise<unknown>;
}

/** Read side of Azure Resource Manager as azir uses it. */
export interface ArmReader {
  /** GET a resource by its full id (api-version chosen by the adapter per resource type). */
  getResource<T>(resourceId: string): Promise<T>;
  findResource<T>(resourceId: string): Promise<T | undefined>;
}

export interface Ports {
  logs: LogsPort;
  graph: GraphReader;
  arm: ArmReader;
  /** Where writes go when the gate lets them through. */
  writer: WritePort;
}

/** Base URLs of the services, after cloud and overrides are applied. Recorded on run.started. */
export interface Endpoints {
  graph: string;
  logs: string;
  arm: string;
  authority: string;
}
