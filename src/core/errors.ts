/** Exit codes of DESIGN.md section 2. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  refused: 3,
  auth: 4,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode =
  | "usage"
  | "validation"
  | "refused"
  | "protected-account"
  | "auth"
  | "permission"
  | "licence"
  | "not-found"
  | "throttled"
  | "service"
  | "unsupported"
  | "interrupted"
  | "runbook-failed"
  | "needs-decision"
  | "internal";

const exitFor: Record<ErrorCode, ExitCode> = {
  usage: ExitCode.usage,
  validation: ExitCode.usage,
  refused: ExitCode.refused,
  "protected-account": ExitCode.refused,
  auth: ExitCode.auth,
  permission: ExitCode.auth,
  // A feature the tenant has no licence for: no permission or role fixes it, so not an authentication error.
  licence: ExitCode.failed,
  "not-found": ExitCode.failed,
  throttled: ExitCode.failed,
  service: ExitCode.failed,
  unsupported: ExitCode.failed,
  interrupted: ExitCode.interrupted,
  "runbook-failed": ExitCode.failed,
  "needs-decision": ExitCode.failed,
  internal: ExitCode.failed,
};

export interface AzirErrorOptions {
  /** What to do next, in one sentence. */
  hint?: string;
  /** Extra lines of detail (already redacted). */
  details?: string[];
  cause?: unknown;
  exitCode?: ExitCode;
}

/**
 * The one error type azir shows to people: what happened, details, how to fix.
 * Messages must never contain tokens or secrets; adapters redact before constructing one.
 */
export class AzirError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: string[];
  readonly exitCode: ExitCode;

  constructor(code: ErrorCode, message: string, options: AzirErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AzirError";
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
    this.exitCode = options.exitCode ?? exitFor[code];
  }
}

export function isAzirError(error: unknown): error is AzirError {
  return error instanceof AzirError;
}

/** A problem found while validating input: data, not an exception. */
export interface Diagnostic {
  severity: "error" | "warning";
  message: string;
  /** File the problem is in, when there is one. */
  file?: string;
  /** 1-based line and column in that file. */
  line?: number;
  column?: number;
  /** Path inside the document, e.g. `steps[3].query`. */
  path?: string;
  hint?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.file, d.line, d.column].filter((x) => x !== undefined).join(":");
  const path = d.path ? ` (${d.path})` : "";
  const hint = d.hint ? `\n  hint: ${d.hint}` : "";
  return `${where ? `${where}: ` : ""}${d.severity}: ${d.message}${path}${hint}`;
}

/** Anything thrown, as an AzirError: an AzirError as it is, anything else as an internal error keeping its message. */
export function toAzirError(error: unknown): AzirError {
  if (isAzirError(error)) return error;
  return new AzirError("internal", (error as Error)?.message ?? String(error), { cause: error });
}
