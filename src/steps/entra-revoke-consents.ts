import { z } from "zod";
import type { Effect } from "../core/effects.js";
import { isGuid } from "../core/validate.js";
import { actionPermissions, graph as catalogue } from "../entra/permissions.js";
import { atOrAfter, auditUnknown, gapNotes, idListSchema, inWindow, operationsSchema, readOrGap, type ReadGap } from "./harden-window.js";
import type { ActionDefinition, ActionFinding, DecideContext, Decision, Note, ReadContext } from "./types.js";
import { displayName, optionalTimeSchema, resolveUser, userTargetSchema, type DirectoryUser } from "./user-target.js";

/** Input of `entra.revokeConsents`. */
export const revokeConsentsInput = z.object({
  upn: userTargetSchema,
  incidentStart: optionalTimeSchema,
  operations: operationsSchema,
  /** The responder's decision: these grant or app role assignment ids are the attacker's. */
  consentIds: idListSchema,
});
export type RevokeConsentsInput = z.infer<typeof revokeConsentsInput>;

const permissions = actionPermissions["entra.revokeConsents"];

export interface PermissionGrant {
  id: string;
  clientId: string;
  consentType: string;
  principalId: string | null;
  resourceId: string;
  scope: string;
}

export interface AppRoleAssignment {
  id: string;
  principalId: string;
  principalType?: string | null;
  resourceId: string;
  resourceDisplayName?: string | null;
  appRoleId: string;
  createdDateTime?: string | null;
}

export interface ConsentsObservation {
  user: DirectoryUser;
  upn: string;
  grants: PermissionGrant[];
  appRoleAssignments: AppRoleAssignment[];
  /** Display names of the client service principals, by object id. */
  clients: Record<string, string>;
  gaps: ReadGap[];
}

const consentCodes = ["audit.consent-non-admin", "audit.consent-admin"];

async function readConsents(input: RevokeConsentsInput, ctx: ReadContext): Promise<ConsentsObservation> {
  const user = await resolveUser(ctx, input.upn);
  const upn = displayName(user, input.upn);
  const gaps: ReadGap[] = [];
  const own = await readOrGap(`the delegated grants of ${upn}`, gaps, () => ctx.graph.list<PermissionGrant>("/oauth2PermissionGrants", { filter: `principalId eq '${user.id}'` }));
  // A consent the user gave on behalf of all users (an admin consent) is a grant without a principal: read those of the apps consented to.
  const consented = [...new Set((input.operations ?? []).filter((o) => consentCodes.includes(o.code)).map((o) => o.targetId).filter(isGuid))];
  const tenantWide = await Promise.all(
    consented.map((clientId) => readOrGap(`the grants of client ${clientId}`, gaps, () => ctx.graph.list<PermissionGrant>("/oauth2PermissionGrants", { filter: `clientId eq '${clientId}'` }))),
  );
  const grants = new Map<string, PermissionGrant>();
  for (const g of [...(own ?? []), ...tenantWide.flatMap((l) => l ?? [])]) if (typeof g.id === "string") grants.set(g.id, g);
  const roles = await readOrGap(`the app role assignments of ${upn}`, gaps, () => ctx.graph.list<AppRoleAssignment>(`/users/${encodeURIComponent(user.id)}/appRoleAssignments`));
  const clients: Record<string, string> = {};
  await Promise.all(
    [...new Set([...grants.values()].map((g) => g.clientId))].filter(isGuid).map(async (id) => {
      const sp = await readOrGap(`service principal ${id}`, gaps, () => ctx.graph.find<{ displayName?: string }>(`/servicePrincipals/${encodeURIComponent(id)}`, { select: ["id", "displayName", "appId"] }));
      if (typeof sp?.displayName === "string") clients[id] = sp.displayName;
    }),
  );
  const sorted = [...grants.values()].sort((a, b) => a.id.localeCompare(b.id));
  return { user, upn, grants: sorted, appRoleAssignments: (roles ?? []).filter((r) => r.principalId?.toLowerCase() === user.id.toLowerCase()), clients, gaps };
}

export function decideConsents(input: RevokeConsentsInput, observed: ConsentsObservation, ctx: DecideContext): Decision {
  const { upn, user } = observed;
  const notes: Note[] = [...gapNotes(observed.gaps)];
  const findings: ActionFinding[] = [];
  const effects: Effect[] = [];
  const unknown = auditUnknown(input.operations, input.incidentStart, ctx);
  const consentOps = inWindow(input.operations, consentCodes);
  const client = (id: string): string => observed.clients[id] ?? id;
  const grantsInWindow = observed.grants.filter((g) => consentOps.some((o) => o.targetId.toLowerCase() === g.clientId.toLowerCase()) || input.consentIds.includes(g.id));
  for (const g of grantsInWindow) {
    const op = consentOps.find((o) => o.targetId.toLowerCase() === g.clientId.toLowerCase());
    findings.push({
      code: "harden.consent-in-window",
      severity: "high",
      occurredAt: op?.at ?? ctx.now.toISOString(),
      summary: `delegated consent to ${client(g.clientId)} (${g.consentType === "AllPrincipals" ? "for all users" : `for ${upn}`}): scopes ${g.scope.trim()}${op ? `, given at ${op.at} by ${op.initiatedBy || "unknown"}` : ", named by the responder"}`,
      evidence: [{ id: g.id, clientId: g.clientId, consentType: g.consentType, principalId: g.principalId, resourceId: g.resourceId, scope: g.scope, ...(op ? { auditId: op.id } : {}) }],
      subject: upn,
      data: { grantId: g.id, clientId: g.clientId, client: client(g.clientId), scope: g.scope.trim(), consentType: g.consentType, fix: `DELETE /oauth2PermissionGrants/${g.id}` },
    });
    effects.push({
      kind: "graph.request",
      key: `grant:${g.id}`,
      method: "DELETE",
      path: `/oauth2PermissionGrants/${encodeURIComponent(g.id)}`,
      permission: permissions.write,
      summary: `revoke the consent to ${client(g.clientId)} (${g.scope.trim()})`,
      target: client(g.clientId),
    });
  }
  const rolesInWindow = observed.appRoleAssignments.filter((a) => atOrAfter(a.createdDateTime, input.incidentStart) || input.consentIds.includes(a.id));
  for (const a of rolesInWindow) {
    findings.push({
      code: "harden.consent-in-window",
      severity: "high",
      occurredAt: a.createdDateTime ?? ctx.now.toISOString(),
      // The all-zero id is the default access role of an app without app roles (approleassignment.md).
      summary: `${/^0{8}-(0{4}-){3}0{12}$/.test(a.appRoleId) ? "default access" : `app role ${a.appRoleId}`} to ${a.resourceDisplayName ?? a.resourceId} assigned to ${upn}${a.createdDateTime ? ` at ${a.createdDateTime}` : ""}, in the incident window`,
      evidence: [{ ...a }],
      subject: upn,
      data: { appRoleAssignmentId: a.id, resourceId: a.resourceId, appRoleId: a.appRoleId, fix: `DELETE /users/${user.id}/appRoleAssignments/${a.id}` },
    });
    effects.push({
      kind: "graph.request",
      key: `approle:${a.id}`,
      method: "DELETE",
      path: `/users/${encodeURIComponent(user.id)}/appRoleAssignments/${encodeURIComponent(a.id)}`,
      permission: catalogue.appRoleAssignmentWrite,
      summary: `remove the app role assignment of ${upn} to ${a.resourceDisplayName ?? a.resourceId}`,
      target: upn,
    });
  }
  const others = observed.grants.filter((g) => !grantsInWindow.includes(g));
  const outputs = {
    grants: observed.grants.map((g) => ({ id: g.id, client: client(g.clientId), consentType: g.consentType, scope: g.scope.trim(), inWindow: grantsInWindow.includes(g) })),
    appRoleAssignments: observed.appRoleAssignments.map((a) => ({ id: a.id, resource: a.resourceDisplayName ?? a.resourceId, appRoleId: a.appRoleId, createdDateTime: a.createdDateTime ?? null, inWindow: rolesInWindow.includes(a) })),
    unread: observed.gaps.map((g) => g.what),
  };
  if (others.length > 0) notes.push(`${others.length} other delegated grant(s) of ${upn} kept for review: ${others.map((g) => `${client(g.clientId)} (${g.scope.trim()})`).join("; ")}`);
  if (unknown && input.consentIds.length === 0 && others.length > 0) {
    return {
      effects,
      notes: [...notes, `which consents were given in the incident window is not known (${unknown})`],
      findings,
      outputs,
      undecided: {
        summary: "which consents are the attacker's",
        hint: "name them with --revoke-consent <grant id> (repeatable); the grants are listed with their app and scopes",
        items: others.map((g) => ({ id: g.id, label: `${client(g.clientId)}: ${g.scope.trim()}`, reason: g.consentType === "AllPrincipals" ? "for all users" : `for ${upn}` })),
      },
    };
  }
  if (effects.length === 0 && observed.gaps.length === 0 && !unknown) notes.push(`no consent or app role assignment of ${upn} was made in the incident window`);
  return { effects, notes, findings, outputs };
}

/**
 * `entra.revokeConsents`: the OAuth2 permission grants and app role assignments made by or for the user in the
 * incident window (the consent-phishing signal) are flagged with their scopes and removed (a confirmed write); the
 * user's other grants are listed for review.
 */
export const revokeConsents: ActionDefinition<RevokeConsentsInput, ConsentsObservation> = {
  name: "entra.revokeConsents",
  description: "Revoke the delegated consents and app role assignments made by or for the user in the incident window.",
  permissions: permissions.needs,
  input: revokeConsentsInput,
  outputs: ["grants", "appRoleAssignments", "unread"],
  read: readConsents,
  decide: decideConsents,
  resolve: (input, chosen) => ({ ...input, consentIds: [...new Set([...input.consentIds, ...chosen])] }),
};
