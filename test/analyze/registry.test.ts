import { describe, expect, it } from "vitest";
import { analyzers } from "../../src/analyze/index.js";
import { input } from "./fixtures.js";

const withFor: Record<string, Record<string, unknown>> = {
  signins: { upn: "alex@contoso.com", windowStart: "2026-11-11T00:00:00Z" },
  audit: { upn: "alex@contoso.com", incidentStart: null },
  office: { upn: "alex@contoso.com", incidentStart: null },
  "signin-after-containment": { upn: "alex@contoso.com", since: "2026-11-25T08:00:00Z" },
};

describe("analyzer registry", () => {
  it("registers every analyzer under its own name", () => {
    expect(Object.keys(analyzers).sort()).toEqual(["alerts", "audit", "coverage", "devicecode-hunt", "office", "risk", "signin-after-containment", "signins"]);
    for (const [name, a] of Object.entries(analyzers)) expect(a.name).toBe(name);
  });

  it.each(Object.keys(analyzers))("%s sets every declared output, even on no rows", (name) => {
    const result = analyzers[name]!.analyze(input([], withFor[name] ?? {}));
    expect(result.findings).toEqual([]);
    for (const key of analyzers[name]!.outputs) expect(result.outputs, key).toHaveProperty(key);
  });
});
