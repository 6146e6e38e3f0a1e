/**
 * Sign-in rows from SigninLogs and AADNonInteractiveUserSignInLogs, normalised: the sign-in's own time in UTC,
 * one row per request id, ordered by time.
 */
import type { Row } from "./types.js";
import { dynamic, member, memberText, ms, pick, text, timeOf } from "./rows.js";

/** One sign-in, read from a row. */
export interface SignIn {
  row: Row;
  /** Own time of the sign-in (CreatedDateTime, else TimeGenerated), ISO UTC. */
  at: string;
  atMs: number;
  /** De-duplication key: Id, else OriginalRequestId, else CorrelationId + time. */
  key: string;
  /** The row's identity for evidence: Id, else OriginalRequestId, else CorrelationId ("" when none). */
  requestId: string;
  upn: string;
  ip: string;
  asn: string;
  country: string;
  app: string;
  clientApp: string;
  resultType: string;
  success: boolean;
  /** RiskLevelDuringSignIn in lower case ("" when absent). */
  risk: string;
  protocol: string;
  /** AuthenticationRequirement as logged: multiFactorAuthentication or singleFactorAuthentication ("" when absent). */
  authRequirement: string;
  /** DeviceDetail: isManaged is true when a device-management service (Intune) manages the device. */
  device: { deviceId: string; trustType: string; isCompliant: boolean; isManaged: boolean };
}

function bool(v: unknown): boolean {
  return v === true || (typeof v === "string" && v.toLowerCase() === "true");
}

export function readSignIn(row: Row, index: number): SignIn | undefined {
  const at = timeOf(row, "CreatedDateTime", "TimeGenerated");
  if (at === undefined) return undefined;
  const id = text(row, "Id") || text(row, "OriginalRequestId");
  const correlation = text(row, "CorrelationId");
  const key = id !== "" ? `id:${id}` : correlation !== "" ? `corr:${correlation}|${at}` : `row:${index}`;
  const device = dynamic(row, "DeviceDetail");
  const resultType = text(row, "ResultType").trim();
  return {
    row,
    at,
    atMs: ms(at),
    key,
    requestId: id || correlation,
    upn: text(row, "UserPrincipalName"),
    ip: text(row, "IPAddress"),
    asn: text(row, "AutonomousSystemNumber").trim(),
    country: text(row, "Location").trim() || memberText(row["LocationDetails"], "countryOrRegion"),
    app: text(row, "AppDisplayName"),
    clientApp: text(row, "ClientAppUsed"),
    resultType,
    success: resultType === "0",
    risk: text(row, "RiskLevelDuringSignIn").trim().toLowerCase(),
    protocol: text(row, "AuthenticationProtocol"),
    authRequirement: text(row, "AuthenticationRequirement").trim(),
    device: {
      deviceId: memberText(device, "deviceId").trim(),
      trustType: memberText(device, "trustType").trim(),
      isCompliant: bool(member(device, "isCompliant")),
      isManaged: bool(member(device, "isManaged")),
    },
  };
}

/** Reads, de-duplicates by request id (first row kept) and orders by the sign-in's own time. Rows without any time are dropped. */
export function normaliseSignIns(rows: readonly Row[]): { signIns: SignIn[]; dropped: number; duplicates: number } {
  const byKey = new Map<string, SignIn>();
  let dropped = 0;
  let duplicates = 0;
  rows.forEach((row, i) => {
    const s = readSignIn(row, i);
    if (!s) {
      dropped++;
      return;
    }
    if (byKey.has(s.key)) duplicates++;
    else byKey.set(s.key, s);
  });
  const signIns = [...byKey.values()].sort((a, b) => a.atMs - b.atMs);
  return { signIns, dropped, duplicates };
}

const evidenceColumns = [
  "Id",
  "CorrelationId",
  "Table",
  "UserPrincipalName",
  "IPAddress",
  "Location",
  "AutonomousSystemNumber",
  "AppDisplayName",
  "ClientAppUsed",
  "ResultType",
  "RiskLevelDuringSignIn",
  "AuthenticationProtocol",
  "ConditionalAccessStatus",
] as const;

/** The identifying columns of a sign-in, with its own time as `CreatedDateTime` in UTC. */
export function signInEvidence(s: SignIn, withDevice = false): Row {
  const out: Row = { CreatedDateTime: s.at, ...pick(s.row, evidenceColumns) };
  if (withDevice) out["DeviceDetail"] = dynamic(s.row, "DeviceDetail") ?? null;
  return out;
}
