import { setTimeout as delay } from "node:timers/promises";
import { RE2JS } from "re2js";
import { z } from "zod";
import { AzirError } from "../../core/errors.js";
import type { ServiceError } from "./service-errors.js";
import type { EmulatedService, Reply } from "./types.js";

export const faultRuleSchema = z
  .object({
    match: z.object({
      method: z.string().optional().describe("HTTP method, case-insensitive"),
      path: z.string().min(1).describe("Regular expression tested against the request path (no query string)"),
      service: z.enum(["graph", "logs", "arm"]).optional(),
    }),
    status: z.union([z.literal(429), z.literal(500), z.literal(503), z.literal(504)]).optional(),
    retryAfter: z.number().int().min(0).max(120).optional().describe("Seconds; omitted means no Retry-After header"),
    times: z.number().int().min(1).max(1000).default(1).describe("How many matching requests this rule affects"),
    drop: z.boolean().optional().describe("Destroy the connection without an answer"),
    partial: z.boolean().optional().describe("Log Analytics: answer with a PartialError and the first rows only"),
    partialRows: z.number().int().min(0).optional().describe("Rows kept by `partial` (default: half)"),
    lroFail: z.boolean().optional().describe("ARM: the long-running operation started by the request ends Failed"),
    badSas: z.boolean().optional().describe("ARM: the snapshot export (beginGetAccess) this request starts answers a SAS whose signature the storage service refuses (403)"),
  })
  .refine((r) => r.status !== undefined || r.drop || r.partial || r.lroFail || r.badSas, { message: "a fault rule needs status, drop, partial, lroFail or badSas" })
  .superRefine((r, ctx) => {
    try {
      RE2JS.compile(r.match.path);
    } catch {
      ctx.addIssue({ code: "custom", message: `match.path is not a valid regular expression (RE2 syntax): ${r.match.path}`, path: ["match", "path"] });
    }
  });

export const faultConfigSchema = z.object({
  latencyMs: z.number().int().min(0).max(60_000).optional().describe("Added to every API request"),
  ingestionDelayMs: z
    .number()
    .int()
    .min(0)
    .max(86_400_000)
    .optional()
    .describe("Log Analytics: rows newer than now minus this delay have not arrived yet (Entra logs reach a workspace minutes after the event)"),
  rules: z.array(faultRuleSchema).default([]),
});

/** Faults to inject: latency on every API request, and bounded failure rules. */
export type FaultConfig = z.input<typeof faultConfigSchema>;
export type FaultRule = z.output<typeof faultRuleSchema>;

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
  /** RE2 (linear time): a catastrophic pattern posted to the emulator cannot freeze it. */
  pattern: RE2JS;
}

/**
 * The faults in force: a configuration replaced whole by `set` (POST /_tabletop/faults, `setFaults()`), each rule
 * spent one matching request at a time. The shapes injected are those the services document: 429 with or without
 * Retry-After and 5xx (azure-reference.md section 7), Log Analytics' PartialError (azure-monitor-docs
 * articles/azure-monitor/logs/api/response-format.md), an ARM operation ending Failed (azure-docs async-operations.md).
 */
export class FaultInjector {
  private latency = 0;
  private rules: ActiveRule[] = [];
  /** How long Log Analytics rows take to arrive (learn.microsoft.com/azure/azure-monitor/logs/data-ingestion-time). */
  ingestionDelayMs = 0;

  constructor(config: unknown = {}) {
    this.set(config);
  }

  /** Replaces the configuration (and resets every rule's budget); throws a validation AzirError. */
  set(input: unknown): void {
    const parsed = faultConfigSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AzirError("validation", `Invalid fault configuration: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid"}`, {
        hint: 'Example: {"latencyMs":100,"rules":[{"match":{"path":"/users/","method":"PATCH"},"status":429,"retryAfter":1}]}',
      });
    }
    this.latency = parsed.data.latencyMs ?? 0;
    this.ingestionDelayMs = parsed.data.ingestionDelayMs ?? 0;
    this.rules = parsed.data.rules.map((rule) => ({ rule, remaining: rule.times, pattern: RE2JS.compile(rule.match.path) }));
  }

  /** The injected latency, before an API request is handled. */
  async delay(): Promise<void> {
    if (this.latency > 0) await delay(this.latency);
  }

  /** A status or dropped-connection rule for an API request. */
  takeFailure(service: EmulatedService, method: string, path: string): FaultRule | undefined {
    return this.take(service, method, path, (r) => r.status !== undefined || r.drop === true);
  }

  /** A status rule for a request inside a Graph $batch (a connection cannot drop for one inner request). */
  takeStatus(service: EmulatedService, method: string, path: string): FaultRule | undefined {
    return this.take(service, method, path, (r) => r.status !== undefined);
  }

  /** A Log Analytics partial-result rule. */
  takePartial(method: string, path: string): FaultRule | undefined {
    return this.take("logs", method, path, (r) => r.partial === true);
  }

  /** Whether the ARM long-running operation this request starts is to fail. */
  takeLroFail(method: string, path: string): boolean {
    return this.take("arm", method, path, (r) => r.lroFail === true) !== undefined;
  }

  /** Whether the snapshot export this request starts is to answer a SAS the storage service refuses. */
  takeBadSas(method: string, path: string): boolean {
    return this.take("arm", method, path, (r) => r.badSas === true) !== undefined;
  }

  /** Finds the first rule matching the request that still has budget, and spends one. */
  private take(service: EmulatedService, method: string, path: string, want: (r: FaultRule) => boolean): FaultRule | undefined {
    for (const entry of this.rules) {
      const r = entry.rule;
      if (entry.remaining <= 0 || !want(r)) continue;
      if (r.match.service && r.match.service !== service) continue;
      if (r.match.method && r.match.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!entry.pattern.test(path)) continue;
      entry.remaining -= 1;
      return r;
    }
    return undefined;
  }
}

/** The answer to a status rule: the service's own error shape, with Retry-After when the rule gives one. */
export function faultReply(service: EmulatedService, rule: FaultRule, serviceError: ServiceError): Reply {
  const status = rule.status ?? 500;
  const code = status === 429 ? "TooManyRequests" : status === 503 ? "ServiceUnavailable" : status === 504 ? "GatewayTimeout" : "InternalServerError";
  const reply = serviceError(service, status, code, `Injected fault: ${status}.`);
  reply.headers = rule.retryAfter !== undefined ? { "Retry-After": String(rule.retryAfter) } : {};
  return reply;
}
