import { afterEach, describe, expect, it } from "vitest";
import { createCredential } from "../../src/azure/credential.js";
import { createLogsPort } from "../../src/azure/logs.js";
import { AzirError } from "../../src/core/errors.js";
import type { LogsPort } from "../../src/core/ports.js";
import { scriptedHttps, type ScriptedAnswer, type ScriptedServer } from "../helpers/scripted-https.js";

// Log Analytics' answers as the service (or a gateway in front of it) sends them, to the real LogsQueryClient.
// Shapes: MicrosoftDocs/azure-monitor-docs articles/azure-monitor/logs/api/{response-format,errors}.md and
// azure-reference.md sections 1.3 and 9.

const workspace = "7d1c2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function port(answers: ScriptedAnswer[], clientTimeoutMs?: number): Promise<LogsPort> {
  server = await scriptedHttps(answers);
  return createLogsPort({
    credential: createCredential({ kind: "static", token: "t" }),
    endpoint: `${server.url}/v1`,
    scope: "https://api.loganalytics.io/.default",
    ca: server.ca,
    retry: { maxRetries: 2, retryDelayMs: 5 },
    ...(clientTimeoutMs ? { clientTimeoutMs } : {}),
  });
}

const ok = { status: 200, body: { tables: [{ name: "PrimaryResult", columns: [{ name: "n", type: "long" }], rows: [[1]] }] } };
const query = (logs: LogsPort) => logs.query({ workspaceId: workspace, query: "SigninLogs | count" });
const failure = (logs: LogsPort) => query(logs).then(() => undefined, (e: unknown) => e as AzirError);

describe("Log Analytics on the wire", () => {
  it("reads no answer as complete unless it has tables: an HTML gateway page, an empty 200, another shape", async () => {
    const cases: ScriptedAnswer[] = [
      { status: 502, headers: { "content-type": "text/html" }, body: "<html><body><h1>502 Bad Gateway</h1></body></html>" },
      { status: 200, headers: { "content-type": "application/json" }, body: "" },
      { status: 200, body: { value: [] } },
      { status: 200, headers: { "content-type": "text/html" }, body: "<html>sign in</html>" },
    ];
    for (const answer of cases) {
      const error = await failure(await port([answer]));
      expect(error, JSON.stringify(answer)).toBeInstanceOf(AzirError);
      expect(error!.message).toContain(`/workspaces/${workspace}/query`);
      await server!.close();
      server = undefined;
    }
  });

  it("a redirect loop is an error, not an empty result", async () => {
    const error = await failure(await port([{ status: 302, headers: { location: `/v1/workspaces/${workspace}/query` } }]));
    expect(error).toBeInstanceOf(AzirError);
  });

  it("only a real 204 means the workspace has no data", async () => {
    const result = await query(await port([{ status: 204 }]));
    expect(result).toEqual({ complete: true, tables: [] });
  });

  it("walks the nested error to the deepest message: a missing table is named", async () => {
    const body = {
      error: {
        code: "BadArgumentError",
        message: "The request had some invalid properties",
        correlationId: "5b1a0c36-0d6c-4c1b-9b2a-7e3f0a9d1c11",
        innererror: {
          code: "SemanticError",
          message: "A semantic error occurred.",
          innererror: { code: "SEM0100", message: "'where' operator: Failed to resolve table or column expression named 'AADNonInteractiveUserSignInLogs'" },
        },
      },
    };
    const error = await failure(await port([{ status: 400, body }]));
    expect(error!.code).toBe("not-found");
    expect(error!.details).toContain("table: AADNonInteractiveUserSignInLogs");
    expect(error!.message).toContain("AADNonInteractiveUserSignInLogs");
  });

  it("shows the deepest message of a syntax error", async () => {
    const body = { error: { code: "BadArgumentError", message: "The request had some invalid properties", innererror: { code: "SyntaxError", message: "A recognition error occurred.", innererror: { code: "SYN0002", message: "Query could not be parsed at 'wher' on line [1,14]" } } } };
    const error = await failure(await port([{ status: 400, body }]));
    expect(error!.message).toContain("Query could not be parsed at 'wher'");
  });

  it("classifies a partial result from details[].innererror, where the service puts the limit", async () => {
    const partial = {
      status: 200,
      body: {
        tables: ok.body.tables,
        error: {
          code: "PartialError",
          message: "There were some errors when processing your query.",
          details: [{ code: "EngineError", message: "Something went wrong processing your query on the server.", innererror: { code: "-2133196797", message: "Query result set has exceeded the internal record count limit 500000 records (E_QUERY_RESULT_SET_TOO_LARGE).", severity: 2 } }],
        },
      },
    };
    const result = await query(await port([partial]));
    expect(result.complete).toBe(false);
    if (!result.complete) {
      expect(result.reason.code).toBe("row-limit");
      expect(result.reason.message).toContain("record count limit 500000");
    }
  });

  it("asks for the longest server timeout, and does not re-run a query that timed out (504)", async () => {
    const logs = await port([{ status: 504, body: { error: { code: "GatewayTimeout", message: "The query was cancelled because it exceeded the allowed execution time." } } }]);
    const error = await failure(logs);
    expect(error!.details).toContain("status: 504");
    expect(server!.requests).toHaveLength(1);
    expect(String(server!.requests[0]!.headers.prefer)).toContain("wait=600");
  });

  it("retries a 429 without Retry-After within a bounded budget", async () => {
    const logs = await port([{ status: 429, body: { error: { code: "ThrottledError", message: "Too many requests" } } }, ok]);
    expect(await query(logs)).toMatchObject({ complete: true });
    expect(server!.requests).toHaveLength(2);
    await server!.close();
    server = undefined;
    const always = await port([{ status: 429, body: { error: { code: "ThrottledError", message: "Too many requests" } } }]);
    expect((await failure(always))!.code).toBe("throttled");
    expect(server!.requests).toHaveLength(3); // the first try and 2 retries
  });

  it("a server that accepts and never answers ends in a timeout the query runner reads as a gap, not a hang", async () => {
    const logs = await port([{ status: 0 }], 300);
    const started = Date.now();
    const error = await failure(logs);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error!.message).toContain("did not answer");
    expect(error!.details).toContain("status: 408");
  });
});
