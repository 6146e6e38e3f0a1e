import { describe, expect, it } from "vitest";
import { analyzeAudit, classifySecurityInfo, type SecurityInfoRegistration } from "../../src/analyze/audit.js";
import type { Row } from "../../src/analyze/types.js";
import { byCode, codes, highest, input } from "./fixtures.js";

const upn = "alex@contoso.com";
const incidentStart = "2026-11-18T08:00:00.000Z";
let n = 0;

function byUser(initiator = upn, ip = "203.0.113.66") {
  return { user: { id: "u-1", userPrincipalName: initiator, ipAddress: ip, displayName: null } };
}

function audit(operation: string, at: string, overrides: Row = {}): Row {
  n++;
  return {
    TimeGenerated: at,
    ActivityDateTime: at,
    OperationName: operation,
    Category: "Other",
    Result: "success",
    ResultReason: "",
    InitiatedBy: byUser(),
    TargetResources: [{ id: "u-1", type: "User", userPrincipalName: upn, displayName: "Alex", modifiedProperties: [] }],
    AdditionalDetails: [],
    CorrelationId: `c-${n}`,
    Id: `a-${n}`,
    LoggedByService: "Core Directory",
    ...overrides,
  };
}

function roleChange(operation: string, at: string, role: string, member = upn): Row {
  return audit(operation, at, {
    InitiatedBy: byUser("admin@contoso.com", "198.51.100.5"),
    TargetResources: [
      { id: "r-1", type: "Role", displayName: role, modifiedProperties: [] },
      {
        id: "u-1",
        type: "User",
        userPrincipalName: member,
        modifiedProperties: [{ displayName: "Role.DisplayName", oldValue: null, newValue: JSON.stringify(role) }],
      },
    ],
  });
}

function consent(at: string, app = "Mail Sync Pro"): Row {
  return audit("Consent to application", at, {
    TargetResources: [
      {
        id: "sp-1",
        type: "ServicePrincipal",
        displayName: app,
        modifiedProperties: [{ displayName: "ConsentContext.IsAdminConsent", oldValue: null, newValue: '"False"' }],
      },
    ],
  });
}

describe("audit analyzer: consent by a non-admin", () => {
  it("treats a consent as non-admin when the admin role was granted only after it", () => {
    const rows = [consent("2026-11-18T09:00:00Z"), roleChange("Add member to role", "2026-11-18T10:00:00Z", "Global Administrator")];
    const result = analyzeAudit(input(rows, { upn, incidentStart, currentRoles: ["Global Administrator"] }));
    const [c] = byCode(result.findings, "audit.consent-non-admin");
    expect(c).toMatchObject({ severity: "high", occurredAt: "2026-11-18T09:00:00.000Z", data: { application: "Mail Sync Pro", rolesAtTheTime: [] } });
    expect(c!.summary).toContain("Mail Sync Pro");
    expect(byCode(result.findings, "audit.role-member-added")).toMatchObject([{ severity: "high", data: { role: "Global Administrator" } }]);
  });

  it("treats a consent as admin when the user held an admin role then, even if it was removed later", () => {
    const rows = [consent("2026-11-18T09:00:00Z"), roleChange("Remove member from role", "2026-11-19T10:00:00Z", "Application Administrator")];
    const result = analyzeAudit(input(rows, { upn, incidentStart, currentRoles: [] }));
    expect(codes(result.findings)).toContain("audit.consent-admin");
    expect(codes(result.findings)).not.toContain("audit.consent-non-admin");
  });

  it("treats a consent by a current admin as admin consent", () => {
    const result = analyzeAudit(input([consent("2026-11-18T09:00:00Z")], { upn, incidentStart, currentRoles: ["Cloud Application Administrator"] }));
    expect(codes(result.findings)).toEqual(["audit.consent-admin"]);
  });

  it("without currentRoles, counts only the admin roles the audit rows show were granted before the consent", () => {
    const granted = roleChange("Add member to role", "2026-11-18T08:30:00Z", "Application Administrator");
    expect(codes(analyzeAudit(input([granted, consent("2026-11-18T09:00:00Z")], { upn, incidentStart })).findings)).toContain("audit.consent-admin");
    const later = roleChange("Add member to role", "2026-11-18T09:30:00Z", "Application Administrator");
    expect(codes(analyzeAudit(input([later, consent("2026-11-18T09:00:00Z")], { upn, incidentStart })).findings)).toContain("audit.consent-non-admin");
  });

  it("does not count a reader role as admin", () => {
    const result = analyzeAudit(input([consent("2026-11-18T09:00:00Z")], { upn, incidentStart, currentRoles: ["Global Reader"] }));
    expect(codes(result.findings)).toEqual(["audit.consent-non-admin"]);
  });
});

describe("audit analyzer: severity by the incident window", () => {
  const ops: Array<[string, string, string]> = [
    ["Add member to role", "audit.role-member-added", "high"],
    ["Update application", "audit.app-updated", "medium"],
    ["Update application – Certificates and secrets management", "audit.app-updated", "medium"],
    ["Add service principal credentials", "audit.sp-credentials-added", "high"],
    ["Update conditional access policy", "audit.ca-policy-updated", "high"],
    ["Update user", "audit.user-updated", "medium"],
    ["User registered security info", "audit.security-info-registered", "high"],
    ["Admin registered security info", "audit.security-info-registered", "high"],
  ];

  it.each(ops)("%s is %s, %s in the attacker's window and at most low before it", (operation, code, after) => {
    // A registration names its method in ResultReason (one without is also reported as unrecognised: see security-info.test.ts).
    const reason = operation.endsWith("security info") ? { ResultReason: operation.startsWith("Admin") ? "Admin registered temporary access pass method for user" : "User registered Email" } : {};
    const before = audit(operation, "2026-11-10T09:00:00Z", reason);
    const during = audit(operation, "2026-11-18T08:00:00Z", reason);
    const result = analyzeAudit(input([before, during], { upn, incidentStart }));
    expect(result.findings.map((f) => [f.code, f.severity])).toEqual([
      [code, expect.stringMatching(/^(info|low)$/)],
      [code, after],
    ]);
    // Without an incident start nothing is in the attacker's window.
    const none = analyzeAudit(input([during], { upn, incidentStart: null }));
    expect(["info", "low"]).toContain(highest(none.findings));
  });

  it("keeps a failed operation at low at most", () => {
    const result = analyzeAudit(input([audit("Add member to role", "2026-11-18T09:00:00Z", { Result: "failure" })], { upn, incidentStart }));
    expect(result.findings).toMatchObject([{ code: "audit.role-member-added", severity: "low" }]);
  });

  it("ignores operations neither initiated by nor targeting the user, and unclassified ones", () => {
    const other = audit("Update user", "2026-11-18T09:00:00Z", {
      InitiatedBy: byUser("admin@contoso.com"),
      TargetResources: [{ type: "User", userPrincipalName: "malex@contoso.com" }],
    });
    const unclassified = audit("Update group", "2026-11-18T09:00:00Z");
    const result = analyzeAudit(input([other, unclassified], { upn, incidentStart }));
    expect(result.findings).toEqual([]);
    expect(result.outputs["operationCount"]).toBe(1);
    expect(result.outputs["operations"]).toEqual([]);
  });

  it("reads InitiatedBy and TargetResources that arrive as JSON text, and de-duplicates by Id", () => {
    const row = audit("Update user", "2026-11-18T09:00:00+01:00", {
      InitiatedBy: JSON.stringify(byUser()),
      TargetResources: JSON.stringify([{ type: "User", userPrincipalName: "Alex@Contoso.com", modifiedProperties: [{ displayName: "StrongAuthenticationMethod" }] }]),
    });
    const result = analyzeAudit(input([row, { ...row }], { upn, incidentStart }));
    expect(result.findings).toMatchObject([
      { code: "audit.user-updated", severity: "medium", occurredAt: "2026-11-18T08:00:00.000Z", data: { modifiedProperties: ["StrongAuthenticationMethod"] } },
    ]);
  });
});

describe("audit analyzer: security-info registrations", () => {
  it.each([
    ["User registered Authenticator App with Notification and Code", "microsoftAuthenticator", undefined],
    ["User registered Mobile Phone SMS", "phone", "mobile"],
    ["Admin registered Alternate Mobile Phone", "phone", "alternateMobile"],
    ["User registered Office Phone", "phone", "office"],
    ["User registered FIDO2 security key", "fido2", undefined],
    ["User registered Security key", "fido2", undefined],
    ["User registered Email", "email", undefined],
    ["User registered Software OATH token", "softwareOath", undefined],
    // No Graph v1.0 method type: never matched to a software OATH method automatically.
    ["User registered hardware token", "unknown", undefined],
    ["User registered Windows Hello for Business", "windowsHelloForBusiness", undefined],
    ["Admin registered Temporary Access Pass", "temporaryAccessPass", undefined],
    ["User registered something new", "unknown", undefined],
  ])("%s -> %s", (reason, methodType, phoneType) => {
    expect(classifySecurityInfo(reason)).toEqual(phoneType ? { methodType, phoneType } : { methodType });
  });

  it("dates each registration and marks those after the incident start", () => {
    const rows = [
      audit("User registered security info", "2026-11-02T09:00:00Z", { ResultReason: "User registered Mobile Phone SMS", InitiatedBy: byUser(upn, "198.51.100.10") }),
      audit("User registered security info", "2026-11-18T08:20:00Z", { ResultReason: "User registered Authenticator App with Notification and Code" }),
      audit("User registered security info", "2026-11-18T08:25:00Z", { ResultReason: "User registered Office Phone", Result: "failure" }),
    ];
    const result = analyzeAudit(input(rows, { upn, incidentStart }));
    const regs = result.outputs["securityInfoRegistrations"] as SecurityInfoRegistration[];
    expect(regs).toEqual([
      { at: "2026-11-02T09:00:00.000Z", methodType: "phone", phoneType: "mobile", detail: "User registered Mobile Phone SMS", initiatedBy: upn, ip: "198.51.100.10", afterIncidentStart: false },
      {
        at: "2026-11-18T08:20:00.000Z",
        methodType: "microsoftAuthenticator",
        detail: "User registered Authenticator App with Notification and Code",
        initiatedBy: upn,
        ip: "203.0.113.66",
        afterIncidentStart: true,
      },
    ]);
    expect(result.findings.map((f) => f.severity)).toEqual(["info", "high", "low"]);
  });
});
