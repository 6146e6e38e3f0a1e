import { z } from "zod";
import type { Endpoints } from "../../core/ports.js";
import type { TenantState } from "../scenario/schema.js";

/** Which service a request was addressed to. */
export type EmulatedService = "graph" | "logs" | "arm" | "authority" | "control";

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
  })
  .refine((r) => r.status !== undefined || r.drop || r.partial || r.lroFail, { message: "a fault rule needs status, drop, partial or lroFail" })
  .superRefine((r, ctx) => {
    try {
      new RegExp(r.match.path);
    } catch {
      ctx.addIssue({ code: "custom", message: `match.path is not a valid regular expression: ${r.match.path}`, path: ["match", "path"] });
    }
  });

export const faultConfigSchema = z.object({
  latencyMs: z.number().int().min(0).max(60_000).optional().describe("Added to every API request"),
  rules: z.array(faultRuleSchema).default([]),
});

/** Faults to inject: latency on every API request, and bounded failure rules. */
export type FaultConfig = z.input<typeof faultConfigSchema>;
export type FaultRule = z.output<typeof faultRuleSchema>;

/** One request the emulator saw (never with bodies or query strings). */
export interface RequestLogEntry {
  seq: number;
  /** The emulator clock's time, ISO-8601. */
  time: string;
  method: string;
  path: string;
  service: EmulatedService;
  /** HTTP status answered; 0 when the connection was dropped. */
  status: number;
  /** For requests inside a Graph `$batch`: the batch's id. */
  batchId?: string;
}

/** A running emulator. */
export interface Emulator {
  endpoints: Endpoints;
  /** The PEM of the certificate the server presents (trust it as a CA). */
  caPem: string;
  /** Where that PEM was written (mode 0600), for NODE_EXTRA_CA_CERTS. */
  caPath: string;
  tenantId: string;
  workspaceId: string;
  subscriptionId: string;
  /** Environment that points a separate azir process at this emulator. */
  env: Record<string, string>;
  requests(): RequestLogEntry[];
  /** The current simulated tenant (secrets removed). */
  state(): TenantState;
  setFaults(faults: FaultConfig): void;
  close(): Promise<void>;
}

/** What a route handler answers. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A parsed API request as the route handlers see it. */
export interface ApiRequest {
  method: string;
  /** Decoded path with `//` collapsed, no query. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  /** Parsed JSON body, or undefined when empty. */
  body: unknown;
  /** `https://127.0.0.1:PORT`. */
  origin: string;
}
