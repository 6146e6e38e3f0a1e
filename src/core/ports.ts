/**
 * The ports between azir's logic and the Azure services. `src/azure` implements them over the official SDKs;
 * steps and the runbook executor see only these interfaces. Actions never write through a port: they return
 * effects (effects.ts) to the executor's single write gate (live: performed; dry-run: recorded as planned).
 */
import type { EffectPerformer, WriteMethod } from "./effects.js";

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

/** A write as an adapter sends it: the HTTP part of a Graph or ARM effect (see effects.ts). */
export interface HttpWrite {
  method: WriteMethod;
  /** Graph: path below /v1.0 (`/users/{id}`). ARM: resource path with api-version (`/subscriptions/...?...`). */
  path: string;
  body?: unknown;
  /** Named in the 403 message when the service refuses it. */
  permission?: string;
  /** Graph only: the API version (default v1.0). */
  version?: "v1.0" | "beta";
}

/** Read side of Azure Resource Manager as azir uses it. */
export interface ArmReader {
  /** GET a resource by its full id (api-version chosen by the adapter per resource type). */
  getResource<T>(resourceId: string): Promise<T>;
  findResource<T>(resourceId: string): Promise<T | undefined>;
  /**
   * Whether the identity can read the subscription: lists its management locks (Reader suffices). Resolves with the
   * number of locks; throws AzirError (`not-found` for an unknown subscription, `permission`/`auth`) otherwise.
   */
  checkSubscription(subscriptionId: string): Promise<{ locks: number }>;
  /** The virtual machines of a subscription (id and name), to find one by name. */
  listVirtualMachines(subscriptionId: string): Promise<Array<{ id: string; name: string }>>;
}

/** A blob as the storage service describes it (no content). */
export interface BlobFacts {
  bytes: number;
  metadata: Record<string, string>;
  lastModified?: string;
}

/** A container's evidence-relevant facts. */
export interface ContainerFacts {
  hasImmutabilityPolicy: boolean;
  hasLegalHold: boolean;
}

/** Read side of Azure Blob Storage, signed in with Entra ID (the identity needs a Storage Blob Data role). */
export interface StorageReader {
  /** The blob's size and metadata, or undefined when it does not exist. */
  findBlob(blobEndpoint: string, container: string, blob: string): Promise<BlobFacts | undefined>;
  /** The container's facts, or undefined when it does not exist. */
  findContainer(blobEndpoint: string, container: string): Promise<ContainerFacts | undefined>;
}

export interface Ports {
  logs: LogsPort;
  graph: GraphReader;
  arm: ArmReader;
  storage: StorageReader;
  /** Performs the effects the write gate lets through. */
  effects: EffectPerformer;
}

/** Base URLs of the services, after cloud and overrides are applied. Recorded on run.started. */
export interface Endpoints {
  graph: string;
  logs: string;
  arm: string;
  authority: string;
}
