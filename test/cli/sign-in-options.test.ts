import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/cli/config.js";
import { signInOf } from "../../src/cli/context.js";
import { resolveGlobals } from "../../src/cli/options.js";
import { AzirError } from "../../src/core/errors.js";
import { memoryIo } from "./io.js";

// How to sign in, from flags, AZIR_* variables and the config: one way at most, the app's client id a GUID.

const app = "6a0c1f3e-2b4d-4e6f-8a1c-3e5f7a9b1c2d";
const other = "0d2e4f6a-8b1c-4d3e-9f5a-7b9c1d3e5f7a";
const authority = "https://login.microsoftonline.com";

describe("sign-in options", () => {
  it("--client-id, else AZIR_CLIENT_ID, else the config's clientId; the flag wins", () => {
    const fromEnv = resolveGlobals({ deviceCode: true }, memoryIo({ env: { AZIR_CLIENT_ID: app } }));
    expect(signInOf(fromEnv, {}, authority, "/", undefined)).toEqual({ kind: "device-code", authority, clientId: app });
    const config = configSchema.parse({ clientId: other });
    expect(signInOf(resolveGlobals({ browser: true }, memoryIo()), config, authority, "/", "t").clientId).toBe(other);
    expect(signInOf(resolveGlobals({ browser: true, clientId: app }, memoryIo()), config, authority, "/", "t")).toEqual({ kind: "browser", authority, clientId: app, tenantId: "t" });
    expect(signInOf(resolveGlobals({}, memoryIo()), {}, authority, "/", undefined).kind).toBe("default");
  });

  it("--certificate is a path from the working folder; a client id that is not a GUID, or two ways to sign in, are usage errors", () => {
    const globals = resolveGlobals({ certificate: "keys/ir.pem", clientId: app }, memoryIo());
    expect(signInOf(globals, {}, authority, "/work", "t")).toMatchObject({ kind: "certificate", certificatePath: "/work/keys/ir.pem" });
    expect(() => resolveGlobals({ clientId: "azir" }, memoryIo())).toThrow(/--client-id \(or AZIR_CLIENT_ID\)/);
    const both = (() => {
      try {
        resolveGlobals({ deviceCode: true }, memoryIo({ env: { AZIR_BROWSER: "1" } }));
      } catch (error) {
        return error;
      }
    })();
    expect(both).toBeInstanceOf(AzirError);
    expect((both as AzirError).message).toBe("--device-code and --browser are two ways to sign in; choose one");
    expect(() => configSchema.parse({ clientId: "nope" })).toThrow();
  });
});
