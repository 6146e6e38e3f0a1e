import { afterEach, describe, expect, it } from "vitest";
import { AzureServiceError } from "../../src/azure/errors.js";
import { ManualClock } from "../../src/core/clock.js";
import type { Effect } from "../../src/core/effects.js";
import { explainForbidden } from "../../src/steps/admin-target.js";
import { confirmCompromised } from "../../src/steps/entra-confirm-compromised.js";
import { isPermissionError } from "../../src/steps/graph-errors.js";
import { ids, startHarness, type Harness } from "../azure/fixture.js";
import { decideWith, noteText, runWith } from "../helpers/action-harness.js";

// A tenant without Microsoft Entra ID P2, against the emulator with the real Graph client: Identity Protection answers
// 403 with a licence message, which is neither a missing permission nor a failure of the containment.

const kimUpn = "kim@fabrikam.example";
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function withoutP2(): Promise<Harness> {
  h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), { scenario: (s) => void (s.tenant.licences.entraIdP2 = false) });
  return h;
}

describe("a tenant without Entra ID P2", () => {
  it("Identity Protection answers 403 with Graph's licence message; the adapter calls it a licence, Graph's words first, not a permission", async () => {
    const h = await withoutP2();
    const read = (await h.ports.graph.get(`/identityProtection/riskyUsers/${ids.kim}`).catch((e: unknown) => e)) as AzureServiceError;
    expect(read).toBeInstanceOf(AzureServiceError);
    expect(read.status).toBe(403);
    expect(read.serviceCode).toBe("Forbidden");
    expect(read.code).toBe("licence");
    expect(read.exitCode).toBe(1);
    expect(read.message).toBe(`Graph answered 403 on GET /identityProtection/riskyUsers/${ids.kim}: "Your tenant is not licensed for this feature." (Forbidden): the tenant lacks the licence this needs, not a permission`);
    expect(read.message).not.toContain("IdentityRiskyUser");
    expect(isPermissionError(read)).toBe(false);
    // and explainForbidden leaves it as it is: it is not a 403 a permission or a role would fix
    expect(explainForbidden(read, { upn: kimUpn, roles: [], checked: false, permission: "IdentityRiskyUser.ReadWrite.All" })).toBe(read);
    const write = (await h.ports.effects
      .perform({ kind: "graph.request", key: "confirm", method: "POST", path: "/identityProtection/riskyUsers/confirmCompromised", body: { userIds: [ids.kim] }, permission: "IdentityRiskyUser.ReadWrite.All", summary: "confirm", target: kimUpn })
      .catch((e: unknown) => e)) as AzureServiceError;
    expect([write.status, write.code]).toEqual([403, "licence"]);
    expect(h.emulator.state().riskyUsers.find((u) => u.id === ids.kim)?.riskState).toBe("atRisk");
  });

  it("confirm compromised ends 'not done' for the licence, sends nothing and does not fail", async () => {
    const h = await withoutP2();
    const { decision } = await decideWith(confirmCompromised, confirmCompromised.input.parse({ upn: kimUpn }), h.ports.graph);
    expect(decision.effects).toEqual([]);
    expect(decision.done).toBeUndefined();
    const first = noteText(decision.notes[0]!);
    expect(first.startsWith("not done: the tenant has no Entra ID P2 licence (Identity Protection)")).toBe(true);
    expect(first).toContain('Graph said "Your tenant is not licensed for this feature."');
    const run = await runWith(confirmCompromised, { upn: kimUpn }, h.ports.graph, (e: Effect) => h.ports.effects.perform(e));
    expect(run.result.status).toBe("skipped");
    expect(run.result.summary).toBe(first);
    expect(h.emulator.requests().filter((r) => r.method === "POST")).toEqual([]);
  });

  it("with P2 (the default) nothing changes", async () => {
    h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"));
    const { decision } = await decideWith(confirmCompromised, confirmCompromised.input.parse({ upn: kimUpn }), h.ports.graph);
    expect(decision.effects.map((e) => e.key)).toEqual(["confirm"]);
  });
});
