import { acceptedPermissions, actionPermissions, armActionPermissions, graph, logAnalyticsPermission, type ActionPermissions } from "./permissions.js";

/**
 * The permission catalogue as the Markdown tables of docs/permissions.md and README.md, generated here so that the
 * documents cannot drift from what azir asks for and `azir doctor` checks (a test compares them; `npm run
 * docs:permissions` rewrites them).
 */

const actionTitles: Readonly<Record<string, string>> = {
  "entra.blockSignIn": "block sign-in",
  "entra.revokeSessions": "revoke sessions",
  "entra.removeAuthMethods": "remove the attacker's authentication methods",
  "entra.confirmCompromised": "confirm the user compromised",
  "arm.snapshotDisks": "snapshot every disk of the VM",
  "arm.lockEvidence": "lock the snapshots and the forensics storage account",
  "arm.exportSnapshots": "copy each snapshot to the forensics container, hashed",
  "entra.rotateAppCredentials": "rotate app credentials (harden)",
  "entra.removePrivilegedAssignments": "remove new privileged role assignments (harden)",
  "entra.revokeConsents": "revoke consents made in the window (harden)",
  "entra.reviewConditionalAccess": "review Conditional Access and named locations (harden)",
  "entra.enableSignIn": "re-enable sign-in (release)",
};

const list = (names: readonly string[]): string => names.map((n) => `\`${n}\``).join(", ");

/** Every Graph permission the shipped actions and the user lookup need, least privileged, in catalogue order. */
export function allGraphNeeds(): string[] {
  const needs = new Set<string>([graph.userRead]);
  for (const a of Object.values(actionPermissions) as ActionPermissions[]) for (const n of a.needs) needs.add(n);
  return [...needs];
}

export function permissionsMarkdown(): string {
  const rows = [
    "| step | Graph permissions (least privileged; the same names as application and as delegated permissions) | delegated sign-in: the signed-in user also holds one of |",
    "|---|---|---|",
    `| user lookup (every runbook about a user) | ${list([graph.userRead])} | - |`,
    ...Object.entries(actionPermissions).map(([name, p]) => `| ${actionTitles[name] ?? name} (\`${name}\`) | ${list(p.needs)} | ${p.delegatedRoles.join(", ")} |`),
    `| query steps (Log Analytics) | ${logAnalyticsPermission} | (Azure RBAC, not Graph) |`,
  ];
  const needs = allGraphNeeds();
  const higher = [
    "| permission | also accepted for an application token | also accepted for a delegated token |",
    "|---|---|---|",
    ...needs.map((n) => {
      const app = acceptedPermissions(n, "application").slice(1);
      const delegated = acceptedPermissions(n, "delegated").slice(1);
      return `| \`${n}\` | ${app.length ? list(app) : "-"} | ${delegated.length ? list(delegated) : "-"} |`;
    }),
  ];
  const arm = [
    "| step | Azure RBAC (action, and a built-in role that holds it) |",
    "|---|---|",
    ...Object.entries(armActionPermissions).map(([name, p]) => `| ${actionTitles[name] ?? name} (\`${name}\`) | ${p.needs.join("; ")} |`),
  ];
  return [
    "All Graph permissions to grant (admin consent), as application permissions for an application identity or as delegated permissions for the app a responder signs in with:",
    "",
    list(needs),
    "",
    ...rows,
    "",
    "Higher permissions Graph also accepts in place of each (what `azir doctor` counts as held):",
    "",
    ...higher,
    "",
    "VM forensics (`azir snapshot`) needs Azure roles in two subscriptions, the VM's and the forensics one (a token does not list them; `azir doctor` checks that each subscription can be read):",
    "",
    ...arm,
  ].join("\n");
}
