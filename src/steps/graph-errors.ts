import { AzirError, isAzirError } from "../core/errors.js";

/**
 * Reading what Graph said from an error the write gate raised. The Graph adapter turns service errors into
 * AzirError (code, details with the HTTP status and Graph error code, the SDK error as cause); these helpers look
 * at all of that so that a change in wording on one side does not break the other.
 */

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
}

/** The HTTP status of a failed Graph call, when it can be told. */
export function graphStatus(error: unknown): number | undefined {
  for (const source of [error, field(error, "cause")]) {
    for (const key of ["statusCode", "status"]) {
      const value = field(source, key);
      if (typeof value === "number" && value >= 100 && value < 600) return value;
    }
  }
  const text = isAzirError(error) ? [...error.details, error.message].join("\n") : "";
  const match = /\b(?:status|HTTP|answered|returned)\D{0,3}([1-5]\d\d)\b/i.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Everything an error says in words: message, details, Graph code and body of its cause. */
export function errorText(error: unknown): string {
  const parts: string[] = [];
  const add = (value: unknown): void => {
    if (typeof value === "string") parts.push(value);
  };
  add(field(error, "message"));
  add(field(error, "code"));
  if (isAzirError(error)) parts.push(...error.details);
  const cause = field(error, "cause");
  add(field(cause, "message"));
  add(field(cause, "code"));
  add(field(cause, "body"));
  return parts.join("\n");
}

/** A 403 from Graph (the adapter maps it to code "permission"). */
export function isPermissionError(error: unknown): boolean {
  return (isAzirError(error) && error.code === "permission") || graphStatus(error) === 403;
}

export function isNotFoundError(error: unknown): boolean {
  return (isAzirError(error) && error.code === "not-found") || graphStatus(error) === 404;
}

/**
 * Graph refuses to delete the user's default MFA method while other methods remain ("Cannot delete default method
 * with other methods configured", "... matches the user's current default authentication method ..."), and refuses
 * `mobile` while `alternateMobile` exists. Both come back as 400 badRequest.
 */
export function isDefaultMethodRefusal(error: unknown): boolean {
  const status = graphStatus(error);
  if (status !== undefined && status !== 400) return false;
  if (isAzirError(error) && (error.code === "permission" || error.code === "auth" || error.code === "not-found")) return false;
  const text = errorText(error);
  return /default (?:authentication |mfa |sign-in )?method/i.test(text) || /alternate ?mobile/i.test(text);
}

/** A short, secret-free description of an error for a note or an aggregated message. */
export function describeError(error: unknown): string {
  const message = field(error, "message");
  const status = graphStatus(error);
  const text = typeof message === "string" && message !== "" ? message : "unknown error";
  return status !== undefined && !text.includes(String(status)) ? `${text} (HTTP ${status})` : text;
}

/** Wraps anything thrown into an AzirError, keeping an AzirError as it is. */
export function asAzirError(error: unknown, message: string): AzirError {
  if (isAzirError(error)) return error;
  return new AzirError("service", `${message}: ${describeError(error)}`, { cause: error });
}
