import { z } from "zod";
import {
  knownMethodTypes,
  phoneMethodIds,
  phoneTypes,
  registrationMethodTypes,
  type MethodKind,
  type MethodTypeInfo,
  type PhoneType,
} from "../entra/facts.js";

/**
 * Which authentication methods of a user the attacker added: pure selection, no I/O. The rules (DESIGN.md 4b item 4):
 * a method is attacker-added when (a) a baseline exists and the method's id is not in it, (b) it was created at or
 * after the incident start, or (c) it has no creation time (phone, email, OATH) and AuditLogs show a security-info
 * registration of the same type (and phone type, when known) at or after the incident start. What cannot be told
 * apart (an ambiguous match, no incident start and no baseline, or a method kept only on the strength of incomplete
 * data) is undecided: a person decides. The password and method types azir does not know are never touched. A
 * responder's decision (a time after which methods are the attacker's, or the exact method ids) takes precedence.
 */

/** One security-info registration found in AuditLogs (`findings.audit.securityInfoRegistrations`). */
export const securityInfoRegistrationSchema = z.object({
  at: z.string().describe("When it was registered (ISO-8601 UTC)."),
  methodType: z.enum(registrationMethodTypes),
  phoneType: z.enum(phoneTypes).optional(),
  detail: z.string(),
  initiatedBy: z.string(),
  ip: z.string().optional(),
  afterIncidentStart: z.boolean(),
});

/** One security-info registration found in AuditLogs. */
export type SecurityInfoRegistration = z.infer<typeof securityInfoRegistrationSchema>;

/** An item of `GET /users/{id}/authentication/methods`, as much of it as the selection reads. */
export interface AuthMethod {
  "@odata.type"?: string;
  id: string;
  createdDateTime?: string | null;
  phoneType?: string | null;
  displayName?: string | null;
  [key: string]: unknown;
}

/** A method of a type azir knows, with the reason for its classification. */
export interface ClassifiedMethod {
  id: string;
  odataType: string;
  kind: MethodKind;
  collection: string;
  phoneType?: PhoneType;
  createdDateTime?: string;
  /** e.g. "phone (alternateMobile)", "Microsoft Authenticator (Pixel 8)". */
  label: string;
  /** Why it is removed or kept, in words. */
  reason: string;
}

/** A method of a type azir does not know: reported, never touched. */
export interface UnknownMethod {
  id: string;
  odataType: string;
  reason: string;
}

export interface ClassificationInput {
  methods: AuthMethod[];
  incidentStart: string | null;
  registrations: SecurityInfoRegistration[];
  baseline?: { methodIds: string[] } | null;
  /** The responder's decision: methods created or registered at or after this time are the attacker's. */
  methodsAfter?: string | null;
  /** The responder's decision: exactly these method ids are the attacker's. */
  methodIds?: string[] | null;
  /**
   * Why the data the classification rests on is incomplete (the sign-in pull or the audit scoping failed or was
   * partial). Then no method is kept on the strength of that data: it needs a decision instead.
   */
  incomplete?: readonly string[];
  /**
   * The start of the window the sign-ins were scoped over (now - lookback). Without an incident start or a baseline, a
   * method created before it is the user's own: the whole window was read and no compromise began in it, so nothing
   * dated before it can be the attacker's doing (as a method created before an incident start is kept).
   */
  windowStart?: string | null;
}

export interface Classification {
  /** Attacker-added methods, in deletion order (alternateMobile before mobile). */
  remove: ClassifiedMethod[];
  /** Methods left in place because they are the user's own, each with its reason. */
  keep: ClassifiedMethod[];
  /** Methods azir cannot tell apart from the user's own: a person decides (never kept silently, never removed). */
  undecided: ClassifiedMethod[];
  unknown: UnknownMethod[];
  /** Lines for the timeline: why nothing was removed, what was left alone and why. */
  notes: string[];
}

function time(value: string | null | undefined): number | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

function phoneTypeOf(method: AuthMethod): PhoneType | undefined {
  const declared = phoneTypes.find((p) => p === method.phoneType);
  if (declared) return declared;
  return phoneTypes.find((p) => phoneMethodIds[p] === method.id.toLowerCase());
}

function labelOf(info: MethodTypeInfo, method: AuthMethod, phoneType: PhoneType | undefined): string {
  if (info.kind === "phone") return `phone (${phoneType ?? "unknown type"})`;
  const name = typeof method.displayName === "string" && method.displayName.trim() !== "" ? method.displayName.trim() : undefined;
  return name ? `${info.label} (${name})` : info.label;
}

function describeRegistration(r: SecurityInfoRegistration): string {
  const what = r.methodType === "phone" && r.phoneType ? `phone (${r.phoneType})` : r.methodType;
  return `${what} registered at ${r.at} by ${r.initiatedBy || "unknown"}${r.ip ? ` from ${r.ip}` : ""}`;
}

/** Classifies a user's methods. Pure: the same input gives the same output. */
export function classifyAuthMethods(input: ClassificationInput): Classification {
  const decidedStart = time(input.methodsAfter);
  const start = decidedStart ?? time(input.incidentStart);
  const startText = decidedStart !== undefined ? `the time the responder gave (${input.methodsAfter})` : `the incident start ${input.incidentStart}`;
  const baseline = input.baseline ? new Set(input.baseline.methodIds.map((id) => id.toLowerCase())) : undefined;
  const named = input.methodIds ? new Set(input.methodIds.map((id) => id.toLowerCase())) : undefined;
  const incomplete = input.incomplete ?? [];
  const result: Classification = { remove: [], keep: [], undecided: [], unknown: [], notes: [] };

  const known: Array<{ info: MethodTypeInfo; entry: ClassifiedMethod }> = [];
  for (const method of input.methods) {
    const odataType = typeof method["@odata.type"] === "string" ? method["@odata.type"] : "";
    const info = knownMethodTypes[odataType];
    if (!info) {
      const reason = "azir does not know this method type, so it was left alone";
      result.unknown.push({ id: method.id, odataType: odataType || "(no @odata.type)", reason });
      result.notes.push(`left ${odataType || "a method without @odata.type"} ${method.id} alone: ${reason}; review it by hand`);
      continue;
    }
    const phoneType = info.kind === "phone" ? phoneTypeOf(method) : undefined;
    const created = typeof method.createdDateTime === "string" && time(method.createdDateTime) !== undefined ? method.createdDateTime : undefined;
    const entry: ClassifiedMethod = {
      id: method.id,
      odataType,
      kind: info.kind,
      collection: info.collection,
      ...(phoneType ? { phoneType } : {}),
      ...(created ? { createdDateTime: created } : {}),
      label: labelOf(info, method, phoneType),
      reason: "",
    };
    known.push({ info, entry });
  }

  const passwordNote = (): void => {
    if (result.remove.length > 0 && known.some((k) => k.entry.kind === "password")) result.notes.push("left the password method alone");
  };

  // The responder named the attacker's methods: exactly those go.
  if (named) {
    for (const { info, entry } of known) {
      if (!info.deletable) result.keep.push({ ...entry, reason: "the password method is never removed (reset it separately)" });
      else if (named.has(entry.id.toLowerCase())) result.remove.push({ ...entry, reason: "named by the responder" });
      else result.keep.push({ ...entry, reason: "not named by the responder" });
    }
    const missing = [...named].filter((id) => !known.some((k) => k.entry.id.toLowerCase() === id));
    if (missing.length > 0) result.notes.push(`the responder named method(s) the user does not have (already removed?): ${missing.join(", ")}`);
    result.remove = orderForDeletion(result.remove);
    passwordNote();
    return result;
  }

  if (start === undefined && !baseline) {
    // Only on complete data: a window whose sign-ins or audit were not all read may hide the incident start.
    const windowStart = incomplete.length === 0 ? time(input.windowStart) : undefined;
    for (const { info, entry } of known) {
      if (!info.deletable) result.keep.push({ ...entry, reason: "the password method is never removed (reset it separately)" });
      else if (windowStart !== undefined && entry.createdDateTime !== undefined && time(entry.createdDateTime)! < windowStart) {
        result.keep.push({ ...entry, reason: `created at ${entry.createdDateTime}, before the scoped window (since ${input.windowStart}), in which no incident start was found` });
      } else result.undecided.push({ ...entry, reason: "no incident start and no baseline to tell it apart from the user's own" });
    }
    return result;
  }

  // Registrations inside the incident window, by method type. When the start is known, `at` decides; the
  // analyzer's flag is the fallback for a registration whose time does not parse.
  const recent = input.registrations.filter((r) => {
    if (start === undefined) return false;
    const at = time(r.at);
    return at === undefined ? decidedStart === undefined && r.afterIncidentStart : at >= start;
  });
  for (const r of recent.filter((x) => x.methodType === "unknown")) {
    result.notes.push(`an AuditLogs security-info registration (${r.detail || "no detail"}) at ${r.at} by ${r.initiatedBy || "unknown"} names no method type azir can match; review the user's methods by hand`);
  }
  const undatedOfKind = (kind: MethodKind): number => known.filter((k) => k.entry.kind === kind && k.entry.createdDateTime === undefined).length;
  const incompleteText = incomplete.join("; ");

  for (const { info, entry } of known) {
    if (!info.deletable) {
      result.keep.push({ ...entry, reason: "the password method is never removed (reset it separately)" });
      continue;
    }
    const reasons: string[] = [];
    let doubt: string | undefined;
    if (baseline && !baseline.has(entry.id.toLowerCase())) reasons.push("not in the user's recorded baseline");
    if (start !== undefined && entry.createdDateTime !== undefined && time(entry.createdDateTime)! >= start) {
      reasons.push(`created at ${entry.createdDateTime}, at or after ${startText}`);
    }
    if (start !== undefined && entry.createdDateTime === undefined) {
      const sameKind = recent.filter((r) => r.methodType === entry.kind);
      if (entry.kind === "phone") {
        const exact = entry.phoneType ? sameKind.filter((r) => r.phoneType === entry.phoneType) : [];
        // A registration that does not say which phone could be any of them; so could any phone registration
        // when this method's own phone type is unknown.
        const vague = sameKind.filter((r) => !r.phoneType || !entry.phoneType);
        if (exact.length > 0) reasons.push(`${describeRegistration(exact[0]!)}, at or after ${startText}`);
        else if (vague.length > 0) {
          if (undatedOfKind("phone") === 1) reasons.push(`${describeRegistration(vague[0]!)}, at or after ${startText}, and it is the only phone`);
          else doubt = `${describeRegistration(vague[0]!)} does not say which of the user's phones it was`;
        }
      } else if (sameKind.length > 0) {
        if (undatedOfKind(entry.kind) === 1) reasons.push(`${describeRegistration(sameKind[0]!)}, at or after ${startText}`);
        else doubt = `${describeRegistration(sameKind[0]!)} matches more than one ${info.label} without a creation time`;
      }
    }

    if (reasons.length > 0) result.remove.push({ ...entry, reason: reasons.join("; ") });
    else if (doubt) result.undecided.push({ ...entry, reason: doubt });
    else if (baseline) result.keep.push({ ...entry, reason: keepReason(entry, start, startText, true) });
    // Without a baseline, a method is kept only on the strength of complete sign-in and audit data.
    else if (incomplete.length > 0) result.undecided.push({ ...entry, reason: `${keepReason(entry, start, startText, false)}, but ${incompleteText}` });
    else {
      const kept = { ...entry, reason: keepReason(entry, start, startText, false) };
      result.keep.push(kept);
      // An undated method is kept on the audit log's silence: say so, so that a person can check it.
      if (entry.createdDateTime === undefined) result.notes.push(`kept ${entry.label} ${entry.id} as the user's own: ${kept.reason}`);
    }
  }

  result.remove = orderForDeletion(result.remove);
  const removesMobile = result.remove.some((m) => m.phoneType === "mobile");
  const keepsAlternate = [...result.keep, ...result.undecided].some((m) => m.phoneType === "alternateMobile");
  if (removesMobile && keepsAlternate) {
    result.notes.push("Graph refuses to delete the mobile phone while an alternate mobile phone remains; the alternate mobile phone is not being removed, so removing the mobile phone may fail");
  }
  passwordNote();
  return result;
}

function keepReason(entry: ClassifiedMethod, start: number | undefined, startText: string, hasBaseline: boolean): string {
  const parts: string[] = [];
  if (hasBaseline) parts.push("in the user's recorded baseline");
  if (start !== undefined && entry.createdDateTime !== undefined) parts.push(`created at ${entry.createdDateTime}, before ${startText}`);
  else if (start !== undefined) parts.push(`no creation time and no security-info registration in AuditLogs since ${startText}`);
  return parts.join("; ");
}

/** alternateMobile must go before mobile (Graph refuses mobile while alternateMobile exists); otherwise stable. */
export function orderForDeletion(methods: ClassifiedMethod[]): ClassifiedMethod[] {
  const rank = (m: ClassifiedMethod): number => (m.phoneType === "alternateMobile" ? 0 : m.phoneType === "mobile" ? 2 : 1);
  return methods.map((m, i) => ({ m, i })).sort((a, b) => rank(a.m) - rank(b.m) || a.i - b.i).map(({ m }) => m);
}

/**
 * The phase of each deletion: all concurrent (phase 0), except `mobile`, which waits for `alternateMobile` when
 * both are being removed.
 */
export function deletionPhase(method: ClassifiedMethod, all: readonly ClassifiedMethod[]): number {
  return method.phoneType === "mobile" && all.some((m) => m.phoneType === "alternateMobile") ? 1 : 0;
}
