import { z } from "zod";
import type { Effect } from "../core/effects.js";
import { privilegedRoles } from "../entra/facts.js";
import { actionPermissions, graph as catalogue } from "../entra/permissions.js";
import { atOrAfter, auditUnknown, gapNotes, idListSchema, inWindow, operationsSchema, readOrGap, type ReadGap } from "./harden-window.js";
import type { ActionDefinition, ActionFinding, DecideContext, Decision, Note, ReadContext } from "./types.js";
import { displayName, optionalTimeSchema, resolveUser, userTargetSchema, type DirectoryUser } from "./user-target.js";

/** Input of `entra.removePrivilegedAssignments`. */
export const removePrivilegedAssignmentsInput = z.object({
  upn: userTargetSchema,
  incidentStart: optionalTimeSchema,
  operations: operationsSchema,
  /** The responder's decision: these assignment ids are the attacker's (when azir cannot tell which are new). */
  assignmentIds: idListSchema,
});
export type RemovePrivilegedAssignmentsInput = z.infer<typeof removePrivilegedAssignmentsInput>;

const permissions = actionPermissions["entra.removePrivilegedAssignments"];

/** A member of a privileged role, active or PIM-eligible, as Graph lists it. */
export interface RoleMember {
  id: string;
  kind: "active" | "eligible";
  principalId: string;
  principalType: string;
  principalName: string | null;
  roleDefinitionId: string;
  roleName: string;
  directoryScopeId: string;
  /** Eligibilities: when the eligibility starts (Graph's own field); active assignments carry no time in v1.0. */
  startDateTime: string | null;
}

export interface PrivilegedRolesObservation {
  user: DirectoryUser;
  upn: string;
  members: RoleMember[];
  /** Ids of the groups the user belongs to (directly or nested): a role held by one of them reaches the user. */
  userGroups: Array<{ id: string; displayName: string | null }>;
  gaps: ReadGap[];
  baseline?: { ids: string[]; capturedAt: string; covers: boolean; groupMembers?: Record<string, string[]> };
  /** The members of each group that holds a privileged role (direct members: a role-assignable group cannot nest). */
  groupMembers?: Record<string, Array<{ id: string; name: string | null }>>;
  /** Members added to groups in the window, per the directory audit (whoever added them). */
  additions?: Array<{ groupId: string; memberId: string; at: string; by: string; auditId: string }>;
}

interface AssignmentBody {
  id?: string;
  principalId?: string;
  roleDefinitionId?: string;
  directoryScopeId?: string;
  startDateTime?: string | null;
  principal?: { "@odata.type"?: string; displayName?: string | null; userPrincipalName?: string | null } | null;
}

function principalType(body: AssignmentBody): string {
  const t = body.principal?.["@odata.type"]?.replace(/^#microsoft\.graph\./, "");
  return t ?? "unknown";
}

async function readMembers(input: RemovePrivilegedAssignmentsInput, ctx: ReadContext): Promise<PrivilegedRolesObservation> {
  const user = await resolveUser(ctx, input.upn);
  const upn = displayName(user, input.upn);
  const gaps: ReadGap[] = [];
  const members: RoleMember[] = [];
  await Promise.all(
    privilegedRoles.map(async (role) => {
      const filter = `roleDefinitionId eq '${role.templateId}'`;
      const active = await readOrGap(`the active members of ${role.name}`, gaps, () => ctx.graph.list<AssignmentBody>("/roleManagement/directory/roleAssignments", { filter, expand: "principal" }));
      const eligible = await readOrGap(`the eligible members of ${role.name}`, gaps, () => ctx.graph.list<AssignmentBody>("/roleManagement/directory/roleEligibilityScheduleInstances", { filter }));
      for (const [kind, list] of [["active", active], ["eligible", eligible]] as const) {
        for (const a of list ?? []) {
          if (typeof a.id !== "string" || typeof a.principalId !== "string") continue;
          const name = a.principal?.userPrincipalName ?? a.principal?.displayName ?? null;
          members.push({ id: a.id, kind, principalId: a.principalId, principalType: principalType(a), principalName: name, roleDefinitionId: role.templateId, roleName: role.name, directoryScopeId: a.directoryScopeId ?? "/", startDateTime: a.startDateTime ?? null });
        }
      }
    }),
  );
  const groups = await readOrGap(`the groups of ${upn}`, gaps, () => ctx.graph.list<{ id?: string; displayName?: string | null }>(`/users/${encodeURIComponent(user.id)}/transitiveMemberOf/microsoft.graph.group`));
  const userGroups = (groups ?? []).filter((g): g is { id: string; displayName?: string | null } => typeof g.id === "string").map((g) => ({ id: g.id, displayName: g.displayName ?? null }));
  members.sort((a, b) => a.roleName.localeCompare(b.roleName) || a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
  // A role held by a group reaches whoever is added to it: the members of those groups, and who was added in the window.
  const groupIds = [...new Set(members.filter((m) => m.principalType === "group").map((m) => m.principalId))];
  const groupMembers: Record<string, Array<{ id: string; name: string | null }>> = {};
  await Promise.all(
    groupIds.map(async (id) => {
      const list = await readOrGap(`the members of group ${id}`, gaps, () => ctx.graph.list<{ id?: string; userPrincipalName?: string | null; displayName?: string | null }>(`/groups/${encodeURIComponent(id)}/members`, { select: ["id", "userPrincipalName", "displayName"] }));
      if (list) groupMembers[id] = list.filter((m): m is { id: string } & typeof m => typeof m.id === "string").map((m) => ({ id: m.id, name: m.userPrincipalName ?? m.displayName ?? null }));
    }),
  );
  let additions: PrivilegedRolesObservation["additions"];
  if (groupIds.length > 0 && input.incidentStart !== null) {
    const audits = await readOrGap("the group memberships added in the incident window (directory audit)", gaps, () =>
      ctx.graph.list<GroupAudit>("/auditLogs/directoryAudits", { filter: `activityDateTime ge ${input.incidentStart} and activityDisplayName eq 'Add member to group'`, top: 999 }),
    );
    if (audits) additions = audits.flatMap((a) => groupAddition(a));
  }
  const observed: PrivilegedRolesObservation = { user, upn, members, userGroups, gaps, groupMembers, ...(additions ? { additions } : {}) };
  if (ctx.baseline) {
    const recorded = Object.fromEntries(ctx.baseline.privilegedRoles.filter((m) => Array.isArray(m.groupMembers)).map((m) => [m.principalId, m.groupMembers!]));
    observed.baseline = { ids: ctx.baseline.privilegedRoles.map((m) => m.id), capturedAt: ctx.baseline.capturedAt, covers: !ctx.baseline.gaps.some((g) => g.what === "privilegedRoles"), groupMembers: recorded };
  }
  return observed;
}

/** A directoryAudit of "Add member to group" (directoryaudit.md): the group and the member among its targets. */
interface GroupAudit {
  id?: string;
  activityDateTime?: string;
  result?: string;
  initiatedBy?: { user?: { userPrincipalName?: string | null } | null; app?: { displayName?: string | null } | null } | null;
  targetResources?: Array<{ id?: string; type?: string; userPrincipalName?: string | null }>;
}

function groupAddition(a: GroupAudit): NonNullable<PrivilegedRolesObservation["additions"]> {
  if ((a.result ?? "").toLowerCase() === "failure") return [];
  const targets = a.targetResources ?? [];
  const group = targets.find((t) => (t.type ?? "").toLowerCase() === "group" && typeof t.id === "string");
  const member = targets.find((t) => t !== group && typeof t.id === "string");
  if (!group?.id || !member?.id) return [];
  return [{ groupId: group.id, memberId: member.id, at: a.activityDateTime ?? "", by: a.initiatedBy?.user?.userPrincipalName ?? a.initiatedBy?.app?.displayName ?? "unknown", auditId: a.id ?? "" }];
}

/** Why a member is new: made in the window per the audit log, an eligibility starting in the window, or absent from the baseline. */
function whyNew(m: RoleMember, input: RemovePrivilegedAssignmentsInput, observed: PrivilegedRolesObservation): string[] {
  const why: string[] = [];
  for (const op of inWindow(input.operations, ["audit.role-member-added"])) {
    const sameRole = op.roleTemplateId ? op.roleTemplateId.toLowerCase() === m.roleDefinitionId.toLowerCase() : true;
    if (sameRole && op.targetId.toLowerCase() === m.principalId.toLowerCase()) why.push(`${op.operationName.trim()} at ${op.at} by ${op.initiatedBy || "unknown"}`);
  }
  if (m.kind === "eligible" && atOrAfter(m.startDateTime, input.incidentStart)) why.push(`eligible since ${m.startDateTime}, in the incident window`);
  if (observed.baseline?.covers && !observed.baseline.ids.includes(m.id)) why.push(`not in the baseline of ${observed.baseline.capturedAt}`);
  if (input.assignmentIds.includes(m.id)) why.push("named by the responder");
  return why;
}

export function decidePrivilegedAssignments(input: RemovePrivilegedAssignmentsInput, observed: PrivilegedRolesObservation, ctx: DecideContext): Decision {
  const { upn, user } = observed;
  const notes: Note[] = [...gapNotes(observed.gaps)];
  const findings: ActionFinding[] = [];
  const effects: Effect[] = [];
  const groupNames = new Map(observed.userGroups.map((g) => [g.id.toLowerCase(), g.displayName ?? g.id]));
  const reachesUser = (m: RoleMember): string | undefined =>
    m.principalId.toLowerCase() === user.id.toLowerCase() ? "directly" : groupNames.has(m.principalId.toLowerCase()) ? `through the group ${groupNames.get(m.principalId.toLowerCase())}` : undefined;
  const unknown = auditUnknown(input.operations, input.incidentStart, ctx);
  const baselineKnown = observed.baseline?.covers === true;
  const flagged: Array<RoleMember & { why: string[] }> = [];
  for (const m of observed.members) {
    const why = whyNew(m, input, observed);
    if (why.length === 0) continue;
    flagged.push({ ...m, why });
    const reach = reachesUser(m);
    const who = m.principalName ?? m.principalId;
    const fix = m.kind === "active" ? `DELETE /roleManagement/directory/roleAssignments/${m.id}` : "POST /roleManagement/directory/roleEligibilityScheduleRequests";
    const removal = { action: "adminRemove", principalId: m.principalId, roleDefinitionId: m.roleDefinitionId, directoryScopeId: m.directoryScopeId };
    findings.push({
      code: "harden.new-privileged-assignment",
      severity: "high",
      occurredAt: input.operations?.find((o) => o.targetId.toLowerCase() === m.principalId.toLowerCase() && o.code === "audit.role-member-added")?.at ?? m.startDateTime ?? ctx.now.toISOString(),
      summary: `${m.roleName} (${m.kind}) held by ${m.principalType === "group" ? "group " : ""}${who}${reach && reach !== "directly" ? `, which reaches ${upn} ${reach}` : ""}: ${why.join("; ")}`,
      evidence: [{ id: m.id, kind: m.kind, principalId: m.principalId, principalType: m.principalType, roleDefinitionId: m.roleDefinitionId, directoryScopeId: m.directoryScopeId }],
      subject: upn,
      data: { assignmentId: m.id, kind: m.kind, role: m.roleName, principalId: m.principalId, principalType: m.principalType, ...(reach ? { reachesUser: reach } : {}), why, fix, ...(m.kind === "eligible" ? { fixBody: removal } : {}) },
    });
    if (m.kind === "active") {
      effects.push({
        kind: "graph.request",
        key: `role:${m.id}`,
        method: "DELETE",
        path: `/roleManagement/directory/roleAssignments/${encodeURIComponent(m.id)}`,
        permission: permissions.write,
        summary: `remove the ${m.roleName} assignment of ${m.principalType === "group" ? "group " : ""}${who}`,
        target: who,
      });
    } else {
      // PIM removes an eligibility through a request (rbacapplication-post-roleeligibilityschedulerequests, example 2).
      effects.push({
        kind: "graph.request",
        key: `eligibility:${m.id}`,
        method: "POST",
        path: "/roleManagement/directory/roleEligibilityScheduleRequests",
        body: { ...removal, justification: "azir harden: an eligibility new in the incident window" },
        permission: catalogue.roleEligibilityWrite,
        summary: `remove the ${m.roleName} eligibility of ${m.principalType === "group" ? "group " : ""}${who}`,
        target: who,
      });
    }
  }
  // Members added to a group that holds a privileged role (in the window, or since the baseline), unless the group's
  // role itself is being removed.
  const removedGroups = new Set(flagged.filter((f) => f.principalType === "group").map((f) => f.principalId.toLowerCase()));
  for (const [groupId, list] of Object.entries(observed.groupMembers ?? {})) {
    const roles = observed.members.filter((m) => m.principalId.toLowerCase() === groupId.toLowerCase() && !flagged.some((f) => f.id === m.id));
    if (roles.length === 0 || removedGroups.has(groupId.toLowerCase())) continue;
    const groupName = roles[0]!.principalName ?? groupId;
    const recorded = observed.baseline?.covers ? observed.baseline.groupMembers?.[groupId] : undefined;
    for (const member of list) {
      const why: string[] = [];
      const added = (observed.additions ?? []).filter((a) => a.groupId.toLowerCase() === groupId.toLowerCase() && a.memberId.toLowerCase() === member.id.toLowerCase());
      for (const a of added) why.push(`Add member to group at ${a.at} by ${a.by}`);
      if (recorded && !recorded.includes(member.id)) why.push(`not a member in the baseline of ${observed.baseline?.capturedAt}`);
      if (why.length === 0) continue;
      const who = member.name ?? member.id;
      const fix = `DELETE /groups/${groupId}/members/${member.id}/$ref`;
      findings.push({
        code: "harden.new-privileged-assignment",
        severity: "high",
        occurredAt: added[0]?.at || ctx.now.toISOString(),
        summary: `${who} added to group ${groupName}, which holds ${[...new Set(roles.map((r) => `${r.roleName} (${r.kind})`))].join(", ")}: ${why.join("; ")}`,
        evidence: [{ groupId, memberId: member.id, ...(added[0] ? { auditId: added[0].auditId } : {}) }],
        subject: upn,
        data: { kind: "membership", groupId, memberId: member.id, roles: roles.map((r) => r.roleName), why, fix, ...(member.id.toLowerCase() === user.id.toLowerCase() ? { reachesUser: `through the group ${groupName}` } : {}) },
      });
      effects.push({
        kind: "graph.request",
        key: `membership:${groupId}:${member.id}`,
        method: "DELETE",
        path: `/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(member.id)}/$ref`,
        // group-delete-members: a role-assignable group also needs the role-management write permission
        permission: `${catalogue.groupMemberWrite} + ${catalogue.roleWrite}`,
        summary: `remove ${who} from group ${groupName} (${[...new Set(roles.map((r) => r.roleName))].join(", ")})`,
        target: who,
      });
    }
  }
  const members = observed.members.map((m) => ({ id: m.id, kind: m.kind, role: m.roleName, principal: m.principalName ?? m.principalId, principalType: m.principalType, reachesUser: reachesUser(m) ?? null, flagged: flagged.some((f) => f.id === m.id) }));
  const outputs = { members, flagged: flagged.map((f) => f.id), unread: observed.gaps.map((g) => g.what) };
  // Neither the window nor a baseline can tell a new assignment from an old one: the responder decides.
  if (unknown && !baselineKnown && input.assignmentIds.length === 0) {
    const items = observed.members.filter((m) => m.kind === "active").map((m) => ({ id: m.id, label: `${m.roleName}: ${m.principalName ?? m.principalId}`, reason: reachesUser(m) ? `reaches ${upn} ${reachesUser(m)}` : "another principal" }));
    notes.push(`which privileged role assignments are new is not known (${unknown}, and no baseline was given)`);
    if (items.length > 0) {
      return { effects, notes, findings, outputs, undecided: { summary: "which privileged role assignments are the attacker's", hint: "name them with --remove-assignment <id> (repeatable), or give a baseline captured before the incident with --baseline <file>", items } };
    }
  }
  if (flagged.length === 0 && observed.gaps.length === 0 && !(unknown && !baselineKnown)) {
    notes.push(`no privileged role assignment is new since ${baselineKnown ? `the baseline of ${observed.baseline?.capturedAt}` : "the incident start"} (${observed.members.length} member(s) of ${privilegedRoles.map((r) => r.name).join(", ")} read)`);
  }
  return { effects, notes, findings, outputs };
}

/**
 * `entra.removePrivilegedAssignments`: lists the members of the privileged roles (active and PIM-eligible, users and
 * groups), flags every assignment the audit log dates in the incident window or the baseline does not hold
 * (`harden.new-privileged-assignment`), and removes them (confirmed writes): an active assignment by DELETE, an
 * eligibility by a PIM `adminRemove` request.
 */
export const removePrivilegedAssignments: ActionDefinition<RemovePrivilegedAssignmentsInput, PrivilegedRolesObservation> = {
  name: "entra.removePrivilegedAssignments",
  description: "Flag privileged role assignments (active or eligible) made in the incident window or new since the baseline, and remove them.",
  permissions: permissions.needs,
  input: removePrivilegedAssignmentsInput,
  outputs: ["members", "flagged", "unread"],
  read: readMembers,
  decide: decidePrivilegedAssignments,
  resolve: (input, chosen) => ({ ...input, assignmentIds: [...new Set([...input.assignmentIds, ...chosen])] }),
};
