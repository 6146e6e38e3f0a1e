import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { diagnosticsFault } from "../../src/tabletop/emulator/logs.js";
import { ids, raw, startHarness, type Harness } from "../azure/fixture.js";

// Log Analytics' error shapes (azure-reference.md 1.3): the emulator's mapping of Kusto.Language diagnostics, and the
// injected partial-result fault on the wire.

const unknownName = (name: string, kind: "table" | "column", line: number, column: number) =>
  kind === "table"
    ? { code: "KS204", message: `The name '${name}' does not refer to any known table, tabular variable or function.`, line, column }
    : { code: "KS142", message: `The name '${name}' does not refer to any known column, table, variable or function.`, line, column };
const innermost = (query: string, diagnostics: Parameters<typeof diagnosticsFault>[1]) => {
  const fault = diagnosticsFault(query, diagnostics);
  expect([fault.status, fault.code, fault.message]).toEqual([400, "BadArgumentError", "The request had some invalid properties"]);
  return { middle: { code: fault.inner?.code, message: fault.inner?.message }, inner: fault.inner?.innererror };
};

describe("Kusto.Language diagnostics as Log Analytics' nested 400", () => {
  it("an unknown table names the operator that reads it (the next one in its pipeline, or union/join)", () => {
    const cases: Array<[string, ReturnType<typeof unknownName>, string]> = [
      ["AADNonInteractiveUserSignInLogs | where TimeGenerated > ago(1d)", unknownName("AADNonInteractiveUserSignInLogs", "table", 1, 1), "'where' operator: Failed to resolve table or column expression named 'AADNonInteractiveUserSignInLogs'"],
      ["let lookback = 1d;\nOfficeActivity\n| summarize count()", unknownName("OfficeActivity", "table", 2, 1), "'summarize' operator: Failed to resolve table or column expression named 'OfficeActivity'"],
      ["union SigninLogs, OfficeActivity", unknownName("OfficeActivity", "table", 1, 19), "'union' operator: Failed to resolve table or column expression named 'OfficeActivity'"],
      ["SigninLogs | join kind=inner (OfficeActivity | where x == '|') on Id", unknownName("OfficeActivity", "table", 1, 31), "'where' operator: Failed to resolve table or column expression named 'OfficeActivity'"],
      // A bare unknown name that starts the query is read as a table, and no operator reads it.
      ["OfficeActivity", unknownName("OfficeActivity", "column", 1, 1), "Failed to resolve table or column expression named 'OfficeActivity'"],
    ];
    for (const [query, diagnostic, message] of cases) {
      expect(innermost(query, [diagnostic]), query).toEqual({ middle: { code: "SemanticError", message: "A semantic error occurred." }, inner: { code: "SEM0100", message } });
    }
  });

  it("an unknown column is a scalar expression the operator could not resolve", () => {
    const query = "SigninLogs | where UserPrincipalName has 'a|b' | summarize count() by Nope";
    expect(innermost(query, [unknownName("Nope", "column", 1, 71)]).inner).toEqual({ code: "SEM0100", message: "'summarize' operator: Failed to resolve scalar expression named 'Nope'" });
  });

  it("a parse error wins over the names it leaves unresolved: SyntaxError > SYN0002 with line, 0-based position and token", () => {
    const query = "completely invalid syntax";
    const diagnostics = [
      unknownName("completely", "column", 1, 1),
      { code: "KS005", message: "Expected: ;", line: 1, column: 12 },
      unknownName("invalid", "column", 1, 12),
    ];
    // The service's own answer to this query (azure-sdk-for-js monitor-query recording).
    expect(innermost(query, diagnostics)).toEqual({
      middle: { code: "SyntaxError", message: "A recognition error occurred in the query." },
      inner: { code: "SYN0002", message: "Query could not be parsed at 'invalid' on line [1,11]", line: 1, pos: 11, token: "invalid" },
    });
    const eof = innermost("SigninLogs\n| where (IPAddress == 'x'", [{ code: "KS005", message: "Expected: )", line: 2, column: 26 }]).inner;
    expect(eof).toMatchObject({ message: "Query could not be parsed at '<EOF>' on line [2,25]", token: "<EOF>" });
  });

  it("any other diagnostic is a SemanticError with Kusto.Language's code and text innermost", () => {
    const query = "SigninLogs | extend x = nosuchfn(1)";
    expect(innermost(query, [{ code: "KS211", message: "The name 'nosuchfn' does not refer to any known function.", line: 1, column: 25 }])).toEqual({
      middle: { code: "SemanticError", message: "A semantic error occurred." },
      inner: { code: "KS211", message: "The name 'nosuchfn' does not refer to any known function. [line:position=1:25]" },
    });
  });
});

describe("the injected partial fault on the wire", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("200 with the kept rows and a PartialError whose details[].innererror holds a generic engine error", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { path: "/query$", service: "logs" }, partial: true, partialRows: 1 }] } });
    const res = await raw(h, "POST", `/v1/workspaces/${ids.workspace}/query`, { body: { query: "SigninLogs" } });
    expect(res.status).toBe(200);
    const body = res.json as { tables: Array<{ rows: unknown[] }>; error: unknown };
    expect(body.tables[0]?.rows).toHaveLength(1);
    expect(body.error).toEqual({
      code: "PartialError",
      message: "There were some errors when processing your query.",
      details: [
        {
          code: "EngineError",
          message: "Something went wrong processing your query on the server.",
          innererror: { code: "EngineError", message: "Partial query failure: the query engine failed on part of the data (injected fault).", severity: 2 },
        },
      ],
    });
    // Through the SDK: the adapter takes the reason from the raw body, and names no limit.
    const result = await h.ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs" });
    expect(result.complete).toBe(true);
    h.emulator.setFaults({ rules: [{ match: { path: "/query$", service: "logs" }, partial: true, partialRows: 2 }] });
    const partial = await h.ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs" });
    expect(partial.complete).toBe(false);
    if (!partial.complete) expect(partial.reason).toEqual({ code: "PartialError", message: "Partial query failure: the query engine failed on part of the data (injected fault)." });
    expect(partial.tables[0]?.rows).toHaveLength(2);
  });
});
