import { describe, expect, it } from "vitest";
import { AzirError } from "../../src/core/errors.js";
import { analyzeKqlTree, type SyntaxNode } from "../../src/kql/engine/kusto-language.js";
import { identifiersIn, kqlString, parseQueryFile, renderQuery } from "../../src/kql/render.js";
import { tableSchemas } from "../../src/kql/tables.js";

/** Decodes a KQL double-quoted string literal (the escapes Kusto defines), independently of the renderer. */
function decodeKqlString(literal: string): string {
  expect(literal.startsWith('"') && literal.endsWith('"')).toBe(true);
  const inner = literal.slice(1, -1);
  let out = "";
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (ch === '"') throw new Error(`unescaped quote at ${i}: the literal would end early`);
    if (ch === "\n" || ch === "\r") throw new Error("raw line break inside a literal");
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const next = inner[++i];
    const simple: Record<string, string> = { "\\": "\\", '"': '"', "'": "'", n: "\n", r: "\r", t: "\t" };
    if (next === undefined || !(next in simple)) throw new Error(`unknown escape \\${next ?? ""}`);
    out += simple[next];
  }
  return out;
}

function walk(node: SyntaxNode, visit: (n: SyntaxNode) => void): void {
  visit(node);
  for (const c of node.children) walk(c, visit);
}

function rejects(fn: () => unknown): AzirError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AzirError);
    return e as AzirError;
  }
  throw new Error("expected a validation error");
}

const stringQuery = "// test\ndeclare query_parameters(name:string);\nprint name\n";

const hostile = [
  'a"b',
  "back\\slash",
  "trailing\\",
  '\\"',
  "line\nbreak",
  "cr\rlf\r\n",
  "tab\there",
  '"; SigninLogs | take 1 //',
  "'; SigninLogs | take 1 //",
  "x' or 1==1 //",
  "ünïcödé ✓ 日本語 😀",
  "\u2028\u2029",
  "",
  "@\"verbatim\"",
  "}{)(][",
];

describe("parseQueryFile", () => {
  it("reads the declaration after the comment lines", () => {
    const q = parseQueryFile("// what\n\ndeclare query_parameters(upn:string, lookback:timespan, since:datetime);\nSigninLogs | take 1\n");
    expect(q.parameters).toEqual([
      { name: "upn", type: "string" },
      { name: "lookback", type: "timespan" },
      { name: "since", type: "datetime" },
    ]);
    expect(q.body).toBe("SigninLogs | take 1\n");
  });

  it("accepts a query without parameters", () => {
    expect(parseQueryFile("SigninLogs | take 1")).toEqual({ parameters: [], body: "SigninLogs | take 1" });
  });

  it("refuses unknown types, default values, duplicates and a declaration that is not first", () => {
    expect(rejects(() => parseQueryFile("declare query_parameters(a:guid);\nT", "kql/x.kql")).message).toMatch(/kql\/x\.kql.*`a`.*guid/);
    expect(rejects(() => parseQueryFile("declare query_parameters(a:long = 5);\nT")).message).toMatch(/cannot read/);
    expect(rejects(() => parseQueryFile("declare query_parameters(a:long, a:long);\nT")).message).toMatch(/twice/);
    expect(rejects(() => parseQueryFile("T | take 1;\ndeclare query_parameters(a:long);\nT")).message).toMatch(/first statement/);
  });
});

describe("renderQuery", () => {
  const all =
    "// q\ndeclare query_parameters(upn:string, lookback:timespan, since:datetime, n:long, flag:bool, ids:dynamic);\nSigninLogs | take 1\n";

  it("replaces the declaration with one typed let statement per parameter", () => {
    const out = renderQuery(all, {
      upn: "alex@contoso.com",
      lookback: "14d",
      since: "2026-11-20T10:00:00+02:00",
      n: 5,
      flag: true,
      ids: ["a", "b"],
    });
    expect(out).toBe(
      [
        "// q",
        'let upn = "alex@contoso.com";',
        "let lookback = 14d;",
        "let since = datetime(2026-11-20T08:00:00.000Z);",
        "let n = 5;",
        "let flag = true;",
        'let ids = dynamic(["a","b"]);',
        "SigninLogs | take 1",
        "",
      ].join("\n"),
    );
  });

  it("renders durations given in milliseconds or as text, and Date values", () => {
    const q = "declare query_parameters(t:timespan, d:datetime);\nprint t, d";
    expect(renderQuery(q, { t: 90 * 60_000, d: new Date("2026-11-20T08:00:00Z") })).toContain("let t = 90m;\nlet d = datetime(2026-11-20T08:00:00.000Z);");
    expect(renderQuery(q, { t: "1h30m", d: "2026-11-20" })).toContain("let t = 90m;");
    expect(renderQuery(q, { t: 1500, d: "2026-11-20T08:00:00Z" })).toContain("let t = 1500ms;");
  });

  it("refuses missing, extra and ill-typed values, naming the parameter and the file", () => {
    const file = "kql/all.kql";
    const good = { upn: "alex@contoso.com", lookback: "14d", since: "2026-11-20T08:00:00Z", n: 1, flag: false, ids: [] };
    const { upn: _omit, ...noUpn } = good;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [noUpn, /no value for parameter `upn`/],
      [{ ...good, extra: 1 }, /`extra`, which the query does not declare/],
      [{ ...good, lookback: "fortnight" }, /`lookback` \(timespan\)/],
      [{ ...good, lookback: 1.5 }, /`lookback` \(timespan\)/],
      [{ ...good, since: "20 Nov 2026" }, /`since` \(datetime\)/],
      [{ ...good, since: "2026-11-20T08:00:00" }, /`since` \(datetime\)/],
      [{ ...good, since: "2026-13-45T08:00:00Z" }, /`since` \(datetime\)/],
      [{ ...good, since: "2026-02-30T08:00:00Z" }, /`since` \(datetime\) is not a valid calendar date/],
      [{ ...good, n: 2 ** 60 }, /`n` \(long\)/],
      [{ ...good, n: "5" }, /`n` \(long\)/],
      [{ ...good, flag: "true" }, /`flag` \(bool\)/],
      [{ ...good, ids: "a,b" }, /`ids` \(dynamic\)/],
      [{ ...good, ids: [new Date(0)] }, /`ids` \(dynamic\)/],
      [{ ...good, ids: ["ok", "bell\u0007"] }, /`ids` \(dynamic\)/],
    ];
    for (const [values, message] of cases) {
      const e = rejects(() => renderQuery(all, values, file));
      expect(e.code).toBe("validation");
      expect(e.message).toMatch(message);
      expect(e.message).toContain(file);
      expect(e.hint).toBeTruthy();
    }
  });

  it("refuses a upn that is not a UPN before any query is built", () => {
    const q = "declare query_parameters(upn:string);\nSigninLogs | where UserPrincipalName =~ upn";
    for (const bad of ["x' or 1==1 //", 'a"b@c.com', "alex@contoso.com\n| take 1", "", "alex"]) {
      expect(rejects(() => renderQuery(q, { upn: bad })).message).toMatch(/`upn`.*user principal name/);
    }
    expect(renderQuery(q, { upn: "o.neil+ir@contoso.com" })).toContain('let upn = "o.neil+ir@contoso.com";');
  });

  it("refuses control characters other than tab and line breaks, and values over 1,000 characters", () => {
    expect(rejects(() => renderQuery(stringQuery, { name: "nul\u0000" })).message).toMatch(/control character/);
    expect(rejects(() => renderQuery(stringQuery, { name: "esc\u001b[31m" })).message).toMatch(/control character/);
    expect(rejects(() => renderQuery(stringQuery, { name: "lone \ud800 surrogate" })).message).toMatch(/surrogate/);
    expect(rejects(() => renderQuery(stringQuery, { name: "x".repeat(1001) })).message).toMatch(/1000/);
    expect(renderQuery(stringQuery, { name: "x".repeat(1000) })).toContain("x".repeat(1000));
  });

  it("renders hostile strings as one literal that decodes back to exactly the input", () => {
    for (const value of hostile) {
      const out = renderQuery(stringQuery, { name: value });
      const line = /^let name = (.*);\nprint name\n$/s.exec(out.replace("// test\n", ""));
      expect(line, JSON.stringify(value)).not.toBeNull();
      expect(decodeKqlString(line![1]!)).toBe(value);
      expect(kqlString(value)).toBe(line![1]);
    }
  });

  it("is read by Kusto.Language as a single let statement whose literal value is the input", async () => {
    for (const value of hostile) {
      const out = renderQuery(stringQuery, { name: value });
      const { diagnostics, tree } = await analyzeKqlTree(out, tableSchemas);
      expect(diagnostics, JSON.stringify(value)).toEqual([]);
      const lets: SyntaxNode[] = [];
      const statements: string[] = [];
      walk(tree, (n) => {
        if (n.kind === "LetStatement") lets.push(n);
        if (n.kind.endsWith("Statement")) statements.push(n.kind);
      });
      expect(lets).toHaveLength(1);
      expect(statements.sort()).toEqual(["ExpressionStatement", "LetStatement"]);
      const literals: SyntaxNode[] = [];
      walk(lets[0]!, (n) => {
        if (n.kind === "StringLiteralExpression") literals.push(n);
      });
      expect(literals).toHaveLength(1);
      expect(literals[0]!.value).toBe(value);
    }
  });

  it("keeps a dynamic value intact through Kusto.Language", async () => {
    const value = ['a"b', "c\\d", "e\nf", { k: "日本", n: 1.5, b: null }];
    const out = renderQuery("declare query_parameters(ids:dynamic);\nprint ids", { ids: value });
    const { diagnostics, tree } = await analyzeKqlTree(out, tableSchemas);
    expect(diagnostics).toEqual([]);
    const dyn: SyntaxNode[] = [];
    walk(tree, (n) => {
      if (n.kind === "DynamicExpression") dyn.push(n);
    });
    expect(dyn).toHaveLength(1);
    expect(out).toContain(`let ids = dynamic(${JSON.stringify(value)});`);
  });
});

describe("identifiersIn", () => {
  it("skips comments, strings and member names", () => {
    const names = identifiersIn('// upn here\nT | where A == "upn" and B.lookback == 1 and C == since');
    expect(names.has("upn")).toBe(false);
    expect(names.has("lookback")).toBe(false);
    expect(names.has("since")).toBe(true);
  });
});
