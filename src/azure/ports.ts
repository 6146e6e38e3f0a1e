import type { TokenCredential } from "@azure/core-auth";
import type { Endpoints, Ports } from "../core/ports.js";
import { createArmAdapter } from "./arm.js";
import { cloudScopes, type ServiceScopes } from "./clouds.js";
import { createGraphAdapter } from "./graph.js";
import { createLogsPort } from "./logs.js";
import { createEffectPerformer } from "./perform.js";

export interface AzurePortsOptions {
  endpoints: Endpoints;
  credential: TokenCredential;
  /** Extra CA (PEM) to trust, e.g. the emulator's. */
  ca?: string;
  /** Default subscription for ARM. */
  subscriptionId?: string;
  /** The SDKs' own retry policies, configured (tests use short delays). */
  retry?: { maxRetries?: number; retryDelayMs?: number };
  /** Token scopes; default: the public cloud's (use `resolveEndpoints(...).scopes` for a national cloud). */
  scopes?: ServiceScopes;
  /** Polling interval of ARM long-running operations without Retry-After. */
  lroPollMs?: number;
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
    createLogsPort({ ...common, endpoint: options.endpoints.logs, scope: scopes.logs }),
    createGraphAdapter({ ...common, baseUrl: options.endpoints.graph, scope: scopes.graph }),
    createArmAdapter({
      ...common,
      endpoint: options.endpoints.arm,
      scope: scopes.arm,
      ...(options.subscriptionId ? { subscriptionId: options.subscriptionId } : {}),
      ...(options.lroPollMs !== undefined ? { lroPollMs: options.lroPollMs } : {}),
    }),
  ]);
  return { logs, graph, arm, effects: createEffectPerformer({ graph, arm }) };
}
