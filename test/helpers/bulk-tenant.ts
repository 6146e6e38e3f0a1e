import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The object id of the n-th generated user (1-based). */
export const bulkUserId = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
export const bulkUpn = (n: number): string => `user${String(n).padStart(3, "0")}@contoso.com`;

/**
 * A copy of the Contoso scenario with `count` more users: enabled, a password only, at risk in Identity Protection,
 * one ordinary successful sign-in two days ago (copied from morgan's). Each is contained by block, revoke and
 * confirm-compromised (no method to remove); once revoked, the revocation is later than the last sign-in.
 */
export function bulkScenario(count: number, options: { budgets?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "azir-bulk-scn-"));
  cpSync(join(process.cwd(), "scenarios", "contoso"), dir, { recursive: true });
  const file = join(dir, "tenant.json");
  const tenant = JSON.parse(readFileSync(file, "utf8")) as {
    users: Array<Record<string, unknown>>;
    authenticationMethods: Record<string, unknown[]>;
    riskyUsers: Array<Record<string, unknown>>;
    budgets?: boolean;
  };
  if (options.budgets) tenant.budgets = true;
  for (let n = 1; n <= count; n++) {
    const id = bulkUserId(n);
    const upn = bulkUpn(n);
    tenant.users.push({ id, userPrincipalName: upn, displayName: `User ${n}`, mail: upn, accountEnabled: true, userType: "Member", createdDateTime: "-400d", signInSessionsValidFromDateTime: "-400d" });
    tenant.authenticationMethods[id] = [{ "@odata.type": "#microsoft.graph.passwordAuthenticationMethod", id: "28c10230-6103-485e-b985-444c60001490", createdDateTime: "-400d" }];
    tenant.riskyUsers.push({ id, userPrincipalName: upn, userDisplayName: `User ${n}`, riskLevel: "high", riskState: "atRisk", riskDetail: "none", riskLastUpdatedDateTime: "-1d", isDeleted: false, isProcessing: false });
  }
  writeFileSync(file, JSON.stringify(tenant));
  const signinsFile = join(dir, "SigninLogs.json");
  const signins = JSON.parse(readFileSync(signinsFile, "utf8")) as Array<Record<string, unknown>>;
  const model = signins.find((r) => r.UserPrincipalName === "morgan@contoso.com" && r.ResultType === "0")!;
  for (let n = 1; n <= count; n++) {
    const id = `b0000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
    signins.push({ ...model, TimeGenerated: "-2d", CreatedDateTime: "-2d", UserPrincipalName: bulkUpn(n), UserDisplayName: `User ${n}`, UserId: bulkUserId(n), Id: id, OriginalRequestId: id, CorrelationId: id });
  }
  writeFileSync(signinsFile, JSON.stringify(signins));
  return dir;
}
