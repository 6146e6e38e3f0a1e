import { describe, expect, it } from "vitest";
import {
  classifyAuthMethods,
  deletionPhase,
  orderForDeletion,
  type AuthMethod,
  type SecurityInfoRegistration,
} from "../../src/steps/auth-methods.js";
import { phoneMethodIds } from "../../src/entra/facts.js";

const start = "2026-11-20T08:00:00Z";

const password: AuthMethod = { "@odata.type": "#microsoft.graph.passwordAuthenticationMethod", id: "28c10230-6103-485e-b985-444c60001490", createdDateTime: "2024-01-01T00:00:00Z" };
const ownAuthenticator: AuthMethod = {
  "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
  id: "aaaaaaaa-0000-4000-8000-000000000001",
  displayName: "Alex's iPhone",
  createdDateTime: "2025-03-01T10:00:00Z",
};
const attackerAuthenticator: AuthMethod = {
  "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
  id: "aaaaaaaa-0000-4000-8000-000000000002",
  displayName: "SM-G991B",
  createdDateTime: "2026-11-20T08:14:00Z",
};
const mobile: AuthMethod = { "@odata.type": "#microsoft.graph.phoneAuthenticationMethod", id: phoneMethodIds.mobile, phoneType: "mobile", phoneNumber: "+1 4255550100" };
const alternate: AuthMethod = {
  "@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
  id: phoneMethodIds.alternateMobile,
  phoneType: "alternateMobile",
  phoneNumber: "+44 7700900123",
};
const email: AuthMethod = { "@odata.type": "#microsoft.graph.emailAuthenticationMethod", id: "3ddfcfc8-9383-446f-83cc-3ab9be4be18f", emailAddress: "x@evil.example" };

function registration(overrides: Partial<SecurityInfoRegistration>): SecurityInfoRegistration {
  return {
    at: "2026-11-20T08:20:00Z",
    methodType: "phone",
    detail: "User registered security info",
    initiatedBy: "alex@contoso.com",
    ip: "203.0.113.7",
    afterIncidentStart: true,
    ...overrides,
  };
}

const ids = (list: Array<{ id: string }>): string[] => list.map((m) => m.id);

describe("classifyAuthMethods", () => {
  it("removes a method created at or after the incident start and keeps the user's own", () => {
    const atStart = { ...attackerAuthenticator, id: "aaaaaaaa-0000-4000-8000-000000000003", createdDateTime: start };
    const c = classifyAuthMethods({ methods: [password, ownAuthenticator, attackerAuthenticator, atStart], incidentStart: start, registrations: [] });
    expect(ids(c.remove)).toEqual([attackerAuthenticator.id, atStart.id]);
    expect(c.remove[0]!.reason).toContain("created at 2026-11-20T08:14:00Z");
    expect(c.remove[0]!.collection).toBe("microsoftAuthenticatorMethods");
    expect(c.remove[0]!.label).toBe("Microsoft Authenticator (SM-G991B)");
    const own = c.keep.find((m) => m.id === ownAuthenticator.id)!;
    expect(own.reason).toContain("before the incident start");
  });

  it("never removes the password, whatever the evidence", () => {
    const newPassword = { ...password, createdDateTime: "2026-11-21T00:00:00Z" };
    const c = classifyAuthMethods({ methods: [newPassword, attackerAuthenticator], incidentStart: start, registrations: [], baseline: { methodIds: [] } });
    expect(ids(c.remove)).toEqual([attackerAuthenticator.id]);
    expect(c.keep.map((m) => [m.kind, m.reason])).toEqual([["password", "the password method is never removed (reset it separately)"]]);
    expect(c.notes).toContain("left the password method alone");
  });

  it("removes a phone when an audit registration of the same phone type is after the incident start", () => {
    const c = classifyAuthMethods({
      methods: [password, mobile, alternate],
      incidentStart: start,
      registrations: [registration({ phoneType: "alternateMobile" })],
    });
    expect(ids(c.remove)).toEqual([alternate.id]);
    expect(c.remove[0]!.reason).toContain("phone (alternateMobile) registered at 2026-11-20T08:20:00Z by alex@contoso.com from 203.0.113.7");
    expect(ids(c.keep)).toEqual([password.id, mobile.id]);
    expect(c.undecided).toEqual([]);
  });

  it("ignores registrations from before the incident start, trusting the times over the flag", () => {
    const c = classifyAuthMethods({
      methods: [mobile, email],
      incidentStart: start,
      registrations: [
        registration({ phoneType: "mobile", at: "2026-11-19T23:59:59Z", afterIncidentStart: true }),
        registration({ methodType: "email", at: "2026-11-01T00:00:00Z", afterIncidentStart: false }),
      ],
    });
    expect(c.remove).toEqual([]);
    expect(c.keep.find((m) => m.id === mobile.id)!.reason).toContain("no creation time and no security-info registration in AuditLogs since the incident start");
  });

  it("removes the email method on a later email registration (one email method at most)", () => {
    const c = classifyAuthMethods({ methods: [email, mobile], incidentStart: start, registrations: [registration({ methodType: "email" })] });
    expect(ids(c.remove)).toEqual([email.id]);
    expect(c.remove[0]!.collection).toBe("emailMethods");
  });

  it("leaves two phones undecided when the registration does not say which phone: a person decides", () => {
    const c = classifyAuthMethods({ methods: [mobile, alternate], incidentStart: start, registrations: [registration({})] });
    expect(c.remove).toEqual([]);
    expect(c.keep).toEqual([]);
    expect(ids(c.undecided)).toEqual([mobile.id, alternate.id]);
    expect(c.undecided.every((m) => m.reason.includes("does not say which of the user's phones"))).toBe(true);
  });

  it("removes the only phone on a registration without phone type", () => {
    const c = classifyAuthMethods({ methods: [password, mobile], incidentStart: start, registrations: [registration({})] });
    expect(ids(c.remove)).toEqual([mobile.id]);
    expect(c.remove[0]!.reason).toContain("only phone");
  });

  it("does not match a phone of another type", () => {
    const c = classifyAuthMethods({ methods: [mobile], incidentStart: start, registrations: [registration({ phoneType: "office" })] });
    expect(c.remove).toEqual([]);
  });

  it("derives the phone type from the fixed id when the item lacks phoneType", () => {
    const bare: AuthMethod = { "@odata.type": "#microsoft.graph.phoneAuthenticationMethod", id: phoneMethodIds.alternateMobile };
    const c = classifyAuthMethods({ methods: [mobile, bare], incidentStart: start, registrations: [registration({ phoneType: "alternateMobile" })] });
    expect(ids(c.remove)).toEqual([bare.id]);
    expect(c.remove[0]!.phoneType).toBe("alternateMobile");
  });

  it("leaves two undated OATH tokens alone on one OATH registration", () => {
    const oath = (n: number): AuthMethod => ({ "@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod", id: `bbbbbbbb-0000-4000-8000-00000000000${n}` });
    const c = classifyAuthMethods({ methods: [oath(1), oath(2)], incidentStart: start, registrations: [registration({ methodType: "softwareOath" })] });
    expect(c.remove).toEqual([]);
    expect(c.undecided).toHaveLength(2);
    const single = classifyAuthMethods({ methods: [oath(1)], incidentStart: start, registrations: [registration({ methodType: "softwareOath" })] });
    expect(ids(single.remove)).toEqual([oath(1).id]);
  });

  it("removes what is missing from the baseline, even without an incident start", () => {
    const fido: AuthMethod = { "@odata.type": "#microsoft.graph.fido2AuthenticationMethod", id: "-2_GRUg2-HYz6_1YG4YRAQ2", displayName: "YubiKey 5", createdDateTime: null };
    const c = classifyAuthMethods({
      methods: [password, ownAuthenticator, fido, mobile],
      incidentStart: null,
      registrations: [registration({ phoneType: "mobile" })],
      baseline: { methodIds: [password.id, ownAuthenticator.id, mobile.id.toUpperCase()] },
    });
    expect(ids(c.remove)).toEqual([fido.id]);
    expect(c.remove[0]!.reason).toBe("not in the user's recorded baseline");
    expect(c.keep.find((m) => m.id === mobile.id)!.reason).toBe("in the user's recorded baseline");
  });

  it("combines the rules: in the baseline but created after the start is still removed", () => {
    const c = classifyAuthMethods({
      methods: [attackerAuthenticator, ownAuthenticator],
      incidentStart: start,
      registrations: [],
      baseline: { methodIds: [attackerAuthenticator.id, ownAuthenticator.id] },
    });
    expect(ids(c.remove)).toEqual([attackerAuthenticator.id]);
  });

  it("removes nothing without an incident start and without a baseline: every method needs a decision", () => {
    const c = classifyAuthMethods({ methods: [password, attackerAuthenticator, mobile], incidentStart: null, registrations: [registration({ phoneType: "mobile" })] });
    expect(c.remove).toEqual([]);
    expect(ids(c.keep)).toEqual([password.id]);
    expect(ids(c.undecided)).toEqual([attackerAuthenticator.id, mobile.id]);
    expect(c.undecided[0]!.reason).toBe("no incident start and no baseline to tell it apart from the user's own");
  });

  it("without an incident start, keeps a method created before the scoped window; one created inside it still needs a decision", () => {
    const windowStart = "2026-11-10T00:00:00Z";
    const c = classifyAuthMethods({ methods: [password, ownAuthenticator, attackerAuthenticator, mobile], incidentStart: null, registrations: [], windowStart });
    expect(c.remove).toEqual([]);
    expect(ids(c.keep)).toEqual([password.id, ownAuthenticator.id]);
    expect(c.keep[1]!.reason).toBe("created at 2025-03-01T10:00:00Z, before the scoped window (since 2026-11-10T00:00:00Z), in which no incident start was found");
    // created inside the window, or with no creation time: azir cannot tell
    expect(ids(c.undecided)).toEqual([attackerAuthenticator.id, mobile.id]);
    // on incomplete data the window may hide the incident start: nothing is kept on its strength
    const partial = classifyAuthMethods({ methods: [ownAuthenticator], incidentStart: null, registrations: [], windowStart, incomplete: ["signins did not complete"] });
    expect(ids(partial.undecided)).toEqual([ownAuthenticator.id]);
  });

  it("keeps no method on the strength of incomplete data: what it would keep needs a decision", () => {
    const c = classifyAuthMethods({
      methods: [password, attackerAuthenticator, ownAuthenticator, mobile],
      incidentStart: start,
      registrations: [],
      incomplete: ["signins returned incomplete data (PartialError)"],
    });
    expect(ids(c.remove)).toEqual([attackerAuthenticator.id]);
    expect(ids(c.undecided)).toEqual([ownAuthenticator.id, mobile.id]);
    expect(c.undecided[0]!.reason).toContain("but signins returned incomplete data (PartialError)");
    // a recorded baseline is authoritative: the user's own methods in it are kept whatever the logs say
    const withBaseline = classifyAuthMethods({
      methods: [ownAuthenticator, mobile],
      incidentStart: null,
      registrations: [],
      baseline: { methodIds: [ownAuthenticator.id, mobile.id] },
      incomplete: ["signins did not complete"],
    });
    expect(withBaseline.undecided).toEqual([]);
  });

  it("follows the responder's decision: a time after which methods are the attacker's, or the exact ids", () => {
    const after = classifyAuthMethods({ methods: [attackerAuthenticator, ownAuthenticator, mobile], incidentStart: null, registrations: [registration({ phoneType: "mobile" })], methodsAfter: start });
    expect(ids(after.remove)).toEqual([attackerAuthenticator.id, mobile.id]);
    expect(after.remove[0]!.reason).toContain("the time the responder gave");
    const named = classifyAuthMethods({ methods: [password, attackerAuthenticator, ownAuthenticator], incidentStart: null, registrations: [], methodIds: [ownAuthenticator.id, "gone-1"] });
    expect(ids(named.remove)).toEqual([ownAuthenticator.id]);
    expect(named.keep.map((m) => m.reason)).toEqual(["the password method is never removed (reset it separately)", "not named by the responder"]);
    expect(named.notes[0]).toContain("gone-1");
  });

  it("reports an unknown method type without touching it or failing", () => {
    const platform: AuthMethod = { "@odata.type": "#microsoft.graph.platformCredentialAuthenticationMethod", id: "cccccccc-0000-4000-8000-000000000001", createdDateTime: "2026-11-21T00:00:00Z" };
    const noType: AuthMethod = { id: "cccccccc-0000-4000-8000-000000000002" };
    const c = classifyAuthMethods({ methods: [platform, noType, attackerAuthenticator], incidentStart: start, registrations: [] });
    expect(ids(c.remove)).toEqual([attackerAuthenticator.id]);
    expect(c.unknown.map((u) => u.odataType)).toEqual(["#microsoft.graph.platformCredentialAuthenticationMethod", "(no @odata.type)"]);
    expect(c.notes.some((n) => n.includes("platformCredentialAuthenticationMethod") && n.includes("left"))).toBe(true);
  });

  it("notes a registration after the start whose method type is unknown", () => {
    const c = classifyAuthMethods({ methods: [mobile], incidentStart: start, registrations: [registration({ methodType: "unknown", detail: "Admin registered security info" })] });
    expect(c.remove).toEqual([]);
    expect(c.notes).toEqual([
      "an AuditLogs security-info registration (Admin registered security info) at 2026-11-20T08:20:00Z by alex@contoso.com names no method type azir can match; review the user's methods by hand",
      `kept phone (mobile) ${mobile.id} as the user's own: no creation time and no security-info registration in AuditLogs since the incident start 2026-11-20T08:00:00Z`,
    ]);
  });

  it("puts alternateMobile before mobile, and mobile in a later phase only when both go", () => {
    const c = classifyAuthMethods({
      methods: [mobile, attackerAuthenticator, alternate],
      incidentStart: start,
      registrations: [registration({ phoneType: "mobile" }), registration({ phoneType: "alternateMobile" })],
    });
    expect(ids(c.remove)).toEqual([alternate.id, attackerAuthenticator.id, mobile.id]);
    expect(c.remove.map((m) => deletionPhase(m, c.remove))).toEqual([0, 0, 1]);
    const onlyMobile = classifyAuthMethods({ methods: [mobile], incidentStart: start, registrations: [registration({ phoneType: "mobile" })] });
    expect(deletionPhase(onlyMobile.remove[0]!, onlyMobile.remove)).toBe(0);
  });

  it("warns when the mobile phone goes but the alternate mobile phone stays", () => {
    const c = classifyAuthMethods({ methods: [mobile, alternate], incidentStart: start, registrations: [registration({ phoneType: "mobile" })] });
    expect(ids(c.remove)).toEqual([mobile.id]);
    expect(c.notes.some((n) => n.includes("alternate mobile phone remains"))).toBe(true);
  });

  it("orders deletions stably apart from the phones", () => {
    const a = { id: "a", phoneType: "mobile" as const };
    const b = { id: "b" };
    const c2 = { id: "c", phoneType: "alternateMobile" as const };
    const base = { odataType: "", kind: "phone" as const, collection: "phoneMethods", label: "", reason: "" };
    expect(orderForDeletion([{ ...base, ...a }, { ...base, ...b }, { ...base, ...c2 }]).map((m) => m.id)).toEqual(["c", "b", "a"]);
  });
});
