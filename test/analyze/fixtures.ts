import type { AnalyzerInput, Finding, Row } from "../../src/analyze/types.js";
import { severityRank } from "../../src/analyze/types.js";

let n = 0;

/** A sign-in row with the columns of kql/signins-for-user.kql; every call gets a fresh request id. */
export function signin(overrides: Row = {}): Row {
  n++;
  const at = (overrides["CreatedDateTime"] as string | undefined) ?? "2026-11-15T09:00:00Z";
  return {
    TimeGenerated: at,
    CreatedDateTime: at,
    Id: `req-${n}`,
    CorrelationId: `corr-${n}`,
    OriginalRequestId: `req-${n}`,
    UserPrincipalName: "alex@contoso.com",
    UserId: "11111111-1111-4111-8111-111111111111",
    IPAddress: "198.51.100.10",
    Location: "US",
    LocationDetails: { city: "Seattle", countryOrRegion: "US" },
    AppDisplayName: "Office 365 Exchange Online",
    ClientAppUsed: "Browser",
    ResultType: "0",
    ResultDescription: "",
    ConditionalAccessStatus: "success",
    DeviceDetail: { deviceId: "dev-1", displayName: "ALEX-LAPTOP", operatingSystem: "Windows10", isCompliant: true, isManaged: true, trustType: "Azure AD joined" },
    RiskLevelDuringSignIn: "none",
    RiskState: "none",
    RiskEventTypes_V2: "[]",
    AuthenticationProtocol: "none",
    AuthenticationRequirement: "multiFactorAuthentication",
    AutonomousSystemNumber: "8075",
    UserAgent: "Mozilla/5.0",
    IsInteractive: true,
    Table: "SigninLogs",
    ...overrides,
  };
}

export function input(rows: Row[], withValues: Record<string, unknown>, window = { start: "2026-10-28T00:00:00Z", end: "2026-11-25T00:00:00Z" }): AnalyzerInput {
  return { rows, with: withValues, window };
}

export function codes(findings: Finding[]): string[] {
  return findings.map((f) => f.code);
}

export function byCode(findings: Finding[], code: string): Finding[] {
  return findings.filter((f) => f.code === code);
}

export function highest(findings: Finding[]): string {
  return findings.reduce((acc, f) => (severityRank[f.severity] > severityRank[acc as keyof typeof severityRank] ? f.severity : acc), "info");
}
