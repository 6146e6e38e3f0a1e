import { AzirError, ExitCode, isAzirError } from "../core/errors.js";
import { isGuid } from "../core/validate.js";
import { adminActorRoles, roleTemplateNames } from "../entra/facts.js";
import { graph as catalogue, groupReadPermission, roleEligibilityReadPermission, roleReadPermission } from "../entra/permissions.js";
import type { EffectOutcome } from "../core/effects.js";
import { asAzirError, isLicenceError, isPermissionError, serviceSaid } from "./graph-errors.js";
import { displayName, resolveUser, type DirectoryUser } from "./user-target.js";
import type { Note, ReadContext } from "./types.js";

/** Outcome of the admin-target check, kept for the step's plan (`outputs.roles`) and for explaining a 403. */
export interface AdminTargetCheck {
  /** The user's active directory role names, its own or through a group, sorted; empty for a regular user. */
  roles: string[];
  /** The roles of `roles` the user holds only through a group. */
  throughGroups: string[];
  /** Role-assignable groups the user is a member of: acting on their members is a sensitive action too. */
  groups: string[];
  /** PIM-eligible (not active) roles, sorted: information, they change nothing azir does. */
  eligible: string[];
  /** False when something that tells an administrator could not be read: a later 403 then has two possible causes. */
  checked: boolean;
  /** The notes recorded before any write. */
  notes: string[];
}

interface RoleAssignment {
  id?: string;
  principalId?: string;
  roleDefinitionId?: string;
  directoryScopeId?: string;
}

/** A directoryRole from a membership list; without the right to read roles only its type and id are filled in. */
interface DirectoryRoleObject {
  id?: string;
  displayName?: string | null;
  roleTemplateId?: string | null;
}

interface GroupObject {
  id?: string;
  displayName?: string | null;
  isAssignableToRole?: boolean | null;
}

interface Eligibility {
  principalId?: string;
  roleDefinitionId?: string;
}

/** A read of the admin-target check that Graph refused: what, the permission it needs, and what Graph said. */
interface Unread {
  what: string;
  needs: string;
  said: string;
  /** Graph refused it (permission or licence); otherwise the service failed or did not answer. */
  refused: boolean;
}

// Each role-assignable group costs one more read (its eligibilities); a user in more than this many is rare.
const maxGroupsRead = 10;

function listNames(names: string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

const sorted = (names: Iterable<string>): string[] => [...new Set(names)].sort((a, b) => a.localeCompare(b));

/**
 * The note for an administrator target: "alex@contoso.com holds Global Administrator: acting on an administrator
 * needs Privileged Authentication Administrator or Global Administrator". Roles held only through a group say so, and
 * membership of a role-assignable group counts too (entra-docs groups-concept.md: changing the credentials of its
 * members needs Privileged Authentication Administrator).
 */
export function adminTargetNote(upn: string, roles: string[], through: { throughGroups?: string[]; groups?: string[] } = {}): string {
  const labelled = roles.map((r) => (through.throughGroups?.includes(r) ? `${r} (through a group)` : r));
  const groups = through.groups ?? [];
  const member = groups.length > 0 ? `is a member of the role-assignable group${groups.length > 1 ? "s" : ""} ${listNames(groups)}` : "";
  if (labelled.length === 0) return `${upn} ${member}: acting on a member of a role-assignable group needs ${adminActorRoles}`;
  return `${upn} holds ${listNames(labelled)}${member ? ` and ${member}` : ""}: acting on an administrator needs ${adminActorRoles}`;
}

const tolerated: ReadonlySet<string> = new Set(["permission", "licence", "service", "throttled", "not-found"]);

/** A refusal, a licence message or a failure of the service: the check only informs the writes, which decide. */
function isTolerated(error: unknown): boolean {
  return isAzirError(error) && (tolerated.has(error.code) || isPermissionError(error) || isLicenceError(error));
}

/** Runs one read of the check; a refusal (or a failure of the service) becomes an `Unread`, never the action's failure. */
async function attempt<T>(read: () => Promise<T>, what: string, needs: string, unread: Unread[]): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    // An interrupted run or a refused token is not the check's to hide.
    if (!isTolerated(error)) throw error;
    unread.push({ what, needs, said: serviceSaid(error), refused: isPermissionError(error) || isLicenceError(error) || (isAzirError(error) && (error.code === "permission" || error.code === "licence")) });
    return undefined;
  }
}

/** Role names by role definition id: built-in names from their template ids, others from their definition. */
async function roleNames(ctx: Pick<ReadContext, "graph">, ids: Iterable<string>): Promise<Map<string, string>> {
  const unique = [...new Set(ids)].filter((id) => id !== "");
  const named = await Promise.all(
    unique.map(async (id): Promise<[string, string]> => {
      const known = roleTemplateNames[id.toLowerCase()];
      if (known) return [id, known];
      if (!isGuid(id)) return [id, id];
      try {
        const definition = await ctx.graph.find<{ displayName?: string }>(`/roleManagement/directory/roleDefinitions/${encodeURIComponent(id)}`, { select: ["id", "displayName"] });
        return [id, typeof definition?.displayName === "string" && definition.displayName !== "" ? definition.displayName : `custom role ${id}`];
      } catch (error) {
        if (!isTolerated(error)) throw error;
        return [id, `custom role ${id}`];
      }
    }),
  );
  return new Map(named);
}

function directoryRoleName(role: DirectoryRoleObject): string {
  const byTemplate = typeof role.roleTemplateId === "string" ? roleTemplateNames[role.roleTemplateId.toLowerCase()] : undefined;
  if (byTemplate) return byTemplate;
  if (typeof role.displayName === "string" && role.displayName !== "") return role.displayName;
  return `a directory role it may not name (naming it needs ${roleReadPermission})`;
}

function quoted(text: string): string {
  return `"${text.replace(/\s+$/, "")}"`;
}

/**
 * "could not check whether ... (needs X, Y): Graph refused to read A ("...") and B ("...")", or, for reads the
 * service failed rather than refused, "... could not read A (...)": a network failure is not a missing permission.
 */
function unreadNote(upn: string, subject: string, unread: Unread[], consequence: string): string {
  const needs = [...new Set(unread.map((u) => u.needs))].join(", ");
  const list = (items: Unread[]): string => items.map((u) => `${u.what} (${quoted(u.said)})`).join(" and ");
  const refused = unread.filter((u) => u.refused);
  const failed = unread.filter((u) => !u.refused);
  const why = [refused.length ? `Graph refused to read ${list(refused)}` : "", failed.length ? `could not read ${list(failed)}: the service failed, not a permission (run again)` : ""].filter(Boolean).join("; ");
  return `could not check whether ${upn} ${subject} (needs ${needs}): ${why}${consequence}`;
}

/**
 * Whether the user is an administrator target, and which PIM roles it may activate. Reads, in parallel: its own
 * active role assignments (custom and scoped roles too), the directory roles it holds transitively (through
 * role-assignable groups: a group's assignment names the group, not the user, azure-reference.md section 9), its
 * groups (a role-assignable one makes it a sensitive target even without a role), and its PIM eligibilities; then the
 * eligibilities of its role-assignable groups. Never fails on what it finds or cannot read: that is a note, and the
 * writes decide.
 */
export async function checkAdminTarget(ctx: Pick<ReadContext, "graph">, user: DirectoryUser, target: string): Promise<AdminTargetCheck> {
  if (!isGuid(user.id)) throw new AzirError("validation", `"${user.id}" is not an object id`);
  const upn = displayName(user, target);
  const id = encodeURIComponent(user.id);
  const byUser = { filter: `principalId eq '${user.id}'` };
  const unread: Unread[] = [];
  const unreadEligible: Unread[] = [];
  const [assigned, transitive, groups, eligibleOwn] = await Promise.all([
    attempt(() => ctx.graph.list<RoleAssignment>("/roleManagement/directory/roleAssignments", byUser), "its role assignments", roleReadPermission, unread),
    attempt(
      () => ctx.graph.list<DirectoryRoleObject>(`/users/${id}/transitiveMemberOf/microsoft.graph.directoryRole`, { select: ["id", "displayName", "roleTemplateId"] }),
      "the directory roles it holds through groups",
      catalogue.userRead,
      unread,
    ),
    attempt(() => ctx.graph.list<GroupObject>(`/users/${id}/transitiveMemberOf/microsoft.graph.group`, { select: ["id", "displayName", "isAssignableToRole"] }), "its groups", catalogue.userRead, unread),
    attempt(() => ctx.graph.list<Eligibility>("/roleManagement/directory/roleEligibilityScheduleInstances", byUser), "its PIM eligibilities", roleEligibilityReadPermission, unreadEligible),
  ]);

  // A group read without the right to read groups comes back with ids only: whether one is role-assignable is unknown.
  if (groups?.some((g) => typeof g.isAssignableToRole !== "boolean")) {
    unread.push({ what: "whether its groups are role-assignable", needs: groupReadPermission, said: "the groups came back without their properties (limited information)", refused: true });
  }
  const assignable = (groups ?? []).filter((g): g is GroupObject & { id: string } => g.isAssignableToRole === true && typeof g.id === "string" && isGuid(g.id));
  const groupName = (g: GroupObject): string => (typeof g.displayName === "string" && g.displayName !== "" ? g.displayName : `group ${g.id}`);
  const groupEligible = await Promise.all(
    assignable.slice(0, maxGroupsRead).map(async (g) => ({
      group: groupName(g),
      items: await attempt(
        () => ctx.graph.list<Eligibility>("/roleManagement/directory/roleEligibilityScheduleInstances", { filter: `principalId eq '${g.id}'` }),
        `the PIM eligibilities of ${groupName(g)}`,
        roleEligibilityReadPermission,
        unreadEligible,
      ),
    })),
  );

  const names = await roleNames(ctx, [
    ...(assigned ?? []).map((a) => a.roleDefinitionId ?? ""),
    ...(eligibleOwn ?? []).map((e) => e.roleDefinitionId ?? ""),
    ...groupEligible.flatMap((g) => (g.items ?? []).map((e) => e.roleDefinitionId ?? "")),
  ]);
  const nameOf = (roleId: string | undefined): string | undefined => (roleId ? names.get(roleId) : undefined);
  const direct = sorted((assigned ?? []).map((a) => nameOf(a.roleDefinitionId)).filter((n): n is string => n !== undefined));
  const reached = sorted((transitive ?? []).map(directoryRoleName));
  const roles = sorted([...direct, ...reached]);
  // Only with both lists read is "not among its own assignments" the same as "through a group".
  const throughGroups = assigned && transitive ? reached.filter((r) => !direct.includes(r)) : [];
  const eligible = sorted([
    ...(eligibleOwn ?? []).map((e) => nameOf(e.roleDefinitionId)).filter((n): n is string => n !== undefined),
    ...groupEligible.flatMap((g) => (g.items ?? []).map((e) => nameOf(e.roleDefinitionId)).filter((n): n is string => n !== undefined).map((n) => `${n} (through ${g.group})`)),
  ]);
  const groupNames = sorted(assignable.map(groupName));
  const checked = unread.length === 0;

  const notes: string[] = [];
  if (roles.length > 0 || groupNames.length > 0) notes.push(adminTargetNote(upn, roles, { throughGroups, groups: groupNames }));
  if (!checked) notes.push(unreadNote(upn, "holds a directory role", unread, `; if it does, acting on it needs ${adminActorRoles}`));
  if (eligible.length > 0) {
    notes.push(
      `${upn} is eligible for ${listNames(eligible)} in Privileged Identity Management (not active, so containment does not depend on it; whoever signs in as ${upn} could activate it): review the eligibility once the account is contained`,
    );
  }
  if (unreadEligible.length > 0) notes.push(unreadNote(upn, "is eligible for a directory role (PIM)", unreadEligible, ""));
  if (assignable.length > maxGroupsRead) notes.push(`${upn} is in ${assignable.length} role-assignable groups; the PIM eligibilities of the first ${maxGroupsRead} were read`);
  return { roles, throughGroups, groups: groupNames, eligible, checked, notes };
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

/** observeUser, with the action's own reads of the user sent beside the administrator-target reads (one Graph batch). */
export async function observeUserWith<T>(ctx: Pick<ReadContext, "graph">, target: string, more: (user: DirectoryUser) => Promise<T>): Promise<[UserObservation, T]> {
  const user = await resolveUser(ctx, target);
  const [admin, extra] = await Promise.all([checkAdminTarget(ctx, user, target), more(user)]);
  return [{ user, upn: displayName(user, target), admin }, extra];
}

/** The admin-target notes of an observation, as decision notes (said once per run however many actions say them). */
export function adminNotes(observed: UserObservation): Note[] {
  const { notes, roles, groups, eligible, checked } = observed.admin;
  return notes.map((summary) => ({ summary, data: { roles, groups, eligible, checked } }));
}

/** Context for `explainForbidden`: who was acted on, what azir knows of its roles, and what the write needed. */
export interface ForbiddenContext {
  upn: string;
  roles: string[];
  /** Role-assignable groups the user is a member of. */
  groups?: string[];
  /** The roles a role holds through a group (see AdminTargetCheck). */
  throughGroups?: string[];
  /** False when the roles could not be read (default true): a 403 is then a missing permission or a privileged target. */
  checked?: boolean;
  /** The permission the refused write declared (Effect.permission). */
  permission?: string;
  /** The refused write as a verb phrase ("block sign-in for alex@contoso.com"), e.g. Effect.summary. */
  write?: string;
}

/**
 * Turns a Graph 403 on a write against a user into a message that says what to do, Graph's own words first. For an
 * administrator target: `Graph refused to block sign-in for alex@contoso.com: "Insufficient privileges to complete the
 * operation.": alex@contoso.com holds Global Administrator: acting on an administrator needs ...`. When the roles could
 * not be read it names both causes. Anything that is not a permission 403 (a licence refusal, say) is returned
 * unchanged.
 */
export function explainForbidden(error: AzirError, context: ForbiddenContext): AzirError {
  if (!isPermissionError(error)) return error;
  const permission = context.permission ?? "the permission the action declares";
  const details = [...(context.write ? [`refused: ${context.write}`] : []), ...(isAzirError(error) ? error.details : [])];
  const refused = `${context.write ? `Graph refused to ${context.write}` : `Graph refused the write on ${context.upn}`}: ${quoted(serviceSaid(error))}`;
  const groups = context.groups ?? [];
  if (context.roles.length > 0 || groups.length > 0) {
    return new AzirError("permission", `${refused}: ${adminTargetNote(context.upn, context.roles, { throughGroups: context.throughGroups ?? [], groups })}`, {
      hint: `run as a ${adminActorRoles} (an application needs that role assigned to its service principal as well as ${permission})`,
      details,
      cause: error,
      exitCode: ExitCode.auth,
    });
  }
  if (context.checked === false) {
    return new AzirError(
      "permission",
      `${refused}: missing permission or privileged target: the identity may lack ${permission}, or ${context.upn} may hold a directory role that azir could not read (acting on an administrator needs ${adminActorRoles})`,
      {
        hint: `grant ${permission}; if ${context.upn} is an administrator, run as a ${adminActorRoles}; grant ${roleReadPermission} and ${groupReadPermission} so that azir can tell which`,
        details,
        cause: error,
        exitCode: ExitCode.auth,
      },
    );
  }
  return new AzirError("permission", `${refused}: the identity lacks ${permission}`, {
    hint: `grant ${permission} to the identity azir runs as (run \`azir doctor\` to see what it holds)`,
    details,
    cause: error,
    exitCode: ExitCode.auth,
  });
}

/** What explainForbidden needs from an admin-target check. */
export function forbiddenContextOf(admin: AdminTargetCheck): Pick<ForbiddenContext, "roles" | "groups" | "throughGroups" | "checked"> {
  return { roles: admin.roles, groups: admin.groups, throughGroups: admin.throughGroups, checked: admin.checked };
}

/** The first failed effect as the step's error: a 403 explained for the target, anything else as it came. */
export function failureOf(outcomes: readonly EffectOutcome[], admin: AdminTargetCheck): AzirError | undefined {
  const failed = outcomes.find((o) => !o.ok);
  if (!failed || failed.ok) return undefined;
  const { effect } = failed;
  const error = asAzirError(failed.error, effect.summary);
  return isPermissionError(error) ? explainForbidden(error, { upn: effect.target, ...forbiddenContextOf(admin), permission: effect.permission, write: effect.summary }) : error;
}
