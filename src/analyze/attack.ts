/**
 * MITRE ATT&CK (Enterprise) techniques the findings map to: the technique ids and names as attack.mitre.org
 * publishes them. A finding that no technique describes well maps to none (better none than a wrong one).
 */
export const attackTechniques: Readonly<Record<string, { id: string; name: string }>> = {
  "T1078.004": { id: "T1078.004", name: "Valid Accounts: Cloud Accounts" },
  "T1110": { id: "T1110", name: "Brute Force" },
  "T1621": { id: "T1621", name: "Multi-Factor Authentication Request Generation" },
  "T1528": { id: "T1528", name: "Steal Application Access Token" },
  "T1556.006": { id: "T1556.006", name: "Modify Authentication Process: Multi-Factor Authentication" },
  "T1556.009": { id: "T1556.009", name: "Modify Authentication Process: Conditional Access Policies" },
  "T1098.001": { id: "T1098.001", name: "Account Manipulation: Additional Cloud Credentials" },
  "T1098.002": { id: "T1098.002", name: "Account Manipulation: Additional Email Delegate Permissions" },
  "T1098.003": { id: "T1098.003", name: "Account Manipulation: Additional Cloud Roles" },
  "T1098.005": { id: "T1098.005", name: "Account Manipulation: Device Registration" },
  "T1114.003": { id: "T1114.003", name: "Email Collection: Email Forwarding Rule" },
  "T1564.008": { id: "T1564.008", name: "Hide Artifacts: Email Hiding Rules" },
};

/** Technique ids by finding code (exact codes, then `prefix*`). */
const byCode: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["incident.start", ["T1078.004"]],
  ["signin.high-risk-success", ["T1078.004"]],
  ["signin.new-asn-success", ["T1078.004"]],
  ["signin.new-country-success", ["T1078.004"]],
  ["signin.locked", ["T1110"]],
  ["signin.external-challenge-failed", ["T1621"]],
  ["ca.legacy-auth", ["T1078.004"]],
  ["ca.compliant-mismatch", ["T1078.004"]],
  ["ca.device-code", ["T1528"]],
  ["contain.signin-after-containment", ["T1078.004"]],
  ["audit.security-info-*", ["T1556.006"]],
  ["audit.ca-policy-updated", ["T1556.009"]],
  ["audit.sp-credentials-added", ["T1098.001"]],
  ["audit.app-updated", ["T1098.001"]],
  ["audit.role-member-added", ["T1098.003"]],
  ["audit.device-registered", ["T1098.005"]],
  ["audit.consent-non-admin", ["T1528"]],
  ["office.forwarding-rule", ["T1114.003"]],
  ["office.hiding-rule", ["T1564.008"]],
  ["office.mailbox-permission", ["T1098.002"]],
];

/** The ATT&CK technique ids a finding code maps to (none for context findings). */
export function techniquesFor(code: string): readonly string[] {
  for (const [pattern, ids] of byCode) {
    if (pattern.endsWith("*") ? code.startsWith(pattern.slice(0, -1)) : code === pattern) return ids;
  }
  return [];
}

/** The techniques a set of findings maps to, each with the codes that map to it, in first-seen order. */
export function techniquesOf(findings: ReadonlyArray<{ code: string; severity: string }>): Array<{ id: string; name: string; findings: string[] }> {
  const out = new Map<string, { id: string; name: string; findings: string[] }>();
  for (const f of findings) {
    if (f.severity === "info") continue;
    for (const id of techniquesFor(f.code)) {
      const t = out.get(id) ?? { id, name: attackTechniques[id]?.name ?? id, findings: [] };
      if (!t.findings.includes(f.code)) t.findings.push(f.code);
      out.set(id, t);
    }
  }
  return [...out.values()];
}
