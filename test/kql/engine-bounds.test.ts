import { describe, expect, it } from "vitest";
import { query } from "./engine-helpers.js";

// The local engine holds under hostile queries: regular expressions run in linear time (RE2 semantics, as Kusto's),
// and an operator that would produce more rows than the engine holds is refused with a clear error.

describe("engine bounds", () => {
  it("a catastrophic-backtracking pattern answers at once", async () => {
    const text = `${"a".repeat(60)}!`;
    // The parser is loaded first (seconds on a busy machine): the bound is on the query, not on that.
    await query(`print 1`);
    const started = Date.now();
    const r = await query(`datatable(s:string)["${text}", "aaaa"] | where s matches regex "^(a+)+$" | count`);
    expect(r.rows[0]![0]).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
  }, 30_000);

  it("RE2 refuses what it does not have (a back-reference) by name, never a wrong answer", async () => {
    await expect(query(`print x = extract(@"(a)\\1", 0, "aa")`)).rejects.toThrow(/not supported by the local engine: this regular expression syntax/);
  });

  it("\\s keeps matching Unicode spaces, and replace_regex's \\1 names a group while $1 stays text", async () => {
    const r = await query(`print a = " x " matches regex @"\\sx", b = replace_regex("ab", @"(a)(b)", @"\\2\\1$1")`);
    expect(r.rows[0]).toEqual([true, "ba$1"]);
  });

  it("a join that would produce more than 10,000,000 rows is refused", async () => {
    const q = "range x from 1 to 3200 step 1 | extend k = 1 | join kind=inner (range y from 1 to 3200 step 1 | extend k = 1) on k | count";
    await expect(query(q)).rejects.toThrow(/a join of more than 10,000,000 rows/);
  }, 60_000);
});
