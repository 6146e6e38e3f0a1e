import { batchBodySchema, LogsFault, logsError, queryBodySchema, type LogsService } from "./logs.js";
import { RouteTable, type Route } from "./router.js";
import type { ApiRequest, Reply } from "./types.js";

/** What the Log Analytics routes work on, for one request. */
export interface LogsContext {
  logs: LogsService;
  workspaceId: string;
  now: Date;
  /** The request's Prefer header. */
  prefer: string;
  /** A partial-result fault for this request, and how long rows take to arrive. */
  partial: { partial: boolean; partialRows?: number; ingestionDelayMs?: number };
}

type LogsRoute = Route<LogsContext, ApiRequest, Promise<Reply>>;

const spec = "azure-rest-api-specs specification/operationalinsights/data-plane/Microsoft.OperationalInsights/stable/v1/OperationalInsights.json";
const docs = "azure-monitor-docs articles/azure-monitor/logs/api";

/** Runs one query body against the scenario; `workspace` undefined for a resource-centric query. */
async function answer(ctx: LogsContext, body: unknown, workspace: string | undefined): Promise<Reply> {
  const parsed = queryBodySchema.safeParse(body);
  if (!parsed.success) return logsError(400, "BadArgumentError", "The request had some invalid properties", { code: "InvalidBody", message: parsed.error.issues[0]?.message ?? "invalid body" });
  if (workspace !== undefined && workspace.toLowerCase() !== ctx.workspaceId.toLowerCase()) {
    return logsError(404, "PathNotFoundError", `The requested path does not exist: workspace '${workspace}' was not found.`);
  }
  try {
    const reply = await ctx.logs.query(parsed.data, ctx.now, ctx.partial);
    // prefer-options.md: include-statistics=true adds a statistics object.
    if (/include-statistics=true/i.test(ctx.prefer) && reply.status === 200 && typeof reply.body === "object" && reply.body !== null) {
      (reply.body as Record<string, unknown>).statistics = { query: { executionTime: 0.001 } };
    }
    return reply;
  } catch (error) {
    if (error instanceof LogsFault) return logsError(error.status, error.code, error.message, error.inner);
    throw error;
  }
}

const routes: LogsRoute[] = [
  {
    method: "*",
    pattern: "/v1/$batch",
    source: `${docs}/batch-queries.md`,
    async handle(ctx, req) {
      const parsed = batchBodySchema.safeParse(req.body);
      if (!parsed.success) return logsError(400, "BadArgumentError", "The request had some invalid properties", { code: "InvalidBatch", message: parsed.error.issues[0]?.message ?? "invalid batch" });
      const responses = [];
      // In request order: @azure/monitor-query-logs 1.0.0 maps responses by position.
      for (const r of parsed.data.requests) {
        const reply = await answer(ctx, r.body, r.workspace);
        responses.push({ id: r.id, status: reply.status, body: reply.body });
      }
      return { status: 200, body: { responses } };
    },
  },
  {
    method: "*",
    pattern: "/v1/workspaces/{workspace}/query",
    source: `${spec} (Query_Get, Query_Execute)`,
    handle: (ctx, req, params) =>
      answer(ctx, req.method === "GET" ? { query: req.query.get("query") ?? "", timespan: req.query.get("timespan") ?? undefined } : req.body, params.workspace),
  },
  {
    method: "*",
    pattern: "/v1/subscriptions/{resource+}/query",
    source: `${spec} (Query_ResourceExecute)`,
    handle: (ctx, req) => answer(ctx, req.body, undefined),
  },
];

/** The Log Analytics query API: workspace and resource-centric queries, and batches. */
export const logsRoutes = new RouteTable<LogsContext, ApiRequest, Promise<Reply>>(routes, {
  ignoreCase: true,
  unmatched: async (_ctx, req) => logsError(404, "PathNotFoundError", `The requested path does not exist: ${req.path}`),
});

/** Answers a Log Analytics request (path starting with /v1). */
export async function handleLogs(ctx: LogsContext, req: ApiRequest): Promise<Reply> {
  // timeouts.md: the server waits at most 10 minutes.
  const wait = /wait=(\d+)/i.exec(ctx.prefer);
  if (wait && Number(wait[1]) > 600) return logsError(400, "BadArgumentError", "The request had some invalid properties", { code: "InvalidPreferHeader", message: "wait must be at most 600" });
  if (req.method !== "POST" && req.method !== "GET") return logsError(405, "MethodNotAllowed", `${req.method} is not supported.`);
  return logsRoutes.dispatch(ctx, req, req.path);
}
