import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { z } from "zod";
import { AzirError } from "../../src/core/errors.js";
import { loadScenario, pinTime, resolveScenarioDir } from "../../src/tabletop/scenario/load.js";
import type { tenantStateSchema } from "../../src/tabletop/scenario/schema.js";

// A malformed scenario is refused with an AzirError that names the file and the JSON path (or line and column).

const now = new Date("2026-11-25T12:00:00.000Z");
const minimal = resolveScenarioDir("minimal");
const made: string[] = [];

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the minimal scenario to break. */
function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), "azir-scenario-"));
  made.push(dir);
  cpSync(minimal, dir, { recursive: true });
  return dir;
}

function editJson(file: string, edit: (value: any) => void): void {
  const value = JSON.parse(readFileSync(file, "utf8"));
  edit(value);
  writeFileSync(file, JSON.stringify(value, null, 2));
}

async function refusal(dir: string): Promise<AzirError> {
  const error = await loadScenario(dir, now).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AzirError);
  return error as AzirError;
}

describe("malformed scenarios are refused", () => {
  it("bad JSON: names the file, line and column", async () => {
    const dir = copy();
    const file = join(dir, "SigninLogs.json");
    // Line 3 gets a trailing comma before the closing bracket.
    const lines = readFileSync(file, "utf8").split("\n");
    lines[3] = `${lines[3]},`;
    writeFileSync(file, lines.join("\n"));
    const e = await refusal(dir);
    expect(e.code).toBe("validation");
    expect(e.message).toMatch(new RegExp(`^${escape(file)}:5:1: not valid JSON`));
  });

  it("bad JSON in tenant.json: names tenant.json and the position", async () => {
    const dir = copy();
    writeFileSync(join(dir, "tenant.json"), '{\n  "tenantId": "0b6f4a57-5c7e-4f0e-9d6b-1f2a3b4c5d6e",\n  "domain": fabrikam\n}');
    const e = await refusal(dir);
    expect(e.message).toMatch(new RegExp(`^${escape(join(dir, "tenant.json"))}:3:13: not valid JSON`));
  });

  it("a wrong type in tenant.json: names the JSON path and what was expected", async () => {
    const dir = copy();
    editJson(join(dir, "tenant.json"), (t) => {
      t.users.push({ ...t.users[0], id: "33333333-3333-4333-8333-333333333333", userPrincipalName: 42 });
    });
    const e = await refusal(dir);
    expect(e.code).toBe("validation");
    expect(e.message).toBe(`${join(dir, "tenant.json")}: users[2].userPrincipalName: expected string, got number 42`);
  });

  it("a missing required field of tenant.json", async () => {
    const dir = copy();
    editJson(join(dir, "tenant.json"), (t) => {
      delete t.workspaceId;
    });
    const e = await refusal(dir);
    expect(e.message).toBe(`${join(dir, "tenant.json")}: workspaceId: expected string, got nothing`);
  });

  it("a bad relative time in tenant.json: names the path and the value", async () => {
    const dir = copy();
    editJson(join(dir, "tenant.json"), (t) => {
      t.users[1].createdDateTime = "-3 days";
    });
    const e = await refusal(dir);
    expect(e.message).toBe(`${join(dir, "tenant.json")}: users[1].createdDateTime: bad time "-3 days"`);
    expect(e.hint).toMatch(/-3d4h/);
  });

  it("a bad relative time in a table: names the row, the column and the value", async () => {
    const dir = copy();
    editJson(join(dir, "SigninLogs.json"), (rows) => {
      rows[2].TimeGenerated = "-2x";
    });
    const e = await refusal(dir);
    expect(e.message).toBe(`${join(dir, "SigninLogs.json")}: [2].TimeGenerated: bad time "-2x"`);
  });

  it("a wrong cell type in a table: names the row and column, and the column's declared type", async () => {
    const dir = copy();
    editJson(join(dir, "SigninLogs.json"), (rows) => {
      rows[0].IsInteractive = "sometimes";
    });
    const e = await refusal(dir);
    expect(e.message).toBe(`${join(dir, "SigninLogs.json")}: [0].IsInteractive: expected bool, got string "sometimes"`);
    expect(e.hint).toBe("SigninLogs.IsInteractive is a bool column");
  });

  it("a table file that is not an array of row objects", async () => {
    const dir = copy();
    writeFileSync(join(dir, "AuditLogs.json"), JSON.stringify({ OperationName: "Add member to role" }));
    expect((await refusal(dir)).message).toBe(`${join(dir, "AuditLogs.json")}: expected an array of rows (one object per row), got object`);
    writeFileSync(join(dir, "AuditLogs.json"), JSON.stringify([{ OperationName: "x" }, "row"]));
    expect((await refusal(dir)).message).toBe(`${join(dir, "AuditLogs.json")}: [1]: expected an object (one row), got string "row"`);
  });

  it("an id that points nowhere (the default method is not one of the user's methods)", async () => {
    const dir = copy();
    editJson(join(dir, "tenant.json"), (t) => {
      t.defaultMethods["11111111-1111-4111-8111-111111111111"] = "no-such-method";
    });
    const e = await refusal(dir);
    expect(e.message).toBe(`${join(dir, "tenant.json")}: defaultMethods.11111111-1111-4111-8111-111111111111: no-such-method is not one of the user's authenticationMethods`);
  });

  it("a folder without tenant.json, and a folder that does not exist", async () => {
    const dir = copy();
    rmSync(join(dir, "tenant.json"));
    expect((await refusal(dir)).message).toBe(`${join(dir, "tenant.json")}: missing`);
    const missing = await refusal(join(dir, "nope"));
    expect(missing.code).toBe("usage");
    expect(missing.hint).toMatch(/contoso/);
  });
});

describe("what a scenario may also hold", () => {
  it("expected.json is not read as a table, and extra columns of a known table are kept with an inferred type", async () => {
    const dir = copy();
    writeFileSync(join(dir, "expected.json"), JSON.stringify({ incidentStart: "-2d" }));
    editJson(join(dir, "SigninLogs.json"), (rows) => {
      rows[0].CustomScore = 7;
    });
    const s = await loadScenario(dir, now);
    expect(Object.keys(s.tables).sort()).toEqual(["AuditLogs", "SigninLogs"]);
    const t = s.tables["SigninLogs"]!;
    const custom = t.columns.findIndex((c) => c.name === "CustomScore");
    expect(t.columns[custom]).toEqual({ name: "CustomScore", type: "long" });
    expect(t.rows[0]![custom]).toBe(7);
    expect(t.rows[1]![custom]).toBeNull();
  });

  it("a saved Log Analytics response ({tables:[{columns, rows}]}) is a table too, with absolute times kept", async () => {
    const dir = copy();
    writeFileSync(
      join(dir, "SecurityAlert.json"),
      JSON.stringify({
        tables: [
          {
            name: "PrimaryResult",
            columns: [
              { name: "TimeGenerated", type: "datetime" },
              { name: "AlertName", type: "string" },
              { name: "IsIncident", type: "bool" },
            ],
            rows: [["2026-11-20T08:00:00.1234567Z", "Suspicious process executed", "False"]],
          },
        ],
      }),
    );
    const t = (await loadScenario(dir, now)).tables["SecurityAlert"]!;
    const row = Object.fromEntries(t.columns.map((c, i) => [c.name, t.rows[0]![i]]));
    expect(row).toMatchObject({ TimeGenerated: "2026-11-20T08:00:00.123Z", AlertName: "Suspicious process executed", IsIncident: false, Description: "" });
  });

  it("an object in a string-typed details column is stored as JSON text", async () => {
    const dir = copy();
    writeFileSync(
      join(dir, "AADNonInteractiveUserSignInLogs.json"),
      JSON.stringify([{ TimeGenerated: "-1h", UserPrincipalName: "kim@fabrikam.example", DeviceDetail: { deviceId: "", isCompliant: false } }]),
    );
    const t = (await loadScenario(dir, now)).tables["AADNonInteractiveUserSignInLogs"]!;
    const device = t.columns.findIndex((c) => c.name === "DeviceDetail");
    expect(t.rows[0]![device]).toBe('{"deviceId":"","isCompliant":false}');
    expect(t.rows[0]![t.columns.findIndex((c) => c.name === "TimeGenerated")]).toBe("2026-11-25T11:00:00.000Z");
  });

  it("groups: a role goes only to a role-assignable group, which holds no group, and every member exists", async () => {
    const user = "11111111-1111-4111-8111-111111111111";
    const plain = "aaaaaaaa-0000-4000-8000-000000000001";
    const tier0 = "aaaaaaaa-0000-4000-8000-000000000002";
    const cases: Array<[(t: z.input<typeof tenantStateSchema>) => void, string]> = [
      [(t) => { t.groups = [{ id: plain, displayName: "Staff", members: [user] }]; t.roleAssignments = [{ id: "ra", principalId: plain, roleDefinitionId: "62e90394-69f5-4237-9190-012177145e10" }]; }, "roleAssignments[0].principalId: group Staff is not role-assignable (isAssignableToRole: false)"],
      [(t) => { t.groups = [{ id: plain, displayName: "Staff", members: [] }, { id: tier0, displayName: "Tier 0", isAssignableToRole: true, members: [plain] }]; }, "groups[1].members[0]: a role-assignable group cannot have a group as a member"],
      [(t) => { t.groups = [{ id: tier0, displayName: "Tier 0", isAssignableToRole: true, members: ["aaaaaaaa-0000-4000-8000-00000000dead"] }]; }, "groups[0].members[0]: no user, group or service principal has id aaaaaaaa-0000-4000-8000-00000000dead"],
      [(t) => { t.roleEligibilityScheduleInstances = [{ id: "e", principalId: "aaaaaaaa-0000-4000-8000-00000000beef", roleDefinitionId: "62e90394-69f5-4237-9190-012177145e10" }]; }, "roleEligibilityScheduleInstances[0].principalId: no user, service principal or group has id"],
    ];
    for (const [edit, message] of cases) {
      const dir = copy();
      editJson(join(dir, "tenant.json"), edit);
      expect((await refusal(dir)).message, message).toContain(message);
    }
  });

  it("pinTime reads relative and absolute forms", () => {
    expect(pinTime("-3d6h", now)).toBe("2026-11-22T06:00:00.000Z");
    expect(pinTime("+2h30m", now)).toBe("2026-11-25T14:30:00.000Z");
    expect(pinTime("now", now)).toBe(now.toISOString());
    expect(pinTime("2026-11-01T10:00:00+02:00", now)).toBe("2026-11-01T08:00:00.000Z");
    expect(pinTime("2026-11-01 10:00", now)).toBe("2026-11-01T10:00:00.000Z");
    expect(pinTime("yesterday", now)).toBeUndefined();
    expect(pinTime("-3 days", now)).toBeUndefined();
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
