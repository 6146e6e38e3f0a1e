import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRunbookFile } from "../../src/runbook/load.js";

// Composition: includes expand into plain steps; what cannot be composed is a located error.

function write(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const child = `id: child
title: child
params:
  upn: { type: upn, required: true }
  days: { type: duration, default: 7d }
steps:
  - id: read
    query: kql/signins-for-user.kql
    with: { upn: "{{ params.upn }}", lookback: "{{ params.days }}" }
  - id: act
    action: entra.blockSignIn
    with: { upn: "{{ params.upn }}", since: "start {{ findings.read.incidentStart }}" }
  - id: tell
    note: "done with {{ params.upn }}"
`;

describe("runbook composition", () => {
  it("copies the steps under the include's id, gives the parameters, rewrites references, and binds shared steps", async () => {
    const dir = mkdtempSync(join(tmpdir(), "azir-compose-"));
    write(dir, "child.yaml", child);
    const parent = write(
      dir,
      "parent.yaml",
      `id: parent
title: parent
params:
  upn: { type: upn, required: true }
steps:
  - id: first
    include: ./child.yaml
    with: { upn: "{{ params.upn }}" }
  - id: second
    include: ./child.yaml
    after: [first]
    bind: { read: first-read }
    with: { upn: "{{ params.upn }}", days: 3d }
`,
    );
    const result = await loadRunbookFile(parent);
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    const steps = result.loaded.runbook.steps;
    expect(steps.map((s) => s.id)).toEqual(["first-read", "first-act", "first-tell", "second-act", "second-tell"]);
    const act = steps.find((s) => s.id === "second-act")!;
    expect(act.with).toEqual({ upn: "{{ params.upn }}", since: "start {{ findings.first-read.incidentStart }}" });
    // after: [first] is every query and action of it, not its note
    expect(act.after).toEqual(["first-read", "first-act"]);
    expect(steps.find((s) => s.id === "first-read")!.with).toEqual({ upn: "{{ params.upn }}", lookback: "7d" });
  });

  it("refuses what cannot be composed, naming the include and its line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "azir-compose-"));
    write(dir, "child.yaml", child);
    const cases: Array<[string, RegExp]> = [
      ["    with: {}\n", /include first: \.\/child\.yaml needs parameter "upn"/],
      ["    with: { upn: a@b.c, nope: 1 }\n", /has no parameter "nope"/],
      ["    with: { upn: a@b.c }\n    bind: { missing: x }\n", /has no step "missing" to bind/],
    ];
    for (const [extra, message] of cases) {
      const file = write(dir, "p.yaml", `id: p\ntitle: p\nsteps:\n  - id: first\n    include: ./child.yaml\n${extra}`);
      const result = await loadRunbookFile(file);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.diagnostics[0]!.message).toMatch(message);
        expect(result.diagnostics[0]!.line).toBe(5);
      }
    }
    const sibling = mkdtempSync(join(tmpdir(), "azir-compose-other-"));
    write(sibling, "child.yaml", child);
    const outside = await loadRunbookFile(write(dir, "out.yaml", `id: o\ntitle: o\nsteps:\n  - id: x\n    include: ../${sibling.split("/").at(-1)}/child.yaml\n    with: { upn: a@b.c }\n`));
    expect(outside.ok).toBe(false);
    if (!outside.ok) expect(outside.diagnostics[0]!.message).toContain("is outside the runbook's folder");
    const absolute = await loadRunbookFile(write(dir, "abs.yaml", "id: a\ntitle: a\nsteps:\n  - id: x\n    include: /etc/passwd\n"));
    expect(absolute.ok).toBe(false);
    if (!absolute.ok) expect(absolute.diagnostics[0]!.message).toContain("a relative path to a .yaml file");
    write(dir, "loop.yaml", "id: loop\ntitle: l\nsteps:\n  - id: again\n    include: ./loop.yaml\n");
    const loop = await loadRunbookFile(join(dir, "loop.yaml"));
    expect(loop.ok).toBe(false);
    if (!loop.ok) expect(loop.diagnostics[0]!.message).toContain("includes itself");
  });

  it("the shipped respond runbook composes into one plan with each role once", async () => {
    const result = await loadRunbookFile(join(process.cwd(), "runbooks", "entra-compromised-user.yaml"));
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    const roles = result.loaded.runbook.steps.map((s) => s.role).filter(Boolean);
    expect(new Set(roles).size).toBe(roles.length);
    expect(result.loaded.runbook.steps.filter((s) => "query" in s && s.query === "kql/signins-for-user.kql")).toHaveLength(1);
  });
});
