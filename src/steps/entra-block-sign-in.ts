import { z } from "zod";
import { asAzirError, isPermissionError } from "./graph-errors.js";
import { adminTargetForPlan, adminTargetPreflight, explainForbidden } from "./admin-target.js";
import { displayName, resolveUser, userTargetSchema } from "./user-target.js";
import type { ActionDefinition } from "./types.js";

/** Input of `entra.blockSignIn`. */
export const blockSignInInput = z.object({ upn: userTargetSchema });
export type BlockSignInInput = z.infer<typeof blockSignInInput>;

export const blockSignInPermission = "User.EnableDisableAccount.All + User.Read.All";

/**
 * `entra.blockSignIn`: sets accountEnabled=false, so no new sign-in succeeds. Already-issued refresh tokens keep
 * working until `entra.revokeSessions`, which runs after it.
 */
export const blockSignIn: ActionDefinition<BlockSignInInput> = {
  name: "entra.blockSignIn",
  description: "Block sign-in for the user (accountEnabled = false).",
  permissions: ["User.EnableDisableAccount.All", "User.Read.All", "RoleManagement.Read.Directory"],
  input: blockSignInInput,
  outputs: ["userId", "roles"],
  preflight: adminTargetPreflight,

  async isDone(input, ctx) {
    const user = await resolveUser(ctx, input, input.upn);
    return user.accountEnabled === false ? { done: true, reason: "sign-in already blocked" } : { done: false };
  },

  async plan(input, ctx) {
    const user = await resolveUser(ctx, input, input.upn);
    const upn = displayName(user, input.upn);
    const admin = await adminTargetForPlan(input, ctx);
    return {
      writes: [
        {
          service: "graph",
          method: "PATCH",
          path: `/users/${encodeURIComponent(user.id)}`,
          body: { accountEnabled: false },
          permission: blockSignInPermission,
          summary: `block sign-in for ${upn}`,
          target: upn,
          phase: 0,
        },
      ],
      notes: admin.notes,
      outputs: { userId: user.id, roles: admin.roles },
    };
  },

  async apply(plan, input, _ctx, send) {
    const roles = rolesOf(plan.outputs);
    for (const write of plan.writes) {
      try {
        await send(write);
      } catch (error) {
        if (isPermissionError(error)) {
          throw explainForbidden(asAzirError(error, write.summary), { upn: write.target, roles, permission: write.permission, write: write.summary });
        }
        throw error;
      }
    }
    return { outputs: { userId: plan.outputs?.userId ?? input.upn, roles } };
  },
};

/** `outputs.roles` of a plan, read defensively (a resumed plan comes back from JSON). */
export function rolesOf(outputs: Record<string, unknown> | undefined): string[] {
  const roles = outputs?.roles;
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === "string") : [];
}
