import type { Reply } from "../types.js";

/** Graph's error body, with the innerError Graph always adds (microsoft-graph-docs-contrib concepts/errors.md). */
export function graphError(status: number, code: string, message: string, now: Date, requestId: string): Reply {
  return {
    status,
    body: { error: { code, message, innerError: { date: now.toISOString().replace(/\.\d{3}Z$/, ""), "request-id": requestId, "client-request-id": requestId } } },
  };
}

/** Thrown by OData parsing and routes; turned into a Graph error reply. */
export class GraphFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export type FilterOp = "eq" | "ne" | "ge" | "gt" | "le" | "lt";
export interface FilterClause {
  field: string;
  op: FilterOp;
  value: string | number | boolean | null;
}

const clausePattern = /^\s*([A-Za-z][\w/]*)\s+(eq|ne|ge|gt|le|lt)\s+('(?:[^']|'')*'|\d{4}-\d{2}-\d{2}T[\d:.]+Z?|-?\d+(?:\.\d+)?|true|false|null)\s*$/i;

/**
 * The `$filter` subset the emulator understands (concepts/query-parameters.md): clauses `field op literal` joined by
 * `and`. Anything else is refused with 400 rather than answered wrongly.
 */
export function parseFilter(text: string | null, allowed: readonly string[]): FilterClause[] {
  if (!text) return [];
  const parts = text.split(/\s+and\s+/i);
  return parts.map((part) => {
    const m = clausePattern.exec(part);
    if (!m) throw new GraphFault(400, "BadRequest", `Invalid filter clause: the emulator supports only 'field eq|ne|ge|gt|le|lt literal' joined by 'and' (got: ${part.trim()})`);
    const field = m[1]!;
    if (!allowed.some((a) => a.toLowerCase() === field.toLowerCase())) {
      throw new GraphFault(400, "BadRequest", `Invalid filter clause: filtering on '${field}' is not supported here (supported: ${allowed.join(", ")})`);
    }
    const raw = m[3]!;
    let value: FilterClause["value"];
    if (raw.startsWith("'")) value = raw.slice(1, -1).replace(/''/g, "'");
    else if (/^(true|false)$/i.test(raw)) value = raw.toLowerCase() === "true";
    else if (/^null$/i.test(raw)) value = null;
    else if (/^\d{4}-/.test(raw)) value = raw;
    else value = Number(raw);
    return { field, op: m[2]!.toLowerCase() as FilterOp, value };
  });
}

function resolvePath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split("/")) {
    if (typeof cur !== "object" || cur === null) return undefined;
    const entry = Object.entries(cur).find(([k]) => k.toLowerCase() === key.toLowerCase());
    cur = entry?.[1];
  }
  return cur;
}

function compare(a: unknown, b: FilterClause["value"]): number | undefined {
  if (a === undefined || a === null || b === null) return undefined;
  if (typeof b === "number") return Number(a) - b;
  if (typeof b === "boolean") return a === b ? 0 : 1;
  const isTime = /^\d{4}-\d{2}-\d{2}T/.test(b) && typeof a === "string" && /^\d{4}-\d{2}-\d{2}T/.test(a);
  if (isTime) return new Date(a).getTime() - new Date(b).getTime();
  const as = String(a).toLowerCase();
  const bs = b.toLowerCase();
  return as === bs ? 0 : as < bs ? -1 : 1;
}

export function matchesFilter(item: unknown, clauses: readonly FilterClause[]): boolean {
  return clauses.every((c) => {
    const v = resolvePath(item, c.field);
    if (c.op === "eq" && c.value === null) return v === null || v === undefined;
    if (c.op === "ne" && c.value === null) return v !== null && v !== undefined;
    const cmp = compare(v, c.value);
    if (cmp === undefined) return c.op === "ne";
    switch (c.op) {
      case "eq":
        return cmp === 0;
      case "ne":
        return cmp !== 0;
      case "ge":
        return cmp >= 0;
      case "gt":
        return cmp > 0;
      case "le":
        return cmp <= 0;
      case "lt":
        return cmp < 0;
    }
  });
}

/** `$select`: keeps the named properties (and `@odata.type`); property names are case-insensitive as in Graph. */
export function applySelect<T extends Record<string, unknown>>(item: T, select: string | null): Record<string, unknown> {
  if (!select) return item;
  const wanted = select.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) {
    if (k === "@odata.type" || wanted.includes(k.toLowerCase())) out[k] = v;
  }
  return out;
}

const knownOptions = new Set(["$select", "$filter", "$top", "$expand", "$skiptoken", "$count", "$orderby"]);

/** Refuses query options the emulator does not implement (`$search`, `$skip`, ...), and `$expand` where not allowed. */
export function checkQueryOptions(query: URLSearchParams, options: { expand?: readonly string[]; orderby?: boolean } = {}): void {
  for (const key of query.keys()) {
    if (key.startsWith("$") && !knownOptions.has(key)) throw new GraphFault(400, "BadRequest", `Query option '${key}' is not supported by the emulator.`);
  }
  const expand = query.get("$expand");
  if (expand && !(options.expand ?? []).includes(expand.toLowerCase())) {
    throw new GraphFault(400, "BadRequest", `Parsing OData Select and Expand failed: $expand=${expand} is not supported here.`);
  }
  if (query.has("$orderby") && !options.orderby) throw new GraphFault(400, "BadRequest", "$orderby is not supported here by the emulator.");
  const top = query.get("$top");
  if (top !== null && !/^\d{1,4}$/.test(top)) throw new GraphFault(400, "BadRequest", `Invalid value for $top: ${top}`);
}

/** A collection page with `$top` and an absolute https `@odata.nextLink` on the emulator origin (concepts/paging.md). */
export function page(items: unknown[], query: URLSearchParams, origin: string, path: string, context: string, defaultTop = 100): Reply {
  const top = Math.min(Number(query.get("$top") ?? defaultTop) || defaultTop, 999);
  const skip = Number(query.get("$skiptoken") ?? "0") || 0;
  const slice = items.slice(skip, skip + top);
  const body: Record<string, unknown> = { "@odata.context": `https://graph.microsoft.com/v1.0/$metadata#${context}` };
  if (query.get("$count") === "true") body["@odata.count"] = items.length;
  body.value = slice;
  if (skip + top < items.length) {
    const next = new URLSearchParams(query);
    next.set("$skiptoken", String(skip + top));
    body["@odata.nextLink"] = `${origin}/v1.0${path}?${next.toString()}`;
  }
  return { status: 200, body };
}
