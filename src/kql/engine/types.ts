/**
 * The plan: what `compile` produces and `run` evaluates. Pure JSON data, so that plans of the shipped KQL files can
 * be built ahead of time and stored in `kql/plans.json`.
 *
 * Cell representation in memory (what `run` takes and returns):
 * - long, int, real: JS number (long values beyond +-2^53 are refused rather than rounded);
 * - string: JS string, never null (a missing string is "");
 * - bool: boolean;
 * - datetime: bigint, 100 ns ticks since 1970-01-01T00:00:00Z (Kusto's precision; JS milliseconds would lose it);
 * - timespan: bigint, 100 ns ticks;
 * - guid: lower-case string;
 * - dynamic: parsed JSON (null, boolean, number, string, array, plain object);
 * - a missing value of any other type: null.
 */
import type { LogsColumn } from "../../core/ports.js";

/** Kusto scalar type names as Kusto.Language spells them. */
export type ScalarType = "long" | "int" | "real" | "string" | "bool" | "datetime" | "timespan" | "dynamic" | "guid";

/** A column of a plan's intermediate or final schema. */
export interface PlanColumn {
  name: string;
  type: ScalarType;
}

/** A literal in a plan. datetime and timespan values are 100 ns ticks as decimal text (JSON has no bigint). */
export interface LiteralExpr {
  op: "lit";
  type: ScalarType;
  value: string | number | boolean | null | unknown[] | Record<string, unknown>;
}

export type Expr =
  | LiteralExpr
  /** A column of the current row, by position. */
  | { op: "col"; index: number; type: ScalarType }
  /** A query parameter bound at run time (from a leading `let name = <literal>;`). */
  | { op: "param"; name: string; type: ScalarType }
  /** Operators: `+ - * / % < <= > >= == != and or` and the string operators, by Kusto syntax kind name. */
  | { op: "binary"; kind: string; left: Expr; right: Expr; type: ScalarType }
  | { op: "unary"; kind: "minus" | "plus"; operand: Expr; type: ScalarType }
  /** `x in (...)`, `in~`, `!in`, `!in~`, `has_any`, `has_all`. */
  | { op: "set"; kind: string; left: Expr; items: Expr[]; type: "bool" }
  | { op: "between"; negated: boolean; value: Expr; low: Expr; high: Expr; type: "bool" }
  | { op: "call"; name: string; args: Expr[]; type: ScalarType }
  /** `toscalar(<tabular>)`: the first column of the first row, evaluated once per run (null when there is no row). */
  | { op: "toscalar"; plan: Tabular; type: ScalarType }
  /** The values of the first column of a tabular expression, evaluated once per run: `x in (T | project y)`. */
  | { op: "rows"; plan: Tabular; type: ScalarType }
  /** Dynamic member access `d.key` / `d["key"]` / `d[i]`. */
  | { op: "member"; target: Expr; key: Expr; type: ScalarType };

/** One aggregate of a summarize: function name, arguments, and how many output columns it fills. */
export interface Aggregate {
  fn: string;
  args: Expr[];
  /** For arg_max/arg_min: expressions of the extra output columns. */
  extra?: Expr[];
  /** Maximum list/set size for make_list/make_set. */
  limit?: number;
  /** Only rows where this is true are aggregated (make_set_if, make_list_if). */
  where?: Expr;
}

export interface SortKey {
  expr: Expr;
  desc: boolean;
  nullsFirst: boolean;
}

export type Tabular = { columns: PlanColumn[] } & (
  | { op: "table"; name: string }
  | { op: "rows"; rows: Expr[][] }
  | { op: "range"; from: Expr; to: Expr; step: Expr }
  | { op: "where"; input: Tabular; predicate: Expr }
  /** Every column-shaping operator (project, extend, project-away, project-rename, ...): one expression per output column. */
  | { op: "project"; input: Tabular; exprs: Expr[] }
  | { op: "summarize"; input: Tabular; by: Expr[]; aggregates: Aggregate[] }
  | { op: "sort"; input: Tabular; keys: SortKey[] }
  | { op: "take"; input: Tabular; count: Expr }
  | { op: "top"; input: Tabular; count: Expr; keys: SortKey[] }
  | { op: "distinct"; input: Tabular; exprs: Expr[] }
  | { op: "count"; input: Tabular }
  | {
      op: "join";
      kind: "inner" | "innerunique" | "leftouter" | "leftanti" | "leftsemi" | "rightouter" | "rightanti" | "rightsemi" | "fullouter";
      left: Tabular;
      right: Tabular;
      leftKeys: number[];
      rightKeys: number[];
      /** From `lookup`: the right side must hold each key once (the order of repeated matches is Kusto's own). */
      unique?: boolean;
      /** Output column i comes from left (side 0) or right (side 1) column index. */
      output: Array<[side: 0 | 1, index: number]>;
    }
  /** Output column i of input j: index into that input's columns, -1 for a null, <= -2 for the source name. */
  | { op: "union"; inputs: Tabular[]; mapping: number[][]; sourceNames?: string[] }
  /**
   * mv-apply: for each input row, `plan` runs with the row alone bound to the let `row`; each of its output rows gives
   * one row, each column from the subquery's column `mapping[i]` (>= 0) or the input row's column `-1 - mapping[i]`.
   */
  | { op: "mvapply"; input: Tabular; row: string; plan: Tabular; mapping: number[] }
  /** partition by a column: `plan` runs over the rows of each value of input column `key` (bound to `rows`), in turn. */
  | { op: "partition"; input: Tabular; key: number; rows: string; plan: Tabular }
  /** parse-kv: key=value pairs of `source` into typed columns appended to the input's (see lower.ts). */
  | { op: "parsekv"; input: Tabular; source: Expr; keys: Array<{ name: string; type: ScalarType }>; pair: string; kv: string; quote?: string }
  /** top-nested: per level, the `n` values of `key` with the largest (or smallest) `aggregate`, within each of the level above. */
  | { op: "topnested"; input: Tabular; levels: Array<{ n?: number; key: Expr; aggregate: Aggregate; desc: boolean }> }
  /**
   * make-series: per group of `by`, one array per aggregate over the bins [from, to) of width `step` on `axis`
   * (a missing bin holds `default`), and the bins' start values; without `from`/`to`, the data's first and last bins.
   */
  | {
      op: "makeseries";
      input: Tabular;
      by: Expr[];
      series: Array<{ aggregate: Aggregate; type: ScalarType; fallback: Expr }>;
      axis: Expr;
      from?: Expr;
      to?: Expr;
      step: Expr;
    }
  | {
      op: "mvexpand";
      input: Tabular;
      /** Input column indexes expanded together (array elements or bag properties), and the type they convert to. */
      targets: Array<{ expr: Expr; type: ScalarType }>;
      /** Output column index of each target; other output columns copy the input column of the same position. */
      outputIndexes: number[];
      /** Output column of `with_itemindex=`, when asked for. */
      itemIndex?: number;
      /** `kind=array`: a bag expands to [key, value] arrays rather than one-property bags. */
      bagAsArray?: boolean;
      /** `limit n`: at most n rows per input row. */
      limit?: number;
    }
  /**
   * `parse`: a JS regular expression built from the pattern; output column i is input column `sources[i]` when
   * that is >= 0, else capture group `-sources[i]` converted to the column's type (null or "" when the row does not match).
   */
  | { op: "parse"; input: Tabular; source: Expr; pattern: string; sources: number[]; greedyPattern?: string }
  /**
   * `scan` with one step: the input row, the declared columns at their defaults and the step's state (the declared
   * columns of the last match, `initial` before) are what `predicate` and the assignments read; a matching row is
   * output with its declared columns assigned (`index` into them) and becomes the state.
   */
  | { op: "scan"; input: Tabular; initial: Expr[]; predicate: Expr; assignments: Array<{ index: number; expr: Expr }> }
  /** A tabular `let` evaluated once and referenced by name. */
  | { op: "ref"; name: string }
);

/** A compiled query: named tabular lets, the final expression, and the parameters it expects. */
export interface KqlPlan {
  version: 1;
  params: Array<{ name: string; type: ScalarType }>;
  lets: Array<{ name: string; plan: Tabular }>;
  query: Tabular;
  /** Values of `params` bound by `compile` from the query's leading lets (plan-literal form). */
  bindings?: Record<string, LiteralExpr["value"]>;
  /** True when the result order is fixed by the query (sort, top, serialize); otherwise rows form a multiset. */
  ordered: boolean;
}

export interface KqlResult {
  columns: LogsColumn[];
  rows: unknown[][];
}

/** A table handed to `run`: rows are arrays in column order, cells in the representation above. */
export interface KqlTable {
  columns: LogsColumn[];
  rows: unknown[][];
}
