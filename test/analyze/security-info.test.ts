/**
 * Security-info and device registrations in AuditLogs, classified from the structured fields (OperationName,
 * ResultReason, TargetResources[].modifiedProperties) against the activities Microsoft documents: the Entra audit
 * activity reference (Authentication Methods and Device Registration Service) and the combined-registration
 * troubleshooting table ("User registered <method>", "User changed the default security info for <method>").
 */
import { describe, expect, it } from "vitest";
import { analyzeAudit, classifySecurityInfo } from "../../src/analyze/audit.js";
import type { Row } from "../../src/analyze/types.js";
import { securityInfoRegistrationSchema } from "../../src/steps/auth-methods.js";
import { byCode, codes, input } from "./fixtures.js";

const upn = "alex@contoso.com";
const userId = "4f1c9a2e-8b3d-4c6e-9a1f-2d7e5b8c3a10";
const incidentStart = "2026-11-18T08:00:00.000Z";
let n = 0;

const byUser = (ip = "45.137.20.14", who = upn) => ({ user: { id: userId, displayName: null, userPrincipalName: who, ipAddress: ip, roles: [] } });
const userTarget = (modifiedProperties: unknown[] = []) => ({ id: userId, displayName: null, type: "User", userPrincipalName: upn, modifiedProperties, administrativeUnits: [] });

/** An AuditLogs row as the Authentication Methods service writes it. */
function authMethods(operation: string, reason: string, at: string, overrides: Row = {}): Row {
  n++;
  return {
    TimeGenerated: at,
    ActivityDateTime: at,
    OperationName: operation,
    Category: "UserManagement",
    AADOperationType: operation.includes("deleted") ? "Delete" : operation.includes("registered") ? "Add" : "Update",
    Result: "success",
    ResultReason: reason,
    InitiatedBy: byUser(),
    TargetResources: [userTarget()],
    AdditionalDetails: [{ key: "User-Agent", value: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0" }],
    LoggedByService: "Authentication Methods",
    CorrelationId: `corr-${n}`,
    Id: `UserManagement_${n}`,
    ...overrides,
  };
}

const analyze = (rows: Row[], start: string | null = incidentStart) => analyzeAudit(input(rows, { upn, incidentStart: start }));

describe("observation 4: security-info registrations by their documented messages", () => {
  it("reads a third-party OTP app (Authenticator App with Code) as software OATH, not Microsoft Authenticator", () => {
    expect(classifySecurityInfo("User registered Authenticator App with Code")).toEqual({ methodType: "softwareOath" });
    const result = analyze([authMethods("User registered security info", "User registered Authenticator App with Code", "2026-11-18T08:20:00Z")]);
    expect(result.outputs["securityInfoRegistrations"]).toEqual([
      { at: "2026-11-18T08:20:00.000Z", methodType: "softwareOath", detail: "User registered Authenticator App with Code", initiatedBy: upn, ip: "45.137.20.14", afterIncidentStart: true },
    ]);
    expect(byCode(result.findings, "audit.security-info-registered")).toMatchObject([{ severity: "high", data: { methodType: "softwareOath" } }]);
  });

  it.each([
    ["User registered Authenticator App with Notification and Code", "microsoftAuthenticator", undefined],
    ["User registered Authenticator app", "microsoftAuthenticator", undefined],
    ["User registered Authenticator App with Code", "softwareOath", undefined],
    ["User registered Software OATH token", "softwareOath", undefined],
    ["User registered Mobile Phone SMS", "phone", "mobile"],
    ["User registered Mobile Phone Call", "phone", "mobile"],
    ["User registered Mobile Phone Call and SMS", "phone", "mobile"],
    ["User registered Phone", "phone", "mobile"],
    ["User registered Alternate Mobile Phone Call", "phone", "alternateMobile"],
    ["User registered Alternate phone", "phone", "alternateMobile"],
    ["User registered Office Phone Call", "phone", "office"],
    ["User registered Office Phone", "phone", "office"],
    ["User registered Email", "email", undefined],
    ["User registered FIDO2 security key", "fido2", undefined],
    ["User registered Security key", "fido2", undefined],
    ["User registered Fido", "fido2", undefined],
    ["User registered Passkey (Microsoft Authenticator)", "fido2", undefined],
    ["User registered Windows Hello for Business", "windowsHelloForBusiness", undefined],
    ["Admin registered temporary access pass method for user", "temporaryAccessPass", undefined],
    ["Admin registered phone method for user", "phone", undefined],
    ["User registered hardware token", "unknown", undefined],
    ["User registered App password", "unknown", undefined],
    ["User registered Security questions", "unknown", undefined],
    ["User registered a carrier pigeon", "unknown", undefined],
  ])("%s -> %s", (reason, methodType, phoneType) => {
    expect(classifySecurityInfo(reason)).toEqual(phoneType ? { methodType, phoneType } : { methodType });
  });

  it("takes the phone type from StrongAuthenticationUserDetails when the message does not say which phone", () => {
    const row = authMethods("Admin registered security info", "Admin registered phone method for user", "2026-11-18T08:30:00Z", {
      TargetResources: [
        userTarget([
          {
            displayName: "StrongAuthenticationUserDetails",
            oldValue: JSON.stringify([{ PhoneNumber: "+1 425XXXX123", AlternativePhoneNumber: null }]),
            newValue: JSON.stringify([{ PhoneNumber: "+1 425XXXX123", AlternativePhoneNumber: "+31 6XXXXX378" }]),
          },
        ]),
      ],
    });
    expect(analyze([row]).outputs["securityInfoRegistrations"]).toMatchObject([{ methodType: "phone", phoneType: "alternateMobile" }]);
  });

  it("keeps the registrations' shape for the remove-methods step", () => {
    const rows = [
      authMethods("User registered security info", "User registered Authenticator App with Notification and Code", "2026-11-18T08:20:00Z"),
      authMethods("User registered security info", "User registered Alternate Mobile Phone Call", "2026-11-18T08:26:00Z"),
      authMethods("Admin registered security info", "Admin registered temporary access pass method for user", "2026-11-18T08:40:00Z"),
    ];
    const regs = analyze(rows).outputs["securityInfoRegistrations"] as unknown[];
    expect(regs).toHaveLength(3);
    for (const r of regs) expect(securityInfoRegistrationSchema.strict().parse(r)).toEqual(r);
  });

  it("reports deletions and default changes apart from registrations", () => {
    const rows = [
      authMethods("User deleted security info", "User deleted Mobile Phone Call and SMS", "2026-11-18T08:35:00Z"),
      authMethods("User changed default security info", "User changed the default security info for A code from my authenticator app or token", "2026-11-18T08:36:00Z"),
      authMethods("User changed default security info", "User changed the default security info for Authenticator app notification", "2026-11-10T08:36:00Z", { InitiatedBy: byUser("198.51.100.10") }),
    ];
    const result = analyze(rows);
    expect(result.outputs["securityInfoRegistrations"]).toEqual([]);
    expect(result.outputs["securityInfoDeletions"]).toMatchObject([{ at: "2026-11-18T08:35:00.000Z", methodType: "phone", phoneType: "mobile", afterIncidentStart: true }]);
    expect(result.outputs["defaultMethodChanges"]).toMatchObject([
      { at: "2026-11-10T08:36:00.000Z", defaultMethodType: "push", afterIncidentStart: false },
      { at: "2026-11-18T08:36:00.000Z", defaultMethodType: "oath", afterIncidentStart: true },
    ]);
    expect(result.findings.map((f) => [f.code, f.severity])).toEqual([
      ["audit.security-info-default-changed", "info"],
      ["audit.security-info-deleted", "high"],
      ["audit.security-info-default-changed", "high"],
    ]);
  });

  it("records the start and completion of a registration, and never skips a message it does not know", () => {
    const rows = [
      authMethods("User started security info registration", "User started the registration for Authenticator App with Code", "2026-11-18T08:18:00Z"),
      authMethods("User registered all required security info", "User registered all required security info.", "2026-11-18T08:21:00Z"),
      authMethods("User registered security info", "User registered a carrier pigeon", "2026-11-18T08:22:00Z"),
      authMethods("User frobnicated security info", "", "2026-11-18T08:23:00Z"),
    ];
    const result = analyze(rows);
    expect(byCode(result.findings, "audit.security-info-activity").map((f) => f.data?.["activity"])).toEqual(["started", "completed"]);
    const unknown = byCode(result.findings, "audit.security-info-unrecognised");
    expect(unknown).toHaveLength(2);
    expect(unknown.every((f) => f.severity === "info")).toBe(true);
    expect(unknown[0]!.summary).toContain("User registered a carrier pigeon");
    expect(unknown[1]!.summary).toContain("User frobnicated security info");
    // The unknown method was still registered: it is dated, and the remove-methods step says to review it by hand.
    expect(result.outputs["securityInfoRegistrations"]).toMatchObject([{ methodType: "unknown", detail: "User registered a carrier pigeon" }]);
  });

  it("lists the user's device registrations in the window", () => {
    const device = { id: "9a8b7c6d-0000-4000-8000-000000000001", displayName: "DESKTOP-ATTACKER", type: "Device", modifiedProperties: [], administrativeUnits: [] };
    const rows: Row[] = [
      { ...authMethods("Register device", "", "2026-11-18T09:00:00Z"), Category: "Device", LoggedByService: "Device Registration Service", TargetResources: [device] },
      {
        ...authMethods("Add registered owner to device", "", "2026-11-18T09:00:05Z"),
        Category: "Device",
        LoggedByService: "Core Directory",
        InitiatedBy: { app: { appId: "01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9", displayName: "Device Registration Service", servicePrincipalId: null, servicePrincipalName: null } },
        TargetResources: [device, userTarget()],
      },
      { ...authMethods("Add device", "", "2026-11-02T09:00:00Z"), Category: "Device", LoggedByService: "Core Directory", TargetResources: [{ ...device, displayName: "ALEX-LAPTOP" }] },
    ];
    const result = analyze(rows);
    expect(result.outputs["deviceRegistrations"]).toMatchObject([
      { at: "2026-11-02T09:00:00.000Z", operation: "Add device", device: "ALEX-LAPTOP", afterIncidentStart: false },
      { at: "2026-11-18T09:00:00.000Z", operation: "Register device", device: "DESKTOP-ATTACKER", deviceId: device.id, afterIncidentStart: true },
      { at: "2026-11-18T09:00:05.000Z", operation: "Add registered owner to device", device: "DESKTOP-ATTACKER", afterIncidentStart: true },
    ]);
    expect(byCode(result.findings, "audit.device-registered").map((f) => f.severity)).toEqual(["info", "high", "high"]);
    expect(codes(result.findings)).not.toContain("audit.security-info-unrecognised");
  });
});
