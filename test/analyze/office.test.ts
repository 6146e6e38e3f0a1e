import { describe, expect, it } from "vitest";
import { analyzeOffice, type ForwardingRule } from "../../src/analyze/office.js";
import type { Row } from "../../src/analyze/types.js";
import { codes, input } from "./fixtures.js";

const upn = "alex@contoso.com";
const incidentStart = "2026-11-18T08:00:00Z";
let n = 0;

function office(operation: string, params: Array<{ Name: string; Value: string }>, at = "2026-11-18T09:00:00Z"): Row {
  n++;
  return {
    TimeGenerated: at,
    Operation: operation,
    OfficeWorkload: "Exchange",
    RecordType: "ExchangeAdmin",
    UserId: upn,
    ClientIP: "203.0.113.66:51234",
    ResultStatus: "True",
    Parameters: JSON.stringify(params),
    OfficeObjectId: `obj-${n}`,
    OfficeId: `office-${n}`,
  };
}

describe("office analyzer", () => {
  it("flags an inbox rule forwarding outside the organisation as high, with the rule's name and targets", () => {
    const row = office("New-InboxRule", [
      { Name: "Name", Value: ".." },
      { Name: "ForwardTo", Value: "collect@evil-mail.example" },
      { Name: "DeleteMessage", Value: "True" },
      { Name: "SubjectContainsWords", Value: "invoice;payment" },
    ]);
    const result = analyzeOffice(input([row], { upn, incidentStart }));
    expect(result.findings).toMatchObject([{ code: "office.forwarding-rule", severity: "high", occurredAt: "2026-11-18T09:00:00.000Z", subject: upn }]);
    expect(result.findings[0]!.summary).toContain("collect@evil-mail.example");
    const rules = result.outputs["forwardingRules"] as ForwardingRule[];
    expect(rules).toMatchObject([{ operation: "New-InboxRule", ruleName: "..", targets: ["collect@evil-mail.example"], external: true, deleteMessage: true, afterIncidentStart: true }]);
  });

  it("reads redirects in Exchange's recipient format and rates internal forwarding medium", () => {
    const row = office("Set-InboxRule", [{ Name: "RedirectTo", Value: '"Bob Smith" [SMTP:bob@contoso.com]' }]);
    const result = analyzeOffice(input([row], { upn, incidentStart }));
    expect(result.findings).toMatchObject([{ code: "office.forwarding-rule", severity: "medium", data: { targets: ["bob@contoso.com"], external: false } }]);
  });

  it("flags mailbox forwarding by Set-Mailbox, but not a Set-Mailbox that clears it", () => {
    const on = office("Set-Mailbox", [
      { Name: "Identity", Value: upn },
      { Name: "ForwardingSmtpAddress", Value: "smtp:drop@evil-mail.example" },
      { Name: "DeliverToMailboxAndForward", Value: "True" },
    ]);
    const off = office("Set-Mailbox", [{ Name: "ForwardingSmtpAddress", Value: "" }]);
    const result = analyzeOffice(input([on, off], { upn, incidentStart }));
    expect(result.findings).toMatchObject([{ code: "office.forwarding-rule", severity: "high", data: { targets: ["drop@evil-mail.example"] } }]);
  });

  it("does not flag rules that only file mail, and notes rules that delete it", () => {
    const file = office("New-InboxRule", [{ Name: "MoveToFolder", Value: "Newsletters" }, { Name: "From", Value: "news@example.org" }]);
    const hide = office("New-InboxRule", [{ Name: "DeleteMessage", Value: "True" }, { Name: "From", Value: "it-security@contoso.com" }]);
    const result = analyzeOffice(input([file, hide], { upn, incidentStart }));
    expect(codes(result.findings)).toEqual(["office.hiding-rule"]);
    expect(result.findings[0]!.severity).toBe("medium");
    expect(result.outputs["forwardingRules"]).toEqual([]);
  });

  it("notes mailbox permissions granted, low before the incident start", () => {
    const row = office("Add-MailboxPermission", [{ Name: "Identity", Value: upn }, { Name: "User", Value: "eve@contoso.com" }, { Name: "AccessRights", Value: "FullAccess" }], "2026-11-01T09:00:00Z");
    const result = analyzeOffice(input([row], { upn, incidentStart }));
    expect(result.findings).toMatchObject([{ code: "office.mailbox-permission", severity: "low", data: { grantee: "eve@contoso.com", rights: "FullAccess" } }]);
  });

  it("refuses a missing upn", () => {
    expect(() => analyzeOffice(input([], { incidentStart }))).toThrow(/office/);
  });
});
