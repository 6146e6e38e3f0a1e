import type { Clock } from "../../../core/clock.js";
import type { IdSource } from "../../../core/ids.js";
import type { ScenarioTables, TenantState } from "../../scenario/schema.js";
import { faultReply, type FaultInjector } from "../faults.js";
import type { RequestLog } from "../request-log.js";
import { RouteTable } from "../router.js";
import { serviceErrorFor, type ServiceError } from "../service-errors.js";
import type { ApiRequest, Reply } from "../types.js";
import { applicationRoutes } from "./applications.js";
import { auditLogRoutes } from "./audit-logs.js";
import { authenticationMethodRoutes } from "./authentication-methods.js";
import { batchRoutes, runBatch } from "./batch.js";
import { GraphBudgets } from "./budgets.js";
import { conditionalAccessRoutes } from "./conditional-access.js";
import { notEmulated, type GraphContext } from "./context.js";
import { directoryRoleRoutes } from "./directory-roles.js";
import { groupRoutes } from "./groups.js";
import { identityProtectionRoutes } from "./identity-protection.js";
import { GraphFault } from "./odata.js";
import { permissionGrantRoutes } from "./permission-grants.js";
import { reportRoutes } from "./reports.js";
import { signInPreferenceRoutes } from "./sign-in-preferences.js";
import { userCatchAllRoutes, userRoutes } from "./users.js";

/**
 * Every Graph v1.0 route, in the order tried: the user catch-alls come after all the other routes under
 * /users/{user}. A new route goes into its resource's module (or a new module listed here).
 */
export const graphRoutes = new RouteTable<GraphContext, ApiRequest, Reply>(
  [
    ...batchRoutes,
    ...userRoutes,
    ...authenticationMethodRoutes,
    ...directoryRoleRoutes,
    ...userCatchAllRoutes,
    ...applicationRoutes,
    ...permissionGrantRoutes,
    ...groupRoutes,
    ...conditionalAccessRoutes,
    ...identityProtectionRoutes,
    ...auditLogRoutes,
    ...reportRoutes,
  ],
  {
    unmatched: (_ctx, req) => {
      throw notEmulated(req);
    },
  },
);

/**
 * The Graph beta routes: only calls v1.0 lacks that azir needs (the default method's change). Any other /beta path is
 * refused with the same 400 as an unknown v1.0 path.
 */
export const graphBetaRoutes = new RouteTable<GraphContext, ApiRequest, Reply>([...signInPreferenceRoutes], {
  unmatched: (_ctx, req) => {
    throw notEmulated(req);
  },
});

const versions = { "/v1.0": graphRoutes, "/beta": graphBetaRoutes } as const;

export interface GraphServiceOptions {
  state: TenantState;
  tables: ScenarioTables;
  clock: Clock;
  ids: IdSource;
  faults: FaultInjector;
  log: RequestLog;
}

/** The Graph service: the route tables (v1.0, beta) over the tenant state, and JSON batching. */
export class GraphService {
  private readonly serviceError: ServiceError;
  private readonly budgets: GraphBudgets | undefined;

  constructor(private readonly options: GraphServiceOptions) {
    this.serviceError = serviceErrorFor(options.clock);
    const { state } = options;
    this.budgets = state.budgets ? new GraphBudgets(options.clock, { tenantId: state.tenantId, users: state.users.length }) : undefined;
  }

  /** Answers a request whose path starts with /v1.0 or /beta. */
  handle(req: ApiRequest): Reply {
    const version = req.path.startsWith("/beta") ? "/beta" : "/v1.0";
    const inner = { ...req, path: req.path.slice(version.length) || "/" };
    // Batches are emulated in v1.0 only; under /beta, $batch is refused like any other path not emulated.
    return this.answer(versions[version], inner, version === "/v1.0" ? { batch: (r) => this.batch(r) } : {});
  }

  private answer(routes: RouteTable<GraphContext, ApiRequest, Reply>, req: ApiRequest, extra: Pick<GraphContext, "batch">): Reply {
    const { state, tables, clock, ids } = this.options;
    // A request without a caller (the emulator's own tests call handle() directly) acts as the scenario's operator app.
    const caller = req.caller ?? { kind: "application" as const, appId: "", roles: state.operator.permissions };
    const ctx: GraphContext = { state, tables, clock, ids, caller, ...extra };
    // Each request is charged to the tenant's budgets, an inner request of a batch on its own; the envelope is not.
    const spent = extra.batch && req.path === "/$batch" ? undefined : this.budgets?.charge(req.method, req.path, caller.appId);
    if (spent) return { ...this.error(spent.status, spent.code, spent.message), headers: spent.headers };
    try {
      return routes.dispatch(ctx, req, `/${req.path.split("/").filter(Boolean).join("/")}`);
    } catch (error) {
      if (error instanceof GraphFault) return { ...this.error(error.status, error.code, error.message), ...(error.headers ? { headers: error.headers } : {}) };
      throw error;
    }
  }

  private batch(req: ApiRequest): Reply {
    const { faults, log } = this.options;
    const batchId = `batch-${log.nextSeq()}`;
    return runBatch(req, {
      answer: (inner) => this.answer(graphRoutes, inner, {}),
      fault: (method, path, answer) => {
        const rule = faults.takeStatus("graph", method, path);
        if (!rule) return undefined;
        // An `applied` fault lets Graph run the request (a write takes effect) and replaces only its answer.
        if (rule.applied) answer();
        return { ...faultReply("graph", rule, this.serviceError), fault: true };
      },
      record: (entry) => log.record({ ...entry, service: "graph", batchId }),
      error: (status, code, message) => this.error(status, code, message),
    });
  }

  private error(status: number, code: string, message: string): Reply {
    return this.serviceError("graph", status, code, message);
  }
}
