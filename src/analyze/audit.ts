/**
 * Audit scoping (DESIGN.md 4b item 3): directory operations initiated by or targeting the user, classified, with
 * their severity set by whether they fall in the attacker's window (at or after the incident start).
 */
import { z } from "zod";
import { deviceRegistrationActivities, type DefaultMethodType, type PhoneType, type RegistrationMethodType, type SecurityInfoActivity } from "../entra/facts.js";
import type { AnalysisResult, AnalyzerDefinition, AnalyzerInput, Finding, Row, Severity } from "./types.js";
import { dynamic, isoOrNull, isRecord, memberText, minSeverity, ms, parseMaybeJson, parseWith, pick, text, timeOf } from "./rows.js";
import { looksLikeSecurityInfo, readSecurityInfo, securityInfoActivityOf } from "./security-info.js";

export { classifySecurityInfo } from "./security-info.js";

const withSchema = z.object({
  upn: z.string().min(1),
  incidentStart: isoOrNull,
  /** Directory roles (display names) the user holds now. */
  currentRoles: z.array(z.string()).optional(),
});

/** Authentication-method types as Graph names them, plus `unknown`. */
export type MethodType = RegistrationMethodType;
export type { PhoneType };

/** A security-info registration, as AuditLogs dates it. */
export interface SecurityInfoRegistration {
  at: string;
  methodType: MethodType;
  phoneType?: PhoneType;
  /** ResultReason as logged, e.g. "User registered Authenticator App with Notification and Code". */
  detail: string;
  /** UPN (or app name) of whoever registered it. */
  initiatedBy: string;
  ip: string;
  afterIncidentStart: boolean;
}

/** A security-info method deleted, as AuditLogs dates it (not a registration: nothing to remove, maybe something to restore). */
export type SecurityInfoDeletion = SecurityInfoRegistration;

/** A change of the user's default sign-in method ("User changed default security info"). */
export interface DefaultMethodChange {
  at: string;
  /** Graph's default-method value the message names; null when it does not say (a call to a masked number). */
  defaultMethodType: DefaultMethodType | null;
  methodType: MethodType;
  phoneType?: PhoneType;
  detail: string;
  initiatedBy: string;
  ip: string;
  afterIncidentStart: boolean;
}

/** A device registered to, or by, the user. */
export interface DeviceRegistration {
  at: string;
  operation: string;
  /** The device's display name. */
  device: string;
  deviceId: string;
  initiatedBy: string;
  ip: string;
  afterIncidentStart: boolean;
}

/** One classified audit operation. */
export interface AuditOperation {
  code: string;
  at: string;
  operationName: string;
  result: string;
  initiatedBy: string;
  ip: string;
  target: string;
  afterIncidentStart: boolean;
  id: string;
  correlationId: string;
  /** Object id and type of the first target that is not the user (an app, a service principal, a policy, a group), or the user's. */
  targetId: string;
  targetType: string;
  /** Role operations: the role's template id, when the row names it. */
  roleTemplateId?: string;
  /** Credential operations: key ids the change added (in the new value, not in the old one). */
  keyIds?: string[];
  /** Conditional Access operations: the policy as the row shows it before and after the change, when it carries them. */
  before?: unknown;
  after?: unknown;
}

/** Severity in the attacker's window, and before it (routine admin work must not raise alarms). */
const severities: Record<string, { after: Severity; before: Severity }> = {
  "audit.role-member-added": { after: "high", before: "low" },
  "audit.sp-credentials-added": { after: "high", before: "low" },
  "audit.ca-policy-updated": { after: "high", before: "low" },
  "audit.consent-non-admin": { after: "high", before: "low" },
  "audit.security-info-registered": { after: "high", before: "info" },
  "audit.security-info-updated": { after: "high", before: "info" },
  "audit.security-info-deleted": { after: "high", before: "info" },
  "audit.security-info-default-changed": { after: "high", before: "info" },
  "audit.security-info-activity": { after: "low", before: "info" },
  "audit.security-info-unrecognised": { after: "info", before: "info" },
  "audit.device-registered": { after: "high", before: "info" },
  "audit.app-updated": { after: "medium", before: "info" },
  "audit.user-updated": { after: "medium", before: "info" },
  "audit.consent-admin": { after: "medium", before: "info" },
  "audit.role-member-removed": { after: "medium", before: "info" },
};

const securityInfoCodes: Record<SecurityInfoActivity, string> = {
  registered: "audit.security-info-registered",
  updated: "audit.security-info-updated",
  deleted: "audit.security-info-deleted",
  "default-changed": "audit.security-info-default-changed",
  started: "audit.security-info-activity",
  completed: "audit.security-info-activity",
  reviewed: "audit.security-info-activity",
  canceled: "audit.security-info-activity",
  password: "audit.security-info-activity",
};

function codeFor(operation: string, loggedByService: string, category: string): string | undefined {
  const op = operation.trim().toLowerCase();
  if (op.startsWith("add member to role") || op.startsWith("add eligible member to role")) return "audit.role-member-added";
  if (op.startsWith("remove member from role") || op.startsWith("remove eligible member from role")) return "audit.role-member-removed";
  if (op === "add service principal credentials") return "audit.sp-credentials-added";
  if (op.startsWith("update application")) return "audit.app-updated";
  if (/^(add|update|delete) conditional access policy$/.test(op)) return "audit.ca-policy-updated";
  if (op === "consent to application") return "audit.consent";
  if (op === "update user") return "audit.user-updated";
  const activity = securityInfoActivityOf(op);
  if (activity) return securityInfoCodes[activity];
  if (deviceRegistrationActivities.has(op)) return "audit.device-registered";
  // A security-info activity azir does not know is said, never skipped.
  if (looksLikeSecurityInfo(op, loggedByService, category)) return "audit.security-info-unrecognised";
  return undefined;
}

function asArray(v: unknown): unknown[] {
  const p = parseMaybeJson(v);
  return Array.isArray(p) ? p : [];
}

/** A modified property's value as text: Entra writes them JSON-encoded (`"\"Global Administrator\""`). */
function propertyText(v: unknown): string {
  const p = parseMaybeJson(v);
  if (typeof p === "string") return p;
  if (Array.isArray(p) && typeof p[0] === "string") return p[0];
  return typeof v === "string" ? v : "";
}

function modifiedProperty(targets: unknown[], name: string): string {
  for (const t of targets) {
    for (const m of asArray(isRecord(t) ? t["modifiedProperties"] : undefined)) {
      if (isRecord(m) && String(m["displayName"] ?? "").toLowerCase() === name.toLowerCase()) {
        const v = propertyText(m["newValue"]);
        if (v !== "") return v;
      }
    }
  }
  return "";
}

/** A modified property's old and new values, parsed where they are JSON. */
function modifiedValues(targets: unknown[], name: string): { before: unknown; after: unknown } | undefined {
  for (const t of targets) {
    for (const m of asArray(isRecord(t) ? t["modifiedProperties"] : undefined)) {
      if (isRecord(m) && String(m["displayName"] ?? "").toLowerCase() === name.toLowerCase()) return { before: parseMaybeJson(m["oldValue"]), after: parseMaybeJson(m["newValue"]) };
    }
  }
  return undefined;
}

const keyIdentifier = /KeyIdentifier=([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/g;

/** Key ids a credential change added: named in KeyDescription's new value and not in its old one. */
function addedKeyIds(targets: unknown[]): string[] {
  const values = modifiedValues(targets, "KeyDescription");
  if (!values) return [];
  const ids = (v: unknown): Set<string> => new Set([...JSON.stringify(v ?? "").matchAll(keyIdentifier)].map((m) => m[1]!.toLowerCase()));
  const before = ids(values.before);
  return [...ids(values.after)].filter((k) => !before.has(k));
}

/** The first target that is not the user, else the first: what an app, policy or role operation acted on. */
function mainTarget(targets: unknown[], upn: string): { id: string; type: string } {
  const records = targets.filter(isRecord);
  const other = records.find((t) => String(t["userPrincipalName"] ?? "").toLowerCase() !== upn.toLowerCase()) ?? records[0];
  return { id: String(other?.["id"] ?? ""), type: String(other?.["type"] ?? "") };
}

/** A role operation's member: the user or group added to (or removed from) the role, not the role itself. */
function roleTarget(targets: unknown[], upn: string): { id: string; type: string } {
  const records = targets.filter(isRecord).filter((t) => String(t["type"] ?? "").toLowerCase() !== "role");
  const member = records.find((t) => String(t["userPrincipalName"] ?? "").toLowerCase() === upn.toLowerCase()) ?? records[0];
  return { id: String(member?.["id"] ?? ""), type: String(member?.["type"] ?? "") };
}

function roleName(targets: unknown[]): string {
  const fromProperty = modifiedProperty(targets, "Role.DisplayName");
  if (fromProperty !== "") return fromProperty;
  for (const t of targets) if (isRecord(t) && String(t["type"] ?? "").toLowerCase() === "role") return String(t["displayName"] ?? "");
  return "";
}

function isAdminRole(role: string): boolean {
  return /administrator/i.test(role);
}

interface Op {
  row: Row;
  at: string;
  atMs: number;
  name: string;
  code: string | undefined;
  result: string;
  initiator: string;
  ip: string;
  targets: unknown[];
  targetUpn: string;
  initiatedByUser: boolean;
  targetsUser: boolean;
}

function readOp(row: Row, upn: string): Op | undefined {
  const at = timeOf(row, "ActivityDateTime", "TimeGenerated");
  if (at === undefined) return undefined;
  const initiatedBy = dynamic(row, "InitiatedBy");
  const initiatorUpn = text(row, "InitiatorUpn") || memberText(initiatedBy, "user", "userPrincipalName");
  const initiator = initiatorUpn || text(row, "InitiatorApp") || memberText(initiatedBy, "app", "displayName");
  const targets = asArray(row["TargetResources"]);
  const userTarget = targets.find(
    (t) => isRecord(t) && typeof t["userPrincipalName"] === "string" && t["userPrincipalName"].toLowerCase() === upn.toLowerCase(),
  );
  const firstUpn = targets.map((t) => (isRecord(t) && typeof t["userPrincipalName"] === "string" ? t["userPrincipalName"] : "")).find((x) => x !== "");
  return {
    row,
    at,
    atMs: ms(at),
    name: text(row, "OperationName"),
    code: codeFor(text(row, "OperationName"), text(row, "LoggedByService"), text(row, "Category")),
    result: text(row, "Result"),
    initiator,
    ip: text(row, "InitiatorIp") || memberText(initiatedBy, "user", "ipAddress"),
    targets,
    targetUpn: userTarget ? upn : (firstUpn ?? ""),
    initiatedByUser: initiatorUpn.toLowerCase() === upn.toLowerCase(),
    targetsUser: userTarget !== undefined,
  };
}

/**
 * Roles the user held at `atMs`. With today's roles: later additions undone, later removals restored. Without them
 * (not passed), only what the audit rows show: roles added before `atMs` and not removed since.
 */
function rolesAt(atMs: number, currentRoles: readonly string[] | undefined, roleChanges: ReadonlyArray<{ atMs: number; role: string; added: boolean }>): Set<string> {
  if (currentRoles === undefined) {
    const roles = new Set<string>();
    for (const c of roleChanges.filter((x) => x.atMs <= atMs).sort((a, b) => a.atMs - b.atMs)) {
      if (c.added) roles.add(c.role.toLowerCase());
      else roles.delete(c.role.toLowerCase());
    }
    return roles;
  }
  const roles = new Set(currentRoles.map((r) => r.toLowerCase()));
  const later = roleChanges.filter((c) => c.atMs > atMs).sort((a, b) => b.atMs - a.atMs);
  for (const c of later) {
    if (c.added) roles.delete(c.role.toLowerCase());
    else roles.add(c.role.toLowerCase());
  }
  return roles;
}

const evidenceColumns = ["Id", "CorrelationId", "OperationName", "Result", "ResultReason", "InitiatorUpn", "InitiatorIp", "InitiatorApp", "LoggedByService"] as const;

function opEvidence(op: Op): Row {
  const targets = op.targets.map((t) => (isRecord(t) ? pick(t, ["id", "displayName", "type", "userPrincipalName"]) : t));
  return { ActivityDateTime: op.at, ...pick(op.row, evidenceColumns), InitiatedBy: op.initiator, TargetResources: targets };
}

const activityWords: Record<SecurityInfoActivity, string> = {
  registered: "registered",
  updated: "updated",
  deleted: "deleted",
  "default-changed": "default changed",
  started: "registration started",
  completed: "registration completed",
  reviewed: "reviewed",
  canceled: "registration canceled",
  password: "password reset or change started",
};

export function analyzeAudit(input: AnalyzerInput): AnalysisResult {
  const w = parseWith("audit", withSchema, input.with);
  const upn = w.upn;
  const startMs = w.incidentStart === null ? undefined : ms(w.incidentStart);
  const seen = new Set<string>();
  const ops: Op[] = [];
  input.rows.forEach((row, i) => {
    const op = readOp(row, upn);
    if (!op || !(op.initiatedByUser || op.targetsUser)) return;
    const key = text(row, "Id") || `${text(row, "CorrelationId")}|${op.at}|${op.name}|${i}`;
    if (seen.has(key)) return;
    seen.add(key);
    ops.push(op);
  });
  ops.sort((a, b) => a.atMs - b.atMs);

  const roleChanges = ops
    .filter((o) => o.targetsUser && o.result.toLowerCase() !== "failure" && (o.code === "audit.role-member-added" || o.code === "audit.role-member-removed"))
    .map((o) => ({ atMs: o.atMs, role: roleName(o.targets), added: o.code === "audit.role-member-added" }))
    .filter((c) => c.role !== "");

  const findings: Finding[] = [];
  const operations: AuditOperation[] = [];
  const registrations: SecurityInfoRegistration[] = [];
  const deletions: SecurityInfoDeletion[] = [];
  const defaultChanges: DefaultMethodChange[] = [];
  const devices: DeviceRegistration[] = [];
  const unrecognised: Array<{ op: Op; message: string }> = [];
  for (const op of ops) {
    if (!op.code) continue;
    const after = startMs !== undefined && op.atMs >= startMs;
    let code = op.code;
    const data: Record<string, unknown> = { operationName: op.name, result: op.result, afterIncidentStart: after };
    let what = op.name;
    if (code === "audit.consent") {
      const appName = op.targets.map((t) => (isRecord(t) ? String(t["displayName"] ?? "") : "")).find((x) => x !== "") ?? "";
      const adminConsent = /^true$/i.test(modifiedProperty(op.targets, "ConsentContext.IsAdminConsent"));
      if (op.initiatedByUser) {
        const held = [...rolesAt(op.atMs, w.currentRoles, roleChanges)];
        const admin = held.some(isAdminRole) || adminConsent;
        code = admin ? "audit.consent-admin" : "audit.consent-non-admin";
        data["rolesAtTheTime"] = held;
      } else code = "audit.consent-admin";
      data["application"] = appName;
      data["isAdminConsent"] = adminConsent;
      what = `consent to application ${appName || "(unnamed)"}${code === "audit.consent-non-admin" ? " by a user without an admin role" : ""}`;
    } else if (code === "audit.role-member-added" || code === "audit.role-member-removed") {
      const role = roleName(op.targets);
      data["role"] = role;
      what = `${code === "audit.role-member-added" ? "added" : "removed"} ${op.targetUpn || "a member"} ${code === "audit.role-member-added" ? "to" : "from"} role ${role || "(unnamed)"}`;
    } else if (code.startsWith("audit.security-info-") && code !== "audit.security-info-unrecognised") {
      const activity = securityInfoActivityOf(op.name)!;
      const detail = text(op.row, "ResultReason");
      const event = readSecurityInfo(activity, op.name, detail, op.targets, op.row["AdditionalDetails"]);
      const method = event.method;
      const methodType: MethodType = method?.methodType ?? "unknown";
      const phoneType = method?.phoneType;
      Object.assign(data, { activity, methodType, detail }, phoneType ? { phoneType } : {}, method ? { method: method.label } : {});
      if (event.defaultMethodType !== undefined) data["defaultMethodType"] = event.defaultMethodType;
      what = `security info ${activityWords[activity]}: ${detail || op.name} (${methodType}${phoneType ? `, ${phoneType}` : ""})`;
      if (op.result.toLowerCase() !== "failure") {
        const base = { at: op.at, methodType, ...(phoneType ? { phoneType } : {}), detail, initiatedBy: op.initiator, ip: op.ip, afterIncidentStart: after };
        // An update (an admin changing a phone number) puts a method in the attacker's hands just as a registration does.
        if (activity === "registered" || activity === "updated") registrations.push(base);
        else if (activity === "deleted") deletions.push(base);
        else if (activity === "default-changed") defaultChanges.push({ at: op.at, defaultMethodType: event.defaultMethodType ?? null, methodType, ...(phoneType ? { phoneType } : {}), detail, initiatedBy: op.initiator, ip: op.ip, afterIncidentStart: after });
      }
      if (event.unrecognised !== undefined) unrecognised.push({ op, message: event.unrecognised });
    } else if (code === "audit.security-info-unrecognised") {
      const detail = text(op.row, "ResultReason");
      Object.assign(data, { detail });
      what = `an Authentication Methods activity azir does not recognise: "${op.name}"${detail ? ` (${detail})` : ""}; review it by hand`;
    } else if (code === "audit.device-registered") {
      const device = op.targets.find((t) => isRecord(t) && String(t["type"] ?? "").toLowerCase() === "device");
      const name = isRecord(device) ? String(device["displayName"] ?? "") : "";
      const deviceId = isRecord(device) ? String(device["id"] ?? "") : "";
      Object.assign(data, { device: name, deviceId });
      what = `${op.name}: ${name || deviceId || "(unnamed device)"}`;
      if (op.result.toLowerCase() !== "failure") devices.push({ at: op.at, operation: op.name, device: name, deviceId, initiatedBy: op.initiator, ip: op.ip, afterIncidentStart: after });
    } else if (code === "audit.app-updated" || code === "audit.sp-credentials-added" || code === "audit.ca-policy-updated") {
      const name = op.targets.map((t) => (isRecord(t) ? String(t["displayName"] ?? "") : "")).find((x) => x !== "") ?? "";
      data["target"] = name;
      what = `${op.name}: ${name || "(unnamed)"}`;
    } else if (code === "audit.user-updated") {
      const changed = op.targets.flatMap((t) => asArray(isRecord(t) ? t["modifiedProperties"] : undefined)).map((m) => (isRecord(m) ? String(m["displayName"] ?? "") : "")).filter((x) => x !== "");
      data["modifiedProperties"] = changed;
      what = `updated user ${op.targetUpn || ""}${changed.length ? ` (${changed.slice(0, 6).join(", ")})` : ""}`.trim();
    }
    const rule = severities[code] ?? { after: "medium", before: "info" };
    let severity: Severity = after ? rule.after : rule.before;
    // A failed operation changed nothing: record it, but never above low.
    if (op.result.toLowerCase() === "failure") severity = minSeverity(severity, "low");
    const main = code === "audit.role-member-added" || code === "audit.role-member-removed" ? roleTarget(op.targets, upn) : mainTarget(op.targets, upn);
    const roleTemplateId = modifiedProperty(op.targets, "Role.TemplateId");
    const keyIds = code === "audit.app-updated" || code === "audit.sp-credentials-added" ? addedKeyIds(op.targets) : [];
    const policy = code === "audit.ca-policy-updated" ? modifiedValues(op.targets, "ConditionalAccessPolicy") : undefined;
    operations.push({
      code,
      at: op.at,
      operationName: op.name,
      result: op.result,
      initiatedBy: op.initiator,
      ip: op.ip,
      target: op.targetUpn || String(data["target"] ?? data["application"] ?? ""),
      afterIncidentStart: after,
      id: text(op.row, "Id"),
      correlationId: text(op.row, "CorrelationId"),
      targetId: main.id,
      targetType: main.type,
      ...(roleTemplateId ? { roleTemplateId } : {}),
      ...(keyIds.length ? { keyIds } : {}),
      ...(policy ? { before: policy.before, after: policy.after } : {}),
    });
    findings.push({
      code,
      severity,
      occurredAt: op.at,
      summary: `${op.initiator || "unknown initiator"}${op.ip ? ` (${op.ip})` : ""}: ${what}${after ? ", after the incident start" : ""}`,
      evidence: [opEvidence(op)],
      subject: upn,
      data,
    });
  }

  // A message azir cannot read is said as such, beside the event's own finding: never a silent skip.
  for (const { op, message } of unrecognised) {
    findings.push({
      code: "audit.security-info-unrecognised",
      severity: "info",
      occurredAt: op.at,
      summary: `${op.initiator || "unknown initiator"}: azir does not recognise the security-info message "${message}" (${op.name}); review the user's methods by hand`,
      evidence: [opEvidence(op)],
      subject: upn,
      data: { operationName: op.name, message },
    });
  }
  findings.sort((a, b) => ms(a.occurredAt) - ms(b.occurredAt));

  return {
    findings,
    outputs: {
      securityInfoRegistrations: registrations,
      securityInfoDeletions: deletions,
      defaultMethodChanges: defaultChanges,
      deviceRegistrations: devices,
      operations,
      operationCount: ops.length,
    },
  };
}

export const auditAnalyzer: AnalyzerDefinition = {
  name: "audit",
  description:
    "Audit scoping: role changes, app and service-principal credentials, CA policy changes, consents, user updates, security-info registrations, deletions and default changes, device registrations",
  outputs: ["securityInfoRegistrations", "securityInfoDeletions", "defaultMethodChanges", "deviceRegistrations", "operations", "operationCount"],
  analyze: analyzeAudit,
};
