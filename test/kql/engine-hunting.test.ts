import { describe, expect, it } from "vitest";
import { UnsupportedKqlError, compile } from "../../src/kql/engine/index.js";
import { column, query } from "./engine-helpers.js";

// The constructs real hunting queries are made of, each in a small query of our own.
describe("user-defined functions (let with a body)", () => {
  it("scalar functions with defaults, called in a row context and nested", async () => {
    const r = await query('let tag = (s:string, n:long = 3) { strcat(s, "-", tostring(n)) }; datatable(x:string)["p","q"] | extend y = tag(x), z = tag(x, 5) | where tag(x) == "p-3"');
    expect(r.rows).toEqual([["p", "p-3", "p-5"]]);
    expect(await column("let twice = (a:long) { a * 2 }; print twice(twice(3))")).toEqual([12]);
  });

  it("tabular functions with lets in the body, called twice with different arguments", async () => {
    const r = await query('let f = (a:string, n:long = 3) { let k = strcat(a, "!"); let T = datatable(v:string)["z"]; T | extend w = strcat(k, v, tostring(n)) }; f("x") | union f("y", 5) | order by w asc');
    expect(r.rows).toEqual([
      ["z", "x!z3"],
      ["z", "y!z5"],
    ]);
  });

  it("a tabular parameter", async () => {
    expect(await column("let T = datatable(x:long)[1,2,3]; let above = (t:(x:long), m:long) { t | where x > m }; above(T, 1) | order by x asc")).toEqual([2, 3]);
  });
});
