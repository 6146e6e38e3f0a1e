import type { GetTokenOptions } from "@azure/core-auth";
import { describe, expect, it } from "vitest";
import { boundedCredential } from "../../src/azure/credential.js";
import { AzirError } from "../../src/core/errors.js";

// A token endpoint that accepts and never answers must not hold a run: the request ends at its deadline.

describe("token request deadline", () => {
  it("a credential that never answers ends with a clear auth error at the deadline, asked to stop", async () => {
    let aborted = false;
    const silent = {
      getToken: (_scopes: string | string[], options?: GetTokenOptions) =>
        new Promise<null>(() => {
          options?.abortSignal?.addEventListener("abort", () => (aborted = true));
        }),
    };
    const started = Date.now();
    const error = await boundedCredential(silent, 100).getToken("https://graph.microsoft.com/.default").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzirError);
    expect(error).toMatchObject({ code: "auth", message: "the token request did not answer within 1 s" });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(aborted).toBe(true);
  });

  it("a token that comes in time passes through", async () => {
    const quick = { getToken: async () => ({ token: "t", expiresOnTimestamp: 1 }) };
    expect(await boundedCredential(quick, 1000).getToken("s")).toEqual({ token: "t", expiresOnTimestamp: 1 });
  });
});
