import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AzureServiceError } from "../../src/azure/errors.js";
import { ManualClock } from "../../src/core/clock.js";
import { startEmulator } from "../../src/tabletop/emulator/server.js";
import { createAzurePorts } from "../../src/azure/ports.js";
import { createCredential } from "../../src/azure/credential.js";
import type { Ports } from "../../src/core/ports.js";
import type { Emulator } from "../../src/tabletop/emulator/types.js";
import { fixtureScenario, ids } from "../azure/fixture.js";

// The real local engine (Kusto.Language loads once, a few seconds on a cold machine).
let emulator: Emulator;
let ports: Ports;
beforeAll(async () => {
  const clock = new ManualClock("2026-11-25T12:00:00Z");
  emulator = await startEmulator({ scenario: fixtureScenario(), clock });
  ports = await createAzurePorts({
    endpoints: emulator.endpoints,
    credential: createCredential({ kind: "static", token: "t" }),
    ca: emulator.caPem,
    retry: { maxRetries: 0 },
  });
}, 60_000);
afterAll(async () => {
  await emulator?.close();
});

describe("Log Analytics route with the local KQL engine", () => {
  it("answers KQL over the scenario rows with ago() on the emulator clock", async () => {
    const result = await ports.logs.query({
      workspaceId: ids.workspace,
      query: 'SigninLogs | where TimeGenerated > ago(2d) and ResultType == "0" | project UserPrincipalName, IPAddress, os = tostring(DeviceDetail.operatingSystem)',
    });
    expect(result.complete).toBe(true);
    expect(result.tables[0]?.rows).toEqual([["kim@fabrikam.example", "203.0.113.7", "Linux"]]);
  });

  it("a table the workspace lacks is not-found naming it; a syntax error is a validation error with the diagnostic", async () => {
    const missing = await ports.logs.query({ workspaceId: ids.workspace, query: "OfficeActivity | take 5" }).catch((e: unknown) => e);
    expect((missing as AzureServiceError).code).toBe("not-found");
    expect((missing as AzureServiceError).details).toContain("table: OfficeActivity");
    const syntax = await ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs | where" }).catch((e: unknown) => e);
    expect((syntax as AzureServiceError).status).toBe(400);
    expect((syntax as AzureServiceError).code).toBe("validation");
  });

  it("a construct the local engine refuses is a 400 NotSupportedByLocalEngine, never a wrong answer", async () => {
    const error = await ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs | take 1; SigninLogs | take 2" }).catch((e: unknown) => e);
    expect((error as AzureServiceError).status).toBe(400);
    expect((error as AzureServiceError).serviceCode).toBe("NotSupportedByLocalEngine");
    expect((error as AzureServiceError).message).toContain("not supported by the local engine");
  });

  it("over 500,000 rows gives the first 500,000 and a PartialError: complete:false", async () => {
    const result = await ports.logs.query({ workspaceId: ids.workspace, query: "range x from 1 to 500001 step 1" });
    expect(result.complete).toBe(false);
    if (!result.complete) expect(result.reason.message).toContain("500000");
    expect(result.tables[0]?.rows).toHaveLength(500_000);
  });
});
