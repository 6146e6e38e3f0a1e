import { describe, expect, it } from "vitest";
import { UnsupportedKqlError, compile } from "../../src/kql/engine/index.js";
import { column, query } from "./engine-helpers.js";

const T = "datatable(k:string, v:long, t:datetime)[" +
  '"a", 1, datetime(2026-11-20T08:00:00Z), "b", 5, datetime(2026-11-21T08:00:00Z), "a", 3, datetime(2026-11-22T08:00:00Z), "c", long(null), datetime(2026-11-23T08:00:00Z)]';

describe("tabular operators", () => {
  it("where, project, extend, project-away, project-rename", async () => {
    const r = await query(`${T} | where v > 1 | extend w = v * 2 | project-away t | project-rename key = k | project key, w`);
    expect(r.columns).toEqual([
      { name: "key", type: "string" },
      { name: "w", type: "long" },
    ]);
    expect(r.rows).toEqual([
      ["b", 10],
      ["a", 6],
    ]);
  });

  it("summarize with by, bin and Kusto's automatic column names", async () => {
    const r = await query(`${T} | summarize count(), dcount(k), sum(v), countif(v > 2) by bin(t, 2d) | order by t asc`);
    expect(r.columns.map((c) => c.name)).toEqual(["t", "count_", "dcount_k", "sum_v", "countif_"]);
    expect(r.rows.map((x) => x.slice(1))).toEqual([
      [1, 1, 1, 0],
      [2, 2, 8, 2],
      [1, 1, 0, 0],
    ]);
  });

  it("summarize aggregates: avg, min, max, arg_max, arg_min, make_list, make_set, dcountif, take_any", async () => {
    const r = await query(
      `${T} | summarize a = avg(v), mn = min(v), mx = max(v), arg_max(v, k), arg_min(v, k), l = make_list(k), s = make_set(k), d = dcountif(k, v > 1), any = take_any(k)`,
    );
    expect(r.columns.map((c) => c.name)).toEqual(["a", "mn", "mx", "v", "k", "v1", "k1", "l", "s", "d", "any"]);
    expect(r.rows[0]).toEqual([3, 1, 5, 5, "b", 1, "a", ["a", "b", "a", "c"], ["a", "b", "c"], 2, "a"]);
  });

  it("count(x) of a value that is not a bool counts every row, nulls included; count() of a bool is refused", async () => {
    const r = await query('datatable(g:string, x:long, s:string, d:dynamic)["a", 1, "", dynamic(null), "a", long(null), "q", dynamic([1]), "b", long(null), "", dynamic(null)] | summarize c = count(), cx = count(x), cs = count(s), cd = count(d) by g | order by g asc');
    expect(r.rows).toEqual([
      ["a", 2, 2, 2, 2],
      ["b", 1, 1, 1, 1],
    ]);
    await expect(query("datatable(x:long)[1, 2] | summarize c = count(x > 1)")).rejects.toThrow("count() of a bool");
    // another diagnostic in the same query is still an error of the query
    const bad = await compile("datatable(x:long)[1] | summarize c = count(x), d = sum(y)", {});
    expect(bad.ok).toBe(false);
  });

  it("summarize items that are expressions over aggregates", async () => {
    const r = await query('datatable(g:string, d:datetime)["a", datetime(2020-01-01), "a", datetime(2020-01-05), "b", datetime(2020-01-10)] | summarize n = count(), span = max(d) - min(d), late = 100.0 * countif(d > datetime(2020-01-02)) / count() by g | order by g asc');
    expect(r.columns.map((c) => `${c.name}:${c.type}`)).toEqual(["g:string", "n:long", "span:timespan", "late:real"]);
    expect(r.rows).toEqual([
      ["a", 2, 4n * 864_000_000_000n, 50],
      ["b", 1, 0n, 100],
    ]);
  });

  it("join on real keys matches NaN with NaN; a -0 key, or a real key against an integer one, is refused", async () => {
    const r = await query('let L = datatable(k:real, lv:string)[real(nan), "a", 1.5, "b", 2.0, "c"]; let R = datatable(k:real, rv:string)[real(nan), "x", 1.5, "y"]; L | join kind=inner R on k | project lv, rv | order by lv asc');
    expect(r.rows).toEqual([
      ["a", "x"],
      ["b", "y"],
    ]);
    await expect(query('let L = datatable(k:real)[0.0]; let R = datatable(k:real)[1.0]; L | extend k = k * -1.0 | join kind=inner R on k')).rejects.toThrow("real key of -0");
  });

  it("lookup with a repeated right key gives every pair", async () => {
    const r = await query('let L = datatable(k:long, lv:string)[1, "a", 2, "b", 3, "c"]; let R = datatable(k:long, rv:string)[1, "x", 1, "x2", 3, "z"]; L | lookup kind=leftouter R on k | order by k asc, rv asc');
    expect(r.rows).toEqual([
      [1, "a", "x"],
      [1, "a", "x2"],
      [2, "b", ""],
      [3, "c", "z"],
    ]);
  });

  it("partition by a column runs the subquery over each value's rows; more than 64 values are refused", async () => {
    const r = await query("datatable(k:long, v:long)[1, 10, 1, 20, 2, 30, long(null), 5, long(null), 7] | partition by k (top 1 by v desc) | order by v asc");
    expect(r.rows).toEqual([
      [null, 7],
      [1, 20],
      [2, 30],
    ]);
    const sums = await query('datatable(i:long)[1, 2, 3, 4, 5, 6] | extend g = i % 2 | partition by g (summarize s = sum(i) | extend tag = "p") | order by s asc');
    expect(sums.rows).toEqual([
      [9, "p"],
      [12, "p"],
    ]);
    await expect(query("range i from 1 to 65 step 1 | partition by i (take 1)")).rejects.toThrow("more than 64 parts");
  });

  it("order by defaults to descending with nulls last; ascending puts nulls first", async () => {
    expect(await column(`${T} | order by v | project v`)).toEqual([5, 3, 1, null]);
    expect(await column(`${T} | order by v asc | project v`)).toEqual([null, 1, 3, 5]);
    expect(await column(`${T} | sort by v asc nulls last | project v`)).toEqual([1, 3, 5, null]);
  });

  it("top, take, limit, distinct, count", async () => {
    expect(await column(`${T} | top 2 by v | project v`)).toEqual([5, 3]);
    expect((await query(`${T} | take 2`)).rows).toHaveLength(2);
    expect((await query(`${T} | limit 1`)).rows).toHaveLength(1);
    expect((await column(`${T} | distinct k`)).sort()).toEqual(["a", "b", "c"]);
    expect(await query(`${T} | count`)).toEqual({ columns: [{ name: "Count", type: "long" }], rows: [[4]] });
  });

  it("datatable, print, range, let", async () => {
    expect(await column("range i from 1 to 10 step 4")).toEqual([1, 5, 9]);
    const r = await query("let n = 2; let X = datatable(a:long)[1, 2, 3]; X | where a >= n | extend b = a * n");
    expect(r.rows).toEqual([
      [2, 4],
      [3, 6],
    ]);
    expect((await query('print 1, "x"')).columns.map((c) => c.name)).toEqual(["print_0", "print_1"]);
  });

  it("join kinds: inner, leftouter, leftanti, leftsemi, innerunique", async () => {
    const L = 'datatable(id:long, l:string)[1, "x", 2, "y", 3, "z"]';
    const R = 'datatable(id:long, r:string)[1, "p", 1, "q", 3, "s", 4, "t"]';
    expect((await query(`${L} | join kind=inner (${R}) on id | project l, r | order by r asc`)).rows).toEqual([
      ["x", "p"],
      ["x", "q"],
      ["z", "s"],
    ]);
    const outer = await query(`${L} | join kind=leftouter (${R}) on id | order by id asc, r asc`);
    expect(outer.columns.map((c) => c.name)).toEqual(["id", "l", "id1", "r"]);
    expect(outer.rows.at(-1)).toEqual([3, "z", 3, "s"]);
    expect(outer.rows.find((r) => r[0] === 2)).toEqual([2, "y", null, ""]);
    expect(await column(`${L} | join kind=leftanti (${R}) on id | project l`)).toEqual(["y"]);
    expect((await column(`${L} | join kind=leftsemi (${R}) on id | project l`)).sort()).toEqual(["x", "z"]);
    expect((await query(`${L} | join (${R}) on id`)).rows).toHaveLength(3);
    // innerunique keeps one left row per key (Kusto picks any; the engine the first).
    expect((await query(`datatable(id:long, l:string)[1, "x", 1, "w"] | join (${R}) on id | project l, r | order by r asc`)).rows).toEqual([
      ["x", "p"],
      ["x", "q"],
    ]);
  });

  it("union by column name, with type-suffixed columns when types differ", async () => {
    const r = await query('union (print a = 1), (print a = "x") | project a_long, a_string');
    expect(r.rows).toHaveLength(2);
    expect(r.rows).toEqual(expect.arrayContaining([
      [1, ""],
      [null, "x"],
    ]));
    expect(await query("datatable(a:long)[1] | union (datatable(a:long)[2]) | count")).toMatchObject({ rows: [[2]] });
  });

  it("mv-expand arrays, bags and typed results", async () => {
    const r = await query('print d = dynamic([1, 2, 3]), k = "x" | mv-expand d to typeof(long) | project d');
    expect(r.columns).toEqual([{ name: "d", type: "long" }]);
    expect(r.rows).toEqual([[1], [2], [3]]);
    const bags = await query('print d = dynamic({"a": 1, "b": 2}) | mv-expand d');
    expect(bags.rows).toEqual([[{ a: 1 }], [{ b: 2 }]]);
  });

  it("lookup adds the right side's non-key columns", async () => {
    const r = await query('datatable(k:long, v:long)[1, 10, 2, 20] | lookup (datatable(k:long, name:string)[1, "one"]) on k | order by k asc');
    expect(r.columns.map((c) => c.name)).toEqual(["k", "v", "name"]);
    expect(r.rows).toEqual([
      [1, 10, "one"],
      [2, 20, ""],
    ]);
  });

  it("window functions over serialized rows: row_number, prev, next, row_cumsum", async () => {
    const r = await query(
      'datatable(g:string, x:long)["a", 1, "a", 2, "b", 5] | order by g asc, x asc | extend rn = row_number(), p = prev(x), n = next(x), c = row_cumsum(x), rg = row_number(1, g != prev(g))',
    );
    expect(r.rows.map((x) => x.slice(2))).toEqual([
      [1, null, 2, 1, 1],
      [2, 1, 5, 3, 2],
      [3, 2, null, 8, 1],
    ]);
    expect((await query("datatable(x:long)[3, 4] | serialize s = prev(x, 1, 0)")).rows).toEqual([
      [3, 0],
      [4, 3],
    ]);
  });

  it("parse: simple kind (anchored, lazy columns) and regex kind (greedy columns)", async () => {
    const simple = await query('print s = "user=alex role=admin ttl=30" | parse s with "user=" u " role=" r " ttl=" t:int');
    expect(simple.rows[0]!.slice(1)).toEqual(["alex", "admin", 30]);
    const nomatch = await query('print s = "nothing here" | parse s with "user=" u " ttl=" t:int | project u, t');
    expect(nomatch.rows).toEqual([["", null]]);
    const regex = await query('print s = "abc123def" | parse kind=regex s with letters:string @"\\d+" rest:string | project letters, rest');
    expect(regex.rows).toEqual([["abc12", "def"]]);
  });

  it("parse into a datetime column: ISO text converts, an ISO-shaped text out of range fails the match, an ambiguous end is refused", async () => {
    const r = await query('datatable(s:string)["2020-01-02 ERROR something", "2020-13-45 weird", "2021-12-31T23:59:59Z OK"] | parse s with d:datetime " " level:string " " msg:string | project d, level, msg');
    expect(r.rows).toEqual([
      [new Date("2020-01-02T00:00:00Z").getTime() * 10_000, "ERROR", "something"].map((x) => (typeof x === "number" ? BigInt(x) : x)),
      [null, "", ""],
      [null, "", ""],
    ]);
    // the time could end at the first space or after "10:00:00": which one Kusto takes is not established
    await expect(query('print s = "2020-01-02 10:00:00 up" | parse s with d:datetime " " rest:string')).rejects.toThrow("parse into a datetime column followed by text");
    // Kusto reads formats other than ISO 8601 (RFC 1123, ...): refused, not nulled
    await expect(query('print s = "Thu, 02 Jan 2020 ok" | parse s with d:datetime " ok"')).rejects.toThrow("not ISO 8601");
  });

  it("scan with one step: matching rows only, step.x reads the last match (the defaults before), a bare declared column its default", async () => {
    const r = await query("datatable(t:long, v:long)[1, 5, 2, 0, 3, 7, 4, 2] | sort by t asc | scan declare (total:long = 0, bare:long = 0, note:string) with (step s: v != 0 => total = s.total + v, bare = bare + v;) | extend twice = total * 2");
    expect(r.columns.map((c) => c.name)).toEqual(["t", "v", "total", "bare", "note", "twice"]);
    expect(r.rows).toEqual([
      [1, 5, 5, 5, "", 10],
      [3, 7, 12, 7, "", 24],
      [4, 2, 14, 2, "", 28],
    ]);
    // the real engine's scan has no match_id column without with_match_id; naming it is refused
    await expect(query("datatable(t:long)[1] | sort by t asc | scan declare (n:long = 0) with (step s: true => n = s.n + 1;) | project match_id")).rejects.toBeInstanceOf(UnsupportedKqlError);
    await expect(query("datatable(t:long)[1] | sort by t asc | scan with_match_id = m declare (n:long = 0) with (step s: true => n = 1;)")).rejects.toThrow("scan with_match_id");
    await expect(query("datatable(t:long)[1] | sort by t asc | scan declare (n:long = 0) with (step a: t == 1 => n = 1; step b: t == 2 => n = 2;)")).rejects.toThrow("scan with several steps");
    await expect(query("datatable(t:long)[1] | sort by t asc | scan declare (n:long = 0) with (step s: s.t > 0 => n = 1;)")).rejects.toThrow("input column of the step's state");
  });

  it("mv-expand with_itemindex, kind=array and limit; as names intermediate rows", async () => {
    const r = await query('print arr = dynamic(["a", "b", "c"]) | mv-expand with_itemindex = i v = arr limit 2 | project i, v');
    expect(r.rows).toEqual([
      [0, "a"],
      [1, "b"],
    ]);
    const bag = await query('print d = dynamic({"x": 1}) | mv-expand kind=array d');
    expect(bag.rows).toEqual([[["x", 1]]]);
    const named = await query("datatable(x:long)[1, 2] | as T | where x > 1 | join kind=inner (T) on x | project x, x1");
    expect(named.rows).toEqual([[2, 2]]);
  });

  it("toscalar() evaluates a subquery once, to its first cell", async () => {
    const r = await query("let top1 = toscalar(datatable(x:long)[3, 9, 4] | summarize max(x)); datatable(x:long)[3, 9, 4] | where x < top1 | count");
    expect(r.rows).toEqual([[2]]);
    expect((await query("print v = toscalar(datatable(x:long)[] | project x)")).rows).toEqual([[null]]);
  });

  it("refuses what it does not evaluate, with the exact message", async () => {
    const attempt = compile("print x = dynamic({}) | evaluate bag_unpack(x)", {});
    await expect(attempt).rejects.toBeInstanceOf(UnsupportedKqlError);
    await expect(compile("print s = series_fir(dynamic([1]), dynamic([1]))", {})).rejects.toThrow("not supported by the local engine: series_fir()");
    await expect(compile("print x = 1 | top-hitters 2 of x", {})).rejects.toThrow(/^not supported by the local engine: /);
  });
});
