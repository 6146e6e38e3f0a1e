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
    status: z.union([z.literal(429), z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).optional(),
    retryAfter: z.number().int().min(0).max(120).optional().describe("Seconds; omitted means no Retry-After header"),
    times: z.number().int().min(1).max(1000).default(1).describe("How many matching requests this rule affects"),
    skip: z.number().int().min(0).max(1000).default(0).describe("How many matching requests pass untouched before the rule applies"),
    drop: z.boolean().optional().describe("Destroy the connection without an answer"),
    silent: z.boolean().optional().describe("Accept the request and never answer (until the client gives up or the emulator closes)"),
    dripMs: z.number().int().min(1).max(10_000).optional().describe("Send the real answer slowly: its headers at once, then its body 64 bytes at a time, one chunk every dripMs"),
    answer: z
      .enum(["html", "empty", "wrong-shape"])
      .optional()
      .describe("Replace the answer: html, a gateway's HTML error page (status default 502); empty, 200 with no body; wrong-shape, 200 with JSON that is not the resource's shape"),
    redirectLoop: z.boolean().optional().describe("Answer 302 with a Location that is the request's own URL, every time"),
    applied: z.boolean().optional().describe("The service handles the request first (a write is applied), then the fault replaces its answer"),
    partial: z.boolean().optional().describe("Log Analytics: answer with a PartialError and the first rows only"),
    partialRows: z.number().int().min(0).optional().describe("Rows kept by `partial` (default: half)"),
    lroFail: z.boolean().optional().describe("ARM: the long-running operation started by the request ends Failed"),
    badSas: z.boolean().optional().describe("ARM: the snapshot export (beginGetAccess) this request starts answers a SAS whose signature the storage service refuses (403)"),
  })
  .refine((r) => r.status !== undefined || r.drop || r.silent || r.dripMs !== undefined || r.answer || r.redirectLoop || r.partial || r.lroFail || r.badSas, {
    message: "a fault rule needs status, drop, silent, dripMs, answer, redirectLoop, partial, lroFail or badSas",
  })
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
  /** Matching requests still to let through before the rule applies. */
  skip: number;
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

  /** How many times a rule has applied to a request since the configuration was set. */
  injected = 0;

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
    this.rules = parsed.data.rules.map((rule) => ({ rule, remaining: rule.times, skip: rule.skip, pattern: RE2JS.compile(rule.match.path) }));
    this.injected = 0;
  }

  /** The injected latency, before an API request is handled. */
  async delay(): Promise<void> {
    if (this.latency > 0) await delay(this.latency);
  }

  /** A rule about the answer to an API request: a status, a dropped or silent connection, a drip, a replaced answer, a redirect. */
  takeFailure(service: EmulatedService, method: string, path: string): FaultRule | undefined {
    return this.take(service, method, path, (r) => r.status !== undefined || r.drop === true || r.silent === true || r.dripMs !== undefined || r.answer !== undefined || r.redirectLoop === true);
  }

  /**
   * A rule for a request inside a Graph $batch: a status or a wrong-shape answer (a connection cannot drop, stall or
   * redirect for one inner request, and inner answers are JSON).
   */
  takeStatus(service: EmulatedService, method: string, path: string): FaultRule | undefined {
    return this.take(service, method, path, (r) => (r.status !== undefined || r.answer === "wrong-shape") && (r.answer === undefined || r.answer === "wrong-shape") && !r.drop && !r.silent && r.dripMs === undefined && !r.redirectLoop);
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
      if (entry.skip > 0) {
        entry.skip -= 1;
        continue;
      }
      entry.remaining -= 1;
      this.injected += 1;
      return r;
    }
    return undefined;
  }
}

/**
 * A gateway's error page in front of the service (an Azure Front Door or Application Gateway 502 is an HTML page,
 * learn.microsoft.com/azure/frontdoor/troubleshoot-issues and application-gateway-troubleshooting-502): not JSON.
 */
const gatewayPage = (status: number): Buffer =>
  Buffer.from(`<!DOCTYPE html>\n<html><head><title>${status} Bad Gateway</title></head><body><h1>${status} Bad Gateway</h1><p>The server encountered a temporary error and could not complete your request.</p></body></html>\n`);

/** JSON that is no resource's shape: no `value`, no `id`, no `tables`. */
export const wrongShape = { unexpected: true, note: "injected fault: an answer in a shape the API does not document" };

/**
 * The answer to a rule: the service's own error shape for a status, with Retry-After when the rule gives one; or the
 * replaced answer (`answer`); or a redirect to the request's own URL (`redirectLoop`, given as `url`).
 */
export function faultReply(service: EmulatedService, rule: FaultRule, serviceError: ServiceError, url = "/"): Reply {
  if (rule.redirectLoop) return { status: 302, headers: { Location: url }, bytes: Buffer.alloc(0) };
  if (rule.answer === "html") return { status: rule.status ?? 502, headers: { "Content-Type": "text/html" }, bytes: gatewayPage(rule.status ?? 502) };
  if (rule.answer === "empty") return { status: 200, headers: {}, bytes: Buffer.alloc(0) };
  if (rule.answer === "wrong-shape") return { status: 200, body: wrongShape };
  const status = rule.status ?? 500;
  const code =
    status === 429 ? "TooManyRequests" : status === 502 ? "BadGateway" : status === 503 ? "ServiceUnavailable" : status === 504 ? "GatewayTimeout" : "InternalServerError";
  const reply = serviceError(service, status, code, `Injected fault: ${status}.`);
  reply.headers = rule.retryAfter !== undefined ? { "Retry-After": String(rule.retryAfter) } : {};
  return reply;
}
