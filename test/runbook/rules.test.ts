import { describe, expect, it } from "vitest";
import { parseRunbook } from "../../src/runbook/load.js";
import { ruleContext } from "../../src/runbook/registry.js";
import { checkRunbook, type RuleContext } from "../../src/runbook/rules.js";

const fake: RuleContext = {
  actionOutputs: (n) => (n === "entra.blockSignIn" ? ["userId"] : undefined),
  actionNames: () => ["entra.blockSignIn"],
  analyzerOutputs: (n) => (n === "signins" ? ["incidentStart", "rowCount"] : undefined),
  analyzerNames: () => ["signins"],
  kqlParameters: (q) => (q === "kql/ok.kql" ? { ok: true, parameters: ["upn"] } : { ok: false, problem: `KQL file not found: ${q}` }),
};

function problems(yaml: string, context = fake) {
  const r = parseRunbook(yaml, "r.yaml");
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return checkRunbook(r.loaded, context);
}

const head = `id: r\ntitle: t\nparams:\n  upn: { type: upn, required: true }\nsteps:\n`;

describe("runbook rules", () => {
  it("passes a correct runbook", () => {
    expect(
      problems(`${head}  - id: s\n    query: kql/ok.kql\n    analyze: signins\n    with: { upn: "{{ params.upn }}" }\n  - id: b\n    action: entra.blockSignIn\n    with: { upn: "{{ params.upn }}", since: "{{ findings.s.incidentStart }}" }\n`),
    ).toEqual([]);
  });

  it("checks a query's form for several users: its parameters, with the user's replaced by a list", () => {
    const context: RuleContext = {
      ...fake,
      kqlParameters: (q) => ({ "kql/ok.kql": { ok: true as const, parameters: ["upn"] }, "kql/many.kql": { ok: true as const, parameters: ["upns"] }, "kql/bad.kql": { ok: true as const, parameters: ["upns", "extra"] } })[q] ?? { ok: false, problem: `KQL file not found: ${q}` },
    };
    const step = (forUsers: string) => `${head}  - id: s\n    query: kql/ok.kql\n    forUsers: ${forUsers}\n    with: { upn: "{{ params.upn }}" }\n`;
    expect(problems(step("kql/many.kql"), context)).toEqual([]);
    expect(problems(step("kql/bad.kql"), context).map((p) => p.message)).toEqual(["kql/bad.kql must declare the parameters of kql/ok.kql with one of them (the user) replaced by a list"]);
    expect(problems(step("kql/none.kql"), context).map((p) => p.message)).toEqual(["KQL file not found: kql/none.kql"]);
  });

  it("names the valid actions for an unknown one, on its line", () => {
    const [p] = problems(`${head}  - id: b\n    action: entra.blockSigin\n`);
    expect(p).toMatchObject({ line: 7, message: 'unknown action "entra.blockSigin"' });
    expect(p!.hint).toContain("entra.blockSignIn");
  });

  it("finds a cycle and names it", () => {
    const ps = problems(`${head}  - id: a\n    note: x\n    after: [b]\n  - id: b\n    note: y\n    after: [a]\n`);
    expect(ps.some((p) => /cycle: (a -> b -> a|b -> a -> b)/.test(p.message))).toBe(true);
  });

  it("catches duplicate ids, missing after targets, missing KQL files and ungiven query parameters", () => {
    const ps = problems(`${head}  - id: a\n    note: x\n  - id: a\n    note: y\n    after: [ghost]\n  - id: q\n    query: kql/none.kql\n  - id: q2\n    query: kql/ok.kql\n`);
    const messages = ps.map((p) => p.message).join("\n");
    expect(messages).toContain('duplicate step id "a"');
    expect(messages).toContain('"ghost"');
    expect(messages).toContain("KQL file not found: kql/none.kql");
    expect(messages).toContain('query parameter "upn" of kql/ok.kql is not given');
  });

  it("checks every template reference: parameter, step, order and output key", () => {
    const ps = problems(
      `${head}  - id: s\n    query: kql/ok.kql\n    analyze: signins\n    with: { upn: "{{ params.user }}" }\n  - id: n\n    note: "{{ findings.s.nothing }} {{ findings.ghost.x }}"\n  - id: b\n    action: entra.blockSignIn\n    with: { x: "{{ findings.later.y }}", bad: "{{ env.HOME }}" }\n  - id: later\n    note: z\n`,
    );
    const messages = ps.map((p) => p.message).join("\n");
    expect(messages).toContain('no parameter "user"');
    expect(messages).toContain('step "s" has no output "nothing"');
    expect(messages).toContain('no step "ghost"');
    expect(messages).toContain("is not a template azir knows");
  });

  it("accepts only optional tables whose schema azir knows", () => {
    const ps = problems(`${head}  - id: s\n    query: kql/ok.kql\n    optionalTables: [AADNonInteractiveUserSignInLogs, MadeUpTable]\n    with: { upn: "{{ params.upn }}" }\n`);
    expect(ps.map((p) => p.message)).toEqual(['"MadeUpTable" is not a table azir knows the schema of']);
  });

  it("reports an output key the step does not produce", () => {
    const ps = problems(`${head}  - id: s\n    query: kql/ok.kql\n    analyze: signins\n    with: { upn: "{{ params.upn }}" }\n  - id: b\n    action: entra.blockSignIn\n    with: { upn: "{{ findings.s.nope }}" }\n`);
    expect(ps.map((p) => p.message)).toEqual(['{{ findings.s.nope }}: step "s" has no output "nope"']);
  });

  it("the shipped registries know the shipped runbooks' actions and analyzers", () => {
    const context = ruleContext();
    expect(context.actionNames()).toEqual(expect.arrayContaining(["entra.blockSignIn", "entra.revokeSessions", "entra.removeAuthMethods", "entra.confirmCompromised"]));
    expect(context.analyzerOutputs("signins")).toContain("incidentStart");
  });
});
