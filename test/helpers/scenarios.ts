import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Severity } from "../../src/analyze/types.js";
import type { ExpectedFinding } from "./contoso.js";

// What the tests share about the built-in scenarios beyond Contoso: each one's planted facts (expected.json, written
// by scripts/generate-<name>.mjs) in the fields every scenario has.

const root = join(import.meta.dirname, "..", "..");

/** The fields of scenarios/<name>/expected.json that every built-in scenario writes. */
export interface ScenarioExpected {
  victim: { upn: string; id: string };
  lookback: string;
  baseline: string;
  /** Which Entra ID licence the tenant has, what its sign-in risk reads, and which tables exist. */
  licence: { entraIdP2: boolean; signinRisk: "evaluated" | "hidden"; tables: Record<string, boolean> };
  incidentStart: string;
  incidentSignInId: string;
  incidentStartRule: "first-high-risk-success" | "new-network-with-signals";
  incidentStartConfidence: "high" | "medium" | "low";
  incidentStartSignals: string[];
  attackerIps: string[];
  expectedFindings: ExpectedFinding[];
  attackerMethodIds: string[];
  ownMethodIds: string[];
  defaultMethodId: string;
  benignUsers: string[];
  benignMaxSeverity: Record<string, Severity>;
  benignFindings: Record<string, ExpectedFinding[]>;
  /** Devices benign users enrolled in the window, by user. */
  benignDevices?: Record<string, { deviceId: string; displayName: string; enrolled: string }>;
  deviceCodeHunt: Array<{ upn: string; signIns: number; distinctIps: number }>;
}

/** Alderbank: Entra ID P1 only, password spray, legacy protocols, MFA fatigue, an attacker-made default OATH token. */
export interface AlderbankExpected extends ScenarioExpected {
  sprayIps: string[];
  sprayRange: string;
  sprayAsn: string;
  sprayTargets: string[];
  attackerAsns: string[];
  mfaFatigueSignInId: string;
}

/** Kestrel: five days of history, device-code phishing, an attacker-registered device and Hello key. */
export interface KestrelExpected extends ScenarioExpected {
  historyDays: number;
  attackerAsn: string;
  attackerDevice: { id: string; displayName: string; trustType: string };
  /** The signins analyzer's `baseline` output for the victim, in part. */
  baselineOutput: { sufficient: boolean; signins: number };
}

export function scenarioExpected<T extends ScenarioExpected>(name: string): T {
  return JSON.parse(readFileSync(join(root, "scenarios", name, "expected.json"), "utf8")) as T;
}
