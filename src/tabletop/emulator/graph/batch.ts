import { z } from "zod";
import type { ApiRequest, Reply } from "../types.js";
import { notEmulated, type GraphRoute } from "./context.js";

const batchSchema = z.object({
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
type BatchItem = z.infer<typeof batchSchema>["requests"][number];

/** What a batch needs from the Graph service around it. */
export interface BatchRunner {
  /** Answers one inner request (path below /v1.0), with the same rules as when it is sent on its own. */
  answer(req: ApiRequest): Reply;
  /** A fault injected on an inner request, if a rule matches; `answer` runs the request (for a fault after it). */
  fault(method: string, path: string, answer: () => Reply): Reply | undefined;
  /** Records an inner request in the request log. */
  record(entry: { method: string; path: string; status: number; dependsOn?: string[]; fault?: true }): void;
  /** Graph's error reply. */
  error(status: number, code: string, message: string): Reply;
}

const innerUrl = (url: string): URL => new URL(url.startsWith("/") ? url : `/${url}`, "https://batch.invalid");

/** The decoded path of an inner URL, or undefined when its percent-escapes cannot be read. */
function innerPath(url: URL): string | undefined {
  try {
    return decodeURIComponent(url.pathname).replace(/\/{2,}/g, "/");
  } catch {
    return undefined;
  }
}

/**
 * JSON batching (microsoft-graph-docs-contrib concepts/json-batching.md): at most 20 requests, ids unique without
 * regard to case, Content-Type required with a body, `dependsOn` orders them and a failed prerequisite gives 424;
 * each inner request can get its own error (429 included) inside the 200 envelope; responses come back in an order
 * of their own (here: reversed). Inner requests run one after the other against the same state, so the
 * default-method rule applies inside a batch exactly as outside it.
 */
export function runBatch(req: ApiRequest, runner: BatchRunner): Reply {
  const parsed = batchSchema.safeParse(req.body);
  if (!parsed.success) return runner.error(400, "BadRequest", "Invalid batch payload format.");
  const requests = parsed.data.requests;
  if (requests.length > 20) return runner.error(400, "BadRequest", "Maximum number of requests allowed in a batch is 20.");
  const lowerIds = requests.map((r) => r.id.toLowerCase());
  if (new Set(lowerIds).size !== lowerIds.length) return runner.error(400, "BadRequest", "Batch request ids must be unique.");
  const byId = new Map(requests.map((r) => [r.id.toLowerCase(), r]));
  for (const r of requests) {
    for (const d of r.dependsOn ?? []) {
      if (!byId.has(d.toLowerCase())) return runner.error(400, "BadRequest", `Request ${r.id} depends on unknown request ${d}.`);
    }
  }
  const results = new Map<string, { id: string; status: number; headers: Record<string, string>; body?: unknown }>();
  const visiting = new Set<string>();

  const run = (r: BatchItem): number => {
    const key = r.id.toLowerCase();
    const done = results.get(key);
    if (done) return done.status;
    if (visiting.has(key)) {
      results.set(key, { id: r.id, status: 400, headers: {}, body: runner.error(400, "BadRequest", "Circular dependsOn.").body });
      return 400;
    }
    visiting.add(key);
    const failedDep = (r.dependsOn ?? []).some((d) => run(byId.get(d.toLowerCase())!) >= 400);
    const url = innerUrl(r.url);
    const decoded = innerPath(url);
    const path = decoded ?? url.pathname;
    let reply: Reply;
    if (failedDep) {
      reply = runner.error(424, "FailedDependency", "A request this one depends on failed.");
    } else if (decoded === undefined) {
      // A malformed request is the client's mistake: that request alone gets 400 (concepts/errors.md), not the batch.
      reply = runner.error(400, "BadRequest", `Invalid request URL: ${r.url}`);
    } else if (r.body !== undefined && !Object.keys(r.headers ?? {}).some((h) => h.toLowerCase() === "content-type")) {
      reply = runner.error(400, "BadRequest", "Content-Type header is required when a body is present.");
    } else {
      const answer = (): Reply =>
        runner.answer({ method: r.method.toUpperCase(), path, query: url.searchParams, headers: {}, body: r.body, origin: req.origin, ...(req.caller ? { caller: req.caller } : {}) });
      reply = runner.fault(r.method, `/v1.0${path}`, answer) ?? answer();
    }
    const prerequisites = (r.dependsOn ?? []).map((d) => {
      const dep = byId.get(d.toLowerCase())!;
      const depUrl = innerUrl(dep.url);
      return `${dep.method.toUpperCase()} /v1.0${innerPath(depUrl) ?? depUrl.pathname}`;
    });
    runner.record({ method: r.method.toUpperCase(), path: `/v1.0${path}`, status: reply.status, ...(prerequisites.length ? { dependsOn: prerequisites } : {}), ...(reply.fault ? { fault: true as const } : {}) });
    results.set(key, { id: r.id, status: reply.status, headers: { "Content-Type": "application/json", ...(reply.headers ?? {}) }, ...(reply.body !== undefined ? { body: reply.body } : {}) });
    return reply.status;
  };
  for (const r of requests) run(r);
  // "The order of the responses may differ from the order of the requests" (json-batching.md): the emulator answers
  // in reverse, so that a client matching answers by position fails here rather than against Graph.
  return { status: 200, body: { responses: requests.map((r) => results.get(r.id.toLowerCase())).reverse() } };
}

export const batchRoutes: GraphRoute[] = [
  {
    method: "POST",
    pattern: "/$batch",
    source: "microsoft-graph-docs-contrib concepts/json-batching.md (limits, dependsOn and 424, response order, a status per inner request); concepts/errors.md (400 for a malformed request: an inner URL with a broken percent-escape); concepts/throttling.md and throttling-limits.md (each inner request throttled on its own)",
    handle(ctx, req) {
      // Graph does not nest batches: inside one, $batch is an unknown segment.
      if (!ctx.batch) throw notEmulated(req);
      return ctx.batch(req);
    },
  },
];
