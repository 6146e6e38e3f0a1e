/**
 * Reading one AuditLogs security-info event: what it did (from OperationName) and to which method (from the words of
 * ResultReason after its verb, matched whole against Microsoft's wordings; then TargetResources' modified properties
 * and AdditionalDetails for what the words leave open). Matching whole phrases, not substrings, is what keeps
 * "Authenticator App with Code" (a software OATH app) apart from "Authenticator App with Notification and Code".
 */
import {
  defaultMethodFromMessage,
  securityInfoActivities,
  securityInfoMethods,
  type DefaultMethodType,
  type PhoneType,
  type SecurityInfoActivity,
  type SecurityInfoMethod,
} from "../entra/facts.js";
import { isRecord, parseMaybeJson } from "./rows.js";

/** The verbs a security-info message starts with (lower case), longest first so that the most specific one wins. */
const messagePrefixes: readonly string[] = [
  "user failed to change the default security info for ",
  "user changed the default security info for ",
  "user started the registration for ",
  "user failed to register ",
  "user failed to delete ",
  "user registered ",
  "admin registered ",
  "user updated ",
  "admin updated ",
  "admin changed ",
  "user deleted ",
  "admin deleted ",
].sort((a, b) => b.length - a.length);

function normalise(text: string): string {
  return text.trim().replace(/\s+/g, " ").replace(/\.$/, "").toLowerCase();
}

/** The method named by the words of a message after its verb; undefined when the words are not Microsoft's. */
function methodOfPhrase(phrase: string): SecurityInfoMethod | undefined {
  const p = normalise(phrase);
  const exact = securityInfoMethods[p];
  if (exact) return exact;
  // "Admin registered phone method for user": the method word comes before " method for user".
  const forUser = p.replace(/ method for user$/, "");
  if (forUser !== p && securityInfoMethods[forUser]) return securityInfoMethods[forUser];
  return undefined;
}

/** The words after the verb of a message, or undefined when it starts with no known verb. */
function phraseOf(message: string): string | undefined {
  const m = normalise(message);
  const prefix = messagePrefixes.find((p) => m.startsWith(p));
  return prefix === undefined ? undefined : m.slice(prefix.length);
}

/**
 * Classifies a security-info ResultReason into a Graph method type (and phone type when the words say which).
 * Unknown wordings are `unknown`: never guessed from a part of the text.
 */
export function classifySecurityInfo(reason: string): { methodType: SecurityInfoMethod["methodType"]; phoneType?: PhoneType } {
  const phrase = phraseOf(reason);
  const method = phrase === undefined ? undefined : methodOfPhrase(phrase);
  if (!method) return { methodType: "unknown" };
  return method.phoneType ? { methodType: method.methodType, phoneType: method.phoneType } : { methodType: method.methodType };
}

function asArray(v: unknown): unknown[] {
  const p = parseMaybeJson(v);
  return Array.isArray(p) ? p : [];
}

/** The first entry of a StrongAuthenticationUserDetails value (JSON text of `[{PhoneNumber, AlternativePhoneNumber, Email}]`). */
function strongAuthDetails(v: unknown): Record<string, unknown> {
  const p = parseMaybeJson(v);
  const first = Array.isArray(p) ? parseMaybeJson(p[0]) : p;
  return isRecord(first) ? first : {};
}

/**
 * The phone type a change of StrongAuthenticationUserDetails shows: Entra ID writes the user's phone numbers there
 * on Authentication Methods events. The property is not in a reference page, so it only fills in what the message
 * leaves open, and only when exactly one of the numbers changed.
 */
function phoneTypeFromProperties(targets: readonly unknown[]): PhoneType | undefined {
  for (const t of targets) {
    for (const m of asArray(isRecord(t) ? t["modifiedProperties"] : undefined)) {
      if (!isRecord(m) || String(m["displayName"] ?? "").toLowerCase() !== "strongauthenticationuserdetails") continue;
      const before = strongAuthDetails(m["oldValue"]);
      const after = strongAuthDetails(m["newValue"]);
      const changed = (key: string): boolean => JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null);
      const mobileChanged = changed("PhoneNumber");
      const alternateChanged = changed("AlternativePhoneNumber");
      if (mobileChanged && !alternateChanged) return "mobile";
      if (alternateChanged && !mobileChanged) return "alternateMobile";
    }
  }
  return undefined;
}

/** What one security-info event says. */
export interface SecurityInfoEvent {
  activity: SecurityInfoActivity;
  /** The method, when the event names one and azir knows its words; undefined otherwise. */
  method?: SecurityInfoMethod;
  /** Graph's default-method value, for a default change. */
  defaultMethodType?: DefaultMethodType | null;
  /** The message azir could not read (the ResultReason, or the operation), when it could not. */
  unrecognised?: string;
  /** Where the method came from: the message, the operation itself, or AdditionalDetails (the phone type may come from the modified properties). */
  source?: "message" | "operation" | "additionalDetails";
}

/** The activity an OperationName names, or undefined for an operation that is not a security-info activity. */
export function securityInfoActivityOf(operationName: string): SecurityInfoActivity | undefined {
  return securityInfoActivities[normalise(operationName)];
}

/** Whether an operation looks like a security-info activity azir does not know (it must not be skipped silently). */
export function looksLikeSecurityInfo(operationName: string, loggedByService: string, category: string): boolean {
  const op = normalise(operationName);
  if (securityInfoActivityOf(operationName) !== undefined) return false;
  if (op.includes("security info")) return true;
  // The Authentication Methods service logs a user's own method changes under UserManagement.
  return loggedByService.trim().toLowerCase() === "authentication methods" && category.trim().toLowerCase() === "usermanagement";
}

/**
 * Reads a security-info event from its structured fields. `activity` is known (from OperationName); the method comes
 * from the operation itself for the Device Registration Service's "Add FIDO2 security key" and the like, else from
 * the ResultReason, else from AdditionalDetails values worded like a message; a phone of unsaid type takes its type
 * from the modified properties.
 */
export function readSecurityInfo(activity: SecurityInfoActivity, operationName: string, resultReason: string, targets: readonly unknown[], additionalDetails: unknown): SecurityInfoEvent {
  const event: SecurityInfoEvent = { activity };
  if (activity === "completed" || activity === "reviewed" || activity === "canceled" || activity === "password") return event;
  const op = normalise(operationName);
  if (/^(add|delete) /.test(op)) {
    const method = methodOfPhrase(op.replace(/^(add|delete) /, ""));
    if (method) return withPhone({ ...event, method, source: "operation" }, targets);
  }
  if (activity === "default-changed") {
    const phrase = phraseOf(resultReason);
    const found = phrase === undefined ? undefined : defaultMethodFromMessage(phrase);
    if (found) return withPhone({ ...event, method: found.method, defaultMethodType: found.defaultMethodType, source: "message" }, targets);
    return { ...event, defaultMethodType: null, unrecognised: resultReason || operationName };
  }
  const phrase = phraseOf(resultReason);
  const fromMessage = phrase === undefined ? undefined : methodOfPhrase(phrase);
  if (fromMessage) return withPhone({ ...event, method: fromMessage, source: "message" }, targets);
  // AdditionalDetails is a list of {key, value}; a value worded like a message names the method when the reason does not.
  for (const d of asArray(additionalDetails)) {
    const value = isRecord(d) && typeof d["value"] === "string" ? d["value"] : "";
    const p = phraseOf(value);
    const method = p === undefined ? methodOfPhrase(value) : methodOfPhrase(p);
    if (method) return withPhone({ ...event, method, source: "additionalDetails" }, targets);
  }
  // "Started" without a method is still a start; anything else unread is said, never dropped.
  if (activity === "started" && resultReason.trim() === "") return event;
  return { ...event, unrecognised: resultReason.trim() || operationName };
}

function withPhone(event: SecurityInfoEvent, targets: readonly unknown[]): SecurityInfoEvent {
  const method = event.method;
  if (!method || method.methodType !== "phone" || method.phoneType) return event;
  const phoneType = phoneTypeFromProperties(targets);
  return phoneType ? { ...event, method: { ...method, phoneType } } : event;
}
