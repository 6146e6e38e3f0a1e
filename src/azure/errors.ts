import { AzirError, type ErrorCode } from "../core/errors.js";

/** Which Azure service an error came from, as people name it. */
export type AzureServiceName = "Graph" | "Log Analytics" | "ARM" | "Storage";

/**
 * An AzirError raised by an Azure adapter: keeps the HTTP status and the service's own error code so that
 * callers can recognise specific refusals (e.g. Graph's "cannot delete the default method") without parsing text.
 */
export class AzureServiceError extends AzirError {
  readonly service: AzureServiceName;
  /** HTTP status, or -1 when no response arrived. */
  readonly status: number;
  /** The service's error code (`Authorization_RequestDenied`, `badRequest`, `BadArgumentError`, ...). */
  readonly serviceCode: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    info: { service: AzureServiceName; status: number; serviceCode?: string; hint?: string; details?: string[]; cause?: unknown },
  ) {
    const details = [`service: ${info.service}`, `status: ${info.status}`, ...(info.serviceCode ? [`code: ${info.serviceCode}`] : []), ...(info.details ?? [])];
    super(code, message, { hint: info.hint, details, ...(info.cause !== undefined ? { cause: safeCause(info.cause) } : {}) });
    this.name = "AzureServiceError";
    this.service = info.service;
    this.status = info.status;
    this.serviceCode = info.serviceCode;
  }
}

export function isAzureServiceError(error: unknown): error is AzureServiceError {
  return error instanceof AzureServiceError;
}

const redactions: Array<[RegExp, string]> = [
  [/Bearer\s+[A-Za-z0-9\-._~+/]+=*/gi, "Bearer [redacted]"],
  [/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, "[redacted-jwt]"],
  [/([?&](?:sig|se|sv|sp|skoid|sktid|skt|ske|sks|skv|st|sr|spr|sip|code|token|access_token|client_secret)=)[^&\s"']*/gi, "$1[redacted]"],
  [/("?(?:secretText|access_token|refresh_token|id_token|client_secret|accessSAS|password)"?\s*[:=]\s*"?)[^",\s}]+/gi, "$1[redacted]"],
];

/** Removes anything token- or secret-like from text that will be shown or logged. */
export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of redactions) out = out.replace(pattern, replacement);
  return out;
}

/**
 * A stand-in for an SDK error to keep as `cause`: SDK errors carry the request (with its Authorization header)
 * and sometimes the body; this keeps only the name, code, status and a redacted message.
 */
export function safeCause(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(redact(String(error)));
  const copy = new Error(redact(error.message));
  copy.name = error.name;
  const e = error as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === "string") (copy as Error & { code?: string }).code = e.code;
  if (typeof e.statusCode === "number") (copy as Error & { statusCode?: number }).statusCode = e.statusCode;
  return copy;
}

/** The path part of a URL or path, without the query string (which may carry filters with user data or SAS tokens). */
export function pathOnly(pathOrUrl: string): string {
  let p = pathOrUrl;
  const m = /^https:\/\/[^/]+(\/.*)?$/i.exec(p);
  if (m) p = m[1] ?? "/";
  const q = p.indexOf("?");
  return q >= 0 ? p.slice(0, q) : p;
}

/**
 * Graph's 403 for a delegated token that lacks the permission ("You cannot perform the requested operation, required
 * scopes are missing in the token."; Azure/azure-cli#23906): a problem of the token, whatever the user's roles.
 */
export function isMissingScopeAnswer(message: string): boolean {
  return /required scopes are missing in the token/i.test(message);
}

/** Status-to-code mapping shared by the three adapters. */
export function codeForStatus(status: number): ErrorCode {
  if (status === 401) return "auth";
  if (status === 403) return "permission";
  if (status === 404) return "not-found";
  if (status === 429) return "throttled";
  return "service";
}

/** What a caught SDK error looked like: the facts the translators need. */
export interface RawServiceError {
  status: number;
  serviceCode?: string;
  message: string;
}

/** Pulls status, code and message out of a RestError, GraphError or anything thrown by an SDK. */
export function rawServiceError(error: unknown): RawServiceError {
  if (typeof error !== "object" || error === null) return { status: -1, message: String(error) };
  const e = error as { statusCode?: unknown; status?: unknown; code?: unknown; message?: unknown; details?: unknown; body?: unknown };
  const status = typeof e.statusCode === "number" ? e.statusCode : typeof e.status === "number" ? e.status : -1;
  let serviceCode = typeof e.code === "string" ? e.code : undefined;
  let message = typeof e.message === "string" ? e.message : String(error);
  // core-rest-pipeline puts the parsed body on `details`; Graph puts a JSON string of `error` on `body`.
  const details = e.details as { error?: { code?: unknown; message?: unknown } } | undefined;
  if (details && typeof details === "object" && details.error && typeof details.error === "object") {
    if (typeof details.error.code === "string") serviceCode = details.error.code;
    if (typeof details.error.message === "string") message = details.error.message;
  }
  return { status, serviceCode, message: redact(message) };
}
