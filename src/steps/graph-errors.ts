import { AzirError, isAzirError } from "../core/errors.js";
import { licenceRefusal, onPremisesMasteredRefusal } from "../entra/facts.js";

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

/** A 403 for a licence the tenant lacks (the adapter maps it to code "licence"): no permission changes it. */
export function isLicenceError(error: unknown): boolean {
  if (isAzirError(error) && error.code === "licence") return true;
  if (graphStatus(error) !== 403 || (isAzirError(error) && error.code === "permission")) return false;
  const text = errorText(error);
  return licenceRefusal.codes.some((c) => text.includes(c)) || licenceRefusal.message.test(text);
}

/** A 403 from Graph for a permission or a role (the adapter maps it to code "permission"); a licence refusal is not one. */
export function isPermissionError(error: unknown): boolean {
  if (isAzirError(error) && error.code === "permission") return true;
  return graphStatus(error) === 403 && !isLicenceError(error);
}

/** Graph's 400 for a change to what on-premises Active Directory masters (a synchronised user's accountEnabled). */
export function isOnPremisesMasteredRefusal(error: unknown): boolean {
  const status = graphStatus(error);
  return (status === undefined || status === 400) && onPremisesMasteredRefusal.test(errorText(error));
}

/**
 * What Graph itself said, as the adapter keeps it (`service said: ...` in the details), else the error's message:
 * printed first, before azir's reading of it.
 */
export function serviceSaid(error: unknown): string {
  const kept = isAzirError(error) ? error.details.find((d) => d.startsWith("service said: ")) : undefined;
  if (kept) return kept.slice("service said: ".length);
  const message = field(field(error, "cause"), "message") ?? field(error, "message");
  return typeof message === "string" && message !== "" ? message : "no message";
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

/** A deletion the adapter found already done: Graph answered 404 and a read of the object answered 404 too. */
export function isAlreadyRemoved(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { alreadyRemoved?: unknown }).alreadyRemoved === true;
}
