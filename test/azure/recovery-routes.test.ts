import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import type { Scenario } from "../../src/tabletop/scenario/schema.js";
import { raw, startHarness, ids, type Harness } from "./fixture.js";

// The Graph routes recovery uses, on the wire: what Microsoft's pages say they answer.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("emulated recovery routes", () => {
  it("Conditional Access answers one request per second per tenant; the next one within the second is a 429 without Retry-After", async () => {
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), { permissions: ["Policy.Read.All"] });
    const first = await raw(h, "GET", "/v1.0/identity/conditionalAccess/policies");
    const second = await raw(h, "GET", "/v1.0/identity/conditionalAccess/namedLocations");
    expect(first.status).toBe(200);
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBeNull();
    await new Promise((r) => setTimeout(r, 1000));
    expect((await raw(h, "GET", "/v1.0/identity/conditionalAccess/namedLocations")).status).toBe(200);
  });

  it("a delegated grant and a role assignment are deleted with 204, then 404; a token without the write permission gets 403", async () => {
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), { permissions: ["DelegatedPermissionGrant.ReadWrite.All", "RoleManagement.ReadWrite.Directory", "RoleManagement.Read.Directory"] });
    const grants = (await raw(h, "GET", `/v1.0/oauth2PermissionGrants?$filter=principalId eq '${ids.kim}'`)).json as { value: Array<{ id: string }> };
    const grant = grants.value[0]!.id;
    expect((await raw(h, "DELETE", `/v1.0/oauth2PermissionGrants/${grant}`)).status).toBe(204);
    expect((await raw(h, "DELETE", `/v1.0/oauth2PermissionGrants/${grant}`)).status).toBe(404);
    const assignments = (await raw(h, "GET", "/v1.0/roleManagement/directory/roleAssignments")).json as { value: Array<{ id: string }> };
    const id = assignments.value[0]!.id;
    expect((await raw(h, "DELETE", `/v1.0/roleManagement/directory/roleAssignments/${id}`)).status).toBe(204);
    expect(h.emulator.state().roleAssignments.map((a) => a.id)).not.toContain(id);
  });

  it("a PIM adminRemove request removes the eligibility and answers 201 Revoked; a second one finds nothing to remove", async () => {
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), {
      permissions: ["RoleEligibilitySchedule.ReadWrite.Directory"],
      scenario: (s) => {
        s.tenant.roleEligibilityScheduleInstances.push({ id: "e1", principalId: ids.kim, roleDefinitionId: "62e90394-69f5-4237-9190-012177145e10", directoryScopeId: "/", appScopeId: null, memberType: "Direct" });
      },
    });
    const body = { action: "adminRemove", principalId: ids.kim, roleDefinitionId: "62e90394-69f5-4237-9190-012177145e10", directoryScopeId: "/" };
    const removed = await raw(h, "POST", "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests", { body });
    expect(removed.status).toBe(201);
    expect(removed.json).toMatchObject({ status: "Revoked", action: "adminRemove", principalId: ids.kim, targetScheduleId: null });
    expect(h.emulator.state().roleEligibilityScheduleInstances.map((e) => e.id)).not.toContain("e1");
    const again = await raw(h, "POST", "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests", { body });
    expect(again.status).toBe(400);
  });

  it("a group's members are listed; removing one from a role-assignable group needs RoleManagement.ReadWrite.Directory too", async () => {
    const group = "88888888-8888-4888-8888-888888888888";
    const setup = (s: Scenario) => {
      s.tenant.groups.push({ id: group, displayName: "Tier0", securityEnabled: true, mailEnabled: false, isAssignableToRole: true, members: [ids.kim, ids.admin] });
    };
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), { permissions: ["GroupMember.ReadWrite.All"], scenario: setup });
    const members = (await raw(h, "GET", `/v1.0/groups/${group}/members`)).json as { value: Array<{ "@odata.type": string; id: string }> };
    expect(members.value.map((m) => `${m["@odata.type"]} ${m.id}`)).toEqual([`#microsoft.graph.user ${ids.kim}`, `#microsoft.graph.user ${ids.admin}`]);
    expect((await raw(h, "DELETE", `/v1.0/groups/${group}/members/${ids.kim}/$ref`)).status).toBe(403);
    await h.close();
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), { permissions: ["GroupMember.ReadWrite.All", "RoleManagement.ReadWrite.Directory"], scenario: setup });
    expect((await raw(h, "DELETE", `/v1.0/groups/${group}/members/${ids.kim}/$ref`)).status).toBe(204);
    expect(h.emulator.state().groups.find((g) => g.id === group)?.members).toEqual([ids.admin]);
    expect((await raw(h, "DELETE", `/v1.0/groups/${group}/members/${ids.kim}/$ref`)).status).toBe(404);
  });

  it("deleting a grant needs DelegatedPermissionGrant.ReadWrite.All", async () => {
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), { permissions: ["DelegatedPermissionGrant.Read.All"] });
    const grants = (await raw(h, "GET", `/v1.0/oauth2PermissionGrants?$filter=principalId eq '${ids.kim}'`)).json as { value: Array<{ id: string }> };
    const refused = await raw(h, "DELETE", `/v1.0/oauth2PermissionGrants/${grants.value[0]!.id}`);
    expect(refused.status).toBe(403);
    expect(h.emulator.state().oauth2PermissionGrants.length).toBe(grants.value.length);
  });
});
