import { alertsAnalyzer } from "./alerts.js";
import { auditAnalyzer } from "./audit.js";
import { coverageAnalyzer } from "./coverage.js";
import { devicecodeHuntAnalyzer } from "./devicecode-hunt.js";
import { officeAnalyzer } from "./office.js";
import { riskAnalyzer } from "./risk.js";
import { signinAfterContainmentAnalyzer } from "./signin-after-containment.js";
import { signinsAnalyzer } from "./signins.js";
import type { AnalyzerDefinition } from "./types.js";

/** Every analyzer a runbook step can name in `analyze:`, by name. */
export const analyzers: Record<string, AnalyzerDefinition> = Object.fromEntries(
  [signinsAnalyzer, auditAnalyzer, officeAnalyzer, devicecodeHuntAnalyzer, alertsAnalyzer, riskAnalyzer, signinAfterContainmentAnalyzer, coverageAnalyzer].map((a) => [a.name, a]),
);

export { analyzeSignins } from "./signins.js";
export { analyzeAudit, classifySecurityInfo } from "./audit.js";
export type { AuditOperation, SecurityInfoRegistration, SecurityInfoDeletion, DefaultMethodChange, DeviceRegistration, MethodType, PhoneType } from "./audit.js";
export type { ForwardingRule } from "./office.js";
export type { DeviceCodeUser } from "./devicecode-hunt.js";
