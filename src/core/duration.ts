/**
 * Durations as responders write them: `14d`, `3d4h`, `90m`, `30s`, `1h30m`, optionally signed (`-3d4h`).
 * Also accepted: ISO 8601 durations (`P14D`, `PT4H`). Returned in milliseconds.
 */
const unitMs: Record<string, number> = {
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
};

const shortForm = /^([+-])?((?:\d+(?:\.\d+)?(?:ms|w|d|h|m|s))+)$/;
const part = /(\d+(?:\.\d+)?)(ms|w|d|h|m|s)/g;
const isoForm = /^([+-])?P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  const short = shortForm.exec(t);
  if (short) {
    let total = 0;
    for (const m of (short[2] ?? "").matchAll(part)) total += Number(m[1]) * (unitMs[m[2] ?? ""] ?? 0);
    return short[1] === "-" ? -total : total;
  }
  const iso = isoForm.exec(t);
  if (iso && t.replace(/^[+-]?P/i, "").replace(/T/i, "") !== "") {
    const [, sign, w, d, h, m, s] = iso;
    const total =
      Number(w ?? 0) * unitMs.w! + Number(d ?? 0) * unitMs.d! + Number(h ?? 0) * unitMs.h! + Number(m ?? 0) * unitMs.m! + Number(s ?? 0) * 1000;
    return sign === "-" ? -total : total;
  }
  return undefined;
}

/** `1209600000` -> `14d`; `93600000` -> `1d2h`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  let out = "";
  for (const u of ["d", "h", "m", "s"] as const) {
    const size = unitMs[u]!;
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${u}`;
    rest -= n * size;
  }
  if (rest > 0) out += `${rest}ms`;
  return sign + out;
}

/** A KQL timespan literal for a duration, e.g. `14d` -> `timespan(14d)` is not needed: KQL reads `14d` directly. */
export function toKqlTimespan(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** `--since` accepts an ISO date-time or a duration back from now. */
export function parseSince(text: string, now: Date): Date | undefined {
  const d = parseDuration(text);
  if (d !== undefined) return new Date(now.getTime() - Math.abs(d));
  return parseIsoDate(text);
}

/** An ISO 8601 date or date-time, or undefined: a date that does not exist (2026-02-30) is refused, not rolled over. */
export function parseIsoDate(text: string): Date | undefined {
  const day = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!day) return undefined;
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) return undefined;
  // JavaScript rolls 2026-02-30 over to March 2.
  const [, y, m, dd] = day.map(Number) as [number, number, number, number];
  const calendar = new Date(Date.UTC(y, m - 1, dd));
  return calendar.getUTCFullYear() === y && calendar.getUTCMonth() === m - 1 && calendar.getUTCDate() === dd ? at : undefined;
}
