/**
 * Conversions between the engine's cells and Log Analytics' JSON: the wire table (datetimes as ISO-8601 text,
 * dynamic as JSON text, timespans as `[-][d.]hh:mm:ss[.fffffff]`) and rows given as objects keyed by column.
 */
import type { KustoType, LogsColumn } from "../../core/ports.js";
import { unsupported } from "./errors.js";
import { dynamicToJson, parseJsonText } from "./functions.js";
import type { KqlResult, KqlTable } from "./types.js";
import { TICKS_PER_MS, formatDateTimeWire, formatTimespan, parseDateTime, parseTimespan } from "./values.js";

/** Log Analytics' wire shape of one result table. */
export interface WireTable {
  name: string;
  columns: LogsColumn[];
  rows: unknown[][];
}

/** Encodes one cell for the wire. */
export function toWireCell(v: unknown, type: KustoType): unknown {
  if (v === null || v === undefined) return type === "string" ? "" : null;
  switch (type) {
    case "datetime":
      return formatDateTimeWire(v as bigint);
    case "timespan":
      return formatTimespan(v as bigint);
    case "dynamic":
      return dynamicToJson(v);
    case "real":
      return Number.isFinite(v) ? v : String(v);
    default:
      return v;
  }
}

/** The result as Log Analytics' JSON table `{name, columns, rows}`. */
export function toWireTable(result: KqlResult, name = "PrimaryResult"): WireTable {
  const types = result.columns.map((c) => c.type);
  return {
    name,
    columns: result.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: result.rows.map((r) => r.map((v, i) => toWireCell(v, types[i]!))),
  };
}

/** Decodes one cell from wire or exported JSON into the engine's representation; unreadable values become null. */
export function fromWireCell(v: unknown, type: KustoType): unknown {
  if (v === null || v === undefined) return type === "string" ? "" : null;
  switch (type) {
    case "string":
      return typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
    case "guid":
      return typeof v === "string" ? v.toLowerCase() : null;
    case "bool":
      if (typeof v === "boolean") return v;
      if (v === 1 || v === "true" || v === "True") return true;
      if (v === 0 || v === "false" || v === "False") return false;
      return null;
    case "int":
    case "long": {
      const n = typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
      if (Number.isNaN(n)) return null;
      if (!Number.isSafeInteger(n)) return unsupported("long values beyond 2^53");
      return n;
    }
    case "real": {
      if (typeof v === "number") return v;
      if (v === "NaN") return NaN;
      if (v === "Infinity") return Infinity;
      if (v === "-Infinity") return -Infinity;
      const n = typeof v === "string" ? Number(v) : NaN;
      return Number.isNaN(n) ? null : n;
    }
    case "datetime":
      if (typeof v === "string") return parseDateTime(v) ?? null;
      if (v instanceof Date) return BigInt(v.getTime()) * TICKS_PER_MS;
      if (typeof v === "bigint") return v;
      return null;
    case "timespan":
      if (typeof v === "string") return parseTimespan(v) ?? null;
      if (typeof v === "bigint") return v;
      return null;
    case "dynamic":
      return typeof v === "string" ? parseJsonText(v) : v;
    case "decimal":
      return unsupported("decimal columns");
  }
}

/** Decodes wire rows (arrays in column order) into engine cells. */
export function fromWireRows(columns: LogsColumn[], rows: unknown[][]): KqlTable {
  return { columns, rows: rows.map((r) => columns.map((c, i) => fromWireCell(r[i], c.type))) };
}

/** Builds a table from rows given as objects keyed by column name (scenario files, `az ... -o json`). */
export function fromObjectRows(columns: LogsColumn[], rows: Array<Record<string, unknown>>): KqlTable {
  return { columns, rows: rows.map((o) => columns.map((c) => fromWireCell(o[c.name], c.type))) };
}
