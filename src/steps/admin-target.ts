import { AzirError, ExitCode, isAzirError } from "../core/errors.js";
import { isGuid } from "../core/validate.js";
import { isPermissionError } from "./graph-errors.js";
import { displayName, hasRead, readOnce, resolveUser } from "./user-target.js";
import type { StepContext } from "./types.js";

/** Built-in directory role names by template id (azure-reference.md section 4); others are looked up. */
export const roleTemplateNames: Readonly<Record<string, string>> = {
  "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
  "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
  "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
  "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
  "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
  "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
  "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
  "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
  "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
};

/** The roles that may disable, revoke and reset the methods of any administrator. */
export const adminActorRoles = "Privileged Authentication Administrator or Global Administrator";

/** Permission needed to read role assignments in the preflight. */
export const roleReadPermission = "RoleManagement.Read.Directory";

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
export async function directoryRoles(ctx: StepContext, userId: string): Promise<string[]> {
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
 * Checks once per step whether the target holds a directory role. Never fails on what it finds: an administrator
 * target is a note; an identity that may not read roles gets a note too, and the writes decide.
 */
export function checkAdminTarget(ctx: StepContext, scope: object, target: string): Promise<AdminTargetCheck> {
  return readOnce(scope, "admin-target", async () => {
    const user = await resolveUser(ctx, scope, target);
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
  });
}

/** `preflight` of the Entra actions on a user: records the admin note before any write is made. */
export async function adminTargetPreflight(input: { upn: string }, ctx: StepContext): Promise<void> {
  const check = await checkAdminTarget(ctx, input, input.upn);
  if (check.note) ctx.note(check.note, { roles: check.roles, checked: check.checked });
}

/**
 * For `plan`: the check's roles, and its note when the preflight did not already record it (an executor that skips
 * preflight still shows the note, before the writes).
 */
export async function adminTargetForPlan(input: { upn: string }, ctx: StepContext): Promise<{ roles: string[]; notes: string[] }> {
  const alreadyNoted = hasRead(input, "admin-target");
  const check = await checkAdminTarget(ctx, input, input.upn);
  return { roles: check.roles, notes: !alreadyNoted && check.note ? [check.note] : [] };
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
