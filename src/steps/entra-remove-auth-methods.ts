import { z } from "zod";
import { AzirError } from "../core/errors.js";
import type { Effect, EffectOutcome } from "../core/effects.js";
import { canBeDefault, defaultMethodTypes, defaultTypeOf, knownMethodTypes, phoneTypes, registrationMethodTypes, type DefaultMethodType } from "../entra/facts.js";
import { actionPermissions } from "../entra/permissions.js";
import { adminNotes, explainForbidden, forbiddenContextOf, observeUserWith, type UserObservation } from "./admin-target.js";
import {
  classifyAuthMethods,
  deletionPhase,
  securityInfoRegistrationSchema,
  type AuthMethod,
  type Classification,
  type ClassifiedMethod,
} from "./auth-methods.js";
import { asAzirError, describeError, errorText, isAlreadyRemoved, isDefaultMethodRefusal, isNotFoundError, isPermissionError } from "./graph-errors.js";
import { optionalTimeSchema, userTargetSchema } from "./user-target.js";
import type { ActionDefinition, Decision, InputGap, Interpretation, ReadContext } from "./types.js";

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
  windowStart: optionalTimeSchema.optional().describe("findings.signins.windowReadFrom: where the scoped window begins when the sign-in history reaches before it; without an incident start, methods created before it are the user's own"),
  defaultChanges: z
    .array(
      z.looseObject({
        at: z.string(),
        defaultMethodType: z.enum(defaultMethodTypes).nullable().optional(),
        methodType: z.enum(registrationMethodTypes),
        phoneType: z.enum(phoneTypes).optional(),
        afterIncidentStart: z.boolean(),
      }),
    )
    .nullable()
    .default([])
    .transform((c) => c ?? [])
    .describe("findings.audit.defaultMethodChanges: who made which kind of method the default, and when"),
  changeDefault: z
    .preprocess((v) => (v === "" || v === null || v === undefined ? false : v === true || v === "true"), z.boolean())
    .optional()
    .describe("The responder allows moving the default sign-in method to one of the user's own (a Graph beta call) so that an attacker's default can be removed."),
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
  /** The default second factor from the registration report, or why it could not be read. */
  preferred: { type: DefaultMethodType } | { unreadable: string };
  /** The user's methods in the tenant baseline given for the run (`--baseline`), when it recorded them. */
  baselineMethodIds?: string[];
}

interface RegistrationDetails {
  userPreferredMethodForSecondaryAuthentication?: string | null;
}

function brief(m: ClassifiedMethod): Record<string, unknown> {
  return { id: m.id, type: m.kind, label: m.label, collection: m.collection, ...(m.phoneType ? { phoneType: m.phoneType } : {}), reason: m.reason };
}

/** The classification of what was read: pure. */
function classify(input: RemoveAuthMethodsInput, methods: AuthMethod[], incomplete: readonly InputGap[], baselineMethodIds?: string[]): Classification {
  const usable = methods.filter((m) => typeof m?.id === "string" && methodIdPattern.test(m.id));
  const classification = classifyAuthMethods({
    methods: usable,
    incidentStart: input.incidentStart,
    registrations: input.registrations,
    baseline: input.baseline ?? (baselineMethodIds ? { methodIds: baselineMethodIds } : null),
    methodsAfter: input.methodsAfter ?? null,
    methodIds: input.methodIds ?? null,
    windowStart: input.windowStart ?? null,
    incomplete: incomplete.map((g) => g.reason),
  });
  const odd = methods.length - usable.length;
  if (odd > 0) classification.notes.push(`left ${odd} authentication method(s) with an unusable id alone; review them by hand`);
  return classification;
}

/** Effects are keyed by method id: the outcome of a deletion names its method without reading the URL back. */
function deletion(userId: string, upn: string, m: ClassifiedMethod, all: readonly ClassifiedMethod[], after: number): Effect {
  return {
    kind: "graph.request",
    key: m.id,
    method: "DELETE",
    path: `/users/${encodeURIComponent(userId)}/authentication/${m.collection}/${encodeURIComponent(m.id)}`,
    permission: permissions.write,
    summary: `remove ${m.label} ${m.id} from ${upn} (${m.reason})`,
    target: upn,
    phase: after + deletionPhase(m, all),
  };
}

/**
 * Graph refuses to delete the user's default method while any other method (the password included) is configured,
 * whatever the order. The registration report names the default's type: when a method being removed can be the
 * default, the default must first move to one of the user's own methods (the beta signInPreferences call, only
 * when the responder asks for it), or the responder does it in the portal.
 */
interface DefaultPlan {
  /** The beta call that moves the default to one of the user's own methods, sent before the deletions. */
  change?: Effect;
  /** Removals that would be refused: not sent. */
  blocked: ClassifiedMethod[];
  notes: string[];
  undecided?: { summary: string; hint: string };
}

function planDefault(input: RemoveAuthMethodsInput, observed: Observed, remove: ClassifiedMethod[], keep: ClassifiedMethod[]): DefaultPlan {
  const { user, upn } = observed;
  if ("unreadable" in observed.preferred) {
    return {
      blocked: [],
      notes: remove.length > 0 ? [`could not read ${upn}'s default sign-in method (${observed.preferred.unreadable}); if a method being removed is the default, Graph will refuse to delete it`] : [],
    };
  }
  const type = observed.preferred.type;
  const candidates = remove.filter((m) => canBeDefault(type, m));
  if (candidates.length === 0) return { blocked: [], notes: [] };
  // The audit log may say who set the default: the latest change, made in the attacker's window, to a kind being removed.
  const latestChange = [...input.defaultChanges].sort((a, b) => b.at.localeCompare(a.at))[0];
  const setByChange = (m: ClassifiedMethod): boolean =>
    latestChange?.defaultMethodType
      ? canBeDefault(latestChange.defaultMethodType, m)
      : m.kind === latestChange?.methodType && (!latestChange.phoneType || m.phoneType === latestChange.phoneType);
  const attackerSet = latestChange?.afterIncidentStart === true ? candidates.filter(setByChange) : [];
  // Certain when no method that stays could be the one the report names, or the attacker set it.
  const certain = !keep.some((m) => canBeDefault(type, m)) || attackerSet.length === 1;
  const blockedOnes = attackerSet.length === 1 ? attackerSet : candidates;
  // The user's own method to make the default: an authenticator first, then a code, then a phone.
  const rank = (t: DefaultMethodType): number => ["push", "oath", "sms", "voiceMobile", "voiceAlternateMobile", "voiceOffice"].indexOf(t);
  const targets = keep
    .map((m) => ({ m, type: defaultTypeOf(m) }))
    .filter((t): t is { m: ClassifiedMethod; type: DefaultMethodType } => t.type !== undefined && t.type !== type)
    .sort((a, b) => rank(a.type) - rank(b.type));
  const target = targets[0];
  const names = blockedOnes.map((m) => `${m.label} ${m.id}`).join(" or ");
  const portal = `in the Entra admin center, open Users > ${upn} > Authentication methods, set the default sign-in method to ${target ? `the user's own ${target.m.label}` : "a method the user owns (register one with them first if needed)"}, then run the containment again`;
  if (input.changeDefault && target) {
    return {
      change: {
        kind: "graph.request",
        key: "default",
        version: "beta",
        method: "PATCH",
        path: `/users/${encodeURIComponent(user.id)}/authentication/signInPreferences`,
        body: { userPreferredMethodForSecondaryAuthentication: target.type },
        permission: permissions.write,
        summary: `make ${upn}'s own ${target.m.label} the default sign-in method (${target.type}), so that ${names} can be removed (Graph beta)`,
        target: upn,
      },
      blocked: [],
      notes: [],
    };
  }
  const evidence = attackerSet.length === 1 ? `the registration report says ${type}, and AuditLogs show it was made the default at ${latestChange!.at}, after the incident start` : `the registration report says ${type}`;
  const why = `${names} ${certain ? "is" : "may be"} ${upn}'s default sign-in method (${evidence}), and Graph refuses to delete the default while other methods remain`;
  const hint = target ? `run again with --change-default-method (azir moves the default to the user's own ${target.m.label} first, through Graph beta), or ${portal}` : portal;
  // A deletion sure to be refused is not sent; one that may not be the default is tried.
  return certain ? { blocked: blockedOnes, notes: [], undecided: { summary: why, hint } } : { blocked: [], notes: [`${why}: if Graph refuses, ${hint}`] };
}

/**
 * `entra.removeAuthMethods`: deletes every authentication method the attacker added (see auth-methods.ts for the
 * rules). Deletions run concurrently, alternateMobile before mobile; the default method is moved first or left for
 * the responder (see planDefault). What azir cannot tell apart from the user's own needs a decision.
 */
export const removeAuthMethods: ActionDefinition<RemoveAuthMethodsInput, Observed> = {
  name: "entra.removeAuthMethods",
  independentWrites: true,
  description: "Remove the authentication methods the attacker added (by baseline, creation time or AuditLogs registration).",
  permissions: permissions.needs,
  input: removeAuthMethodsInput,
  outputs: ["userId", "roles", "removed", "kept", "undecided", "unknown"],

  async read(input, ctx) {
    const [observed, [methods, preferred]] = await observeUserWith(ctx, input.upn, async (user) => {
      const id = encodeURIComponent(user.id);
      const methods = await ctx.graph.list<AuthMethod>(`/users/${id}/authentication/methods`);
      // The registration report is asked only when a method could be removed: its budget is 5 requests per 10 s per
      // app and tenant (throttling-limits.md, identity and access reports), which a run over many users would spend on
      // users who have nothing but a password.
      const removable = methods.some((m) => knownMethodTypes[String(m["@odata.type"])]?.deletable === true);
      return [methods, removable ? await readPreferred(ctx, id) : { unreadable: "not read: no method that could be removed" }] as const;
    });
    // A baseline captured before the incident tells the user's own methods from the attacker's by id.
    const recorded = ctx.baseline?.users.find((u) => u.id.toLowerCase() === observed.user.id.toLowerCase())?.authenticationMethods;
    return { ...observed, methods, preferred, ...(recorded ? { baselineMethodIds: recorded.map((m) => m.id) } : {}) };
  },

  decide(input, observed, { incomplete }): Decision {
    const { user, upn, admin } = observed;
    const { remove, keep, undecided, unknown, notes } = classify(input, observed.methods, incomplete, observed.baselineMethodIds);
    const plan = planDefault(input, observed, remove, keep);
    const sent = remove.filter((m) => !plan.blocked.includes(m));
    const effects = [...(plan.change ? [plan.change] : []), ...sent.map((m) => deletion(user.id, upn, m, sent, plan.change ? 1 : 0))];
    const outputs = { userId: user.id, roles: admin.roles, removed: sent.map(brief), kept: keep.map(brief), undecided: [...undecided, ...plan.blocked].map(brief), unknown };
    const decision: Decision = { effects, notes: [...adminNotes(observed), ...notes, ...plan.notes], outputs };
    const open = [
      ...(undecided.length > 0 ? [`azir cannot tell ${undecided.length} authentication method(s) of ${upn} apart from the user's own`] : []),
      ...(plan.undecided ? [plan.undecided.summary] : []),
    ];
    if (open.length > 0) {
      decision.undecided = {
        summary: open.join("; "),
        hint: [
          ...(undecided.length > 0 ? ["check them with the user, then run again with --methods-after <time> (methods created or registered since then are the attacker's) or --remove-method <id> for each method that is not theirs"] : []),
          ...(plan.undecided ? [plan.undecided.hint] : []),
        ].join("; and "),
        items: [...undecided, ...plan.blocked].map((m) => ({ ...brief(m), ...(m.createdDateTime ? { createdDateTime: m.createdDateTime } : {}), ...registrationOf(m, input) })),
      };
    } else if (effects.length === 0) {
      decision.done = "no attacker-added methods remain";
    }
    return decision;
  },

  // The responder picked the attacker's methods among the undecided ones; what was already sure goes too.
  resolve: (input, chosen) => ({ ...input, methodIds: [...chosen] }),

  interpret(_input, observed, decision, outcomes): Interpretation {
    const deletions = outcomes.filter((o) => o.effect.key !== "default");
    const notes = deletions.filter((o) => (o.ok && isAlreadyRemoved(o.value)) || (!o.ok && isNotFoundError(o.error))).map((o) => `already gone: ${o.effect.summary}`);
    const removed = new Set(deletions.filter((o) => o.ok || isNotFoundError(o.error)).map((o) => o.effect.key));
    const failed = outcomes.filter((o): o is Extract<EffectOutcome, { ok: false }> => !o.ok && !isNotFoundError(o.error));
    const planned = plannedMethods(decision.outputs);
    if (failed.length > 0) return { error: failure(failed, observed, removed.size, planned), notes };
    return { outputs: { removed: planned.filter((m) => removed.has(m.id)) }, notes };
  },
};

/** The default second factor's type from the v1.0 registration report (a report: it can lag behind a change). */
async function readPreferred(ctx: ReadContext, userId: string): Promise<Observed["preferred"]> {
  try {
    const details = await ctx.graph.find<RegistrationDetails>(`/reports/authenticationMethods/userRegistrationDetails/${userId}`);
    const type = defaultMethodTypes.find((t) => t === details?.userPreferredMethodForSecondaryAuthentication);
    return type ? { type } : { unreadable: details ? `the report names "${String(details.userPreferredMethodForSecondaryAuthentication)}"` : "the report has no entry for the user" };
  } catch (error) {
    if (isPermissionError(error) || isNotFoundError(error)) return { unreadable: describeError(error) };
    throw error;
  }
}

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
  if (effect.key === "default") return "the change of the default sign-in method";
  const method = planned.find((m) => m.id === effect.key);
  return `${method?.label ?? "method"} ${effect.key}`;
}

function failure(failed: Array<Extract<EffectOutcome, { ok: false }>>, observed: UserObservation, removedCount: number, planned: PlannedMethod[]): AzirError {
  const first = failed[0]!;
  // A permission problem is the one to fix first (and has its own exit code).
  const forbidden = failed.filter((f) => isPermissionError(f.error));
  if (forbidden.length > 0) {
    return explainForbidden(asAzirError(forbidden[0]!.error, forbidden[0]!.effect.summary), {
      upn: observed.upn,
      ...forbiddenContextOf(observed.admin),
      permission: first.effect.permission,
      write: `remove ${forbidden.map((f) => nameOf(f.effect, planned)).join(", ")} from ${observed.upn}`,
    });
  }
  const names = failed.map((f) => nameOf(f.effect, planned));
  const refused = failed.filter((f) => isDefaultMethodRefusal(f.error));
  const blockedByAlternate = refused.some((f) => /alternate ?mobile/i.test(errorText(f.error)));
  return new AzirError("service", `could not remove ${names.join(", ")} from ${observed.upn}`, {
    details: [...failed.map((f) => describeError(f.error)), `${removedCount} other method(s) were removed`],
    hint: blockedByAlternate
      ? "Graph will not delete the mobile phone while the alternate mobile phone exists, and that one was kept as the user's own: check both numbers with the user and remove the alternate mobile phone by hand if needed, then run the step again"
      : refused.length > 0
        ? `it is ${observed.upn}'s default sign-in method, and Graph refuses to delete the default while other methods remain: run again with --change-default-method, or set another default sign-in method for the user in the Entra admin center, then run the step again`
        : "run the step again: methods already removed are not touched twice",
    cause: first.error,
  });
}
