/**
 * The incident start and the baseline outside Contoso's shape (Entra ID P2, weeks of history): tenants without
 * Identity Protection (RiskLevelDuringSignIn "hidden" on every row, per the Azure Monitor SigninLogs reference), P2
 * tenants where detection saw nothing ("none"), a user abroad on their own compliant device, and a user with too
 * little history to tell a new network from their own.
 */
import { describe, expect, it } from "vitest";
import { analyzeSignins } from "../../src/analyze/signins.js";
import type { Row } from "../../src/analyze/types.js";
import { byCode, codes, highest, input, signin } from "./fixtures.js";

const upn = "alex@contoso.com";
const windowStart = "2026-11-11T00:00:00Z";

/** Three weeks of the user's own sign-ins from the office (ASN 8075, US) on their compliant laptop, before the window. */
function history(risk: string): Row[] {
  return ["2026-10-21", "2026-10-24", "2026-10-28", "2026-11-01", "2026-11-04", "2026-11-08"].map((d, i) =>
    signin({ CreatedDateTime: `${d}T08:00:00Z`, RiskLevelDuringSignIn: risk, ...(i % 2 ? { Table: "AADNonInteractiveUserSignInLogs", IsInteractive: false } : {}) }),
  );
}

/** The attacker's browser: no device id (not registered), not compliant, not managed. */
const attackerDevice = { deviceId: "", displayName: "", operatingSystem: "Linux", browser: "Firefox 128.0", isCompliant: false, isManaged: false, trustType: "" };
const attacker = { IPAddress: "45.137.20.14", AutonomousSystemNumber: "9009", Location: "NL", LocationDetails: { city: "Amsterdam", countryOrRegion: "NL" }, DeviceDetail: attackerDevice };

/** Password guessing then an MFA push the user approved: the shape of most account takeovers, with the tenant's risk value. */
function takeover(risk: string): Row[] {
  return [
    ...history(risk),
    signin({ CreatedDateTime: "2026-11-15T09:00:00Z", RiskLevelDuringSignIn: risk }),
    ...["21:00", "21:04", "21:09"].map((t) => signin({ ...attacker, CreatedDateTime: `2026-11-17T${t}:00Z`, ResultType: "50126", RiskLevelDuringSignIn: risk, AuthenticationRequirement: "singleFactorAuthentication" })),
    signin({ ...attacker, CreatedDateTime: "2026-11-18T07:55:00Z", ResultType: "500121", RiskLevelDuringSignIn: risk }),
    signin({ ...attacker, CreatedDateTime: "2026-11-18T08:00:00Z", RiskLevelDuringSignIn: risk, Id: "attacker-first" }),
    signin({ ...attacker, CreatedDateTime: "2026-11-18T09:30:00Z", RiskLevelDuringSignIn: risk, IPAddress: "45.137.20.88" }),
    signin({ CreatedDateTime: "2026-11-19T08:00:00Z", RiskLevelDuringSignIn: risk }),
  ];
}

describe("observation 1: the incident start without Identity Protection risk", () => {
  it.each([
    ["hidden", "a tenant without Entra ID P2"],
    ["none", "a P2 tenant where detection saw nothing"],
  ])("finds the takeover when RiskLevelDuringSignIn is %s on every row (%s)", (risk) => {
    const result = analyzeSignins(input(takeover(risk), { upn, windowStart }));
    expect(result.outputs["incidentStart"]).toBe("2026-11-18T08:00:00.000Z");
    expect(result.outputs["incidentStartRule"]).toBe("new-network-with-signals");
    const [start, ...more] = byCode(result.findings, "incident.start");
    expect(more).toHaveLength(0);
    expect(start!.evidence[0]).toMatchObject({ Id: "attacker-first" });
    expect(result.outputs["attackerIps"]).toEqual(["45.137.20.14", "45.137.20.88"]);
  });

  it("says when sign-in risk is hidden, so that no one reads 'no high-risk sign-in' as clean", () => {
    const result = analyzeSignins(input(takeover("hidden"), { upn, windowStart }));
    expect(result.outputs["signinRisk"]).toBe("hidden");
    expect(byCode(result.findings, "signin.risk-unavailable")).toMatchObject([{ severity: "info" }]);
    const p2 = analyzeSignins(input(takeover("none"), { upn, windowStart }));
    expect(p2.outputs["signinRisk"]).toBe("evaluated");
    expect(codes(p2.findings)).not.toContain("signin.risk-unavailable");
  });
});

describe("observation 2: a business trip is travel, not an incident start", () => {
  /** A new country and network, the user's own registered compliant laptop, MFA satisfied. */
  const trip = { IPAddress: "87.150.44.12", AutonomousSystemNumber: "3320", Location: "DE", LocationDetails: { city: "Frankfurt am Main", countryOrRegion: "DE" } };

  it.each(["hidden", "none", ""])("raises only low travel findings with RiskLevelDuringSignIn %j", (risk) => {
    const rows = [
      ...history(risk),
      signin({ ...trip, CreatedDateTime: "2026-11-20T07:00:00Z", RiskLevelDuringSignIn: risk }),
      signin({ ...trip, CreatedDateTime: "2026-11-20T09:00:00Z", RiskLevelDuringSignIn: risk, Table: "AADNonInteractiveUserSignInLogs", IsInteractive: false, ClientAppUsed: "Mobile Apps and Desktop clients" }),
    ];
    const result = analyzeSignins(input(rows, { upn, windowStart }));
    expect(result.outputs["incidentStart"]).toBeNull();
    expect(codes(result.findings)).not.toContain("incident.start");
    expect(byCode(result.findings, "signin.new-country-success")).toMatchObject([{ severity: "low", data: { country: "DE", travel: true } }]);
    expect(byCode(result.findings, "signin.new-asn-success")).toMatchObject([{ severity: "low", data: { asn: "3320", travel: true } }]);
    expect(highest(result.findings)).toBe("low");
  });
});

describe("observation 3: too little history for a baseline", () => {
  /** A user whose sign-ins start two days before the window (a new hire, or a workspace that only just started collecting). */
  const rows = (risk: string): Row[] => [
    signin({ CreatedDateTime: "2026-11-09T08:00:00Z", RiskLevelDuringSignIn: risk }),
    signin({ CreatedDateTime: "2026-11-12T08:00:00Z", RiskLevelDuringSignIn: risk, IPAddress: "192.0.2.50", AutonomousSystemNumber: "7922", Location: "US" }),
    signin({ CreatedDateTime: "2026-11-12T19:00:00Z", RiskLevelDuringSignIn: risk, IPAddress: "198.51.100.200", AutonomousSystemNumber: "21928", DeviceDetail: { deviceId: "", operatingSystem: "Ios 18.1", isCompliant: false, trustType: "" }, ClientAppUsed: "Mobile Apps and Desktop clients" }),
    signin({ CreatedDateTime: "2026-11-13T08:00:00Z", RiskLevelDuringSignIn: risk, IPAddress: "192.0.2.51", AutonomousSystemNumber: "7922" }),
  ];

  it.each(["hidden", "none"])("says there is no baseline and does not call the user's own first networks new (risk %s)", (risk) => {
    const result = analyzeSignins(input(rows(risk), { upn, windowStart, baseline: "30d" }));
    expect(result.outputs["baseline"]).toMatchObject({ days: 1, sufficient: false });
    expect(byCode(result.findings, "signin.no-baseline")).toMatchObject([{ severity: "info" }]);
    expect(codes(result.findings)).not.toContain("signin.new-asn-success");
    expect(codes(result.findings)).not.toContain("signin.new-country-success");
    expect(result.outputs["incidentStart"]).toBeNull();
    expect(result.outputs["newAsns"]).toEqual([]);
  });

  it("reports a sufficient baseline with its length", () => {
    const result = analyzeSignins(input(takeover("none"), { upn, windowStart, baseline: "30d" }));
    expect(result.outputs["baseline"]).toMatchObject({ days: 20, sufficient: true });
    expect(codes(result.findings)).not.toContain("signin.no-baseline");
  });

  it("still takes a high-risk success as the start without a baseline, but with less confidence", () => {
    const withRisk = [...rows("none"), signin({ ...attacker, CreatedDateTime: "2026-11-14T08:00:00Z", RiskLevelDuringSignIn: "high", Id: "risky" })];
    const result = analyzeSignins(input(withRisk, { upn, windowStart, baseline: "30d" }));
    expect(result.outputs["incidentStart"]).toBe("2026-11-14T08:00:00.000Z");
    expect(result.outputs["incidentStartRule"]).toBe("first-high-risk-success");
    expect(result.outputs["incidentStartConfidence"]).toBe("medium");
    expect(result.outputs["attackerIps"]).toEqual(["45.137.20.14"]);
  });
});

describe("observation 5: which rule chose the start, how sure it is, and on what evidence", () => {
  it("names the rule, the signals, the confidence and the evidence row ids", () => {
    const result = analyzeSignins(input(takeover("none"), { upn, windowStart }));
    expect(result.outputs["incidentStartRule"]).toBe("new-network-with-signals");
    expect(result.outputs["incidentStartConfidence"]).toBe("high");
    const signals = result.outputs["incidentStartSignals"] as string[];
    expect(signals).toEqual(expect.arrayContaining(["new-asn", "new-country", "unknown-device", "failure-burst"]));
    const evidenceIds = result.outputs["incidentStartEvidence"] as string[];
    expect(evidenceIds[0]).toBe("attacker-first");
    expect(evidenceIds.length).toBeGreaterThan(1);
    const [start] = byCode(result.findings, "incident.start");
    expect(start).toMatchObject({ severity: "high", data: { rule: "new-network-with-signals", confidence: "high" } });
  });

  it("takes a single corroborating signal with medium confidence: a new network with a legacy protocol", () => {
    const rows = [
      ...history("hidden"),
      signin({ CreatedDateTime: "2026-11-18T10:00:00Z", RiskLevelDuringSignIn: "hidden", IPAddress: "45.137.20.88", AutonomousSystemNumber: "9009", ClientAppUsed: "IMAP4", Id: "imap" }),
    ];
    const result = analyzeSignins(input(rows, { upn, windowStart }));
    expect(result.outputs["incidentStart"]).toBe("2026-11-18T10:00:00.000Z");
    expect(result.outputs["incidentStartConfidence"]).toBe("medium");
    expect(result.outputs["incidentStartSignals"]).toEqual(["new-asn", "legacy-protocol"]);
  });

  it("counts a security-info registration from the same IP right after a new-network sign-in", () => {
    const rows = [...history("hidden"), signin({ CreatedDateTime: "2026-11-18T10:00:00Z", RiskLevelDuringSignIn: "hidden", IPAddress: "45.137.20.88", AutonomousSystemNumber: "9009", Id: "own-device" })];
    const quiet = analyzeSignins(input(rows, { upn, windowStart }));
    // Alone, a new network from the user's own compliant device is travel.
    expect(quiet.outputs["incidentStart"]).toBeNull();
    const auditEvents = [{ at: "2026-11-18T10:12:00Z", code: "audit.security-info-registered", operationName: "User registered security info", initiatedBy: upn, ip: "45.137.20.88", id: "audit-7" }];
    const result = analyzeSignins(input(rows, { upn, windowStart, auditEvents }));
    expect(result.outputs["incidentStart"]).toBe("2026-11-18T10:00:00.000Z");
    expect(result.outputs["incidentStartSignals"]).toEqual(["new-asn", "audit-after"]);
    expect(result.outputs["incidentStartEvidence"]).toEqual(["own-device", "audit-7"]);
  });

  it("keeps the earliest qualifying sign-in, even when a high-risk one comes later", () => {
    const rows = [
      ...takeover("none"),
      signin({ ...attacker, CreatedDateTime: "2026-11-18T12:00:00Z", RiskLevelDuringSignIn: "high" }),
    ];
    const result = analyzeSignins(input(rows, { upn, windowStart }));
    expect(result.outputs["incidentStart"]).toBe("2026-11-18T08:00:00.000Z");
    expect(byCode(result.findings, "signin.high-risk-success")).toHaveLength(1);
  });
});

describe("a compliant, managed laptop enrolled inside the window is the organisation's device, not an unknown one", () => {
  /** The laptop the organisation enrolled for the user at the office before the trip: first seen in the window. */
  const enrolled = { deviceId: "dev-2", displayName: "ALEX-LT-0307", operatingSystem: "Windows11", isCompliant: true, isManaged: true, trustType: "Azure AD joined" };
  const trip = { IPAddress: "203.0.113.201", AutonomousSystemNumber: "64511", Location: "CA", LocationDetails: { city: "Toronto", countryOrRegion: "CA" } };
  const rows = (device: Row): Row[] => [
    ...history("hidden"),
    signin({ CreatedDateTime: "2026-11-12T09:00:00Z", RiskLevelDuringSignIn: "hidden", DeviceDetail: device }),
    signin({ ...trip, CreatedDateTime: "2026-11-20T07:00:00Z", RiskLevelDuringSignIn: "hidden", DeviceDetail: device }),
    signin({ ...trip, CreatedDateTime: "2026-11-20T09:00:00Z", RiskLevelDuringSignIn: "hidden", DeviceDetail: device, Table: "AADNonInteractiveUserSignInLogs", IsInteractive: false }),
  ];

  it.each([
    ["Azure AD joined", enrolled],
    ["Hybrid Azure AD joined", { ...enrolled, trustType: "Hybrid Azure AD joined" }],
  ])("a trip on it (%s) is travel: low findings, no incident start", (_trust, device) => {
    const result = analyzeSignins(input(rows(device), { upn, windowStart }));
    expect(result.outputs["incidentStart"]).toBeNull();
    expect(byCode(result.findings, "signin.new-asn-success")).toMatchObject([{ severity: "low", data: { asn: "64511", travel: true, signals: [] } }]);
    expect(byCode(result.findings, "signin.new-country-success")).toMatchObject([{ severity: "low", data: { country: "CA", travel: true } }]);
    expect(highest(result.findings)).toBe("low");
  });

  it.each([
    ["compliant but not managed", { ...enrolled, isManaged: false }],
    ["managed but not compliant", { ...enrolled, isCompliant: false }],
    ["registered, neither compliant nor managed", { ...enrolled, isCompliant: false, isManaged: false, trustType: "Azure AD registered" }],
    ["compliant and managed without a device id", { ...enrolled, deviceId: "" }],
  ])("a new device %s stays unknown and corroborates the new network", (_what, device) => {
    const result = analyzeSignins(input(rows(device), { upn, windowStart }));
    expect(result.outputs["incidentStartRule"]).toBe("new-network-with-signals");
    expect(result.outputs["incidentStartSignals"]).toEqual(expect.arrayContaining(["new-asn", "unknown-device"]));
  });

  it("the attacker's takeover is still found: their browser has no device id", () => {
    const result = analyzeSignins(input([...rows(enrolled), ...takeover("hidden").slice(history("hidden").length)], { upn, windowStart }));
    expect(result.outputs["incidentStart"]).toBe("2026-11-18T08:00:00.000Z");
    expect(result.outputs["incidentStartSignals"]).toEqual(expect.arrayContaining(["unknown-device"]));
  });
});

describe("the attacker's session after the start is flagged, not only its first sign-in", () => {
  /** Five days of history (no baseline), then device-code phishing rated high, then the attacker's own registered device from the same network. */
  const registered = { deviceId: "dev-attacker", displayName: "DESKTOP-7Q2M4KD", operatingSystem: "Windows10", isCompliant: false, isManaged: false, trustType: "Azure AD registered" };
  const network = { AutonomousSystemNumber: "64509", Location: "US", LocationDetails: { countryOrRegion: "US" } };
  const rows: Row[] = [
    signin({ CreatedDateTime: "2026-11-10T08:00:00Z" }),
    signin({ CreatedDateTime: "2026-11-12T08:00:00Z" }),
    signin({ ...network, CreatedDateTime: "2026-11-14T08:00:00Z", IPAddress: "203.0.113.88", RiskLevelDuringSignIn: "high", AuthenticationProtocol: "deviceCode", DeviceDetail: attackerDevice, Id: "phish" }),
    signin({ ...network, CreatedDateTime: "2026-11-14T08:10:00Z", IPAddress: "203.0.113.88", DeviceDetail: registered, Id: "s-88" }),
    signin({ CreatedDateTime: "2026-11-14T12:00:00Z", Id: "own" }),
    signin({ ...network, CreatedDateTime: "2026-11-14T13:00:00Z", IPAddress: "203.0.113.89", DeviceDetail: registered, Table: "AADNonInteractiveUserSignInLogs", IsInteractive: false, Id: "s-89" }),
    signin({ ...network, CreatedDateTime: "2026-11-15T02:00:00Z", IPAddress: "203.0.113.93", DeviceDetail: registered, Id: "s-93" }),
    signin({ ...network, CreatedDateTime: "2026-11-15T03:00:00Z", IPAddress: "203.0.113.93", ResultType: "50126", Id: "failed-93" }),
  ];
  const result = analyzeSignins(input(rows, { upn, windowStart: "2026-11-09T00:00:00Z", baseline: "30d" }));

  it("lists every success from the attacker's network at or after the start among the flagged sign-ins", () => {
    expect(result.outputs["incidentStartRule"]).toBe("first-high-risk-success");
    expect(result.outputs["attackerIps"]).toEqual(["203.0.113.88", "203.0.113.89", "203.0.113.93"]);
    const flagged = (result.outputs["flaggedSignins"] as Row[]).map((r) => r["Id"]);
    expect(flagged).toEqual(expect.arrayContaining(["phish", "s-88", "s-89", "s-93"]));
    // the user's own sign-ins and the failure are not the attacker's session
    expect(flagged).not.toContain("own");
    expect(flagged).not.toContain("failed-93");
  });

  it("the incident start names the session: its count, IPs and span in data, its sign-ins (with the device) as evidence after the start", () => {
    const [start, ...more] = byCode(result.findings, "incident.start");
    expect(more).toHaveLength(0);
    expect(start!.data).toMatchObject({ attackerSessions: { count: 3, ips: ["203.0.113.88", "203.0.113.89", "203.0.113.93"], first: "2026-11-14T08:10:00.000Z", last: "2026-11-15T02:00:00.000Z" } });
    expect(start!.evidence.map((r) => r["Id"])).toEqual(["phish", "s-88", "s-89", "s-93"]);
    expect(start!.evidence[3]!["DeviceDetail"]).toMatchObject({ deviceId: "dev-attacker", trustType: "Azure AD registered" });
    expect(start!.data!["evidenceIds"]).toEqual(["phish"]);
    expect(start!.summary).toContain("3 later successful sign-in(s) from the attacker's network");
  });

  it("keeps the finding's evidence within the limit however long the session", () => {
    const long = [...rows, ...Array.from({ length: 40 }, (_, i) => signin({ ...network, CreatedDateTime: `2026-11-16T${String(Math.floor(i / 2)).padStart(2, "0")}:${i % 2 ? "30" : "00"}:00Z`, IPAddress: "203.0.113.93", DeviceDetail: registered }))];
    const r = analyzeSignins(input(long, { upn, windowStart: "2026-11-09T00:00:00Z", baseline: "30d" }));
    const [start] = byCode(r.findings, "incident.start");
    expect(start!.evidence).toHaveLength(25);
    expect(start!.data).toMatchObject({ attackerSessions: { count: 43 } });
    expect((r.outputs["flaggedSignins"] as Row[]).filter((x) => x["IPAddress"] === "203.0.113.93")).toHaveLength(41);
  });
});
