/**
 * Runbook templates: `{{ params.<name> }}`, `{{ findings.<step>.<key> }}` and `{{ incident.id }}`. A string that is exactly one
 * template takes the referenced value with its type (an array stays an array); templates inside longer text
 * are rendered as text. Nothing else is evaluated: templates are references, not code.
 */

export type TemplateRef =
  | { kind: "params"; name: string; text: string }
  | { kind: "findings"; step: string; key: string; text: string }
  | { kind: "incident"; key: "id"; text: string };

const templatePattern = /\{\{\s*([^{}]*?)\s*\}\}/g;
const wholePattern = /^\{\{\s*([^{}]*?)\s*\}\}$/;

export class TemplateError extends Error {}

function parseRef(expression: string): TemplateRef {
  const parts = expression.split(".");
  if (parts[0] === "params" && parts.length === 2 && /^[a-zA-Z][a-zA-Z0-9_]*$/.test(parts[1] ?? "")) {
    return { kind: "params", name: parts[1]!, text: expression };
  }
  if (parts[0] === "findings" && parts.length === 3 && /^[a-z][a-z0-9-]*$/.test(parts[1] ?? "") && /^[a-zA-Z][a-zA-Z0-9_]*$/.test(parts[2] ?? "")) {
    return { kind: "findings", step: parts[1]!, key: parts[2]!, text: expression };
  }
  if (expression === "incident.id") return { kind: "incident", key: "id", text: expression };
  throw new TemplateError(`"{{ ${expression} }}" is not a template azir knows: use {{ params.<name> }}, {{ findings.<step>.<key> }} or {{ incident.id }}`);
}

/** Every template reference in a value (strings, arrays and objects, deeply). Throws TemplateError on a malformed one. */
export function findReferences(value: unknown): TemplateRef[] {
  const refs: TemplateRef[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === "string") {
      for (const m of v.matchAll(templatePattern)) refs.push(parseRef(m[1] ?? ""));
    } else if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (v !== null && typeof v === "object") {
      Object.values(v).forEach(visit);
    }
  };
  visit(value);
  return refs;
}

export interface TemplateScope {
  params: Record<string, unknown>;
  /** Outputs of completed steps, by step id. */
  findings: Record<string, Record<string, unknown>>;
  /** The incident the run belongs to (names and tags evidence with its id). */
  incident?: { id: string };
}

function lookup(ref: TemplateRef, scope: TemplateScope): unknown {
  if (ref.kind === "incident") {
    if (!scope.incident) throw new TemplateError(`{{ ${ref.text} }}: no incident in this context`);
    return scope.incident.id;
  }
  if (ref.kind === "params") {
    if (!Object.hasOwn(scope.params, ref.name)) throw new TemplateError(`{{ ${ref.text} }}: no parameter "${ref.name}"`);
    return scope.params[ref.name];
  }
  // Own properties only: `{{ params.constructor }}` must not reach Object's prototype.
  const outputs = Object.hasOwn(scope.findings, ref.step) ? scope.findings[ref.step] : undefined;
  if (!outputs) throw new TemplateError(`{{ ${ref.text} }}: step "${ref.step}" has not run (add it to "after")`);
  return Object.hasOwn(outputs, ref.key) ? (outputs[ref.key] ?? null) : null;
}

function asText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (value instanceof Date) return value.toISOString();
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** Resolves every template in a value against the scope. */
export function resolveTemplates(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === "string") {
    const whole = wholePattern.exec(value);
    if (whole) return lookup(parseRef(whole[1] ?? ""), scope);
    return value.replace(templatePattern, (_, expr: string) => asText(lookup(parseRef(expr), scope)));
  }
  if (Array.isArray(value)) return value.map((v) => resolveTemplates(v, scope));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveTemplates(v, scope)]));
  }
  return value;
}

/** `when:` semantics: empty, false, 0, null, undefined and [] are false. */
export function isTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "string") return value.trim() !== "" && value !== "false" && value !== "0" && value !== "null";
  return Boolean(value);
}
