import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "../../core/clock.js";
import { AzirError } from "../../core/errors.js";
import { randomIds, type IdSource } from "../../core/ids.js";
import type { Scenario, TenantState } from "../scenario/schema.js";
import { ArmFault, handleArm, type ArmOperation, type ArmStorage, type SnapshotRuntime } from "./arm.js";
import { authorityRoutes } from "./authority.js";
import { createEmulatorCertificate } from "./certificate.js";
import { handleControl, publicState, type ControlContext } from "./control.js";
import { FaultInjector, faultReply, type FaultConfig } from "./faults.js";
import { GraphService } from "./graph/index.js";
import { LogsService, type KqlEngine } from "./logs.js";
import { handleLogs } from "./logs-routes.js";
import { RequestLog } from "./request-log.js";
import { serviceErrorFor } from "./service-errors.js";
import { AzuriteStorage } from "./storage.js";
import { graphCaller, issueAccessToken } from "./tokens.js";
import type { ApiRequest, EmulatedService, Emulator, Reply } from "./types.js";

export interface EmulatorOptions {
  scenario: Scenario;
  clock: Clock;
  /** Default: a random free port. */
  port?: number;
  faults?: FaultConfig;
  host?: "127.0.0.1";
  ids?: IdSource;
  /** The local KQL engine; default: src/kql/engine, loaded on the first query. */
  loadEngine?: () => Promise<KqlEngine>;
  /** The emulated storage service (Azurite): when it starts, and the size of the disk images exports serve. */
  storage?: StorageSettings;
}

export interface StorageSettings {
  /** "lazy" (default): Azurite starts with the first request that needs it; "eager": with the emulator. */
  start?: "lazy" | "eager";
  /** Bytes of the generated disk image behind every snapshot export; a multiple of 512. Default 4 MiB. */
  diskImageBytes?: number;
}

const defaultDiskImageBytes = 4 * 1024 * 1024;

const dummyClientId = "00000000-0000-4000-8000-00000000a21e";
const dummyClientSecret = "tabletop-client-secret";
const maxBodyBytes = 10 * 1024 * 1024;

async function defaultEngine(): Promise<KqlEngine> {
  // Kusto.Language itself loads only when a query misses the plan cache.
  return import("../../kql/engine/index.js");
}

/** Which service a path is addressed to; undefined for none. */
function serviceOf(path: string): EmulatedService | undefined {
  if (path.startsWith("/_tabletop/")) return "control";
  // Graph's two versions: v1.0, and beta for the few beta calls emulated (graph/index.ts).
  if (/^\/(v1\.0|beta)(\/|$)/.test(path)) return "graph";
  if (/^\/v1(\/|$)/.test(path)) return "logs";
  if (/^\/subscriptions\//i.test(path)) return "arm";
  if (/(\/oauth2\/v2\.0\/|\/\.well-known\/openid-configuration$|^\/common\/discovery\/instance$)/i.test(path)) return "authority";
  return undefined;
}

/**
 * Starts the HTTPS emulator of Log Analytics, Graph (v1.0, and a few beta calls), ARM and the token authority on 127.0.0.1. Each service
 * is a route table (graph/index.ts, logs-routes.ts, arm.ts, authority.ts, control.ts); this function holds the
 * state they share and the request pipeline: latency, token check, injected faults, JSON body, route.
 */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const { clock } = options;
  const ids = options.ids ?? randomIds;
  const state: TenantState = structuredClone(options.scenario.tenant);
  const tables = options.scenario.tables;
  const operations = new Map<string, ArmOperation>();
  const snapshots = new Map<string, SnapshotRuntime>();
  const issuedSas: string[] = [];
  // What a secrets scan looks for: every token the authority (or issueToken) handed out, and every Authorization
  // header value a client sent. Kept for tests only; never logged.
  const issuedTokens = new Set<string>();
  const authorizations = new Set<string>();
  const log = new RequestLog(clock);
  const faults = new FaultInjector(options.faults ?? {});
  const serviceError = serviceErrorFor(clock);
  let engine: Promise<KqlEngine> | undefined;
  const logs = new LogsService(tables, () => (engine ??= (options.loadEngine ?? defaultEngine)()));
  const graph = new GraphService({ state, tables, clock, ids, faults, log });
  const control: ControlContext = { requests: () => log.list(), state: () => publicState(state), setFaults: (input) => faults.set(input) };
  const cert = await createEmulatorCertificate();
  const diskImageBytes = options.storage?.diskImageBytes ?? defaultDiskImageBytes;
  if (!Number.isInteger(diskImageBytes) || diskImageBytes <= 0 || diskImageBytes % 512 !== 0) {
    throw new AzirError("usage", `The disk image size must be a positive multiple of 512 bytes (got ${diskImageBytes}).`);
  }
  // Every scenario storage account exists in Azurite under its own name; containers the scenario lists exist too.
  const storageAccounts = state.arm.resources.filter((r) => r.type === "Microsoft.Storage/storageAccounts").map((r) => r.name);
  const storageContainers = state.arm.resources.flatMap((r) => {
    const m = /\/providers\/Microsoft\.Storage\/storageAccounts\/([^/]+)\/blobServices\/default\/containers\/([^/]+)$/i.exec(r.id);
    return m ? [{ account: m[1]!, container: m[2]! }] : [];
  });
  const azurite = new AzuriteStorage({ accounts: storageAccounts, certPem: cert.certPem, keyPem: cert.keyPem, caPem: cert.certPem });
  const startStorage = () => azurite.start(storageContainers);
  const armStorage: ArmStorage = {
    diskImageBytes,
    blobEndpoint: async (account) => (await startStorage()).blobEndpoint(account),
    exportDisk: async (request) => {
      await startStorage();
      return azurite.exportDisk(request);
    },
    revokeExport: (container) => azurite.revokeExport(container),
    issued: (url) => issuedSas.push(url),
  };
  const nowSeconds = (): number => Math.floor(clock.now().getTime() / 1000);

  /** An API request (Graph, Logs, ARM) once its body is read. */
  const serveApi = async (request: IncomingMessage, service: "graph" | "logs" | "arm", base: Omit<ApiRequest, "body">, raw: Buffer): Promise<Reply | "dropped" | "silent"> => {
    const { method, path } = base;
    await faults.delay();
    // azure-reference.md section 8: any bearer token is accepted, but one must be there.
    const auth = request.headers.authorization;
    if (auth) authorizations.add(auth);
    if (!auth || !/^Bearer\s+\S+/i.test(auth)) {
      return service === "graph"
        ? serviceError("graph", 401, "InvalidAuthenticationToken", "Access token is empty.")
        : serviceError(service, 401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
    }
    // Graph reads who the caller is from the token it issued (tokens.ts); a token for another resource is refused as
    // Graph refuses it (microsoft-graph-docs-contrib concepts/errors.md, 401 InvalidAuthenticationToken).
    const caller = service === "graph" ? graphCaller(state, auth.replace(/^Bearer\s+/i, "").trim()) : undefined;
    if (caller === "wrong-audience") return serviceError("graph", 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.");
    const rule = faults.takeFailure(service, method, path);
    if (rule?.silent) return "silent";
    // A redirect's Location as gateways send it: absolute, the request's own URL.
    const url = `${base.origin}${base.rawPath ?? path}${base.query.size > 0 ? `?${base.query.toString()}` : ""}`;
    // A fault answered before the service sees the request, or (applied, drip) in place of the answer it gave.
    if (rule && !rule.applied && rule.dripMs === undefined) return rule.drop ? "dropped" : { ...faultReply(service, rule, serviceError, url), fault: true };
    const reply = await answer(service, base, raw, caller);
    if (rule?.dripMs !== undefined) return { ...reply, dripMs: rule.dripMs, fault: true };
    if (rule?.applied) return rule.drop ? "dropped" : { ...faultReply(service, rule, serviceError, url), fault: true };
    return reply;
  };

  /** What the service answers an API request (past the token check and the faults). */
  const answer = async (service: "graph" | "logs" | "arm", base: Omit<ApiRequest, "body">, raw: Buffer, caller: ApiRequest["caller"]): Promise<Reply> => {
    const { method, path } = base;
    let body: unknown;
    if (raw.length > 0 && !(service === "graph" && method === "GET")) {
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        return service === "graph"
          ? serviceError("graph", 400, "BadRequest", "Unable to read JSON request payload.")
          : serviceError(service, 400, service === "logs" ? "BadArgumentError" : "InvalidRequestContent", "The request content was not valid JSON.");
      }
    }
    const req: ApiRequest = { ...base, body, ...(caller ? { caller } : {}) };
    try {
      if (service === "graph") return graph.handle(req);
      if (service === "logs") {
        const partialRule = faults.takePartial(method, path);
        const partial = {
          partial: partialRule !== undefined,
          ...(partialRule?.partialRows !== undefined ? { partialRows: partialRule.partialRows } : {}),
          ingestionDelayMs: faults.ingestionDelayMs,
        };
        return await handleLogs({ logs, workspaceId: state.workspaceId, now: clock.now(), prefer: req.headers.prefer ?? "", partial }, req);
      }
      try {
        return await handleArm(
          { state, tables, clock, ids, operations, snapshots, storage: armStorage, lroFail: faults.takeLroFail(method, path), badSas: faults.takeBadSas(method, path) },
          req,
        );
      } catch (error) {
        if (error instanceof ArmFault) return serviceError("arm", error.status, error.code, error.message);
        throw error;
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return serviceError(service, 500, "InternalServerError", `Emulator error: ${message}`);
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse, origin: string): Promise<void> => {
    const rawUrl = request.url ?? "/";
    const url = new URL(rawUrl.replace(/^\/{2,}/, "/"), origin);
    const method = (request.method ?? "GET").toUpperCase();
    let path: string;
    try {
      path = decodeURIComponent(url.pathname).replace(/\/{2,}/g, "/");
    } catch {
      path = url.pathname;
    }
    const service = serviceOf(path);

    const send = (reply: Reply): void => {
      if (reply.bytes) {
        response.writeHead(reply.status, reply.headers ?? {});
        if (reply.dripMs !== undefined) return drip(response, reply.bytes, reply.dripMs);
        response.end(reply.bytes);
        return;
      }
      const body = reply.body === undefined ? "" : JSON.stringify(reply.body);
      response.writeHead(reply.status, { ...(body ? { "Content-Type": "application/json; charset=utf-8" } : {}), "x-ms-request-id": randomUUID(), ...(reply.headers ?? {}) });
      if (reply.dripMs !== undefined) return drip(response, Buffer.from(body), reply.dripMs);
      response.end(body);
    };
    const raw = await readBody(request);
    if (service === "control" || service === undefined) return send(handleControl(control, { method, path, text: raw.toString("utf8") }, request.socket.remoteAddress ?? ""));
    const base = { method, path, rawPath: rawUrl.split("?")[0] ?? "", query: url.searchParams, headers: { prefer: headerValue(request.headers.prefer) }, origin };
    const reply =
      service === "authority"
        ? authorityRoutes.dispatch({ state, ids, nowSeconds }, { ...base, headers: {}, body: undefined, form: new URLSearchParams(raw.toString("utf8")) }, path)
        : await serveApi(request, service, base, raw);
    if (service === "authority" && reply !== "dropped" && reply !== "silent" && reply.body !== null && typeof reply.body === "object") {
      for (const key of ["access_token", "refresh_token", "id_token"]) {
        const token = (reply.body as Record<string, unknown>)[key];
        if (typeof token === "string") issuedTokens.add(token);
      }
    }
    if (reply === "dropped") {
      log.record({ method, path, service, status: 0 });
      request.socket.destroy();
      return;
    }
    if (reply === "silent") {
      // Accepted and never answered: the connection stays open until the client gives up or the emulator closes.
      log.record({ method, path, service, status: 0 });
      return;
    }
    log.record({ method, path, service, status: reply.status, ...(reply.fault ? { fault: true as const } : {}) });
    send(reply);
  };

  let origin = "";
  const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (request, response) => {
    handle(request, response, origin).catch((error: unknown) => {
      if (!response.headersSent) {
        response.writeHead(500, { "Content-Type": "application/json" });
        response.end(JSON.stringify({ error: { code: "InternalServerError", message: error instanceof Error ? error.message : String(error) } }));
      }
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => reject(new AzirError("usage", `The tabletop emulator could not listen on 127.0.0.1:${options.port ?? 0}: ${error.message}`, { hint: "Choose another --port, or omit it for a random free port.", cause: error })));
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `https://127.0.0.1:${port}`;
  const endpoints = { graph: origin, logs: `${origin}/v1`, arm: origin, authority: origin };
  const emulator: Emulator = {
    endpoints,
    caPem: cert.certPem,
    caPath: cert.caPath,
    tenantId: state.tenantId,
    workspaceId: state.workspaceId,
    subscriptionId: state.subscriptionId,
    env: {},
    requests: () => log.list(),
    state: () => publicState(state),
    setFaults: (f) => faults.set(f),
    faultsInjected: () => faults.injected,
    storage: () => startStorage(),
    issuedSas: () => [...issuedSas],
    issuedTokens: () => [...issuedTokens],
    authorizations: () => [...authorizations],
    issueToken: (request) => {
      const token = issueAccessToken(state, { clientId: request.clientId ?? dummyClientId, scope: request.scope, kind: request.kind ?? "application", nowSeconds: nowSeconds() });
      issuedTokens.add(token);
      return token;
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await azurite.close();
      await cert.dispose();
    },
  };
  emulator.env = emulatorEnv(emulator);
  if (options.storage?.start === "eager") {
    try {
      await startStorage();
    } catch (error) {
      await emulator.close();
      throw error;
    }
  }
  return emulator;
}

/** The environment that points a separate process (azir or any Azure SDK) at the emulator. */
export function emulatorEnv(emulator: Pick<Emulator, "endpoints" | "caPath" | "tenantId" | "workspaceId" | "subscriptionId">): Record<string, string> {
  return {
    AZIR_GRAPH_URL: emulator.endpoints.graph,
    AZIR_LOGS_URL: emulator.endpoints.logs,
    AZIR_ARM_URL: emulator.endpoints.arm,
    AZIR_AUTHORITY_URL: emulator.endpoints.authority,
    AZIR_TENANT: emulator.tenantId,
    AZIR_WORKSPACE: emulator.workspaceId,
    AZIR_SUBSCRIPTION: emulator.subscriptionId,
    AZURE_TENANT_ID: emulator.tenantId,
    AZURE_CLIENT_ID: dummyClientId,
    AZURE_CLIENT_SECRET: dummyClientSecret,
    NODE_EXTRA_CA_CERTS: emulator.caPath,
  };
}

/** Writes a body a chunk at a time (a slow drip); stops when the client goes away. */
function drip(response: ServerResponse, bytes: Buffer, everyMs: number): void {
  let offset = 0;
  const next = (): void => {
    if (response.destroyed) return;
    if (offset >= bytes.length) {
      response.end();
      return;
    }
    response.write(bytes.subarray(offset, offset + 64));
    offset += 64;
    setTimeout(next, everyMs).unref();
  };
  next();
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(",") : v;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > maxBodyBytes) throw new Error("request body too large");
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}
