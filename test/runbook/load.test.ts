import { describe, expect, it } from "vitest";
import { parseRunbook } from "../../src/runbook/load.js";

const valid = `id: sample
title: Sample
params:
  upn: { type: upn, required: true }
steps:
  - id: one
    note: hello
`;

describe("parseRunbook", () => {
  it("accepts a valid runbook", () => {
    const r = parseRunbook(valid, "x.yaml");
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.loaded.runbook.steps[0]?.id).toBe("one");
  });

  it("points a YAML syntax error at its line and column", () => {
    const r = parseRunbook(`id: x\ntitle: t\nsteps:\n  - id: a\n    note: "unclosed\n`, "bad.yaml");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.diagnostics[0]).toMatchObject({ file: "bad.yaml", line: expect.any(Number), severity: "error" });
      expect(r.diagnostics[0]!.message).toMatch(/^YAML:/);
      expect(r.diagnostics[0]!.line).toBeGreaterThanOrEqual(5);
    }
  });

  it("names the valid step kinds when a step has none, on the step's line", () => {
    const r = parseRunbook(`id: x\ntitle: t\nsteps:\n  - id: a\n    note: ok\n  - id: b\n    shell: rm -rf /\n`, "k.yaml");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      const d = r.diagnostics[0]!;
      expect(d.line).toBe(6);
      expect(d.path).toBe("steps[1]");
      expect(d.hint).toContain("query, action, note");
    }
  });

  it("reports an unknown field inside a known step kind", () => {
    const r = parseRunbook(`id: x\ntitle: t\nsteps:\n  - id: a\n    action: entra.blockSignIn\n    retries: 3\n`, "f.yaml");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics[0]!.message).toContain('"retries"');
  });

  it("refuses a bad parameter type and a malformed step id with their lines", () => {
    const r = parseRunbook(`id: x\ntitle: t\nparams:\n  when: { type: date }\nsteps:\n  - id: Bad_Id\n    note: n\n`, "p.yaml");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.diagnostics.map((d) => d.line).sort()).toEqual([4, 6]);
    }
  });

  it("refuses duplicate keys (a silent override would change the runbook)", () => {
    const r = parseRunbook(`id: x\nid: y\ntitle: t\nsteps:\n  - id: a\n    note: n\n`, "d.yaml");
    expect(r.ok).toBe(false);
  });
});
