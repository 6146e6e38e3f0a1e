import { describe, expect, it } from "vitest";
import { acceptedPermissions, actionPermissions, checkNeeds, graph } from "../../src/entra/permissions.js";
import { doctorReport, latestRecordsQuery, type RunbookNeeds } from "../../src/runbook/doctor.js";

// The doctor's judgement, as data: a need is held by the permission itself or a higher one Graph accepts for that
// kind of token; a need nobody could check is missing, never assumed held.

const needs: RunbookNeeds = {
  runbooks: ["contain-user"],
  graph: [
    { permission: graph.userEnableDisable, steps: ["block"] },
    { permission: graph.userRevokeSessions, steps: ["revoke"] },
  ],
  delegatedRoles: [{ step: "block", anyOf: actionPermissions["entra.blockSignIn"].delegatedRoles }],
  tables: [{ table: "SigninLogs", steps: ["signins"], optional: false }],
  logs: true,
  arm: false,
  notInCloud: [],
};
const signIn = { kind: "default", cloud: "AzureCloud", authority: "https://login.microsoftonline.com" };

describe("doctor judgement", () => {
  it("higher permissions count by token kind: User.ReadWrite.All revokes for a user, never for an application (app-only revoke takes User.RevokeSessions.All only)", () => {
    expect(acceptedPermissions(graph.userRevokeSessions, "application")).toEqual([graph.userRevokeSessions]);
    expect(checkNeeds([graph.userRevokeSessions], { kind: "delegated", permissions: ["user.readwrite.all"] })).toEqual([{ need: graph.userRevokeSessions, heldAs: "user.readwrite.all" }]);
    expect(checkNeeds([graph.userRevokeSessions], { kind: "application", permissions: ["User.ReadWrite.All"] })).toEqual([{ need: graph.userRevokeSessions }]);
    expect(checkNeeds([graph.roleRead], { kind: "application", permissions: ["Directory.Read.All"] })[0]?.heldAs).toBe("Directory.Read.All");
  });

  it("no token: the sign-in is missing and so is everything that needed checking; no workspace configured is missing too", () => {
    const report = doctorReport(needs, { signIn, token: { error: "Could not obtain an Azure token", hint: "az login" } });
    expect(report.ok).toBe(false);
    expect(report.checks.map((c) => [c.area, c.status])).toEqual([
      ["sign-in", "missing"],
      ["workspace", "missing"],
    ]);
  });

  it("a delegated token: the signed-in user's roles are checked per action; a token without wids is a warning, not a pass", () => {
    const token = { kind: "delegated" as const, appId: "a", permissions: ["User.ReadWrite.All", "User.RevokeSessions.All"], azureCliApp: false };
    const withRole = doctorReport(needs, { signIn, token: { ...token, roles: ["User Administrator"] }, workspace: { id: "w", tables: [{ table: "SigninLogs", present: true, latest: "2026-11-25T10:00:00.000Z" }] } });
    expect(withRole.ok).toBe(true);
    expect(withRole.checks.find((c) => c.area === "graph" && c.subject === graph.userEnableDisable)?.detail).toBe("held as User.ReadWrite.All");
    const noRoles = doctorReport(needs, { signIn, token: { ...token, roles: [] }, workspace: { id: "w", tables: [{ table: "SigninLogs", present: true }] } });
    expect(noRoles.checks.find((c) => c.area === "role")?.status).toBe("warning");
    const wrongRole = doctorReport(needs, { signIn, token: { ...token, roles: ["Security Reader"] }, workspace: { id: "w", tables: [{ table: "SigninLogs", present: true }] } });
    expect(wrongRole.ok).toBe(false);
    expect(wrongRole.checks.find((c) => c.area === "role")?.fix).toContain("User Administrator");
  });

  it("the workspace probe asks each known table for its latest record, one union", () => {
    expect(latestRecordsQuery(["SigninLogs", "AuditLogs", "Not a table"])).toBe(
      'union (SigninLogs | summarize Latest = max(TimeGenerated) | extend Table = "SigninLogs"), (AuditLogs | summarize Latest = max(TimeGenerated) | extend Table = "AuditLogs")\n| project Table, Latest',
    );
  });
});
