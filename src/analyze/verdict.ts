/**
 * The first line a responder reads, and what containment leaves open: pure functions of the findings and of what
 * was (not) read. A verdict never says "no evidence" about data that was not read.
 */
import { severityRank, type Finding, type Severity } from "./types.js";

export interface VerdictInput {
  findings: readonly Pick<Finding, "code" | "severity" | "occurredAt">[];
  /** The first attacker sign-in, when one was found. */
  incidentStart?: string | null;
  /** What was not read, or read only in part (step names, gap codes): empty when the data is complete. */
  unread: readonly string[];
  /** The lookback in words, e.g. "14d". */
  lookback: string;
  /** Up to when the data was read (the end of the query window). */
  readUntil: string;
  /** Days of sign-in history before the window, when too few to judge what is new for the user. */
  shortBaselineDays?: number;
}

export interface Verdict {
  kind: "compromised" | "suspicious" | "incomplete" | "no-evidence";
  line: string;
}

function count(findings: VerdictInput["findings"], at: Severity): number {
  return findings.filter((f) => severityRank[f.severity] >= severityRank[at]).length;
}

const minute = (iso: string): string => `${iso.slice(0, 16)}Z`;

export function investigationVerdict(input: VerdictInput): Verdict {
  const high = count(input.findings, "high");
  const incomplete = input.unread.length > 0 ? `; data incomplete: ${input.unread.join(", ")}` : "";
  if (input.incidentStart) return { kind: "compromised", line: `compromised since ${minute(input.incidentStart)}: ${high} high or critical finding(s)${incomplete}` };
  if (high > 0) return { kind: "suspicious", line: `suspicious: ${high} high or critical finding(s), no incident start found${incomplete}` };
  if (input.unread.length > 0) return { kind: "incomplete", line: `INCOMPLETE: compromise cannot be ruled out; not read: ${input.unread.join(", ")}` };
  // Without a baseline nothing could be called new: "no evidence" then rests on risk and explicit signals alone.
  if (input.shortBaselineDays !== undefined) {
    return {
      kind: "no-evidence",
      line: `no evidence of compromise in ${input.lookback}, but no baseline: only ${input.shortBaselineDays} day(s) of sign-in history, so new networks and devices could not be judged (data read up to ${minute(input.readUntil)})`,
    };
  }
  return { kind: "no-evidence", line: `no evidence of compromise in ${input.lookback} (data complete, read up to ${minute(input.readUntil)})` };
}

/** A finding containment does not address, with the next step to take. */
export interface OpenItem {
  code: string;
  summary: string;
  occurredAt: string;
  next: string;
}

/**
 * What each kind of finding still needs after block, revoke and method removal: an azir command where one exists,
 * else the exact portal or Graph action. Persistence outlives a revoked session.
 */
const nextSteps: Record<string, string> = {
  "audit.sp-credentials-added":
    "azir harden removes the credential the attacker added and rotates the app's secrets (by hand: Entra admin center > App registrations > the app > Certificates & secrets)",
  "audit.app-updated":
    "azir harden rotates the app's secrets and flags a credential added in the window; review the rest of the change (redirect URIs, owners): Entra admin center > App registrations > the app > Audit logs",
  "audit.role-member-added":
    "azir harden flags and removes the role assignment made in the window, active or eligible, direct or through a group (by hand: Entra admin center > Roles and administrators > the role > Assignments)",
  "audit.consent-non-admin":
    "azir harden revokes the consent given in the window (the grant and its app role assignments); consider removing the service principal: Entra admin center > Enterprise applications > the app",
  "audit.consent-admin": "azir harden revokes the consent given in the window; review the app's other permissions: Entra admin center > Enterprise applications > the app > Permissions",
  "audit.ca-policy-updated":
    "revert the Conditional Access change: Entra admin center > Protection > Conditional Access > Policies > the policy (the finding holds the before and after); azir harden flags every policy and named location changed in the window",
  "audit.user-updated": "review the changed user properties (phone numbers, other mail addresses) and revert what the attacker set: Entra admin center > Users > the user > Properties",
  "audit.device-registered": "delete the device the attacker registered: Entra admin center > Devices > All devices > the device > Delete",
  "office.forwarding-rule":
    "remove the forwarding in Exchange Online PowerShell (Graph cannot change another user's rules): azir harden prints the exact Remove-InboxRule or Set-Mailbox command",
  "office.hiding-rule": "remove the inbox rule that hides mail: Exchange Online PowerShell Get-InboxRule -Mailbox <upn>, then Remove-InboxRule",
  "office.mailbox-permission": "remove the mailbox permission granted in the window: Exchange Online PowerShell Remove-MailboxPermission",
  "defender.alert": "the alert points at a resource: snapshot its disks before anyone stops it (azir snapshot <the VM's resource id>, printed under the alerts), then investigate in Defender for Cloud",
};

/**
 * Findings containment leaves open, oldest first: persistence in the attacker's window (medium and above). Without an
 * incident start the window is unknown and an operation's severity cannot tell the attacker's from routine work, so
 * every persistence finding of the lookback is listed for review.
 */
export function stillOpen(findings: readonly Finding[], incidentStartKnown = true): OpenItem[] {
  const seen = new Set<string>();
  const floor = incidentStartKnown ? severityRank.medium : severityRank.info;
  return findings
    .filter((f) => nextSteps[f.code] !== undefined && severityRank[f.severity] >= floor)
    .sort((a, b) => a.occurredAt.localeCompare(b.occurredAt))
    .filter((f) => {
      // Several audit rows of one operation (a device registration, say) are one thing to do.
      const key = `${f.code} ${f.summary}`;
      return !seen.has(key) && Boolean(seen.add(key));
    })
    .map((f) => ({ code: f.code, summary: f.summary, occurredAt: f.occurredAt, next: nextSteps[f.code]! }));
}
