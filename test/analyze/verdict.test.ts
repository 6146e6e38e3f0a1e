import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/analyze/types.js";
import { investigationVerdict, stillOpen } from "../../src/analyze/verdict.js";

const finding = (code: string, severity: Finding["severity"], occurredAt = "2026-11-22T07:00:00.000Z"): Finding => ({ code, severity, occurredAt, summary: code, evidence: [] });
const base = { lookback: "14d", readUntil: "2026-11-25T12:00:00.000Z" };

describe("the verdict line", () => {
  it("names the incident start and counts the high findings", () => {
    const v = investigationVerdict({ ...base, findings: [finding("a", "high"), finding("b", "critical"), finding("c", "low")], incidentStart: "2026-11-22T06:00:00.000Z", unread: [] });
    expect(v).toEqual({ kind: "compromised", line: "compromised since 2026-11-22T06:00Z: 2 high or critical finding(s)" });
  });

  it("never says 'no evidence' about data that was not read", () => {
    const v = investigationVerdict({ ...base, findings: [], unread: ["signins", "audit (PartialError)"] });
    expect(v.kind).toBe("incomplete");
    expect(v.line).toBe("INCOMPLETE: compromise cannot be ruled out; not read: signins, audit (PartialError)");
    expect(investigationVerdict({ ...base, findings: [finding("x", "high")], unread: ["audit"] }).line).toContain("data incomplete: audit");
  });

  it("says no evidence, with the lookback and how far the data was read, only on complete data", () => {
    expect(investigationVerdict({ ...base, findings: [finding("a", "low")], unread: [] }).line).toBe("no evidence of compromise in 14d (data complete, read up to 2026-11-25T12:00Z)");
  });
});

describe("what containment leaves open", () => {
  it("lists persistence (medium and above) oldest first, each with its next step; sign-in findings are not listed", () => {
    const open = stillOpen([
      finding("audit.role-member-added", "high", "2026-11-22T09:00:00.000Z"),
      finding("signin.new-asn-success", "high"),
      finding("office.forwarding-rule", "high", "2026-11-22T08:00:00.000Z"),
      finding("audit.app-updated", "info"),
    ]);
    expect(open.map((o) => o.code)).toEqual(["office.forwarding-rule", "audit.role-member-added"]);
    expect(open[0]!.next).toContain("azir harden prints the exact Remove-InboxRule or Set-Mailbox command");
    expect(open[1]!.next).toContain("azir harden flags and removes the role assignment");
  });

  it("lists every persistence finding of the lookback when the incident start is not known", () => {
    const routineLooking = [finding("audit.role-member-added", "low"), finding("audit.sp-credentials-added", "info", "2026-11-22T08:00:00.000Z")];
    expect(stillOpen(routineLooking)).toEqual([]);
    expect(stillOpen(routineLooking, false).map((o) => o.code)).toEqual(["audit.role-member-added", "audit.sp-credentials-added"]);
  });
});
