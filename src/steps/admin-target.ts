import { AzirError, ExitCode, isAzirError } from "../core/errors.js";
import { isGuid } from "../core/validate.js";
import { adminActorRoles, roleTemplateNames } from "../entra/facts.js";
import { roleReadPermission } from "../entra/permissions.js";
import type { EffectOutcome } from "../core/effects.js";
import { asAzirError, isPermissionError } from "./graph-errors.js";
import { displayName, resolveUser, type DirectoryUser } from "./user-target.js";
import type { Note, ReadContext } from "./types.js";

/** Outcome of the admin-target check, kept for the step's plan (`outputs.roles`). */
export interface AdminTargetCheck {
  /** The user's directory role names (active assignments), sorted; empty for a regular user. */
  roles: string[];
  /** False when the roles could not be read (the check is then only a note, never a failure). */
  checked: boolean;
  /** The note recorded before any write, when there is one. */
  note?: string;
}

interface RoleAssignment {
  id?: string;
  principalId?: string;
  roleDefinitionId?: string;
  directoryScopeId?: string;
}

function listNames(names: string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

/** The note for an administrator target: "alex@contoso.com holds Global Administrator: acting on ...". */
export function adminTargetNote(upn: string, roles: string[]): string {
  return `${upn} holds ${listNames(roles)}: acting on an administrator needs ${adminActorRoles}`;
}

/**
 * Names of the directory roles actively assigned to a user (any scope). Eligible (PIM) assignments are not active
 * and do not count; roles reached through a role-assignable group are not listed by principalId either.
 */
export async function directoryRoles(ctx: Pick<ReadContext, "graph">, userId: string): Promise<string[]> {
  if (!isGuid(userId)) throw new AzirError("validation", `"${userId}" is not an object id`);
  const assignments = await ctx.graph.list<RoleAssignment>("/roleManagement/directory/roleAssignments", {
    filter: `principalId eq '${userId}'`,
  });
  const ids = [...new Set(assignments.map((a) => a.roleDefinitionId).filter((id): id is string => typeof id === "string" && id !== ""))];
  const names = await Promise.all(
    ids.map(async (id) => {
      const known = roleTemplateNames[id.toLowerCase()];
      if (known) return known;
      if (!isGuid(id)) return id;
      const definition = await ctx.graph.find<{ displayName?: string }>(`/roleManagement/directory/roleDefinitions/${encodeURIComponent(id)}`, {
        select: ["id", "displayName"],
      });
      return typeof definition?.displayName === "string" && definition.displayName !== "" ? definition.displayName : `custom role ${id}`;
    }),
  );
  return [...new Set(names)].sort((a, b) => a.localeCompare(b));
}

/**
 * Whether the target holds a directory role. Never fails on what it finds: an administrator target is a note; an
 * identity that may not read roles gets a note too, and the writes decide.
 */
export async function checkAdminTarget(ctx: Pick<ReadContext, "graph">, user: DirectoryUser, target: string): Promise<AdminTargetCheck> {
  const upn = displayName(user, target);
  try {
    const roles = await directoryRoles(ctx, user.id);
    return roles.length > 0 ? { roles, checked: true, note: adminTargetNote(upn, roles) } : { roles, checked: true };
  } catch (error) {
    if (!isPermissionError(error)) throw error;
    return {
      roles: [],
      checked: false,
      note: `could not check whether ${upn} holds a directory role (needs ${roleReadPermission}); if it does, acting on it needs ${adminActorRoles}`,
    };
  }
}

/** What the Entra actions on a user read first: the user and whether it is an administrator. */
export interface UserObservation {
  user: DirectoryUser;
  /** The UPN when Graph gave one, else what the runbook passed. */
  upn: string;
  admin: AdminTargetCheck;
}

export async function observeUser(ctx: Pick<ReadContext, "graph">, target: string): Promise<UserObservation> {
  const user = await resolveUser(ctx, target);
  return { user, upn: displayName(user, target), admin: await checkAdminTarget(ctx, user, target) };
}

/** The admin-target note of an observation, as a decision note (said once per run however many actions say it). */
export function adminNotes(observed: UserObservation): Note[] {
  const { note, roles, checked } = observed.admin;
  return note ? [{ summary: note, data: { roles, checked } }] : [];
}

/** Context for `explainForbidden`: who was acted on, the roles it holds, and what the write needed. */
export interface ForbiddenContext {
  upn: string;
  roles: string[];
  /** The permission the refused write declared (WriteRequest.permission). */
  permission?: string;
  /** The refused write as a verb phrase ("block sign-in for alex@contoso.com"), e.g. WriteRequest.summary. */
  write?: string;
}

/**
 * Turns a Graph 403 on a write against a user into a message that says what to do. For an administrator target:
 * "alex@contoso.com holds Global Administrator: acting on an administrator needs Privileged Authentication
 * Administrator or Global Administrator". Anything that is not a 403 is returned unchanged.
 */
export function explainForbidden(error: AzirError, context: ForbiddenContext): AzirError {
  if (!isPermissionError(error)) return error;
  const permission = context.permission ?? "the permission the action declares";
  const details = [...(context.write ? [`refused: ${context.write}`] : []), ...(isAzirError(error) ? error.details : [])];
  if (context.roles.length > 0) {
    return new AzirError("permission", adminTargetNote(context.upn, context.roles), {
      hint: `run as a ${adminActorRoles} (an application needs that role assigned to its service principal as well as ${permission})`,
      details,
      cause: error,
      exitCode: ExitCode.auth,
    });
  }
  const refused = context.write ? `Graph refused to ${context.write}` : `Graph refused the write on ${context.upn}`;
  return new AzirError("permission", `${refused}: the identity lacks ${permission}`, {
    hint: `grant ${permission} to the identity azir runs as (run \`azir doctor\` to see what it holds)`,
    details,
    cause: error,
    exitCode: ExitCode.auth,
  });
}

/** The first failed effect as the step's error: a 403 explained for the target, anything else as it came. */
export function failureOf(outcomes: readonly EffectOutcome[], roles: string[]): AzirError | undefined {
  const failed = outcomes.find((o) => !o.ok);
  if (!failed || failed.ok) return undefined;
  const { effect } = failed;
  const error = asAzirError(failed.error, effect.summary);
  return isPermissionError(error) ? explainForbidden(error, { upn: effect.target, roles, permission: effect.permission, write: effect.summary }) : error;
}
