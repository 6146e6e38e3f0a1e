import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AzureServiceError } from "../../src/azure/errors.js";
import { ManualClock } from "../../src/core/clock.js";
import { ids, startHarness, type Harness } from "./fixture.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"));
});
afterAll(async () => {
  await h.close();
});

describe("Graph read routes used by the runbooks", () => {
  it("users by $filter, memberOf as directory roles", async () => {
    const users = await h.ports.graph.list<{ id: string; userPrincipalName: string }>("/users", { filter: "userPrincipalName eq 'KIM@fabrikam.example'", select: ["id", "userPrincipalName"] });
    expect(users).toEqual([{ id: ids.kim, userPrincipalName: "kim@fabrikam.example" }]);
    const roles = await h.ports.graph.list<{ displayName: string; "@odata.type": string }>(`/users/${ids.admin}/memberOf`);
    expect(roles).toEqual([expect.objectContaining({ "@odata.type": "#microsoft.graph.directoryRole", displayName: "Global Administrator" })]);
  });

  it("conditional access policies and named locations, listed and by id", async () => {
    const policies = await h.ports.graph.list<{ displayName: string }>("/identity/conditionalAccess/policies");
    expect(policies.map((p) => p.displayName)).toEqual(["Require MFA"]);
    const changed = await h.ports.graph.list("/identity/conditionalAccess/policies", { filter: "modifiedDateTime ge 2026-11-25T00:00:00Z" });
    expect(changed).toEqual([]);
    const hq = await h.ports.graph.get<{ ipRanges: Array<{ cidrAddress: string }> }>("/identity/conditionalAccess/namedLocations/99999999-9999-4999-8999-999999999992");
    expect(hq.ipRanges[0]?.cidrAddress).toBe("203.0.113.0/24");
  });

  it("oauth2PermissionGrants by principal, service principals by appId, role definitions include the built-ins", async () => {
    const grants = await h.ports.graph.list<{ scope: string }>("/oauth2PermissionGrants", { filter: `principalId eq '${ids.kim}'` });
    expect(grants.map((g) => g.scope)).toEqual(["Mail.Read offline_access"]);
    const sps = await h.ports.graph.list<{ id: string }>("/servicePrincipals", { filter: `appId eq '${ids.appId}'` });
    expect(sps.map((s) => s.id)).toEqual(["77777777-7777-4777-8777-777777777777"]);
    const defs = await h.ports.graph.list<{ templateId: string; displayName: string }>("/roleManagement/directory/roleDefinitions", { filter: "displayName eq 'Privileged Authentication Administrator'" });
    expect(defs.map((d) => d.templateId)).toEqual(["7be44c8a-adaf-4e2a-84d6-ab2649e08a13"]);
  });

  it("auditLogs directoryAudits and signIns come from the scenario tables, newest first, filtered", async () => {
    const audits = await h.ports.graph.list<{ id: string; activityDisplayName: string }>("/auditLogs/directoryAudits", { filter: "initiatedBy/user/userPrincipalName eq 'kim@fabrikam.example'" });
    expect(audits).toEqual([expect.objectContaining({ id: "a-1", activityDisplayName: "User registered security info" })]);
    const signIns = await h.ports.graph.list<{ id: string; status: { errorCode: number } }>("/auditLogs/signIns", { filter: "userPrincipalName eq 'kim@fabrikam.example' and createdDateTime ge 2026-11-20T00:00:00Z" });
    expect(signIns.map((s) => `${s.id}:${s.status.errorCode}`)).toEqual(["s-1:0", "s-2:50126"]);
    const bad = await h.ports.graph.list("/auditLogs/signIns", { filter: "appDisplayName eq 'x' or ipAddress eq 'y'" }).catch((e: unknown) => e);
    expect((bad as AzureServiceError).status).toBe(400);
  });

  it("authentication method collections and single methods", async () => {
    const phones = await h.ports.graph.list<{ id: string; phoneType: string }>(`/users/${ids.kim}/authentication/phoneMethods`);
    expect(phones.map((p) => p.phoneType)).toEqual(["mobile"]);
    const one = await h.ports.graph.get<{ displayName: string }>(`/users/${ids.kim}/authentication/microsoftAuthenticatorMethods/${ids.authenticator}`);
    expect(one.displayName).toBe("Pixel 8");
    expect(await h.ports.graph.find(`/users/${ids.kim}/authentication/fido2Methods/nope`)).toBeUndefined();
  });
});
