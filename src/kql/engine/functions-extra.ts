/**
 * More scalar functions: date parts and arithmetic by calendar unit, string search and replacement, array and bag
 * helpers, maths. Registered into the same table as functions.ts.
 */
import { createHash } from "node:crypto";
import { unsupported } from "./errors.js";
import { type ScalarImpl, scalarFunctions, scalarToString, toDynamicValue, toRegExp } from "./functions.js";
import type { ScalarType } from "./types.js";
import { MAX_DATETIME, MIN_DATETIME, TICKS_PER_DAY, TICKS_PER_MS, TICKS_PER_SECOND, dateParts, floorMod, utcMs } from "./values.js";

const HOUR = 3600n * TICKS_PER_SECOND;
const MINUTE = 60n * TICKS_PER_SECOND;

function dt(v: unknown): bigint {
  return v as bigint;
}

function inRange(v: bigint): bigint | null {
  return v < MIN_DATETIME || v > MAX_DATETIME ? null : v;
}

function startOfDay(t: bigint): bigint {
  return t - floorMod(t, TICKS_PER_DAY);
}

function startOfWeek(t: bigint): bigint {
  const d = startOfDay(t);
  return d - BigInt(dateParts(d).dow) * TICKS_PER_DAY;
}

function monthStart(y: number, mo: number): bigint {
  return BigInt(utcMs(y, mo, 1)) * TICKS_PER_MS;
}

function daysInMonth(y: number, mo: number): number {
  return new Date(utcMs(y, mo + 1, 0)).getUTCDate();
}

/** .NET AddMonths: the day is clamped to the target month's length. */
function addMonths(t: bigint, months: number): bigint | null {
  const p = dateParts(t);
  const total = p.y * 12 + (p.mo - 1) + months;
  const y = Math.floor(total / 12);
  const mo = (total % 12) + 1;
  if (y < 1 || y > 9999) return null;
  const day = Math.min(p.d, daysInMonth(y, mo));
  const base = BigInt(utcMs(y, mo, day)) * TICKS_PER_MS;
  return inRange(base + (t - startOfDay(t)));
}

function isoWeek(t: bigint): number {
  const p = dateParts(t);
  const dow = p.dow === 0 ? 7 : p.dow;
  // The Thursday of this ISO week decides the year.
  const thursday = startOfDay(t) + BigInt(4 - dow) * TICKS_PER_DAY;
  const ty = dateParts(thursday).y;
  const jan1 = BigInt(utcMs(ty, 1, 1)) * TICKS_PER_MS;
  return Number((thursday - jan1) / TICKS_PER_DAY / 7n) + 1;
}

const partNames: Record<string, string> = {
  year: "year",
  years: "year",
  quarter: "quarter",
  quarters: "quarter",
  month: "month",
  months: "month",
  week: "week",
  weeks: "week",
  day: "day",
  days: "day",
  hour: "hour",
  hours: "hour",
  minute: "minute",
  minutes: "minute",
  second: "second",
  seconds: "second",
  millisecond: "millisecond",
  milliseconds: "millisecond",
  microsecond: "microsecond",
  microseconds: "microsecond",
  nanosecond: "nanosecond",
  nanoseconds: "nanosecond",
};

function part(v: unknown): string {
  const p = partNames[String(v).toLowerCase()];
  return p ?? unsupported(`date part ${String(v)}`);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function safeNumber(v: bigint): number {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : unsupported("a result beyond 2^53");
}

const nullIfAny = (args: unknown[]): boolean => args.some((a) => a === null || a === undefined);

function dynString(v: unknown): string {
  return scalarToString(v, "dynamic");
}

function compareDynamic(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  return unsupported("sorting arrays of mixed values");
}

function sortArray(v: unknown, desc: boolean): unknown {
  if (!Array.isArray(v)) return null;
  const values = v.filter((x) => x !== null);
  const nulls = v.length - values.length;
  values.sort((a, b) => (desc ? -compareDynamic(a, b) : compareDynamic(a, b)));
  return [...values, ...new Array<null>(nulls).fill(null)];
}

/** The value with every bag's keys in ordinal order; refused where ordinal and case-insensitive orders disagree. */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (v === null || typeof v !== "object") return v;
  const keys = Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const folded = [...keys].sort((a, b) => {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
  if (keys.some((k, i) => k !== folded[i])) return unsupported("dynamic_to_json() of keys whose order depends on case");
  return Object.fromEntries(keys.map((k) => [k, sortedKeys((v as Record<string, unknown>)[k])]));
}

function periodEnd(args: unknown[], startFn: string): unknown {
  if (args[0] === null || args[0] === undefined) return null;
  const offset = args.length > 1 ? args[1] : 0;
  if (offset === null || !Number.isSafeInteger(offset)) return unsupported(`${startFn.replace("start", "end")}() with this offset`);
  // the last period of 9999 ends at the last tick Kusto has
  const next = scalarFunctions.get(startFn)!;
  const start = next([args[0], offset as number], ["datetime", "long"], "datetime", { nowTicks: 0n });
  if (start === null) return null;
  const y = dateParts(start as bigint).y;
  const p = dateParts(start as bigint);
  const last = startFn === "startofday" ? p.y === 9999 && p.mo === 12 && p.d === 31 : startFn === "startofweek" ? (start as bigint) + 7n * TICKS_PER_DAY > MAX_DATETIME : startFn === "startofmonth" ? y === 9999 && p.mo === 12 : y === 9999;
  if (last) return startFn === "startofweek" ? unsupported("endofweek() in the last week of 9999") : MAX_DATETIME;
  return (next([args[0], (offset as number) + 1], ["datetime", "long"], "datetime", { nowTicks: 0n }) as bigint) - 1n;
}

/** max_of / min_of: nulls are skipped; numbers of several types compare as numbers; a NaN first wins. */
function extremeOf(args: unknown[], types: ScalarType[], fn: string, better: (a: number | bigint, b: number | bigint) => boolean): unknown {
  const numeric = types.every((t) => t === "long" || t === "int" || t === "real");
  if (!numeric && types.some((t) => t !== types[0] || t === "dynamic" || t === "string")) return unsupported(`${fn}() of mixed or non-numeric values`);
  const values = args.filter((a) => a !== null && a !== undefined) as Array<number | bigint>;
  // a NaN first is the answer, as the corpus shows; a NaN after another value is not established
  if (values.slice(1).some((v) => typeof v === "number" && Number.isNaN(v))) return unsupported(`${fn}() of NaN after another value`);
  let best: number | bigint | null = null;
  for (const v of values) if (best === null || better(v, best)) best = v;
  return best;
}

/**
 * The distinct elements of the first array that `keep` accepts, in order, given whether each other array holds the
 * element (set_intersect, set_difference); null when any argument is not an array.
 */
function filterFirstSet(args: readonly unknown[], keep: (inOthers: boolean[]) => boolean): unknown[] | null {
  const arrays = args.map(asArray);
  if (arrays.some((a) => a === null)) return null;
  const others = arrays.slice(1).map((a) => new Set(a!.map((x) => JSON.stringify(x))));
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const x of arrays[0]!) {
    const k = JSON.stringify(x);
    if (seen.has(k) || !keep(others.map((o) => o.has(k)))) continue;
    seen.add(k);
    out.push(x);
  }
  return out;
}

function asArray(v: unknown): unknown[] | null {
  return Array.isArray(v) ? (v as unknown[]) : null;
}

/** series_fill_forward / series_fill_backward with the default placeholder (null): a null takes the nearest value before (after) it. */
function fillSeries(args: unknown[], backward: boolean): unknown {
  if (args.length > 1) return unsupported(`series_fill_${backward ? "backward" : "forward"}() with a placeholder`);
  if (!Array.isArray(args[0])) return unsupported(`series_fill_${backward ? "backward" : "forward"}() of a value that is not an array`);
  const out = [...(args[0] as unknown[])];
  let last: unknown = null;
  for (let k = 0; k < out.length; k++) {
    const i = backward ? out.length - 1 - k : k;
    if (out[i] === null) out[i] = last;
    else last = out[i];
  }
  return out;
}

function realResult(x: number): number {
  return x;
}

/** Splits a .NET custom format into runs of one letter and literal characters; refuses quotes and escapes. */
function formatTokens(format: string, fn: string): Array<{ letter: string; count: number } | { text: string }> {
  const out: Array<{ letter: string; count: number } | { text: string }> = [];
  for (let i = 0; i < format.length; ) {
    const ch = format[i]!;
    if (/[A-Za-z]/.test(ch)) {
      let j = i;
      while (format[j] === ch) j++;
      out.push({ letter: ch, count: j - i });
      i = j;
    } else if (`'"\\%`.includes(ch)) return unsupported(`${fn}() with quoted or escaped text`);
    else {
      out.push({ text: ch });
      i++;
    }
  }
  return out;
}

const pad = (n: number | bigint, width: number): string => String(n).padStart(width, "0");

function formatDateTimeWith(t: bigint, format: string): string {
  if (format.length === 1) return unsupported("format_datetime() with a standard format");
  const p = dateParts(t);
  const frac = pad(p.frac, 7);
  return formatTokens(format, "format_datetime")
    .map((tok, i, all) => {
      if ("text" in tok) return tok.text;
      const before = all[i - 1];
      const { letter, count } = tok;
      switch (letter) {
        case "y":
          return count === 1 ? String(p.y % 100) : count === 2 ? pad(p.y % 100, 2) : pad(p.y, count);
        // Kusto has no day or month names: "ddd" is "dd" then "d", "dddd" is "dd" twice (the corpus), likewise "MMM", "MMMM"
        case "M":
          return count <= 2 ? pad(p.mo, count) : count === 3 ? pad(p.mo, 2) + String(p.mo) : count === 4 ? pad(p.mo, 2).repeat(2) : unsupported("format_datetime() with month names");
        case "d":
          return count <= 2 ? pad(p.d, count) : count === 3 ? pad(p.d, 2) + String(p.d) : count === 4 ? pad(p.d, 2).repeat(2) : unsupported("format_datetime() with day names");
        case "H":
          return count <= 2 ? pad(p.h, count) : unsupported("format_datetime() with that hour format");
        case "h":
          return count <= 2 ? pad(p.h % 12 === 0 ? 12 : p.h % 12, count) : unsupported("format_datetime() with that hour format");
        case "m":
          return count <= 2 ? pad(p.mi, count) : unsupported("format_datetime() with that minute format");
        case "s":
          return count <= 2 ? pad(p.s, count) : unsupported("format_datetime() with that second format");
        case "f":
          return count <= 7 ? frac.slice(0, count) : unsupported("format_datetime() with more than 7 f");
        case "F": {
          // the fraction's digits without trailing zeros ("FFFFFFF" of .0000007 is 0000007, of .0 nothing: the corpus);
          // whether a "." before an empty F part stays is not established
          if (count > 7) return unsupported("format_datetime() with more than 7 F");
          const digits = frac.slice(0, count).replace(/0+$/, "");
          return digits === "" && before !== undefined && "text" in before && before.text === "." ? unsupported("format_datetime() with a point before an empty F part") : digits;
        }
        case "t":
          return count === 1 ? (p.h < 12 ? "A" : "P") : count === 2 ? (p.h < 12 ? "AM" : "PM") : unsupported("format_datetime() with that tt format");
        default:
          return unsupported(`format_datetime() with ${letter.repeat(count)}`);
      }
    })
    .join("");
}

function formatTimespanWith(t: bigint, format: string): string {
  const neg = t < 0n;
  let rest = neg ? -t : t;
  const days = rest / TICKS_PER_DAY;
  rest -= days * TICKS_PER_DAY;
  const h = rest / HOUR;
  rest -= h * HOUR;
  const mi = rest / MINUTE;
  rest -= mi * MINUTE;
  const s = rest / TICKS_PER_SECOND;
  const frac = pad(rest - s * TICKS_PER_SECOND, 7);
  const text = formatTokens(format, "format_timespan")
    .map((tok) => {
      if ("text" in tok) return tok.text;
      const { letter, count } = tok;
      switch (letter) {
        case "d":
          return count <= 8 ? pad(days, count) : unsupported("format_timespan() with that day format");
        case "h":
        case "H":
          return count <= 2 ? pad(h, count) : unsupported("format_timespan() with that hour format");
        case "m":
          return count <= 2 ? pad(mi, count) : unsupported("format_timespan() with that minute format");
        case "s":
          return count <= 2 ? pad(s, count) : unsupported("format_timespan() with that second format");
        case "f":
          return count <= 7 ? frac.slice(0, count) : unsupported("format_timespan() with more than 7 f");
        default:
          return unsupported(`format_timespan() with ${letter.repeat(count)}`);
      }
    })
    .join("");
  return neg ? `-${text}` : text;
}

export const extraFunctions: Array<[string, ScalarImpl]> = [
  ["format_datetime", (args) => (args[0] === null || args[1] === null ? "" : formatDateTimeWith(dt(args[0]), args[1] as string))],
  ["format_timespan", (args) => (args[0] === null || args[1] === null ? "" : formatTimespanWith(args[0] as bigint, args[1] as string))],
  [
    "datetime_diff",
    (args) => {
      if (nullIfAny(args)) return null;
      const p = part(args[0]);
      const a = dt(args[1]);
      const b = dt(args[2]);
      const pa = dateParts(a);
      const pb = dateParts(b);
      switch (p) {
        case "year":
          return pa.y - pb.y;
        case "quarter":
          return pa.y * 4 + Math.floor((pa.mo - 1) / 3) - (pb.y * 4 + Math.floor((pb.mo - 1) / 3));
        case "month":
          return pa.y * 12 + pa.mo - (pb.y * 12 + pb.mo);
        case "week":
          // Kusto types this one as real while Kusto.Language says long: refuse rather than mislabel the column.
          return unsupported("datetime_diff() in weeks");
        case "day":
          return safeNumber((startOfDay(a) - startOfDay(b)) / TICKS_PER_DAY);
        case "hour":
          return safeNumber(floorDiv(a, HOUR) - floorDiv(b, HOUR));
        case "minute":
          return safeNumber(floorDiv(a, MINUTE) - floorDiv(b, MINUTE));
        case "second":
          return safeNumber(floorDiv(a, TICKS_PER_SECOND) - floorDiv(b, TICKS_PER_SECOND));
        case "millisecond":
          return safeNumber(floorDiv(a, TICKS_PER_MS) - floorDiv(b, TICKS_PER_MS));
        case "microsecond":
          return safeNumber(floorDiv(a, 10n) - floorDiv(b, 10n));
        default:
          return safeNumber((a - b) * 100n);
      }
    },
  ],
  [
    "datetime_add",
    (args, types) => {
      if (nullIfAny(args)) return null;
      if (types[1] === "real") return unsupported("datetime_add() with a real amount");
      const p = part(args[0]);
      const n = args[1] as number;
      const t = dt(args[2]);
      const big = BigInt(n);
      switch (p) {
        case "year":
          return addMonths(t, n * 12);
        case "quarter":
          return addMonths(t, n * 3);
        case "month":
          return addMonths(t, n);
        case "week":
          return inRange(t + big * 7n * TICKS_PER_DAY);
        case "day":
          return inRange(t + big * TICKS_PER_DAY);
        case "hour":
          return inRange(t + big * HOUR);
        case "minute":
          return inRange(t + big * MINUTE);
        case "second":
          return inRange(t + big * TICKS_PER_SECOND);
        case "millisecond":
          return inRange(t + big * TICKS_PER_MS);
        case "microsecond":
          return inRange(t + big * 10n);
        default:
          return n % 100 === 0 ? inRange(t + big / 100n) : unsupported("datetime_add() of nanoseconds below a tick");
      }
    },
  ],
  // endof<period>(t[, offset]): one tick before the start of the period after (the corpus's cases)
  ["endofday", (args) => periodEnd(args, "startofday")],
  ["endofweek", (args) => periodEnd(args, "startofweek")],
  ["endofmonth", (args) => periodEnd(args, "startofmonth")],
  ["endofyear", (args) => periodEnd(args, "startofyear")],
  ["monthofyear", (args) => (args[0] === null ? null : dateParts(dt(args[0])).mo)],
  ["getmonth", (args) => (args[0] === null ? null : dateParts(dt(args[0])).mo)],
  [
    "dayofyear",
    (args) => {
      if (args[0] === null) return null;
      const t = dt(args[0]);
      return Number((startOfDay(t) - monthStart(dateParts(t).y, 1)) / TICKS_PER_DAY) + 1;
    },
  ],
  ["week_of_year", (args) => (args[0] === null ? null : isoWeek(dt(args[0])))],
  ["weekofyear", (args) => (args[0] === null ? null : isoWeek(dt(args[0])))],
  [
    "make_datetime",
    (args, types) => {
      if (nullIfAny(args)) return null;
      if (types.slice(0, 5).some((t) => t === "real")) return unsupported("make_datetime() with real parts");
      const [y, mo, d, h = 0, mi = 0] = args.slice(0, 5) as number[];
      const s = (args[5] as number | undefined) ?? 0;
      if (y! < 1 || y! > 9999 || mo! < 1 || mo! > 12 || d! < 1 || d! > daysInMonth(y!, mo!) || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s >= 60) return null;
      const whole = Math.floor(s);
      const frac = Math.round((s - whole) * 1e7);
      return BigInt(utcMs(y!, mo!, d!, h, mi, whole)) * TICKS_PER_MS + BigInt(frac);
    },
  ],
  [
    "bin_at",
    (args, types) => {
      if (nullIfAny(args)) return null;
      if (types[0] === "datetime" || types[0] === "timespan") {
        if (types[1] !== "timespan") return unsupported("bin_at() with a numeric size");
        const size = args[1] as bigint;
        if (size <= 0n) return null;
        const v = args[0] as bigint;
        return v - floorMod(v - (args[2] as bigint), size);
      }
      const size = Number(args[1]);
      if (!(size > 0)) return null;
      const v = args[0] as number;
      const fixed = Number(args[2]);
      const r = v - (((v - fixed) % size) + size) % size;
      return types[0] === "real" ? r : Number.isSafeInteger(r) ? r : unsupported("bin_at() beyond 2^53");
    },
  ],
  [
    "countof",
    (args) => {
      const text = args[0] as string;
      const search = args[1] as string;
      const kind = args.length > 2 ? String(args[2]) : "normal";
      if (search === "") return unsupported("countof() of an empty string");
      if (kind === "regex") {
        return toRegExp(search, "").all(text).filter((m) => m[0] !== "").length;
      }
      if (kind !== "normal") return unsupported(`countof() kind ${kind}`);
      let n = 0;
      for (let i = text.indexOf(search); i >= 0; i = text.indexOf(search, i + 1)) n++;
      return n;
    },
  ],
  ["string_size", (args) => Buffer.byteLength(args[0] as string, "utf8")],
  [
    "indexof",
    (args) => {
      if (args.length > 3) return unsupported("indexof() with length or occurrence");
      const s = args[0] as string;
      const lookup = args[1] as string;
      const start = args.length > 2 ? (args[2] as number | null) : 0;
      if (start === null || lookup === "") return null;
      if (/[\uD800-\uDFFF]/.test(s)) return unsupported("indexof() of text outside the basic multilingual plane");
      // a start past the end finds nothing (the corpus); a negative one is not established
      if (start > s.length) return -1;
      if (start < 0) return unsupported("indexof() with a start outside the text");
      return s.indexOf(lookup, start);
    },
  ],
  [
    "strcmp",
    (args) => {
      if (args[0] === null || args[1] === null) return null;
      const a = args[0] as string;
      const b = args[1] as string;
      const sign = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
      // ordinal; where a case-insensitive order would differ, which one Kusto uses is not established
      const ordinal = sign(a, b);
      return ordinal === sign(a.toLowerCase(), b.toLowerCase()) ? ordinal : unsupported("strcmp() of text whose order depends on case");
    },
  ],
  ["hash_sha256", (args, types) => (args[0] === null ? null : types[0] === "string" ? createHash("sha256").update(args[0] as string, "utf8").digest("hex") : unsupported(`hash_sha256() of ${types[0]}`))],
  ["isnan", (args) => (args[0] === null ? null : Number.isNaN(args[0]))],
  ["isinf", (args) => (args[0] === null ? null : args[0] === Infinity || args[0] === -Infinity)],
  ["isfinite", (args) => (args[0] === null ? null : Number.isFinite(args[0]))],
  [
    "trim",
    (args) => {
      const re = args[0] as string;
      const s = args[1] as string;
      return toRegExp(`(?:${re})$`, "").replace(toRegExp(`^(?:${re})`, "").replace(s, "", true), "", true);
    },
  ],
  ["trim_start", (args) => toRegExp(`^(?:${args[0] as string})`, "").replace(args[1] as string, "", true)],
  ["trim_end", (args) => toRegExp(`(?:${args[0] as string})$`, "").replace(args[1] as string, "", true)],
  [
    "replace_string",
    (args) => {
      const lookup = args[1] as string;
      if (lookup === "") return args[0];
      return (args[0] as string).split(lookup).join(args[2] as string);
    },
  ],
  [
    "replace_regex",
    (args) => {
      // The rewrite names groups as \N (Kusto); a literal $ in it stays a $.
      const rewrite = (args[2] as string).replace(/\$(\d)/g, "$\u0000$1");
      return toRegExp(args[1] as string, "").replace(args[0] as string, rewrite).replace(/\$\u0000/g, "$");
    },
  ],
  [
    "extract_all",
    (args) => {
      if (args.length > 2) return unsupported("extract_all() with capture group selection");
      const s = args[1] as string;
      const out: unknown[] = [];
      for (const m of toRegExp(args[0] as string, "").all(s)) {
        if (m[0] === "") return unsupported("extract_all() with empty matches");
        if (m.length === 1) out.push(m[0]);
        else if (m.length === 2) out.push(m[1] ?? "");
        else out.push(m.slice(1).map((g) => g ?? ""));
      }
      return out.length === 0 ? null : out;
    },
  ],
  [
    "strcat_array",
    (args) => {
      const arr = asArray(args[0]);
      if (!arr) return "";
      return arr.map((x) => (x === null ? "" : dynString(x))).join(args[1] as string);
    },
  ],
  ["reverse", (args) => [...(args[0] as string)].reverse().join("")],
  [
    "strrep",
    (args) => {
      if (nullIfAny(args.slice(0, 2))) return "";
      const n = args[1] as number;
      if (n < 0 || n > 10000) return unsupported("strrep() with that count");
      return new Array<string>(n).fill(args[0] as string).join(args.length > 2 ? (args[2] as string) : "");
    },
  ],
  [
    "array_concat",
    (args) => {
      const out: unknown[] = [];
      // Arguments that are not arrays are skipped.
      for (const a of args) if (Array.isArray(a)) out.push(...(a as unknown[]));
      return out;
    },
  ],
  [
    "array_slice",
    (args) => {
      const arr = asArray(args[0]);
      if (!arr || args[1] === null || args[2] === null) return null;
      let s = args[1] as number;
      let e = args[2] as number;
      if (s < 0) s += arr.length;
      if (e < 0) e += arr.length;
      s = Math.max(0, s);
      e = Math.min(arr.length - 1, e);
      return e < s ? [] : arr.slice(s, e + 1);
    },
  ],
  [
    "array_sum",
    (args) => {
      const arr = asArray(args[0]);
      if (!arr) return null;
      let s = 0;
      let any = false;
      for (const x of arr) {
        if (x === null) continue;
        if (typeof x !== "number") return unsupported("array_sum() of non-numbers");
        s += x;
        any = true;
      }
      return any ? realResult(s) : null;
    },
  ],
  ["array_reverse", (args) => (Array.isArray(args[0]) ? [...(args[0] as unknown[])].reverse() : null)],
  // compact JSON with the keys of every bag sorted, as the corpus shows ({"b":2,"a":1} gives {"a":1,"b":2}); only
  // arrays and bags are established
  ["dynamic_to_json", (args) => (args[0] !== null && typeof args[0] === "object" ? dynString(sortedKeys(args[0])) : unsupported("dynamic_to_json() of a value that is not an array or a bag"))],
  ["array_sort_asc", (args) => (args.length > 1 ? unsupported("array_sort_asc() with options") : sortArray(args[0], false))],
  ["array_sort_desc", (args) => (args.length > 1 ? unsupported("array_sort_desc() with options") : sortArray(args[0], true))],
  [
    "set_union",
    (args) => {
      const seen = new Set<string>();
      const out: unknown[] = [];
      for (const a of args) {
        if (!Array.isArray(a)) return null;
        for (const x of a as unknown[]) {
          const k = JSON.stringify(x);
          if (seen.has(k)) continue;
          seen.add(k);
          out.push(x);
        }
      }
      return out;
    },
  ],
  [
    "range",
    (args, types) => {
      if (nullIfAny(args)) return null;
      const [start, stop] = args;
      const numeric = types[0] === "long" || types[0] === "int";
      if (!numeric && types[0] !== "datetime" && types[0] !== "timespan") return unsupported(`range() of ${types[0]}`);
      const step = args.length > 2 ? args[2] : numeric ? 1 : unsupported("range() without a step");
      if (numeric !== (typeof step === "number") || (typeof start === "number") !== (typeof stop === "number")) return unsupported("range() of mixed types");
      // Only the ordinary case: ascending, with a positive step.
      const s = BigInt(start as number | bigint);
      const e = BigInt(stop as number | bigint);
      const d = BigInt(step as number | bigint);
      if (d <= 0n || s > e) return unsupported("range() that is not ascending with a positive step");
      if ((e - s) / d >= 1_048_576n) return unsupported("range() of more than 1,048,576 values");
      const out: unknown[] = [];
      for (let v = s; v <= e; v += d) out.push(numeric ? Number(v) : toDynamicValue(v, types[0]!));
      return out;
    },
  ],
  [
    // internal: a dynamic value taken where Kusto.Language types the result as string (iff(c, d.x, "")); only a
    // dynamic string has a certain answer there
    "dynamic_string",
    (args) => (typeof args[0] === "string" ? args[0] : unsupported(`a dynamic ${args[0] === null ? "null" : Array.isArray(args[0]) ? "array" : typeof args[0]} where a string is expected`)),
  ],
  [
    "array_index_of",
    (args, types) => {
      if (args.length > 2) return unsupported("array_index_of() with start, length or occurrence");
      const [arr, value] = args;
      if (!Array.isArray(arr) || value === null) return unsupported("array_index_of() of a value that is not an array, or of null");
      // numbers compare by value (15.0 finds 15), text with text; a search across kinds is not established
      const numeric = types[1] === "long" || types[1] === "int" || types[1] === "real";
      if (!numeric && types[1] !== "string") return unsupported(`array_index_of() of a ${types[1]} value`);
      const kind = numeric ? "number" : "string";
      if ((arr as unknown[]).some((x) => x !== null && typeof x !== kind)) return unsupported("array_index_of() over elements of another kind than the value");
      return (arr as unknown[]).indexOf(value);
    },
  ],
  [
    "series_fill_forward",
    (args) => fillSeries(args, false),
  ],
  [
    "series_fill_backward",
    (args) => fillSeries(args, true),
  ],
  ["set_intersect", (args) => filterFirstSet(args, (inOthers) => inOthers.every(Boolean))],
  ["set_difference", (args) => filterFirstSet(args, (inOthers) => !inOthers.some(Boolean))],
  [
    "set_has_element",
    (args, types) => {
      // Kusto compares with the element's type: set_has_element(dynamic([2]), "2") is false.
      if (!Array.isArray(args[0])) return unsupported("set_has_element() of a value that is not an array");
      if (types[1] === "real" || types[1] === "dynamic") return unsupported(`set_has_element() of a ${types[1]} value`);
      const k = JSON.stringify(toDynamicValue(args[1], types[1]!));
      return (args[0] as unknown[]).some((x) => JSON.stringify(x) === k);
    },
  ],
  [
    "datetime_part",
    (args) => {
      if (args[1] === null || args[0] === null) return null;
      const t = dt(args[1]);
      const p = dateParts(t);
      switch (String(args[0]).toLowerCase()) {
        case "year":
          return p.y;
        case "quarter":
          return Math.floor((p.mo - 1) / 3) + 1;
        case "month":
          return p.mo;
        case "week_of_year":
          return isoWeek(t);
        case "day":
          return p.d;
        case "dayofyear":
          return Number((t - BigInt(utcMs(p.y, 1, 1)) * TICKS_PER_MS) / TICKS_PER_DAY) + 1;
        case "hour":
          return p.h;
        case "minute":
          return p.mi;
        case "second":
          return p.s;
        case "millisecond":
          return Number(p.frac / 10_000n);
        case "microsecond":
          return Number(p.frac / 10n);
        case "nanosecond":
          return Number(p.frac * 100n);
        default:
          return unsupported(`datetime_part("${String(args[0])}")`);
      }
    },
  ],
  [
    "pack",
    (args, types) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i + 1 < args.length; i += 2) out[String(args[i])] = toDynamicValue(args[i + 1], types[i + 1]!);
      return out;
    },
  ],
  [
    "bag_pack",
    (args, types) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i + 1 < args.length; i += 2) out[String(args[i])] = toDynamicValue(args[i + 1], types[i + 1]!);
      return out;
    },
  ],
  [
    "bag_merge",
    (args) => {
      const out: Record<string, unknown> = {};
      for (const a of args) {
        if (a === null || typeof a !== "object" || Array.isArray(a)) continue;
        for (const [k, v] of Object.entries(a as Record<string, unknown>)) if (!(k in out)) out[k] = v;
      }
      return out;
    },
  ],
  [
    "round",
    (args) => {
      if (nullIfAny(args)) return null;
      const x = args[0] as number;
      const digits = args.length > 1 ? (args[1] as number) : 0;
      if (!Number.isFinite(x)) return x;
      if (digits < 0 || digits > 15) return unsupported("round() with that precision");
      // Half away from zero.
      const f = 10 ** digits;
      return (Math.sign(x) * Math.round(Math.abs(x) * f)) / f;
    },
  ],
  ["pow", (args) => (nullIfAny(args) ? null : Math.pow(Number(args[0]), Number(args[1])))],
  ["sqrt", (args) => (args[0] === null ? null : Math.sqrt(Number(args[0])))],
  ["exp", (args) => (args[0] === null ? null : Math.exp(Number(args[0])))],
  // The logarithm of a negative number is null, not NaN.
  ["log", (args) => (args[0] === null || Number(args[0]) < 0 ? null : Math.log(Number(args[0])))],
  ["log10", (args) => (args[0] === null || Number(args[0]) < 0 ? null : Math.log10(Number(args[0])))],
  ["log2", (args) => (args[0] === null || Number(args[0]) < 0 ? null : Math.log2(Number(args[0])))],
  [
    "sign",
    (args, types) => {
      if (args[0] === null) return null;
      const x = Number(args[0]);
      return Number.isNaN(x) ? 0 : Math.sign(x) + 0;
    },
  ],
  [
    "ceiling",
    (args, types) => {
      if (args[0] === null) return null;
      return types[0] === "real" ? Math.ceil(args[0] as number) : args[0];
    },
  ],
  [
    "max_of",
    (args, types) => extremeOf(args, types, "max_of", (a, b) => a > b),
  ],
  [
    "min_of",
    (args, types) => extremeOf(args, types, "min_of", (a, b) => a < b),
  ],
  [
    "make_timespan",
    (args, types) => {
      if (args.some((a) => a === null || a === undefined)) return null;
      if (types.some((t) => t !== "long" && t !== "int" && t !== "real") || args.some((a) => !Number.isSafeInteger(a))) return unsupported("make_timespan() of fractions");
      const parts = args as number[];
      const [d, h, m, sec] = parts.length === 4 ? parts : [0, parts[0]!, parts[1]!, parts[2] ?? 0];
      // a part out of its range gives null, as the corpus shows for make_timespan(25, 70)
      if (parts.some((x) => x < 0)) return unsupported("make_timespan() of negative parts");
      if (h! > 23 || m! > 59 || sec! > 59) return null;
      return ((BigInt(d!) * 24n + BigInt(h!)) * 60n + BigInt(m!)) * MINUTE + BigInt(sec!) * TICKS_PER_SECOND;
    },
  ],
  [
    "zip",
    (args) => {
      if (!args.every(Array.isArray)) return unsupported("zip() of values that are not arrays");
      const arrays = args as unknown[][];
      if (arrays.some((a) => a.length !== arrays[0]!.length)) return unsupported("zip() of arrays of different lengths");
      return arrays[0]!.map((_, i) => arrays.map((a) => a[i]));
    },
  ],
  [
    "array_iff",
    (args, types) => {
      const [cond, whenTrue, whenFalse] = args;
      if (!Array.isArray(cond)) return unsupported("array_iff() of a condition that is not an array");
      const pick = (v: unknown, t: ScalarType, i: number): unknown => {
        if (t !== "dynamic") return toDynamicValue(v, t);
        if (!Array.isArray(v)) return unsupported("array_iff() of a dynamic value that is not an array");
        return i < v.length ? v[i] : unsupported("array_iff() of arrays shorter than the condition");
      };
      return cond.map((c, i) => (c === true ? pick(whenTrue, types[1]!, i) : c === false ? pick(whenFalse, types[2]!, i) : unsupported("array_iff() with a condition that is not a bool")));
    },
  ],
];

/** Type names accepted in the declarations above; kept for callers that check argument types. */
export type ExtraArgType = ScalarType;
