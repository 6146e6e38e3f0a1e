/**
 * Safe rendering of azir's KQL files. A file declares its parameters on one statement,
 * `declare query_parameters(upn:string, lookback:timespan);`, and azir binds each one as a typed literal in a `let`
 * statement. Values are validated and escaped here; nothing is pasted into the query text raw.
 */
import { AzirError } from "../core/errors.js";
import { parseDuration, toKqlTimespan } from "../core/duration.js";
import { isUpn } from "../core/validate.js";

export type KqlParameterType = "string" | "timespan" | "datetime" | "long" | "bool" | "dynamic";

/** One declared query parameter. */
export interface KqlParameter {
  name: string;
  type: KqlParameterType;
}

/** A KQL file split into its parameter declaration and the query that follows it. */
export interface ParsedQuery {
  parameters: KqlParameter[];
  /** The query text after the declaration (comments before the declaration are kept in `prefix`, not here). */
  body: string;
}

const parameterTypes: ReadonlySet<string> = new Set<KqlParameterType>(["string", "timespan", "datetime", "long", "bool", "dynamic"]);
const maxStringLength = 1000;
const maxDynamicLength = 20_000;
const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
// An ISO-8601 date, or date-time with an explicit zone (a zone-less time would be read as local time).
const isoDateTime = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

interface Split {
  parameters: KqlParameter[];
  /** Text before the declaration (leading comments and blank lines). */
  prefix: string;
  body: string;
}

function fail(file: string | undefined, message: string, hint: string): never {
  throw new AzirError("validation", `${file ?? "query"}: ${message}`, { hint });
}

function split(text: string, file: string | undefined): Split {
  // Skip leading blank lines and `//` comment lines: the declaration is the first statement.
  const lead = /^(?:[ \t]*(?:\/\/[^\n]*)?\r?\n)*/.exec(text);
  const prefixEnd = lead ? lead[0].length : 0;
  const rest = text.slice(prefixEnd);
  const decl = /^[ \t]*declare[ \t]+query_parameters[ \t]*\(([^)]*)\)[ \t]*;[ \t]*(?:\r?\n|$)/.exec(rest);
  if (!decl) {
    if (/\bdeclare\s+query_parameters\b/.test(text))
      fail(file, "the `declare query_parameters(...)` statement must be the first statement, on one line, ending with `;`", "Move the declaration to the top of the file, after the comment lines.");
    return { parameters: [], prefix: "", body: text };
  }
  const parameters: KqlParameter[] = [];
  const list = (decl[1] ?? "").trim();
  for (const item of list === "" ? [] : list.split(",")) {
    const m = /^\s*([^\s:]+)\s*:\s*([A-Za-z]+)\s*$/.exec(item);
    if (!m) {
      fail(file, `cannot read the parameter declaration \`${item.trim()}\``, "Declare parameters as `name:type` (no default values: defaults belong in the runbook's params).");
    }
    const name = m[1]!;
    const type = m[2]!;
    if (!identifier.test(name)) fail(file, `parameter name \`${name}\` is not a plain identifier`, "Use letters, digits and underscores.");
    if (!parameterTypes.has(type))
      fail(file, `parameter \`${name}\` has unsupported type \`${type}\``, "Use one of string, timespan, datetime, long, bool, dynamic.");
    if (parameters.some((p) => p.name === name)) fail(file, `parameter \`${name}\` is declared twice`, "Declare each parameter once.");
    parameters.push({ name, type: type as KqlParameterType });
  }
  const body = rest.slice(decl[0].length);
  if (/\bdeclare\s+query_parameters\b/.test(body)) fail(file, "more than one `declare query_parameters` statement", "Declare all parameters in one statement.");
  return { parameters, prefix: text.slice(0, prefixEnd), body };
}

/** Splits a KQL file into its declared parameters and the query body. Throws AzirError `validation` on a bad declaration. */
export function parseQueryFile(text: string, file?: string): ParsedQuery {
  const { parameters, body } = split(text, file);
  return { parameters, body };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a Date";
  return `a ${typeof value}`;
}

// Control characters other than tab, newline and carriage return, and unpaired UTF-16 surrogates.
const forbiddenChars = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a value does not fit its parameter; turned into an AzirError naming the parameter and the file. */
class InvalidValue extends Error {}

function checkText(value: string, where: () => string): void {
  if (value.length > maxStringLength) throw new InvalidValue(`${where()} is longer than ${maxStringLength} characters`);
  if (forbiddenChars.test(value)) throw new InvalidValue(`${where()} contains a control character or an unpaired surrogate`);
}

/** A KQL double-quoted string literal whose decoded value is exactly `value`. */
export function kqlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    switch (ch) {
      case "\\":
        out += "\\\\";
        break;
      case '"':
        out += '\\"';
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\t":
        out += "\\t";
        break;
      default:
        out += ch;
    }
  }
  return out + '"';
}

function checkDynamic(value: unknown, path: string, depth: number): void {
  if (depth > 20) throw new InvalidValue(`${path} is nested too deeply`);
  if (value === null || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new InvalidValue(`${path} is not a finite number`);
    return;
  }
  if (typeof value === "string") return checkText(value, () => path);
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkDynamic(v, `${path}[${i}]`, depth + 1));
    return;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      checkText(k, () => `${path} key`);
      checkDynamic(v, `${path}.${k}`, depth + 1);
    }
    return;
  }
  throw new InvalidValue(`${path} is ${describe(value)}, not a plain JSON value`);
}

/** Renders one value as a KQL literal of the declared type; throws InvalidValue when the value does not fit. */
function literal(parameter: KqlParameter, value: unknown): string {
  const { name, type } = parameter;
  switch (type) {
    case "string": {
      if (typeof value !== "string") throw new InvalidValue(`expects a string, got ${describe(value)}`);
      checkText(value, () => "the value");
      if (/^upn$|Upn$/.test(name) && !isUpn(value)) throw new InvalidValue("is not a valid user principal name (name@domain)");
      return kqlString(value);
    }
    case "timespan": {
      let ms: number | undefined;
      if (typeof value === "number") ms = value;
      else if (typeof value === "string") ms = parseDuration(value);
      else throw new InvalidValue(`expects a duration (milliseconds or text such as 14d), got ${describe(value)}`);
      if (ms === undefined || !Number.isFinite(ms) || !Number.isInteger(ms) || !Number.isSafeInteger(ms))
        throw new InvalidValue("is not a duration in whole milliseconds (for example 14d, 90m, 1209600000)");
      return toKqlTimespan(ms);
    }
    case "datetime": {
      let at: Date;
      if (value instanceof Date) at = value;
      else if (typeof value === "string") {
        if (!isoDateTime.test(value)) throw new InvalidValue("is not an ISO-8601 date-time with a zone (for example 2026-11-20T08:00:00Z)");
        at = new Date(value);
        // Date rolls 30 February over into March: check the calendar date as written.
        const [y, m, d] = value.slice(0, 10).split("-").map(Number) as [number, number, number];
        if (m < 1 || m > 12 || d < 1 || d > new Date(Date.UTC(y, m, 0)).getUTCDate()) throw new InvalidValue("is not a valid calendar date");
      } else throw new InvalidValue(`expects a date-time, got ${describe(value)}`);
      if (Number.isNaN(at.getTime())) throw new InvalidValue("is not a valid date-time");
      return `datetime(${at.toISOString()})`;
    }
    case "long": {
      if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new InvalidValue(`expects a whole number, got ${describe(value)}`);
      return String(value);
    }
    case "bool": {
      if (typeof value !== "boolean") throw new InvalidValue(`expects true or false, got ${describe(value)}`);
      return value ? "true" : "false";
    }
    case "dynamic": {
      if (value === null || typeof value !== "object" || value instanceof Date) throw new InvalidValue(`expects an array or object, got ${describe(value)}`);
      checkDynamic(value, "the value", 0);
      const json = JSON.stringify(value);
      if (json.length > maxDynamicLength) throw new InvalidValue(`is longer than ${maxDynamicLength} characters as JSON`);
      return `dynamic(${json})`;
    }
  }
}

/**
 * Binds `values` to the parameters `text` declares and returns the query with the declaration replaced by one
 * `let` statement per parameter. Missing, extra or ill-typed values throw AzirError `validation` naming the
 * parameter (and `file`); a parameter named `upn` must be a valid UPN.
 */
export function renderQuery(text: string, values: Record<string, unknown>, file?: string): string {
  const { parameters, prefix, body } = split(text, file);
  const declared = new Set(parameters.map((p) => p.name));
  for (const key of Object.keys(values)) {
    if (!declared.has(key))
      fail(file, `value given for \`${key}\`, which the query does not declare`, `Declared parameters: ${[...declared].join(", ") || "none"}.`);
  }
  const lets: string[] = [];
  for (const p of parameters) {
    if (!Object.prototype.hasOwnProperty.call(values, p.name) || values[p.name] === undefined)
      fail(file, `no value for parameter \`${p.name}\` (${p.type})`, `Pass \`${p.name}\` from the runbook's params or the step's with: block.`);
    let rendered: string;
    try {
      rendered = literal(p, values[p.name]);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      fail(file, `parameter \`${p.name}\` (${p.type}) ${error.message}`, `Give \`${p.name}\` a valid ${p.type} value.`);
    }
    lets.push(`let ${p.name} = ${rendered};\n`);
  }
  return prefix + lets.join("") + body;
}

/**
 * Identifiers the query body uses, outside comments and string literals (for the check that every declared
 * parameter is used). Over-approximates: column names and functions are included too.
 */
export function identifiersIn(body: string): Set<string> {
  const names = new Set<string>();
  let i = 0;
  while (i < body.length) {
    const ch = body[i]!;
    if (ch === "/" && body[i + 1] === "/") {
      while (i < body.length && body[i] !== "\n") i++;
    } else if (ch === '"' || ch === "'") {
      i++;
      while (i < body.length && body[i] !== ch) i += body[i] === "\\" ? 2 : 1;
      i++;
    } else if (ch === "@" && (body[i + 1] === '"' || body[i + 1] === "'")) {
      const q = body[i + 1];
      i += 2;
      while (i < body.length && body[i] !== q) i++;
      i++;
    } else if (/[A-Za-z_]/.test(ch)) {
      const start = i;
      while (i < body.length && /[A-Za-z0-9_]/.test(body[i]!)) i++;
      // A member name after a dot (`InitiatedBy.user`) is not a reference to a parameter.
      if (body[start - 1] !== ".") names.add(body.slice(start, i));
    } else i++;
  }
  return names;
}
