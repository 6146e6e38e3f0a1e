import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeKql } from "../../src/kql/engine/kusto-language.js";
import { identifiersIn, parseQueryFile, renderQuery } from "../../src/kql/render.js";
import { tableSchemas } from "../../src/kql/tables.js";

const root = join(import.meta.dirname, "..", "..");
const kqlDir = join(root, "kql");
const runbookDir = join(root, "runbooks");
const files = readdirSync(kqlDir)
  .filter((f) => f.endsWith(".kql"))
  .sort();
const runbooks = readdirSync(runbookDir).filter((f) => /\.ya?ml$/.test(f));

// Sample values per declared type, to check that the rendered form analyses cleanly too.
const samples: Record<string, unknown> = {
  string: "alex@contoso.com",
  timespan: "14d",
  datetime: "2026-11-20T08:00:00Z",
  long: 5,
  bool: true,
  dynamic: ["a", "b"],
};

describe("the kql/ corpus", () => {
  it("holds the shipped queries", () => {
    expect(files).toEqual(
      expect.arrayContaining([
        "audit-for-user.kql",
        "defender-alerts.kql",
        "devicecode-hunt.kql",
        "office-for-user.kql",
        "risk-detections.kql",
        "signins-for-user.kql",
        "signins-since.kql",
      ]),
    );
  });

  describe.each(files)("%s", (file) => {
    const text = readFileSync(join(kqlDir, file), "utf8");

    it("starts with a comment saying what it answers, then the parameter declaration", () => {
      const lines = text.split("\n");
      expect(lines[0]).toMatch(/^\/\/ \S/);
      expect(text).toMatch(/^(?:\/\/[^\n]*\n)+declare query_parameters\(/);
    });

    it("parses and analyses without any diagnostic against the declared schemas", async () => {
      const diagnostics = await analyzeKql(text, tableSchemas);
      expect(diagnostics.map((d) => `${file}:${d.line}:${d.column} ${d.code} ${d.message}`)).toEqual([]);
    });

    it("declares every parameter it uses and uses every parameter it declares", () => {
      const { parameters, body } = parseQueryFile(text, file);
      const used = identifiersIn(body);
      for (const p of parameters) expect(used.has(p.name), `${file} declares ${p.name} but never uses it`).toBe(true);
      // A parameter used but not declared shows up as an unknown name in the analysis above; here, the rendered
      // text (declaration replaced by let statements) must analyse cleanly as well.
      const values = Object.fromEntries(parameters.map((p) => [p.name, samples[p.type]]));
      return analyzeKql(renderQuery(text, values, file), tableSchemas).then((d) => expect(d).toEqual([]));
    });
  });

  it.skipIf(runbooks.length === 0)("has no orphan query: every kql file is used by a runbook", () => {
    const referenced = runbooks.map((f) => readFileSync(join(runbookDir, f), "utf8")).join("\n");
    const orphans = files.filter((f) => !referenced.includes(`kql/${f}`));
    expect(orphans).toEqual([]);
  });
});
