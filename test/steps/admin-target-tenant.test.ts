import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import type { Effect } from "../../src/core/effects.js";
import { blockSignIn } from "../../src/steps/entra-block-sign-in.js";
import { revokeSessions } from "../../src/steps/entra-revoke-sessions.js";
import type { Scenario } from "../../src/tabletop/scenario/schema.js";
import { ids, startHarness, type Harness } from "../azure/fixture.js";
import { decideWith, noteText, runWith } from "../helpers/action-harness.js";

// The admin-target check against the emulator over HTTPS with the real Graph client: roles held through a
// role-assignable group, PIM-eligible roles, and a 403 when the roles could not be read.

const globalAdmin = "62e90394-69f5-4237-9190-012177145e10";
const privilegedRoleAdmin = "e8611ab8-c189-46e8-94e1-60213ab1f814";
const securityAdmin = "194ae4cb-b126-40b2-bd5b-6091b380977d";
const tier0 = "abababab-0000-4000-8000-000000000001";
const kimUpn = "kim@fabrikam.example";
const louUpn = "lou@fabrikam.example";

/** Kim holds Global Administrator only through the role-assignable group Tier 0 Admins, and is eligible for more. */
function groupHeld(s: Scenario): void {
  s.tenant.groups.push({ id: tier0, displayName: "Tier 0 Admins", securityEnabled: true, mailEnabled: false, isAssignableToRole: true, members: [ids.kim] });
  s.tenant.roleAssignments.push({ id: "ra-group", principalId: tier0, roleDefinitionId: globalAdmin, directoryScopeId: "/" });
  s.tenant.roleEligibilityScheduleInstances.push(
    { id: "el-1", principalId: ids.kim, roleDefinitionId: privilegedRoleAdmin, directoryScopeId: "/", appScopeId: null, memberType: "Direct" },
    { id: "el-2", principalId: tier0, roleDefinitionId: securityAdmin, directoryScopeId: "/", appScopeId: null, memberType: "Direct" },
  );
}

const perform = (h: Harness) => (effect: Effect) => h.ports.effects.perform(effect);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("administrators through groups", () => {
  it("sees a role held through a role-assignable group, says so, and lists PIM-eligible roles as information", async () => {
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), { scenario: groupHeld });
    const { decision } = await decideWith(blockSignIn, blockSignIn.input.parse({ upn: kimUpn }), h.ports.graph);
    expect(decision.outputs).toMatchObject({ userId: ids.kim, roles: ["Global Administrator"] });
    const notes = decision.notes.map(noteText);
    expect(notes).toContain(
      "kim@fabrikam.example holds Global Administrator (through a group) and is a member of the role-assignable group Tier 0 Admins: acting on an administrator needs Privileged Authentication Administrator or Global Administrator",
    );
    const eligible = notes.find((n) => n.includes("Privileged Identity Management"));
    expect(eligible).toContain("eligible for Privileged Role Administrator and Security Administrator (through Tier 0 Admins)");
    // the block is still planned: the check informs, the write decides
    expect(decision.effects.map((e) => e.key)).toEqual(["block"]);
  });

  it("the tenant refuses to block a group-held administrator without the role, and the error says why, Graph's words first", async () => {
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), { scenario: groupHeld });
    const refused = await runWith(blockSignIn, { upn: kimUpn }, h.ports.graph, perform(h)).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "permission", exitCode: 4 });
    expect((refused as Error).message).toBe(
      'Graph refused to block sign-in for kim@fabrikam.example: "Insufficient privileges to complete the operation.": kim@fabrikam.example holds Global Administrator (through a group) and is a member of the role-assignable group Tier 0 Admins: acting on an administrator needs Privileged Authentication Administrator or Global Administrator',
    );
    expect(h.emulator.state().users.find((u) => u.id === ids.kim)?.accountEnabled).toBe(true);
    // the same refusal for a revoke: Entra's rule sees the group's role too
    await expect(runWith(revokeSessions, { upn: kimUpn }, h.ports.graph, perform(h))).rejects.toMatchObject({ code: "permission" });
  });

  it("a member of a role-assignable group without any role is a sensitive target too", async () => {
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), {
      scenario: (s) => s.tenant.groups.push({ id: tier0, displayName: "Tier 0 Admins", securityEnabled: true, mailEnabled: false, isAssignableToRole: true, members: [ids.kim] }),
    });
    const { decision } = await decideWith(blockSignIn, blockSignIn.input.parse({ upn: kimUpn }), h.ports.graph);
    expect(decision.notes.map(noteText)).toContain(
      "kim@fabrikam.example is a member of the role-assignable group Tier 0 Admins: acting on a member of a role-assignable group needs Privileged Authentication Administrator or Global Administrator",
    );
    await expect(runWith(blockSignIn, { upn: kimUpn }, h.ports.graph, perform(h))).rejects.toMatchObject({ code: "permission", message: expect.stringContaining("Tier 0 Admins") });
  });

  it("when the roles could not be read, a 403 on the write is 'missing permission or privileged target', not a bare missing permission", async () => {
    // may read users, not roles, and may not disable accounts
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), { permissions: ["User.Read.All"] });
    const { decision } = await decideWith(blockSignIn, blockSignIn.input.parse({ upn: louUpn }), h.ports.graph);
    expect(decision.notes.map(noteText).join("\n")).toContain("could not check whether lou@fabrikam.example holds a directory role (needs RoleManagement.Read.Directory)");
    const refused = await runWith(blockSignIn, { upn: louUpn }, h.ports.graph, perform(h)).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "permission", exitCode: 4 });
    const message = (refused as Error).message;
    expect(message.startsWith('Graph refused to block sign-in for lou@fabrikam.example: "Insufficient privileges to complete the operation."')).toBe(true);
    expect(message).toContain("missing permission or privileged target");
    expect(message).toContain("User.EnableDisableAccount.All");
    expect(message).not.toMatch(/: the identity lacks /);
  });

  it("without the right to name roles, a group-held role is still seen (as an unnamed role), so the 403 is explained as an administrator's", async () => {
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), { scenario: groupHeld, permissions: ["User.Read.All", "User.EnableDisableAccount.All"] });
    const refused = await runWith(blockSignIn, { upn: kimUpn }, h.ports.graph, perform(h)).catch((e: unknown) => e);
    expect((refused as Error).message).toContain("kim@fabrikam.example holds a directory role it may not name (naming it needs RoleManagement.Read.Directory)");
    expect((refused as Error).message).toContain("acting on an administrator needs Privileged Authentication Administrator or Global Administrator");
  });
});
