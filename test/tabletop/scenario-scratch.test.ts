import { it } from "vitest";
import { loadScenario } from "../../src/tabletop/scenario/load.js";
it("scratch", async () => {
  const s = await loadScenario("scenarios/contoso", new Date("2026-11-25T12:00:00Z"));
  console.log(s.tenant.users.length, Object.keys(s.tables), s.tenant.conditionalAccessPolicies[0]!.modifiedDateTime, JSON.stringify(s.tenant.applications[0]!.passwordCredentials));
});
