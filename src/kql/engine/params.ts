/**
 * Query parameters as the runbook renderer writes them: leading `let <name> = <literal>;` statements. They are split
 * off so that the rest of the text compiles once (and is cached) whatever values are bound.
 */
import type { ScalarType } from "./types.js";
import { jsonNumberHazard, parseDateTime, parseTimespan } from "./values.js";

/** A leading parameter: its name, type, and value in plan-literal form (ticks as text, JSON for dynamic). */
export interface BoundParam {
  name: string;
  type: ScalarType;
  value: string | number | boolean | null | unknown[] | Record<string, unknown>;
}

export interface SplitQuery {
  params: BoundParam[];
  /** The query after the parameter lets (offsets shift by `offset`). */
  rest: string;
  offset: number;
}

const stringLit = /^"((?:[^"\\\r\n]|\\.)*)"\s*;/;
const timespanLit = /^(-?\d+(?:\.\d+)?(?:d|h|m|s|ms|microsecond|tick))\s*;/;
const datetimeLit = /^datetime\(\s*([^()]*?)\s*\)\s*;/;
const numberLit = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*;/;
const boolLit = /^(true|false)\s*;/;
const dynamicLit = /^dynamic\(/;

function unescape(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => (c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : c));
}

/** Finds the end of `dynamic(<json>)`, skipping strings; returns the index after `)` or -1. */
function dynamicEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      continue;
    }
    if (ch === "(") depth++;
    else if (ch === ")") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Splits leading `let name = literal;` statements from the query. Anything else ends the parameter block. */
export function splitParams(text: string): SplitQuery {
  const params: BoundParam[] = [];
  let pos = 0;
  for (;;) {
    const head = /^(?:\s|\/\/[^\n]*(?:\n|$))*let\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*/.exec(text.slice(pos));
    if (!head) break;
    const at = pos + head[0].length;
    const tail = text.slice(at);
    const name = head[1]!;
    let m: RegExpExecArray | null;
    let param: BoundParam | undefined;
    let length = 0;
    if ((m = stringLit.exec(tail))) {
      param = { name, type: "string", value: unescape(m[1]!) };
      length = m[0].length;
    } else if ((m = timespanLit.exec(tail))) {
      const t = parseTimespan(m[1]!);
      if (t !== undefined) param = { name, type: "timespan", value: String(t) };
      length = m[0].length;
    } else if ((m = datetimeLit.exec(tail))) {
      const t = parseDateTime(m[1]!);
      if (t !== undefined) param = { name, type: "datetime", value: String(t) };
      length = m[0].length;
    } else if ((m = boolLit.exec(tail))) {
      param = { name, type: "bool", value: m[1] === "true" };
      length = m[0].length;
    } else if ((m = numberLit.exec(tail))) {
      const isReal = /[.eE]/.test(m[1]!);
      const v = Number(m[1]);
      if (isReal || Number.isSafeInteger(v)) param = { name, type: isReal ? "real" : "long", value: v };
      length = m[0].length;
    } else if (dynamicLit.test(tail)) {
      const end = dynamicEnd(tail, 0);
      const after = end < 0 ? null : /^\s*;/.exec(tail.slice(end));
      if (end > 0 && after) {
        const json = tail.slice("dynamic(".length, end - 1);
        try {
          const value = JSON.parse(json) as BoundParam["value"];
          // Reals inside dynamic lose their kind in JS numbers; leave such lets to the compiler (which refuses them).
          if (!jsonNumberHazard(json)) param = { name, type: "dynamic", value };
        } catch {
          param = undefined;
        }
        length = end + after[0].length;
      }
    }
    if (!param) break;
    params.push(param);
    pos = at + length;
  }
  if (params.length === 0) return { params, rest: text, offset: 0 };
  const rest = text.slice(pos);
  const lead = /^\s*/.exec(rest)![0].length;
  return { params, rest: rest.slice(lead), offset: pos + lead };
}
