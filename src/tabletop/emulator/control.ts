import type { TenantState } from "../scenario/schema.js";
import { RouteTable, type Route } from "./router.js";
import type { Reply, RequestLogEntry } from "./types.js";

/** What the control routes work on. */
export interface ControlContext {
  requests(): RequestLogEntry[];
  state(): TenantState;
  /** Replaces the fault configuration; throws on an invalid one. */
  setFaults(input: unknown): void;
}

/** A control request: its body as text. */
export interface ControlRequest {
  method: string;
  path: string;
  text: string;
}

/** The state without secrets (secretText is never stored, but be sure). */
export function publicState(state: TenantState): TenantState {
  return JSON.parse(JSON.stringify(state, (key, value: unknown) => (key === "secretText" ? undefined : value))) as TenantState;
}

const self = "the emulator's own interface (docs/emulator.md, Control routes)";

const routes: Array<Route<ControlContext, ControlRequest, Reply>> = [
  { method: "GET", pattern: "/_tabletop/requests", source: self, handle: (ctx) => ({ status: 200, body: ctx.requests() }) },
  { method: "GET", pattern: "/_tabletop/state", source: self, handle: (ctx) => ({ status: 200, body: ctx.state() }) },
  {
    method: "POST",
    pattern: "/_tabletop/faults",
    source: self,
    handle(ctx, req) {
      try {
        ctx.setFaults(JSON.parse(req.text || "{}"));
        return { status: 204 };
      } catch (error) {
        return { status: 400, body: { error: error instanceof Error ? error.message : String(error) } };
      }
    },
  },
];

const noRoute = (req: ControlRequest): Reply => ({ status: 404, body: { error: { code: "NotFound", message: `No route for ${req.method} ${req.path}` } } });

/** The emulator's control routes: no token, 127.0.0.1 only. */
export const controlRoutes = new RouteTable<ControlContext, ControlRequest, Reply>(routes, { unmatched: (_ctx, req) => noRoute(req) });

/** Answers a control request (path under /_tabletop/), or a request addressed to no emulated service. */
export function handleControl(ctx: ControlContext, req: ControlRequest, remoteAddress: string): Reply {
  if (!req.path.startsWith("/_tabletop/")) return noRoute(req);
  if (!/^(::ffff:)?127\.0\.0\.1$|^::1$/.test(remoteAddress)) return { status: 403, body: { error: "control routes answer 127.0.0.1 only" } };
  return controlRoutes.dispatch(ctx, req, req.path);
}
