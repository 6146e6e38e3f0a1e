import { describe, expect, it } from "vitest";
import { AzirError } from "../../src/core/errors.js";
import { analyzeSignins } from "../../src/analyze/signins.js";
import { byCode, codes, highest, input, signin } from "./fixtures.js";

const windowStart = "2026-11-11T00:00:00Z";
const withAlex = { upn: "alex@contoso.com", windowStart };

/** Two weeks of normal sign-ins from Microsoft's network in the US before the window. */
function baseline(upn = "alex@contoso.com") {
  return [
    signin({ UserPrincipalName: upn, CreatedDateTime: "2026-11-01T08:00:00Z" }),
    signin({ UserPrincipalName: upn, CreatedDateTime: "2026-11-04T08:00:00Z", Table: "AADNonInteractiveUserSignInLogs", IsInteractive: false }),
    signin({ UserPrincipalName: upn, CreatedDateTime: "2026-11-08T08:00:00Z", IPAddress: "198.51.100.11" }),
  ];
}

const attacker = { IPAddress: "203.0.113.66", AutonomousSystemNumber: "14061", Location: "NL", LocationDetails: { countryOrRegion: "NL" }, DeviceDetail: { operatingSystem: "Linux" } };

describe("signins analyzer: a compromised user", () => {
  const rows = [
    ...baseline(),
    signin({ CreatedDateTime: "2026-11-17T21:00:00Z", ResultType: "50053", IPAddress: "192.0.2.1", AutonomousSystemNumber: "9009" }),
    signin({ CreatedDateTime: "2026-11-17T21:05:00Z", ResultType: "50053", IPAddress: "192.0.2.2", AutonomousSystemNumber: "9009" }),
    signin({ CreatedDateTime: "2026-11-17T21:10:00Z", ResultType: "50053", IPAddress: "192.0.2.1", AutonomousSystemNumber: "9009" }),
    signin({ CreatedDateTime: "2026-11-18T07:55:00Z", ResultType: "50158", ...attacker }),
    signin({ CreatedDateTime: "2026-11-18T08:00:00Z", RiskLevelDuringSignIn: "high", Id: "attacker-first", ...attacker }),
    signin({ CreatedDateTime: "2026-11-18T08:30:00Z", RiskLevelDuringSignIn: "medium", ...attacker, IPAddress: "203.0.113.67" }),
    signin({ CreatedDateTime: "2026-11-18T09:00:00Z", AuthenticationProtocol: "deviceCode", ...attacker }),
    signin({ CreatedDateTime: "2026-11-18T10:00:00Z", ClientAppUsed: "IMAP4", IPAddress: "198.51.100.10" }),
    signin({ CreatedDateTime: "2026-11-18T11:00:00Z", ...attacker, DeviceDetail: JSON.stringify({ isCompliant: true, deviceId: "", trustType: "" }) }),
    signin({ CreatedDateTime: "2026-11-19T08:00:00Z" }),
  ];
  const result = analyzeSignins(input(rows, withAlex));

  it("flags lockouts once per user with count, IPs, first and last", () => {
    const [locked, ...more] = byCode(result.findings, "signin.locked");
    expect(more).toHaveLength(0);
    expect(locked).toMatchObject({ severity: "medium", occurredAt: "2026-11-17T21:00:00.000Z", subject: "alex@contoso.com" });
    expect(locked!.data).toMatchObject({ count: 3, ips: ["192.0.2.1", "192.0.2.2"], first: "2026-11-17T21:00:00.000Z", last: "2026-11-17T21:10:00.000Z" });
    expect(locked!.evidence).toHaveLength(3);
    expect(locked!.summary).toContain("alex@contoso.com");
  });

  it("flags the failed external challenge", () => {
    expect(byCode(result.findings, "signin.external-challenge-failed")).toMatchObject([{ severity: "medium", occurredAt: "2026-11-18T07:55:00.000Z" }]);
  });

  it("takes the first high-risk success as the incident start", () => {
    expect(result.outputs["incidentStart"]).toBe("2026-11-18T08:00:00.000Z");
    expect(result.outputs["incidentStartRule"]).toBe("first-high-risk-success");
    const [start] = byCode(result.findings, "incident.start");
    expect(start).toMatchObject({ severity: "high", occurredAt: "2026-11-18T08:00:00.000Z", data: { rule: "first-high-risk-success" } });
    expect(start!.evidence[0]).toMatchObject({ Id: "attacker-first", IPAddress: "203.0.113.66" });
    expect(byCode(result.findings, "signin.high-risk-success")).toHaveLength(1);
  });

  it("flags the new ASN and country once each, at first use, with the highest risk of their sign-ins", () => {
    const [asn, ...moreAsn] = byCode(result.findings, "signin.new-asn-success");
    expect(moreAsn).toHaveLength(0);
    expect(asn).toMatchObject({ severity: "high", occurredAt: "2026-11-18T08:00:00.000Z", data: { asn: "14061", count: 4 } });
    expect(asn!.summary).toMatch(/14061.*203\.0\.113\.66.*NL/);
    expect(byCode(result.findings, "signin.new-country-success")).toMatchObject([{ severity: "high", data: { country: "NL", count: 4 } }]);
    // The lockouts came from ASN 9009 but failed: failures never make a "new ASN success".
    expect(result.outputs["newAsns"]).toEqual(["14061"]);
    expect(result.outputs["knownAsns"]).toEqual(["8075"]);
  });

  it("triages conditional-access bypass signs", () => {
    expect(byCode(result.findings, "ca.device-code")).toMatchObject([{ severity: "high", occurredAt: "2026-11-18T09:00:00.000Z" }]);
    expect(byCode(result.findings, "ca.legacy-auth")).toMatchObject([{ severity: "medium", data: { clientApp: "IMAP4" } }]);
    const [mismatch] = byCode(result.findings, "ca.compliant-mismatch");
    expect(mismatch).toMatchObject({ severity: "high", occurredAt: "2026-11-18T11:00:00.000Z" });
    expect(mismatch!.evidence[0]!["DeviceDetail"]).toEqual({ isCompliant: true, deviceId: "", trustType: "" });
  });

  it("sets the outputs later steps use", () => {
    expect(result.outputs["attackerIps"]).toEqual(["203.0.113.66", "203.0.113.67"]);
    expect(result.outputs["lastSuccessAt"]).toBe("2026-11-19T08:00:00.000Z");
    expect(result.outputs["signinCount"]).toBe(10);
    const flagged = result.outputs["flaggedSignins"] as Array<Record<string, unknown>>;
    // Everything in the window except the last, ordinary sign-in.
    expect(flagged).toHaveLength(9);
    expect(flagged.map((r) => r["CreatedDateTime"])).toEqual([...flagged.map((r) => r["CreatedDateTime"])].sort());
  });

  it("orders findings by their own time", () => {
    const times = result.findings.map((f) => f.occurredAt);
    expect(times).toEqual([...times].sort());
  });
});

describe("signins analyzer: a benign trip abroad", () => {
  it("raises nothing above low for a new country and ASN with no risk, an own compliant device and MFA", () => {
    const upn = "sam@contoso.com";
    const trip = { UserPrincipalName: upn, IPAddress: "192.0.2.80", AutonomousSystemNumber: "3215", Location: "FR", LocationDetails: { countryOrRegion: "FR", city: "Paris" } };
    const rows = [
      ...baseline(upn),
      signin({ ...trip, CreatedDateTime: "2026-11-20T07:00:00Z" }),
      signin({ ...trip, CreatedDateTime: "2026-11-20T12:00:00Z", Table: "AADNonInteractiveUserSignInLogs", IsInteractive: false }),
      signin({ ...trip, CreatedDateTime: "2026-11-21T07:00:00Z", ClientAppUsed: "Mobile Apps and Desktop clients" }),
    ];
    const result = analyzeSignins(input(rows, { upn, windowStart }));
    expect(codes(result.findings).sort()).toEqual(["signin.new-asn-success", "signin.new-country-success"]);
    expect(highest(result.findings)).toBe("low");
    expect(result.outputs["incidentStart"]).toBeNull();
    expect(result.outputs["incidentStartRule"]).toBeNull();
    expect(result.outputs["attackerIps"]).toEqual([]);
  });

  it("rates a new-ASN success medium when the sign-in risk is medium", () => {
    const rows = [...baseline(), signin({ ...attacker, CreatedDateTime: "2026-11-20T07:00:00Z", RiskLevelDuringSignIn: "medium" })];
    const result = analyzeSignins(input(rows, withAlex));
    expect(byCode(result.findings, "signin.new-asn-success")).toMatchObject([{ severity: "medium" }]);
    // Medium risk and an unregistered device corroborate the new network: Identity Protection need not say "high".
    expect(result.outputs["incidentStartRule"]).toBe("new-network-with-signals");
    expect(result.outputs["incidentStartConfidence"]).toBe("high");
  });
});

describe("signins analyzer: incident start without risk data", () => {
  it("takes the first success from a new ASN that an unregistered device and a failed guess from that network corroborate", () => {
    const noRisk = { RiskLevelDuringSignIn: "", RiskState: "" };
    const rows = [
      ...baseline().map((r) => ({ ...r, ...noRisk })),
      signin({ ...noRisk, CreatedDateTime: "2026-11-18T06:00:00Z" }),
      signin({ ...noRisk, ...attacker, CreatedDateTime: "2026-11-18T08:00:00Z", ResultType: "50126" }),
      signin({ ...noRisk, ...attacker, CreatedDateTime: "2026-11-18T08:10:00Z" }),
      signin({ ...noRisk, ...attacker, CreatedDateTime: "2026-11-18T09:10:00Z", IPAddress: "203.0.113.99" }),
    ];
    const result = analyzeSignins(input(rows, withAlex));
    expect(result.outputs["incidentStart"]).toBe("2026-11-18T08:10:00.000Z");
    expect(result.outputs["incidentStartRule"]).toBe("new-network-with-signals");
    expect(byCode(result.findings, "incident.start")).toMatchObject([{ severity: "high", data: { rule: "new-network-with-signals", signals: ["new-asn", "new-country", "unknown-device", "failure-burst"] } }]);
    expect(result.outputs["attackerIps"]).toEqual(["203.0.113.66", "203.0.113.99"]);
  });

  it("does not let the attacker's failed baseline attempts make the attacker's ASN known", () => {
    const rows = [
      ...baseline(),
      signin({ ...attacker, CreatedDateTime: "2026-11-05T08:00:00Z", ResultType: "50126" }),
      signin({ ...attacker, CreatedDateTime: "2026-11-18T08:00:00Z" }),
    ];
    const result = analyzeSignins(input(rows, withAlex));
    expect(result.outputs["knownAsns"]).toEqual(["8075"]);
    expect(result.outputs["newAsns"]).toEqual(["14061"]);
  });
});

describe("signins analyzer: de-duplication and time", () => {
  it("counts a sign-in once when both tables (or a retry) return the same request id", () => {
    const a = signin({ ...attacker, CreatedDateTime: "2026-11-18T08:00:00Z", RiskLevelDuringSignIn: "high", Id: "same" });
    const b = { ...a, Table: "AADNonInteractiveUserSignInLogs", TimeGenerated: "2026-11-18T08:03:00Z" };
    const result = analyzeSignins(input([...baseline(), a, b], withAlex));
    expect(result.outputs["signinCount"]).toBe(1);
    expect(result.outputs["duplicateRows"]).toBe(1);
    expect(byCode(result.findings, "signin.high-risk-success")).toHaveLength(1);
    expect(byCode(result.findings, "signin.new-asn-success")[0]!.data).toMatchObject({ count: 1 });
  });

  it("falls back to CorrelationId and time when there is no request id", () => {
    const a = signin({ CreatedDateTime: "2026-11-18T08:00:00Z", Id: "", OriginalRequestId: "", CorrelationId: "c-1" });
    const b = { ...a };
    const c = { ...a, CreatedDateTime: "2026-11-18T08:05:00Z" };
    expect(analyzeSignins(input([a, b, c], withAlex)).outputs["signinCount"]).toBe(2);
  });

  it("orders by the sign-in's own time in UTC across offsets, not by ingestion time", () => {
    // 09:30+02:00 is 07:30Z: earlier than 08:00Z although ingested later and listed second.
    const rows = [
      ...baseline(),
      signin({ ...attacker, CreatedDateTime: "2026-11-18T08:00:00Z", TimeGenerated: "2026-11-18T08:01:00Z", RiskLevelDuringSignIn: "high", Id: "utc" }),
      signin({ ...attacker, CreatedDateTime: "2026-11-18T09:30:00+02:00", TimeGenerated: "2026-11-18T10:00:00Z", RiskLevelDuringSignIn: "high", Id: "offset" }),
    ];
    const result = analyzeSignins(input(rows, withAlex));
    expect(result.outputs["incidentStart"]).toBe("2026-11-18T07:30:00.000Z");
    expect(byCode(result.findings, "incident.start")[0]!.evidence[0]).toMatchObject({ Id: "offset", CreatedDateTime: "2026-11-18T07:30:00.000Z" });
    for (const f of result.findings) expect(f.occurredAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it("uses TimeGenerated when CreatedDateTime is absent", () => {
    const row = signin({ ...attacker, RiskLevelDuringSignIn: "high" });
    delete row["CreatedDateTime"];
    row["TimeGenerated"] = "2026-11-18T08:00:00Z";
    expect(analyzeSignins(input([row], withAlex)).outputs["incidentStart"]).toBe("2026-11-18T08:00:00.000Z");
  });
});

describe("signins analyzer: negative cases and inputs", () => {
  it("does not flag failures, known networks or modern clients", () => {
    const rows = [
      ...baseline(),
      signin({ ...attacker, CreatedDateTime: "2026-11-18T08:00:00Z", ResultType: "50126", RiskLevelDuringSignIn: "high" }),
      signin({ CreatedDateTime: "2026-11-18T09:00:00Z", ClientAppUsed: "IMAP4", ResultType: "50126" }),
      signin({ CreatedDateTime: "2026-11-18T10:00:00Z", ClientAppUsed: "Mobile Apps and Desktop clients" }),
      signin({ CreatedDateTime: "2026-11-18T11:00:00Z", DeviceDetail: { isCompliant: false, deviceId: "" } }),
    ];
    const result = analyzeSignins(input(rows, withAlex));
    expect(result.findings).toEqual([]);
    expect(result.outputs["incidentStart"]).toBeNull();
  });

  it("rates a device-code success from a known ASN medium", () => {
    const rows = [...baseline(), signin({ CreatedDateTime: "2026-11-18T09:00:00Z", AuthenticationProtocol: "deviceCode" })];
    expect(byCode(analyzeSignins(input(rows, withAlex)).findings, "ca.device-code")).toMatchObject([{ severity: "medium" }]);
  });

  it("accepts lookback instead of windowStart, and refuses neither", () => {
    const rows = [...baseline(), signin({ ...attacker, CreatedDateTime: "2026-11-18T08:00:00Z" })];
    const result = analyzeSignins(input(rows, { upn: "alex@contoso.com", lookback: "14d" }));
    expect(result.outputs["windowStart"]).toBe("2026-11-11T00:00:00.000Z");
    expect(result.outputs["newAsns"]).toEqual(["14061"]);
    expect(() => analyzeSignins(input(rows, { upn: "alex@contoso.com" }))).toThrow(AzirError);
    expect(() => analyzeSignins(input(rows, { windowStart: "yesterday" }))).toThrow(/invalid with/);
  });
});

describe("signins analyzer: how much of the window the data holds", () => {
  it("names the window's start as read only when the history reaches before it", () => {
    const quiet = [signin({ CreatedDateTime: "2026-11-18T08:00:00Z" })];
    expect(analyzeSignins(input([...baseline(), ...quiet], withAlex)).outputs.windowReadFrom).toBe("2026-11-11T00:00:00.000Z");
    // five days of history, all inside the window: nothing says the first days of the window were ever in the workspace
    expect(analyzeSignins(input(quiet, withAlex)).outputs.windowReadFrom).toBeNull();
  });
});
