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
import { authenticationMethodRoutes, deletedMethodOwner } from "./authentication-methods.js";
import { batchRoutes, runBatch } from "./batch.js";
import { conditionalAccessRoutes } from "./conditional-access.js";
import { notEmulated, userByKey, type GraphContext } from "./context.js";
import { directoryRoleRoutes } from "./directory-roles.js";
import { identityProtectionRoutes } from "./identity-protection.js";
import { MethodDeletions, type MethodDeletion } from "./method-deletions.js";
import { GraphFault } from "./odata.js";
import { permissionGrantRoutes } from "./permission-grants.js";
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
    ...conditionalAccessRoutes,
    ...identityProtectionRoutes,
    ...auditLogRoutes,
  ],
  {
    unmatched: (_ctx, req) => {
      throw notEmulated(req);
    },
  },
);

export interface GraphServiceOptions {
  state: TenantState;
  tables: ScenarioTables;
  clock: Clock;
  ids: IdSource;
  faults: FaultInjector;
  log: RequestLog;
  /** Resolves once the requests already on their way to the server have arrived (connections.ts). */
  arrivals: () => Promise<void>;
}

/** The Graph v1.0 service: the route table over the tenant state, JSON batching, and concurrent method deletions. */
export class GraphService {
  private readonly deletions = new MethodDeletions();
  private readonly serviceError: ServiceError;

  constructor(private readonly options: GraphServiceOptions) {
    this.serviceError = serviceErrorFor(options.clock);
  }

  /** Called as a request arrives: a DELETE of a user's authentication method is counted from this moment on. */
  announce(method: string, path: string): MethodDeletion | undefined {
    const owner = deletedMethodOwner(method, path.slice("/v1.0".length));
    const userId = owner === undefined ? undefined : this.userIdOf(owner);
    return userId === undefined ? undefined : this.deletions.announce(userId);
  }

  /** Answers a request whose path starts with /v1.0. */
  async handle(req: ApiRequest, deletion?: MethodDeletion): Promise<Reply> {
    const inner = { ...req, path: req.path.slice("/v1.0".length) || "/" };
    if (!deletion) return this.answer(inner, { batch: (r) => this.batch(r) });
    deletion.start();
    // Decide once the requests sent together with this one have arrived and reached their route.
    await this.options.arrivals();
    await deletion.settled();
    return this.answer(inner, { concurrentMethodDeletion: () => deletion.concurrent() });
  }

  private answer(req: ApiRequest, extra: Pick<GraphContext, "batch" | "concurrentMethodDeletion">): Reply {
    const { state, tables, clock, ids } = this.options;
    const ctx: GraphContext = { state, tables, clock, ids, ...extra };
    try {
      return graphRoutes.dispatch(ctx, req, `/${req.path.split("/").filter(Boolean).join("/")}`);
    } catch (error) {
      if (error instanceof GraphFault) return { ...this.error(error.status, error.code, error.message), ...(error.headers ? { headers: error.headers } : {}) };
      throw error;
    }
  }

  private batch(req: ApiRequest): Reply {
    const { faults, log } = this.options;
    const batchId = `batch-${log.nextSeq()}`;
    return runBatch(req, {
      answer: (inner, concurrentMethodDeletion) => this.answer(inner, { concurrentMethodDeletion }),
      fault: (method, path) => {
        const rule = faults.takeStatus("graph", method, path);
        return rule ? faultReply("graph", rule, this.serviceError) : undefined;
      },
      record: (entry) => log.record({ ...entry, service: "graph", batchId }),
      error: (status, code, message) => this.error(status, code, message),
      userIdOf: (key) => this.userIdOf(key),
    });
  }

  private error(status: number, code: string, message: string): Reply {
    return this.serviceError("graph", status, code, message);
  }

  private userIdOf(key: string): string | undefined {
    return userByKey(this.options.state, key)?.id;
  }
}
