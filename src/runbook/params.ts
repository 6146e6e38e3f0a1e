import { AzirError } from "../core/errors.js";
import { parseDuration, parseIsoDate } from "../core/duration.js";
import { isResourceId, isUpn } from "../core/validate.js";
import type { ParamSpec, Runbook } from "./schema.js";

/**
 * Checks and normalises run parameters before anything is called: a bad UPN, duration, date or resource id
 * is refused here, with the parameter's name.
 */
const maxDurationMs = 4383 * 86_400_000;

export function resolveParams(runbook: Runbook, given: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(runbook.params, name)) {
      throw new AzirError("usage", `runbook ${runbook.id} has no parameter "${name}"`, {
        hint: `its parameters: ${Object.keys(runbook.params).join(", ") || "none"}`,
      });
    }
  }
  for (const [name, spec] of Object.entries(runbook.params)) {
    const raw = given[name] ?? (spec.default === undefined ? undefined : String(spec.default));
    if (raw === undefined || raw === "") {
      if (spec.required) throw new AzirError("usage", `missing parameter "${name}" (${spec.type})`, { hint: `pass --param ${name}=<value>` });
      out[name] = null;
      continue;
    }
    out[name] = normalise(name, spec, raw);
  }
  return out;
}

function normalise(name: string, spec: ParamSpec, raw: string): unknown {
  const value = raw.trim();
  switch (spec.type) {
    case "upn":
      if (!isUpn(value)) {
        throw new AzirError("usage", `"${name}" is not a valid user principal name: ${JSON.stringify(value)}`, {
          hint: "expected name@domain (letters, digits and . _ - + only before the @); nothing was sent",
        });
      }
      return value.toLowerCase();
    case "duration": {
      const ms = parseDuration(value);
      if (ms === undefined || ms <= 0) throw new AzirError("usage", `"${name}" is not a duration: ${JSON.stringify(value)}`, { hint: "examples: 14d, 36h, 90m, P14D" });
      // Log Analytics keeps data for at most 12 years (4,383 days): a longer window is a typo, not a question.
      if (ms > maxDurationMs) throw new AzirError("usage", `"${name}" is longer than any workspace keeps data: ${JSON.stringify(value)}`, { hint: "at most 4383d (12 years, Log Analytics' longest retention)" });
      return value;
    }
    case "datetime": {
      const at = parseIsoDate(value);
      if (!at) throw new AzirError("usage", `"${name}" is not an ISO 8601 date-time: ${JSON.stringify(value)}`, { hint: "example: 2026-11-20T08:00:00Z" });
      return at.toISOString();
    }
    case "resourceId":
      if (!isResourceId(value)) {
        throw new AzirError("usage", `"${name}" is not an Azure resource id: ${JSON.stringify(value)}`, {
          hint: "expected /subscriptions/<guid>/resourceGroups/<rg>/providers/<Namespace>/<type>/<name>",
        });
      }
      return value;
    case "boolean":
      if (value !== "true" && value !== "false") throw new AzirError("usage", `"${name}" is not true or false: ${JSON.stringify(value)}`);
      return value === "true";
    case "string":
      if (/[\u0000-\u001f]/.test(value)) throw new AzirError("usage", `"${name}" contains control characters`);
      return value;
  }
}

/** The values of `upn` parameters that should be checked against the protected accounts. */
export function protectedCandidates(runbook: Runbook, params: Record<string, unknown>): string[] {
  return Object.entries(runbook.params)
    .filter(([, spec]) => spec.type === "upn" && spec.protected !== false)
    .map(([name]) => params[name])
    .filter((v): v is string => typeof v === "string");
}
