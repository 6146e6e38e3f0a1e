/**
 * Evaluates a plan over in-memory rows. Expressions are compiled once per run into closures over a row array;
 * constant sub-expressions (literals, parameters, ago(), now()) are folded before the first row.
 */
import { AzirError } from "../../core/errors.js";
import { unsupported } from "./errors.js";
import { type CallContext, windowFunctions, fromDynamicValue, hasTerm, scalarFunctions, toDynamicValue, toRegExp, scalarToString } from "./functions.js";
import type { Aggregate, Expr, KqlPlan, KqlResult, KqlTable, ScalarType, SortKey, Tabular } from "./types.js";
import { MAX_DATETIME, MIN_DATETIME, TICKS_PER_MS, isIsoShaped, isSafeLong, parseDateTime } from "./values.js";

type Row = unknown[];
type Fn = (row: Row) => unknown;

interface Compiled {
  fn: Fn;
  constant: boolean;
}

interface RunContext extends CallContext {
  /** The rows of the project being evaluated and the current index, for window functions. */
  window: { rows: Row[]; index: number };
  params: Record<string, unknown>;
  tables: Record<string, KqlTable>;
  lets: Map<string, Row[]>;
  /** Tables widened to the columns a plan reads, by table and column list (see the `table` case). */
  widened: Map<string, Row[]>;
}

const constantOf = (v: unknown): Compiled => ({ fn: () => v, constant: true });

function literalValue(e: Extract<Expr, { op: "lit" }>): unknown {
  if (e.value === null) return null;
  switch (e.type) {
    case "datetime":
    case "timespan":
      return BigInt(e.value as string);
    case "real":
      return typeof e.value === "string" ? Number(e.value) : e.value;
    default:
      return e.value;
  }
}

function compile(e: Expr, ctx: RunContext): Compiled {
  const c = compileRaw(e, ctx);
  if (c.constant) {
    const v = c.fn([]);
    return constantOf(v);
  }
  return c;
}

function compileRaw(e: Expr, ctx: RunContext): Compiled {
  switch (e.op) {
    case "lit":
      return constantOf(literalValue(e));
    case "col": {
      const i = e.index;
      return { fn: (row) => row[i], constant: false };
    }
    case "param": {
      if (!(e.name in ctx.params)) throw new AzirError("usage", `query parameter ${e.name} has no value`, { hint: `Bind ${e.name} with a leading let statement.` });
      return constantOf(ctx.params[e.name]);
    }
    case "unary": {
      const o = compile(e.operand, ctx);
      if (e.kind === "plus") return o;
      const f = o.fn;
      return {
        fn: (row) => {
          const v = f(row);
          if (v === null) return null;
          return typeof v === "bigint" ? -v : 0 - (v as number);
        },
        constant: o.constant,
      };
    }
    case "binary":
      return compileBinary(e, ctx);
    case "set":
      return compileSet(e, ctx);
    case "between": {
      const v = compile(e.value, ctx);
      const lo = compile(e.low, ctx);
      const hi = compile(e.high, ctx);
      const relative = (e.value.type === "datetime" || e.value.type === "timespan") && e.high.type === "timespan" && e.value.type === "datetime";
      const neg = e.negated;
      return {
        fn: (row) => {
          const x = v.fn(row);
          const a = lo.fn(row);
          let b = hi.fn(row);
          if (x === null || a === null || b === null) return null;
          if (relative) b = (a as bigint) + (b as bigint);
          const inside = (x as number) >= (a as number) && (x as number) <= (b as number);
          return neg ? !inside : inside;
        },
        constant: v.constant && lo.constant && hi.constant,
      };
    }
    case "rows":
      return constantOf(evaluate(e.plan, ctx).map((r) => r[0] ?? null));
    case "toscalar": {
      const rows = evaluate(e.plan, ctx);
      const v = rows[0]?.[0];
      return constantOf(v === undefined ? (e.type === "string" ? "" : null) : v);
    }
    case "member": {
      const t = compile(e.target, ctx);
      const k = compile(e.key, ctx);
      return {
        fn: (row) => member(t.fn(row), k.fn(row)),
        constant: t.constant && k.constant,
      };
    }
    case "call": {
      if (windowFunctions.has(e.name)) return compileWindow(e, ctx);
      const impl = scalarFunctions.get(e.name);
      if (!impl) return unsupported(`${e.name}()`);
      const args = e.args.map((a) => compile(a, ctx));
      const types = e.args.map((a) => a.type);
      const type = e.type;
      const constant = args.every((a) => a.constant) && e.name !== "rand";
      if (e.name === "matches_regex") return unsupported("matches_regex()");
      const fns = args.map((a) => a.fn);
      if (fns.length === 1) {
        const f0 = fns[0]!;
        return { fn: (row) => impl([f0(row)], types, type, ctx), constant };
      }
      return { fn: (row) => impl(fns.map((f) => f(row)), types, type, ctx), constant };
    }
  }
}

function compileWindow(e: Extract<Expr, { op: "call" }>, ctx: RunContext): Compiled {
  const args = e.args.map((a) => compile(a, ctx));
  const w = ctx.window;
  const empty = e.type === "string" ? "" : null;
  switch (e.name) {
    case "row_number": {
      const start = args[0] ? args[0].fn([]) : 1;
      if (args[0] && !args[0].constant) return unsupported("row_number() with a computed start");
      const restart = args[1]?.fn;
      let n = 0;
      let last = -2;
      return {
        fn: (row) => {
          if (w.index !== last + 1 || w.index === 0 || (restart && restart(row) === true)) n = start as number;
          else n++;
          last = w.index;
          return n;
        },
        constant: false,
      };
    }
    case "prev":
    case "next": {
      const value = args[0]!.fn;
      const offset = args[1] ? args[1].fn([]) : 1;
      if (args[1] && !args[1].constant) return unsupported(`${e.name}() with a computed offset`);
      const fallback = args[2] ? args[2].fn : () => empty;
      const step = (e.name === "prev" ? -1 : 1) * (offset as number);
      return {
        fn: (row) => {
          const other = w.rows[w.index + step];
          return other === undefined ? fallback(row) : value(other);
        },
        constant: false,
      };
    }
    case "row_rank_dense":
    case "row_rank_min": {
      // Rank of the current row's value among the serialized rows, restarting when asked; ties share a rank.
      const value = args[0]!.fn;
      const restart = args[1]?.fn;
      const dense = e.name === "row_rank_dense";
      let rank = 0;
      let position = 0;
      let previous: unknown;
      let last = -2;
      return {
        fn: (row) => {
          const v = value(row);
          if (v !== null && typeof v === "object") return unsupported(`${e.name}() of dynamic values`);
          if (w.index !== last + 1 || w.index === 0 || (restart && restart(row) === true)) {
            rank = 1;
            position = 1;
          } else {
            position++;
            if (!(v === previous || (v === null && previous === null))) rank = dense ? rank + 1 : position;
          }
          previous = v;
          last = w.index;
          return rank;
        },
        constant: false,
      };
    }
    case "row_cumsum": {
      const value = args[0]!.fn;
      const restart = args[1]?.fn;
      let sum = 0;
      let last = -2;
      return {
        fn: (row) => {
          if (w.index !== last + 1 || w.index === 0 || (restart && restart(row) === true)) sum = 0;
          last = w.index;
          const v = value(row);
          if (v !== null) sum += v as number;
          return e.type === "real" ? sum : checkInt(sum, e.type);
        },
        constant: false,
      };
    }
    default:
      return unsupported(`${e.name}()`);
  }
}

function member(target: unknown, key: unknown): unknown {
  if (target === null || target === undefined || key === null) return null;
  if (typeof key === "number") {
    if (!Array.isArray(target)) return null;
    const i = key < 0 ? target.length + key : key;
    const v = target[i] as unknown;
    return v === undefined ? null : v;
  }
  if (typeof target !== "object" || Array.isArray(target)) return null;
  const v = (target as Record<string, unknown>)[key as string];
  return v === undefined ? null : v;
}

const isNum = (t: ScalarType): boolean => t === "long" || t === "int" || t === "real";
const isTicks = (t: ScalarType): boolean => t === "datetime" || t === "timespan";

function compileBinary(e: Extract<Expr, { op: "binary" }>, ctx: RunContext): Compiled {
  const l = compile(e.left, ctx);
  const r = compile(e.right, ctx);
  const lf = l.fn;
  const rf = r.fn;
  const constant = l.constant && r.constant;
  const lt = e.left.type;
  const rt = e.right.type;
  const type = e.type;
  const wrap = (op: (a: unknown, b: unknown) => unknown): Compiled => ({
    fn: (row) => {
      const a = lf(row);
      if (a === null) return null;
      const b = rf(row);
      if (b === null) return null;
      return op(a, b);
    },
    constant,
  });
  const str = (f: (a: string, b: string) => boolean): Compiled => {
    if (lt === "dynamic" || rt === "dynamic") return unsupported(`${e.kind} on dynamic values`);
    const ls = lt === "string" ? null : lt;
    const rs = rt === "string" ? null : rt;
    if (r.constant && rs === null) {
      const b = (rf([]) as string) ?? "";
      return { fn: (row) => f(ls ? scalarToString(lf(row), ls) : ((lf(row) as string) ?? ""), b), constant };
    }
    return {
      fn: (row) => f(ls ? scalarToString(lf(row), ls) : ((lf(row) as string) ?? ""), rs ? scalarToString(rf(row), rs) : ((rf(row) as string) ?? "")),
      constant,
    };
  };
  switch (e.kind) {
    case "AndExpression":
      return {
        fn: (row) => {
          const a = lf(row);
          if (a === false) return false;
          const b = rf(row);
          if (b === false) return false;
          return a === null || b === null ? null : true;
        },
        constant,
      };
    case "OrExpression":
      return {
        fn: (row) => {
          const a = lf(row);
          if (a === true) return true;
          const b = rf(row);
          if (b === true) return true;
          return a === null || b === null ? null : false;
        },
        constant,
      };
    case "EqualExpression":
    case "NotEqualExpression": {
      const neg = e.kind === "NotEqualExpression";
      if (lt === "dynamic" || rt === "dynamic") {
        const other = lt === "dynamic" ? rt : lt;
        const dynLeft = lt === "dynamic";
        return wrap((a, b) => {
          const d = dynLeft ? a : b;
          const o = dynLeft ? b : a;
          let eq: boolean | null;
          if (other === "string") eq = typeof d === "string" ? d === o : null;
          else if (isNum(other)) eq = typeof d === "number" ? d === o : null;
          else if (other === "bool") eq = typeof d === "boolean" ? d === o : null;
          else return unsupported(`comparison of dynamic and ${other}`);
          if (eq === null) return unsupported(`comparison of a dynamic ${typeof d} with ${other}`);
          return neg ? !eq : eq;
        });
      }
      if (lt === "string" && rt === "string") {
        if (r.constant) {
          const b = rf([]);
          // a column against a constant reads the cell directly: the commonest filter of a hunt
          if (e.left.op === "col") {
            const i = e.left.index;
            return { fn: neg ? (row) => row[i] !== b : (row) => row[i] === b, constant };
          }
          return { fn: neg ? (row) => lf(row) !== b : (row) => lf(row) === b, constant };
        }
        return { fn: (row) => (lf(row) === rf(row)) !== neg, constant };
      }
      // A null is equal to nothing, itself included: == gives false and != gives true.
      return {
        fn: (row) => {
          const a = lf(row);
          const b = rf(row);
          if (a === null || b === null || a === undefined || b === undefined) return neg;
          return (a === b) !== neg;
        },
        constant,
      };
    }
    case "LessThanExpression":
    case "LessThanOrEqualExpression":
    case "GreaterThanExpression":
    case "GreaterThanOrEqualExpression":
      if (e.left.op === "col" && r.constant && !l.constant && (isNum(lt) || isTicks(lt)) && (lt === rt || (isNum(lt) && isNum(rt)))) {
        // a column against a constant (TimeGenerated > ago(30d)): the same test, without the calls
        const i = e.left.index;
        const b = rf([]) as number;
        if (b === null) return constantOf(null);
        switch (e.kind) {
          case "LessThanExpression":
            return { fn: (row) => (row[i] === null ? null : (row[i] as number) < b), constant: false };
          case "GreaterThanExpression":
            return { fn: (row) => (row[i] === null ? null : (row[i] as number) > b), constant: false };
          case "LessThanOrEqualExpression":
            return { fn: (row) => (row[i] === null ? null : !((row[i] as number) > b)), constant: false };
          default:
            return { fn: (row) => (row[i] === null ? null : !((row[i] as number) < b)), constant: false };
        }
      }
      break;
    default:
      break;
  }
  switch (e.kind) {
    case "LessThanExpression":
      return compare(lt, rt, lf, rf, constant, (c) => c < 0);
    case "LessThanOrEqualExpression":
      return compare(lt, rt, lf, rf, constant, (c) => c <= 0);
    case "GreaterThanExpression":
      return compare(lt, rt, lf, rf, constant, (c) => c > 0);
    case "GreaterThanOrEqualExpression":
      return compare(lt, rt, lf, rf, constant, (c) => c >= 0);
    case "AddExpression":
    case "SubtractExpression":
    case "MultiplyExpression":
    case "DivideExpression":
    case "ModuloExpression":
      return wrap(arithmetic(e.kind, lt, rt, type));
    case "EqualTildeExpression":
      return str((a, b) => a.toLowerCase() === b.toLowerCase());
    case "BangTildeExpression":
      return str((a, b) => a.toLowerCase() !== b.toLowerCase());
    case "HasExpression":
      return str((a, b) => hasTerm(a, b, false));
    case "HasCsExpression":
      return str((a, b) => hasTerm(a, b, true));
    case "NotHasExpression":
      return str((a, b) => !hasTerm(a, b, false));
    case "NotHasCsExpression":
      return str((a, b) => !hasTerm(a, b, true));
    case "HasPrefixExpression":
      return str((a, b) => hasTerm(a, b, false, "prefix"));
    case "NotHasPrefixExpression":
      return str((a, b) => !hasTerm(a, b, false, "prefix"));
    case "HasSuffixExpression":
      return str((a, b) => hasTerm(a, b, false, "suffix"));
    case "NotHasSuffixExpression":
      return str((a, b) => !hasTerm(a, b, false, "suffix"));
    case "ContainsExpression":
      return str((a, b) => a.toLowerCase().includes(b.toLowerCase()));
    case "NotContainsExpression":
      return str((a, b) => !a.toLowerCase().includes(b.toLowerCase()));
    case "ContainsCsExpression":
      return str((a, b) => a.includes(b));
    case "NotContainsCsExpression":
      return str((a, b) => !a.includes(b));
    case "StartsWithExpression":
      return str((a, b) => a.toLowerCase().startsWith(b.toLowerCase()));
    case "NotStartsWithExpression":
      return str((a, b) => !a.toLowerCase().startsWith(b.toLowerCase()));
    case "StartsWithCsExpression":
      return str((a, b) => a.startsWith(b));
    case "NotStartsWithCsExpression":
      return str((a, b) => !a.startsWith(b));
    case "EndsWithExpression":
      return str((a, b) => a.toLowerCase().endsWith(b.toLowerCase()));
    case "NotEndsWithExpression":
      return str((a, b) => !a.toLowerCase().endsWith(b.toLowerCase()));
    case "EndsWithCsExpression":
      return str((a, b) => a.endsWith(b));
    case "NotEndsWithCsExpression":
      return str((a, b) => !a.endsWith(b));
    case "MatchesRegexExpression":
      return str((a, b) => toRegExp(b, "").test(a));
    default:
      return unsupported(e.kind.replace(/Expression$/, ""));
  }
}

function compare(lt: ScalarType, rt: ScalarType, lf: Fn, rf: Fn, constant: boolean, test: (c: number) => boolean): Compiled {
  const ok =
    (isNum(lt) && isNum(rt)) || (isTicks(lt) && lt === rt) || (lt === "string" && rt === "string") || (lt === "bool" && rt === "bool");
  if (!ok) return unsupported(`comparison of ${lt} and ${rt}`);
  if (lt === "string") return unsupported("ordering comparison of strings");
  return {
    fn: (row) => {
      const a = lf(row);
      if (a === null) return null;
      const b = rf(row);
      if (b === null) return null;
      return test((a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0);
    },
    constant,
  };
}

function arithmetic(kind: string, lt: ScalarType, rt: ScalarType, type: ScalarType): (a: unknown, b: unknown) => unknown {
  if (isNum(lt) && isNum(rt)) {
    const real = type === "real";
    switch (kind) {
      case "AddExpression":
        return real ? (a, b) => (a as number) + (b as number) : (a, b) => checkInt((a as number) + (b as number), type);
      case "SubtractExpression":
        return real ? (a, b) => (a as number) - (b as number) : (a, b) => checkInt((a as number) - (b as number), type);
      case "MultiplyExpression":
        return real ? (a, b) => (a as number) * (b as number) : (a, b) => checkInt((a as number) * (b as number), type);
      case "DivideExpression":
        return real
          ? (a, b) => (a as number) / (b as number)
          : (a, b) => ((b as number) === 0 ? null : checkInt(Math.trunc((a as number) / (b as number)), type));
      case "ModuloExpression":
        return real
          ? (a, b) => {
              // Never negative, as for integers: the remainder modulo |b|.
              const m = Math.abs(b as number);
              return ((((a as number) % m) + m) % m) + 0;
            }
          : (a, b) => {
              if ((b as number) === 0) return null;
              // Kusto's % is never negative: the remainder modulo |b|.
              const m = Math.abs(b as number);
              return checkInt((((a as number) % m) + m) % m, type);
            };
    }
  }
  if (isTicks(lt) && isTicks(rt)) {
    const inRange = type === "datetime" ? (v: bigint): bigint | null => (v < MIN_DATETIME || v > MAX_DATETIME ? null : v) : (v: bigint): bigint | null => v;
    if (kind === "AddExpression" && !(lt === "datetime" && rt === "datetime")) return (a, b) => inRange((a as bigint) + (b as bigint));
    if (kind === "SubtractExpression") return (a, b) => inRange((a as bigint) - (b as bigint));
    if (kind === "DivideExpression" && lt === "timespan" && rt === "timespan") return (a, b) => Number(a as bigint) / Number(b as bigint);
    if (kind === "ModuloExpression" && lt === "timespan" && rt === "timespan")
      return (a, b) => ((b as bigint) === 0n ? unsupported("timespan modulo by zero") : (a as bigint) % (b as bigint));
  }
  if (lt === "timespan" && isNum(rt)) {
    if (kind === "MultiplyExpression") return (a, b) => scaleTicks(a as bigint, b as number);
    if (kind === "DivideExpression") return (a, b) => ((b as number) === 0 ? unsupported("timespan division by zero") : scaleTicks(a as bigint, 1 / (b as number), b as number));
  }
  if (isNum(lt) && rt === "timespan" && kind === "MultiplyExpression") return (a, b) => scaleTicks(b as bigint, a as number);
  return unsupported(`${kind.replace(/Expression$/, "")} of ${lt} and ${rt}`);
}

function scaleTicks(t: bigint, factor: number, divisor?: number): bigint {
  if (divisor !== undefined && Number.isInteger(divisor)) return t / BigInt(divisor);
  if (Number.isInteger(factor)) return t * BigInt(factor);
  const v = Number(t) * factor;
  if (!Number.isSafeInteger(Math.round(v))) return unsupported("timespan arithmetic beyond 2^53 ticks");
  return BigInt(Math.trunc(v));
}

function checkInt(v: number, type: ScalarType): number {
  if (type === "int" && (v > 2147483647 || v < -2147483648)) return unsupported("int overflow");
  if (!isSafeLong(v)) return unsupported("long arithmetic beyond 2^53");
  return v;
}

function compileSet(e: Extract<Expr, { op: "set" }>, ctx: RunContext): Compiled {
  const l = compile(e.left, ctx);
  const items = e.items.map((i) => ({ c: compile(i, ctx), type: i.type, rows: i.op === "rows" }));
  const neg = e.kind === "NotInExpression" || e.kind === "NotInCsExpression";
  const lt = e.left.type;
  const expand = (row: Row): unknown[] => {
    const out: unknown[] = [];
    for (const it of items) {
      const v = it.c.fn(row);
      if (it.rows) out.push(...(v as unknown[]));
      else if (it.type === "dynamic" && Array.isArray(v)) out.push(...v);
      else if (it.type === "dynamic") out.push(v);
      else out.push(v);
    }
    return out;
  };
  const allConst = items.every((i) => i.c.constant);
  const fixed = allConst ? expand([]) : undefined;
  const values = (row: Row): unknown[] => fixed ?? expand(row);
  if (e.kind === "HasAnyExpression" || e.kind === "HasAllExpression") {
    if (lt !== "string") return unsupported(`${e.kind} on ${lt}`);
    const all = e.kind === "HasAllExpression";
    return {
      fn: (row) => {
        const s = l.fn(row) as string;
        const vs = values(row).map((v) => (typeof v === "string" ? v : v === null ? "" : scalarToString(v, typeof v === "number" ? "long" : "dynamic")));
        if (vs.length === 0) return all ? unsupported("has_all with no terms") : false;
        return all ? vs.every((v) => hasTerm(s, v, false)) : vs.some((v) => hasTerm(s, v, false));
      },
      constant: l.constant && allConst,
    };
  }
  // Kusto.Language calls `in~` InCsExpression and `!in~` NotInCsExpression; `in` and `!in` are case-sensitive.
  const insensitive = e.kind === "InCsExpression" || e.kind === "NotInCsExpression";
  if (lt === "string") {
    const norm = (v: unknown): string | undefined => (typeof v === "string" ? (insensitive ? v.toLowerCase() : v) : undefined);
    const fixedSet = fixed ? new Set(fixed.map(norm)) : undefined;
    return {
      fn: (row) => {
        const s = norm(l.fn(row));
        const set = fixedSet ?? new Set(values(row).map(norm));
        return set.has(s) !== neg;
      },
      constant: l.constant && allConst,
    };
  }
  if (isNum(lt) || isTicks(lt) || lt === "bool" || lt === "guid") {
    return {
      fn: (row) => {
        const x = l.fn(row);
        if (x === null) return neg;
        const found = values(row).some((v) => v === x || (typeof v === "number" && typeof x === "number" && v === x));
        return found !== neg;
      },
      constant: l.constant && allConst,
    };
  }
  return unsupported(`in on ${lt}`);
}

/** Compares two cells of one type for sorting; nulls are handled by the caller. */
function compareCells(a: unknown, b: unknown): number {
  if (typeof a === "string") return a < (b as string) ? -1 : a > (b as string) ? 1 : 0;
  if (typeof a === "boolean") return a === b ? 0 : a ? 1 : -1;
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

function sortRows(rows: Row[], keys: SortKey[], ctx: RunContext): Row[] {
  const compiled = keys.map((k) => {
    if (k.expr.type === "dynamic") unsupported("sorting by a dynamic value");
    return { fn: compile(k.expr, ctx).fn, desc: k.desc, nullsFirst: k.nullsFirst };
  });
  const decorated = rows.map((row, i) => ({ row, i, keys: compiled.map((k) => k.fn(row)) }));
  decorated.sort((x, y) => {
    for (let j = 0; j < compiled.length; j++) {
      const k = compiled[j]!;
      const a = x.keys[j];
      const b = y.keys[j];
      const an = a === null || a === undefined || (typeof a === "number" && Number.isNaN(a));
      const bn = b === null || b === undefined || (typeof b === "number" && Number.isNaN(b));
      if (an || bn) {
        if (an && bn) continue;
        return an === k.nullsFirst ? -1 : 1;
      }
      const c = compareCells(a, b);
      if (c !== 0) return k.desc ? -c : c;
    }
    return x.i - y.i;
  });
  return decorated.map((d) => d.row);
}

function keyOf(values: unknown[]): string {
  let s = "";
  for (const v of values) {
    if (v === null || v === undefined) s += "\u0000n";
    else if (typeof v === "string") s += `\u0000s${v}`;
    else if (typeof v === "bigint") s += `\u0000b${v}`;
    else if (typeof v === "object") s += `\u0000o${JSON.stringify(v)}`;
    else s += `\u0000${typeof v}${String(v)}`;
  }
  return s;
}

interface AggState {
  add(row: Row): void;
  result(): unknown[];
}

function makeAggregate(a: Aggregate, ctx: RunContext, outTypes: ScalarType[]): () => AggState {
  if (a.where) {
    const { where, ...rest } = a;
    const cond = compile(where, ctx).fn;
    const inner = makeAggregate(rest, ctx, outTypes);
    return () => {
      const state = inner();
      return { add: (r) => (cond(r) === true ? state.add(r) : undefined), result: () => state.result() };
    };
  }
  const args = a.args.map((x) => compile(x, ctx).fn);
  const argTypes = a.args.map((x) => x.type);
  const f0 = args[0];
  const t0 = argTypes[0];
  const isNull = (v: unknown): boolean => v === null || v === undefined;
  switch (a.fn) {
    case "count":
      return () => {
        let n = 0;
        return { add: () => void n++, result: () => [n] };
      };
    case "countif":
      return () => {
        let n = 0;
        return { add: (r) => void (f0!(r) === true && n++), result: () => [n] };
      };
    case "dcount":
    case "dcountif": {
      const cond = a.fn === "dcountif" ? args[1] : undefined;
      if (t0 === "dynamic") return unsupported("dcount() of dynamic");
      const f = f0!;
      const text = t0 === "string";
      return () => {
        const seen = new Set<unknown>();
        return {
          add: (r) => {
            if (cond && cond(r) !== true) return;
            const v = f(r);
            if (!isNull(v) && !(text && v === "")) seen.add(v);
          },
          result: () => [seen.size],
        };
      };
    }
    case "sum":
    case "sumif": {
      const cond = a.fn === "sumif" ? args[1] : undefined;
      const outType = outTypes[0]!;
      if (isTicks(t0!)) return unsupported("sum() of timespans");
      return () => {
        let s = 0;
        let any = false;
        return {
          add: (r) => {
            if (cond && cond(r) !== true) return;
            const v = f0!(r);
            if (isNull(v)) return;
            s += v as number;
            any = true;
          },
          result: () => {
            if (!any) return [outType === "real" ? 0 : 0];
            if (outType !== "real" && !isSafeLong(s)) return unsupported("sum() beyond 2^53");
            return [s];
          },
        };
      };
    }
    case "avg":
    case "avgif": {
      const cond = a.fn === "avgif" ? args[1] : undefined;
      if (!isNum(t0!)) return unsupported(`avg() of ${t0}`);
      return () => {
        let s = 0;
        let n = 0;
        return {
          add: (r) => {
            if (cond && cond(r) !== true) return;
            const v = f0!(r);
            if (isNull(v)) return;
            s += v as number;
            n++;
          },
          result: () => [n === 0 ? NaN : s / n],
        };
      };
    }
    case "min":
    case "max":
    case "minif":
    case "maxif": {
      const max = a.fn.startsWith("max");
      const cond = a.fn.endsWith("if") ? args[1] : undefined;
      if (t0 === "dynamic" || t0 === "string") return unsupported(`${a.fn}() of ${t0}`);
      return () => {
        let best: unknown = null;
        let nan = false;
        return {
          add: (r) => {
            if (cond && cond(r) !== true) return;
            const v = f0!(r);
            if (isNull(v)) return;
            if (typeof v === "number" && Number.isNaN(v)) {
              nan = true;
              return;
            }
            if (best === null || (max ? compareCells(v, best) > 0 : compareCells(v, best) < 0)) best = v;
          },
          result: () => {
            // a NaN among the values makes max and min NaN, wherever it is (the corpus)
            if (nan) return [NaN];
            return [best];
          },
        };
      };
    }
    case "arg_max":
    case "arg_min": {
      const max = a.fn === "arg_max";
      const extra = (a.extra ?? []).map((x) => compile(x, ctx).fn);
      if (t0 === "dynamic" || t0 === "string") return unsupported(`${a.fn}() by ${t0}`);
      // The first row reaching the extreme wins ties; with no non-null value, the group's first row is taken.
      return () => {
        let best: unknown = null;
        let bestRow: Row | undefined;
        let firstRow: Row | undefined;
        let nan = false;
        return {
          add: (r) => {
            firstRow ??= r;
            const v = f0!(r);
            if (isNull(v)) return;
            if (typeof v === "number" && Number.isNaN(v)) {
              nan = true;
              return;
            }
            const c = best === null ? 1 : max ? compareCells(v, best) : -compareCells(v, best);
            if (c > 0) {
              best = v;
              bestRow = r;
            }
          },
          result: () => {
            if (nan) return unsupported(`${a.fn}() over NaN`);
            const row = bestRow ?? firstRow;
            if (row === undefined) return unsupported(`${a.fn}() over no rows`);
            return [best, ...extra.map((f) => f(row))];
          },
        };
      };
    }
    case "make_list":
    case "make_set": {
      const set = a.fn === "make_set";
      const limit = a.limit ?? 1_048_576;
      return () => {
        const list: unknown[] = [];
        const seen = new Set<string>();
        return {
          add: (r) => {
            if (list.length >= limit) return;
            const v = f0!(r);
            if (isNull(v)) {
              // A dynamic null is a value to make_list (Kusto keeps it); what make_set does with it is not settled.
              if (t0 !== "dynamic") return;
              if (set) return unsupported("make_set() of dynamic nulls");
              list.push(null);
              return;
            }
            const d = toDynamicValue(v, t0!);
            // A dynamic array contributes its elements.
            if (Array.isArray(d)) {
              for (const x of d as unknown[]) {
                if (list.length >= limit) return;
                if (set) {
                  const k = keyOf([x]);
                  if (seen.has(k)) continue;
                  seen.add(k);
                }
                list.push(x);
              }
              return;
            }
            if (set) {
              const k = keyOf([d]);
              if (seen.has(k)) return;
              seen.add(k);
            }
            list.push(d);
          },
          result: () => [list],
        };
      };
    }
    case "stdev":
    case "stdevp":
    case "variance":
    case "variancep": {
      if (!isNum(t0!)) return unsupported(`${a.fn}() of ${t0}`);
      const sample = a.fn === "stdev" || a.fn === "variance";
      const root = a.fn.startsWith("stdev");
      return () => {
        let n = 0;
        let mean = 0;
        let m2 = 0;
        return {
          add: (r) => {
            const v = f0!(r);
            if (isNull(v)) return;
            const x = v as number;
            n++;
            const d = x - mean;
            mean += d / n;
            m2 += d * (x - mean);
          },
          result: () => {
            // stdev() of no values is 0, as the corpus shows; the others are not established
            if (n === 0) return a.fn === "stdev" ? [0] : unsupported(`${a.fn}() of no values`);
            if (sample && n === 1) return [0];
            // Kusto rounds the variance to 10 decimal places before taking the root.
            const variance = Math.round((m2 / (sample ? n - 1 : n)) * 1e10) / 1e10;
            return [root ? Math.sqrt(variance) : variance];
          },
        };
      };
    }
    case "make_bag": {
      if (t0 !== "dynamic") return unsupported(`make_bag() of ${t0}`);
      return () => {
        const bag: Record<string, unknown> = {};
        return {
          add: (r) => {
            const v = f0!(r);
            if (v === null || typeof v !== "object" || Array.isArray(v)) return;
            // The first value of a key wins.
            for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (!(k in bag)) bag[k] = x;
          },
          result: () => [bag],
        };
      };
    }
    case "make_list_with_nulls": {
      if (a.limit !== undefined) return unsupported("make_list_with_nulls() with a limit");
      return () => {
        const list: unknown[] = [];
        return {
          add: (r) => {
            const v = f0!(r);
            if (t0 === "dynamic" && Array.isArray(v)) return unsupported("make_list_with_nulls() of arrays");
            list.push(isNull(v) ? null : toDynamicValue(v, t0!));
          },
          result: () => [list],
        };
      };
    }
    case "take_any":
    case "any": {
      // Kusto returns any value; the first non-null one is as good an answer as any.
      if (a.args.length !== 1) return unsupported(`${a.fn}() of several columns`);
      return () => {
        let value: unknown = null;
        let found = false;
        return {
          add: (r) => {
            if (found) return;
            const v = f0!(r);
            if (!isNull(v) && !(t0 === "string" && v === "")) {
              value = v;
              found = true;
            }
          },
          result: () => [value === null && t0 === "string" ? "" : value],
        };
      };
    }
    default:
      return unsupported(`${a.fn}()`);
  }
}

/**
 * The rows under a chain of `where` operators and one test for all of their predicates (undefined when every row
 * passes), so that consecutive filters, and a filter feeding `summarize`, run as one pass over the rows.
 */
function filtered(t: Tabular, ctx: RunContext): { rows: Row[]; keep: ((row: Row) => boolean) | undefined } {
  const predicates: Expr[] = [];
  let source: Tabular = t;
  while (source.op === "where") {
    predicates.unshift(source.predicate);
    source = source.input;
  }
  const rows = evaluate(source, ctx);
  const compiled = predicates.map((p) => compile(p, ctx));
  if (compiled.some((p) => p.constant && p.fn([]) !== true)) return { rows: [], keep: undefined };
  const fns = compiled.filter((p) => !p.constant).map((p) => p.fn);
  if (fns.length === 0) return { rows, keep: undefined };
  if (fns.length === 1) {
    const f = fns[0]!;
    return { rows, keep: (r) => f(r) === true };
  }
  if (fns.length === 2) {
    const [f, g] = fns as [Fn, Fn];
    return { rows, keep: (r) => f(r) === true && g(r) === true };
  }
  return { rows, keep: (r) => fns.every((f) => f(r) === true) };
}

/**
 * One aggregate's state over every group, the groups numbered from 0 as they appear: arrays indexed by group rather
 * than an object per group, so a summarize of thousands of groups reads like a hand-written loop.
 */
interface Accumulator {
  /** A new group, numbered the next in turn. */
  open(): void;
  add(group: number, row: Row): void;
  result(group: number): unknown[];
}

function makeAccumulator(a: Aggregate, ctx: RunContext, outTypes: ScalarType[]): Accumulator {
  if (!a.where && a.fn === "count") {
    const counts: number[] = [];
    return { open: () => void counts.push(0), add: (g) => void counts[g]!++, result: (g) => [counts[g]] };
  }
  const col = a.args.length === 1 && a.args[0]!.op === "col" ? a.args[0]!.index : -1;
  if (!a.where && a.fn === "dcount" && col >= 0 && a.args[0]!.type !== "dynamic") {
    // dcount(Column): the cell read directly; an empty string is no value
    const seen: Array<Set<unknown>> = [];
    const text = a.args[0]!.type === "string";
    return {
      open: () => void seen.push(new Set()),
      add: (g, r) => {
        const v = r[col];
        if (v !== null && v !== undefined && !(text && v === "")) seen[g]!.add(v);
      },
      result: (g) => [seen[g]!.size],
    };
  }
  const factory = makeAggregate(a, ctx, outTypes);
  const states: AggState[] = [];
  return { open: () => void states.push(factory()), add: (g, r) => states[g]!.add(r), result: (g) => states[g]!.result() };
}

function summarize(t: Extract<Tabular, { op: "summarize" }>, ctx: RunContext): Row[] {
  // a filter under the summarize is applied in the same pass: the rows it keeps are not collected first
  const { rows, keep } = filtered(t.input, ctx);
  const by = t.by.map((b) => compile(b, ctx).fn);
  let offset = by.length;
  const accumulators = t.aggregates.map((a) => {
    const width = 1 + (a.extra?.length ?? 0);
    const types = t.columns.slice(offset, offset + width).map((c) => c.type);
    offset += width;
    return makeAccumulator(a, ctx, types);
  });
  const n = accumulators.length;
  const groups = new Map<unknown, number>();
  const groupKeys: unknown[][] = [];
  const open = (k: unknown, keys: unknown[]): number => {
    const g = groupKeys.length;
    groups.set(k, g);
    groupKeys.push(keys);
    for (let j = 0; j < n; j++) accumulators[j]!.open();
    return g;
  };
  const single = by.length === 1 ? by[0]! : undefined;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (keep && !keep(row)) continue;
    let g: number | undefined;
    if (single) {
      // one key: groups keyed by the value itself, no key strings built
      const raw = single(row);
      const v = raw === undefined ? null : raw;
      const k = typeof v === "object" && v !== null ? keyOf([v]) : v;
      g = groups.get(k) ?? open(k, [v]);
    } else {
      const keys = by.map((f) => {
        const v = f(row);
        return v === undefined ? null : v;
      });
      const k = keyOf(keys);
      g = groups.get(k) ?? open(k, keys);
    }
    for (let j = 0; j < n; j++) accumulators[j]!.add(g, row);
  }
  if (groupKeys.length === 0 && by.length === 0) open("", []);
  const out: Row[] = [];
  for (let g = 0; g < groupKeys.length; g++) {
    const row: Row = [...groupKeys[g]!];
    for (const a of accumulators) row.push(...a.result(g));
    out.push(row);
  }
  return out;
}

function makeSeries(t: Extract<Tabular, { op: "makeseries" }>, ctx: RunContext): Row[] {
  const rows = evaluate(t.input, ctx);
  const axis = compile(t.axis, ctx).fn;
  const by = t.by.map((b) => compile(b, ctx).fn);
  const ticks = t.axis.type === "datetime" || t.axis.type === "timespan";
  const num = (v: unknown): bigint => (typeof v === "bigint" ? v : BigInt(v as number));
  const step = compile(t.step, ctx).fn([]);
  if (step === null || num(step) <= 0n) return unsupported("make-series with a step that is not positive");
  const width = num(step);
  const values = rows.map((r) => axis(r)).filter((v) => v !== null && v !== undefined).map(num);
  if (values.length === 0) return unsupported("make-series over no rows");
  const lastValue = values.reduce((a, b) => (b > a ? b : a));
  let start: bigint;
  if (t.from) {
    const v = compile(t.from, ctx).fn([]);
    if (v === null) return unsupported("make-series from null");
    start = num(v);
  } else {
    // The first bin with data: where that bin starts is only certain when the first value is on a bin boundary.
    start = values.reduce((a, b) => (b < a ? b : a));
    const aligned = ticks ? (start - MIN_DATETIME_TICKS) % width === 0n : start % width === 0n;
    if (!aligned) return unsupported("make-series without from, where the first value is not on a bin boundary");
  }
  let count: bigint;
  if (t.to) {
    const v = compile(t.to, ctx).fn([]);
    if (v === null) return unsupported("make-series to null");
    const end = num(v);
    count = end > start ? (end - start + width - 1n) / width : 0n;
  } else {
    count = lastValue >= start ? (lastValue - start) / width + 1n : 0n;
  }
  if (count <= 0n) return unsupported("make-series with an empty range");
  if (count > 100_000n) return unsupported("make-series of more than 100,000 bins");
  const bins = Number(count);
  const factories = t.series.map((s) => makeAggregate(s.aggregate, ctx, [s.type]));
  const groups = new Map<string, { keys: unknown[]; states: Array<Array<AggState | undefined>>; inRange: boolean; first?: bigint; last?: bigint }>();
  for (const r of rows) {
    const keys = by.map((f) => {
      const v = f(r);
      return v === undefined ? null : v;
    });
    const k = keyOf(keys);
    let g = groups.get(k);
    if (!g) {
      g = { keys, states: factories.map(() => new Array<AggState | undefined>(bins)), inRange: false };
      groups.set(k, g);
    }
    const a = axis(r);
    if (a === null || a === undefined) continue;
    const v = num(a);
    if (g.first === undefined || v < g.first) g.first = v;
    if (g.last === undefined || v > g.last) g.last = v;
    const offset = v - start;
    if (offset < 0n) continue;
    const bin = offset / width;
    if (bin >= count) continue;
    g.inRange = true;
    const i = Number(bin);
    factories.forEach((f, j) => {
      const states = g!.states[j]!;
      const state = (states[i] ??= f());
      state.add(r);
    });
  }
  // Without from (to), each series starts (ends) at "the first (last) bin that has data in each series" (Microsoft's
  // make-series reference): whether that is the series' own bin or the whole input's is not established, so by groups
  // it is answered only where the two agree, every group's data starting (ending) where the whole input's does.
  if (t.by.length > 0 && (!t.from || !t.to)) {
    const lastBin = (v: bigint): bigint => (v - start) / width;
    for (const g of groups.values()) {
      if (g.first === undefined || g.last === undefined) continue;
      if (!t.from && g.first !== start) return unsupported("make-series without from, by groups whose data start in different bins");
      if (!t.to && lastBin(g.last) !== lastBin(lastValue)) return unsupported("make-series without to, by groups whose data end in different bins");
    }
  }
  const fallbacks = t.series.map((s) => toDynamicValue(compile(s.fallback, ctx).fn([]), s.type));
  const axisValues = Array.from({ length: bins }, (_, i) => {
    const v = start + BigInt(i) * width;
    return ticks ? toDynamicValue(v, t.axis.type) : Number(v);
  });
  const out: Row[] = [];
  for (const g of groups.values()) {
    // what the real engine does with a group whose rows all fall outside the range is not established
    if (!g.inRange) return unsupported("make-series of a group without rows in the range");
    const row: Row = [...g.keys];
    t.series.forEach((s, j) => {
      const states = g.states[j]!;
      const values: unknown[] = new Array<unknown>(bins);
      for (let i = 0; i < bins; i++) {
        const state = states[i];
        // a bin no row reached holds the default
        if (!state) {
          values[i] = fallbacks[j];
          continue;
        }
        const v = state.result()[0];
        if (typeof v === "number" && !Number.isFinite(v)) return unsupported("make-series of a value that is not finite");
        // a bin whose rows hold only nulls: whether Kusto gives null or the default is not established
        if (v === null || v === undefined) return unsupported("make-series of a bin with only null values");
        values[i] = toDynamicValue(v, s.type);
      }
      row.push(values);
    });
    row.push(axisValues);
    out.push(row);
  }
  return out;
}

const MIN_DATETIME_TICKS = -621_355_968_000_000_000n;

/** Splits on `delimiter` outside `quote`d runs. */
function splitOutside(text: string, delimiter: string, quote: string | undefined): string[] {
  if (!quote) return text.split(delimiter);
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === quote) quoted = !quoted;
    else if (!quoted && text.startsWith(delimiter, i)) {
      out.push(text.slice(start, i));
      i += delimiter.length - 1;
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/**
 * parse-kv as the corpus of real answers shows it: the text is split on the pair delimiter (outside quotes), each piece
 * at its first key-value delimiter, key and value trimmed of spaces, quotes around a value removed, the first
 * occurrence of a key kept, a missing key empty (null for other types). Where the real engine's rule is not known
 * (spaces around the delimiter when pairs are split on spaces, keys differing only in case, escapes inside quotes,
 * values that are not plain numbers) the row is refused.
 */
function parseKv(t: Extract<Tabular, { op: "parsekv" }>, ctx: RunContext): Row[] {
  const source = compile(t.source, ctx).fn;
  const spaced = /^\s+$/.test(t.pair);
  const wanted = new Set(t.keys.map((k) => k.name));
  const lowered = new Map(t.keys.map((k) => [k.name.toLowerCase(), k.name]));
  return evaluate(t.input, ctx).map((row) => {
    const text = (source(row) as string | null) ?? "";
    if (spaced && (text.includes(` ${t.kv}`) || text.includes(`${t.kv} `))) return unsupported("parse-kv with spaces around the key-value delimiter when pairs are split on spaces");
    if (/[\t\r\n]/.test(text)) return unsupported("parse-kv of text with tabs or line breaks");
    const found = new Map<string, string>();
    for (const piece of splitOutside(text, t.pair, t.quote)) {
      const at = piece.indexOf(t.kv);
      if (at < 0) continue;
      const key = piece.slice(0, at).trim();
      let value = piece.slice(at + t.kv.length).trim();
      if (t.quote) {
        if (key.includes(t.quote)) return unsupported("parse-kv of a quoted key");
        if (value.length >= 2 && value.startsWith(t.quote) && value.endsWith(t.quote)) value = value.slice(1, -1);
        if (value.includes(t.quote) || value.includes("\\")) return unsupported("parse-kv of a value with quotes or escapes inside");
      }
      if (!wanted.has(key) && lowered.has(key.toLowerCase())) return unsupported("parse-kv of keys that differ only in case");
      if (!found.has(key)) found.set(key, value);
    }
    const out = row.slice();
    for (const k of t.keys) {
      const v = found.get(k.name);
      if (k.type === "string") out.push(v ?? "");
      else if (v === undefined || v === "") out.push(null);
      else if (k.type === "bool") out.push(/^true$/i.test(v) ? true : /^false$/i.test(v) ? false : unsupported("parse-kv of a bool that is not true or false"));
      else if (k.type === "real") {
        if (v === "NaN") out.push(NaN);
        else if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) out.push(Number(v));
        else out.push(unsupported(`parse-kv of ${JSON.stringify(v)} into a real column`));
      } else {
        const n = /^[-+]?\d+$/.test(v) ? Number(v) : NaN;
        if (!Number.isSafeInteger(n) || (k.type === "int" && (n > 2147483647 || n < -2147483648))) return unsupported(`parse-kv of ${JSON.stringify(v)} into a ${k.type} column`);
        out.push(n);
      }
    }
    return out;
  });
}

function topNested(t: Extract<Tabular, { op: "topnested" }>, ctx: RunContext): Row[] {
  const levels = t.levels.map((l, i) => ({
    ...l,
    key: compile(l.key, ctx).fn,
    keyType: l.key.type,
    factory: makeAggregate(l.aggregate, ctx, [t.columns[i * 2 + 1]!.type]),
  }));
  const out: Row[] = [];
  const descend = (rows: Row[], depth: number, prefix: unknown[]): void => {
    const level = levels[depth];
    if (!level) {
      out.push(prefix);
      return;
    }
    const groups = new Map<unknown, { key: unknown; rows: Row[]; state: AggState }>();
    for (const r of rows) {
      const key = level.key(r);
      if (key === null || key === undefined) return unsupported("top-nested of a null value");
      const k = typeof key === "object" ? keyOf([key]) : key;
      let g = groups.get(k);
      if (!g) {
        g = { key, rows: [], state: level.factory() };
        groups.set(k, g);
      }
      g.rows.push(r);
      g.state.add(r);
    }
    const ranked = [...groups.values()].map((g) => ({ ...g, value: g.state.result()[0] }));
    for (const g of ranked) if (g.value === null || g.value === undefined || (typeof g.value === "number" && Number.isNaN(g.value))) return unsupported("top-nested by a null aggregate");
    ranked.sort((a, b) => (level.desc ? -compareCells(a.value, b.value) : compareCells(a.value, b.value)));
    const n = level.n ?? ranked.length;
    // which of several equal values Kusto keeps at the cut is not established: refuse rather than pick one
    if (n > 0 && ranked.length > n && compareCells(ranked[n - 1]!.value, ranked[n]!.value) === 0) return unsupported("top-nested with a tie at the cut");
    for (const g of ranked.slice(0, n)) descend(g.rows, depth + 1, [...prefix, g.key, g.value]);
  };
  descend(evaluate(t.input, ctx), 0, []);
  return out;
}

function join(t: Extract<Tabular, { op: "join" }>, ctx: RunContext): Row[] {
  let left = evaluate(t.left, ctx);
  let right = evaluate(t.right, ctx);
  let kind = t.kind;
  let leftKeys = t.leftKeys;
  let rightKeys = t.rightKeys;
  let swapped = false;
  if (kind === "rightanti" || kind === "rightsemi" || kind === "rightouter") {
    [left, right] = [right, left];
    [leftKeys, rightKeys] = [rightKeys, leftKeys];
    kind = kind === "rightanti" ? "leftanti" : kind === "rightsemi" ? "leftsemi" : "leftouter";
    swapped = true;
  }
  // Kusto's join matches null keys with each other, and NaN real keys (the corpus); whether -0 meets 0 is not established.
  const realKeys = t.leftKeys.some((i) => t.left.columns[i]!.type === "real");
  const keyFor = (row: Row, idx: number[]): string | undefined => {
    const values = idx.map((i) => row[i]);
    if (realKeys && values.some((v) => Object.is(v, -0))) return unsupported("join on a real key of -0");
    return keyOf(values);
  };
  if (kind === "innerunique") {
    const firsts = new Map<string, Row>();
    for (const row of left) {
      const k = keyFor(row, leftKeys) ?? keyOf(leftKeys.map((i) => row[i]));
      const prev = firsts.get(k);
      if (!prev) firsts.set(k, row);
    }
    left = [...firsts.values()];
    kind = "inner";
  }
  const index = new Map<string, Row[]>();
  for (const row of right) {
    const k = keyFor(row, rightKeys);
    if (k === undefined) continue;
    const list = index.get(k);
    if (list) {
      // lookup with a repeated right key gives every pair, the later right rows first, as the corpus shows
      if (t.unique) list.unshift(row);
      else list.push(row);
    } else index.set(k, [row]);
  }
  const out: Row[] = [];
  const emit = (l: Row | undefined, r: Row | undefined): void => {
    const [a, b] = swapped ? [r, l] : [l, r];
    if (out.length >= maxRows) unsupported("a join of more than 10,000,000 rows");
    out.push(t.output.map(([side, i]) => (side === 0 ? (a ? a[i] : nullFor(t.left.columns[i]!.type)) : b ? b[i] : nullFor(t.right.columns[i]!.type))));
  };
  const matchedRight = new Set<Row>();
  for (const l of left) {
    const k = keyFor(l, leftKeys);
    const matches = k === undefined ? undefined : index.get(k);
    switch (kind) {
      case "inner":
        if (matches) for (const r of matches) emit(l, r);
        break;
      case "leftouter":
        if (matches) for (const r of matches) emit(l, r);
        else emit(l, undefined);
        break;
      case "fullouter":
        if (matches)
          for (const r of matches) {
            emit(l, r);
            matchedRight.add(r);
          }
        else emit(l, undefined);
        break;
      case "leftanti":
        // When swapped (rightanti/rightsemi), l is a right row and the output is the right columns.
        if (!matches) out.push(l);
        break;
      case "leftsemi":
        if (matches) out.push(l);
        break;
      default:
        unsupported(`join kind=${kind}`);
    }
  }
  if (kind === "fullouter") for (const r of right) if (!matchedRight.has(r)) emit(undefined, r);
  return out;
}

function nullFor(type: ScalarType): unknown {
  return type === "string" ? "" : null;
}

function mvexpand(t: Extract<Tabular, { op: "mvexpand" }>, ctx: RunContext): Row[] {
  const rows = evaluate(t.input, ctx);
  const targets = t.targets.map((x) => ({ fn: compile(x.expr, ctx).fn, type: x.type }));
  const width = t.columns.length;
  const out: Row[] = [];
  for (const row of rows) {
    const lists = targets.map((x) => {
      const v = x.fn(row);
      if (Array.isArray(v)) return v as unknown[];
      if (v !== null && typeof v === "object") {
        return Object.entries(v as Record<string, unknown>).map(([k, x]) => (t.bagAsArray ? [k, x] : { [k]: x }));
      }
      return [v];
    });
    const n = Math.min(Math.max(...lists.map((l) => l.length)), t.limit ?? Infinity);
    for (let i = 0; i < n; i++) {
      const r: Row = row.slice();
      while (r.length < width) r.push(null);
      if (t.itemIndex !== undefined) r[t.itemIndex] = i;
      targets.forEach((x, j) => {
        const v = lists[j]![i];
        r[t.outputIndexes[j]!] = fromDynamicValue(v === undefined ? null : v, x.type);
      });
      if (out.length >= maxRows) unsupported("mv-expand to more than 10,000,000 rows");
      out.push(r);
    }
  }
  return out;
}

function range(t: Extract<Tabular, { op: "range" }>, ctx: RunContext): Row[] {
  const from = compile(t.from, ctx).fn([]);
  const to = compile(t.to, ctx).fn([]);
  const step = compile(t.step, ctx).fn([]);
  if (from === null || to === null || step === null) return [];
  const out: Row[] = [];
  const max = maxRows;
  if (typeof from === "bigint") {
    const s = step as bigint;
    if (s === 0n) return unsupported("range with a zero step");
    for (let v = from; s > 0n ? v <= (to as bigint) : v >= (to as bigint); v += s) {
      out.push([v]);
      if (out.length > max) return unsupported("range of more than 10,000,000 rows");
    }
    return out;
  }
  const s = step as number;
  if (s === 0) return unsupported("range with a zero step");
  const type = t.columns[0]!.type;
  for (let i = 0; ; i++) {
    const v = (from as number) + i * s;
    if (s > 0 ? v > (to as number) : v < (to as number)) break;
    out.push([type === "real" ? v : checkInt(v, type)]);
    if (out.length > max) return unsupported("range of more than 10,000,000 rows");
  }
  return out;
}

/**
 * The most rows an operator may produce (range, join, mv-expand): a query beyond it is refused with a clear error
 * rather than take the process's memory (a self-join of a large table, a cross join).
 */
const maxRows = 10_000_000;

/** Evaluates one tabular node to rows. */
function evaluate(t: Tabular, ctx: RunContext): Row[] {
  switch (t.op) {
    case "table": {
      const table = ctx.tables[t.name];
      if (!table) throw new AzirError("not-found", `table ${t.name} has no data`, { hint: `Provide rows for ${t.name}.`, details: ["table-not-found"] });
      const idx = t.columns.map((c) => table.columns.findIndex((x) => x.name === c.name));
      if (idx.every((v, i) => v === i) && table.columns.length === t.columns.length) return table.rows;
      // Columns the rows lack (a file without them) read as null, or empty for strings: one widened copy per run.
      const key = `${t.name}\u0000${t.columns.map((c) => c.name).join("\u0000")}`;
      const cached = ctx.widened.get(key);
      if (cached) return cached;
      const blank = t.columns.map((c) => nullFor(c.type));
      const moves = idx.flatMap((from, to) => (from >= 0 ? [[to, from] as const] : []));
      const rows = table.rows.map((r) => {
        const out = blank.slice();
        for (const [to, from] of moves) out[to] = r[from];
        return out;
      });
      ctx.widened.set(key, rows);
      return rows;
    }
    case "ref": {
      const rows = ctx.lets.get(t.name);
      if (!rows) return unsupported(`reference to ${t.name}`);
      return rows;
    }
    case "rows":
      return t.rows.map((r) => r.map((e) => compile(e, ctx).fn([])));
    case "range":
      return range(t, ctx);
    case "scan": {
      const rows = evaluate(t.input, ctx);
      const initial = t.initial.map((e) => compile(e, ctx).fn([]));
      const predicate = compile(t.predicate, ctx).fn;
      const assignments = t.assignments.map((a) => ({ index: a.index, fn: compile(a.expr, ctx).fn }));
      let state = initial;
      const out: Row[] = [];
      for (const r of rows) {
        const seen = [...r, ...initial, ...state];
        if (predicate(seen) !== true) continue;
        const next = initial.slice();
        for (const a of assignments) next[a.index] = a.fn(seen);
        out.push([...r, ...next]);
        state = next;
      }
      return out;
    }
    case "where": {
      const { rows, keep } = filtered(t, ctx);
      if (!keep) return rows;
      const out: Row[] = [];
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        if (keep(r)) out.push(r);
      }
      return out;
    }
    case "project": {
      const rows = evaluate(t.input, ctx);
      const fns = t.exprs.map((e) => compile(e, ctx).fn);
      const n = fns.length;
      const out: Row[] = new Array(rows.length);
      const w = ctx.window;
      w.rows = rows;
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        w.index = i;
        const o: Row = new Array(n);
        for (let j = 0; j < n; j++) o[j] = fns[j]!(r);
        out[i] = o;
      }
      return out;
    }
    case "summarize":
      return summarize(t, ctx);
    case "sort":
      return t.keys.length === 0 ? evaluate(t.input, ctx) : sortRows(evaluate(t.input, ctx), t.keys, ctx);
    case "take": {
      const n = compile(t.count, ctx).fn([]);
      if (typeof n !== "number") return unsupported("take with a non-numeric count");
      return evaluate(t.input, ctx).slice(0, Math.max(0, n));
    }
    case "top": {
      const n = compile(t.count, ctx).fn([]);
      if (typeof n !== "number") return unsupported("top with a non-numeric count");
      return sortRows(evaluate(t.input, ctx), t.keys, ctx).slice(0, Math.max(0, n));
    }
    case "distinct": {
      const rows = evaluate(t.input, ctx);
      const fns = t.exprs.map((e) => compile(e, ctx).fn);
      const seen = new Set<string>();
      const out: Row[] = [];
      for (const r of rows) {
        const vals = fns.map((f) => f(r));
        const k = keyOf(vals);
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(vals);
      }
      return out;
    }
    case "count":
      return [[evaluate(t.input, ctx).length]];
    case "join":
      return join(t, ctx);
    case "union": {
      const out: Row[] = [];
      t.inputs.forEach((input, j) => {
        const map = t.mapping[j]!;
        const sourceName = t.sourceNames?.[j] ?? "";
        for (const r of evaluate(input, ctx)) out.push(map.map((i, c) => (i <= -2 ? sourceName : i < 0 ? nullFor(t.columns[c]!.type) : r[i])));
      });
      return out;
    }
    case "mvexpand":
      return mvexpand(t, ctx);
    case "makeseries":
      return makeSeries(t, ctx);
    case "topnested":
      return topNested(t, ctx);
    case "parsekv":
      return parseKv(t, ctx);
    case "partition": {
      const groups = new Map<string, Row[]>();
      for (const row of evaluate(t.input, ctx)) {
        const k = keyOf([row[t.key]]);
        const g = groups.get(k);
        if (g) g.push(row);
        else groups.set(k, [row]);
      }
      if (groups.size > 64) return unsupported("partition into more than 64 parts");
      const out: Row[] = [];
      for (const g of groups.values()) {
        ctx.lets.set(t.rows, g);
        for (const r of evaluate(t.plan, ctx)) out.push(r);
      }
      ctx.lets.delete(t.rows);
      return out;
    }
    case "mvapply": {
      const out: Row[] = [];
      for (const row of evaluate(t.input, ctx)) {
        ctx.lets.set(t.row, [row]);
        for (const r of evaluate(t.plan, ctx)) out.push(t.mapping.map((m) => (m >= 0 ? r[m] : row[-1 - m])));
      }
      ctx.lets.delete(t.row);
      return out;
    }
    case "parse": {
      const rows = evaluate(t.input, ctx);
      const source = compile(t.source, ctx).fn;
      const re = toRegExp(t.pattern, "");
      const types = t.columns.map((c) => c.type);
      // Simple and regex kinds match strictly: a datetime column whose text does not convert fails the whole match,
      // every column null (learn.microsoft.com, parse operator: "all extended columns must match the required types").
      const datetimeCaptures = t.sources.flatMap((s, i) => (s < 0 && types[i] === "datetime" ? [-s] : []));
      const greedy = t.greedyPattern === undefined ? undefined : toRegExp(t.greedyPattern, "");
      return rows.map((r) => {
        const text = (source(r) as string) ?? "";
        // Line breaks are where JavaScript and .NET patterns start to differ: refuse rather than guess.
        if (/[\r\n]/.test(text)) return unsupported("parse of text with line breaks");
        let m = re.exec(text);
        const g = m && greedy ? greedy.exec(text) : null;
        for (const k of g ? datetimeCaptures : []) {
          if (g![k] !== m![k] && g![k] !== undefined && parseDateTime(g![k]) !== undefined) return unsupported("parse into a datetime column followed by text that could be part of the time");
        }
        const times = new Map<number, bigint>();
        for (const k of m ? datetimeCaptures : []) {
          const captured = m![k] ?? "";
          const ticks = parseDateTime(captured);
          if (ticks !== undefined) times.set(k, ticks);
          // Kusto reads more formats than ISO 8601; an ISO-shaped text out of range (2020-13-45) does not convert,
          // as the corpus shows.
          else if (!isIsoShaped(captured) && /\d/.test(captured)) return unsupported("parse into a datetime column of text that is not ISO 8601");
          else m = null;
        }
        return t.sources.map((s, i) => {
          if (s >= 0) return r[s];
          const text = m ? m[-s] : undefined;
          if (text === undefined) return types[i] === "string" ? "" : null;
          if (types[i] === "string") return text;
          if (types[i] === "datetime") return times.get(-s)!;
          const n = Number(text);
          return Number.isSafeInteger(n) && (types[i] !== "int" || (n <= 2147483647 && n >= -2147483648)) ? n : unsupported("parse of a number out of range");
        });
      });
    }
  }
}

/** Runs a plan over the given tables, with query parameters already decoded to cells. */
export function runPlan(plan: KqlPlan, tables: Record<string, KqlTable>, params: Record<string, unknown>, now: Date): KqlResult {
  const ctx: RunContext = { nowTicks: BigInt(now.getTime()) * TICKS_PER_MS, window: { rows: [], index: 0 }, params, tables, lets: new Map(), widened: new Map() };
  for (const l of plan.lets) ctx.lets.set(l.name, evaluate(l.plan, ctx));
  const rows = evaluate(plan.query, ctx);
  return { columns: plan.query.columns.map((c) => ({ name: c.name, type: c.type })), rows: rows === ctx.tables[(plan.query as { name?: string }).name ?? ""]?.rows ? rows.slice() : rows };
}
