import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { z } from "zod";
import type { Clock } from "../../core/clock.js";
import { AzirError } from "../../core/errors.js";
import { randomIds, type IdSource } from "../../core/ids.js";
import type { Scenario, TenantState } from "../scenario/schema.js";
import { ArmFault, handleArm, type ArmOperation } from "./arm.js";
import { createEmulatorCertificate } from "./certificate.js";
import { handleGraph } from "./graph.js";
import { batchBodySchema, LogsFault, logsError, LogsService, queryBodySchema, type KqlEngine } from "./logs.js";
import { GraphFault, graphError } from "./odata.js";
import { faultConfigSchema, type ApiRequest, type EmulatedService, type Emulator, type FaultConfig, type FaultRule, type Reply, type RequestLogEntry } from "./types.js";

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
}

const dummyClientId = "00000000-0000-4000-8000-00000000a21e";
const dummyClientSecret = "tabletop-client-secret";
const maxBodyBytes = 10 * 1024 * 1024;
const deletionSettleMs = 40;
const authMethodDelete = /^\/users\/([^/]+)\/authentication\/[^/]+\/[^/]+$/;
const graphBatchSchema = z.object({
  requests: z
    .array(
      z.object({
        id: z.string().min(1),
        method: z.string().min(1),
        url: z.string().min(1),
        headers: z.record(z.string(), z.string()).optional(),
        body: z.unknown().optional(),
        dependsOn: z.array(z.string()).optional(),
      }),
    )
    .min(1),
});

async function defaultEngine(): Promise<KqlEngine> {
  // Kusto.Language itself loads only when a query misses the plan cache.
  return import("../../kql/engine/index.js");
}

/** Starts the HTTPS emulator of Log Analytics, Graph v1.0, ARM and the token authority on 127.0.0.1. */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const { clock } = options;
  const ids = options.ids ?? randomIds;
  const state: TenantState = structuredClone(options.scenario.tenant);
  const tables = options.scenario.tables;
  const operations = new Map<string, ArmOperation>();
  const log: RequestLogEntry[] = [];
  let seq = 0;
  let faults = parseFaults(options.faults ?? {});
  let engine: Promise<KqlEngine> | undefined;
  const logs = new LogsService(tables, () => (engine ??= (options.loadEngine ?? defaultEngine)()));
  const cert = await createEmulatorCertificate();

  // Auth-method deletions per user, as intervals on a logical clock: the default method is refused while another
  // deletion of the same user's methods overlaps its own (see docs/emulator.md, "Default method").
  let tick = 0;
  const deletions = new Map<string, Array<{ start: number; end?: number }>>();
  const overlaps = (userId: string, mine: { start: number }): boolean =>
    (deletions.get(userId) ?? []).some((d) => d !== mine && (d.end === undefined || d.end > mine.start));
  const userIdOf = (key: string): string | undefined =>
    state.users.find((u) => u.id.toLowerCase() === key.toLowerCase() || u.userPrincipalName.toLowerCase() === key.toLowerCase())?.id;

  const record = (entry: Omit<RequestLogEntry, "seq" | "time">): void => {
    log.push({ seq: ++seq, time: clock.now().toISOString(), ...entry });
  };

  /** Finds the first rule matching the request that still has budget, and spends one. */
  const takeFault = (service: EmulatedService, method: string, path: string, want: (r: FaultRule) => boolean): FaultRule | undefined => {
    for (const entry of faults.rules) {
      const r = entry.rule;
      if (entry.remaining <= 0 || !want(r)) continue;
      if (r.match.service && r.match.service !== service) continue;
      if (r.match.method && r.match.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!entry.pattern.test(path)) continue;
      entry.remaining -= 1;
      return r;
    }
    return undefined;
  };

  const serviceError = (service: EmulatedService, status: number, code: string, message: string): Reply => {
    if (service === "graph") return graphError(status, code, message, clock.now(), randomUUID());
    return { status, body: { error: { code, message } } };
  };

  const faultReply = (service: EmulatedService, rule: FaultRule): Reply => {
    const status = rule.status ?? 500;
    const code = status === 429 ? "TooManyRequests" : status === 503 ? "ServiceUnavailable" : status === 504 ? "GatewayTimeout" : "InternalServerError";
    const reply = serviceError(service, status, code, `Injected fault: ${status}.`);
    reply.headers = rule.retryAfter !== undefined ? { "Retry-After": String(rule.retryAfter) } : {};
    return reply;
  };

  const graphOnce = (req: ApiRequest, path: string, concurrentMethodDeletion?: (userId: string) => boolean): Reply => {
    try {
      return handleGraph({ state, tables, clock, ids, ...(concurrentMethodDeletion ? { concurrentMethodDeletion } : {}) }, req, path);
    } catch (error) {
      if (error instanceof GraphFault) return { ...graphError(error.status, error.code, error.message, clock.now(), randomUUID()), ...(error.headers ? { headers: error.headers } : {}) };
      throw error;
    }
  };

  const graphBatch = (req: ApiRequest, batchId: string): Reply => {
    const parsed = graphBatchSchema.safeParse(req.body);
    if (!parsed.success) return graphError(400, "BadRequest", "Invalid batch payload format.", clock.now(), randomUUID());
    const requests = parsed.data.requests;
    if (requests.length > 20) return graphError(400, "BadRequest", "Maximum number of requests allowed in a batch is 20.", clock.now(), randomUUID());
    const lowerIds = requests.map((r) => r.id.toLowerCase());
    if (new Set(lowerIds).size !== lowerIds.length) return graphError(400, "BadRequest", "Batch request ids must be unique.", clock.now(), randomUUID());
    const byId = new Map(requests.map((r) => [r.id.toLowerCase(), r]));
    for (const r of requests) {
      for (const d of r.dependsOn ?? []) {
        if (!byId.has(d.toLowerCase())) return graphError(400, "BadRequest", `Request ${r.id} depends on unknown request ${d}.`, clock.now(), randomUUID());
      }
    }
    const results = new Map<string, { id: string; status: number; headers: Record<string, string>; body?: unknown }>();
    const visiting = new Set<string>();
    const run = (r: (typeof requests)[number]): number => {
      const key = r.id.toLowerCase();
      const done = results.get(key);
      if (done) return done.status;
      if (visiting.has(key)) {
        results.set(key, { id: r.id, status: 400, headers: {}, body: graphError(400, "BadRequest", "Circular dependsOn.", clock.now(), randomUUID()).body });
        return 400;
      }
      visiting.add(key);
      const failedDep = (r.dependsOn ?? []).some((d) => {
        const dep = byId.get(d.toLowerCase())!;
        return run(dep) >= 400;
      });
      const url = new URL(r.url.startsWith("/") ? r.url : `/${r.url}`, "https://batch.invalid");
      const innerPath = decodeURIComponent(url.pathname).replace(/\/{2,}/g, "/");
      let reply: Reply;
      if (failedDep) {
        reply = graphError(424, "FailedDependency", "A request this one depends on failed.", clock.now(), randomUUID());
      } else if (r.body !== undefined && !Object.keys(r.headers ?? {}).some((h) => h.toLowerCase() === "content-type")) {
        reply = graphError(400, "BadRequest", "Content-Type header is required when a body is present.", clock.now(), randomUUID());
      } else {
        const rule = takeFault("graph", r.method, `/v1.0${innerPath}`, (x) => x.status !== undefined);
        const deps = new Set((r.dependsOn ?? []).map((d) => d.toLowerCase()));
        const inBatch = (userId: string): boolean =>
          requests.some((o) => {
            if (o === r || deps.has(o.id.toLowerCase()) || o.method.toUpperCase() !== "DELETE") return false;
            // A deletion that already failed is not running alongside this one.
            if ((results.get(o.id.toLowerCase())?.status ?? 0) >= 400) return false;
            const m = authMethodDelete.exec(new URL(o.url.startsWith("/") ? o.url : `/${o.url}`, "https://batch.invalid").pathname);
            return m !== null && userIdOf(decodeURIComponent(m[1]!)) === userId;
          });
        reply = rule
          ? faultReply("graph", rule)
          : graphOnce({ method: r.method.toUpperCase(), path: `/v1.0${innerPath}`, query: url.searchParams, headers: {}, body: r.body, origin: req.origin }, innerPath, inBatch);
      }
      record({ method: r.method.toUpperCase(), path: `/v1.0${innerPath}`, service: "graph", status: reply.status, batchId });
      results.set(key, { id: r.id, status: reply.status, headers: { "Content-Type": "application/json", ...(reply.headers ?? {}) }, ...(reply.body !== undefined ? { body: reply.body } : {}) });
      return reply.status;
    };
    for (const r of requests) run(r);
    return { status: 200, body: { responses: requests.map((r) => results.get(r.id.toLowerCase())) } };
  };

  const logsRoute = async (req: ApiRequest, partialRule: FaultRule | undefined): Promise<Reply> => {
    const now = clock.now();
    const prefer = req.headers.prefer ?? "";
    const wait = /wait=(\d+)/i.exec(prefer);
    if (wait && Number(wait[1]) > 600) return logsError(400, "BadArgumentError", "The request had some invalid properties", { code: "InvalidPreferHeader", message: "wait must be at most 600" });
    const partial = { partial: partialRule !== undefined, ...(partialRule?.partialRows !== undefined ? { partialRows: partialRule.partialRows } : {}) };
    const answer = async (body: unknown, workspace: string | undefined): Promise<Reply> => {
      const parsed = queryBodySchema.safeParse(body);
      if (!parsed.success) return logsError(400, "BadArgumentError", "The request had some invalid properties", { code: "InvalidBody", message: parsed.error.issues[0]?.message ?? "invalid body" });
      if (workspace !== undefined && workspace.toLowerCase() !== state.workspaceId.toLowerCase()) {
        return logsError(404, "PathNotFoundError", `The requested path does not exist: workspace '${workspace}' was not found.`);
      }
      try {
        const reply = await logs.query(parsed.data, now, partial);
        if (/include-statistics=true/i.test(prefer) && reply.status === 200 && typeof reply.body === "object" && reply.body !== null) {
          (reply.body as Record<string, unknown>).statistics = { query: { executionTime: 0.001 } };
        }
        return reply;
      } catch (error) {
        if (error instanceof LogsFault) return logsError(error.status, error.code, error.message, error.inner);
        throw error;
      }
    };
    if (req.method !== "POST" && req.method !== "GET") return logsError(405, "MethodNotAllowed", `${req.method} is not supported.`);
    if (req.path === "/v1/$batch") {
      const parsed = batchBodySchema.safeParse(req.body);
      if (!parsed.success) return logsError(400, "BadArgumentError", "The request had some invalid properties", { code: "InvalidBatch", message: parsed.error.issues[0]?.message ?? "invalid batch" });
      const responses = [];
      // In request order: @azure/monitor-query-logs 1.0.0 maps responses by position.
      for (const r of parsed.data.requests) {
        const reply = await answer(r.body, r.workspace);
        responses.push({ id: r.id, status: reply.status, body: reply.body });
      }
      return { status: 200, body: { responses } };
    }
    const ws = /^\/v1\/workspaces\/([^/]+)\/query$/i.exec(req.path);
    if (ws) return answer(req.method === "GET" ? { query: req.query.get("query") ?? "", timespan: req.query.get("timespan") ?? undefined } : req.body, ws[1]);
    const resource = /^\/v1(\/subscriptions\/.+)\/query$/i.exec(req.path);
    if (resource) return answer(req.body, undefined);
    return logsError(404, "PathNotFoundError", `The requested path does not exist: ${req.path}`);
  };

  const authorityRoute = (req: ApiRequest, form: URLSearchParams): Reply | undefined => {
    const origin = req.origin;
    const wellKnown = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/i.exec(req.path);
    if (wellKnown) {
      const t = wellKnown[1]!;
      return {
        status: 200,
        body: {
          token_endpoint: `${origin}/${t}/oauth2/v2.0/token`,
          authorization_endpoint: `${origin}/${t}/oauth2/v2.0/authorize`,
          device_authorization_endpoint: `${origin}/${t}/oauth2/v2.0/devicecode`,
          end_session_endpoint: `${origin}/${t}/oauth2/v2.0/logout`,
          issuer: `${origin}/${t}/v2.0`,
          jwks_uri: `${origin}/${t}/discovery/v2.0/keys`,
          response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
          scopes_supported: ["openid", "profile", "email", "offline_access"],
          token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
          subject_types_supported: ["pairwise"],
          id_token_signing_alg_values_supported: ["RS256"],
          tenant_region_scope: "EU",
          cloud_instance_name: "microsoftonline.com",
        },
      };
    }
    if (/^\/common\/discovery\/instance$/i.test(req.path)) {
      return {
        status: 200,
        body: {
          tenant_discovery_endpoint: `${origin}/${state.tenantId}/v2.0/.well-known/openid-configuration`,
          "api-version": "1.1",
          metadata: [{ preferred_network: new URL(origin).host, preferred_cache: new URL(origin).host, aliases: [new URL(origin).host] }],
        },
      };
    }
    if (/^\/[^/]+\/oauth2\/v2\.0\/devicecode$/i.test(req.path) && req.method === "POST") {
      if (!form.get("client_id") || !form.get("scope")) return { status: 400, body: { error: "invalid_request", error_description: "client_id and scope are required." } };
      const userCode = "TABLETOP";
      return {
        status: 200,
        body: {
          user_code: userCode,
          device_code: `device.${ids.uuid()}`,
          verification_uri: `${origin}/devicelogin`,
          expires_in: 900,
          interval: 1,
          message: `To sign in, use a web browser to open the page ${origin}/devicelogin and enter the code ${userCode} to authenticate.`,
        },
      };
    }
    if (/^\/[^/]+\/oauth2\/v2\.0\/token$/i.test(req.path) && req.method === "POST" && /^(device_code|urn:ietf:params:oauth:grant-type:device_code)$/.test(form.get("grant_type") ?? "")) {
      if (!form.get("device_code")?.startsWith("device.")) return { status: 400, body: { error: "invalid_grant", error_description: "Unknown device code." } };
      const tenant = req.path.split("/")[1] ?? state.tenantId;
      return { status: 200, body: { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, scope: form.get("scope") ?? "", access_token: `tabletop.${ids.uuid()}`, id_token: unsignedIdToken(origin, tenant, form.get("client_id") ?? "", state.operator.displayName), client_info: Buffer.from(JSON.stringify({ uid: "00000000-0000-4000-8000-0000000000aa", utid: state.tenantId })).toString("base64url") } };
    }
    if (/^\/[^/]+\/oauth2\/v2\.0\/token$/i.test(req.path) && req.method === "POST") {
      const grant = form.get("grant_type");
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(form.get("client_id") ?? "")) {
        return { status: 400, body: { error: "unauthorized_client", error_description: "AADSTS700016: Application with identifier was not found in the directory (the client id must be a GUID)." } };
      }
      if (grant !== "client_credentials" || !form.get("client_secret") || !form.get("scope")) {
        return { status: 400, body: { error: "invalid_request", error_description: "AADSTS900144: the tabletop authority accepts client_credentials with client_id, client_secret and scope." } };
      }
      return { status: 200, body: { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: `tabletop.${ids.uuid()}` } };
    }
    return undefined;
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
    const service: EmulatedService | undefined = path.startsWith("/_tabletop/")
      ? "control"
      : /^\/v1\.0(\/|$)/.test(path)
        ? "graph"
        : /^\/v1(\/|$)/.test(path)
          ? "logs"
          : /^\/subscriptions\//i.test(path)
            ? "arm"
            : /(\/oauth2\/v2\.0\/|\/\.well-known\/openid-configuration$|^\/common\/discovery\/instance$)/i.test(path)
              ? "authority"
              : undefined;
    const send = (reply: Reply): void => {
      const body = reply.body === undefined ? "" : JSON.stringify(reply.body);
      response.writeHead(reply.status, { ...(body ? { "Content-Type": "application/json; charset=utf-8" } : {}), "x-ms-request-id": randomUUID(), ...(reply.headers ?? {}) });
      response.end(body);
    };
    const raw = await readBody(request);

    if (service === "control" || service === undefined) {
      const remote = request.socket.remoteAddress ?? "";
      if (service === "control" && !/^(::ffff:)?127\.0\.0\.1$|^::1$/.test(remote)) return send({ status: 403, body: { error: "control routes answer 127.0.0.1 only" } });
      if (path === "/_tabletop/requests" && method === "GET") return send({ status: 200, body: log });
      if (path === "/_tabletop/state" && method === "GET") return send({ status: 200, body: publicState(state) });
      if (path === "/_tabletop/faults" && method === "POST") {
        try {
          faults = parseFaults(JSON.parse(raw.toString("utf8") || "{}"));
          return send({ status: 204 });
        } catch (error) {
          return send({ status: 400, body: { error: error instanceof Error ? error.message : String(error) } });
        }
      }
      if (/^\/_tabletop\/blob\//.test(path) && method === "GET") {
        response.writeHead(200, { "Content-Type": "application/octet-stream" });
        return void response.end(Buffer.from(`tabletop disk image ${path}\n`.repeat(64)));
      }
      return send({ status: 404, body: { error: { code: "NotFound", message: `No route for ${method} ${path}` } } });
    }

    const finish = (reply: Reply, extra: Partial<RequestLogEntry> = {}): void => {
      record({ method, path, service, status: reply.status, ...extra });
      send(reply);
    };

    if (service === "authority") {
      const reply = authorityRoute({ method, path, query: url.searchParams, headers: {}, body: undefined, origin }, new URLSearchParams(raw.toString("utf8")));
      return finish(reply ?? { status: 404, body: { error: "not_found" } });
    }

    if (faults.latencyMs > 0) await delay(faults.latencyMs);
    const auth = request.headers.authorization;
    if (!auth || !/^Bearer\s+\S+/i.test(auth)) {
      return finish(
        service === "graph"
          ? graphError(401, "InvalidAuthenticationToken", "Access token is empty.", clock.now(), randomUUID())
          : serviceError(service, 401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."),
      );
    }
    const rule = takeFault(service, method, path, (r) => r.status !== undefined || r.drop === true);
    if (rule?.drop) {
      record({ method, path, service, status: 0 });
      request.socket.destroy();
      return;
    }
    if (rule) return finish(faultReply(service, rule));

    let body: unknown;
    if (raw.length > 0 && !(service === "graph" && method === "GET")) {
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        return finish(
          service === "graph"
            ? graphError(400, "BadRequest", "Unable to read JSON request payload.", clock.now(), randomUUID())
            : serviceError(service, 400, service === "logs" ? "BadArgumentError" : "InvalidRequestContent", "The request content was not valid JSON."),
        );
      }
    }
    const req: ApiRequest = { method, path, query: url.searchParams, headers: { prefer: headerValue(request.headers.prefer) }, body, origin };
    try {
      if (service === "graph") {
        if (path === "/v1.0/$batch" && method === "POST") {
          const batchId = `batch-${seq + 1}`;
          const reply = graphBatch(req, batchId);
          return finish(reply);
        }
        const graphPath = path.slice("/v1.0".length) || "/";
        const del = method === "DELETE" ? authMethodDelete.exec(graphPath) : null;
        const userId = del ? userIdOf(del[1]!) : undefined;
        if (userId) {
          const mine: { start: number; end?: number } = { start: ++tick };
          const list = deletions.get(userId) ?? [];
          list.push(mine);
          deletions.set(userId, list);
          // Let requests sent at the same moment arrive, so that they overlap as they do at the client.
          await delay(deletionSettleMs);
          const reply = graphOnce(req, graphPath, (id) => overlaps(id, mine));
          mine.end = ++tick;
          // Keep only what can still overlap a later request.
          const current = deletions.get(userId) ?? [];
          deletions.set(userId, current.filter((d) => d.end === undefined || current.some((o) => o.end === undefined && o.start < d.end!)));
          return finish(reply);
        }
        return finish(graphOnce(req, graphPath));
      }
      if (service === "logs") {
        const partialRule = takeFault("logs", method, path, (r) => r.partial === true);
        return finish(await logsRoute(req, partialRule));
      }
      const lroFail = takeFault("arm", method, path, (r) => r.lroFail === true) !== undefined;
      try {
        return finish(handleArm({ state, tables, clock, ids, operations }, req, { lroFail }));
      } catch (error) {
        if (error instanceof ArmFault) return finish(serviceError("arm", error.status, error.code, error.message));
        throw error;
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return finish(serviceError(service, 500, "InternalServerError", `Emulator error: ${message}`));
    }
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
    requests: () => log.map((e) => ({ ...e })),
    state: () => publicState(state),
    setFaults: (f) => {
      faults = parseFaults(f);
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await cert.dispose();
    },
  };
  emulator.env = emulatorEnv(emulator);
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

interface ActiveFaults {
  latencyMs: number;
  rules: Array<{ rule: FaultRule; remaining: number; pattern: RegExp }>;
}

function parseFaults(input: unknown): ActiveFaults {
  const parsed = faultConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AzirError("validation", `Invalid fault configuration: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid"}`, {
      hint: 'Example: {"latencyMs":100,"rules":[{"match":{"path":"/users/","method":"PATCH"},"status":429,"retryAfter":1}]}',
    });
  }
  return {
    latencyMs: parsed.data.latencyMs ?? 0,
    rules: parsed.data.rules.map((rule) => ({ rule, remaining: rule.times, pattern: new RegExp(rule.match.path) })),
  };
}

/** The state without secrets (secretText is never stored, but be sure). */
function publicState(state: TenantState): TenantState {
  return JSON.parse(JSON.stringify(state, (key, value: unknown) => (key === "secretText" ? undefined : value))) as TenantState;
}

/** An id token for the device-code flow. Unsigned: MSAL reads its claims without checking a signature. */
function unsignedIdToken(origin: string, tenant: string, clientId: string, name: string): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  const claims = { aud: clientId, iss: `${origin}/${tenant}/v2.0`, tid: tenant, oid: "00000000-0000-4000-8000-0000000000aa", sub: "tabletop-operator", name, preferred_username: "operator@tabletop.invalid", ver: "2.0", iat: 0, nbf: 0, exp: 4102444800 };
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
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
