import type { ArmRequestEffect, Effect, GraphRequestEffect } from "../../src/core/effects.js";
import { AzirError } from "../../src/core/errors.js";
import { ManualClock } from "../../src/core/clock.js";
import { sequentialIds, type IdSource } from "../../src/core/ids.js";
import type { ArmReader, GraphQueryOptions, GraphReader, LogsPort } from "../../src/core/ports.js";
import type { ReadContext } from "../../src/steps/types.js";

/**
 * A tiny in-memory Graph read side over a fixture: resources by path, collections by path (or by
 * `path?$filter=...`), and errors to throw by path. It records every read so tests can count round trips.
 */
export class FakeGraph implements GraphReader {
  readonly reads: Array<{ verb: "get" | "find" | "list"; path: string; options?: GraphQueryOptions }> = [];
  constructor(
    readonly resources: Record<string, unknown> = {},
    readonly collections: Record<string, unknown[]> = {},
    readonly errors: Record<string, Error> = {},
  ) {}

  private key(path: string, options?: GraphQueryOptions): string {
    return options?.filter ? `${path}?$filter=${options.filter}` : path;
  }

  private select<T>(value: unknown, options?: GraphQueryOptions): T {
    if (!options?.select || value === null || typeof value !== "object") return structuredClone(value) as T;
    const picked = Object.fromEntries(Object.entries(value).filter(([k]) => options.select!.includes(k)));
    return structuredClone(picked) as T;
  }

  async get<T>(path: string, options?: GraphQueryOptions): Promise<T> {
    this.reads.push({ verb: "get", path, ...(options ? { options } : {}) });
    const error = this.errors[path];
    if (error) throw error;
    if (!(path in this.resources)) throw new AzirError("not-found", `Graph answered 404 on GET ${path}`, { details: ["status: 404"] });
    return this.select<T>(this.resources[path], options);
  }

  async find<T>(path: string, options?: GraphQueryOptions): Promise<T | undefined> {
    this.reads.push({ verb: "find", path, ...(options ? { options } : {}) });
    const error = this.errors[path];
    if (error) throw error;
    return path in this.resources ? this.select<T>(this.resources[path], options) : undefined;
  }

  async list<T>(path: string, options?: GraphQueryOptions): Promise<T[]> {
    this.reads.push({ verb: "list", path, ...(options ? { options } : {}) });
    const key = this.key(path, options);
    const error = this.errors[key] ?? this.errors[path];
    if (error) throw error;
    if (this.collections[key] === undefined && path === "/identityProtection/riskyUsers") {
      // The risky users given one by one (`/identityProtection/riskyUsers/{id}`) answer the list too, as Graph's do,
      // with a `riskState eq '...'` filter applied.
      const own = Object.entries(this.errors).find(([k]) => k.startsWith(`${path}/`));
      if (own) throw own[1];
      const state = /riskState eq '([^']+)'/.exec(options?.filter ?? "")?.[1];
      const items = Object.entries(this.resources).filter(([k]) => k.startsWith(`${path}/`)).map(([, v]) => v as { riskState?: string });
      return structuredClone(items.filter((u) => state === undefined || u.riskState === state)) as T[];
    }
    return structuredClone(this.collections[key] ?? []) as T[];
  }
}

const unused = (): never => {
  throw new Error("not used by the Entra actions");
};

/** What an action's `read` gets, with the manual clock and the ids a runbook execution needs as well. */
export interface TestContext extends ReadContext {
  clock: ManualClock;
  ids: IdSource;
}

export function makeContext(graph: GraphReader, now = "2026-11-25T09:00:00Z"): TestContext {
  const logs: LogsPort = { query: unused };
  const arm: ArmReader = { getResource: unused, findResource: unused, checkSubscription: unused, listVirtualMachines: unused };
  return {
    clock: new ManualClock(now),
    ids: sequentialIds(),
    logs,
    storage: { findBlob: unused, findContainer: unused },
    graph,
    arm,
    workspaceId: "00000000-0000-4000-8000-0000000000aa",
    signal: new AbortController().signal,
  };
}

export const alexId = "11111111-1111-4111-8111-111111111111";
export const alexUpn = "alex@contoso.com";
export const globalAdminTemplate = "62e90394-69f5-4237-9190-012177145e10";

/** A user resource as Graph returns it. */
export function user(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: alexId,
    userPrincipalName: alexUpn,
    displayName: "Alex Wilber",
    accountEnabled: true,
    signInSessionsValidFromDateTime: "2026-10-01T00:00:00Z",
    ...overrides,
  };
}

/** Fixture resources for alex, reachable by UPN and by id. */
export function userResources(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const u = user(overrides);
  return { [`/users/${encodeURIComponent(alexUpn)}`]: u, [`/users/${alexId}`]: u };
}

export const roleAssignmentsKey = `/roleManagement/directory/roleAssignments?$filter=principalId eq '${alexId}'`;

/** The HTTP write an effect stands for (the actions under test send Graph and ARM requests only). */
export function http(e: Effect): GraphRequestEffect | ArmRequestEffect {
  if (e.kind === "snapshot.export") throw new Error(`not an HTTP write: ${e.kind}`);
  return e;
}
