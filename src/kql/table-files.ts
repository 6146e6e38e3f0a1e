import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { parseDuration } from "../core/duration.js";
import { AzirError } from "../core/errors.js";
import { readUserFile } from "../core/files.js";
import type { KustoType, LogsColumn } from "../core/ports.js";
import { rowsFromCsv } from "./csv-export.js";
import { findJsonSyntaxProblem } from "./json-position.js";
import { tableSchemas } from "./tables.js";

/**
 * The one loader of table files: `<Table>.json`, as a tabletop scenario holds them and as `azir kql --data` reads
 * exports. A file is an array of row objects (what `az monitor log-analytics query -o json` prints) or a saved Log
 * Analytics response (`{tables: [{columns, rows}]}`). Columns are typed by the declared schema of the table
 * (tables.ts) first, then by the response's own column types, and only then inferred from the values.
 */
export interface JsonTable {
  /** Declared columns first, then any extra columns found in the file. */
  columns: LogsColumn[];
  /**
   * Rows positional in column order. datetimes are ISO-8601 UTC strings, dynamic cells parsed JSON values,
   * bools booleans, numbers numbers; a missing string is `""` (KQL strings are never null), other missing cells null.
   */
  rows: unknown[][];
}

export interface TableFileOptions {
  /** The start of the run: times written relative to it (`-3d4h`, `now`) are pinned at load. */
  now?: Date;
  /** Larger files are refused before reading. */
  limit?: FileSizeLimit;
}

export interface FileSizeLimit {
  bytes: number;
  /** Completes "N bytes is more than the M bytes <what> may have". */
  what: string;
  hint: string;
}

export const timeHint =
  'write an ISO-8601 date-time ("2026-11-20T08:00:00Z") or a time relative to the start of the run ("-3d4h", "-14d", "+1h", "now")';

const tableNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const isoPattern = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const kustoTypes: ReadonlySet<string> = new Set<KustoType>(["string", "datetime", "dynamic", "bool", "int", "long", "real", "decimal", "guid", "timespan"]);

/** Pins a time: ISO-8601 (UTC unless an offset is given) or relative to `now` ("-3d4h", "+1h", "now"). */
/** Whether `YYYY-MM-DD` names a day that exists (Date would read 2026-02-30 as March 2). */
export function isCalendarDate(ymd: string): boolean {
  const [y, m, d] = [Number(ymd.slice(0, 4)), Number(ymd.slice(5, 7)), Number(ymd.slice(8, 10))];
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

export function pinTime(text: string, now: Date): string | undefined {
  const t = text.trim();
  if (t === "now") return now.toISOString();
  if (t.startsWith("-") || t.startsWith("+")) {
    const ms = parseDuration(t);
    return ms === undefined ? undefined : new Date(now.getTime() + ms).toISOString();
  }
  const m = isoPattern.exec(t);
  if (!m || !isCalendarDate(m[1]!)) return undefined;
  // Sub-millisecond digits (Log Analytics writes 7) are cut, and a missing zone means UTC, as Azure writes it.
  const fraction = m[3] ? m[3].slice(0, 4) : "";
  const time = m[2] ? `T${m[2].length === 5 ? `${m[2]}:00` : m[2]}${fraction}` : "T00:00:00";
  const at = new Date(`${m[1]}${time}${m[4] ?? "Z"}`);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

/** Reads a JSON file; a syntax error names the file, line and column. */
export async function readJsonFile(file: string, limit?: FileSizeLimit): Promise<unknown> {
  const text = await readTableText(file, limit);
  try {
    return JSON.parse(text);
  } catch (error) {
    const problem = findJsonSyntaxProblem(text);
    const where = problem ? `:${problem.line}:${problem.column}` : "";
    const what = problem ? problem.message : error instanceof Error ? error.message : "not valid JSON";
    throw new AzirError("validation", `${file}${where}: not valid JSON: ${what}`, { hint: "fix the JSON syntax at that position", cause: error });
  }
}

/**
 * Loads every table file of a folder. Files whose name starts with a lower-case letter (tenant.json, expected.json)
 * are not tables and are skipped; any other `.json` file must be named after its table.
 */
export async function loadTableFolder(dir: string, options: TableFileOptions = {}): Promise<Record<string, JsonTable>> {
  const at = options.now ? { now: options.now } : {};
  const files = await readTableFiles(dir, options);
  return Object.fromEntries(files.map((f) => [f.name, tableFromJson(f.name, f.raw, { file: f.file, ...at })] as const));
}

/** One table file of a folder, read but not yet typed: parsed JSON, or a CSV export's row objects. */
export interface TableFile {
  name: string;
  file: string;
  raw: unknown;
}

/**
 * Reads the table files of a folder (see loadTableFolder). Files whose name starts with a lower-case letter are not
 * tables and are skipped; a file named like a table that azir cannot read is an error.
 */
export async function readTableFiles(dir: string, options: TableFileOptions = {}): Promise<TableFile[]> {
  const all = (await readdir(dir)).filter((f) => !f.startsWith(".") && !/^[a-z]/.test(f)).sort();
  const files = all.filter((f) => /\.(json|csv)$/i.test(f));
  // A file named like a table that azir cannot read is an error, never skipped: the table would seem empty.
  const unreadable = all.find((f) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z0-9.]+)$/.exec(f);
    if (!m || /^(json|csv)$/i.test(m[2]!)) return false;
    return m[1]! in tableSchemas || /^(tsv|txt|xlsx?|jsonl|ndjson|parquet|zip|gz|json\.gz|csv\.gz)$/i.test(m[2]!);
  });
  if (unreadable) {
    throw new AzirError("validation", `${join(dir, unreadable)}: azir reads table exports as <Table>.json or <Table>.csv, not this file`, {
      hint: 'save the table with "Export to CSV (all columns)" or as JSON, or move the file out of the folder',
    });
  }
  const byName = new Map<string, string>();
  for (const f of files) {
    const name = f.replace(/\.(json|csv)$/i, "");
    const other = byName.get(name);
    if (other) throw new AzirError("validation", `${join(dir, other)} and ${join(dir, f)}: two files for table ${name}`, { hint: "keep one export per table" });
    byName.set(name, f);
  }
  return Promise.all(
    files.map(async (f) => {
      const name = f.replace(/\.(json|csv)$/i, "");
      const file = join(dir, f);
      if (!tableNamePattern.test(name)) {
        throw new AzirError("validation", `${file}: "${name}" is not a Log Analytics table name`, { hint: "name table files after the table, e.g. SigninLogs.json" });
      }
      const raw = /\.csv$/i.test(f) ? await readCsvFile(file, name, options.limit) : await readJsonFile(file, options.limit);
      return { name, file, raw };
    }),
  );
}

/** Reads a portal CSV export of `table` as row objects (see csv-export.ts). */
async function readCsvFile(file: string, table: string, limit?: FileSizeLimit): Promise<Array<Record<string, unknown>>> {
  const declared = new Map<string, KustoType>((tableSchemas[table] ?? []).map(([n, t]) => [n, t]));
  return rowsFromCsv(await readTableText(file, limit), file, declared);
}

/** A table file's text: a regular file (never a FIFO or a device, which would hang or never end) within the limit. */
function readTableText(file: string, limit?: FileSizeLimit): Promise<string> {
  return readUserFile(file, {
    what: "table file",
    maxBytes: limit?.bytes ?? Number.MAX_SAFE_INTEGER,
    ...(limit ? { hint: limit.hint, tooLarge: (size: number) => `${file}: ${size} bytes is more than the ${limit.bytes} bytes ${limit.what} may have` } : {}),
  });
}

interface ResponseShape {
  tables: { name?: string; columns: { name: string; type: string }[]; rows: unknown[][] }[];
}

function isResponseShape(raw: unknown): raw is ResponseShape {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return false;
  const tables = (raw as { tables?: unknown }).tables;
  return Array.isArray(tables) && tables.length > 0 && tables.every((t) => t && typeof t === "object" && Array.isArray(t.columns) && Array.isArray(t.rows));
}

/** A column type as a Log Analytics response (or an SDK that re-spells it) writes it. */
function responseType(type: string): KustoType | undefined {
  const t = type.toLowerCase();
  if (t === "boolean") return "bool";
  if (t === "double") return "real";
  return kustoTypes.has(t) ? (t as KustoType) : undefined;
}

/**
 * Types and checks the rows of one table file. `file` names the file in errors, which point at the row and column
 * (`SigninLogs.json: [2].TimeGenerated: bad time "-2x"`).
 */
export function tableFromJson(name: string, raw: unknown, options: { file: string; now?: Date }): JsonTable {
  const { file, now } = options;
  const { columns, objects } = planTable(name, raw, { file });
  return { columns, rows: objects.map((row, i) => columns.map((c) => convertCell(row[c.name], c, name, () => `${file}: [${i}].${c.name}`, now))) };
}

/** A table file's row objects and the columns they are typed by. */
export interface TablePlan {
  columns: LogsColumn[];
  objects: Array<Record<string, unknown>>;
}

/**
 * The columns of a table file: the declared schema first (with `sparse`, only the declared columns some row has),
 * then the columns no schema declares, typed by a saved response's own types or inferred from the values.
 */
export function planTable(name: string, raw: unknown, options: { file: string; sparse?: boolean }): TablePlan {
  const { file } = options;
  let objects: unknown[];
  const typed = new Map<string, KustoType>();
  if (isResponseShape(raw)) {
    const first = raw.tables[0]!;
    for (const c of first.columns) {
      const t = responseType(c.type);
      if (t) typed.set(c.name, t);
    }
    objects = first.rows.map((r) => Object.fromEntries(first.columns.map((c, i) => [c.name, r[i]])));
  } else if (Array.isArray(raw)) {
    objects = raw;
  } else {
    throw new AzirError("validation", `${file}: expected an array of rows (one object per row), got ${kindOf(raw)}`, {
      hint: 'write the table as [ { "TimeGenerated": "-1d", ... }, ... ]',
    });
  }
  const declared = tableSchemas[name];
  const declaredColumns: LogsColumn[] = declared ? declared.map(([n, t]) => ({ name: n, type: t })) : [];
  const known = new Set(declaredColumns.map((c) => c.name));
  const present = new Set<string>();
  const extra: string[] = [];
  objects.forEach((row, i) => {
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new AzirError("validation", `${file}: [${i}]: expected an object (one row), got ${kindOf(row)}`, {
        hint: "each element of a table file is one row: an object keyed by column name",
      });
    }
    for (const key in row) {
      if (present.has(key)) continue;
      present.add(key);
      if (!known.has(key)) {
        known.add(key);
        extra.push(key);
      }
    }
  });
  const rows = objects as Record<string, unknown>[];
  const columns = options.sparse ? declaredColumns.filter((c) => present.has(c.name)) : declaredColumns;
  for (const col of extra) columns.push({ name: col, type: typed.get(col) ?? inferColumnType(col, rows.map((r) => r[col])) });
  return { columns, objects: rows };
}

/** The type of a column no schema declares, from its JSON values; a column of mixed kinds is dynamic. */
export function inferColumnType(column: string, cells: unknown[]): KustoType {
  const values = cells.filter((v) => v !== null && v !== undefined);
  if (values.length === 0) return "string";
  if (values.every((v) => typeof v === "boolean")) return "bool";
  if (values.every((v) => typeof v === "number")) return values.every((v) => Number.isInteger(v)) ? "long" : "real";
  if (values.every((v) => typeof v === "object")) return "dynamic";
  if (values.every((v) => typeof v === "string")) {
    const strings = values as string[];
    if (strings.every((s) => isoPattern.test(s.trim()) && /T|\s/.test(s.trim()))) return "datetime";
    // relative times and plain dates only where the column's name says it holds times
    const timeNamed = /(Time|DateTime|Date|TimeGenerated|TimeUtc)$/.test(column);
    if (timeNamed && strings.every((s) => pinTime(s, new Date(0)) !== undefined)) return "datetime";
    return "string";
  }
  return "dynamic";
}

/** One cell of a table file as the wire carries it (ISO datetimes, parsed dynamic values); errors name the row and column. */
export function convertCell(value: unknown, column: LogsColumn, table: string, where: () => string, now: Date | undefined): unknown {
  const fail = (message: string, hint?: string): never => {
    throw new AzirError("validation", `${where()}: ${message}`, { hint: hint ?? `${table}.${column.name} is a ${column.type} column` });
  };
  if (value === undefined || value === null) return column.type === "string" ? "" : null;
  switch (column.type) {
    case "string":
    case "guid":
    case "timespan":
      if (typeof value === "string") return value;
      // JSON "details" columns that Azure types as string (the non-interactive table, SecurityAlert.Entities)
      // may be written as objects; they are stored as the JSON text Azure would return.
      if (typeof value === "object") return JSON.stringify(value);
      return fail(`expected string, got ${kindOf(value)}`, `${table}.${column.name} is a string column: write it in quotes, e.g. "${String(value)}"`);
    case "datetime": {
      if (typeof value !== "string") return fail(`expected a date-time string, got ${kindOf(value)}`, timeHint);
      const relative = /^\s*([+-]|now\s*$)/.test(value);
      if (relative && !now) return fail(`${JSON.stringify(value)} is relative, and no start of the run was given to pin it to`, timeHint);
      const at = pinTime(value, now ?? new Date(0));
      return at ?? fail(`bad time ${JSON.stringify(value)}`, timeHint);
    }
    case "bool":
      if (typeof value === "boolean") return value;
      // Exports made with `az monitor log-analytics query` write booleans as "True"/"False".
      if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
      if (value === 0 || value === 1) return value === 1;
      return fail(`expected bool, got ${kindOf(value)}`);
    case "int":
    case "long":
    case "real":
    case "decimal": {
      const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
      if (!Number.isFinite(n)) return fail(`expected ${column.type}, got ${kindOf(value)}`);
      if ((column.type === "int" || column.type === "long") && !Number.isInteger(n)) return fail(`expected ${column.type} (a whole number), got ${n}`);
      return n;
    }
    case "dynamic":
      if (typeof value === "string") {
        const t = value.trim();
        // Log Analytics exports carry dynamic cells as JSON text.
        if (t.startsWith("{") || t.startsWith("[")) {
          try {
            return JSON.parse(t) as unknown;
          } catch {
            return value;
          }
        }
      }
      return value;
  }
}

/** A JSON value as an error message names it: `string "abc"`, `number 42`, `array`. */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  return typeof value;
}
