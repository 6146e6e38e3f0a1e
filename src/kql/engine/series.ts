/**
 * Series functions that return several columns (`extend (RSquare, Slope, ...) = series_fit_line(s)`). Each computes
 * a bag keyed by the tuple's column names as Kusto.Language gives them (`rsquare`, `slope`, ...); the plan reads one
 * column of it with `tuple_column(function, column, args...)`.
 */
import { unsupported } from "./errors.js";
import { toDynamicValue } from "./functions.js";

type TupleFunction = (args: unknown[]) => Record<string, () => unknown>;

/** The numbers of a series, or a refusal naming what is not established for other input. */
function numbers(fn: string, v: unknown, minimum: number): number[] {
  if (!Array.isArray(v)) return unsupported(`${fn}() of a value that is not an array`);
  if (!v.every((x) => typeof x === "number" && Number.isFinite(x))) return unsupported(`${fn}() of a series with nulls or values that are not finite numbers`);
  if (v.length < minimum) return unsupported(`${fn}() of a series of fewer than ${minimum} values`);
  return v as number[];
}

/**
 * series_fit_line: least squares over x = 1..n. Every value the real engine is known to give is reproduced: the
 * slope as the correlation times the ratio of the (population) deviations (1, 2, 3, 4, 5 gives 0.9999999999999999,
 * not 1), r-square as 1 - SSres/SStot, variance and residual variance over n - 1, the line from x = 1 (Microsoft's
 * example: rsquare 0.982, slope 2.730, variance 98.628, rvariance 1.686, interception -1.666, first point 1.064).
 */
function fitLine(args: unknown[]): Record<string, () => unknown> {
  const y = numbers("series_fit_line", args[0], 2);
  const n = y.length;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += i + 1;
    sy += y[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let cxy = 0;
  let cxx = 0;
  let cyy = 0;
  for (let i = 0; i < n; i++) {
    const dx = i + 1 - mx;
    const dy = y[i]! - my;
    cxy += dx * dy;
    cxx += dx * dx;
    cyy += dy * dy;
  }
  // a flat series has no correlation to scale by: what the real engine answers for it is not established
  if (cyy === 0) return unsupported("series_fit_line() of a series whose values are all equal");
  const sdx = Math.sqrt(cxx / n);
  const sdy = Math.sqrt(cyy / n);
  const slope = ((cxy / n / (sdx * sdy)) * sdy) / sdx;
  const interception = my - slope * mx;
  const line = y.map((_, i) => slope * (i + 1) + interception);
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (y[i]! - line[i]!) ** 2;
  return {
    rsquare: () => 1 - ssr / cyy,
    slope: () => slope,
    variance: () => cyy / (n - 1),
    rvariance: () => ssr / (n - 1),
    interception: () => interception,
    line_fit: () => line.map((v) => toDynamicValue(v, "real")),
  };
}

/** series_stats: the deviation and variance of a sample (over n - 1), as the corpus shows for [10, 20]. */
function stats(args: unknown[]): Record<string, () => unknown> {
  if (args.length > 1) return unsupported("series_stats() with ignore_nonfinite");
  const y = numbers("series_stats", args[0], 2);
  const n = y.length;
  // a loop, not Math.min(...y): a series of 100,000 bins would overflow the call's arguments
  let min = y[0]!;
  let max = y[0]!;
  for (const v of y) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // which index a tie gives is not established
  const indexOf = (v: number, what: string): number => (y.indexOf(v) === y.lastIndexOf(v) ? y.indexOf(v) : unsupported(`series_stats() ${what} of a series where it occurs more than once`));
  const avg = y.reduce((a, b) => a + b, 0) / n;
  const variance = y.reduce((a, b) => a + (b - avg) ** 2, 0) / (n - 1);
  return {
    min: () => min,
    min_idx: () => indexOf(min, "min_idx"),
    max: () => max,
    max_idx: () => indexOf(max, "max_idx"),
    avg: () => avg,
    stdev: () => Math.sqrt(variance),
    variance: () => variance,
  };
}

export const tupleFunctions = new Map<string, TupleFunction>([
  ["series_fit_line", fitLine],
  ["series_stats", stats],
]);

/** The column of a tuple function's result named by the tuple (`series_fit_line_y_rvariance`: `rvariance`). */
export function tupleColumnKey(fn: string, column: string): string | undefined {
  return tupleKeys[fn]?.find((k) => column === k || column.endsWith(`_${k}`));
}

const tupleKeys: Record<string, string[]> = {
  series_fit_line: ["rsquare", "slope", "variance", "rvariance", "interception", "line_fit"],
  series_stats: ["min", "min_idx", "max", "max_idx", "avg", "stdev", "variance"],
};

/**
 * tuple_column("series_fit_line", "slope", series): one column of a function's tuple. A function declaration, so that
 * functions.ts can register it whichever of the two modules is loaded first.
 */
export function tupleColumn(args: unknown[]): unknown {
  const [fn, column, ...rest] = args as [string, string, ...unknown[]];
  const f = tupleFunctions.get(fn) ?? unsupported(`${fn}()`);
  const read = tupleOf(fn, f, rest)[column] ?? unsupported(`${fn}() column ${column}`);
  return read();
}

/** Each row's series, fitted once for all the columns an `extend (a, b, ...)` reads of it (keyed by the array itself). */
const tuples = new WeakMap<object, Map<string, Record<string, () => unknown>>>();

function tupleOf(fn: string, f: TupleFunction, args: unknown[]): Record<string, () => unknown> {
  const series = args[0];
  if (args.length !== 1 || series === null || typeof series !== "object") return f(args);
  let byFunction = tuples.get(series);
  if (!byFunction) tuples.set(series, (byFunction = new Map()));
  let tuple = byFunction.get(fn);
  if (!tuple) byFunction.set(fn, (tuple = f(args)));
  return tuple;
}
