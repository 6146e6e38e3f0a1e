import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import type { HttpClient } from "@azure/core-rest-pipeline";
import { systemClock, type Clock } from "../core/clock.js";
import { AzirError } from "../core/errors.js";
import { redact, safeCause } from "./errors.js";

/**
 * How azir signs in.
 * - `default`: DefaultAzureCredential (environment service principal, secret or certificate; workload identity;
 *   managed identity; Azure CLI; ...).
 * - `device-code` / `browser`: a user's delegated sign-in, through `clientId` (default: the Azure CLI's app).
 * - `certificate`: a service principal with a PEM certificate (`clientId`, `tenantId`, `certificatePath`).
 * - `static`: a token given by the caller (the tabletop's, or a test's).
 */
export type CredentialKind = "default" | "device-code" | "browser" | "certificate" | "static";

export interface CredentialOptions {
  kind: CredentialKind;
  tenantId?: string;
  /**
   * The authority (sign-in) host: the cloud's (`https://login.microsoftonline.us` for US Government, ...) or an
   * override such as the emulator's origin. Passed to every credential: without it @azure/identity signs in against
   * the public cloud's authority whatever the cloud (azure-reference.md section 9).
   */
  authorityHost?: string;
  /** The app used to sign in: a customer-registered app with the delegated permissions admin-consented, or the service principal's. */
  clientId?: string;
  /** PEM file with the private key and the certificate (`certificate`). */
  certificatePath?: string;
  /** The token for `static`: fixed, or issued per scope. */
  token?: string | ((scopes: string[]) => string);
  /** Receives the device-code prompt text (the CLI prints it on stderr). */
  onDeviceCode?: (message: string) => void;
  /** Clock for the static token's expiry (tests). */
  clock?: Clock;
  /** Extra CA (PEM) for the authority's TLS certificate, e.g. the emulator's (else NODE_EXTRA_CA_CERTS). */
  ca?: string;
  /** The transport of the sign-in requests (a proxy's, or a test's that records them). */
  httpClient?: HttpClient;
}

/** The Azure CLI's public client id, which every tenant accepts, and @azure/identity's default for user sign-in. */
export const azureCliClientId = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/** The national clouds' authorities MSAL knows; any other host is a custom authority (instance discovery off). */
const knownAuthorities = new Set(["login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn"]);

/** Which @azure/identity credential azir builds, with the options it passes: data, so that it can be checked. */
export type IdentityCredentialSpec =
  | { type: "DefaultAzureCredential"; options: IdentityCommonOptions }
  | { type: "DeviceCodeCredential"; options: IdentityCommonOptions & { clientId: string } }
  | { type: "InteractiveBrowserCredential"; options: IdentityCommonOptions & { clientId: string; redirectUri: string } }
  | { type: "ClientCertificateCredential"; tenantId: string; clientId: string; certificatePath: string; options: IdentityCommonOptions };

export interface IdentityCommonOptions {
  tenantId?: string;
  authorityHost?: string;
  disableInstanceDiscovery?: true;
  tlsOptions?: { ca: string };
  httpClient?: HttpClient;
}

/** The credential and options for a kind other than `static`; a usage error for an incomplete certificate sign-in. */
export function identityCredentialSpec(options: CredentialOptions): IdentityCredentialSpec {
  const authorityHost = options.authorityHost?.replace(/\/+$/, "");
  const custom = authorityHost !== undefined && !knownAuthorities.has(new URL(authorityHost).hostname);
  const common: IdentityCommonOptions = {
    ...(options.tenantId ? { tenantId: options.tenantId } : {}),
    ...(authorityHost ? { authorityHost } : {}),
    // MSAL would otherwise ask login.microsoftonline.com to validate a non-Microsoft authority, and fail.
    ...(custom ? { disableInstanceDiscovery: true as const } : {}),
    ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}),
    ...(options.httpClient ? { httpClient: options.httpClient } : {}),
  };
  switch (options.kind) {
    case "device-code":
      return { type: "DeviceCodeCredential", options: { ...common, clientId: options.clientId ?? azureCliClientId } };
    case "browser":
      // A public client redirects to a loopback address; MSAL listens on a free port of http://localhost.
      return { type: "InteractiveBrowserCredential", options: { ...common, clientId: options.clientId ?? azureCliClientId, redirectUri: "http://localhost" } };
    case "certificate": {
      const missing = [!options.clientId && "--client-id", !options.tenantId && "--tenant", !options.certificatePath && "--certificate"].filter((m): m is string => Boolean(m));
      if (missing.length > 0) {
        throw new AzirError("usage", `a certificate sign-in needs ${missing.join(" and ")}`, {
          hint: "give the service principal's app id (--client-id), its tenant (--tenant) and the PEM file with its private key and certificate (--certificate)",
        });
      }
      return { type: "ClientCertificateCredential", tenantId: options.tenantId!, clientId: options.clientId!, certificatePath: options.certificatePath!, options: common };
    }
    default:
      return { type: "DefaultAzureCredential", options: common };
  }
}

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
      getToken: async (scopes: string | string[]): Promise<AccessToken> => ({
        token: typeof token === "string" ? token : token(Array.isArray(scopes) ? scopes : [scopes]),
        expiresOnTimestamp: clock.now().getTime() + 3_600_000,
      }),
    };
  }
  const spec = identityCredentialSpec(options);
  let inner: Promise<TokenCredential> | undefined;
  const load = (): Promise<TokenCredential> => (inner ??= buildIdentityCredential(spec, options));
  const ask = async (scopes: string | string[], getTokenOptions?: GetTokenOptions): Promise<AccessToken | null> => {
    const credential = await load();
    try {
      return await credential.getToken(scopes, getTokenOptions);
    } catch (error) {
      throw translateCredentialError(error, options);
    }
  };
  if (options.kind !== "device-code" && options.kind !== "browser") return { getToken: ask };
  // A person signs in once: the services' first token requests start together, and each would open its own
  // sign-in. One at a time, the later ones are answered silently from the first sign-in's account. @azure/identity
  // keeps CAE and non-CAE tokens in separate caches (Log Analytics asks with enableCae, Graph without), so a second
  // sign-in would follow anyway: every request asks without CAE, and shares the first one's refresh token.
  let turn: Promise<unknown> = Promise.resolve();
  return {
    getToken(scopes: string | string[], getTokenOptions?: GetTokenOptions): Promise<AccessToken | null> {
      const answer = turn.then(() => ask(scopes, { ...getTokenOptions, enableCae: false }));
      turn = answer.catch(() => undefined);
      return answer;
    },
  };
}

async function buildIdentityCredential(spec: IdentityCredentialSpec, options: CredentialOptions): Promise<TokenCredential> {
  const identity = await import("@azure/identity");
  switch (spec.type) {
    case "DeviceCodeCredential": {
      const onDeviceCode = options.onDeviceCode;
      return new identity.DeviceCodeCredential({ ...spec.options, userPromptCallback: (info) => onDeviceCode?.(info.message) });
    }
    case "InteractiveBrowserCredential":
      return new identity.InteractiveBrowserCredential(spec.options);
    case "ClientCertificateCredential":
      return new identity.ClientCertificateCredential(spec.tenantId, spec.clientId, { certificatePath: spec.certificatePath }, spec.options);
    case "DefaultAzureCredential":
      return new identity.DefaultAzureCredential(spec.options);
  }
}

const hints: Record<Exclude<CredentialKind, "static">, string> = {
  default: "Sign in with `az login`, or set AZURE_TENANT_ID / AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH for a service principal, or use --device-code or --browser.",
  "device-code": "Complete the device-code sign-in in a browser, or use a service principal through AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET.",
  browser: "Complete the sign-in in the browser that opened (the app needs the redirect URI http://localhost as a public client), or use --device-code.",
  certificate: "Check the PEM file (private key and certificate), that the certificate is uploaded to the app registration, and the client and tenant ids.",
};

function translateCredentialError(error: unknown, options: CredentialOptions): AzirError {
  if (error instanceof AzirError) return error;
  const message = redact(error instanceof Error ? error.message : String(error));
  const firstLine = message.split("\n")[0] ?? message;
  return new AzirError("auth", `Could not obtain an Azure token (${options.kind} credential): ${firstLine}`, {
    hint: options.kind === "static" ? undefined : hints[options.kind],
    details: message.split("\n").slice(1, 6),
    cause: safeCause(error),
  });
}

/**
 * The credential, recording every token it issues: a service may echo an opaque token in an error message, where no
 * pattern can recognise it, so the journal masks these exact strings.
 */
export function recordingTokens(credential: TokenCredential, issued: Set<string>): TokenCredential {
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const token = await credential.getToken(scopes, options);
      if (token?.token) issued.add(token.token);
      return token;
    },
  };
}

/**
 * A credential whose token requests end after `ms` (a token endpoint, or a managed-identity endpoint, that accepts
 * and never answers must not hold a run for ever): past it, a clear auth error. The wrapped credential is also
 * asked to stop (its abort signal).
 */
export function boundedCredential(credential: TokenCredential, ms: number): TokenCredential {
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const deadline = AbortSignal.timeout(ms);
      const signal = options?.abortSignal ? AbortSignal.any([options.abortSignal as AbortSignal, deadline]) : deadline;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new AzirError("auth", `the token request did not answer within ${Math.ceil(ms / 1000)} s`, {
                hint: "check the network path to the sign-in endpoint (login.microsoftonline.com or the cloud's), or the managed-identity endpoint; nothing was sent to the tenant",
              }),
            ),
          ms,
        );
      });
      try {
        return await Promise.race([credential.getToken(scopes, { ...options, abortSignal: signal }), expired]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
