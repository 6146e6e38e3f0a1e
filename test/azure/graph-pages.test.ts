import { afterEach, describe, expect, it } from "vitest";
import { createCredential } from "../../src/azure/credential.js";
import { createGraphAdapter } from "../../src/azure/graph.js";
import { AzirError } from "../../src/core/errors.js";
import { scriptedHttps, type ScriptedAnswer, type ScriptedServer } from "../helpers/scripted-https.js";

// Collection pages as a proxy or a hostile host could answer them, to the real Graph client: a page azir cannot read
// is never an empty collection, and the token never follows a nextLink to another host.

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function graph(answers: ScriptedAnswer[], timeoutMs?: number) {
  server = await scriptedHttps(answers);
  return createGraphAdapter({
    credential: createCredential({ kind: "static", token: "t" }),
    baseUrl: server.url,
    scope: "https://graph.microsoft.com/.default",
    ca: server.ca,
    retry: { maxRetries: 0, retryDelayMs: 1 },
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}

const methodsPath = "/users/11111111-1111-4111-8111-111111111111/authentication/methods";

describe("Graph collection pages", () => {
  it("a value that is not an array is an error, not a list of characters or nothing", async () => {
    for (const body of [{ value: "#microsoft.graph.phoneAuthenticationMethod" }, { value: null }, { items: [] }, ["not", "a", "page"]]) {
      const g = await graph([{ status: 200, body }]);
      const error = await g.list(methodsPath).then(() => undefined, (e: unknown) => e);
      expect(error, JSON.stringify(body)).toBeInstanceOf(AzirError);
      expect((error as AzirError).message).toContain("not a collection page");
      await server!.close();
      server = undefined;
    }
  });

  it("reads a page of 400,000 items without overflowing the stack", async () => {
    const value = Array.from({ length: 400_000 }, (_, i) => ({ id: String(i) }));
    const g = await graph([{ status: 200, body: { value } }]);
    expect((await g.list(methodsPath)).length).toBe(400_000);
  });

  it("refuses a nextLink to another host, so the token stays with Graph", async () => {
    const g = await graph([{ status: 200, body: { value: [{ id: "a" }], "@odata.nextLink": "https://collector.attacker.example/v1.0/users?$skiptoken=x" } }]);
    const error = await g.list(methodsPath).then(() => undefined, (e: unknown) => e as AzirError);
    expect(error?.message).toContain("nextLink to another host");
    expect(server!.requests).toHaveLength(1);
  });

  it("a server that accepts and never answers ends each request at its deadline, reads and writes alike", async () => {
    const g = await graph([{ status: 0 }], 300);
    const started = Date.now();
    const read = await g.list(methodsPath).then(() => undefined, (e: unknown) => e as AzirError);
    const write = await g.send({ method: "PATCH", path: "/users/x", body: { accountEnabled: false } }).then(() => undefined, (e: unknown) => e as AzirError);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(read?.message).toContain("did not answer GET");
    expect(write?.message).toContain("did not answer PATCH /users/x");
    expect(write?.code).toBe("service");
  });
});
