import { Agent, fetch } from "undici";
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
let agent: Agent;
beforeAll(async () => {
  const clock = new ManualClock("2026-11-25T12:00:00Z");
  emulator = await startEmulator({ scenario: fixtureScenario(), clock });
  ports = await createAzurePorts({
    endpoints: emulator.endpoints,
    credential: createCredential({ kind: "static", token: "t" }),
    ca: emulator.caPem,
    retry: { maxRetries: 0 },
  });
  agent = new Agent({ connect: { ca: emulator.caPem } });
}, 60_000);
afterAll(async () => {
  await agent?.close();
  await emulator?.close();
});

/** The service's JSON for one query, as sent on the wire. */
async function wire(query: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${emulator.endpoints.logs}/workspaces/${ids.workspace}/query`, {
    method: "POST",
    dispatcher: agent,
    headers: { Authorization: "Bearer t", "Content-Type": "application/json" },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("Log Analytics route with the local KQL engine", () => {
  it("answers KQL over the scenario rows with ago() on the emulator clock", async () => {
    const result = await ports.logs.query({
      workspaceId: ids.workspace,
      query: 'SigninLogs | where TimeGenerated > ago(2d) and ResultType == "0" | project UserPrincipalName, IPAddress, os = tostring(DeviceDetail.operatingSystem)',
    });
    expect(result.complete).toBe(true);
    expect(result.tables[0]?.rows).toEqual([["kim@fabrikam.example", "203.0.113.7", "Linux"]]);
  });

  it("a table the workspace lacks: 400 BadArgumentError > SemanticError > SEM0100 naming the operator and the table; the adapter says not-found", async () => {
    const res = await wire("OfficeActivity | take 5");
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: {
        code: "BadArgumentError",
        message: "The request had some invalid properties",
        correlationId: expect.stringMatching(uuid),
        innererror: {
          code: "SemanticError",
          message: "A semantic error occurred.",
          innererror: { code: "SEM0100", message: "'take' operator: Failed to resolve table or column expression named 'OfficeActivity'" },
        },
      },
    });
    const missing = await ports.logs.query({ workspaceId: ids.workspace, query: "OfficeActivity | take 5" }).catch((e: unknown) => e);
    expect((missing as AzureServiceError).code).toBe("not-found");
    expect((missing as AzureServiceError).details).toContain("table: OfficeActivity");
  });

  it("a column the table lacks: SEM0100 'Failed to resolve scalar expression', a refused query rather than a missing table", async () => {
    const res = await wire("SigninLogs | where TimeGenerated > ago(1d) | project Nope");
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      error: { code: "BadArgumentError", innererror: { code: "SemanticError", innererror: { code: "SEM0100", message: "'project' operator: Failed to resolve scalar expression named 'Nope'" } } },
    });
    const error = await ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs | project Nope" }).catch((e: unknown) => e);
    expect((error as AzureServiceError).code).toBe("validation");
    expect((error as AzureServiceError).message).toContain("Failed to resolve scalar expression named 'Nope'");
  });

  it("a syntax error: 400 BadArgumentError > SyntaxError > SYN0002 'Query could not be parsed at ...'; the adapter shows it", async () => {
    const res = await wire("SigninLogs | wher x");
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: {
        code: "BadArgumentError",
        message: "The request had some invalid properties",
        correlationId: expect.stringMatching(uuid),
        innererror: {
          code: "SyntaxError",
          message: "A recognition error occurred in the query.",
          innererror: { code: "SYN0002", message: "Query could not be parsed at 'wher' on line [1,13]", line: 1, pos: 13, token: "wher" },
        },
      },
    });
    const syntax = await ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs | where" }).catch((e: unknown) => e);
    expect((syntax as AzureServiceError).status).toBe(400);
    expect((syntax as AzureServiceError).code).toBe("validation");
    expect((syntax as AzureServiceError).message).toContain("Query could not be parsed at '<EOF>' on line [1,18]");
  });

  it("a construct the local engine refuses is a 400 NotSupportedByLocalEngine, never a wrong answer", async () => {
    const error = await ports.logs.query({ workspaceId: ids.workspace, query: "SigninLogs | take 1; SigninLogs | take 2" }).catch((e: unknown) => e);
    expect((error as AzureServiceError).status).toBe(400);
    expect((error as AzureServiceError).serviceCode).toBe("NotSupportedByLocalEngine");
    expect((error as AzureServiceError).message).toContain("not supported by the local engine");
  });

  it("over 500,000 rows: 200 with the first 500,000 and a PartialError naming the limit in details[].innererror", async () => {
    const result = await ports.logs.query({ workspaceId: ids.workspace, query: "range x from 1 to 500001 step 1" });
    expect(result.complete).toBe(false);
    if (!result.complete) {
      expect(result.reason.code).toBe("row-limit");
      expect(result.reason.message).toBe("Query result set has exceeded the internal record count limit 500000 records (E_QUERY_RESULT_SET_TOO_LARGE).");
    }
    expect(result.tables[0]?.rows).toHaveLength(500_000);
    const res = await wire("range x from 1 to 500001 step 1");
    expect(res.status).toBe(200);
    expect((res.json.tables as Array<{ rows: unknown[] }>)[0]?.rows).toHaveLength(500_000);
    expect(res.json.error).toEqual({
      code: "PartialError",
      message: "There were some errors when processing your query.",
      details: [
        {
          code: "EngineError",
          message: "Something went wrong processing your query on the server.",
          innererror: { code: "-2133196797", message: "Query result set has exceeded the internal record count limit 500000 records (E_QUERY_RESULT_SET_TOO_LARGE).", severity: 2 },
        },
      ],
    });
  });
});
