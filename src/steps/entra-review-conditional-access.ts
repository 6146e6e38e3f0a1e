import { z } from "zod";
import { actionPermissions } from "../entra/permissions.js";
import { bodyHash } from "./baseline.js";
import { atOrAfter, auditUnknown, gapNotes, inWindow, operationsSchema, readOrGap, type ReadGap } from "./harden-window.js";
import type { ActionDefinition, ActionFinding, DecideContext, Decision, Note, ReadContext } from "./types.js";
import { optionalTimeSchema } from "./user-target.js";

/** Input of `entra.reviewConditionalAccess`. */
export const reviewConditionalAccessInput = z.object({
  /** Whose incident: the findings name them. */
  upn: z.string().min(1),
  incidentStart: optionalTimeSchema,
  operations: operationsSchema,
});
export type ReviewConditionalAccessInput = z.infer<typeof reviewConditionalAccessInput>;

const permissions = actionPermissions["entra.reviewConditionalAccess"];

type GraphObject = Record<string, unknown> & { id: string; displayName?: string; modifiedDateTime?: string | null; createdDateTime?: string | null };

export interface ConditionalAccessObservation {
  policies: GraphObject[] | undefined;
  namedLocations: GraphObject[] | undefined;
  baseline?: {
    capturedAt: string;
    policies: Map<string, string> | undefined;
    namedLocations: Map<string, string> | undefined;
  };
  gaps: ReadGap[];
}

async function readConditionalAccess(_input: ReviewConditionalAccessInput, ctx: ReadContext): Promise<ConditionalAccessObservation> {
  const gaps: ReadGap[] = [];
  // One after the other: the service answers one request per second per tenant (the Graph adapter paces them).
  const policies = await readOrGap("the Conditional Access policies", gaps, () => ctx.graph.list<GraphObject>("/identity/conditionalAccess/policies"));
  const namedLocations = await readOrGap("the named locations", gaps, () => ctx.graph.list<GraphObject>("/identity/conditionalAccess/namedLocations"));
  const observed: ConditionalAccessObservation = { policies, namedLocations, gaps };
  const b = ctx.baseline;
  if (b) {
    const covers = (what: string): boolean => !b.gaps.some((g) => g.what === what);
    observed.baseline = {
      capturedAt: b.capturedAt,
      policies: covers("conditionalAccessPolicies") ? new Map(b.conditionalAccessPolicies.map((p) => [p.id, p.hash])) : undefined,
      namedLocations: covers("namedLocations") ? new Map(b.namedLocations.map((n) => [n.id, n.hash])) : undefined,
    };
  }
  return observed;
}

export function decideConditionalAccess(input: ReviewConditionalAccessInput, observed: ConditionalAccessObservation, ctx: DecideContext): Decision {
  const notes: Note[] = [];
  const findings: ActionFinding[] = [];
  const unknown = auditUnknown(input.operations, input.incidentStart, ctx);
  const caOps = inWindow(input.operations, ["audit.ca-policy-updated"]);
  const b = observed.baseline;
  const changedPolicies: string[] = [];
  for (const p of observed.policies ?? []) {
    const ops = caOps.filter((o) => o.targetId.toLowerCase() === p.id.toLowerCase());
    const why: string[] = ops.map((o) => `${o.operationName.trim()} at ${o.at} by ${o.initiatedBy || "unknown"}`);
    if (ops.length === 0 && atOrAfter(p.modifiedDateTime, input.incidentStart)) why.push(`modified at ${p.modifiedDateTime}, in the incident window`);
    const known = b?.policies?.get(p.id);
    const differs = b?.policies !== undefined && known !== bodyHash(p);
    if (differs) why.push(known === undefined ? `not in the baseline of ${b!.capturedAt}` : `differs from the baseline of ${b!.capturedAt}`);
    if (why.length === 0) continue;
    changedPolicies.push(p.id);
    const inWin = ops.length > 0 || atOrAfter(p.modifiedDateTime, input.incidentStart);
    findings.push({
      code: "harden.ca-policy-changed",
      severity: inWin ? "high" : "medium",
      occurredAt: ops[0]?.at ?? p.modifiedDateTime ?? ctx.now.toISOString(),
      summary: `Conditional Access policy "${p.displayName ?? p.id}" (${String(p.state ?? "")}): ${why.join("; ")}`,
      evidence: [{ id: p.id, displayName: p.displayName ?? null, state: p.state ?? null, modifiedDateTime: p.modifiedDateTime ?? null, ...(ops[0] ? { auditId: ops[0].id } : {}) }],
      subject: input.upn,
      data: { policyId: p.id, why, ...(ops.some((o) => o.before !== undefined || o.after !== undefined) ? { changes: ops.map((o) => ({ at: o.at, by: o.initiatedBy, before: o.before ?? null, after: o.after ?? null })) } : {}), current: { state: p.state ?? null, conditions: p.conditions ?? null, grantControls: p.grantControls ?? null } },
    });
  }
  // The policy the audit log names may be gone since: say so rather than drop the change.
  for (const o of caOps.filter((o) => !(observed.policies ?? []).some((p) => p.id.toLowerCase() === o.targetId.toLowerCase()))) {
    if (observed.policies === undefined) break;
    findings.push({ code: "harden.ca-policy-changed", severity: "high", occurredAt: o.at, summary: `${o.operationName.trim()} "${o.target}" at ${o.at} by ${o.initiatedBy || "unknown"}: the policy is no longer in the tenant`, evidence: [{ auditId: o.id, policyId: o.targetId }], subject: input.upn, data: { policyId: o.targetId, before: o.before ?? null, after: o.after ?? null } });
  }
  const newLocations: string[] = [];
  for (const n of observed.namedLocations ?? []) {
    const why: string[] = [];
    if (atOrAfter(n.createdDateTime, input.incidentStart)) why.push(`created at ${n.createdDateTime}, in the incident window`);
    else if (atOrAfter(n.modifiedDateTime, input.incidentStart)) why.push(`modified at ${n.modifiedDateTime}, in the incident window`);
    const known = b?.namedLocations?.get(n.id);
    if (b?.namedLocations !== undefined && known !== bodyHash(n)) why.push(known === undefined ? `not in the baseline of ${b.capturedAt}` : `differs from the baseline of ${b.capturedAt}`);
    if (why.length === 0) continue;
    newLocations.push(n.id);
    const trusted = n.isTrusted === true;
    const ranges = Array.isArray(n.ipRanges) ? (n.ipRanges as Array<{ cidrAddress?: string }>).map((r) => r.cidrAddress ?? "").filter(Boolean) : [];
    const countries = Array.isArray(n.countriesAndRegions) ? (n.countriesAndRegions as string[]) : [];
    findings.push({
      code: "harden.named-location-new",
      severity: trusted || why.some((w) => w.includes("window")) ? "high" : "medium",
      occurredAt: atOrAfter(n.createdDateTime, input.incidentStart) ? String(n.createdDateTime) : (n.modifiedDateTime ?? ctx.now.toISOString()),
      summary: `named location "${n.displayName ?? n.id}"${trusted ? " (trusted)" : ""} ${ranges.length ? ranges.join(", ") : countries.join(", ")}: ${why.join("; ")}`,
      evidence: [{ id: n.id, displayName: n.displayName ?? null, isTrusted: n.isTrusted ?? null, ipRanges: ranges, countriesAndRegions: countries, createdDateTime: n.createdDateTime ?? null, modifiedDateTime: n.modifiedDateTime ?? null }],
      subject: input.upn,
      data: { namedLocationId: n.id, trusted, why },
    });
  }
  // The first note is the step's one line in the summary (it writes nothing).
  const read = observed.gaps.length === 0 ? "" : ` (not read: ${observed.gaps.map((g) => g.what).join(", ")})`;
  notes.unshift(`reviewed ${observed.policies?.length ?? "no"} Conditional Access policies and ${observed.namedLocations?.length ?? "no"} named locations${read}: ${findings.length} flagged; azir does not write Conditional Access`);
  notes.push(...gapNotes(observed.gaps));
  if (unknown && !b) notes.push(`which Conditional Access policies and named locations changed in the incident window is not fully known (${unknown}) and no baseline was given: review them by hand`);
  if (findings.length > 0) {
    notes.push(
      "revert the Conditional Access changes and delete the attacker's named locations by hand (Entra admin center > Protection > Conditional Access > Policies / Named locations): azir does not write Conditional Access",
    );
  } else if (observed.gaps.length === 0 && !(unknown && !b)) {
    notes.push(`no Conditional Access policy or named location changed in the incident window${b ? " or since the baseline" : ""} (${observed.policies?.length ?? 0} policies, ${observed.namedLocations?.length ?? 0} named locations read)`);
  }
  return {
    effects: [],
    notes,
    findings,
    outputs: { changedPolicies, newNamedLocations: newLocations, policiesRead: observed.policies?.length ?? null, namedLocationsRead: observed.namedLocations?.length ?? null, unread: observed.gaps.map((g) => g.what) },
  };
}

/**
 * `entra.reviewConditionalAccess`: reads the Conditional Access policies and named locations (paced: 1 request per
 * second per tenant) and flags each one changed in the incident window (per the audit log, with its before and after,
 * or per its own modification time) or different from the baseline. It writes nothing.
 */
export const reviewConditionalAccess: ActionDefinition<ReviewConditionalAccessInput, ConditionalAccessObservation> = {
  name: "entra.reviewConditionalAccess",
  description: "Flag Conditional Access policies and named locations changed in the incident window or since the baseline (reads only).",
  permissions: permissions.needs,
  input: reviewConditionalAccessInput,
  outputs: ["changedPolicies", "newNamedLocations", "policiesRead", "namedLocationsRead", "unread"],
  read: readConditionalAccess,
  decide: decideConditionalAccess,
};
