import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allGraphNeeds, permissionsMarkdown } from "../../src/entra/permission-table.js";
import { actionPermissions, armActionPermissions } from "../../src/entra/permissions.js";
import { actions } from "../../src/steps/index.js";

// The permission tables people grant from are the catalogue's: regenerate them with `npm run build && npm run docs:permissions`.

const block = (file: string): string => /<!-- permissions:start -->\n([\s\S]*?)\n<!-- permissions:end -->/.exec(readFileSync(file, "utf8"))?.[1] ?? "";

describe("the documented permissions", () => {
  it("docs/permissions.md and README.md hold the table generated from the catalogue", () => {
    expect(block("docs/permissions.md")).toBe(permissionsMarkdown());
    expect(block("README.md")).toBe(permissionsMarkdown());
  });

  it("every registered action is in the catalogue, and the table lists each permission an action needs", () => {
    expect([...Object.keys(actionPermissions), ...Object.keys(armActionPermissions)].sort()).toEqual(Object.keys(actions).sort());
    for (const action of Object.values(actions)) {
      const arm = (armActionPermissions as Record<string, { needs: readonly string[] }>)[action.name];
      for (const p of action.permissions) expect(arm ? arm.needs : allGraphNeeds()).toContain(p);
    }
  });
});
