/**
 * Lowers Kusto.Language's analysed tree (as plain data, see kusto-language.ts) to a plan. Output schemas come from
 * Kusto.Language's result types, so column names (count_, dcount_IPAddress, Column1, a1, ...) are Kusto's own;
 * every operator checks that the schema it computes agrees with them and refuses otherwise.
 */
import type { SyntaxColumn, SyntaxNode } from "./kusto-language.js";
import { unsupported } from "./errors.js";
import { aggregateFunctions, scalarFunctions, windowFunctions } from "./functions.js";
import type { Aggregate, Expr, KqlPlan, PlanColumn, ScalarType, SortKey, Tabular } from "./types.js";
import { tupleColumnKey, tupleFunctions } from "./series.js";
import { isSafeLong, jsonNumberHazard, parseDateTime, parseTimespan } from "./values.js";

const scalarTypes = new Set<string>(["long", "int", "real", "string", "bool", "datetime", "timespan", "dynamic", "guid"]);

function scalarType(name: string | undefined, what: string): ScalarType {
  if (name === "double") return "real";
  if (name === "boolean") return "bool";
  if (name !== undefined && scalarTypes.has(name)) return name as ScalarType;
  return unsupported(`${what} of type ${name ?? "unknown"}`);
}

function columnsOf(node: SyntaxNode, what: string): PlanColumn[] {
  if (!node.columns) return unsupported(what);
  return node.columns.map((c: SyntaxColumn) => ({ name: c.name, type: scalarType(c.type, `column ${c.name}`) }));
}

const isToken = (n: SyntaxNode): boolean => n.text !== undefined;

/** Elements of a List of SeparatedElements (or a plain List). */
function elements(list: SyntaxNode | undefined): SyntaxNode[] {
  if (!list) return [];
  const out: SyntaxNode[] = [];
  for (const c of list.children) {
    if (c.kind === "SeparatedElement") {
      const e = c.children[0];
      if (e) out.push(e);
    } else out.push(c);
  }
  return out;
}

function child(n: SyntaxNode, kind: string): SyntaxNode | undefined {
  return n.children.find((c) => c.kind === kind);
}

/** Non-token children that are not Lists. */
function parts(n: SyntaxNode): SyntaxNode[] {
  return n.children.filter((c) => !isToken(c) && c.kind !== "List");
}

function lists(n: SyntaxNode): SyntaxNode[] {
  return n.children.filter((c) => c.kind === "List");
}

/** The text of a node as written, with a single space wherever the source had any. */
function writtenText(n: SyntaxNode): string {
  const tokens: SyntaxNode[] = [];
  const walk = (x: SyntaxNode): void => {
    if (isToken(x)) tokens.push(x);
    else x.children.forEach(walk);
  };
  walk(n);
  let out = "";
  tokens.forEach((t, i) => {
    const prev = tokens[i - 1];
    if (prev && t.start > prev.end && t.text) out += " ";
    out += t.text ?? "";
  });
  return out.trim();
}

function tokenText(n: SyntaxNode): string {
  if (n.text !== undefined) return n.text;
  return n.children.map(tokenText).join("");
}

/** Identifier text of a NameReference / NameDeclaration (brackets and quotes removed). */
function nameOf(n: SyntaxNode): string {
  const raw = tokenText(n).trim();
  const m = /^\[\s*(['"])(.*)\1\s*\]$/.exec(raw);
  return m ? m[2]! : raw;
}

/**
 * Kusto.Language gives `scan` without `with_match_id` a `match_id` column that the real engine's answers lack (the
 * conformance corpus). Removes it from the scan and from the operators piped after it; an operator that names
 * `match_id` keeps it, and the schema checks then refuse the query.
 */
function hideScanMatchId(n: SyntaxNode, ancestors: SyntaxNode[] = []): void {
  const op = n.kind === "PipeExpression" ? parts(n)[1] : undefined;
  if (op?.kind === "ScanOperator" && !elements(lists(op)[0]).some((p) => p.kind === "NamedParameter")) {
    const drop = (x: SyntaxNode): void => {
      const i = x.columns?.findIndex((c) => c.name === "match_id" && c.type === "long") ?? -1;
      if (i >= 0) x.columns = x.columns!.filter((_, j) => j !== i);
    };
    drop(op);
    drop(n);
    let current = n;
    for (const a of [...ancestors].reverse()) {
      if (a.kind !== "PipeExpression" || parts(a)[0] !== current) break;
      const next = parts(a)[1];
      const mentions = (x: SyntaxNode): boolean => x.text === "match_id" || x.children.some(mentions);
      if (!next || mentions(next)) break;
      drop(next);
      drop(a);
      current = a;
    }
  }
  for (const c of n.children) hideScanMatchId(c, [...ancestors, n]);
}

function sameSchema(a: PlanColumn[], b: PlanColumn[]): boolean {
  return a.length === b.length && a.every((c, i) => c.name === b[i]!.name && c.type === b[i]!.type);
}

interface Scope {
  columns: PlanColumn[];
}

interface Env {
  scalars: Map<string, Expr>;
  /** Tabular names in scope: the let (or `as`) that holds the rows, and its columns. */
  tables: Map<string, { let: string; columns: PlanColumn[] }>;
  params: Map<string, ScalarType>;
  /** Functions declared with a body: their declaration (parameters and defaults). */
  functions: Map<string, SyntaxNode>;
}

const binaryKinds = new Set([
  "AddExpression",
  "SubtractExpression",
  "MultiplyExpression",
  "DivideExpression",
  "ModuloExpression",
  "LessThanExpression",
  "LessThanOrEqualExpression",
  "GreaterThanExpression",
  "GreaterThanOrEqualExpression",
  "EqualExpression",
  "NotEqualExpression",
  "AndExpression",
  "OrExpression",
  "EqualTildeExpression",
  "BangTildeExpression",
  "HasExpression",
  "HasCsExpression",
  "NotHasExpression",
  "NotHasCsExpression",
  "HasPrefixExpression",
  "HasPrefixCsExpression",
  "NotHasPrefixExpression",
  "NotHasPrefixCsExpression",
  "HasSuffixExpression",
  "HasSuffixCsExpression",
  "NotHasSuffixExpression",
  "NotHasSuffixCsExpression",
  "ContainsExpression",
  "ContainsCsExpression",
  "NotContainsExpression",
  "NotContainsCsExpression",
  "StartsWithExpression",
  "StartsWithCsExpression",
  "NotStartsWithExpression",
  "NotStartsWithCsExpression",
  "EndsWithExpression",
  "EndsWithCsExpression",
  "NotEndsWithExpression",
  "NotEndsWithCsExpression",
  "MatchesRegexExpression",
]);

/** Deprecated names Kusto still accepts, as real queries write them. */
const aggregateAliases: Record<string, string> = { makeset: "make_set", makelist: "make_list", argmin: "arg_min", argmax: "arg_max" };
/** Aggregates with a predicate: the aggregate of the rows where it holds. */
const conditionalAggregates: Record<string, string> = { make_set_if: "make_set", make_list_if: "make_list", take_anyif: "take_any" };
const scalarAliases: Record<string, string> = {
  parsejson: "parse_json",
  extractjson: "extract_json",
  columnifexists: "column_ifexists",
  toobject: "parse_json",
  datepart: "datetime_part",
  replace: "replace_regex",
};

const setKinds = new Set(["InExpression", "InCsExpression", "NotInExpression", "NotInCsExpression", "HasAnyExpression", "HasAllExpression"]);

export class Lowerer {
  private env: Env = { scalars: new Map(), tables: new Map(), params: new Map(), functions: new Map() };
  private readonly lets: Array<{ name: string; plan: Tabular }> = [];
  /** Non-zero while a function body is lowered: its tabular lets get names of their own, one per call. */
  private expansions = 0;
  private applies = 0;
  /** Set by unionParams for the union it reads: `kind=inner`. */
  private innerUnion = false;
  /** While the items of a summarize that are expressions over aggregates are lowered: each aggregate's column. */
  private aggregateRefs: Map<SyntaxNode, Expr> | undefined;
  /** While a scan step is lowered: its name, and where the state's declared columns start in the row it reads. */
  private scanState: { name: string; offset: number; declared: string[]; inputColumns: string[] } | undefined;

  constructor(params: Array<{ name: string; type: ScalarType }>) {
    for (const p of params) this.env.params.set(p.name, p.type);
  }

  lowerQuery(root: SyntaxNode, params: Array<{ name: string; type: ScalarType }>): KqlPlan {
    hideScanMatchId(root);
    const statements: SyntaxNode[] = [];
    const collect = (n: SyntaxNode): void => {
      for (const c of n.children) {
        if (c.kind.endsWith("Statement")) statements.push(c);
        else if (c.kind === "List" || c.kind === "SeparatedElement") collect(c);
      }
    };
    collect(root);
    let query: Tabular | undefined;
    for (const s of statements) {
      if (s.kind === "QueryParametersStatement") continue;
      if (s.kind === "LetStatement") {
        this.lowerLet(s);
        continue;
      }
      if (s.kind === "ExpressionStatement") {
        if (query) unsupported("multiple result statements");
        const e = parts(s)[0];
        if (!e || !e.columns) unsupported("a statement that is not a tabular expression");
        query = this.tabular(e);
        continue;
      }
      unsupported(s.kind.replace(/Statement$/, " statement").toLowerCase());
    }
    if (!query) return unsupported("a query without a tabular expression");
    return { version: 1, params, lets: this.lets, query, ordered: isOrdered(query) };
  }

  private lowerLet(s: SyntaxNode): void {
    const decl = child(s, "NameDeclaration");
    const value = parts(s).find((c) => c !== decl);
    if (!decl || !value) return unsupported("let");
    const name = nameOf(decl);
    if (value.kind === "FunctionDeclaration") {
      this.env.functions.set(name, value);
      this.env.scalars.delete(name);
      this.env.tables.delete(name);
      return;
    }
    if (value.columns) {
      this.bindTable(name, this.tabular(value));
      return;
    }
    const expr = this.expr(value, { columns: [] });
    this.env.scalars.set(name, expr);
    this.env.tables.delete(name);
    this.env.functions.delete(name);
  }

  /** Names rows for later references: a tabular let, evaluated once. */
  private bindTable(name: string, plan: Tabular): Tabular {
    const internal = this.expansions > 0 ? `${name}\u0000${this.lets.length}` : name;
    this.lets.push({ name: internal, plan });
    this.env.tables.set(name, { let: internal, columns: plan.columns });
    this.env.scalars.delete(name);
    this.env.functions.delete(name);
    return { op: "ref", name: internal, columns: plan.columns };
  }

  /**
   * A call of a function declared with a body, lowered as Kusto.Language expands it for this call: the arguments
   * (or the declared defaults) are bound to the parameter names while the body is lowered in the caller's scope.
   */
  private expand<T>(n: SyntaxNode, scope: Scope, lowerBody: (body: SyntaxNode, scope: Scope) => T): T {
    const fname = nameOf(parts(n)[0]!);
    const decl = this.env.functions.get(fname);
    const body = n.expansion;
    if (!decl || !body || body.kind !== "FunctionBody") return unsupported(`${fname}()`);
    const declared: Array<{ name: string; fallback?: SyntaxNode; tabular: boolean }> = [];
    for (const p of elements(lists(child(decl, "FunctionParameters")!)[0])) {
      const nt = child(p, "NameAndTypeDeclaration");
      const name = nameOf(child(nt ?? p, "NameDeclaration")!);
      const fallback = child(p, "DefaultValueDeclaration");
      const typeNode = nt ? parts(nt).find((c) => c.kind !== "NameDeclaration") : undefined;
      declared.push({ name, tabular: typeNode?.kind === "SchemaTypeExpression", ...(fallback ? { fallback: parts(fallback)[0]! } : {}) });
    }
    const args = elements(lists(child(n, "ExpressionList")!)[0]);
    if (args.length > declared.length) return unsupported(`${fname}() with more arguments than parameters`);
    const bound: Array<[string, Expr | Tabular, boolean]> = declared.map((p, i) => {
      const arg = args[i] ?? p.fallback;
      if (!arg) return unsupported(`${fname}() without a value for ${p.name}`);
      if (p.tabular || arg.columns) return [p.name, this.tabular(arg), true];
      return [p.name, this.expr(arg, p.fallback === arg ? { columns: [] } : scope), false];
    });
    const saved = this.env;
    this.env = { scalars: new Map(saved.scalars), tables: new Map(saved.tables), params: saved.params, functions: new Map(saved.functions) };
    this.expansions++;
    try {
      for (const [name, value, tabular] of bound) {
        if (tabular) this.bindTable(name, value as Tabular);
        else {
          this.env.scalars.set(name, value as Expr);
          this.env.tables.delete(name);
          this.env.functions.delete(name);
        }
      }
      let result: SyntaxNode | undefined;
      for (const c of body.children) {
        if (c.kind === "List") {
          for (const s of elements(c)) {
            if (s.kind === "LetStatement") this.lowerLet(s);
            else if (s.kind.endsWith("Statement")) return unsupported(`${s.kind.replace(/Statement$/, " statement").toLowerCase()} in a function body`);
          }
        } else if (!isToken(c)) result = c.kind === "ExpressionStatement" ? parts(c)[0] : c;
      }
      if (!result) return unsupported(`${fname}() (body)`);
      return lowerBody(result, scope);
    } finally {
      this.expansions--;
      this.env = saved;
    }
  }

  tabular(n: SyntaxNode): Tabular {
    const columns = columnsOf(n, n.kind);
    switch (n.kind) {
      case "ParenthesizedExpression":
        return this.tabular(parts(n)[0]!);
      case "MaterializeExpression": {
        // Caching a result changes nothing in an engine that evaluates each let once.
        const inner = parts(n).find((c) => c.columns !== undefined);
        return inner ? this.tabular(inner) : unsupported("materialize");
      }
      case "NameReference": {
        const name = nameOf(n);
        if (n.symbol?.kind === "Table") return { op: "table", name, columns };
        const bound = n.symbol?.kind === "Variable" || n.symbol?.kind === "Parameter" ? this.env.tables.get(name) : undefined;
        if (bound) return { op: "ref", name: bound.let, columns: bound.columns };
        return unsupported(`table reference ${name}`);
      }
      case "FunctionCallExpression": {
        const fname = nameOf(parts(n)[0]!);
        if (fname === "table" && !this.env.functions.has(fname)) {
          const args = elements(lists(child(n, "ExpressionList")!)[0]);
          const arg = args.length === 1 ? this.expr(args[0]!, { columns: [] }) : undefined;
          if (!arg || arg.op !== "lit" || typeof arg.value !== "string") return unsupported("table() of a name computed at run time");
          if (n.symbol?.kind === "Table" || columns.length > 0) return { op: "table", name: arg.value, columns };
          return unsupported(`table("${arg.value}")`);
        }
        const plan = this.expand(n, { columns: [] }, (body) => this.tabular(body));
        if (!sameSchema(plan.columns, columns)) return unsupported(`${nameOf(parts(n)[0]!)}() (output schema)`);
        return plan;
      }
      case "PipeExpression": {
        const [left, op] = parts(n);
        if (!left || !op) return unsupported("pipe");
        const input = this.tabular(left);
        const out = this.operator(op, input);
        if (!sameSchema(out.columns, columns)) return unsupported(`${operatorName(op)} (output schema)`);
        return out;
      }
      case "DataTableExpression":
        return this.datatable(n, columns);
      case "PrintOperator": {
        const exprs = elements(lists(n)[0]).map((e) => this.expr(valueOf(e), { columns: [] }));
        if (exprs.length !== columns.length) return unsupported("print");
        return { op: "rows", rows: [exprs.map((e, i) => coerce(e, columns[i]!.type))], columns };
      }
      case "RangeOperator": {
        const [, from, to, step] = parts(n);
        if (!from || !to || !step) return unsupported("range");
        return { op: "range", from: this.expr(from, { columns: [] }), to: this.expr(to, { columns: [] }), step: this.expr(step, { columns: [] }), columns };
      }
      case "UnionOperator": {
        const inputNodes = elements(lists(n)[1]);
        const inputs = inputNodes.map((e) => this.tabular(e));
        const source = this.unionParams(lists(n)[0]);
        const inner = this.innerUnion;
        if (source === undefined) return this.union(inputs, columns, undefined, inner);
        // Kusto names each input by its table, or union_arg<i> for anything else.
        const names = inputs.map((t, i) => (t.op === "table" ? t.name : `union_arg${i}`));
        return this.union(inputs, columns, { name: source, names }, inner);
      }
      default:
        return unsupported(operatorName(n));
    }
  }

  private datatable(n: SyntaxNode, columns: PlanColumn[]): Tabular {
    const values = elements(lists(n).at(-1));
    if (columns.length === 0 || values.length % columns.length !== 0) return unsupported("datatable");
    const rows: Expr[][] = [];
    for (let i = 0; i < values.length; i += columns.length) {
      rows.push(
        columns.map((c, j) => {
          const cell = this.expr(values[i + j]!, { columns: [] });
          // a whole number written as text in a long column is that number (datatable(v:long)["1"], the corpus)
          if ((c.type === "long" || c.type === "int") && cell.op === "lit" && typeof cell.value === "string" && /^-?\d{1,15}$/.test(cell.value)) {
            const n = Number(cell.value);
            if (c.type === "long" || (n <= 2147483647 && n >= -2147483648)) return { op: "lit", type: c.type, value: n };
          }
          return coerce(cell, c.type);
        }),
      );
    }
    return { op: "rows", rows, columns };
  }

  /** The withsource column name, if any; refuses parameters other than kind=outer and withsource. */
  private unionParams(list: SyntaxNode | undefined): string | undefined {
    let source: string | undefined;
    this.innerUnion = false;
    for (const p of elements(list)) {
      const pname = nameOf(child(p, "NameDeclaration") ?? p);
      const v = parts(p).at(-1);
      const value = v ? tokenText(v).trim() : "";
      if (pname === "kind" && value === "outer") continue;
      // kind=inner keeps the columns every leg has: when they all have the same ones, it is the plain union (the corpus)
      if (pname === "kind" && value === "inner") {
        this.innerUnion = true;
        continue;
      }
      // Every leg has been resolved against the known tables before it runs here, so a fuzzy union is a plain one.
      if (pname === "isfuzzy" && (value === "true" || value === "false")) continue;
      if (pname === "withsource" && v) {
        source = nameOf(v);
        continue;
      }
      unsupported(`union ${pname}=${value}`);
    }
    return source;
  }

  private union(inputs: Tabular[], columns: PlanColumn[], source?: { name: string; names: string[] }, inner = false): Tabular {
    if (inner && inputs.some((t) => !sameSchema(t.columns, inputs[0]!.columns))) return unsupported("union kind=inner of inputs with different columns");
    const mapping = inputs.map((input, j) => {
      const used = new Set<number>();
      const map = columns.map((out) => {
        if (source && out.name === source.name) return -2 - j;
        let idx = input.columns.findIndex((c) => c.name === out.name && c.type === out.type);
        if (idx < 0) idx = input.columns.findIndex((c) => `${c.name}_${c.type}` === out.name && c.type === out.type);
        if (idx >= 0) used.add(idx);
        return idx;
      });
      if (used.size !== input.columns.length) unsupported("union (column mapping)");
      return map;
    });
    if (source && !columns.some((c) => c.name === source.name && c.type === "string")) return unsupported("union withsource (output schema)");
    return source ? { op: "union", inputs, mapping, sourceNames: source.names, columns } : { op: "union", inputs, mapping, columns };
  }

  private operator(op: SyntaxNode, input: Tabular): Tabular {
    const columns = columnsOf(op, operatorName(op));
    const scope: Scope = { columns: input.columns };
    switch (op.kind) {
      case "FilterOperator": {
        if (elements(lists(op)[0]).length > 0) return unsupported("where with parameters");
        return { op: "where", input, predicate: this.expr(parts(op)[0]!, scope), columns: input.columns };
      }
      case "ProjectOperator": {
        const items = elements(lists(op)[0]);
        if (items.length !== columns.length) return unsupported("project (column list)");
        const exprs = items.map((e, i) => coerce(this.expr(valueOf(e), scope), columns[i]!.type));
        return { op: "project", input, exprs, columns };
      }
      case "ExtendOperator":
        return this.extend(lists(op)[0], input, columns);
      case "ProjectAwayOperator":
      case "ProjectKeepOperator":
      case "ProjectReorderOperator":
        return this.reshape(input, columns, new Map());
      case "ProjectRenameOperator": {
        const renames = new Map<string, string>();
        for (const e of elements(lists(op)[0])) {
          if (e.kind !== "SimpleNamedExpression") return unsupported("project-rename");
          const decl = child(e, "NameDeclaration")!;
          renames.set(nameOf(decl), nameOf(parts(e).at(-1)!));
        }
        return this.reshape(input, columns, renames);
      }
      case "SummarizeOperator":
        return this.summarize(op, input, columns);
      case "SortOperator": {
        if (elements(lists(op)[0]).length > 0) return unsupported("sort with parameters");
        const keys = elements(lists(op).at(-1)).map((e) => this.sortKey(e, scope));
        return { op: "sort", input, keys, columns: input.columns };
      }
      case "TakeOperator": {
        if (elements(lists(op)[0]).length > 0) return unsupported("take with parameters");
        return { op: "take", input, count: this.expr(parts(op)[0]!, { columns: [] }), columns: input.columns };
      }
      case "TopOperator": {
        if (elements(lists(op)[0]).length > 0) return unsupported("top with parameters");
        const [count, by] = parts(op);
        if (!count || !by) return unsupported("top");
        return { op: "top", input, count: this.expr(count, { columns: [] }), keys: [this.sortKey(by, scope)], columns: input.columns };
      }
      case "DistinctOperator": {
        if (elements(lists(op)[0]).length > 0) return unsupported("distinct with parameters");
        const items = elements(lists(op).at(-1));
        if (items.length === 1 && items[0]!.kind === "StarExpression") {
          return { op: "distinct", input, exprs: input.columns.map((c, i) => ({ op: "col", index: i, type: c.type })), columns };
        }
        if (items.length !== columns.length) return unsupported("distinct");
        return { op: "distinct", input, exprs: items.map((e, i) => coerce(this.expr(valueOf(e), scope), columns[i]!.type)), columns };
      }
      case "CountOperator":
        return { op: "count", input, columns };
      case "JoinOperator":
        return this.join(op, input, columns);
      case "UnionOperator": {
        if (this.unionParams(lists(op)[0]) !== undefined) return unsupported("union withsource after a pipe");
        const inner = this.innerUnion;
        const inputs = [input, ...elements(lists(op)[1]).map((e) => this.tabular(e))];
        return this.union(inputs, columns, undefined, inner);
      }
      case "MvExpandOperator":
        return this.mvExpand(op, input, columns);
      case "MvApplyOperator":
        return this.mvApply(op, input, columns);
      case "MakeSeriesOperator":
        return this.makeSeries(op, input, columns);
      case "ScanOperator":
        return this.scan(op, input, columns);
      case "PartitionOperator":
        return this.partition(op, input, columns);
      case "TopNestedOperator":
        return this.topNested(op, input, columns);
      case "SearchOperator":
        return this.search(op, input, columns);
      case "ParseKvOperator":
        return this.parseKv(op, input, columns);
      case "SerializeOperator": {
        const serialized: Tabular = { op: "sort", input, keys: [], columns: input.columns };
        if (elements(lists(op).at(-1)).length === 0) return serialized;
        return this.extend(lists(op).at(-1), serialized, columns);
      }
      case "LookupOperator":
        return this.lookup(op, input, columns);
      case "AsOperator": {
        if (elements(lists(op)[0]).length > 0) return unsupported("as with parameters");
        // `as` names the rows at this point for later references: a tabular let evaluated once.
        return this.bindTable(nameOf(child(op, "NameDeclaration")!), input);
      }
      case "ParseOperator":
        return this.parse(op, input, columns);
      case "RenderOperator":
        // "render doesn't modify data": it annotates the result for a chart (Microsoft's render operator reference)
        return sameSchema(input.columns, columns) ? input : unsupported("render (output schema)");
      default:
        return unsupported(operatorName(op));
    }
  }

  private reshape(input: Tabular, columns: PlanColumn[], renames: Map<string, string>): Tabular {
    const exprs: Expr[] = columns.map((c) => {
      const source = renames.get(c.name) ?? c.name;
      const idx = input.columns.findIndex((x) => x.name === source);
      if (idx < 0 || input.columns[idx]!.type !== c.type) return unsupported("project (column mapping)");
      return { op: "col", index: idx, type: c.type };
    });
    return { op: "project", input, exprs, columns };
  }

  private extend(list: SyntaxNode | undefined, input: Tabular, columns: PlanColumn[]): Tabular {
    let current = input;
    // Kusto reads a reassigned input column's later references in the same extend from the input row
    // (`extend a = c, c = a` swaps them): such columns keep a hidden copy of their input value.
    const reassigned = new Set<string>();
    const original = new Set(input.columns.map((c) => c.name));
    const readAfter = new Map<SyntaxNode, Set<string>>();
    const kept = new Set<string>();
    for (const e of elements(list)) {
      const refs = new Set<string>();
      const walk = (x: SyntaxNode): void => {
        if (x.kind === "NameReference" && x.symbol?.kind === "Column") refs.add(nameOf(x));
        x.children.forEach(walk);
      };
      walk(e.kind === "SimpleNamedExpression" ? parts(e).at(-1)! : e);
      const stale = new Set([...refs].filter((r) => reassigned.has(r)));
      if (stale.size > 0) {
        readAfter.set(e, stale);
        for (const r of stale) kept.add(r);
      }
      if (e.kind === "SimpleNamedExpression") {
        const n = nameOf(child(e, "NameDeclaration")!);
        if (original.has(n)) reassigned.add(n);
      }
    }
    const hidden = (name: string): string => `\u0000input:${name}`;
    if (kept.size > 0) {
      const copies = input.columns.flatMap((c, i) => (kept.has(c.name) ? [{ expr: { op: "col", index: i, type: c.type } as Expr, column: { name: hidden(c.name), type: c.type } }] : []));
      current = {
        op: "project",
        input,
        exprs: [...input.columns.map((c, i): Expr => ({ op: "col", index: i, type: c.type })), ...copies.map((c) => c.expr)],
        columns: [...input.columns, ...copies.map((c) => c.column)],
      };
    }
    for (const e of elements(list)) {
      const stale = readAfter.get(e);
      // names read from the input row resolve to their hidden copies
      const scope: Scope = {
        columns: stale
          ? current.columns.map((c) => (stale.has(c.name) ? { ...c, name: "\u0000reassigned" } : c.name.startsWith("\u0000input:") && stale.has(c.name.slice(7)) ? { ...c, name: c.name.slice(7) } : c))
          : current.columns,
      };
      let assignments: Array<{ name: string; expr: Expr }>;
      if (e.kind === "SimpleNamedExpression") {
        const value = parts(e).at(-1)!;
        // one name for a function of several columns: Kusto.Language adds them all, the real engine only the first
        if (value.columns && value.kind === "FunctionCallExpression") return unsupported(`extend x = ${nameOf(parts(value)[0]!)}() (one name for several columns)`);
        assignments = [{ name: nameOf(child(e, "NameDeclaration")!), expr: this.expr(value, scope) }];
      } else if (e.kind === "CompoundNamedExpression") {
        assignments = this.tupleAssignments(e, scope);
      } else {
        let name: string;
        if (e.kind === "NameReference" && e.symbol?.kind === "Column") name = nameOf(e);
        else {
          const next = columns[current.columns.filter((c) => !c.name.startsWith("\u0000input:")).length];
          if (!next) return unsupported("extend (column name)");
          name = next.name;
        }
        assignments = [{ name, expr: this.expr(e, scope) }];
      }
      for (const { name, expr } of assignments) {
        const type = expr.type;
        const exprs: Expr[] = current.columns.map((c, i) => ({ op: "col", index: i, type: c.type }));
        const cols = [...current.columns];
        const at = cols.findIndex((c) => c.name === name);
        if (at >= 0) {
          exprs[at] = expr;
          cols[at] = { name, type };
        } else {
          exprs.push(expr);
          cols.push({ name, type });
        }
        current = { op: "project", input: current, exprs, columns: cols };
      }
    }
    if (kept.size > 0) {
      const visible = current.columns.flatMap((c, i) => (c.name.startsWith("\u0000input:") ? [] : [{ c, i }]));
      current = { op: "project", input: current, exprs: visible.map(({ c, i }): Expr => ({ op: "col", index: i, type: c.type })), columns: visible.map(({ c }) => c) };
    }
    if (!sameSchema(current.columns, columns)) return unsupported("extend (output schema)");
    return current;
  }

  /**
   * `(a, b, ...) = f(x)` for a function of several columns (series_fit_line, series_stats): one name per column, each
   * column read from the function's tuple. Fewer names than columns is refused: Kusto.Language then names the rest
   * itself, and the real engine is known to differ from it where one name is given.
   */
  private tupleAssignments(e: SyntaxNode, scope: Scope): Array<{ name: string; expr: Expr }> {
    const names = elements(lists(child(e, "RenameList")!)[0]).map((d) => nameOf(d));
    const call = parts(e).at(-1)!;
    const fname = call.kind === "FunctionCallExpression" ? nameOf(parts(call)[0]!) : "";
    const tuple = call.columns;
    if (!tuple || !tupleFunctions.has(fname)) return unsupported(fname ? `extend (a, b) = ${fname}()` : "extend (a, b) = ...");
    if (names.length !== tuple.length) return unsupported(`extend (a, b) = ${fname}() with ${names.length} names for ${tuple.length} columns`);
    const args = elements(lists(child(call, "ExpressionList")!)[0]).map((a) => this.expr(a, scope));
    return tuple.map((c, k) => {
      const key = tupleColumnKey(fname, c.name) ?? unsupported(`${fname}() column ${c.name}`);
      const lit = (value: string): Expr => ({ op: "lit", type: "string", value });
      return { name: names[k]!, expr: { op: "call", name: "tuple_column", args: [lit(fname), lit(key), ...args], type: scalarType(c.type, `${fname}() column ${c.name}`) } };
    });
  }

  private summarize(op: SyntaxNode, input: Tabular, columns: PlanColumn[]): Tabular {
    const ls = lists(op);
    if (elements(ls[0]).length > 0) return unsupported("summarize with parameters");
    const scope: Scope = { columns: input.columns };
    const byClause = child(op, "SummarizeByClause");
    const byItems = byClause ? elements(lists(byClause)[0]) : [];
    const by = byItems.map((e, i) => coerce(this.expr(valueOf(e), scope), columns[i]?.type ?? "dynamic"));
    const aggregates: Aggregate[] = [];
    let width = by.length;
    // items that are expressions over aggregates (max(d) - min(d)): their aggregates are computed as hidden columns
    // after the others, and a projection computes the items from them
    const computed: Array<{ position: number; node: SyntaxNode }> = [];
    const hidden: SyntaxNode[] = [];
    const aggregateName = (x: SyntaxNode): string | undefined => {
      if (x.kind !== "FunctionCallExpression" || x.symbol?.kind !== "Function") return undefined;
      const written = nameOf(parts(x)[0]!);
      const fname = aggregateAliases[written] ?? conditionalAggregates[written] ?? written;
      return aggregateFunctions.has(fname) && !scalarFunctions.has(fname) ? fname : undefined;
    };
    for (const item of elements(ls[1])) {
      if (item.kind === "CompoundNamedExpression") return unsupported("summarize (a, b) = ...");
      const call = valueOf(item);
      if (aggregateName(call) === undefined) {
        const found: SyntaxNode[] = [];
        const collect = (x: SyntaxNode): void => {
          if (aggregateName(x) !== undefined) found.push(x);
          else x.children.forEach(collect);
        };
        collect(call);
        if (found.length === 0 || item.kind !== "SimpleNamedExpression") return unsupported("summarize with a non-aggregate expression");
        if (found.some((f) => ["arg_max", "arg_min"].includes(aggregateName(f)!))) return unsupported("arg_max() or arg_min() inside an expression");
        computed.push({ position: width, node: call });
        hidden.push(...found);
        width += 1;
        continue;
      }
      const written = nameOf(parts(call)[0]!);
      const conditional = written in conditionalAggregates;
      const fname = aggregateAliases[written] ?? conditionalAggregates[written] ?? written;
      if (!aggregateFunctions.has(fname)) return unsupported(`${written}()`);
      let argNodes = elements(lists(child(call, "ExpressionList")!)[0]);
      let where: Expr | undefined;
      if (conditional) {
        if (argNodes.length < 2) return unsupported(`${written}()`);
        where = this.expr(argNodes[1]!, scope);
        argNodes = [argNodes[0]!, ...argNodes.slice(2)];
      }
      if (fname === "arg_max" || fname === "arg_min") {
        const [first, ...rest] = argNodes;
        if (!first) return unsupported(`${fname}()`);
        const key = this.expr(first, scope);
        const extra: Expr[] = [];
        for (const r of rest) {
          if (r.kind === "StarExpression") {
            const taken = new Set(columns.slice(0, width + 1 + extra.length).map((c) => c.name));
            input.columns.forEach((c, i) => {
              if (!taken.has(c.name)) extra.push({ op: "col", index: i, type: c.type });
            });
          } else extra.push(this.expr(valueOf(r), scope));
        }
        aggregates.push({ fn: fname, args: [key], extra });
        width += 1 + extra.length;
        continue;
      }
      // count(x) of a value that is not a bool counts every row, nulls included, as the corpus shows; with a bool,
      // whether it counts every row or the true ones is not established
      if (fname === "count" && argNodes.length > 0) {
        if (argNodes.length > 1 || argNodes[0]!.type === "bool") return unsupported("count() of a bool (use count() or countif())");
        argNodes = [];
      }
      const args = argNodes.map((a) => this.expr(a, scope));
      // Kusto names an unnamed aggregate of an expression unpredictably (e.g. list_d___obj_<guid>): refuse it.
      const hasAccess = (x: SyntaxNode): boolean => x.kind === "ElementExpression" || x.kind === "PathExpression" || x.children.some(hasAccess);
      if (item.kind !== "SimpleNamedExpression" && argNodes.some(hasAccess)) {
        return unsupported(`unnamed ${fname}() of an expression`);
      }
      const agg: Aggregate = { fn: fname, args };
      if (where) agg.where = where;
      if ((fname === "make_list" || fname === "make_set") && args.length === 2) {
        const lim = args[1]!;
        if (lim.op !== "lit" || typeof lim.value !== "number") return unsupported(`${fname}() with a computed limit`);
        agg.limit = lim.value;
        agg.args = [args[0]!];
      }
      aggregates.push(agg);
      width += 1;
    }
    if (width !== columns.length) return unsupported("summarize (output schema)");
    if (computed.length === 0) return { op: "summarize", input, by, aggregates, columns };
    // the summarize makes every column but the computed ones, then the hidden aggregates
    const kept = columns.filter((_, i) => !computed.some((c) => c.position === i));
    const inner: PlanColumn[] = [...kept, ...hidden.map((h, k) => ({ name: ` aggregate ${k}`, type: scalarType(h.type, "aggregate") }))];
    const refs = new Map<SyntaxNode, Expr>();
    hidden.forEach((h, k) => {
      const agg = this.plainAggregate(h, scope);
      aggregates.push(agg);
      refs.set(h, { op: "col", index: kept.length + k, type: inner[kept.length + k]!.type });
    });
    const summarized: Tabular = { op: "summarize", input, by, aggregates, columns: inner };
    const previous = this.aggregateRefs;
    this.aggregateRefs = refs;
    try {
      let next = 0;
      const exprs = columns.map((c, i): Expr => {
        const item = computed.find((x) => x.position === i);
        if (!item) return { op: "col", index: next++, type: c.type };
        return coerce(this.expr(item.node, { columns: inner }), c.type);
      });
      return { op: "project", input: summarized, exprs, columns };
    } finally {
      this.aggregateRefs = previous;
    }
  }

  /** An aggregate call inside an expression: one value per group, of the plain kinds (no arg_max, no limit). */
  private plainAggregate(call: SyntaxNode, scope: Scope): Aggregate {
    const written = nameOf(parts(call)[0]!);
    const conditional = written in conditionalAggregates;
    const fname = aggregateAliases[written] ?? conditionalAggregates[written] ?? written;
    let argNodes = elements(lists(child(call, "ExpressionList")!)[0]);
    let where: Expr | undefined;
    if (conditional) {
      if (argNodes.length < 2) return unsupported(`${written}()`);
      where = this.expr(argNodes[1]!, scope);
      argNodes = [argNodes[0]!, ...argNodes.slice(2)];
    }
    if (fname === "count" && argNodes.length > 0) {
      if (argNodes.length > 1 || argNodes[0]!.type === "bool") return unsupported("count() of a bool (use count() or countif())");
      argNodes = [];
    }
    if ((fname === "make_list" || fname === "make_set") && argNodes.length > 1) return unsupported(`${fname}() with a limit inside an expression`);
    const agg: Aggregate = { fn: fname, args: argNodes.map((a) => this.expr(a, scope)) };
    if (where) agg.where = where;
    return agg;
  }

  private sortKey(e: SyntaxNode, scope: Scope): SortKey {
    let value = e;
    let desc = true;
    let nullsFirst: boolean | undefined;
    if (e.kind === "OrderedExpression") {
      value = parts(e)[0]!;
      const clause = child(e, "OrderingClause");
      if (clause) {
        for (const t of clause.children) {
          if (t.kind === "AscKeyword") desc = false;
          if (t.kind === "DescKeyword") desc = true;
          if (t.kind === "OrderingNullsClause") nullsFirst = t.children.some((x) => x.kind === "FirstKeyword");
        }
      }
    }
    return { expr: this.expr(value, scope), desc, nullsFirst: nullsFirst ?? !desc };
  }

  /**
   * `scan` with one step (learn.microsoft.com, scan operator): each row, in order, whose condition holds is output
   * with the declared columns the step assigns (the others keep their defaults) and becomes the step's state.
   * `step.x` reads the state (the declared defaults before the first match); an unqualified declared column reads the
   * row's own value, its default, as the corpus shows. Several steps, `output=`, `with_match_id` are refused.
   */
  private scan(op: SyntaxNode, input: Tabular, columns: PlanColumn[]): Tabular {
    if (elements(lists(op)[0]).length > 0) return unsupported("scan with_match_id");
    const declare = child(op, "ScanDeclareClause");
    const declared: Array<{ name: string; type: ScalarType; initial: Expr }> = [];
    for (const p of elements(declare ? lists(declare)[0] : undefined)) {
      const decl = child(p, "NameAndTypeDeclaration");
      const nameDecl = decl && child(decl, "NameDeclaration");
      if (!nameDecl) return unsupported("scan declare");
      const type = scalarType(nameDecl.type, "scan declare");
      const dv = child(p, "DefaultValueDeclaration");
      const value = dv ? parts(dv)[0] : undefined;
      // Kusto.Language leaves a default's literal untyped
      const literalTypes: Record<string, ScalarType> = { LongLiteralExpression: "long", RealLiteralExpression: "real", StringLiteralExpression: "string", BooleanLiteralExpression: "bool", DateTimeLiteralExpression: "datetime", TimespanLiteralExpression: "timespan" };
      const typed = value && !value.type && literalTypes[value.kind] ? { ...value, type: literalTypes[value.kind] } : value;
      const initial = typed ? coerce(this.expr(typed, { columns: [] }), type) : { op: "lit" as const, type, value: type === "string" ? "" : null };
      if (initial.op !== "lit" && !(initial.op === "call" && initial.args.every((a) => a.op === "lit"))) return unsupported("scan declare with a computed default");
      declared.push({ name: nameOf(nameDecl), type, initial });
    }
    const steps = elements(lists(op).at(-1)).filter((x) => x.kind === "ScanStep");
    if (steps.length !== 1) return unsupported("scan with several steps");
    const step = steps[0]!;
    if (child(step, "ScanStepOutput")) return unsupported("scan step output=");
    const usesWindow = (x: SyntaxNode): boolean => (x.kind === "FunctionCallExpression" && windowFunctions.has(nameOf(parts(x)[0]!))) || x.children.some(usesWindow);
    if (usesWindow(step)) return unsupported("scan with window functions");
    const stepName = nameOf(child(step, "NameDeclaration")!);
    const expected = [...input.columns, ...declared.map((d) => ({ name: d.name, type: d.type }))];
    if (!sameSchema(expected, columns)) return unsupported("scan (output schema)");
    const stateOffset = expected.length;
    const scope: Scope = { columns: expected };
    const previous = this.scanState;
    this.scanState = { name: stepName, offset: stateOffset, declared: declared.map((d) => d.name), inputColumns: input.columns.map((c) => c.name) };
    try {
      const condition = parts(step).find((x) => x.kind !== "NameDeclaration" && x.kind !== "ScanComputationClause");
      if (!condition) return unsupported("scan step");
      const predicate = this.expr(condition, scope);
      if (predicate.type !== "bool") return unsupported("scan step condition");
      const assignments: Array<{ index: number; expr: Expr }> = [];
      const clause = child(step, "ScanComputationClause");
      for (const a of elements(clause ? lists(clause)[0] : undefined)) {
        const [target, value] = parts(a);
        const index = declared.findIndex((d) => target !== undefined && d.name === nameOf(target));
        if (index < 0 || !value) return unsupported("scan assignment to a column not declared");
        if (assignments.some((x) => x.index === index)) return unsupported("scan assigning a column twice");
        assignments.push({ index, expr: coerce(this.expr(value, scope), declared[index]!.type) });
      }
      return { op: "scan", input, initial: declared.map((d) => d.initial), predicate, assignments, columns };
    } finally {
      this.scanState = previous;
    }
  }

  /**
   * `* has "x"`, `* contains "x"` and their `_cs` forms: true when any column's text passes; `* !has "x"` and
   * `* !contains "x"` when none does, as the corpus shows. Strings and dynamic values are tested; a column of another
   * type is skipped when the text sought has a character its text never has (a letter for a long), and refused
   * otherwise (how Kusto writes it for this test is not established).
   */
  private starTest(n: SyntaxNode, scope: Scope): Expr {
    const positive: Record<string, string> = {
      HasExpression: "HasExpression",
      NotHasExpression: "HasExpression",
      HasCsExpression: "HasCsExpression",
      NotHasCsExpression: "HasCsExpression",
      ContainsExpression: "ContainsExpression",
      NotContainsExpression: "ContainsExpression",
      ContainsCsExpression: "ContainsCsExpression",
      NotContainsCsExpression: "ContainsCsExpression",
    };
    const kind = positive[n.kind];
    const needle = this.expr(parts(n)[1]!, { columns: [] });
    if (!kind || needle.op !== "lit" || typeof needle.value !== "string") return unsupported(`* ${n.kind.replace(/Expression$/, "")} of a value not a string literal`);
    const text = needle.value.toLowerCase();
    const charsOf: Partial<Record<ScalarType, RegExp>> = { long: /^[-0-9]*$/, int: /^[-0-9]*$/, bool: /^[truefals]*$/, guid: /^[-0-9a-f]*$/ };
    const tests: Expr[] = [];
    scope.columns.forEach((c, index) => {
      const cell: Expr = { op: "col", index, type: c.type };
      if (c.type === "string") tests.push({ op: "binary", kind, left: cell, right: needle, type: "bool" });
      else if (c.type === "dynamic") tests.push({ op: "binary", kind, left: asText(cell), right: needle, type: "bool" });
      else if (charsOf[c.type]?.test(text) !== false) unsupported(`* ${n.kind.replace(/Expression$/, "")} over a ${c.type} column`);
    });
    const any: Expr = tests.length === 0 ? { op: "lit", type: "bool", value: false } : tests.reduce((a, b) => ({ op: "binary", kind: "OrExpression", left: a, right: b, type: "bool" }));
    return kind === n.kind ? any : { op: "call", name: "not", args: [any], type: "bool" };
  }

  private parse(op: SyntaxNode, input: Tabular, columns: PlanColumn[]): Tabular {
    const ls = lists(op);
    let regexKind = false;
    for (const p of elements(ls[0])) {
      const pname = nameOf(child(p, "NameDeclaration") ?? p);
      const v = parts(p).at(-1);
      const value = v ? tokenText(v).trim() : "";
      if (pname === "kind" && (value === "simple" || value === "regex")) regexKind = value === "regex";
      else return unsupported(`parse ${tokenText(p).trim()}`);
    }
    const sourceNode = parts(op)[0];
    if (!sourceNode) return unsupported("parse");
    const source = this.expr(sourceNode, { columns: input.columns });
    if (source.type !== "string") return unsupported("parse of a non-string value");
    const items = elements(ls.at(-1));
    const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    // Simple kind: literals match literally, the match is anchored and string columns are lazy (the last one takes
    // the rest). Regex kind: literals are regular expressions, the match is not anchored, string columns are greedy.
    let pattern = regexKind ? "" : "^";
    // the same pattern with datetime columns greedy: where the two read different valid times, which one Kusto
    // takes is not established, and the row is refused
    let greedyPattern = pattern;
    const captures: Array<{ name: string; type: ScalarType }> = [];
    items.forEach((item, i) => {
      const last = i === items.length - 1;
      const before = pattern;
      if (item.kind === "StringLiteralExpression") pattern += regexKind ? `(?:${item.value ?? ""})` : escape(item.value ?? "");
      else if (item.kind === "StarExpression") pattern += regexKind ? unsupported("parse kind=regex with *") : last ? ".*" : ".*?";
      else if (item.kind === "NameDeclaration" || item.kind === "NameAndTypeDeclaration") {
        const decl = item.kind === "NameDeclaration" ? item : child(item, "NameDeclaration")!;
        const type = scalarType(decl.type, "parse column");
        captures.push({ name: nameOf(decl), type });
        if (type === "long" || type === "int") pattern += "([-+]?\\d+)";
        else if (type === "string" || type === "datetime") pattern += regexKind || last ? "(.*)" : "(.*?)";
        else return unsupported(`parse into a ${type} column`);
        if (type === "datetime") {
          greedyPattern += "(.*)";
          return;
        }
      } else unsupported("parse pattern");
      greedyPattern += pattern.slice(before.length);
    });
    if (!regexKind) {
      pattern += "$";
      greedyPattern += "$";
    }
    const sources = columns.map((c) => {
      const k = captures.findIndex((x) => x.name === c.name);
      if (k >= 0) {
        if (captures[k]!.type !== c.type) unsupported("parse (output types)");
        return -(k + 1);
      }
      const idx = input.columns.findIndex((x) => x.name === c.name && x.type === c.type);
      return idx >= 0 ? idx : unsupported("parse (output schema)");
    });
    if (new Set(captures.map((c) => c.name)).size !== captures.length) return unsupported("parse with a repeated column");
    const datetimes = captures.some((c) => c.type === "datetime");
    return { op: "parse", input, source, pattern, sources, columns, ...(datetimes && greedyPattern !== pattern ? { greedyPattern } : {}) };
  }

  private lookup(op: SyntaxNode, left: Tabular, columns: PlanColumn[]): Tabular {
    let kind = "leftouter";
    for (const p of elements(lists(op)[0])) {
      const pname = nameOf(child(p, "NameDeclaration") ?? p);
      const v = parts(p).at(-1);
      if (pname !== "kind" || !v) return unsupported(`lookup ${pname}=`);
      kind = tokenText(v).trim();
    }
    if (kind !== "leftouter" && kind !== "inner") return unsupported(`lookup kind=${kind}`);
    const rightNode = parts(op).find((c) => c.columns !== undefined);
    const on = child(op, "JoinOnClause");
    if (!rightNode || !on) return unsupported("lookup without on");
    const right = this.tabular(rightNode);
    const { leftKeys, rightKeys } = this.joinKeys(on, left, right);
    const keyNames = new Set(rightKeys.map((i) => right.columns[i]!.name));
    // Output: the left columns, then the right columns other than the keys (Kusto does not repeat them).
    const output: Array<[0 | 1, number]> = [
      ...left.columns.map((_, i): [0, number] => [0, i]),
      ...right.columns.flatMap((c, i): Array<[1, number]> => (keyNames.has(c.name) && leftKeys.some((li) => left.columns[li]!.name === c.name) ? [] : [[1, i]])),
    ];
    if (output.length !== columns.length) return unsupported("lookup (output schema)");
    output.forEach(([side, i], j) => {
      const src = (side === 0 ? left : right).columns[i]!;
      if (src.type !== columns[j]!.type) unsupported("lookup (output types)");
    });
    return { op: "join", kind: kind as "inner", left, right, leftKeys, rightKeys, output, unique: true, columns };
  }

  private joinKeys(on: SyntaxNode, left: Tabular, right: Tabular): { leftKeys: number[]; rightKeys: number[] } {
    const leftKeys: number[] = [];
    const rightKeys: number[] = [];
    for (const k of elements(lists(on)[0])) {
      if (k.kind === "NameReference") {
        const name = nameOf(k);
        leftKeys.push(left.columns.findIndex((c) => c.name === name));
        rightKeys.push(right.columns.findIndex((c) => c.name === name));
      } else if (k.kind === "EqualExpression") {
        const [a, b] = parts(k);
        const side = (x: SyntaxNode | undefined): [string, string] => {
          if (!x || x.kind !== "PathExpression") return unsupported("join on expression");
          const [t, sel] = parts(x);
          return [nameOf(t!), nameOf(sel!)];
        };
        const sa = side(a);
        const sb = side(b);
        const [l, r] = sa[0] === "$left" ? [sa[1], sb[1]] : [sb[1], sa[1]];
        leftKeys.push(left.columns.findIndex((c) => c.name === l));
        rightKeys.push(right.columns.findIndex((c) => c.name === r));
      } else return unsupported("join on expression");
    }
    if (leftKeys.some((i) => i < 0) || rightKeys.some((i) => i < 0)) return unsupported("join keys");
    leftKeys.forEach((li, i) => {
      const lt = left.columns[li]!.type;
      const rt = right.columns[rightKeys[i]!]!.type;
      if (lt !== rt && !(isNumeric(lt) && isNumeric(rt))) unsupported("join on keys of different types");
      if ((lt === "real") !== (rt === "real")) unsupported("join on a real key and an integer key");
      if (lt === "dynamic") unsupported(`join on ${lt} keys`);
    });
    return { leftKeys, rightKeys };
  }

  private join(op: SyntaxNode, left: Tabular, columns: PlanColumn[]): Tabular {
    let kind = "innerunique";
    for (const p of elements(lists(op)[0])) {
      const pname = nameOf(child(p, "NameDeclaration") ?? p);
      const v = parts(p).at(-1);
      if (pname !== "kind" || !v) return unsupported(`join ${pname}=`);
      kind = tokenText(v).trim();
    }
    const kinds = ["inner", "innerunique", "leftouter", "leftanti", "leftsemi", "rightouter", "rightanti", "rightsemi", "fullouter"];
    if (kind === "anti" || kind === "leftantisemi") kind = "leftanti";
    if (kind === "semi") kind = "leftsemi";
    if (kind === "rightantisemi") kind = "rightanti";
    if (!kinds.includes(kind)) return unsupported(`join kind=${kind}`);
    const rightNode = parts(op).find((c) => c.columns !== undefined);
    const on = child(op, "JoinOnClause");
    if (!rightNode || !on) return unsupported("join without on");
    const right = this.tabular(rightNode);
    const { leftKeys, rightKeys } = this.joinKeys(on, left, right);
    let output: Array<[0 | 1, number]>;
    if (kind === "leftanti" || kind === "leftsemi") output = left.columns.map((_, i) => [0, i]);
    else if (kind === "rightanti" || kind === "rightsemi") output = right.columns.map((_, i) => [1, i]);
    else output = [...left.columns.map((_, i): [0, number] => [0, i]), ...right.columns.map((_, i): [1, number] => [1, i])];
    if (output.length !== columns.length) {
      // Kusto drops the right key column when both sides use the same name (kind-dependent); map by name instead.
      return unsupported("join (output schema)");
    }
    output.forEach(([side, i], j) => {
      const src = (side === 0 ? left : right).columns[i]!;
      if (src.type !== columns[j]!.type) unsupported("join (output types)");
    });
    return { op: "join", kind: kind as "inner", left, right, leftKeys, rightKeys, output, columns };
  }

  /**
   * `mv-apply [with_itemindex=i] e = d [to typeof(t)], ... [limit n] on (subquery)`: for each row, the subquery runs
   * over the rows mv-expand makes of it (every column of the row, the expanded values and the index); its output
   * columns take their values from the subquery, the others from the row.
   */
  private mvApply(op: SyntaxNode, input: Tabular, columns: PlanColumn[]): Tabular {
    const ls = lists(op);
    const sub: PlanColumn[] = input.columns.map((c) => ({ ...c }));
    for (const item of elements(ls[1])) {
      if (item.kind !== "MvApplyExpression") return unsupported("mv-apply");
      const [target] = parts(item);
      const typeClause = child(item, "ToTypeOfClause");
      const declared = typeClause ? scalarType(/typeof\s*\(\s*(\w+)/.exec(tokenText(typeClause))?.[1], "mv-apply to typeof()") : "dynamic";
      let name: string;
      if (target?.kind === "SimpleNamedExpression") name = nameOf(child(target, "NameDeclaration")!);
      else if (target?.kind === "NameReference" && target.symbol?.kind === "Column") name = nameOf(target);
      else return unsupported("mv-apply of an unnamed expression");
      const at = sub.findIndex((c) => c.name === name);
      if (at >= 0) sub[at] = { name, type: declared };
      else sub.push({ name, type: declared });
    }
    for (const p of elements(ls[0])) {
      const pname = nameOf(child(p, "NameDeclaration") ?? p);
      const v = parts(p).at(-1);
      if (pname === "with_itemindex" && v) sub.push({ name: nameOf(v), type: "long" });
    }
    const rowName = `\u0000row${++this.applies}`;
    const expanded = this.mvExpand(op, { op: "ref", name: rowName, columns: input.columns }, sub, { item: "MvApplyExpression", limit: "MvApplyRowLimitClause", what: "mv-apply" });
    const subquery = child(op, "MvApplySubqueryExpression");
    const body = subquery ? parts(subquery)[0] : undefined;
    if (!body) return unsupported("mv-apply without a subquery");
    const plan = this.chain(body, expanded);
    const mapping = columns.map((c) => {
      const fromSub = plan.columns.findIndex((x) => x.name === c.name);
      if (fromSub >= 0) return plan.columns[fromSub]!.type === c.type ? fromSub : unsupported("mv-apply (output schema)");
      const fromRow = input.columns.findIndex((x) => x.name === c.name);
      if (fromRow >= 0 && input.columns[fromRow]!.type === c.type) return -1 - fromRow;
      return unsupported("mv-apply (output schema)");
    });
    return { op: "mvapply", input, row: rowName, plan, mapping, columns };
  }

  /**
   * `partition by Column (subquery)`: the subquery runs over the rows of each value of the column (learn.microsoft.com,
   * partition operator; the corpus's cases). Parameters (hint.strategy, ...), the `{ ... }` form and a key that is
   * not a column are refused; so is a run with more than 64 values, where the real engine's answer depends on its
   * strategy's limits.
   */
  private partition(op: SyntaxNode, input: Tabular, columns: PlanColumn[]): Tabular {
    if (elements(lists(op)[0]).length > 0) return unsupported("partition with parameters");
    const keyNode = parts(op).find((c) => c.kind === "NameReference");
    const subquery = child(op, "PartitionSubquery");
    const body = subquery ? parts(subquery)[0] : undefined;
    if (!keyNode || !body) return unsupported("partition");
    const key = input.columns.findIndex((c) => c.name === nameOf(keyNode));
    if (key < 0) return unsupported("partition by an expression");
    const rows = `\u0000partition${++this.applies}`;
    const plan = this.chain(body, { op: "ref", name: rows, columns: input.columns });
    if (!sameSchema(plan.columns, columns)) return unsupported("partition (output schema)");
    return { op: "partition", input, key, rows, plan, columns };
  }

  /** `parse-kv Source as (k:type, ...) with (pair_delimiter=..., kv_delimiter=... [, quote=...])`. */
  private parseKv(op: SyntaxNode, input: Tabular, columns: PlanColumn[]): Tabular {
    const sourceNode = parts(op).find((c) => c.kind !== "RowSchema" && c.kind !== "ParseKvWithClause");
    if (!sourceNode) return unsupported("parse-kv");
    const source = this.expr(sourceNode, { columns: input.columns });
    if (source.type !== "string") return unsupported(`parse-kv of a ${source.type} value`);
    const keys: Array<{ name: string; type: ScalarType }> = [];
    for (const d of elements(lists(child(op, "RowSchema")!)[0])) {
      const name = nameOf(child(d, "NameDeclaration")!);
      const type = scalarType(tokenText(parts(d).at(-1)!).trim(), `parse-kv into ${name}`);
      if (!["string", "long", "int", "real", "bool"].includes(type)) return unsupported(`parse-kv into a ${type} column`);
      if (input.columns.some((c) => c.name === name)) return unsupported(`parse-kv into the existing column ${name}`);
      keys.push({ name, type });
    }
    const options: Record<string, string> = {};
    for (const p of elements(lists(child(op, "ParseKvWithClause") ?? op).at(-1))) {
      if (p.kind !== "NamedParameter") continue;
      const v = this.expr(parts(p).at(-1)!, { columns: [] });
      if (v.op !== "lit" || typeof v.value !== "string") return unsupported("parse-kv with a computed option");
      options[nameOf(child(p, "NameDeclaration")!)] = v.value;
    }
    const { pair_delimiter: pair, kv_delimiter: kv, quote, ...rest } = options;
    if (Object.keys(rest).length > 0) return unsupported(`parse-kv with ${Object.keys(rest).join(", ")}`);
    if (!pair || !kv) return unsupported("parse-kv without pair_delimiter and kv_delimiter");
    if (quote !== undefined && quote.length !== 1) return unsupported("parse-kv with several quote characters");
    if (!sameSchema(columns, [...input.columns, ...keys])) return unsupported("parse-kv (output schema)");
    return { op: "parsekv", input, source, keys, pair, kv, ...(quote !== undefined ? { quote } : {}), columns };
  }

  /**
   * `T | search [kind=case_sensitive] <predicate>`: a bare "term" matches a row when any column has it ("a*" a prefix,
   * "*a" a suffix, "*a*" a substring), `Col:"term"` when that column has it; the rest of the predicate is ordinary.
   * Columns other than strings and dynamic values are searched only where their text cannot hold the term.
   */
  private search(op: SyntaxNode, input: Tabular, columns: PlanColumn[]): Tabular {
    let cs = false;
    for (const p of elements(lists(op)[0])) {
      const pname = nameOf(child(p, "NameDeclaration") ?? p);
      const value = tokenText(parts(p).at(-1) ?? p).trim();
      if (pname === "kind" && (value === "case_sensitive" || value === "case_insensitive" || value === "default")) cs = value === "case_sensitive";
      else return unsupported(`search ${pname}=${value}`);
    }
    if (child(op, "DataScopeClause") || child(op, "SearchInClause") || /\bin\s*\(/.test(tokenText(op).slice(0, 40))) return unsupported("search in (tables)");
    const predicateNode = parts(op).find((c) => c.type === "bool" || c.kind.endsWith("Expression"));
    if (!predicateNode) return unsupported("search");
    const scope: Scope = { columns: input.columns };
    const termTest = (column: Expr, term: string): Expr => {
      const starts = term.startsWith("*");
      const ends = term.length > 1 && term.endsWith("*");
      const core = term.slice(starts ? 1 : 0, ends ? -1 : undefined);
      if (core.includes("*") || core === "") return unsupported(`search for "${term}"`);
      const kind = starts && ends ? "Contains" : ends ? "HasPrefix" : starts ? "HasSuffix" : "Has";
      return { op: "binary", kind: `${kind}${cs ? "Cs" : ""}Expression`, left: column, right: { op: "lit", type: "string", value: core }, type: "bool" };
    };
    const anyColumn = (term: string): Expr => {
      const core = term.replace(/^\*|\*$/g, "");
      const mode = term.startsWith("*") ? "suffix-or-substring" : "term-or-prefix";
      const tests: Expr[] = [];
      input.columns.forEach((c, index) => {
        const cell: Expr = { op: "col", index, type: c.type };
        if (c.type === "string") tests.push(termTest(cell, term));
        else if (c.type === "dynamic") tests.push(termTest(asText(cell), term));
        else if (/^\p{L}+$/u.test(core) && (c.type === "long" || c.type === "int")) {
          // the text of a whole number is digits: a word is never in it
        } else if (mode === "term-or-prefix" && /^\p{L}+$/u.test(core) && (isNumeric(c.type) || c.type === "datetime" || c.type === "timespan")) {
          // the text of a number or a time starts every term with a digit, or is NaN/Infinity: a word can only match those
          if (/^(n|na|nan|i|in|inf|infi|infin|infini|infinit|infinity)$/i.test(core) && c.type === "real") unsupported(`search for "${term}" over a real column`);
        } else if (mode === "term-or-prefix" && /^\d+$/.test(core) && (c.type === "long" || c.type === "int")) {
          tests.push(termTest({ op: "call", name: "tostring", args: [cell], type: "string" }, term));
        } else unsupported(`search for "${term}" over a ${c.type} column`);
      });
      if (tests.length === 0) return { op: "lit", type: "bool", value: false };
      return tests.reduce((a, b) => ({ op: "binary", kind: "OrExpression", left: a, right: b, type: "bool" }));
    };
    const lowerPredicate = (n: SyntaxNode): Expr => {
      switch (n.kind) {
        case "ParenthesizedExpression":
          return lowerPredicate(parts(n)[0]!);
        case "AndExpression":
        case "OrExpression": {
          const [l, r] = parts(n);
          return { op: "binary", kind: n.kind, left: lowerPredicate(l!), right: lowerPredicate(r!), type: "bool" };
        }
        case "StringLiteralExpression":
          return anyColumn(n.value ?? "");
        case "SearchExpression": {
          const [target, term] = parts(n);
          if (!target || target.kind !== "NameReference" || term?.kind !== "StringLiteralExpression") return unsupported("search Column:term");
          const column = this.expr(target, scope);
          if (column.type !== "string" && column.type !== "dynamic") return unsupported(`search ${column.type}:term`);
          return termTest(column.type === "dynamic" ? asText(column) : column, term.value ?? "");
        }
        case "FunctionCallExpression": {
          const args = elements(lists(child(n, "ExpressionList")!)[0]);
          if (nameOf(parts(n)[0]!) === "not" && args.length === 1 && args[0]!.kind === "StringLiteralExpression") {
            return { op: "call", name: "not", args: [lowerPredicate(args[0]!)], type: "bool" };
          }
          break;
        }
        default:
          break;
      }
      if (n.type !== "bool") return unsupported(`search for a ${n.type ?? "non-text"} value`);
      return this.expr(n, scope);
    };
    const predicate = lowerPredicate(predicateNode);
    const filtered: Tabular = { op: "where", input, predicate, columns: input.columns };
    if (sameSchema(columns, input.columns)) return filtered;
    // `$table` names the source; for rows of a datatable Kusto calls it search_arg0. For other sources it is not established.
    let source: Tabular = input;
    while ("input" in source) source = source.input;
    if (columns[0]?.name !== "$table" || !sameSchema(columns.slice(1), input.columns) || source.op !== "rows") return unsupported("search (the $table column)");
    return {
      op: "project",
      input: filtered,
      exprs: [{ op: "lit", type: "string", value: "search_arg0" }, ...input.columns.map((c, index): Expr => ({ op: "col", index, type: c.type }))],
      columns,
    };
  }

  /** `top-nested [n] of Expr by Aggregate [asc|desc], ...` (without `with others`). */
  private topNested(op: SyntaxNode, input: Tabular, columns: PlanColumn[]): Tabular {
    const scope: Scope = { columns: input.columns };
    const levels: Array<{ n?: number; key: Expr; aggregate: Aggregate; desc: boolean }> = [];
    const clauses = elements(lists(op)[0]).filter((c) => c.kind === "TopNestedClause");
    for (const clause of clauses) {
      if (child(clause, "TopNestedWithOthersClause")) return unsupported("top-nested with others");
      let ps = parts(clause);
      let n: number | undefined;
      if (ps.length === 3) {
        const count = this.expr(ps[0]!, { columns: [] });
        if (count.op !== "lit" || typeof count.value !== "number" || count.value < 0) return unsupported("top-nested with a computed count");
        n = count.value;
        ps = ps.slice(1);
      }
      const [of, by] = ps;
      if (!of || !by) return unsupported("top-nested");
      let desc = true;
      let aggregateNode = by;
      if (by.kind === "OrderedExpression") {
        aggregateNode = parts(by)[0]!;
        const ordering = child(by, "OrderingClause");
        if (ordering && /\basc\b/.test(tokenText(ordering))) desc = false;
        if (ordering && /nulls/.test(tokenText(ordering))) return unsupported("top-nested with nulls first/last");
      }
      const call = valueOf(aggregateNode);
      if (call.kind !== "FunctionCallExpression") return unsupported("top-nested by a non-aggregate expression");
      const fname = nameOf(parts(call)[0]!);
      if (!["count", "countif", "sum", "sumif", "avg", "avgif", "min", "max", "minif", "maxif", "dcount", "dcountif"].includes(fname)) return unsupported(`top-nested by ${fname}()`);
      const args = elements(lists(child(call, "ExpressionList")!)[0]).map((a) => this.expr(a, scope));
      levels.push({ ...(n !== undefined ? { n } : {}), key: this.expr(valueOf(of), scope), aggregate: { fn: fname, args }, desc });
    }
    if (levels.length === 0 || columns.length !== levels.length * 2) return unsupported("top-nested (output schema)");
    levels.forEach((l, i) => {
      if (l.key.type !== columns[i * 2]!.type) unsupported("top-nested (output schema)");
    });
    return { op: "topnested", input, levels, columns };
  }

  /** `make-series agg() [default = v], ... on Axis [from a] [to b] step s [by g, ...]`. */
  private makeSeries(op: SyntaxNode, input: Tabular, columns: PlanColumn[]): Tabular {
    const ls = lists(op);
    if (elements(ls[0]).length > 0) return unsupported("make-series with parameters");
    const scope: Scope = { columns: input.columns };
    const series: Array<{ aggregate: Aggregate; type: ScalarType; fallback: Expr }> = [];
    for (const item of elements(ls[1])) {
      if (item.kind !== "MakeSeriesExpression") return unsupported("make-series");
      const named = parts(item).find((c) => c.kind !== "DefaultExpressionClause")!;
      const call = valueOf(named);
      if (call.kind !== "FunctionCallExpression") return unsupported("make-series of a non-aggregate expression");
      const fname = nameOf(parts(call)[0]!);
      if (!["count", "countif", "sum", "sumif", "avg", "avgif", "min", "max", "minif", "maxif", "dcount", "dcountif"].includes(fname)) return unsupported(`make-series ${fname}()`);
      const args = elements(lists(child(call, "ExpressionList")!)[0]).map((a) => this.expr(a, scope));
      const type = scalarType(item.type, `make-series ${fname}()`);
      const clause = child(item, "DefaultExpressionClause");
      let fallback: Expr = { op: "lit", type, value: 0 };
      if (clause) {
        // a null default leaves empty bins null (the corpus shows `default = long(null)` so)
        fallback = coerce(this.expr(parts(clause)[0]!, { columns: [] }), type);
      }
      series.push({ aggregate: { fn: fname, args }, type, fallback });
    }
    const on = child(op, "MakeSeriesOnClause");
    const axisNode = on ? parts(on)[0] : undefined;
    if (!axisNode || axisNode.kind !== "NameReference") return unsupported("make-series on an expression");
    const axis = this.expr(axisNode, scope);
    if (axis.type !== "datetime" && axis.type !== "long" && axis.type !== "int" && axis.type !== "timespan") return unsupported(`make-series on a ${axis.type} axis`);
    const range = child(op, "MakeSeriesFromToStepClause");
    if (!range) return unsupported("make-series in range()");
    const value = (kind: string): Expr | undefined => {
      const c = child(range, kind);
      return c ? this.expr(parts(c)[0]!, { columns: [] }) : undefined;
    };
    const from = value("MakeSeriesFromClause");
    const to = value("MakeSeriesToClause");
    const step = value("MakeSeriesStepClause");
    if (!step) return unsupported("make-series without step");
    const byClause = child(op, "MakeSeriesByClause");
    const by = byClause ? elements(lists(byClause)[0]).map((e, i) => coerce(this.expr(valueOf(e), scope), columns[i]?.type ?? "dynamic")) : [];
    if (columns.length !== by.length + series.length + 1 || columns.at(-1)?.name !== nameOf(axisNode)) return unsupported("make-series (output schema)");
    const node: Tabular = { op: "makeseries", input, by, series, axis, step, columns };
    if (from) node.from = from;
    if (to) node.to = to;
    return node;
  }

  /** Operators piped onto a given input: a subquery that starts with an operator (mv-apply, and the like). */
  private chain(n: SyntaxNode, input: Tabular): Tabular {
    if (n.kind === "ParenthesizedExpression") return this.chain(parts(n)[0]!, input);
    if (n.kind === "PipeExpression") {
      const [left, op] = parts(n);
      if (!left || !op) return unsupported("pipe");
      const out = this.operator(op, this.chain(left, input));
      if (op.columns && !sameSchema(out.columns, columnsOf(op, op.kind))) return unsupported(`${operatorName(op)} (output schema)`);
      return out;
    }
    if (n.kind.endsWith("Operator")) return this.operator(n, input);
    return unsupported(`a subquery that starts with ${n.kind}`);
  }

  private mvExpand(
    op: SyntaxNode,
    input: Tabular,
    columns: PlanColumn[],
    kinds = { item: "MvExpandExpression", limit: "MvExpandRowLimitClause", what: "mv-expand" },
  ): Extract<Tabular, { op: "mvexpand" }> {
    const ls = lists(op);
    let itemIndexName: string | undefined;
    let bagAsArray = false;
    for (const p of elements(ls[0])) {
      const pname = nameOf(child(p, "NameDeclaration") ?? p);
      const v = parts(p).at(-1);
      const value = v ? nameOf(v) : "";
      if (pname === "with_itemindex" && v) itemIndexName = value;
      else if ((pname === "kind" || pname === "bagexpansion") && (value === "array" || value === "bag")) bagAsArray = value === "array";
      else return unsupported(`${kinds.what} ${pname}=${value}`);
    }
    let limit: number | undefined;
    const limitClause = child(op, kinds.limit);
    if (limitClause) {
      const lit = this.expr(parts(limitClause)[0]!, { columns: [] });
      if (lit.op !== "lit" || typeof lit.value !== "number") return unsupported(`${kinds.what} with a computed limit`);
      limit = lit.value;
    }
    const scope: Scope = { columns: input.columns };
    const targets: Array<{ expr: Expr; type: ScalarType }> = [];
    const outputIndexes: number[] = [];
    for (const item of elements(ls[1])) {
      if (item.kind !== kinds.item) return unsupported(kinds.what);
      const [target] = parts(item);
      if (!target) return unsupported(kinds.what);
      let name: string;
      let value: SyntaxNode;
      if (target.kind === "SimpleNamedExpression") {
        name = nameOf(child(target, "NameDeclaration")!);
        value = parts(target).at(-1)!;
      } else if (target.kind === "NameReference" && target.symbol?.kind === "Column") {
        name = nameOf(target);
        value = target;
      } else if (kinds.what === "mv-expand" && target.kind === "FunctionCallExpression") {
        // mv-expand parse_json(s): Kusto names the result after the one column the call reads, in that column's place.
        const read = new Set<string>();
        const walk = (x: SyntaxNode): void => {
          if (x.kind === "NameReference" && x.symbol?.kind === "Column") read.add(nameOf(x));
          x.children.forEach(walk);
        };
        walk(target);
        if (read.size !== 1) return unsupported("mv-expand of an unnamed expression");
        name = [...read][0]!;
        value = target;
      } else return unsupported(`${kinds.what} of an unnamed expression`);
      const idx = columns.findIndex((c) => c.name === name);
      if (idx < 0) return unsupported(`${kinds.what} (column name)`);
      const expr = this.expr(value, scope);
      if (expr.type !== "dynamic") return unsupported(`${kinds.what} of a non-dynamic value`);
      targets.push({ expr, type: columns[idx]!.type });
      outputIndexes.push(idx);
    }
    let itemIndex: number | undefined;
    if (itemIndexName !== undefined) {
      itemIndex = columns.findIndex((c) => c.name === itemIndexName && c.type === "long");
      if (itemIndex < 0 || outputIndexes.includes(itemIndex)) return unsupported("mv-expand with_itemindex (column)");
    }
    for (let i = 0; i < input.columns.length; i++) {
      if (outputIndexes.includes(i)) continue;
      const c = input.columns[i]!;
      if (columns[i]?.name !== c.name || columns[i]?.type !== c.type) return unsupported("mv-expand (output schema)");
    }
    const extra = columns.length - input.columns.length - (itemIndex !== undefined ? 1 : 0);
    if (extra < 0 || extra > targets.length) return unsupported("mv-expand (output schema)");
    const node: Tabular = { op: "mvexpand", input, targets, outputIndexes, columns };
    if (itemIndex !== undefined) node.itemIndex = itemIndex;
    if (bagAsArray) node.bagAsArray = true;
    if (limit !== undefined) node.limit = limit;
    return node;
  }

  expr(n: SyntaxNode, scope: Scope): Expr {
    switch (n.kind) {
      case "ParenthesizedExpression":
        return this.expr(parts(n)[0]!, scope);
      case "LongLiteralExpression":
      case "IntLiteralExpression":
      case "RealLiteralExpression":
      case "BooleanLiteralExpression":
      case "StringLiteralExpression":
      case "TimespanLiteralExpression":
      case "DateTimeLiteralExpression":
      case "GuidLiteralExpression":
      case "DynamicExpression":
        return literal(n);
      case "NullLiteralExpression":
        return unsupported("untyped null");
      case "ToScalarExpression": {
        if (elements(lists(n)[0]).length > 0) return unsupported("toscalar() with parameters");
        const inner = parts(n).find((c) => c.columns !== undefined);
        if (!inner) return unsupported("toscalar()");
        const plan = this.tabular(inner);
        const type = scalarType(n.type, "toscalar()");
        if (plan.columns[0]?.type !== type) return unsupported("toscalar() (type)");
        return { op: "toscalar", plan, type };
      }
      case "NameReference": {
        const name = nameOf(n);
        const type = scalarType(n.type, name);
        if (n.symbol?.kind === "Column") {
          const idx = scope.columns.findIndex((c) => c.name === name);
          if (idx < 0) return unsupported(`column ${name} in this position`);
          return { op: "col", index: idx, type };
        }
        if (n.symbol?.kind === "Variable" || n.symbol?.kind === "Parameter") {
          const bound = this.env.scalars.get(name);
          if (bound) return bound;
          if (this.env.params.has(name)) return { op: "param", name, type };
        }
        return unsupported(`name ${name}`);
      }
      case "UnaryMinusExpression":
      case "UnaryPlusExpression": {
        const operand = this.expr(parts(n)[0]!, scope);
        const type = scalarType(n.type, "unary expression");
        if (operand.op === "lit" && n.kind === "UnaryMinusExpression") {
          // Kusto negates as 0 - x: -0.0 is +0.
          if (typeof operand.value === "number") return { ...operand, value: 0 - operand.value };
          if ((type === "timespan" || type === "datetime") && typeof operand.value === "string") {
            return { ...operand, value: operand.value.startsWith("-") ? operand.value.slice(1) : `-${operand.value}` };
          }
        }
        return { op: "unary", kind: n.kind === "UnaryMinusExpression" ? "minus" : "plus", operand, type };
      }
      case "FunctionCallExpression":
        return this.aggregateRefs?.get(n) ?? this.call(n, scope);
      case "PathExpression": {
        const [target, selector] = parts(n);
        const state = this.scanState;
        if (state && target?.kind === "NameReference" && nameOf(target) === state.name && target.columns !== undefined) {
          const name = nameOf(selector!);
          const index = state.declared.indexOf(name);
          if (index < 0) return unsupported(state.inputColumns.includes(name) ? "scan reading an input column of the step's state" : `scan state ${name}`);
          return { op: "col", index: state.offset + index, type: scalarType(n.type, name) };
        }
        const t = this.expr(target!, scope);
        if (t.type !== "dynamic") return unsupported("member access on a non-dynamic value");
        return { op: "member", target: t, key: { op: "lit", type: "string", value: nameOf(selector!) }, type: "dynamic" };
      }
      case "ElementExpression": {
        const [target, bracket] = parts(n);
        const t = this.expr(target!, scope);
        if (t.type !== "dynamic") return unsupported("element access on a non-dynamic value");
        const key = this.expr(parts(bracket!)[0]!, scope);
        if (key.type !== "string" && key.type !== "long" && key.type !== "int") return unsupported("element access with a computed key");
        return { op: "member", target: t, key, type: "dynamic" };
      }
      case "BetweenExpression":
      case "NotBetweenExpression": {
        const [value, couple] = parts(n);
        const [low, high] = parts(couple!);
        return {
          op: "between",
          negated: n.kind === "NotBetweenExpression",
          value: this.expr(value!, scope),
          low: this.expr(low!, scope),
          high: this.expr(high!, scope),
          type: "bool",
        };
      }
      default:
        break;
    }
    if (binaryKinds.has(n.kind) && parts(n)[0]?.kind === "StarExpression") return this.starTest(n, scope);
    if (binaryKinds.has(n.kind)) {
      const [l, r] = parts(n);
      const left = this.expr(l!, scope);
      const right = this.expr(r!, scope);
      const type = scalarType(n.type, n.kind);
      checkBinary(n.kind, left.type, right.type, writtenText(n));
      // A string operator reads a dynamic operand as its JSON text, as tostring() gives it.
      if (stringOperatorKinds.has(n.kind) && left.type === "dynamic" && right.type !== "dynamic") {
        return { op: "binary", kind: n.kind, left: asText(left), right, type };
      }
      return { op: "binary", kind: n.kind, left, right, type };
    }
    if (setKinds.has(n.kind)) {
      const [l, list] = parts(n);
      const left = this.expr(l!, scope);
      const itemNodes = elements(lists(list!)[0]);
      if (itemNodes.some((x) => x.columns !== undefined) && itemNodes.length > 1) return unsupported(`${n.kind.replace(/Expression$/, "")} with a subquery among values`);
      // A tabular expression of one column stands for its values.
      const items = itemNodes.map((x): Expr => {
        if (x.columns === undefined) return this.expr(x, scope);
        const plan = this.tabular(x);
        const first = plan.columns[0];
        if (!first) return unsupported(`${n.kind.replace(/Expression$/, "")} with a subquery without columns`);
        // which column a subquery of several columns stands for is not established here
        if (plan.columns.length > 1) return unsupported(`${n.kind.replace(/Expression$/, "")} with a subquery of several columns`);
        return { op: "rows", plan, type: first.type };
      });
      if (left.type === "dynamic") {
        if (n.kind === "InExpression" || n.kind === "NotInExpression") return unsupported(`${n.kind.replace(/Expression$/, "")} on a dynamic value`);
        return { op: "set", kind: n.kind, left: asText(left), items, type: "bool" };
      }
      if (n.kind !== "HasAnyExpression" && n.kind !== "HasAllExpression") {
        for (const item of items) checkBinary("EqualExpression", left.type, item.type, writtenText(n));
      }
      return { op: "set", kind: n.kind, left, items, type: "bool" };
    }
    return unsupported(n.kind.replace(/Expression$/, " expression"));
  }

  private call(n: SyntaxNode, scope: Scope): Expr {
    const fname = nameOf(parts(n)[0]!);
    if (this.env.functions.has(fname) && n.expansion) {
      const e = this.expand(n, scope, (body, s) => this.expr(body, s));
      if (e.type !== scalarType(n.type, `${fname}()`)) return unsupported(`${fname}() (result type)`);
      return e;
    }
    let argNodes = elements(lists(child(n, "ExpressionList")!)[0]);
    if (aggregateFunctions.has(fname) && !scalarFunctions.has(fname)) return unsupported(`${fname}() outside summarize`);
    // replace() is replace_regex() with its arguments in another order: (regex, rewrite, text).
    if (fname === "replace" && argNodes.length === 3) argNodes = [argNodes[2]!, argNodes[0]!, argNodes[1]!];
    const name = scalarAliases[fname] ?? fname;
    if (!scalarFunctions.has(name) && !windowFunctions.has(name)) return unsupported(`${fname}()`);
    if (n.symbol && n.symbol.kind !== "Function") return unsupported(`${fname}()`);
    const args = argNodes.map((a) => this.expr(a, scope));
    const type = scalarType(n.type, `${fname}()`);
    // These return one of their arguments as it is: one of another type than the result (a dynamic value where
    // Kusto.Language types the result as string) would be a cell of the wrong kind.
    const picks = (i: number): boolean =>
      name === "iff" || name === "iif" ? i > 0 : name === "case" ? i % 2 === 1 || i === args.length - 1 : name === "coalesce";
    let dynamicPick = false;
    args.forEach((a, i) => {
      if (!picks(i) || a.type === type || (isNumeric(a.type) && isNumeric(type))) return;
      if (a.type === "dynamic" && type === "string") dynamicPick = true;
      else unsupported(`${fname}() of a ${a.type} value where the result is ${type}`);
    });
    // a dynamic string picked where the result is a string is that string; any other dynamic value is refused when met
    if (dynamicPick) return { op: "call", name: "dynamic_string", args: [{ op: "call", name, args, type: "dynamic" }], type: "string" };
    return { op: "call", name, args, type };
  }
}

function isNumeric(t: ScalarType): boolean {
  return t === "long" || t === "int" || t === "real";
}

const comparisonKinds = new Set(["EqualExpression", "NotEqualExpression", "LessThanExpression", "LessThanOrEqualExpression", "GreaterThanExpression", "GreaterThanOrEqualExpression"]);
const stringOperatorKinds = new Set([...binaryKinds].filter((k) => !comparisonKinds.has(k) && !/^(Add|Subtract|Multiply|Divide|Modulo|And|Or)Expression$/.test(k)));

function asText(e: Expr): Expr {
  return { op: "call", name: "tostring", args: [e], type: "string" };
}

function checkBinary(kind: string, l: ScalarType, r: ScalarType, written = ""): void {
  // Kusto.Language accepts `ResultType == 0` on a string column; what the real engine answers is not established.
  if (comparisonKinds.has(kind) && ((l === "string" && isNumeric(r)) || (isNumeric(l) && r === "string"))) {
    const shown = written.length > 60 ? `${written.slice(0, 57)}...` : written;
    unsupported(
      `comparison of a string with a number${shown ? ` (${shown})` : ""}`,
      'Quote the number to compare text with text (ResultType == "0", ResultType in ("50126", "50053")), or convert the column (toint(ResultType) == 0).',
    );
  }
  if ((l === "dynamic" || r === "dynamic") && kind !== "AndExpression" && kind !== "OrExpression") {
    const other = l === "dynamic" ? r : l;
    if (stringOperatorKinds.has(kind) && l === "dynamic" && r === "string") return;
    if (!["EqualExpression", "NotEqualExpression"].includes(kind) || other === "dynamic") unsupported(`${kind.replace(/Expression$/, "")} on dynamic values`);
  }
}

function valueOf(e: SyntaxNode): SyntaxNode {
  return e.kind === "SimpleNamedExpression" ? parts(e).at(-1)! : e;
}

/** A literal converted to the column type it lands in (datatable cells and print values keep Kusto's column type). */
function coerce(e: Expr, type: ScalarType): Expr {
  if (e.type === type) return e;
  if (e.op === "lit" && e.value === null) return { ...e, type };
  if (isNumeric(e.type) && isNumeric(type)) return { op: "call", name: type === "real" ? "todouble" : type === "int" ? "toint" : "tolong", args: [e], type };
  if (type === "dynamic") return { op: "call", name: "todynamic", args: [e], type };
  return unsupported(`conversion of ${e.type} to ${type}`);
}

function operatorName(n: SyntaxNode): string {
  const first = n.children.find(isToken);
  return first?.text ? first.text : n.kind;
}

const nullLiteral = /^\s*[a-z]+\s*\(\s*null\s*\)\s*$/i;

function literal(n: SyntaxNode): Expr {
  const text = tokenText(n).trim();
  const type = scalarType(n.type, n.kind);
  if (nullLiteral.test(text)) return { op: "lit", type, value: null };
  switch (n.kind) {
    case "LongLiteralExpression":
    case "IntLiteralExpression": {
      const v = Number(n.value ?? text.replace(/^[a-z]+\(|\)$/gi, ""));
      if (!Number.isFinite(v) || !isSafeLong(v)) return unsupported("long literals beyond 2^53");
      return { op: "lit", type, value: v };
    }
    case "RealLiteralExpression": {
      const inner = text.replace(/^(real|double)\s*\(\s*|\s*\)$/gi, "").toLowerCase();
      // A literal -0.0 is +0 in Kusto.
      const v = inner === "nan" ? "NaN" : inner === "+inf" || inner === "inf" ? "Infinity" : inner === "-inf" ? "-Infinity" : Number(inner) + 0;
      if (typeof v === "number" && Number.isNaN(v)) return unsupported(`real literal ${text}`);
      return { op: "lit", type, value: v };
    }
    case "BooleanLiteralExpression": {
      const inner = text.replace(/^bool(ean)?\s*\(\s*|\s*\)$/gi, "").toLowerCase();
      if (inner === "true" || inner === "1") return { op: "lit", type, value: true };
      if (inner === "false" || inner === "0") return { op: "lit", type, value: false };
      return unsupported(`bool literal ${text}`);
    }
    case "StringLiteralExpression":
      return { op: "lit", type: "string", value: n.value ?? "" };
    case "TimespanLiteralExpression": {
      // The text is parsed here: Kusto.Language's decoded value of time(d.hh:mm:ss.fffffff) forms is not exact.
      const inner = text.replace(/^(timespan|time)\s*\(\s*|\s*\)$/gi, "");
      const t = parseTimespan(inner);
      if (t !== undefined) return { op: "lit", type, value: String(t) };
      if (n.value !== undefined && n.value !== null && /^-?\d+$/.test(n.value) && !/[:.]/.test(inner)) return { op: "lit", type, value: n.value };
      return unsupported(`timespan literal ${text}`);
    }
    case "DateTimeLiteralExpression": {
      const written = text.replace(/^(datetime|date)\s*\(\s*|\s*\)$/gi, "");
      const inner = /^(['"])(.*)\1$/.exec(written)?.[2] ?? written;
      const t = parseDateTime(inner);
      if (t === undefined) return unsupported(`datetime literal ${text}`);
      return { op: "lit", type, value: String(t) };
    }
    case "GuidLiteralExpression": {
      const inner = text.replace(/^guid\s*\(\s*|\s*\)$/gi, "").toLowerCase();
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(inner)) return unsupported(`guid literal ${text}`);
      return { op: "lit", type, value: inner };
    }
    case "DynamicExpression": {
      const json = n.value ?? "null";
      const hazard = jsonNumberHazard(json);
      if (hazard) return unsupported(`dynamic literals holding ${hazard}`);
      try {
        const value = JSON.parse(json) as LiteralValue;
        return { op: "lit", type: "dynamic", value };
      } catch {
        return unsupported(`dynamic literal ${text}`);
      }
    }
    default:
      return unsupported(n.kind);
  }
}

type LiteralValue = string | number | boolean | null | unknown[] | Record<string, unknown>;

/** True when the final result's row order is fixed by the query. */
export function isOrdered(t: Tabular): boolean {
  switch (t.op) {
    case "sort":
    case "top":
      return true;
    case "where":
    case "project":
    case "take":
    case "mvexpand":
    case "parse":
    case "parsekv":
    case "scan":
      return isOrdered(t.input);
    case "range":
      return true;
    default:
      return false;
  }
}
