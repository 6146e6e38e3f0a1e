import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import type { Effect } from "../../src/core/effects.js";
import { blockSignIn } from "../../src/steps/entra-block-sign-in.js";
import { revokeSessions } from "../../src/steps/entra-revoke-sessions.js";
import { ids, startHarness, type Harness } from "../azure/fixture.js";
import { decideWith, noteText, runWith } from "../helpers/action-harness.js";

// A user synchronised from on-premises Active Directory, against the emulator with the real Graph client: Graph refuses
// to change accountEnabled, and azir says what to do in AD DS instead.

const kimUpn = "kim@fabrikam.example";
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function synced(): Promise<Harness> {
  h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), {
    scenario: (s) => Object.assign(s.tenant.users.find((u) => u.id === ids.kim)!, { onPremisesSyncEnabled: true, onPremisesSamAccountName: "kim.lee" }),
  });
  return h;
}

describe("hybrid users", () => {
  it("notes before the write that the block must also be made in AD DS, with the commands", async () => {
    const h = await synced();
    const { observed, decision } = await decideWith(blockSignIn, blockSignIn.input.parse({ upn: kimUpn }), h.ports.graph);
    expect(observed.user.onPremisesSyncEnabled).toBe(true);
    const note = decision.notes.map(noteText).find((n) => n.includes("on-premises Active Directory"));
    expect(note).toContain("kim@fabrikam.example is synchronised from on-premises Active Directory");
    expect(note).toContain("Disable-ADAccount -Identity kim.lee");
    expect(note).toContain("Start-ADSyncSyncCycle -PolicyType Delta");
    expect(decision.effects.map((e) => e.key)).toEqual(["block"]);
  });

  it("Graph's refusal for an on-premises mastered user is its own failure: Graph's words, then the next step in AD DS", async () => {
    const h = await synced();
    const refused = await runWith(blockSignIn, { upn: kimUpn }, h.ports.graph, (e: Effect) => h.ports.effects.perform(e)).catch((e: unknown) => e);
    expect(refused).toMatchObject({ exitCode: 1 });
    const error = refused as Error & { hint?: string; code: string };
    expect(error.code).not.toBe("permission");
    expect(error.message).toBe(
      'Graph refused to block sign-in for kim@fabrikam.example: "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.": the account is mastered in on-premises Active Directory, so the block must be made there',
    );
    expect(error.hint).toBe(
      "disable the account in AD DS: Disable-ADAccount -Identity kim.lee, then run a delta sync on the Entra Connect server: Start-ADSyncSyncCycle -PolicyType Delta; run azir contain again to see the block in effect (revoking sessions does not wait for it)",
    );
    expect(h.emulator.state().users.find((u) => u.id === ids.kim)?.accountEnabled).toBe(true);
    const patch = h.emulator.requests().find((r) => r.method === "PATCH");
    expect(patch?.status).toBe(400);
    // sessions are a cloud matter: the revocation of a synced user goes through
    const revoked = await runWith(revokeSessions, { upn: kimUpn }, h.ports.graph, (e: Effect) => h.ports.effects.perform(e));
    expect(revoked.result.status).toBe("completed");
  });

  it("a cloud user gets no such note", async () => {
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"));
    const { decision } = await decideWith(blockSignIn, blockSignIn.input.parse({ upn: kimUpn }), h.ports.graph);
    expect(decision.notes.map(noteText).join("\n")).not.toContain("on-premises");
  });
});
