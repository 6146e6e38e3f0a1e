/**
 * Scalar values: parsing and formatting of datetimes and timespans in 100 ns ticks, conversions with Kusto's
 * rules (a failed conversion is null, never an error), and .NET-style number text.
 */

export const TICKS_PER_MS = 10_000n;
export const TICKS_PER_SECOND = 10_000_000n;
export const TICKS_PER_DAY = 864_000_000_000n;

// Kusto's datetime range: 0001-01-01 to 9999-12-31T23:59:59.9999999, here relative to the Unix epoch.
export const MIN_DATETIME = -621_355_968_000_000_000n;
export const MAX_DATETIME = 2_534_023_007_999_999_999n;

const isoLike =
  /^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7})\d*)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$/i;

/** True when the text has the shape of an ISO-8601 time, whether or not its fields are in range (`2020-13-45`). */
export function isIsoShaped(text: string): boolean {
  return isoLike.test(text);
}

function daysInMonth(y: number, m: number): number {
  return [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] ?? 0;
}

/** Milliseconds since the epoch of a proleptic Gregorian UTC date (years 1-9999 included, unlike Date.UTC). */
export function utcMs(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

/** Parses the datetime text Kusto accepts in `datetime(...)` and `todatetime()`; undefined when it cannot. */
export function parseDateTime(text: string): bigint | undefined {
  const m = isoLike.exec(text);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4] ?? 0);
  const mi = Number(m[5] ?? 0);
  const s = Number(m[6] ?? 0);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  const frac = m[7] ? BigInt(m[7].padEnd(7, "0")) : 0n;
  let ticks = BigInt(utcMs(y, mo, d, h, mi, s)) * TICKS_PER_MS + frac;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1n : 1n;
    const digits = zone.slice(1).replace(":", "");
    const offMin = BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0));
    ticks -= sign * offMin * 60n * TICKS_PER_SECOND;
  }
  if (ticks < MIN_DATETIME || ticks > MAX_DATETIME) return undefined;
  return ticks;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export function floorMod(a: bigint, b: bigint): bigint {
  return a - floorDiv(a, b) * b;
}

/** Date parts of a datetime (UTC). */
export function dateParts(ticks: bigint): { y: number; mo: number; d: number; h: number; mi: number; s: number; frac: bigint; dow: number } {
  const ms = floorDiv(ticks, TICKS_PER_MS);
  const frac = ticks - floorDiv(ticks, TICKS_PER_SECOND) * TICKS_PER_SECOND;
  const date = new Date(Number(ms));
  return {
    y: date.getUTCFullYear(),
    mo: date.getUTCMonth() + 1,
    d: date.getUTCDate(),
    h: date.getUTCHours(),
    mi: date.getUTCMinutes(),
    s: date.getUTCSeconds(),
    frac,
    dow: date.getUTCDay(),
  };
}

const p2 = (n: number): string => String(n).padStart(2, "0");

/** `2021-12-26T00:00:00.0000000Z` (all seven fraction digits, as Kusto prints them). */
export function formatDateTimeFull(ticks: bigint): string {
  const p = dateParts(ticks);
  return `${String(p.y).padStart(4, "0")}-${p2(p.mo)}-${p2(p.d)}T${p2(p.h)}:${p2(p.mi)}:${p2(p.s)}.${String(p.frac).padStart(7, "0")}Z`;
}

/** `2026-11-20T08:00:00Z`, or with the fraction trimmed of trailing zeros: the Log Analytics wire form. */
export function formatDateTimeWire(ticks: bigint): string {
  const p = dateParts(ticks);
  const frac = p.frac === 0n ? "" : `.${String(p.frac).padStart(7, "0").replace(/0+$/, "")}`;
  return `${String(p.y).padStart(4, "0")}-${p2(p.mo)}-${p2(p.d)}T${p2(p.h)}:${p2(p.mi)}:${p2(p.s)}${frac}Z`;
}

/** `[-][d.]hh:mm:ss[.fffffff]` */
export function formatTimespan(ticks: bigint): string {
  const neg = ticks < 0n;
  let t = neg ? -ticks : ticks;
  const days = t / TICKS_PER_DAY;
  t -= days * TICKS_PER_DAY;
  const h = t / (3600n * TICKS_PER_SECOND);
  t -= h * 3600n * TICKS_PER_SECOND;
  const mi = t / (60n * TICKS_PER_SECOND);
  t -= mi * 60n * TICKS_PER_SECOND;
  const s = t / TICKS_PER_SECOND;
  const frac = t - s * TICKS_PER_SECOND;
  const pad = (v: bigint): string => String(v).padStart(2, "0");
  return `${neg ? "-" : ""}${days > 0n ? `${days}.` : ""}${pad(h)}:${pad(mi)}:${pad(s)}${frac > 0n ? `.${String(frac).padStart(7, "0")}` : ""}`;
}

const timespanUnits: Record<string, bigint> = {
  d: TICKS_PER_DAY,
  day: TICKS_PER_DAY,
  days: TICKS_PER_DAY,
  h: 3600n * TICKS_PER_SECOND,
  hr: 3600n * TICKS_PER_SECOND,
  hrs: 3600n * TICKS_PER_SECOND,
  hour: 3600n * TICKS_PER_SECOND,
  hours: 3600n * TICKS_PER_SECOND,
  m: 60n * TICKS_PER_SECOND,
  min: 60n * TICKS_PER_SECOND,
  minute: 60n * TICKS_PER_SECOND,
  minutes: 60n * TICKS_PER_SECOND,
  s: TICKS_PER_SECOND,
  sec: TICKS_PER_SECOND,
  second: TICKS_PER_SECOND,
  seconds: TICKS_PER_SECOND,
  ms: TICKS_PER_MS,
  milli: TICKS_PER_MS,
  millis: TICKS_PER_MS,
  millisecond: TICKS_PER_MS,
  milliseconds: TICKS_PER_MS,
  microsecond: 10n,
  microseconds: 10n,
  tick: 1n,
  ticks: 1n,
};

/** Decimal text times a tick unit, exactly (e.g. `1.5` x hour). */
function scaleDecimal(text: string, unit: bigint): bigint | undefined {
  const m = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[1] === "" && !m[2])) return undefined;
  const frac = m[2] ?? "";
  const scale = 10n ** BigInt(frac.length);
  return (BigInt((m[1] || "0") + frac) * unit) / scale;
}

/** Parses `14d`, `1.5h`, `30ms`, `-2d`, `1.02:03:04.5`, `00:10:00`; undefined when it cannot. */
export function parseTimespan(text: string): bigint | undefined {
  let t = text.trim();
  let sign = 1n;
  if (t.startsWith("-")) {
    sign = -1n;
    t = t.slice(1).trim();
  } else if (t.startsWith("+")) t = t.slice(1).trim();
  const unit = /^(\d*(?:\.\d*)?)\s*([a-z]+)$/i.exec(t);
  if (unit) {
    const size = timespanUnits[unit[2]!.toLowerCase()];
    if (size === undefined) return undefined;
    const v = scaleDecimal(unit[1]!, size);
    return v === undefined ? undefined : sign * v;
  }
  const clock = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7})\d*)?)?$/.exec(t);
  if (clock) {
    const [, d, h, mi, s, f] = clock;
    if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return undefined;
    const v =
      BigInt(d ?? 0) * TICKS_PER_DAY +
      BigInt(h!) * 3600n * TICKS_PER_SECOND +
      BigInt(mi!) * 60n * TICKS_PER_SECOND +
      BigInt(s ?? 0) * TICKS_PER_SECOND +
      (f ? BigInt(f.padEnd(7, "0")) : 0n);
    return sign * v;
  }
  if (/^\d+$/.test(t)) return sign * BigInt(t) * TICKS_PER_DAY;
  return undefined;
}

/** .NET's shortest round-trip text for a double: `1.5`, `1E+20`, `1.5E-05`, `NaN`, `Infinity`. */
export function formatReal(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [mant, expText] = x.toExponential().split("e") as [string, string];
  const e = Number(expText);
  if (e >= 15 || e < -5) return `${mant}E${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  let out: string;
  if (e >= 0) {
    out = digits.length <= e + 1 ? digits.padEnd(e + 1, "0") : `${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
  } else out = `0.${"0".repeat(-e - 1)}${digits}`;
  return (neg ? "-" : "") + out;
}

export function isSafeLong(x: number): boolean {
  return Number.isSafeInteger(x);
}

/**
 * Why JSON text cannot become a JS value without changing its meaning, if it cannot: a real written with an integral
 * value (`2.0`, `1e3`: Kusto keeps it real, JS makes it an integer) or an integer beyond 2^53. Reals such as 47.6 are fine.
 */
export function jsonNumberHazard(json: string): string | undefined {
  const bare = json.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of bare.matchAll(/-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?/g)) {
    const token = m[0];
    const prev = m.index === 0 ? "" : bare[m.index - 1]!;
    if (/[\w.]/.test(prev)) continue;
    const value = Number(token);
    if (/[.eE]/.test(token)) {
      if (Number.isInteger(value) || !Number.isFinite(value)) return "reals with integral values inside dynamic";
    } else if (!Number.isSafeInteger(value)) return "integers beyond 2^53 inside dynamic";
  }
  return undefined;
}
