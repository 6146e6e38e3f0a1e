/** Path parameters a route pattern captured, by name. */
export type RouteParams = Readonly<Record<string, string>>;

/** One row of a route table: method + path pattern -> handler, with the Microsoft source the behaviour follows. */
export interface Route<C, R, T> {
  /** HTTP method in upper case, or "*" for any method. */
  method: string;
  /** `/users/{user}/authentication/{collection}`: `{name}` is one path segment, `{name+}` one or more. */
  pattern: string;
  /** The Microsoft document, REST spec example or SDK code this route follows. */
  source: string;
  handle(ctx: C, req: R, params: RouteParams): T;
}

interface CompiledRoute<C, R, T> {
  route: Route<C, R, T>;
  regex: RegExp;
  names: string[];
}

/**
 * A service's routes, tried in the order given (the first match wins, so specific routes come before catch-alls);
 * a request no route matches gets `unmatched`, which answers in the service's own error shape.
 */
export class RouteTable<C, R extends { method: string }, T> {
  private readonly compiled: Array<CompiledRoute<C, R, T>>;

  constructor(
    readonly routes: ReadonlyArray<Route<C, R, T>>,
    private readonly options: { ignoreCase?: boolean; unmatched: (ctx: C, req: R) => T },
  ) {
    this.compiled = routes.map((route) => ({ route, ...compilePattern(route.pattern, options.ignoreCase ?? false) }));
  }

  /** The route for a method and path, with its parameters; undefined when none matches. */
  match(method: string, path: string): { route: Route<C, R, T>; params: RouteParams } | undefined {
    const m = method.toUpperCase();
    for (const c of this.compiled) {
      if (c.route.method !== "*" && c.route.method !== m) continue;
      const found = c.regex.exec(path);
      if (!found) continue;
      return { route: c.route, params: Object.fromEntries(c.names.map((name, i) => [name, found[i + 1] ?? ""])) };
    }
    return undefined;
  }

  /** Answers a request; `path` is what the routes match against (default: the request's own). */
  dispatch(ctx: C, req: R, path: string): T {
    const found = this.match(req.method, path);
    return found ? found.route.handle(ctx, req, found.params) : this.options.unmatched(ctx, req);
  }
}

function compilePattern(pattern: string, ignoreCase: boolean): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = pattern
    .split("/")
    .map((segment) => {
      const param = /^\{(\w+)(\+?)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(param[1]!);
      return param[2] ? "(.+?)" : "([^/]+)";
    })
    .join("/");
  return { regex: new RegExp(`^${source}$`, ignoreCase ? "i" : ""), names };
}
