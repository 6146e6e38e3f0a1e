import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Row, Severity } from "../../src/analyze/types.js";
import { runQuery, toWireTable, type KqlTable } from "../../src/kql/engine/index.js";
import { parseQueryFile, renderQuery } from "../../src/kql/render.js";

// What the tests share about the built-in Contoso scenario: its planted facts and a way to ask it the shipped KQL.

const root = join(import.meta.dirname, "..", "..");

export interface ExpectedFinding {
  code: string;
  count: number;
  severity: Severity;
  step: string;
}

/** scenarios/contoso/expected.json, written by scripts/generate-contoso.mjs. */
export interface ContosoExpected {
  victim: { upn: string; id: string };
  lookback: string;
  baseline: string;
  incidentStart: string;
  incidentSignInId: string;
  attackerIps: string[];
  attackerAsn: string;
  expectedFindings: ExpectedFinding[];
  attackerMethodIds: string[];
  ownMethodIds: string[];
  defaultMethodId: string;
  benignUsers: string[];
  benignMaxSeverity: Record<string, Severity>;
  benignFindings: Record<string, ExpectedFinding[]>;
  vmResourceIds: string[];
  unrelatedAlertIds: string[];
  deviceCodeHunt: Array<{ upn: string; signIns: number; distinctIps: number }>;
  recovery: {
    appsToRotate: Array<{ appObjectId: string; attackerKeyIds: string[]; servicePrincipalKeyIds: string[] }>;
    consentedApps: Array<{ servicePrincipalId: string; grantId: string }>;
    caPoliciesChangedInWindow: string[];
    namedLocationsCreatedInWindow: string[];
    roleAssignmentsNewInWindow: Array<{ principalId: string; roleDefinitionId: string }>;
  };
}

export const contosoExpected = JSON.parse(readFileSync(join(root, "scenarios", "contoso", "expected.json"), "utf8")) as ContosoExpected;

/**
 * Runs a shipped KQL file over engine tables with the local engine, as the emulator answers it: the file's declared
 * parameters are taken from `values` (the rest is ignored), the rows come back keyed by column.
 */
export async function runShippedQuery(file: string, values: Record<string, unknown>, tables: Record<string, KqlTable>, now: Date): Promise<Row[]> {
  const text = readFileSync(join(root, "kql", file), "utf8");
  const declared = parseQueryFile(text, file).parameters.map((p) => p.name);
  const result = await runQuery(renderQuery(text, Object.fromEntries(declared.map((n) => [n, values[n]])), file), tables, { now });
  const wire = toWireTable(result);
  return wire.rows.map((r) => Object.fromEntries(wire.columns.map((c, i) => [c.name, r[i]])));
}
