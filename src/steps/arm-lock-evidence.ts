import { z } from "zod";
import { AzirError } from "../core/errors.js";
import type { Effect } from "../core/effects.js";
import { armActionPermissions } from "../entra/permissions.js";
import type { ActionDefinition } from "./types.js";
import { lockApi, lockName, lockPath, snapshotRecordSchema } from "./vm-forensics.js";

/** Input of `arm.lockEvidence`. */
export const lockEvidenceInput = z.object({
  snapshots: z.array(snapshotRecordSchema).describe("findings.<snapshot step>.snapshots"),
  storageAccountId: z.string().min(1).describe("The forensics storage account's resource id"),
  incidentId: z.string().min(1),
});
export type LockEvidenceInput = z.infer<typeof lockEvidenceInput>;

interface ArmLock {
  id?: string;
  properties?: { level?: string; notes?: string };
}

/** Each scope to lock and the lock found on it (by azir's name for this incident). */
export type LockObservation = Array<{ scope: string; what: string; lock: ArmLock | undefined }>;

const permissions = armActionPermissions["arm.lockEvidence"];

/**
 * `arm.lockEvidence`: a CanNotDelete lock, named for the incident, on every snapshot and on the forensics storage
 * account, so that nobody deletes the evidence by mistake (or on purpose without first removing the lock, which the
 * activity log records). A lock already there is kept.
 */
export const lockEvidence: ActionDefinition<LockEvidenceInput, LockObservation> = {
  name: "arm.lockEvidence",
  description: "Put a CanNotDelete lock, named for the incident, on each snapshot and the forensics storage account.",
  permissions: permissions.needs,
  input: lockEvidenceInput,
  outputs: ["locks"],

  async read(input, ctx) {
    const scopes = [...input.snapshots.map((s) => ({ scope: s.id, what: `snapshot ${s.name}` })), { scope: input.storageAccountId, what: `storage account ${input.storageAccountId.split("/").at(-1)}` }];
    return Promise.all(scopes.map(async (s) => ({ ...s, lock: await ctx.arm.findResource<ArmLock>(lockPath(s.scope, input.incidentId)) })));
  },

  decide(input, observed) {
    const name = lockName(input.incidentId);
    const effects: Effect[] = observed
      .filter((s) => !s.lock)
      .map((s) => ({
        kind: "arm.request" as const,
        key: `lock:${s.scope}`,
        method: "PUT" as const,
        path: lockApi(lockPath(s.scope, input.incidentId)),
        body: { properties: { level: "CanNotDelete", notes: `Evidence of incident ${input.incidentId} (azir). Remove only when the investigation is closed.` } },
        permission: permissions.write,
        summary: `lock ${s.what} (CanNotDelete, ${name})`,
        target: s.scope,
      }));
    const kept = observed.filter((s) => s.lock);
    return {
      effects,
      notes: kept.map((s) => `${s.what}: lock ${name} (${s.lock?.properties?.level ?? "?"}) is there already; kept`),
      // `kept`: there already; `planned`: to be set (a dry run ends here); `set` or `failed` once sent.
      outputs: { locks: observed.map((s) => ({ scope: s.scope, lockId: lockPath(s.scope, input.incidentId), level: s.lock?.properties?.level ?? "CanNotDelete", state: s.lock ? "kept" : "planned" })) },
      ...(effects.length === 0 ? { done: `every snapshot and the storage account carry lock ${name}` } : {}),
    };
  },

  interpret(_input, _observed, decision, outcomes) {
    const failed = outcomes.filter((o) => !o.ok);
    const locks = ((decision.outputs?.locks ?? []) as Array<{ scope: string; state: string }>).map((l) => {
      const outcome = outcomes.find((o) => o.effect.target === l.scope);
      return outcome ? { ...l, state: outcome.ok ? "set" : "failed" } : l;
    });
    if (failed.length === 0) return { outputs: { locks } };
    const first = failed[0]!;
    const cause = first.ok ? undefined : first.error;
    return {
      outputs: { locks },
      error: new AzirError(cause instanceof AzirError ? cause.code : "service", `${failed.length} of ${outcomes.length} lock(s) failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
        hint: "locks need Owner or User Access Administrator on the resource; the evidence is unlocked until they are set",
      }),
    };
  },
};
