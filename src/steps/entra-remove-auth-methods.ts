import { z } from "zod";
import { AzirError } from "../core/errors.js";
import type { Effect, EffectOutcome } from "../core/effects.js";
import { actionPermissions } from "../entra/permissions.js";
import { adminNotes, explainForbidden, observeUser, type UserObservation } from "./admin-target.js";
import {
  classifyAuthMethods,
  deletionPhase,
  securityInfoRegistrationSchema,
  type AuthMethod,
  type Classification,
  type ClassifiedMethod,
} from "./auth-methods.js";
import { asAzirError, describeError, errorText, isDefaultMethodRefusal, isNotFoundError, isPermissionError } from "./graph-errors.js";
import { optionalTimeSchema, userTargetSchema } from "./user-target.js";
import type { ActionDefinition, Decision, InputGap, Interpretation } from "./types.js";

/** Input of `entra.removeAuthMethods`. */
export const removeAuthMethodsInput = z.object({
  upn: userTargetSchema,
  incidentStart: optionalTimeSchema.default(null).describe("findings.signins.incidentStart"),
  registrations: z
    .array(securityInfoRegistrationSchema)
    .nullable()
    .default([])
    .transform((r) => r ?? [])
    .describe("findings.audit.securityInfoRegistrations"),
  baseline: z
    .object({ methodIds: z.array(z.string()) })
    .nullable()
    .optional()
    .describe("The user's recorded method ids, from `azir baseline capture`."),
  methodsAfter: optionalTimeSchema.optional().describe("The responder's decision: methods created or registered at or after this time are the attacker's."),
  methodIds: z
    .preprocess((v) => (typeof v === "string" ? (v.trim() === "" ? null : v.split(",").map((id) => id.trim()).filter(Boolean)) : v), z.array(z.string()).nullable())
    .optional()
    .describe("The responder's decision: exactly these method ids (an array, or comma-separated) are the attacker's."),
});
export type RemoveAuthMethodsInput = z.infer<typeof removeAuthMethodsInput>;

const permissions = actionPermissions["entra.removeAuthMethods"];

// Method ids go into a URL path: Graph uses GUIDs and base64url strings. Anything else is reported, not used.
const methodIdPattern = /^[A-Za-z0-9._~=+\/-]{1,256}$/;

interface Observed extends UserObservation {
  methods: AuthMethod[];
}

function brief(m: ClassifiedMethod): Record<string, unknown> {
  return { id: m.id, type: m.kind, label: m.label, collection: m.collection, ...(m.phoneType ? { phoneType: m.phoneType } : {}), reason: m.reason };
}

/** The classification of what was read: pure. */
function classify(input: RemoveAuthMethodsInput, methods: AuthMethod[], incomplete: readonly InputGap[]): Classification {
  const usable = methods.filter((m) => typeof m?.id === "string" && methodIdPattern.test(m.id));
  const classification = classifyAuthMethods({
    methods: usable,
    incidentStart: input.incidentStart,
    registrations: input.registrations,
    baseline: input.baseline ?? null,
    methodsAfter: input.methodsAfter ?? null,
    methodIds: input.methodIds ?? null,
    incomplete: incomplete.map((g) => g.reason),
  });
  const odd = methods.length - usable.length;
  if (odd > 0) classification.notes.push(`left ${odd} authentication method(s) with an unusable id alone; review them by hand`);
  return classification;
}

/** Effects are keyed by method id: the outcome of a deletion names its method without reading the URL back. */
function deletion(userId: string, upn: string, m: ClassifiedMethod, all: readonly ClassifiedMethod[]): Effect {
  return {
    kind: "graph.request",
    key: m.id,
    method: "DELETE",
    path: `/users/${encodeURIComponent(userId)}/authentication/${m.collection}/${encodeURIComponent(m.id)}`,
    permission: permissions.write,
    summary: `remove ${m.label} ${m.id} from ${upn} (${m.reason})`,
    target: upn,
    phase: deletionPhase(m, all),
  };
}

/**
 * `entra.removeAuthMethods`: deletes every authentication method the attacker added (see auth-methods.ts for the
 * rules). Deletions run concurrently; one Graph refuses (the default method while others remain, the mobile phone
 * while the alternate mobile exists) is retried after all the others.
 */
export const removeAuthMethods: ActionDefinition<RemoveAuthMethodsInput, Observed> = {
  name: "entra.removeAuthMethods",
  description: "Remove the authentication methods the attacker added (by baseline, creation time or AuditLogs registration).",
  permissions: permissions.needs,
  input: removeAuthMethodsInput,
  outputs: ["userId", "roles", "removed", "kept", "undecided", "unknown"],

  async read(input, ctx) {
    const observed = await observeUser(ctx, input.upn);
    const methods = await ctx.graph.list<AuthMethod>(`/users/${encodeURIComponent(observed.user.id)}/authentication/methods`);
    return { ...observed, methods };
  },

  decide(input, observed, { incomplete }): Decision {
    const { user, upn, admin } = observed;
    const { remove, keep, undecided, unknown, notes } = classify(input, observed.methods, incomplete);
    const outputs = { userId: user.id, roles: admin.roles, removed: remove.map(brief), kept: keep.map(brief), undecided: undecided.map(brief), unknown };
    const decision: Decision = { effects: remove.map((m) => deletion(user.id, upn, m, remove)), notes: [...adminNotes(observed), ...notes], outputs };
    if (undecided.length > 0) {
      decision.undecided = {
        summary: `azir cannot tell ${undecided.length} authentication method(s) of ${upn} apart from the user's own`,
        hint: `check them with the user, then run again with --methods-after <time> (methods created or registered since then are the attacker's) or --remove-method <id> for each method that is not theirs`,
        items: undecided.map((m) => ({ ...brief(m), ...(m.createdDateTime ? { createdDateTime: m.createdDateTime } : {}), ...registrationOf(m, input) })),
      };
    } else if (remove.length === 0) {
      decision.done = "no attacker-added methods remain";
    }
    return decision;
  },

  interpret(_input, observed, decision, outcomes): Interpretation {
    // The latest outcome of each effect: a refused deletion retried last is judged by its retry.
    const latest = new Map<string, EffectOutcome>();
    for (const o of outcomes) latest.set(o.effect.key, o);
    const retried = new Set(outcomes.filter((o, i) => outcomes.findIndex((p) => p.effect.key === o.effect.key) !== i).map((o) => o.effect.key));
    const refused = [...latest.values()].filter((o) => !o.ok && !retried.has(o.effect.key) && isDefaultMethodRefusal(o.error));
    if (refused.length > 0) {
      // The default method can only go once it is the last one; alternateMobile before mobile, as planned.
      const waitsForAlternate = (e: Effect): number => Number(decision.effects.some((d) => d.key !== e.key && (d.phase ?? 0) < (e.phase ?? 0)));
      const retry = refused.map((o) => o.effect).sort((a, b) => waitsForAlternate(a) - waitsForAlternate(b));
      return { retry: retry.map((e, i) => ({ ...e, phase: i })) };
    }
    const notes = [
      ...[...retried].map((key) => `Graph refused the first attempt (default method, or mobile before alternateMobile); retried last: ${latest.get(key)!.effect.summary}`),
      ...[...latest.values()].filter((o) => !o.ok && isNotFoundError(o.error)).map((o) => `already gone: ${o.effect.summary}`),
    ];
    const removed = new Set([...latest.values()].filter((o) => o.ok || isNotFoundError(o.error)).map((o) => o.effect.key));
    const failed = [...latest.values()].filter((o): o is Extract<EffectOutcome, { ok: false }> => !o.ok && !isNotFoundError(o.error));
    const planned = plannedMethods(decision.outputs);
    if (failed.length > 0) return { error: failure(failed, retried, observed, removed.size, planned), notes };
    return { outputs: { removed: planned.filter((m) => removed.has(m.id)) }, notes };
  },
};

/** The latest security-info registration AuditLogs shows for a method's kind (and phone type): when, and from where. */
function registrationOf(m: ClassifiedMethod, input: RemoveAuthMethodsInput): Record<string, unknown> {
  const r = input.registrations
    .filter((x) => x.methodType === m.kind && (!m.phoneType || !x.phoneType || x.phoneType === m.phoneType))
    .sort((a, b) => b.at.localeCompare(a.at))[0];
  return r ? { registeredAt: r.at, registeredBy: r.initiatedBy, ...(r.ip ? { registeredFrom: r.ip } : {}) } : {};
}

interface PlannedMethod {
  id: string;
  label?: string;
  [key: string]: unknown;
}

function plannedMethods(outputs: Record<string, unknown> | undefined): PlannedMethod[] {
  const removed = outputs?.removed;
  return Array.isArray(removed) ? (removed as PlannedMethod[]) : [];
}

function nameOf(effect: Effect, planned: PlannedMethod[]): string {
  const method = planned.find((m) => m.id === effect.key);
  return `${method?.label ?? "method"} ${effect.key}`;
}

function failure(
  failed: Array<Extract<EffectOutcome, { ok: false }>>,
  retried: ReadonlySet<string>,
  observed: UserObservation,
  removedCount: number,
  planned: PlannedMethod[],
): AzirError {
  const first = failed[0]!;
  // A permission problem is the one to fix first (and has its own exit code).
  const forbidden = failed.filter((f) => isPermissionError(f.error));
  if (forbidden.length > 0) {
    return explainForbidden(asAzirError(forbidden[0]!.error, forbidden[0]!.effect.summary), {
      upn: observed.upn,
      roles: observed.admin.roles,
      permission: first.effect.permission,
      write: `remove ${forbidden.map((f) => nameOf(f.effect, planned)).join(", ")} from ${observed.upn}`,
    });
  }
  const names = failed.map((f) => nameOf(f.effect, planned));
  const twice = failed.filter((f) => retried.has(f.effect.key));
  const blockedByAlternate = twice.some((f) => /alternate ?mobile/i.test(errorText(f.error)));
  return new AzirError("service", `could not remove ${names.join(", ")} from ${observed.upn}`, {
    details: [...failed.map((f) => describeError(f.error)), `${removedCount} other method(s) were removed`],
    hint: blockedByAlternate
      ? "Graph will not delete the mobile phone while the alternate mobile phone exists, and that one was kept as the user's own: check both numbers with the user and remove the alternate mobile phone by hand if needed, then run the step again"
      : twice.length > 0
        ? "it is the user's default method and other methods remain; Graph v1.0 cannot change the default: set another default sign-in method for the user in the Entra admin center (or delete this one there), then run the step again"
        : "run the step again: methods already removed are not touched twice",
    cause: first.error,
  });
}
