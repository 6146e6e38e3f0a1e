import type { Clock } from "../../../core/clock.js";

/**
 * Graph's throttling budgets, as microsoft-graph-docs-contrib concepts/throttling-limits.md documents them, for a
 * scenario that asks (tenant.json `budgets: true`). Each request counts, an inner request of a `$batch` included
 * (concepts/json-batching.md: "each individual request is evaluated against the applicable throttling limits").
 *
 * - Identity Protection and Conditional Access (includes/throttling-identityprotection-ca.md): 1 request per second
 *   per tenant, all applications together; a 429 with no Retry-After.
 * - Identity and access (the "identity and access service limits" table): a token bucket of resource units per app
 *   and tenant, 3,500 / 5,000 / 8,000 per 10 s for tenants of under 50 / 50 to 500 / over 500 users (each request
 *   costs 1 here: the per-request costs of the table, 2 for a GET /users list and the $select/$top discounts, are
 *   not modelled); writes, 3,000 per 2 min 30 s per app and tenant. A 429 with Retry-After and x-ms-throttle-scope.
 */
export interface BudgetVerdict {
  status: 429;
  code: string;
  message: string;
  headers: Record<string, string>;
}

class Bucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.at = now;
  }

  /** Takes one token, or says in how many ms one will be there. */
  take(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.at) * this.perMs);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.tokens) / this.perMs);
  }
}

const identityProtection = /^\/(identityProtection|identity\/conditionalAccess)(\/|$)/i;

export class GraphBudgets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: Clock,
    private readonly tenant: { tenantId: string; users: number },
  ) {}

  /** A budget, full when first used at `now` (the request's own time: a later reading of the clock would start it short). */
  private bucket(key: string, capacity: number, perMs: number, now: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = new Bucket(capacity, perMs, now);
      this.buckets.set(key, b);
    }
    return b;
  }

  /** Charges one request (path below the version root) to its budgets; a 429 when one is spent. */
  charge(method: string, path: string, appId: string): BudgetVerdict | undefined {
    const now = this.clock.now().getTime();
    const { tenantId } = this.tenant;
    if (identityProtection.test(path)) {
      if (this.bucket(`ipca/${tenantId}`, 1, 1 / 1000, now).take(now) > 0) {
        return { status: 429, code: "TooManyRequests", message: "Too many requests: Identity Protection and Conditional Access allow 1 request per second per tenant.", headers: {} };
      }
      return undefined;
    }
    const units = this.tenant.users < 50 ? 3500 : this.tenant.users <= 500 ? 5000 : 8000;
    const scope = `Tenant_Application/ReadWrite/${appId || "operator"}/${tenantId}`;
    const waits = [this.bucket(`ru/${appId}/${tenantId}`, units, units / 10_000, now).take(now)];
    if (method.toUpperCase() !== "GET") waits.push(this.bucket(`writes/${appId}/${tenantId}`, 3000, 3000 / 150_000, now).take(now));
    const wait = Math.max(...waits);
    if (wait > 0) {
      return {
        status: 429,
        code: "TooManyRequests",
        message: "Too many requests: the identity and access budget of this application in this tenant is spent.",
        headers: { "Retry-After": String(Math.ceil(wait / 1000)), "x-ms-throttle-scope": scope, "x-ms-throttle-information": "ResourceUnitLimitExceeded" },
      };
    }
    return undefined;
  }
}
