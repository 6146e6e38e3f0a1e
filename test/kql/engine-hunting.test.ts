import { describe, expect, it } from "vitest";
import { UnsupportedKqlError, compile } from "../../src/kql/engine/index.js";
import { tupleFunctions } from "../../src/kql/engine/series.js";
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

describe("functions and aliases real queries use", () => {
  it("set functions compare with the element's type", async () => {
    const r = await query('print a = dynamic([1,2,3]) | extend has2 = set_has_element(a, 2), hasS = set_has_element(a, "2"), i = set_intersect(a, dynamic([3,2,7])), d = set_difference(a, dynamic([1]))');
    expect(r.rows[0]!.slice(1)).toEqual([true, false, [2, 3], [2, 3]]);
    await expect(query("print set_has_element(dynamic(null), 1)")).rejects.toThrow(UnsupportedKqlError);
  });

  it("datetime_part, quoted datetime literals and replace() with its own argument order", async () => {
    const r = await query("print h = datetime_part(\"Hour\", datetime(2026-01-02 13:45:10.1234567)), q = datetime_part(\"quarter\", datetime(2026-08-01)), ms = datetime_part(\"millisecond\", datetime(2026-01-02 13:45:10.1234567)), same = datetime('2019-01-18T10:36:07Z') == datetime(2019-01-18 10:36:07), r = replace(\"_\", \"@\", \"a_b_c\")");
    expect(r.rows[0]).toEqual([13, 3, 123, true, "a@b@c"]);
  });

  it("makeset, makelist, make_set_if, make_list_if and parsejson", async () => {
    const r = await query('datatable(x:string, y:long)["a",1,"a",2,"b",3] | summarize s = make_set_if(y, y > 1), l = makelist(y), m = makeset(x), k = make_list_if(y, y != 2, 1) by x | order by x asc');
    expect(r.rows).toEqual([
      ["a", [2], [1, 2], ["a"], [1]],
      ["b", [3], [3], ["b"], [3]],
    ]);
    expect(await column('print parsejson("{\\"a\\":1}").a')).toEqual([1]);
  });
});

describe("string operators on dynamic values, and strings compared with numbers", () => {
  it("read a dynamic operand as its JSON text, as tostring() gives it", async () => {
    const r = await query('print d = dynamic(null), a = dynamic(["Global Admin","x"]), o = dynamic([{"type":"User","id":"1"}]) | project n1 = d has "x", n2 = d !contains "x", c = a contains "admin", h = o has_any ("user"), e = o[0].type =~ "user", i = o[0].type in~ ("USER"), s = o[0].type startswith "Us"');
    expect(r.rows).toEqual([[false, true, true, true, true, true, true]]);
  });

  it("refuse a string compared with a number by name, with a hint to quote the literal", async () => {
    const t = 'datatable(ResultType:string)["0","50126"]';
    for (const q of [`${t} | where ResultType == 0`, `${t} | where ResultType in (0, 50126)`, `${t} | where ResultType != 0`, `${t} | where 50126 == ResultType`]) {
      const error = await query(q).catch((e: unknown) => e);
      expect(error, q).toBeInstanceOf(UnsupportedKqlError);
      expect((error as UnsupportedKqlError).message).toMatch(/not supported by the local engine: comparison of a string with a number \(/);
      expect((error as UnsupportedKqlError).hint).toMatch(/Quote the number/);
    }
    expect(await column(`${t} | where ResultType in ("0")`)).toEqual(["0"]);
    expect(await column(`${t} | where toint(ResultType) == 50126`)).toEqual(["50126"]);
  });
});

describe("in with a subquery", () => {
  it("stands for the values of a one-column subquery (in, !in, in~, has_any); several columns are refused", async () => {
    const r = await query('let T = datatable(a:string, b:long)["x",1,"y",2]; datatable(k:string)["x","z","Y"] | extend i = k in (T | project a), ni = k !in (T | project a), ci = k in~ (T | where b > 1 | project a), h = k has_any (T | project a)');
    expect(r.rows).toEqual([
      ["x", true, false, false, true],
      ["z", false, true, false, false],
      ["Y", false, true, true, true],
    ]);
    expect(await column("datatable(k:long)[1,3] | where k in (datatable(a:long)[1,2])")).toEqual([1]);
    await expect(query('datatable(k:string)["1"] | where k in (datatable(a:long)[1,2])')).rejects.toThrow(/comparison of a string with a number/);
    await expect(query('datatable(k:string)["1"] | where k in (datatable(a:string, b:long)["1",2])')).rejects.toThrow(/subquery of several columns/);
  });
});

describe("table() and union isfuzzy=true", () => {
  it("table() of a name known when the query is compiled, through a function parameter, in a fuzzy union", async () => {
    const { tableFromObjects } = await import("../../src/kql/engine/index.js");
    const tables = {
      SigninLogs: tableFromObjects("SigninLogs", [{ TimeGenerated: "2026-11-24T08:00:00Z", UserPrincipalName: "a@contoso.com", ResultType: "0" }]),
      AADNonInteractiveUserSignInLogs: tableFromObjects("AADNonInteractiveUserSignInLogs", [
        { TimeGenerated: "2026-11-24T09:00:00Z", UserPrincipalName: "b@contoso.com", ResultType: "0" },
        { TimeGenerated: "2026-11-24T09:00:00Z", UserPrincipalName: "c@contoso.com", ResultType: "50126" },
      ]),
    };
    const q = 'let f = (t:string) { table(t) | where ResultType == "0" | project UserPrincipalName }; union isfuzzy=true f("SigninLogs"), f("AADNonInteractiveUserSignInLogs") | order by UserPrincipalName asc';
    expect(await column(q, tables)).toEqual(["a@contoso.com", "b@contoso.com"]);
    await expect(query('datatable(t:string)["SigninLogs"] | extend n = toscalar(table(t) | count)', tables)).rejects.toThrow();
  });
});

describe("mv-apply and mv-expand of an expression", () => {
  const audit = 'datatable(Id:string, TargetResources:dynamic)["1", dynamic([{"type":"User","userPrincipalName":"a@contoso.com"},{"type":"Group","displayName":"admins"}]), "2", dynamic([{"type":"Group","displayName":"x"}]), "3", dynamic([])]';

  it("filters each row's array with a subquery that reads the row's other columns", async () => {
    const r = await query(`${audit} | mv-apply TargetResource = TargetResources on (where TargetResource.type =~ "user" and Id != "") | project Id, upn = tostring(TargetResource.userPrincipalName)`);
    expect(r.rows).toEqual([["1", "a@contoso.com"]]);
  });

  it("aggregates each row's array, with to typeof() and with_itemindex", async () => {
    const r = await query('datatable(k:string, d:dynamic)["a", dynamic([3,1,2]), "b", dynamic([5])] | mv-apply with_itemindex=i v = d to typeof(long) on (summarize top = max(v), lastIndex = max(i)) | order by k asc');
    expect(r.rows).toEqual([
      ["a", [3, 1, 2], 3, 2],
      ["b", [5], 5, 0],
    ]);
  });

  it("mv-expand of a function of one column names the result after it", async () => {
    const r = await query('datatable(n:long, s:string)[1, "[\\"x\\",\\"y\\"]"] | mv-expand parse_json(s) | project n, v = tostring(s)');
    expect(r.rows).toEqual([
      [1, "x"],
      [1, "y"],
    ]);
  });
});

describe("more aggregates and range()", () => {
  it("argmin / argmax (old names of arg_min / arg_max) and take_anyif", async () => {
    const r = await query('datatable(k:string, v:long, w:string)["a",1,"x","a",0,"y","b",5,"z"] | summarize argmin(v, w), t = take_anyif(w, v > 0) by k | order by k asc');
    expect(r.columns.map((c) => c.name)).toEqual(["k", "min_v", "min_v_w", "t"]);
    expect(r.rows).toEqual([
      ["a", 0, "y", "x"],
      ["b", 5, "z", "z"],
    ]);
  });

  it("range() of numbers and of datetimes, ascending; other cases refused", async () => {
    const r = await query("print r = range(1, 8, 3), d = range(datetime(2026-01-01), datetime(2026-01-01 02:00), 1h) | mv-expand d to typeof(datetime) | project r, d = format_datetime(d, 'HH:mm')");
    expect(r.rows).toEqual([
      [[1, 4, 7], "00:00"],
      [[1, 4, 7], "01:00"],
      [[1, 4, 7], "02:00"],
    ]);
    await expect(query("print range(5, 1, -1)")).rejects.toThrow(UnsupportedKqlError);
  });
});

describe("make-series", () => {
  it("one array per aggregate over [from, to), the default in empty bins, the bins' starts, per group", async () => {
    const r = await query(
      'datatable(t:datetime, v:long, g:string)[datetime(2026-01-01),10,"a", datetime(2026-01-02),20,"b", datetime(2026-01-03 05:00),30,"a", datetime(2026-01-03),5,"b", datetime(2026-01-09),1,"a"] | make-series s = sum(v) default = -1, n = count() on t from datetime(2026-01-01) to datetime(2026-01-04) step 1d by g | order by g asc',
    );
    expect(r.columns.map((c) => `${c.name}:${c.type}`)).toEqual(["g:string", "s:dynamic", "n:dynamic", "t:dynamic"]);
    const days = ["2026-01-01T00:00:00.0000000Z", "2026-01-02T00:00:00.0000000Z", "2026-01-03T00:00:00.0000000Z"];
    expect(r.rows).toEqual([
      ["a", [10, -1, 30], [1, 0, 1], days],
      ["b", [-1, 20, 5], [0, 1, 1], days],
    ]);
  });

  it("array_index_of: numbers by value, text with text, -1 when absent; a search across kinds is refused", async () => {
    expect((await query('print a = array_index_of(dynamic([5, 15]), 15.0), b = array_index_of(dynamic(["x", "y"]), "y"), c = array_index_of(dynamic([1]), 2)')).rows).toEqual([[1, 1, -1]]);
    await expect(query('print array_index_of(dynamic([1, "2"]), "2")')).rejects.toThrow(UnsupportedKqlError);
  });

  it("series_fill_forward and series_fill_backward fill the nulls of a series", async () => {
    expect((await query("print f = series_fill_forward(dynamic([null, 1, null, null, 4, null])), b = series_fill_backward(dynamic([null, 1, null, 4, null]))")).rows).toEqual([
      [
        [null, 1, 1, 1, 4, 4],
        [1, 1, 4, 4, null],
      ],
    ]);
  });

  it("a default per aggregate; a null default leaves empty bins null", async () => {
    const r = await query("datatable(t:long, v:long)[0,10, 3,40] | make-series mn = min(v), s = sum(v) default = long(null) on t from 0 to 4 step 1");
    expect(r.rows).toEqual([[[10, 0, 0, 40], [10, null, null, 40], [0, 1, 2, 3]]]);
  });

  it("without from/to: the data's first and last bins when the first value is on a bin boundary; otherwise refused", async () => {
    expect((await query("datatable(x:long)[2, 4, 9] | make-series c = count() on x step 2")).rows).toEqual([[[1, 1, 0, 1], [2, 4, 6, 8]]]);
    await expect(query("datatable(x:long)[3, 4] | make-series c = count() on x step 2")).rejects.toThrow(/not on a bin boundary/);
    await expect(query("datatable(x:long, g:string)[2, 'a', 8, 'a', 4, 'b', 8, 'b'] | make-series c = count() on x step 2 by g")).rejects.toThrow(/by groups whose data start in different bins/);
  });

  it("by groups without from or to: answered only where every group's data start and end where the whole input's do", async () => {
    // "the first bin that has data in each series": the series' own or the input's is not established; here they agree
    const r = await query("datatable(x:long, g:string)[2,'a', 9,'a', 2,'b', 5,'b', 8,'b'] | make-series c = count() on x step 2 by g | order by g asc");
    expect(r.rows).toEqual([
      ["a", [1, 0, 0, 1], [2, 4, 6, 8]],
      ["b", [1, 1, 0, 1], [2, 4, 6, 8]],
    ]);
    // with from but no to, a group ending in an earlier bin than the input is refused, never cut or padded silently
    await expect(query("datatable(x:long, g:string)[2,'a', 9,'a', 2,'b', 5,'b'] | make-series c = count() on x from 0 step 2 by g")).rejects.toThrow(/by groups whose data end in different bins/);
  });
});

describe("top-nested", () => {
  const t = 'datatable(cat:string, sub:string, v:long)["a","x",10, "a","y",20, "b","x",30, "b","z",5, "c","w",1]';

  it("the top values of each level within the level above, by an aggregate, desc unless asc", async () => {
    const r = await query(`${t} | top-nested 2 of cat by Tot = sum(v), top-nested 1 of sub by max(v) | order by cat asc`);
    expect(r.columns.map((c) => c.name)).toEqual(["cat", "Tot", "sub", "aggregated_sub"]);
    expect(r.rows).toEqual([
      ["a", 30, "y", 20],
      ["b", 35, "x", 30],
    ]);
    expect(await column(`${t} | top-nested 1 of cat by sum(v) asc`)).toEqual(["c"]);
  });

  it("refuses a tie at the cut and with others", async () => {
    await expect(query('datatable(k:string, v:long)["a",1,"b",1] | top-nested 1 of k by sum(v)')).rejects.toThrow(/tie at the cut/);
    await expect(query(`${t} | top-nested 1 of cat with others = "rest" by sum(v)`)).rejects.toThrow(/with others/);
  });
});

describe("search", () => {
  const t = 'datatable(s:string, n:long, d:dynamic)["Disk error on web01",1,dynamic({"k":"alpha"}), "ok",100,dynamic(null), "web03 fine",2,dynamic(["Beta"])]';

  it("a term in any column (whole term, prefix, suffix, substring), Column:term, and ordinary predicates", async () => {
    expect(await column(`${t} | search "ERROR" | project n`)).toEqual([1]);
    expect(await column(`${t} | search "web*" | project n`)).toEqual([1, 2]);
    expect(await column(`${t} | search "*rror" or "fine" | project n`)).toEqual([1, 2]);
    expect(await column(`${t} | search s:"fine" and n > 1 | project n`)).toEqual([2]);
    expect(await column(`${t} | search "1" | project n`)).toEqual([1]);
    expect(await column(`${t} | search kind=case_sensitive "beta" or n > 50 | project n`)).toEqual([100]);
    const r = await query(`${t} | search "ok"`);
    expect(r.columns.map((c) => c.name)).toEqual(["$table", "s", "n", "d"]);
    expect(r.rows).toEqual([["search_arg0", "ok", 100, null]]);
  });

  it("refuses what it cannot search exactly", async () => {
    await expect(query('datatable(b:bool, s:string)[true, "x"] | search "true"')).rejects.toThrow(/search for "true" over a bool column/);
    await expect(query('datatable(s:string)["ab"] | search "a*b"')).rejects.toThrow(UnsupportedKqlError);
  });
});

describe("parse-kv", () => {
  it("splits pairs, keeps the first of a repeated key, trims, unquotes, types; a missing key is empty or null", async () => {
    const r = await query(
      "datatable(s:string)[\"user=alice; role = admin;user=bob;n=5;r=1.5e3\", \"n=x\", \"note='a; b';user=carol\"] | parse-kv s as (user:string, role:string, n:long, r:real, note:string) with (pair_delimiter=';', kv_delimiter='=', quote=\"'\") | project user, role, n, r, note",
    ).catch((e: unknown) => e);
    expect(r).toBeInstanceOf(UnsupportedKqlError);
    const ok = await query("datatable(s:string)[\"user=alice; role = admin;user=bob;n=5;r=1.5e3\", \"note='a; b';user=carol\"] | parse-kv s as (user:string, role:string, n:long, r:real, note:string) with (pair_delimiter=';', kv_delimiter='=', quote=\"'\") | project user, role, n, r, note");
    expect(ok.rows).toEqual([
      ["alice", "admin", 5, 1500, ""],
      ["carol", "", null, null, "a; b"],
    ]);
  });
});

describe("extend that reassigns a column and reads it again", () => {
  it("reads the input row's value, as Kusto does (extend a = c, c = a swaps)", async () => {
    expect((await query("datatable(a:long, b:long, c:long)[1,2,3] | extend a = c, c = a, d = a + c, e = b")).rows).toEqual([[3, 2, 1, 4, 2]]);
    const r = await query('print d = dynamic({"u":"x"}) | extend d = tostring(d.u), e = tostring(d.u), f = 1');
    expect(r.columns.map((c) => `${c.name}:${c.type}`)).toEqual(["d:string", "e:string", "f:long"]);
    expect(r.rows).toEqual([["x", "x", 1]]);
  });
});

describe("iff, case and coalesce of a dynamic value where the result is a string", () => {
  it("give the dynamic string itself, and refuse any other dynamic value they pick rather than a cell of the wrong kind", async () => {
    const t = 'datatable(d:dynamic, n:long)[dynamic({"u":"alex"}), 3, dynamic({"u":["a"]}), 20, dynamic({}), 30]';
    expect(await column(`${t} | where n < 10 | project iff(n < 10, d.u, "many")`)).toEqual(["alex"]);
    expect(await column(`${t} | where n > 10 | project iff(n < 10, d.u, "many")`)).toEqual(["many", "many"]);
    await expect(query(`${t} | project iff(n < 25, d.u, "many")`)).rejects.toThrow(/a dynamic array where a string is expected/);
    await expect(query(`${t} | where n == 30 | project iff(true, d.u, "x")`)).rejects.toThrow(/a dynamic null where a string is expected/);
    expect(await column("print case(false, 1, 2.5)")).toEqual([2.5]);
  });
});

describe("the check that every answered cell is of its column's kind", () => {
  it("flags an array in a string column, a string in a long column, a missing cell; accepts nulls where allowed", async () => {
    const { cellOfWrongKind } = await import("../../src/kql/engine/conformance.js");
    const cols = [
      { name: "s", type: "string" as const },
      { name: "n", type: "long" as const },
    ];
    expect(cellOfWrongKind({ columns: cols, rows: [["a", null]] })).toBeUndefined();
    expect(cellOfWrongKind({ columns: cols, rows: [[["a"], 1]] })).toBe("column s (string) holds an array");
    expect(cellOfWrongKind({ columns: cols, rows: [["a", "1"]] })).toBe("column n (long) holds a string");
    expect(cellOfWrongKind({ columns: cols, rows: [[null, 1]] })).toBe("column s (string) holds null");
  });
});

describe("render", () => {
  it("passes the rows through unchanged: it only annotates the result for a chart", async () => {
    expect(await column("datatable(x:long)[3, 1, 2] | order by x asc | render timechart")).toEqual([1, 2, 3]);
  });
});

describe("functions of several columns: extend (a, b, ...) = f(x)", () => {
  it("series_fit_line gives Microsoft's published example, and the real engine's slope of 1..5", async () => {
    const r = await query("print y = dynamic([2, 5, 6, 8, 11, 15, 17, 18, 25, 26, 30, 30]) | extend (RSquare, Slope, Variance, RVariance, Interception, LineFit) = series_fit_line(y) | project-away y");
    expect(r.columns.map((c) => `${c.name}:${c.type}`)).toEqual(["RSquare:real", "Slope:real", "Variance:real", "RVariance:real", "Interception:real", "LineFit:dynamic"]);
    const [rsquare, slope, variance, rvariance, interception, line] = r.rows[0] as [number, number, number, number, number, number[]];
    // the documentation prints three decimals, cut
    expect([rsquare, slope, variance, rvariance, interception].map((v) => Math.trunc(v * 1000) / 1000)).toEqual([0.982, 2.73, 98.628, 1.686, -1.666]);
    expect(Math.trunc(line[0]! * 1000) / 1000).toBe(1.064);
    expect(line).toHaveLength(12);
    // the conformance corpus: slope 0.9999999999999999 for 1..5 (not 1), r-square 0.92 for 1, 2, 4, 8
    // (1..5 is read from the function itself: its line holds whole reals, which dynamic cannot carry here)
    expect(tupleFunctions.get("series_fit_line")!([[1, 2, 3, 4, 5]]).slope!()).toBe(0.9999999999999999);
    expect(tupleFunctions.get("series_fit_line")!([[1, 2, 3, 4, 5]]).rsquare!()).toBe(1);
    expect((await query("print y = dynamic([1, 2, 4, 8]) | extend (a, b, c, d, e, f) = series_fit_line(y) | project a")).rows).toEqual([[0.92]]);
  });

  it("series_stats: a sample's deviation and variance; a series of 100,000 values", async () => {
    const r = await query("print y = dynamic([10, 20]) | extend (mn, mni, mx, mxi, av, sd, va) = series_stats(y) | project-away y");
    expect(r.rows).toEqual([[10, 0, 20, 1, 15, 7.0710678118654755, 50]]);
    const long = await query("print y = range(1, 100000, 1) | extend (mn, mni, mx, mxi, av, sd, va) = series_stats(y) | project mn, mni, mx, mxi, av");
    expect(long.rows).toEqual([[1, 0, 100000, 99999, 50000.5]]);
  });

  it("what is not established is refused by name, never answered", async () => {
    const refused = async (q: string, what: RegExp): Promise<void> => {
      const error = await query(q).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedKqlError);
      expect((error as UnsupportedKqlError).construct).toMatch(what);
    };
    // one name: Kusto.Language adds every column, the real engine (the corpus) only the first
    await refused("print y = dynamic([1, 2, 4]) | extend fit = series_fit_line(y)", /one name for several columns/);
    await refused("print y = dynamic([1, 2, 4]) | extend (a, b) = series_fit_line(y)", /2 names for 6 columns/);
    await refused("print y = dynamic([1, 2, 4]) | extend (a, b, c) = series_decompose_anomalies(y)", /extend \(a, b\) = series_decompose_anomalies\(\)/);
    await refused("print y = dynamic([3, 3, 3]) | extend (a, b, c, d, e, f) = series_fit_line(y)", /all equal/);
    await refused("print y = dynamic([1, null, 3]) | extend (a, b, c, d, e, f) = series_fit_line(y)", /nulls/);
    await refused("print y = dynamic([1, 0, 0, 5]) | extend (a, b, c, d, e, f, g) = series_stats(y)", /min_idx/);
    // a real value that is whole cannot be told from a long inside dynamic
    await refused("print y = dynamic([1, 2, 3]) | extend (a, b, c, d, e, f) = series_fit_line(y)", /real values inside dynamic/);
  });
});
