import type { Endpoints } from "../../core/ports.js";
import type { TenantState } from "../scenario/schema.js";
import type { FaultConfig } from "./faults.js";
import type { StorageAccess } from "./storage.js";
import type { Caller, TokenKind } from "./tokens.js";

/** Which service a request was addressed to. */
export type EmulatedService = "graph" | "logs" | "arm" | "authority" | "control";

export type { FaultConfig, FaultRule } from "./faults.js";

/** One request the emulator saw (never with bodies or query strings). */
export interface RequestLogEntry {
  seq: number;
  /** The emulator clock's time, ISO-8601. */
  time: string;
  method: string;
  path: string;
  service: EmulatedService;
  /** HTTP status answered; 0 when the connection was dropped. */
  status: number;
  /** For requests inside a Graph `$batch`: the batch's id. */
  batchId?: string;
  /** For requests inside a Graph `$batch`: the requests it depended on (`dependsOn`), as "METHOD path". */
  dependsOn?: string[];
  /** A fault rule answered it, or changed or slowed its answer: the client may not have had the service's answer. */
  fault?: true;
}

/** A running emulator. */
export interface Emulator {
  endpoints: Endpoints;
  /** The PEM of the certificate the server presents (trust it as a CA). */
  caPem: string;
  /** Where that PEM was written (mode 0600), for NODE_EXTRA_CA_CERTS. */
  caPath: string;
  tenantId: string;
  workspaceId: string;
  subscriptionId: string;
  /** Environment that points a separate azir process at this emulator. */
  env: Record<string, string>;
  requests(): RequestLogEntry[];
  /** The current simulated tenant (secrets removed). */
  state(): TenantState;
  setFaults(faults: FaultConfig): void;
  /** How many requests a fault rule has applied to since the faults were last set. */
  faultsInjected(): number;
  /**
   * The emulated storage service (Azurite), started if it is not yet: each account's blob endpoint
   * (`https://127.0.0.1:PORT/{account}`, standing for `https://{account}.blob.core.windows.net`) and shared key, for a
   * test that reads what was copied with its own client.
   */
  storage(): Promise<StorageAccess>;
  /** Every SAS URL the emulator has handed out (beginGetAccess), in order. */
  issuedSas(): string[];
  /** Every token handed out (the authority's access, refresh and id tokens, and `issueToken`'s), for a secrets scan. */
  issuedTokens(): string[];
  /** Every Authorization header value an API request carried (Graph, Logs, ARM), for a secrets scan. */
  authorizations(): string[];
  /**
   * An access token as the authority issues it (tokens.ts), without a round trip: for an in-process client that
   * stands for the scenario's app. Default: the application (client credentials) of the dummy client id.
   */
  issueToken(request: { scope: string; clientId?: string; kind?: TokenKind }): string;
  close(): Promise<void>;
}

/** What a route handler answers. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as they are, with only the headers given (instead of `body`). */
  bytes?: Buffer;
  /** Send the body slowly: 64 bytes every this many ms (an injected fault). */
  dripMs?: number;
  /** The answer is an injected fault's, or was changed by one (logged as `fault`). */
  fault?: true;
}

/** A parsed API request as the route handlers see it. */
export interface ApiRequest {
  method: string;
  /** Decoded path with `//` collapsed, no query. */
  path: string;
  /** The path as sent (not decoded), no query. */
  rawPath?: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  /** Parsed JSON body, or undefined when empty. */
  body: unknown;
  /** `https://127.0.0.1:PORT`. */
  origin: string;
  /** Graph only: who the request acts as, from its bearer token. */
  caller?: Caller;
}
