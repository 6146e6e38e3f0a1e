import { describe, expect, it } from "vitest";
import { bulkUsersParam, expandForUsers, sectionOf, userParamOf } from "../../src/runbook/bulk.js";
import { planRunbook } from "../../src/runbook/plan.js";
import { resolveTemplates } from "../../src/runbook/template.js";
import type { Runbook } from "../../src/runbook/schema.js";
import { loadCheckedRunbook } from "../../src/cli/run-runbook.js";
import { shippedRunbook } from "../../src/cli/shipped-runbooks.js";

describe("a runbook repeated over several users", () => {
  it("gives each user its own steps, templates and chain; the users' chains are independent", async () => {
    const { runbook } = await loadCheckedRunbook(shippedRunbook("contain-user"));
    const { runbook: bulk, plan, sections } = expandForUsers(runbook, "upn", ["alex@contoso.com", "morgan@contoso.com"]);
    expect(sections.map((s) => [s.upn, s.prefix])).toEqual([
      ["alex@contoso.com", "u1-"],
      ["morgan@contoso.com", "u2-"],
    ]);
    expect(bulk.steps).toHaveLength(runbook.steps.length * 2);
    expect(bulk.params.upn).toBeUndefined();
    expect(bulk.subject).toBe("alex@contoso.com and 1 more");
    expect(bulk.params[bulkUsersParam]?.required).toBe(true);
    const step = (id: string) => bulk.steps.find((s) => s.id === id)!;
    // the user is written in, and findings point at that user's own steps
    const revoke = step("u2-revoke");
    expect(revoke.with).toMatchObject({ upn: "morgan@contoso.com", incidentStart: "{{ findings.u2-signins.incidentStart }}" });
    expect(revoke.tolerate).toEqual(["u2-signins"]);
    expect(step("u1-verify-plan").after).toEqual(["u1-confirm-compromised"]);
    const note = step("u1-verify-plan");
    expect("note" in note ? note.note : "").toContain("azir verify alex@contoso.com");
    // each user's actions follow each other; no action follows another user's
    const planned = new Map(plan.steps.map((s) => [s.id, s]));
    expect(planned.get("u1-revoke")?.orderedAfter).toBe("u1-block");
    expect(planned.get("u2-block")?.orderedAfter).toBeUndefined();
    expect(planned.get("u2-confirm-compromised")?.orderedAfter).toBe("u2-remove-methods");
    // the stages of the users line up: both blocks can start at once
    expect(plan.stages[0]).toEqual(expect.arrayContaining(["u1-block", "u2-block", "u1-signins", "u2-signins"]));
    // the templates resolve against the users' own findings
    expect(resolveTemplates(revoke.with, { params: {}, findings: { "u2-signins": { incidentStart: "2026-11-28T10:00:00Z" } } })).toMatchObject({ incidentStart: "2026-11-28T10:00:00Z" });
    expect(sectionOf(sections, "u2-block")?.upn).toBe("morgan@contoso.com");
    expect(sectionOf(sections, "block")).toBeUndefined();
  });

  it("a single user is the same plan as the runbook's own, steps renamed", async () => {
    const { runbook } = await loadCheckedRunbook(shippedRunbook("contain-user"));
    const own = planRunbook(runbook);
    const { plan } = expandForUsers(runbook, "upn", ["alex@contoso.com"]);
    expect(plan.steps.map((s) => ({ ...s, id: s.id.slice(3), dependsOn: s.dependsOn.map((d) => d.slice(3)), ...(s.orderedAfter ? { orderedAfter: s.orderedAfter.slice(3) } : {}) }))).toEqual(own.steps);
  });

  it("repeats over the one UPN parameter, or none", () => {
    const base = { id: "x", title: "x", steps: [] } as unknown as Runbook;
    expect(userParamOf({ ...base, params: { upn: { type: "upn" }, lookback: { type: "duration" } } })).toBe("upn");
    expect(userParamOf({ ...base, params: { a: { type: "upn" }, b: { type: "upn" } } })).toBeUndefined();
    expect(userParamOf({ ...base, params: {} })).toBeUndefined();
  });
});
