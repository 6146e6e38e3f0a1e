import type { TokenCredential } from "@azure/core-auth";
import { systemClock, type Clock } from "../core/clock.js";
import type { Endpoints, Ports } from "../core/ports.js";
import { createArmAdapter } from "./arm.js";
import { cloudScopes, type ServiceScopes } from "./clouds.js";
import { createGraphAdapter } from "./graph.js";
import { createLogsPort } from "./logs.js";
import { createEffectPerformer } from "./perform.js";
import { createStorageAdapter, type StorageAdapter } from "./storage.js";

export interface AzurePortsOptions {
  endpoints: Endpoints;
  credential: TokenCredential;
  /** Extra CA (PEM) to trust, e.g. the emulator's. */
  ca?: string;
  /** Default subscription for ARM. */
  subscriptionId?: string;
  /** The SDKs' own retry policies, configured (tests use short delays). */
  retry?: { maxRetries?: number; retryDelayMs?: number };
  /**
   * Per-request deadlines, retries included: Graph (default 60 s), Log Analytics (default the query's server timeout
   * plus 30 s) and ARM reads (default 60 s). Tests of a server that never answers use short ones.
   */
  timeouts?: { graphMs?: number; logsMs?: number; armReadMs?: number };
  /** Token scopes; default: the public cloud's (use `resolveEndpoints(...).scopes` for a national cloud). */
  scopes?: ServiceScopes;
  /** Polling interval of ARM long-running operations without Retry-After, and of blob copies. */
  lroPollMs?: number;
  /** How long one ARM long-running operation may take (default 30 min). */
  lroTimeoutMs?: number;
  clock?: Clock;
  /** Secrets issued in this run (tokens, a snapshot's SAS): the journal masks them. */
  secrets?: Set<string>;
  /** Progress of long effects (a disk copy) for the terminal. */
  onProgress?: (line: string) => void;
  /** Storage endpoints must be on 127.0.0.1 (the tabletop). */
  loopbackOnly?: boolean;
}

/** The ports over the official SDKs. Each SDK is imported here, on first use, never at module load. */
export async function createAzurePorts(options: AzurePortsOptions): Promise<Ports> {
  const scopes = options.scopes ?? cloudScopes("AzureCloud");
  const common = {
    credential: options.credential,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  };
  const [logs, graph, arm] = await Promise.all([
    createLogsPort({ ...common, endpoint: options.endpoints.logs, scope: scopes.logs, ...(options.timeouts?.logsMs !== undefined ? { clientTimeoutMs: options.timeouts.logsMs } : {}) }),
    // Paced by the wall clock: the budgets it keeps to are the real service's, whatever clock the run is given.
    createGraphAdapter({
      ...common,
      baseUrl: options.endpoints.graph,
      scope: scopes.graph,
      now: () => systemClock.now().getTime(),
      ...(options.timeouts?.graphMs !== undefined ? { timeoutMs: options.timeouts.graphMs } : {}),
    }),
    createArmAdapter({
      ...common,
      endpoint: options.endpoints.arm,
      scope: scopes.arm,
      ...(options.subscriptionId ? { subscriptionId: options.subscriptionId } : {}),
      ...(options.lroPollMs !== undefined ? { lroPollMs: options.lroPollMs } : {}),
      ...(options.lroTimeoutMs !== undefined ? { lroTimeoutMs: options.lroTimeoutMs } : {}),
      ...(options.timeouts?.armReadMs !== undefined ? { readTimeoutMs: options.timeouts.armReadMs } : {}),
    }),
  ]);
  // The storage adapter (and @azure/storage-blob) loads only when a run touches storage.
  const storage = lazyStorage(() =>
    createStorageAdapter({
      credential: options.credential,
      clock: options.clock ?? systemClock,
      ...(options.ca ? { ca: options.ca } : {}),
      grant: (id, seconds, signal) => arm.grantSnapshotRead(id, seconds, signal),
      readSnapshot: (id) => arm.getResource(id),
      ...(options.secrets ? { secrets: options.secrets } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.lroPollMs !== undefined ? { pollMs: options.lroPollMs } : {}),
      ...(options.loopbackOnly ? { loopbackOnly: true } : {}),
    }),
  );
  return { logs, graph, arm, storage, effects: createEffectPerformer({ graph, arm, storage }) };
}

function lazyStorage(create: () => Promise<StorageAdapter>): StorageAdapter {
  let adapter: Promise<StorageAdapter> | undefined;
  const get = (): Promise<StorageAdapter> => (adapter ??= create());
  return {
    findBlob: async (...a) => (await get()).findBlob(...a),
    findContainer: async (...a) => (await get()).findContainer(...a),
    exportSnapshot: async (...a) => (await get()).exportSnapshot(...a),
  };
}
