import type { ChalkInstance } from "chalk";
import type { CheckStatus, DoctorReport } from "../../runbook/doctor.js";

const mark = (color: ChalkInstance, status: CheckStatus): string =>
  ({ ok: color.green("ok     "), missing: color.red("MISSING"), warning: color.yellow("warning"), skipped: color.dim("skipped") })[status];

const signInNames: Readonly<Record<string, string>> = {
  tabletop: "the simulated tenant's authority (the scenario's app, client credentials)",
  default: "DefaultAzureCredential (environment service principal, workload or managed identity, Azure CLI, ...)",
  "device-code": "device code (a user's delegated sign-in)",
  browser: "the system browser (a user's delegated sign-in)",
  certificate: "service principal with a certificate",
};

/** `azir doctor` for people: how azir signs in, then each check with what fixes it. Never a token. */
export function renderDoctor(report: DoctorReport, color: ChalkInstance): string {
  const s = report.signIn;
  const lines = [
    color.bold(`azir doctor: ${report.runbooks.join(", ")}`),
    `  sign-in  ${signInNames[s.kind] ?? s.kind}`,
    `           cloud ${s.cloud}, authority ${s.authority}, tenant ${s.tenantId ?? "(the credential's)"}${s.clientId ? `, client id ${s.clientId}` : ""}`,
  ];
  const t = report.token;
  if (!("error" in t)) {
    lines.push(`  token    ${t.kind}${t.user ? ` for ${t.user}` : ""}, app ${t.appName ?? "?"} (${t.appId ?? "?"})${t.azureCliApp ? " — the Azure CLI's app" : ""}`);
    lines.push(`           holds ${t.permissions.length > 0 ? t.permissions.join(", ") : "no Graph permission"}`);
    if (t.roles.length > 0) lines.push(`           directory roles ${t.roles.join(", ")}`);
  }
  lines.push("");
  for (const c of report.checks) {
    const steps = c.steps && c.steps.length > 0 ? color.dim(`  (${c.steps.join(", ")})`) : "";
    lines.push(`  ${mark(color, c.status)}  ${c.area.padEnd(12)} ${c.subject}: ${c.detail}${steps}`);
    if (c.fix && c.status !== "ok") lines.push(`           fix: ${c.fix}`);
  }
  const missing = report.checks.filter((c) => c.status === "missing").length;
  lines.push("");
  lines.push(report.ok ? color.green("nothing the runbooks need is missing") : color.red(`${missing} thing(s) the runbooks need are missing (exit 4)`));
  return lines.join("\n");
}
