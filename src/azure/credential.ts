import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { systemClock, type Clock } from "../core/clock.js";
import { AzirError } from "../core/errors.js";
import { redact, safeCause } from "./errors.js";

/** How azir obtains tokens. */
export interface CredentialOptions {
  /** `default`: DefaultAzureCredential (env vars, managed identity, Azure CLI, ...); `device-code`: interactive; `static`: a fixed token (emulator). */
  kind: "default" | "device-code" | "static";
  tenantId?: string;
  /** Authority host override, e.g. the emulator's origin. Instance discovery is then turned off. */
  authorityHost?: string;
  /** Public client id for the device-code flow (default: the Azure CLI's well-known client id). */
  clientId?: string;
  /** The token for `static`. */
  token?: string;
  /** Receives the device-code prompt text (the CLI prints it on stderr). */
  onDeviceCode?: (message: string) => void;
  /** Clock for the static token's expiry (tests). */
  clock?: Clock;
  /** Extra CA (PEM) for the authority's TLS certificate, e.g. the emulator's (else NODE_EXTRA_CA_CERTS). */
  ca?: string;
}

const knownAuthorities = new Set(["login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn"]);
// The Azure CLI's public client id, which every tenant accepts for the device-code flow.
const azureCliClientId = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/**
 * A TokenCredential for the chosen kind. @azure/identity is imported only when the first token is requested,
 * so that commands that never call Azure (help, validate) start fast.
 */
export function createCredential(options: CredentialOptions): TokenCredential {
  if (options.kind === "static") {
    const token = options.token;
    if (!token) throw new AzirError("usage", "A static credential needs a token.", { hint: "Pass the token the emulator accepts (any non-empty string)." });
    const clock = options.clock ?? systemClock;
    return {
      getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: clock.now().getTime() + 3_600_000 }),
    };
  }
  let inner: Promise<TokenCredential> | undefined;
  const load = (): Promise<TokenCredential> => (inner ??= buildIdentityCredential(options));
  return {
    async getToken(scopes: string | string[], getTokenOptions?: GetTokenOptions): Promise<AccessToken | null> {
      const credential = await load();
      try {
        return await credential.getToken(scopes, getTokenOptions);
      } catch (error) {
        throw translateCredentialError(error, options);
      }
    },
  };
}

async function buildIdentityCredential(options: CredentialOptions): Promise<TokenCredential> {
  const identity = await import("@azure/identity");
  const authorityHost = options.authorityHost?.replace(/\/+$/, "");
  const custom = authorityHost !== undefined && !knownAuthorities.has(new URL(authorityHost).hostname);
  const common = {
    ...(options.tenantId ? { tenantId: options.tenantId } : {}),
    ...(authorityHost ? { authorityHost } : {}),
    // MSAL would otherwise ask login.microsoftonline.com to validate a non-Microsoft authority, and fail.
    ...(custom ? { disableInstanceDiscovery: true } : {}),
    ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}),
  };
  if (options.kind === "device-code") {
    const onDeviceCode = options.onDeviceCode;
    return new identity.DeviceCodeCredential({
      ...common,
      clientId: options.clientId ?? azureCliClientId,
      userPromptCallback: (info) => onDeviceCode?.(info.message),
    });
  }
  return new identity.DefaultAzureCredential(common);
}

function translateCredentialError(error: unknown, options: CredentialOptions): AzirError {
  const message = redact(error instanceof Error ? error.message : String(error));
  const firstLine = message.split("\n")[0] ?? message;
  return new AzirError("auth", `Could not obtain an Azure token (${options.kind} credential): ${firstLine}`, {
    hint:
      options.kind === "device-code"
        ? "Complete the device-code sign-in in a browser, or use a service principal through AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET."
        : "Sign in with `az login`, or set AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET for a service principal, or use --device-code.",
    details: message.split("\n").slice(1, 6),
    cause: safeCause(error),
  });
}
