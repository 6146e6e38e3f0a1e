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
 * registration of the same type (and phone type, when known) at or after the incident start. An ambiguous match is
 * reported, not deleted; the password and method types azir does not know are never touched.
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
}

export interface Classification {
  /** Attacker-added methods, in deletion order (alternateMobile before mobile). */
  remove: ClassifiedMethod[];
  /** Methods left in place, each with its reason (ambiguous matches included). */
  keep: ClassifiedMethod[];
  /** The subset of `keep` that matched a registration ambiguously: a person decides. */
  ambiguous: ClassifiedMethod[];
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
  const start = time(input.incidentStart);
  const baseline = input.baseline ? new Set(input.baseline.methodIds.map((id) => id.toLowerCase())) : undefined;
  const result: Classification = { remove: [], keep: [], ambiguous: [], unknown: [], notes: [] };

  const known: Array<{ method: AuthMethod; info: MethodTypeInfo; entry: ClassifiedMethod }> = [];
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
    known.push({ method, info, entry });
  }

  if (start === undefined && !baseline) {
    for (const { entry } of known) result.keep.push({ ...entry, reason: "no incident start and no baseline to tell it apart from the user's own" });
    if (known.some((k) => k.info.deletable)) {
      result.notes.push(
        "removed no authentication method: there is no incident start (no high-risk successful sign-in was found) and no recorded baseline, so no method can be told apart from the user's own; review the methods by hand",
      );
    }
    return result;
  }

  // Registrations inside the incident window, by method type. When the start is known, `at` decides; the
  // analyzer's flag is the fallback for a registration whose time does not parse.
  const recent = input.registrations.filter((r) => {
    if (start === undefined) return false;
    const at = time(r.at);
    return at === undefined ? r.afterIncidentStart : at >= start;
  });
  for (const r of recent.filter((x) => x.methodType === "unknown")) {
    result.notes.push(`an AuditLogs security-info registration (${r.detail || "no detail"}) at ${r.at} by ${r.initiatedBy || "unknown"} names no method type azir can match; review the user's methods by hand`);
  }
  const undatedOfKind = (kind: MethodKind): number => known.filter((k) => k.entry.kind === kind && k.entry.createdDateTime === undefined).length;

  for (const { info, entry } of known) {
    if (!info.deletable) {
      result.keep.push({ ...entry, reason: "the password method is never removed (reset it separately)" });
      continue;
    }
    const reasons: string[] = [];
    let ambiguity: string | undefined;
    if (baseline && !baseline.has(entry.id.toLowerCase())) reasons.push("not in the user's recorded baseline");
    if (start !== undefined && entry.createdDateTime !== undefined && time(entry.createdDateTime)! >= start) {
      reasons.push(`created at ${entry.createdDateTime}, at or after the incident start ${input.incidentStart}`);
    }
    if (start !== undefined && entry.createdDateTime === undefined) {
      const sameKind = recent.filter((r) => r.methodType === entry.kind);
      if (entry.kind === "phone") {
        const exact = entry.phoneType ? sameKind.filter((r) => r.phoneType === entry.phoneType) : [];
        // A registration that does not say which phone could be any of them; so could any phone registration
        // when this method's own phone type is unknown.
        const vague = sameKind.filter((r) => !r.phoneType || !entry.phoneType);
        if (exact.length > 0) reasons.push(`${describeRegistration(exact[0]!)}, after the incident start`);
        else if (vague.length > 0) {
          if (undatedOfKind("phone") === 1) reasons.push(`${describeRegistration(vague[0]!)}, after the incident start, and it is the only phone`);
          else ambiguity = `${describeRegistration(vague[0]!)} does not say which of the user's phones it was`;
        }
      } else if (sameKind.length > 0) {
        if (undatedOfKind(entry.kind) === 1) reasons.push(`${describeRegistration(sameKind[0]!)}, after the incident start`);
        else ambiguity = `${describeRegistration(sameKind[0]!)} matches more than one ${info.label} without a creation time`;
      }
    }

    if (reasons.length > 0) {
      result.remove.push({ ...entry, reason: reasons.join("; ") });
    } else if (ambiguity) {
      const kept = { ...entry, reason: `ambiguous: ${ambiguity}; left in place` };
      result.keep.push(kept);
      result.ambiguous.push(kept);
      result.notes.push(`left ${entry.label} ${entry.id} in place: ${ambiguity}; check it with the user and remove it by hand if it is not theirs`);
    } else {
      result.keep.push({ ...entry, reason: keepReason(entry, start !== undefined, baseline !== undefined) });
    }
  }

  result.remove = orderForDeletion(result.remove);
  const removesMobile = result.remove.some((m) => m.phoneType === "mobile");
  const keepsAlternate = result.keep.some((m) => m.phoneType === "alternateMobile");
  if (removesMobile && keepsAlternate) {
    result.notes.push("Graph refuses to delete the mobile phone while an alternate mobile phone remains; the alternate mobile phone is kept, so removing the mobile phone may fail");
  }
  if (result.remove.length > 0 && known.some((k) => k.entry.kind === "password")) result.notes.push("left the password method alone");
  return result;
}

function keepReason(entry: ClassifiedMethod, hasStart: boolean, hasBaseline: boolean): string {
  const parts: string[] = [];
  if (hasBaseline) parts.push("in the user's recorded baseline");
  if (hasStart && entry.createdDateTime !== undefined) parts.push(`created at ${entry.createdDateTime}, before the incident start`);
  else if (hasStart) parts.push("no creation time and no matching security-info registration since the incident start");
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
