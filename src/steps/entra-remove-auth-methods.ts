import { z } from "zod";
import { AzirError } from "../core/errors.js";
import type { WriteRequest } from "../core/ports.js";
import { adminTargetForPlan, adminTargetPreflight, explainForbidden } from "./admin-target.js";
import {
  classifyAuthMethods,
  deletionPhase,
  phoneMethodIds,
  securityInfoRegistrationSchema,
  type AuthMethod,
  type Classification,
  type ClassifiedMethod,
} from "./auth-methods.js";
import { rolesOf } from "./entra-block-sign-in.js";
import { asAzirError, describeError, errorText, isDefaultMethodRefusal, isNotFoundError, isPermissionError } from "./graph-errors.js";
import { displayName, optionalTimeSchema, readOnce, resolveUser, userTargetSchema } from "./user-target.js";
import type { ActionDefinition, StepContext } from "./types.js";

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
});
export type RemoveAuthMethodsInput = z.infer<typeof removeAuthMethodsInput>;

export const removeAuthMethodsPermission = "UserAuthenticationMethod.ReadWrite.All";

// Method ids go into a URL path: Graph uses GUIDs and base64url strings. Anything else is reported, not used.
const methodIdPattern = /^[A-Za-z0-9._~=+\/-]{1,256}$/;

interface MethodsState {
  userId: string;
  upn: string;
  classification: Classification;
}

function readMethods(input: RemoveAuthMethodsInput, ctx: StepContext): Promise<MethodsState> {
  return readOnce(input, "methods", async () => {
    const user = await resolveUser(ctx, input, input.upn);
    const methods = await ctx.graph.list<AuthMethod>(`/users/${encodeURIComponent(user.id)}/authentication/methods`);
    const usable = methods.filter((m) => typeof m?.id === "string" && methodIdPattern.test(m.id));
    const classification = classifyAuthMethods({
      methods: usable,
      incidentStart: input.incidentStart,
      registrations: input.registrations,
      baseline: input.baseline ?? null,
    });
    const odd = methods.length - usable.length;
    if (odd > 0) classification.notes.push(`left ${odd} authentication method(s) with an unusable id alone; review them by hand`);
    return { userId: user.id, upn: displayName(user, input.upn), classification };
  });
}

function brief(m: ClassifiedMethod): Record<string, unknown> {
  return { id: m.id, type: m.kind, label: m.label, collection: m.collection, ...(m.phoneType ? { phoneType: m.phoneType } : {}), reason: m.reason };
}

function deletion(userId: string, upn: string, m: ClassifiedMethod, all: readonly ClassifiedMethod[]): WriteRequest {
  return {
    service: "graph",
    method: "DELETE",
    path: `/users/${encodeURIComponent(userId)}/authentication/${m.collection}/${encodeURIComponent(m.id)}`,
    permission: removeAuthMethodsPermission,
    summary: `remove ${m.label} ${m.id} from ${upn} (${m.reason})`,
    target: upn,
    phase: deletionPhase(m, all),
  };
}

function isMobileWaitingForAlternate(write: WriteRequest): boolean {
  return write.path.endsWith(`/phoneMethods/${phoneMethodIds.mobile}`);
}

/**
 * `entra.removeAuthMethods`: deletes every authentication method the attacker added (see auth-methods.ts for the
 * rules). Deletions run concurrently; the default method, which Graph refuses to delete while others remain, is
 * retried after all the others.
 */
export const removeAuthMethods: ActionDefinition<RemoveAuthMethodsInput> = {
  name: "entra.removeAuthMethods",
  description: "Remove the authentication methods the attacker added (by baseline, creation time or AuditLogs registration).",
  permissions: [removeAuthMethodsPermission, "User.Read.All", "RoleManagement.Read.Directory"],
  input: removeAuthMethodsInput,
  outputs: ["userId", "roles", "removed", "kept", "unknown"],
  preflight: adminTargetPreflight,

  async isDone(input, ctx) {
    const { classification } = await readMethods(input, ctx);
    if (classification.remove.length > 0) return { done: false };
    // plan() will not run, so what needs a person's eye is noted here.
    for (const note of classification.notes) ctx.note(note);
    return { done: true, reason: "no attacker-added methods remain" };
  },

  async plan(input, ctx) {
    const { userId, upn, classification } = await readMethods(input, ctx);
    const admin = await adminTargetForPlan(input, ctx);
    const { remove, keep, unknown } = classification;
    return {
      writes: remove.map((m) => deletion(userId, upn, m, remove)),
      notes: [...admin.notes, ...classification.notes],
      outputs: { userId, roles: admin.roles, removed: remove.map(brief), kept: keep.map(brief), unknown },
    };
  },

  async apply(plan, input, _ctx, send) {
    const roles = rolesOf(plan.outputs);
    const phases = [...new Set(plan.writes.map((w) => w.phase ?? 0))].sort((a, b) => a - b);
    const done: WriteRequest[] = [];
    const deferred: WriteRequest[] = [];
    const failed: Array<{ write: WriteRequest; error: unknown }> = [];
    const notes: string[] = [];

    const attempt = async (write: WriteRequest): Promise<"ok" | "refused" | "failed"> => {
      try {
        await send(write);
        done.push(write);
        return "ok";
      } catch (error) {
        if (isNotFoundError(error)) {
          notes.push(`already gone: ${write.summary}`);
          done.push(write);
          return "ok";
        }
        if (isDefaultMethodRefusal(error)) return "refused";
        failed.push({ write, error });
        return "failed";
      }
    };

    for (const phase of phases) {
      const batch = plan.writes.filter((w) => (w.phase ?? 0) === phase);
      const outcomes = await Promise.all(batch.map(attempt));
      batch.forEach((w, i) => {
        if (outcomes[i] === "refused") deferred.push(w);
      });
    }
    // The default method can only go once it is the last one; alternateMobile before mobile, as planned.
    deferred.sort((a, b) => Number(isMobileWaitingForAlternate(a)) - Number(isMobileWaitingForAlternate(b)));
    for (const write of deferred) {
      notes.push(`Graph refused the first attempt (default method, or mobile before alternateMobile); retried last: ${write.summary}`);
      try {
        await send(write);
        done.push(write);
      } catch (error) {
        if (isNotFoundError(error)) done.push(write);
        else failed.push({ write, error });
      }
    }

    const planned = plannedMethods(plan.outputs);
    if (failed.length > 0) throw failure(failed, deferred, roles, done.length, planned);
    const removedIds = new Set(done.map(methodIdOf));
    return {
      outputs: { userId: plan.outputs?.userId ?? input.upn, roles, removed: planned.filter((m) => removedIds.has(m.id)) },
      notes,
    };
  },
};

interface PlannedMethod {
  id: string;
  label?: string;
  [key: string]: unknown;
}

/** `outputs.removed` of the plan, read defensively (a resumed plan comes back from JSON). */
function plannedMethods(outputs: Record<string, unknown> | undefined): PlannedMethod[] {
  const removed = outputs?.removed;
  if (!Array.isArray(removed)) return [];
  return removed.filter((m): m is PlannedMethod => typeof m === "object" && m !== null && typeof (m as { id?: unknown }).id === "string");
}

function methodIdOf(write: WriteRequest): string {
  return decodeURIComponent(write.path.split("/").at(-1) ?? "");
}

function nameOf(write: WriteRequest, planned: PlannedMethod[]): string {
  const id = methodIdOf(write);
  const label = planned.find((m) => m.id === id)?.label;
  return `${typeof label === "string" ? label : write.path.split("/").at(-2)} ${id}`;
}

function failure(
  failed: Array<{ write: WriteRequest; error: unknown }>,
  deferred: WriteRequest[],
  roles: string[],
  removedCount: number,
  planned: PlannedMethod[],
): AzirError {
  const first = failed[0]!;
  // A permission problem is the one to fix first (and has its own exit code).
  const forbidden = failed.filter((f) => isPermissionError(f.error));
  if (forbidden.length > 0) {
    return explainForbidden(asAzirError(forbidden[0]!.error, forbidden[0]!.write.summary), {
      upn: first.write.target,
      roles,
      permission: first.write.permission,
      write: `remove ${forbidden.map((f) => nameOf(f.write, planned)).join(", ")} from ${first.write.target}`,
    });
  }
  const names = failed.map((f) => nameOf(f.write, planned));
  const twice = failed.filter((f) => deferred.includes(f.write));
  const blockedByAlternate = twice.some((f) => /alternate ?mobile/i.test(errorText(f.error)));
  return new AzirError("service", `could not remove ${names.join(", ")} from ${first.write.target}`, {
    details: [
      ...failed.map((f) => describeError(f.error)),
      `${removedCount} other method(s) were removed`,
    ],
    hint: blockedByAlternate
      ? "Graph will not delete the mobile phone while the alternate mobile phone exists, and that one was kept as the user's own: check both numbers with the user and remove the alternate mobile phone by hand if needed, then run the step again"
      : twice.length > 0
        ? "it is the user's default method and other methods remain; Graph v1.0 cannot change the default: set another default sign-in method for the user in the Entra admin center (or delete this one there), then run the step again"
        : "run the step again: methods already removed are not touched twice",
    cause: first.error,
  });
}
