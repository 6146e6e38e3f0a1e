/**
 * Mailbox persistence in OfficeActivity (DESIGN.md 4b item 3): inbox rules and mailbox settings that forward or
 * redirect mail, rules that delete or hide it, and mailbox permissions granted to others.
 */
import { z } from "zod";
import type { AnalysisResult, AnalyzerDefinition, AnalyzerInput, Finding, Row, Severity } from "./types.js";
import { distinct, isoOrNull, isRecord, ms, parseMaybeJson, parseWith, pick, text, timeOf } from "./rows.js";

const withSchema = z.object({
  upn: z.string().min(1),
  incidentStart: isoOrNull,
});

/** A rule or mailbox setting that sends the user's mail elsewhere. */
export interface ForwardingRule {
  at: string;
  operation: string;
  /** Inbox rule name, when the operation has one. */
  ruleName: string;
  /** Addresses (or recipient names) the mail goes to. */
  targets: string[];
  /** True when at least one target address is outside the user's domain. */
  external: boolean;
  deleteMessage: boolean;
  ip: string;
  afterIncidentStart: boolean;
}

const forwardingParameters = ["ForwardTo", "ForwardAsAttachmentTo", "RedirectTo", "ForwardingSmtpAddress", "ForwardingAddress"];
const ruleOperations = new Set(["new-inboxrule", "set-inboxrule", "enable-inboxrule", "updateinboxrules"]);
const permissionOperations = new Set(["add-mailboxpermission", "add-recipientpermission", "set-mailboxdelegate"]);

/** Parameters is JSON text holding [{Name, Value}]; returns a case-insensitive name -> value map. */
function parameters(row: Row): Map<string, string> {
  const out = new Map<string, string>();
  for (const column of ["Parameters", "OperationProperties"]) {
    const list = parseMaybeJson(row[column]);
    if (!Array.isArray(list)) continue;
    for (const p of list) {
      if (!isRecord(p)) continue;
      const name = String(p["Name"] ?? p["name"] ?? "").toLowerCase();
      const value = p["Value"] ?? p["value"];
      if (name !== "" && value !== undefined && value !== null) out.set(name, typeof value === "string" ? value : JSON.stringify(value));
    }
  }
  return out;
}

/** Addresses in a parameter value such as `SMTP:evil@example.net;"Bob" [SMTP:bob@contoso.com]`, or the raw names. */
function targetsOf(value: string): string[] {
  const emails = value.match(/[A-Za-z0-9._%+'\-#]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g);
  if (emails) return distinct(emails.map((e) => e.toLowerCase()));
  return distinct(value.split(/[;,]/).map((x) => x.trim().replace(/^smtp:/i, "")));
}

function isExternal(address: string, userDomain: string): boolean {
  const at = address.lastIndexOf("@");
  if (at < 0) return false; // a recipient name resolves inside the organisation
  const domain = address.slice(at + 1).toLowerCase();
  return domain !== userDomain && !domain.endsWith(`.${userDomain}`);
}

const evidenceColumns = ["OfficeId", "Operation", "UserId", "ClientIP", "ResultStatus", "OfficeObjectId", "MailboxOwnerUPN", "ClientInfoString"] as const;

export function analyzeOffice(input: AnalyzerInput): AnalysisResult {
  const w = parseWith("office", withSchema, input.with);
  const userDomain = w.upn.slice(w.upn.lastIndexOf("@") + 1).toLowerCase();
  const startMs = w.incidentStart === null ? undefined : ms(w.incidentStart);
  const findings: Finding[] = [];
  const forwardingRules: ForwardingRule[] = [];
  const mailboxPermissions: Row[] = [];
  const rows = input.rows
    .map((row) => ({ row, at: timeOf(row, "TimeGenerated", "CreationTime") }))
    .filter((r): r is { row: Row; at: string } => r.at !== undefined)
    .sort((a, b) => ms(a.at) - ms(b.at));
  const seen = new Set<string>();

  for (const { row, at } of rows) {
    const id = text(row, "OfficeId");
    if (id !== "") {
      if (seen.has(id)) continue;
      seen.add(id);
    }
    const operation = text(row, "Operation");
    const op = operation.toLowerCase();
    const params = parameters(row);
    const after = startMs !== undefined && ms(at) >= startMs;
    const ip = text(row, "ClientIP") || text(row, "Client_IPAddress") || text(row, "ActorIpAddress");
    const evidence = [{ TimeGenerated: at, ...pick(row, evidenceColumns), Parameters: Object.fromEntries(params) }];
    const who = w.upn;

    if (ruleOperations.has(op) || op === "set-mailbox") {
      const targets = distinct(forwardingParameters.flatMap((name) => targetsOf(params.get(name.toLowerCase()) ?? "")));
      const deleteMessage = /^true$/i.test(params.get("deletemessage") ?? "");
      const ruleName = params.get("name") ?? params.get("identity") ?? "";
      if (targets.length > 0) {
        const external = targets.some((t) => isExternal(t, userDomain));
        forwardingRules.push({ at, operation, ruleName, targets, external, deleteMessage, ip, afterIncidentStart: after });
        findings.push({
          code: "office.forwarding-rule",
          severity: external ? "high" : "medium",
          occurredAt: at,
          summary: `${who}: ${operation}${ruleName ? ` "${ruleName}"` : ""} forwards mail to ${targets.join(", ")}${external ? " (outside the organisation)" : ""}${deleteMessage ? " and deletes the original" : ""}${ip ? ` from ${ip}` : ""}`,
          evidence,
          subject: who,
          data: { operation, ruleName, targets, external, deleteMessage, afterIncidentStart: after },
        });
      } else if (ruleOperations.has(op) && (deleteMessage || /deleted items|rss/i.test(params.get("movetofolder") ?? ""))) {
        findings.push({
          code: "office.hiding-rule",
          severity: after ? "medium" : "low",
          occurredAt: at,
          summary: `${who}: ${operation}${ruleName ? ` "${ruleName}"` : ""} deletes or hides incoming mail${ip ? ` from ${ip}` : ""}`,
          evidence,
          subject: who,
          data: { operation, ruleName, deleteMessage, moveToFolder: params.get("movetofolder") ?? null, afterIncidentStart: after },
        });
      }
    } else if (permissionOperations.has(op)) {
      const grantee = params.get("user") ?? params.get("trustee") ?? params.get("delegate") ?? "";
      const rights = params.get("accessrights") ?? "";
      const severity: Severity = after ? "medium" : "low";
      mailboxPermissions.push({ at, operation, grantee, rights, ip, afterIncidentStart: after });
      findings.push({
        code: "office.mailbox-permission",
        severity,
        occurredAt: at,
        summary: `${who}: ${operation} grants ${rights || "access"} on ${params.get("identity") ?? "a mailbox"} to ${grantee || "someone"}${ip ? ` from ${ip}` : ""}`,
        evidence,
        subject: who,
        data: { operation, grantee, rights, afterIncidentStart: after },
      });
    }
  }
  return { findings, outputs: { forwardingRules, mailboxPermissions } };
}

export const officeAnalyzer: AnalyzerDefinition = {
  name: "office",
  description: "OfficeActivity: forwarding inbox rules and mailbox forwarding, mail-hiding rules, mailbox permissions",
  outputs: ["forwardingRules", "mailboxPermissions"],
  analyze: analyzeOffice,
};
