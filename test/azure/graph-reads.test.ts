import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
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

describe("memberships and PIM eligibility", () => {
  const tier0 = "abababab-0000-4000-8000-000000000001";
  const staff = "abababab-0000-4000-8000-000000000002";
  const globalAdmin = "62e90394-69f5-4237-9190-012177145e10";
  let g: Harness | undefined;
  const start = (permissions?: string[]) =>
    startHarness(new ManualClock("2026-11-25T12:00:00Z"), {
      ...(permissions ? { permissions } : {}),
      scenario: (s) => {
        s.tenant.groups.push(
          { id: tier0, displayName: "Tier 0 Admins", securityEnabled: true, mailEnabled: false, isAssignableToRole: true, members: [ids.kim] },
          { id: staff, displayName: "Staff", securityEnabled: true, mailEnabled: false, isAssignableToRole: false, members: [ids.kim] },
        );
        s.tenant.roleAssignments.push({ id: "ra-g", principalId: tier0, roleDefinitionId: globalAdmin, directoryScopeId: "/" });
        s.tenant.roleEligibilityScheduleInstances.push({ id: "el-1", principalId: ids.kim, roleDefinitionId: "e8611ab8-c189-46e8-94e1-60213ab1f814", directoryScopeId: "/", appScopeId: null, memberType: "Direct" });
      },
    });
  afterEach(async () => {
    await g?.close();
    g = undefined;
  });

  it("transitiveMemberOf shows the role a group holds; the cast keeps one type; the role's own id is not its template id", async () => {
    g = await start();
    const roles = await g.ports.graph.list<{ "@odata.type": string; id: string; roleTemplateId: string; displayName: string }>(`/users/${ids.kim}/transitiveMemberOf/microsoft.graph.directoryRole`);
    expect(roles).toEqual([expect.objectContaining({ "@odata.type": "#microsoft.graph.directoryRole", roleTemplateId: globalAdmin, displayName: "Global Administrator" })]);
    expect(roles[0]!.id).not.toBe(globalAdmin);
    const groups = await g.ports.graph.list<{ displayName: string; isAssignableToRole: boolean }>(`/users/${ids.kim}/transitiveMemberOf/microsoft.graph.group`, { select: ["id", "displayName", "isAssignableToRole"] });
    expect(groups.map((x) => [x.displayName, x.isAssignableToRole])).toEqual([["Tier 0 Admins", true], ["Staff", false]]);
    // a direct role assignment by principalId does not show the group's
    expect(await g.ports.graph.list("/roleManagement/directory/roleAssignments", { filter: `principalId eq '${ids.kim}'` })).toEqual([]);
    const eligible = await g.ports.graph.list<{ roleDefinitionId: string; memberType: string }>("/roleManagement/directory/roleEligibilityScheduleInstances", { filter: `principalId eq '${ids.kim}'` });
    expect(eligible).toEqual([expect.objectContaining({ roleDefinitionId: "e8611ab8-c189-46e8-94e1-60213ab1f814", memberType: "Direct" })]);
  });

  it("without the permissions to read roles and groups, they come back as type and id only; role reads are refused", async () => {
    g = await start(["User.Read.All"]);
    const all = await g.ports.graph.list<Record<string, unknown>>(`/users/${ids.kim}/transitiveMemberOf`);
    expect(all.map((o) => o["@odata.type"]).sort()).toEqual(["#microsoft.graph.directoryRole", "#microsoft.graph.group", "#microsoft.graph.group"]);
    expect(all.every((o) => typeof o.id === "string" && o.displayName === null)).toBe(true);
    for (const path of ["/roleManagement/directory/roleAssignments", "/roleManagement/directory/roleEligibilityScheduleInstances"]) {
      const refused = await g.ports.graph.list(path, { filter: `principalId eq '${ids.kim}'` }).catch((e: unknown) => e);
      expect((refused as AzureServiceError).status, path).toBe(403);
    }
  });
});
