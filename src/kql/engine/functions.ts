import { RE2JS, type Matcher } from "re2js";
/**
 * Scalar functions the engine evaluates, with Kusto's semantics: null in gives null out unless Kusto says
 * otherwise, failed conversions give null, string results are never null.
 */
import { unsupported } from "./errors.js";
import { extraFunctions } from "./functions-extra.js";
import { tupleColumn } from "./series.js";
import type { ScalarType } from "./types.js";
import {
  TICKS_PER_DAY,
  TICKS_PER_MS,
  dateParts,
  floorMod,
  formatDateTimeFull,
  formatReal,
  formatTimespan,
  isIsoShaped,
  isSafeLong,
  jsonNumberHazard,
  MAX_DATETIME,
  MIN_DATETIME,
  parseDateTime,
  parseTimespan,
  utcMs,
} from "./values.js";

/** Evaluation context shared by every function call of one run. */
export interface CallContext {
  nowTicks: bigint;
}

export type ScalarImpl = (args: unknown[], argTypes: ScalarType[], type: ScalarType, ctx: CallContext) => unknown;

/** Functions of a serialized row set: evaluated by the project loop with the previous and next rows at hand. */
export const windowFunctions = new Set(["row_number", "prev", "next", "row_cumsum", "row_rank_dense", "row_rank_min"]);

export const aggregateFunctions = new Set([
  "count",
  "countif",
  "dcount",
  "dcountif",
  "sum",
  "sumif",
  "avg",
  "avgif",
  "min",
  "max",
  "minif",
  "maxif",
  "arg_max",
  "arg_min",
  "make_list",
  "make_set",
  "take_any",
  "any",
  "stdev",
  "stdevp",
  "variance",
  "variancep",
  "make_bag",
  "make_list_with_nulls",
]);

/** Kusto's text of a scalar as `tostring()` and `strcat()` produce it. */
export function scalarToString(v: unknown, type: ScalarType): string {
  if (v === null || v === undefined) return "";
  switch (type) {
    case "string":
    case "guid":
      return String(v);
    case "bool":
      return v ? "True" : "False";
    case "long":
    case "int":
      return String(v);
    case "real":
      return realToString(v as number);
    case "datetime":
      return formatDateTimeFull(v as bigint);
    case "timespan":
      return formatTimespan(v as bigint);
    case "dynamic":
      return typeof v === "string" ? v : typeof v === "boolean" ? (v ? "true" : "false") : dynamicToJson(v);
  }
}

/** `tostring()` of a real: integral values keep a `.0`; digits at the edge of double precision are refused. */
function realToString(x: number): string {
  if (!Number.isFinite(x)) return formatReal(x);
  const text = formatReal(x);
  if (text.replace(/^-/, "").replace(/E.*$/, "").replace(".", "").replace(/^0+/, "").length >= 16) return unsupported("tostring() of a real with 16 or more digits");
  if (/E/.test(text)) return unsupported("tostring() of a real in exponent form");
  return Number.isInteger(x) ? `${text}.0` : text;
}

/** Compact JSON of a dynamic value (what `tostring(dynamic)` gives for arrays and bags). */
export function dynamicToJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === "number" && !Number.isFinite(x) ? formatReal(x) : x));
}

function toLongValue(v: unknown, type: ScalarType): number | null {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "long":
    case "int":
      return v as number;
    case "real": {
      const x = v as number;
      if (!Number.isFinite(x)) return null;
      const t = Math.trunc(x);
      return isSafeLong(t) ? t : unsupported("tolong() beyond 2^53");
    }
    case "bool":
      return v ? 1 : 0;
    case "string": {
      const s = (v as string).trim();
      // hexadecimal text is read (toint("0xFF") is 255, the corpus); a sign before it, or a value beyond 2^53, is not established
      if (/^0x[0-9a-f]+$/i.test(s)) {
        const n = parseInt(s.slice(2), 16);
        return isSafeLong(n) ? n : unsupported("tolong() of hexadecimal text beyond 2^53");
      }
      if (/^[+-]?0x/i.test(s)) return unsupported("tolong() of hexadecimal text");
      if (/^[+-]?\d+$/.test(s)) {
        const n = Number(s);
        if (isSafeLong(n)) return n;
        // beyond a long is null (the corpus); between 2^53 and 2^63 the value cannot be held here
        const big = BigInt(s);
        return big > 9223372036854775807n || big < -9223372036854775808n ? null : unsupported("tolong() beyond 2^53");
      }
      // text of a number with a fraction or an exponent is null ("5.9", "1e19": the corpus)
      if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
      return null;
    }
    // a datetime is Kusto's ticks since 0001-01-01 (the corpus), not the ticks since 1970 held here
    case "datetime": {
      const n = Number((v as bigint) - MIN_DATETIME);
      return isSafeLong(n) ? n : unsupported("tolong() of a datetime");
    }
    case "timespan": {
      const n = Number(v as bigint);
      return isSafeLong(n) ? n : unsupported("tolong() of a timespan beyond 2^53");
    }
    case "dynamic": {
      if (typeof v === "number") return Number.isInteger(v) ? v : Math.trunc(v);
      if (typeof v === "string") return toLongValue(v, "string");
      if (typeof v === "boolean") return v ? 1 : 0;
      return null;
    }
    default:
      return null;
  }
}

function toRealValue(v: unknown, type: ScalarType): number | null {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "long":
    case "int":
    case "real":
      return v as number;
    case "bool":
      return v ? 1 : 0;
    case "string": {
      const s = (v as string).trim();
      if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
      // hexadecimal text is not a real (todouble("0x10") is null, the corpus); with a sign it is not established
      if (/^0x[0-9a-f]+$/i.test(s)) return null;
      if (/^[+-]?0x/i.test(s)) return unsupported("todouble() of hexadecimal text");
      if (/^[+-]?(nan|inf|infinity)$/i.test(s)) {
        const special: Record<string, number | null> = {
          NaN: NaN,
          nan: NaN,
          inf: Infinity,
          Inf: Infinity,
          "-inf": -Infinity,
          Infinity: Infinity,
          "+Infinity": Infinity,
          "-Infinity": -Infinity,
          INF: null,
        };
        return s in special ? special[s]! : unsupported(`todouble() of ${s}`);
      }
      return null;
    }
    case "datetime":
      return Number((v as bigint) - MIN_DATETIME);
    case "timespan":
      return Number(v as bigint);
    case "dynamic":
      if (typeof v === "number") return v;
      if (typeof v === "string") return toRealValue(v, "string");
      if (typeof v === "boolean") return v ? 1 : 0;
      return null;
    default:
      return null;
  }
}

function toBoolValue(v: unknown, type: ScalarType): boolean | null {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "bool":
      return v as boolean;
    case "long":
    case "int":
    case "real":
      return Number.isNaN(v) ? null : (v as number) !== 0;
    case "string": {
      // Kusto does not trim here: " true" is null.
      const s = v as string;
      const l = s.toLowerCase();
      if (l === "true") return true;
      if (l === "false") return false;
      if (/^[+-]?\d+$/.test(s)) return Number(s) !== 0;
      // hexadecimal text reads as its number (tobool("0x10") is true, the corpus)
      if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16) !== 0;
      if (/^[+-]0x/i.test(s)) return unsupported("tobool() of signed hexadecimal text");
      return null;
    }
    case "dynamic":
      if (typeof v === "boolean") return v;
      if (typeof v === "number") return v !== 0;
      if (typeof v === "string") return toBoolValue(v, "string");
      return null;
    default:
      return null;
  }
}

function toDateTimeValue(v: unknown, type: ScalarType): bigint | null {
  if (v === null || v === undefined) return null;
  if (type === "datetime") return v as bigint;
  if (type === "string" || (type === "dynamic" && typeof v === "string")) {
    const parsed = parseDateTime(v as string);
    if (parsed !== undefined) return parsed;
    // ISO-shaped text out of range (2020-13-01, 2020-02-30) is null, as the corpus shows
    if (isIsoShaped(v as string)) return null;
    // Kusto reads more date formats than ISO 8601 (RFC 1123, ...): text with digits that is not ISO is refused, not nulled.
    return /\d/.test(v as string) ? unsupported("todatetime() of text that is not ISO 8601") : null;
  }
  if (type === "dynamic") return null;
  // a number is ticks since 0001-01-01, a real truncated (todatetime(1.5) is one tick), as the corpus shows
  if (type === "long" || type === "int" || type === "real") {
    const n = v as number;
    if (!Number.isFinite(n) || !Number.isSafeInteger(Math.trunc(n))) return unsupported(`todatetime() of ${type} beyond 2^53`);
    const t = MIN_DATETIME + BigInt(Math.trunc(n));
    return t > MAX_DATETIME || t < MIN_DATETIME ? unsupported(`todatetime() of ${type} beyond the datetime range`) : t;
  }
  return unsupported(`todatetime() of ${type}`);
}

function toTimespanValue(v: unknown, type: ScalarType): bigint | null {
  if (v === null || v === undefined) return null;
  if (type === "timespan") return v as bigint;
  if (type === "string" || (type === "dynamic" && typeof v === "string")) {
    const parsed = parseTimespan(v as string);
    if (parsed !== undefined) return parsed;
    // a number with a fraction and no unit is null (totimespan("1.5"), the corpus)
    if (/^\s*[+-]?\d+\.\d+\s*$/.test(v as string)) return null;
    return /\d/.test(v as string) ? unsupported("totimespan() of that text") : null;
  }
  if (type === "dynamic") return null;
  // a long is ticks (totimespan(864000000000) is a day, the corpus)
  if (type === "long" || type === "int") return BigInt(v as number);
  return unsupported(`totimespan() of ${type}`);
}

/** Converts a cell of `from` type to a dynamic value. */
export function toDynamicValue(v: unknown, from: ScalarType): unknown {
  if (v === null || v === undefined) return null;
  switch (from) {
    case "datetime":
      return formatDateTimeFull(v as bigint);
    case "timespan":
      return formatTimespan(v as bigint);
    case "real":
      return Number.isInteger(v) ? unsupported("real values inside dynamic") : v;
    default:
      return v;
  }
}

/** Converts a dynamic value to a typed cell (mv-expand ... to typeof(t)). */
export function fromDynamicValue(v: unknown, to: ScalarType): unknown {
  switch (to) {
    case "dynamic":
      return v;
    case "string":
      return scalarToString(v, "dynamic");
    case "long":
    case "int":
      return toLongValue(v, "dynamic");
    case "real":
      return toRealValue(v, "dynamic");
    case "bool":
      return toBoolValue(v, "dynamic");
    case "datetime":
      return toDateTimeValue(v, "dynamic");
    case "timespan":
      return toTimespanValue(v, "dynamic");
    case "guid":
      return typeof v === "string" && /^[0-9a-f-]{36}$/i.test(v) ? v.toLowerCase() : null;
  }
}

function isEmptyValue(v: unknown, type: ScalarType): boolean {
  if (v === null || v === undefined) return true;
  if (type === "string") return v === "";
  if (type === "dynamic") return v === "" ;
  return false;
}

function checkInt(v: number, type: ScalarType): number {
  if (type === "int" && (v > 2147483647 || v < -2147483648)) return unsupported("int overflow");
  if (!isSafeLong(v)) return unsupported("long arithmetic beyond 2^53");
  return v;
}

function binTicks(v: bigint, size: bigint): bigint {
  return v - floorMod(v, size);
}

/**
 * startof<period>(t[, offset]): the start of the period `offset` periods after t's (learn.microsoft.com, startofweek()
 * and friends; the corpus's cases). A start outside Kusto's datetime range is refused.
 */
export function periodStart(args: unknown[], fn: string, start: (t: bigint, offset: number) => bigint): bigint | null {
  if (args[0] === null || args[0] === undefined) return null;
  if (args.length > 1 && (args[1] === null || !Number.isSafeInteger(args[1]) || Math.abs(args[1] as number) > 200_000)) return unsupported(`${fn}() with this offset`);
  const t = start(args[0] as bigint, (args[1] as number | undefined) ?? 0);
  return t < MIN_DATETIME || t > MAX_DATETIME ? unsupported(`${fn}() beyond the datetime range`) : t;
}

function startOfMonthTicks(y: number, mo: number): bigint {
  return BigInt(utcMs(y, mo, 1)) * TICKS_PER_MS;
}

const termChar = /[\p{L}\p{N}]/u;

export const scalarFunctions = new Map<string, ScalarImpl>([
  ["now", (args, _t, _r, ctx) => (args.length === 0 ? ctx.nowTicks : ctx.nowTicks + (args[0] as bigint))],
  ["ago", (args, _t, _r, ctx) => (args[0] === null ? null : ctx.nowTicks - (args[0] as bigint))],
  ["iff", (args) => (args[0] === true ? args[1] : args[2])],
  ["iif", (args) => (args[0] === true ? args[1] : args[2])],
  [
    "case",
    (args) => {
      for (let i = 0; i + 1 < args.length; i += 2) if (args[i] === true) return args[i + 1];
      return args[args.length - 1];
    },
  ],
  [
    "coalesce",
    (args, types) => {
      for (let i = 0; i < args.length; i++) if (!isEmptyValue(args[i], types[i]!) || (types[i] === "string" && i === args.length - 1)) return args[i];
      return types[0] === "string" ? "" : null;
    },
  ],
  ["isempty", (args, types) => isEmptyValue(args[0], types[0]!)],
  ["isnotempty", (args, types) => !isEmptyValue(args[0], types[0]!)],
  ["isnull", (args) => args[0] === null || args[0] === undefined],
  ["isnotnull", (args) => !(args[0] === null || args[0] === undefined)],
  ["not", (args) => (args[0] === null ? null : !(args[0] as boolean))],
  ["tostring", (args, types) => scalarToString(args[0], types[0]!)],
  [
    "toint",
    (args, types) => {
      const t = types[0]!;
      const raw = args[0];
      const text = t === "string" || (t === "dynamic" && typeof raw === "string") ? (raw as string).trim() : undefined;
      if (text !== undefined && /^[+-]0x/i.test(text)) return null;
      const v = toLongValue(raw, t);
      if (v === null || (v <= 2147483647 && v >= -2147483648)) return v;
      // text beyond an int is null; a long, a timespan's ticks or a whole number in a dynamic value wrap to 32 bits, as
      // the corpus shows
      if (text !== undefined) return null;
      if (t === "long" || t === "int" || t === "timespan" || (t === "dynamic" && Number.isInteger(raw))) return v | 0;
      return unsupported("toint() overflow");
    },
  ],
  ["tolong", (args, types) => toLongValue(args[0], types[0]!)],
  ["todouble", (args, types) => toRealValue(args[0], types[0]!)],
  ["toreal", (args, types) => toRealValue(args[0], types[0]!)],
  ["tobool", (args, types) => toBoolValue(args[0], types[0]!)],
  ["toboolean", (args, types) => toBoolValue(args[0], types[0]!)],
  ["todatetime", (args, types) => toDateTimeValue(args[0], types[0]!)],
  ["totimespan", (args, types) => toTimespanValue(args[0], types[0]!)],
  [
    "toguid",
    (args, types) => {
      const s = scalarToString(args[0], types[0]!).trim();
      return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s) ? s.toLowerCase() : null;
    },
  ],
  [
    "todynamic",
    (args, types) => {
      if (types[0] !== "string") return toDynamicValue(args[0], types[0]!);
      return parseJsonText(args[0] as string);
    },
  ],
  [
    "parse_json",
    (args, types) => {
      if (types[0] !== "string") return toDynamicValue(args[0], types[0]!);
      return parseJsonText(args[0] as string);
    },
  ],
  ["strcat", (args, types) => args.map((a, i) => scalarToString(a, types[i]!)).join("")],
  [
    "strcat_delim",
    (args, types) =>
      args
        .slice(1)
        .map((a, i) => scalarToString(a, types[i + 1]!))
        .join(scalarToString(args[0], types[0]!)),
  ],
  ["tolower", (args) => (args[0] as string).toLowerCase()],
  ["toupper", (args) => (args[0] as string).toUpperCase()],
  ["strlen", (args) => [...(args[0] as string)].length],
  [
    "split",
    (args) => {
      const s = args[0] as string;
      if (args[1] === "") return unsupported("split() by an empty delimiter");
      const parts = s.split(args[1] as string);
      if (args.length > 2) {
        const i = args[2] as number | null;
        if (i === null) return null;
        const idx = i < 0 ? parts.length + i : i;
        return idx >= 0 && idx < parts.length ? [parts[idx]] : null;
      }
      return parts;
    },
  ],
  [
    "extract",
    (args, types, type) => {
      if (args.length > 3) return unsupported("extract() with a type argument");
      const m = toRegExp(args[0] as string, "").exec(args[2] as string);
      const g = args[1] as number;
      const v = m ? m[g] : undefined;
      if (type === "string") return v ?? "";
      return v ?? null;
    },
  ],
  [
    "array_length",
    (args) => (Array.isArray(args[0]) ? (args[0] as unknown[]).length : null),
  ],
  [
    "bag_keys",
    (args) => (args[0] !== null && typeof args[0] === "object" && !Array.isArray(args[0]) ? Object.keys(args[0] as object) : null),
  ],
  [
    "bin",
    (args, types) => binValue(args[0], args[1], types[0]!, types[1]!),
  ],
  [
    "floor",
    (args, types) => binValue(args[0], args[1], types[0]!, types[1]!),
  ],
  ["startofday", (args) => periodStart(args, "startofday", (t, n) => binTicks(t, TICKS_PER_DAY) + BigInt(n) * TICKS_PER_DAY)],
  [
    "startofmonth",
    (args) =>
      periodStart(args, "startofmonth", (t, n) => {
        const p = dateParts(t);
        const total = p.y * 12 + p.mo - 1 + n;
        const y = Math.floor(total / 12);
        return y < 1 || y > 9999 ? MIN_DATETIME - 1n : startOfMonthTicks(y, (((total % 12) + 12) % 12) + 1);
      }),
  ],
  [
    "startofyear",
    (args) =>
      periodStart(args, "startofyear", (t, n) => {
        const y = dateParts(t).y + n;
        return y < 1 || y > 9999 ? MIN_DATETIME - 1n : startOfMonthTicks(y, 1);
      }),
  ],
  [
    "startofweek",
    (args) =>
      periodStart(args, "startofweek", (t, n) => {
        const day = binTicks(t, TICKS_PER_DAY);
        return day - BigInt(dateParts(day).dow) * TICKS_PER_DAY + BigInt(n) * 7n * TICKS_PER_DAY;
      }),
  ],
  ["getyear", (args) => (args[0] === null ? null : dateParts(args[0] as bigint).y)],
  ["getmonth", (args) => (args[0] === null ? null : dateParts(args[0] as bigint).mo)],
  ["dayofmonth", (args) => (args[0] === null ? null : dateParts(args[0] as bigint).d)],
  ["hourofday", (args) => (args[0] === null ? null : dateParts(args[0] as bigint).h)],
  [
    "dayofweek",
    (args) => {
      if (args[0] === null) return null;
      const t = args[0] as bigint;
      const dow = BigInt(dateParts(t).dow);
      // Kusto computes this through the end of the week, which overflows in the last days of 9999: null.
      const weekEnd = t - floorMod(t, TICKS_PER_DAY) + (7n - dow) * TICKS_PER_DAY;
      return weekEnd > MAX_DATETIME + 1n ? null : dow * TICKS_PER_DAY;
    },
  ],
  [
    "substring",
    (args) => {
      const s = [...(args[0] as string)];
      const start = args[1] as number | null;
      if (start === null) return "";
      const from = start < 0 ? s.length + start : start;
      if (from < 0 || from >= s.length) return "";
      const len = args.length > 2 ? (args[2] as number | null) : null;
      if (args.length > 2 && len === null) return "";
      return s.slice(from, len === null ? undefined : from + Math.max(0, len)).join("");
    },
  ],
  ["abs", (args) => (args[0] === null ? null : typeof args[0] === "bigint" ? ((args[0] as bigint) < 0n ? -(args[0] as bigint) : args[0]) : Math.abs(args[0] as number))],
  ["pack_array", (args, types) => args.map((a, i) => toDynamicValue(a, types[i]!))],
  [
    "gettype",
    (args, types) => {
      const t = types[0]!;
      const v = args[0];
      if (t !== "dynamic") return t === "real" ? "real" : t === "timespan" ? "timespan" : t;
      if (v === null) return "null";
      if (Array.isArray(v)) return "array";
      if (typeof v === "object") return "dictionary";
      // a datetime, timespan or guid put into a dynamic value is held as its text here, while Kusto keeps its type
      if (typeof v === "string") return isIsoShaped(v) || /^-?(\d+\.)?\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(v) || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? unsupported("gettype() of a dynamic text that may be a datetime, timespan or guid") : "string";
      if (typeof v === "boolean") return "bool";
      return Number.isInteger(v) ? "long" : "double";
    },
  ],
]);

// functions-extra.ts imports helpers from here but uses them only inside function bodies, so the cycle is safe.
for (const [name, impl] of extraFunctions) scalarFunctions.set(name, impl);
scalarFunctions.set("tuple_column", tupleColumn);

function binValue(v: unknown, size: unknown, vt: ScalarType, st: ScalarType): unknown {
  if (v === null || size === null) return null;
  if (vt === "datetime" || vt === "timespan") {
    if (st !== "timespan") return unsupported("bin() of a datetime by a number");
    const s = size as bigint;
    if (s <= 0n) return null;
    // datetimes bin from 0001-01-01 (DateTime ticks), which is a Monday: bin(d, 7d) starts weeks on Mondays.
    if (vt === "datetime") return MIN_DATETIME + binTicks((v as bigint) - MIN_DATETIME, s);
    return binTicks(v as bigint, s);
  }
  const x = v as number;
  const s = Number(size);
  if (!(s > 0)) return null;
  if (vt === "real" || st === "real") {
    const r = Math.floor(x / s) * s;
    return vt === "real" ? r : checkInt(r, vt);
  }
  return checkInt(Math.floor(x / s) * s, vt);
}

/** `parse_json` of text: invalid JSON gives the text itself as a dynamic string, as Kusto does. */
export function parseJsonText(s: string): unknown {
  const t = s.trim();
  if (t === "") return null;
  const hazard = jsonNumberHazard(t);
  if (hazard) return unsupported(`parse_json() of ${hazard}`);
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return s;
  }
}


const wordClass = "\\p{L}\\p{Mn}\\p{Nd}\\p{Pc}";
/** What \\s matched before, and what the corpus shows Kusto's \\s matching: the Unicode spaces too (a no-break space). */
const spaceClass = "\\t\\n\\v\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}";

/** Rewrites \d, \w and \s as Unicode classes; \D, \W, \b and \B (and \S in a class) are refused. */
function unicodeClasses(pattern: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "\\") {
      const next = pattern[i + 1] ?? "";
      i++;
      if (next === "d") out += "\\p{Nd}";
      else if (next === "w") out += inClass ? wordClass : `[${wordClass}]`;
      else if (next === "s") out += inClass ? spaceClass : `[${spaceClass}]`;
      else if (next === "S" && !inClass) out += `[^${spaceClass}]`;
      else if (next === "S") return unsupported("this regular expression syntax");
      else if ("DWbB".includes(next)) return unsupported("this regular expression syntax");
      else out += `\\${next}`;
      continue;
    }
    if (ch === "[" && !inClass) inClass = true;
    else if (ch === "]" && inClass) inClass = false;
    out += ch;
  }
  return out;
}

/**
 * A compiled regular expression with RE2 semantics (Kusto's engine is RE2): linear-time matching, so no pattern
 * can make a query run for ever (`^(a+)+$` on a long text is as fast as any). Offsets are UTF-16 code units.
 */
export interface Pattern {
  /** A match anywhere in the text. */
  test(text: string): boolean;
  /** The first match's groups (0 = the whole match; undefined for a group that did not take part), or null. */
  exec(text: string): Array<string | undefined> | null;
  /** Every non-overlapping match's groups, left to right. */
  all(text: string): Array<Array<string | undefined>>;
  /** The text with every match (or the first) replaced by the rewrite, whose \N and $N name groups. */
  replace(text: string, rewrite: string, first?: boolean): string;
}

const regexCache = new Map<string, Pattern>();

function groupsOf(m: Matcher): Array<string | undefined> {
  const out: Array<string | undefined> = [];
  for (let g = 0; g <= m.groupCount(); g++) out.push(m.group(g) ?? undefined);
  return out;
}

function pattern(re: RE2JS): Pattern {
  const each = (text: string, visit: (m: Matcher) => boolean): void => {
    const m = re.matcher(text);
    while (m.find()) if (!visit(m)) return;
  };
  return {
    test: (text) => re.matcher(text).find(),
    exec(text) {
      const m = re.matcher(text);
      return m.find() ? groupsOf(m) : null;
    },
    all(text) {
      const out: Array<Array<string | undefined>> = [];
      each(text, (m) => {
        out.push(groupsOf(m));
        return true;
      });
      return out;
    },
    replace(text, rewrite, first = false) {
      let out = "";
      let from = 0;
      each(text, (m) => {
        out += text.slice(from, m.start()) + rewrite.replace(/[\\$](\d)/g, (_x, g: string) => m.group(Number(g)) ?? "");
        from = m.end();
        return !first;
      });
      return out + text.slice(from);
    },
  };
}

/** RE2 patterns as Kusto reads them (\d and \w Unicode, as the conformance corpus shows); other constructs whose meaning differs are refused. */
export function toRegExp(source: string, flags: string): Pattern {
  const key = `${flags}/${source}`;
  let compiled = regexCache.get(key);
  if (!compiled) {
    let p = source;
    let f = flags;
    const inline = /^\(\?([imsU]+)\)/.exec(p);
    if (inline) {
      if (inline[1]!.includes("U")) unsupported("regular expressions with the U flag");
      f += inline[1]!;
      p = p.slice(inline[0].length);
    }
    if (/\(\?[^:]/.test(p) || /\\[pPQEzAC]/.test(p) || /\[\[:/.test(p)) unsupported("this regular expression syntax");
    // Kusto's \d and \w match Unicode digits and letters, unlike RE2's ASCII classes.
    if (/\\[dDwWbBsS]/.test(p)) p = unicodeClasses(p);
    const bits = (f.includes("i") ? RE2JS.CASE_INSENSITIVE : 0) | (f.includes("s") ? RE2JS.DOTALL : 0) | (f.includes("m") ? RE2JS.MULTILINE : 0);
    try {
      compiled = pattern(RE2JS.compile(p, bits));
    } catch {
      return unsupported("this regular expression syntax");
    }
    if (regexCache.size > 256) regexCache.clear();
    regexCache.set(key, compiled);
  }
  return compiled;
}

/** `has`: whole-term match, case-insensitive unless `cs`. Terms are runs of letters and digits. */
export function hasTerm(hay: string, needle: string, cs: boolean, mode: "term" | "prefix" | "suffix" = "term"): boolean {
  // Every string has the empty term.
  if (needle === "") return true;
  const h = cs ? hay : hay.toLowerCase();
  const n = cs ? needle : needle.toLowerCase();
  const checkStart = termChar.test(n[0]!);
  const checkEnd = termChar.test(n[n.length - 1]!);
  let from = 0;
  for (;;) {
    const at = h.indexOf(n, from);
    if (at < 0) return false;
    const before = at === 0 ? "" : h[at - 1]!;
    const after = at + n.length >= h.length ? "" : h[at + n.length]!;
    const startOk = !checkStart || mode === "suffix" || before === "" || !termChar.test(before);
    const endOk = !checkEnd || mode === "prefix" || after === "" || !termChar.test(after);
    if (startOk && endOk) return true;
    from = at + 1;
  }
}
