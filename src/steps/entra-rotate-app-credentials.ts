import { z } from "zod";
import { AzirError } from "../core/errors.js";
import type { Effect, EffectOutcome } from "../core/effects.js";
import { isGuid } from "../core/validate.js";
import { actionPermissions } from "../entra/permissions.js";
import { describeError } from "./graph-errors.js";
import { atOrAfter, auditUnknown, gapNotes, inWindow, operationsSchema, readOrGap, type AuditOperationInput, type ReadGap } from "./harden-window.js";
import type { ActionDefinition, ActionFinding, DecideContext, Decision, IssuedSecrets, Note, ReadContext } from "./types.js";
import { displayName, optionalTimeSchema, resolveUser, userTargetSchema, type DirectoryUser } from "./user-target.js";

/** Input of `entra.rotateAppCredentials`. */
export const rotateAppCredentialsInput = z.object({
  upn: userTargetSchema,
  incidentStart: optionalTimeSchema,
  operations: operationsSchema,
  /** The responder's choice: remove every certificate of the apps in scope (Graph cannot remove one without its proof of possession). */
  removeCertificates: z.preprocess((v) => v === true || v === "true", z.boolean()).default(false),
  /** Lifetime of the new client secrets. */
  secretLifetimeDays: z.coerce.number().int().min(1).max(730).default(180),
});
export type RotateAppCredentialsInput = z.infer<typeof rotateAppCredentialsInput>;

const permissions = actionPermissions["entra.rotateAppCredentials"];

/** A password or certificate credential as Graph lists it (never the secret: Graph does not return it). */
export interface AppCredential {
  keyId: string;
  displayName?: string | null;
  hint?: string | null;
  startDateTime?: string | null;
  endDateTime?: string | null;
  type?: string | null;
  usage?: string | null;
}

export type AppKind = "application" | "servicePrincipal";

export interface AppInScope {
  kind: AppKind;
  id: string;
  appId?: string;
  displayName?: string;
  passwordCredentials: AppCredential[];
  keyCredentials: AppCredential[];
  /** Why it is in scope: "owned by ...", "credential added 2026-... (Add service principal credentials)". */
  why: string[];
}

export interface AppCredentialsObservation {
  user: DirectoryUser;
  upn: string;
  apps: AppInScope[];
  /** Directory roles the user holds that can edit every app registration. */
  editorRoles: string[];
  gaps: ReadGap[];
  /** Credentials added to any app in the window, per the directory audit (whoever added them). */
  credentialChanges?: CredentialOperation[];
}

/** Roles whose holders can add credentials to any app registration (entra-docs permissions-reference.md). */
const appEditorRoles = new Set(["62e90394-69f5-4237-9190-012177145e10", "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "158c047a-c907-4556-b7ef-446551a6b5f7"]);

const collection = (kind: AppKind): string => (kind === "application" ? "applications" : "servicePrincipals");
const label = (app: AppInScope): string => `${app.kind === "application" ? "app registration" : "service principal"} ${app.displayName ?? app.id}`;
const credentialOps = ["audit.app-updated", "audit.sp-credentials-added"];

function kindOf(type: string): AppKind | undefined {
  const t = type.toLowerCase().replace(/^#?microsoft\.graph\./, "");
  return t === "application" ? "application" : t === "serviceprincipal" ? "servicePrincipal" : undefined;
}

async function readApps(input: RotateAppCredentialsInput, ctx: ReadContext): Promise<AppCredentialsObservation> {
  const user = await resolveUser(ctx, input.upn);
  const upn = displayName(user, input.upn);
  const gaps: ReadGap[] = [];
  const observedAudits: CredentialOperation[] = [];
  const wanted = new Map<string, { kind: AppKind; why: string[] }>();
  const want = (kind: AppKind, id: string, why: string): void => {
    if (!isGuid(id)) return;
    const known = wanted.get(id) ?? { kind, why: [] };
    if (!known.why.includes(why)) known.why.push(why);
    wanted.set(id, known);
  };
  const owned = await readOrGap(`the apps ${upn} owns`, gaps, () => ctx.graph.list<{ "@odata.type"?: string; id?: string }>(`/users/${encodeURIComponent(user.id)}/ownedObjects`));
  for (const o of owned ?? []) {
    const kind = kindOf(o["@odata.type"] ?? "");
    if (kind && typeof o.id === "string") want(kind, o.id, `owned by ${upn}`);
  }
  // Without an incident start every credential change of the lookback is in scope: it cannot be told from routine work.
  const ops = input.incidentStart === null ? (input.operations ?? []).filter((o) => credentialOps.includes(o.code) && o.result.toLowerCase() !== "failure") : inWindow(input.operations, credentialOps);
  for (const op of ops) {
    const kind = kindOf(op.targetType) ?? (op.code === "audit.sp-credentials-added" ? "servicePrincipal" : "application");
    want(kind, op.targetId, `${op.operationName.trim()} at ${op.at} by ${op.initiatedBy || "unknown"}`);
  }
  // Credentials added to any app in the window, by anyone (the attacker may act through an app it took over): the
  // directory audit of the window, not only the user's own operations.
  if (input.incidentStart !== null) {
    const audits = await readOrGap("the credential changes of the incident window (directory audit)", gaps, () =>
      ctx.graph.list<DirectoryAudit>("/auditLogs/directoryAudits", { filter: `activityDateTime ge ${input.incidentStart} and category eq 'ApplicationManagement'`, top: 999 }),
    );
    for (const a of audits ?? []) {
      const op = credentialOperation(a);
      if (op) want(op.kind, op.targetId, `${op.name} at ${op.at} by ${op.by}`);
    }
    observedAudits.push(...(audits ?? []).map(credentialOperation).filter((o): o is CredentialOperation => o !== undefined));
  }
  const apps = await Promise.all(
    [...wanted].map(async ([id, { kind, why }]) => {
      const body = await readOrGap(`${kind} ${id}`, gaps, () =>
        ctx.graph.get<Omit<AppInScope, "kind" | "why">>(`/${collection(kind)}/${encodeURIComponent(id)}`, { select: ["id", "appId", "displayName", "passwordCredentials", "keyCredentials"] }),
      );
      if (!body) return undefined;
      const app: AppInScope = { kind, id, passwordCredentials: body.passwordCredentials ?? [], keyCredentials: body.keyCredentials ?? [], why };
      if (typeof body.appId === "string") app.appId = body.appId;
      if (typeof body.displayName === "string") app.displayName = body.displayName;
      return app;
    }),
  );
  const roles = await readOrGap(`the directory roles of ${upn}`, gaps, () =>
    ctx.graph.list<{ displayName?: string | null; roleTemplateId?: string | null }>(`/users/${encodeURIComponent(user.id)}/transitiveMemberOf/microsoft.graph.directoryRole`),
  );
  const editorRoles = (roles ?? []).filter((r) => appEditorRoles.has(String(r.roleTemplateId ?? "").toLowerCase())).map((r) => r.displayName ?? String(r.roleTemplateId));
  return { user, upn, apps: apps.filter((a): a is AppInScope => a !== undefined), editorRoles, gaps, credentialChanges: observedAudits };
}

/** A directoryAudit as Graph lists it (directoryaudit.md). */
interface DirectoryAudit {
  id?: string;
  activityDisplayName?: string;
  activityDateTime?: string;
  result?: string;
  initiatedBy?: { user?: { userPrincipalName?: string | null } | null; app?: { displayName?: string | null } | null } | null;
  targetResources?: Array<{ id?: string; type?: string; modifiedProperties?: Array<{ displayName?: string; oldValue?: string | null; newValue?: string | null }> }>;
}

/** A credential added to an app or service principal, from the directory audit. */
export interface CredentialOperation {
  id: string;
  name: string;
  at: string;
  by: string;
  kind: AppKind;
  targetId: string;
  keyIds: string[];
}

const keyIdentifier = /KeyIdentifier=([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/g;

function credentialOperation(a: DirectoryAudit): CredentialOperation | undefined {
  const name = (a.activityDisplayName ?? "").trim();
  const lower = name.toLowerCase();
  const isCredential = lower === "add service principal credentials" || lower.startsWith("update application – certificates and secrets management") || lower.startsWith("update application - certificates and secrets management");
  if (!isCredential || (a.result ?? "").toLowerCase() === "failure") return undefined;
  const target = (a.targetResources ?? []).find((t) => typeof t.id === "string");
  if (!target?.id) return undefined;
  const kind = kindOf(target.type ?? "") ?? (lower.startsWith("add service principal") ? "servicePrincipal" : "application");
  const description = (target.modifiedProperties ?? []).find((m) => (m.displayName ?? "").toLowerCase() === "keydescription");
  const ids = (v: string | null | undefined): Set<string> => new Set([...(v ?? "").matchAll(keyIdentifier)].map((m) => m[1]!.toLowerCase()));
  const before = ids(description?.oldValue);
  return {
    id: a.id ?? "",
    name,
    at: a.activityDateTime ?? "",
    by: a.initiatedBy?.user?.userPrincipalName ?? a.initiatedBy?.app?.displayName ?? "unknown",
    kind,
    targetId: target.id,
    keyIds: [...ids(description?.newValue)].filter((k) => !before.has(k)),
  };
}

/** The display name azir gives the secrets it issues. */
export const rotationSecretName = "azir rotation";

function isRotationSecret(c: AppCredential): boolean {
  return typeof c.displayName === "string" && c.displayName.startsWith(`${rotationSecretName} `);
}

/**
 * A secret azir issued in this incident (on or after its first run's start, a minute's leeway for the clocks) whose
 * key id no journal of the incident shows handed to the responder.
 */
function neverDelivered(c: AppCredential, issued: IssuedSecrets | undefined): boolean {
  if (!issued || !c.startDateTime) return false;
  return Date.parse(c.startDateTime) >= Date.parse(issued.since) - 60_000 && !issued.delivered.has(c.keyId.toLowerCase());
}

/** Key ids the audit log shows added to this object in the window, with the operation that added them. */
function addedInWindow(app: AppInScope, input: RotateAppCredentialsInput, changes: readonly CredentialOperation[]): Map<string, AuditOperationInput> {
  const out = new Map<string, AuditOperationInput>();
  for (const c of changes) {
    if (c.targetId.toLowerCase() !== app.id.toLowerCase()) continue;
    const op: AuditOperationInput = { code: "audit.credentials", at: c.at, operationName: c.name, result: "success", initiatedBy: c.by, ip: "", target: app.displayName ?? "", afterIncidentStart: true, id: c.id, targetId: c.targetId, targetType: c.kind, keyIds: c.keyIds };
    for (const k of c.keyIds) out.set(k.toLowerCase(), op);
  }
  for (const op of inWindow(input.operations, credentialOps)) {
    if (op.targetId.toLowerCase() !== app.id.toLowerCase()) continue;
    for (const k of op.keyIds ?? []) out.set(k.toLowerCase(), op);
  }
  return out;
}

function credentialFinding(app: AppInScope, c: AppCredential, certificate: boolean, op: AuditOperationInput | undefined, input: RotateAppCredentialsInput, upn: string): ActionFinding {
  const path = `/${collection(app.kind)}/${app.id}`;
  const fix = certificate ? (input.removeCertificates ? `PATCH ${path}` : undefined) : `POST ${path}/removePassword`;
  return {
    code: "harden.app-credential-added",
    severity: "high",
    occurredAt: op?.at ?? c.startDateTime ?? input.incidentStart ?? "",
    summary: `${certificate ? "certificate" : "client secret"} ${c.keyId}${c.displayName ? ` (${c.displayName})` : ""} added to ${label(app)} in the incident window${op ? ` by ${op.initiatedBy || "unknown"} (${op.operationName.trim()})` : ""}`,
    evidence: [{ objectId: app.id, kind: app.kind, keyId: c.keyId, displayName: c.displayName ?? null, startDateTime: c.startDateTime ?? null, ...(op ? { auditId: op.id, operationName: op.operationName } : {}) }],
    subject: upn,
    data: { objectId: app.id, kind: app.kind, keyId: c.keyId, credential: certificate ? "certificate" : "password", ...(fix ? { fix } : {}) },
  };
}

export function decideRotation(input: RotateAppCredentialsInput, observed: AppCredentialsObservation, ctx: DecideContext): Decision {
  const { upn, apps } = observed;
  const notes: Note[] = [...gapNotes(observed.gaps)];
  const findings: ActionFinding[] = [];
  const effects: Effect[] = [];
  const unknown = auditUnknown(input.operations, input.incidentStart, ctx);
  if (unknown) notes.push(`which app credentials were added in the incident window is not known (${unknown}): ${input.incidentStart === null && input.operations !== null ? "every credential change of the lookback is in scope" : "only the apps the user owns are in scope"}; review the others in the audit log`);
  if (observed.editorRoles.length > 0) {
    notes.push(`${upn} holds ${observed.editorRoles.join(", ")}, which can add credentials to every app registration: azir rotates those the user owns or that the audit log shows changed; review the credentials of the others (Entra admin center > App registrations > All applications)`);
  }
  const endDateTime = new Date(ctx.now.getTime() + input.secretLifetimeDays * 86_400_000).toISOString();
  const rotated: Array<Record<string, unknown>> = [];
  const certificates: Array<Record<string, unknown>> = [];
  for (const app of apps) {
    const path = `/${collection(app.kind)}/${encodeURIComponent(app.id)}`;
    const added = addedInWindow(app, input, observed.credentialChanges ?? []);
    // A secret an earlier azir harden issued is the responder's, though the window's audit log shows it added, unless
    // this incident's journals show it issued without reaching them (an answer lost): nobody holds that one.
    const lost = app.passwordCredentials.filter((c) => isRotationSecret(c) && neverDelivered(c, ctx.issuedSecrets));
    const ours = app.passwordCredentials.filter((c) => isRotationSecret(c) && !lost.includes(c));
    const isAttackers = (c: AppCredential): boolean => !isRotationSecret(c) && (added.has(c.keyId.toLowerCase()) || atOrAfter(c.startDateTime, input.incidentStart));
    const attackers = app.passwordCredentials.filter(isAttackers);
    const others = app.passwordCredentials.filter((c) => !isAttackers(c) && !isRotationSecret(c));
    for (const c of attackers) findings.push(credentialFinding(app, c, false, added.get(c.keyId.toLowerCase()), input, upn));
    for (const c of app.keyCredentials.filter(isAttackers)) findings.push(credentialFinding(app, c, true, added.get(c.keyId.toLowerCase()), input, upn));
    const addKey = `add:${app.id}`;
    // Only an object whose own secrets were in use gets a new one; credentials the attacker added are just removed.
    // A secret azir issued earlier (a run interrupted between the new secret and the removals) is the replacement:
    // no second one is issued, and the old secrets go at once.
    const renew = (others.length > 0 || lost.length > 0) && ours.length === 0;
    if (renew) {
      effects.push({
        kind: "graph.request",
        key: addKey,
        method: "POST",
        path: `${path}/addPassword`,
        body: { passwordCredential: { displayName: `${rotationSecretName} ${ctx.now.toISOString().slice(0, 10)}`, endDateTime } },
        permission: permissions.write,
        summary: `add a new client secret to ${label(app)}`,
        target: `${app.displayName ?? app.id} (${app.id})`,
        phase: 0,
        secretResult: true,
      });
    }
    for (const c of attackers) {
      effects.push({ kind: "graph.request", key: `remove:${app.id}:${c.keyId}`, method: "POST", path: `${path}/removePassword`, body: { keyId: c.keyId }, permission: permissions.write, summary: `remove the client secret ${c.keyId} added in the window from ${label(app)}`, target: `${app.displayName ?? app.id} (${app.id})`, phase: 0 });
    }
    for (const c of lost) {
      notes.push(`${label(app)}: the client secret ${c.keyId} azir issued in an earlier run of this incident never reached you (its answer was lost); it is replaced and removed`);
      effects.push({ kind: "graph.request", key: `remove:${app.id}:${c.keyId}`, method: "POST", path: `${path}/removePassword`, body: { keyId: c.keyId }, permission: permissions.write, summary: `remove the client secret ${c.keyId} azir issued whose value never reached the responder from ${label(app)}`, target: `${app.displayName ?? app.id} (${app.id})`, ...(renew ? { phase: 1, requires: [addKey] } : { phase: 0 }) });
    }
    for (const c of others) {
      effects.push({ kind: "graph.request", key: `remove:${app.id}:${c.keyId}`, method: "POST", path: `${path}/removePassword`, body: { keyId: c.keyId }, permission: permissions.write, summary: `remove the old client secret ${c.keyId}${c.displayName ? ` (${c.displayName})` : ""} from ${label(app)}`, target: `${app.displayName ?? app.id} (${app.id})`, ...(renew ? { phase: 1, requires: [addKey] } : { phase: 0 }) });
    }
    if (app.keyCredentials.length > 0) {
      for (const c of app.keyCredentials) certificates.push({ objectId: app.id, kind: app.kind, app: app.displayName ?? app.id, keyId: c.keyId, displayName: c.displayName ?? null, endDateTime: c.endDateTime ?? null, addedInWindow: isAttackers(c) });
      if (input.removeCertificates) {
        effects.push({ kind: "graph.request", key: `certificates:${app.id}`, method: "PATCH", path, body: { keyCredentials: [] }, permission: permissions.write, summary: `remove all ${app.keyCredentials.length} certificate(s) of ${label(app)}`, target: `${app.displayName ?? app.id} (${app.id})`, phase: 1 });
      } else {
        notes.push(
          `${label(app)} has ${app.keyCredentials.length} certificate(s) (${app.keyCredentials.map((c) => c.keyId).join(", ")}): review them; Graph removes one certificate only with a proof signed by an existing one (removeKey), so azir can remove them all (--remove-certificates) but not one by one`,
        );
      }
    }
    rotated.push({ objectId: app.id, kind: app.kind, displayName: app.displayName ?? null, why: app.why, newSecret: renew, removeKeyIds: app.passwordCredentials.filter((c) => !ours.includes(c)).map((c) => c.keyId), attackerKeyIds: attackers.map((c) => c.keyId) });
    if (!renew && attackers.length === 0 && ours.length > 0) notes.push(`${label(app)} is rotated already: its secret${ours.length > 1 ? "s" : ""} ${ours.map((c) => c.keyId).join(", ")} came from azir harden`);
    else if (!renew && attackers.length === 0 && app.keyCredentials.length === 0) notes.push(`${label(app)} (${app.why.join("; ")}) has no client secret or certificate`);
  }
  if (apps.length === 0 && observed.gaps.length === 0 && !unknown) notes.push(`no app registration or service principal is owned by ${upn} or had a credential added in the incident window`);
  return { effects, notes, findings, outputs: { apps: rotated, certificates, unread: observed.gaps.map((g) => g.what) } };
}

/** The secrets that could not be rotated, said with what was and was not done. */
function interpretRotation(outcomes: readonly EffectOutcome[]): { error?: AzirError } {
  const failed = outcomes.filter((o): o is Extract<EffectOutcome, { ok: false }> => !o.ok);
  if (failed.length === 0) return {};
  const done = outcomes.filter((o) => o.ok).map((o) => o.effect.summary);
  return {
    error: new AzirError("runbook-failed", `${failed.length} of ${outcomes.length} credential change(s) failed: ${failed.map((f) => `${f.effect.summary}: ${describeError(f.error)}`).join("; ")}`, {
      hint: "an old secret is removed only once its replacement exists; run azir harden again to finish (every action reads the tenant first)",
      details: done.map((d) => `done: ${d}`),
    }),
  };
}

/**
 * `entra.rotateAppCredentials`: the app registrations and service principals the user owns, and every one whose
 * credentials the audit log shows changed in the incident window, get a new client secret (shown once, never
 * journaled) and lose their old ones; the credentials the attacker added are removed and flagged; certificates are
 * listed for review (removed only when the responder asks).
 */
export const rotateAppCredentials: ActionDefinition<RotateAppCredentialsInput, AppCredentialsObservation> = {
  name: "entra.rotateAppCredentials",
  description: "Rotate the client secrets of the apps the user owns or that changed in the incident window; remove the credentials the attacker added.",
  permissions: permissions.needs,
  input: rotateAppCredentialsInput,
  outputs: ["apps", "certificates", "unread"],
  read: readApps,
  decide: decideRotation,
  interpret: (_input, _observed, _decision, outcomes) => interpretRotation(outcomes),
};
