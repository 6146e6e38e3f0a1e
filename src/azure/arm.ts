import type { TokenCredential } from "@azure/core-auth";
import type { ComputeManagementClient } from "@azure/arm-compute";
import type { ManagementLockClient } from "@azure/arm-locks";
import { AzirError } from "../core/errors.js";
import type { ArmReader, HttpWrite } from "../core/ports.js";
import { parseResourceId } from "../core/validate.js";
import { armPermissionFor } from "../entra/permissions.js";
import { AzureServiceError, codeForStatus, pathOnly, rawServiceError, redact, safeCause } from "./errors.js";
import type { RetrySettings } from "./logs.js";

export interface ArmAdapterOptions {
  credential: TokenCredential;
  /** ARM origin, e.g. `https://management.azure.com`. */
  endpoint: string;
  /** Token scope, e.g. `https://management.azure.com/.default`. */
  scope: string;
  /** Default subscription (clients for other subscriptions are made on demand from the resource id). */
  subscriptionId?: string;
  ca?: string;
  retry?: RetrySettings;
  /** Polling interval of long-running operations when the service gives no Retry-After. */
  lroPollMs?: number;
}

/** ARM reads and writes. Results are in ARM's own JSON shape (`properties` nested), whatever the SDK model looks like. */
export interface ArmAdapter extends ArmReader {
  /** Sends one write and waits for its long-running operation; only the effect performer calls it. */
  send(request: HttpWrite, signal?: AbortSignal): Promise<unknown>;
}

// Top-level members of an ARM resource envelope; everything else the SDKs flatten belongs under `properties`.
const envelopeKeys = new Set(["id", "name", "type", "location", "tags", "sku", "zones", "extendedLocation", "systemData", "managedBy", "managedByExtended", "plan", "identity", "resources", "etag", "kind"]);

/** Turns an SDK model with flattened properties back into ARM's wire shape. */
export function toArmShape(model: unknown): Record<string, unknown> {
  if (typeof model !== "object" || model === null) return {};
  const out: Record<string, unknown> = {};
  const properties: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(model)) {
    if (value === undefined) continue;
    if (envelopeKeys.has(key)) out[key] = value;
    else properties[key] = value;
  }
  if (Object.keys(properties).length > 0) out.properties = properties;
  return out;
}

/** Turns an ARM wire body (`properties` nested) into the SDK's flat model; a body already flat passes through. */
export function fromArmShape(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null) return {};
  const { properties, ...rest } = body as Record<string, unknown>;
  return typeof properties === "object" && properties !== null ? { ...rest, ...(properties as Record<string, unknown>) } : { ...rest };
}

const lockPath = /^(\/subscriptions\/.+)\/providers\/Microsoft\.Authorization\/locks\/([^/]+)$/i;
const snapshotPath = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/snapshots\/([^/]+)(?:\/(beginGetAccess|endGetAccess))?$/i;

export async function createArmAdapter(options: ArmAdapterOptions): Promise<ArmAdapter> {
  const [{ ComputeManagementClient: Compute }, { ManagementLockClient: Locks }] = await Promise.all([
    import("@azure/arm-compute"),
    import("@azure/arm-locks"),
  ]);
  const endpoint = options.endpoint.replace(/\/+$/, "");
  const retryOptions = {
    ...(options.retry?.maxRetries !== undefined ? { maxRetries: options.retry.maxRetries } : {}),
    ...(options.retry?.retryDelayMs !== undefined ? { retryDelayInMs: options.retry.retryDelayMs, maxRetryDelayInMs: Math.max(options.retry.retryDelayMs, 1) * 8 } : {}),
  };
  const tls = options.ca ? { tlsOptions: { ca: options.ca } } : {};
  const computeClients = new Map<string, ComputeManagementClient>();
  const lockClients = new Map<string, ManagementLockClient>();
  const compute = (subscriptionId: string): ComputeManagementClient => {
    let c = computeClients.get(subscriptionId);
    if (!c) {
      c = new Compute(options.credential, subscriptionId, { endpoint, credentials: { scopes: [options.scope] }, retryOptions, ...tls });
      computeClients.set(subscriptionId, c);
    }
    return c;
  };
  const locks = (subscriptionId: string): ManagementLockClient => {
    let c = lockClients.get(subscriptionId);
    if (!c) {
      // Without credentialScopes the client would ask for a token for `${endpoint}/.default`.
      c = new Locks(options.credential, subscriptionId, { endpoint, credentialScopes: [options.scope], retryOptions, ...tls });
      lockClients.set(subscriptionId, c);
    }
    return c;
  };
  const poll = options.lroPollMs !== undefined ? { updateIntervalInMs: options.lroPollMs } : {};

  const getResource = async <T>(resourceId: string): Promise<T> => {
    const path = pathOnly(resourceId).replace(/\/resourcegroups\//i, "/resourceGroups/");
    try {
      const lock = lockPath.exec(path);
      if (lock) {
        const scope = lock[1]!.replace(/^\/+/, "");
        const sub = /^subscriptions\/([^/]+)/i.exec(scope)?.[1] ?? options.subscriptionId ?? "";
        return (await lockRequest(locks(sub), endpoint, "GET", scope, decodeURIComponent(lock[2]!))) as T;
      }
      const parsed = parseResourceId(path);
      if (!parsed || parsed.types.length !== 1) throw unsupported("GET", path);
      const c = compute(parsed.subscriptionId);
      switch (parsed.type.toLowerCase()) {
        case "microsoft.compute/virtualmachines":
          return toArmShape(await c.virtualMachines.get(parsed.resourceGroup, parsed.name)) as T;
        case "microsoft.compute/disks":
          return toArmShape(await c.disks.get(parsed.resourceGroup, parsed.name)) as T;
        case "microsoft.compute/snapshots":
          return toArmShape(await c.snapshots.get(parsed.resourceGroup, parsed.name)) as T;
        default:
          throw unsupported("GET", path);
      }
    } catch (error) {
      throw translateArmError(error, "GET", path);
    }
  };

  return {
    getResource,
    async findResource<T>(resourceId: string): Promise<T | undefined> {
      try {
        return await getResource<T>(resourceId);
      } catch (error) {
        if (error instanceof AzureServiceError && error.status === 404) return undefined;
        throw error;
      }
    },
    async checkSubscription(subscriptionId: string): Promise<{ locks: number }> {
      const path = `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/locks`;
      try {
        let count = 0;
        for await (const page of locks(subscriptionId).managementLocks.listAtSubscriptionLevel().byPage()) {
          count += page.length;
          break; // one page answers whether the subscription can be read
        }
        return { locks: count };
      } catch (error) {
        throw translateArmError(error, "GET", path);
      }
    },
    async send(request: HttpWrite, signal?: AbortSignal): Promise<unknown> {
      const path = pathOnly(request.path).replace(/\/resourcegroups\//i, "/resourceGroups/");
      const abort = signal ? { abortSignal: signal } : {};
      try {
        const lock = lockPath.exec(path);
        if (lock) {
          const scope = lock[1]!.replace(/^\/+/, "");
          const name = decodeURIComponent(lock[2]!);
          const sub = /^subscriptions\/([^/]+)/i.exec(scope)?.[1] ?? options.subscriptionId ?? "";
          if (request.method === "PUT") {
            const body = fromArmShape(request.body) as { level?: "CanNotDelete" | "ReadOnly"; notes?: string };
            if (body.level !== "CanNotDelete" && body.level !== "ReadOnly") {
              throw new AzirError("validation", `A lock needs level CanNotDelete or ReadOnly (PUT ${path}).`);
            }
            return await lockRequest(locks(sub), endpoint, "PUT", scope, name, { properties: { level: body.level, ...(body.notes ? { notes: body.notes } : {}) } }, signal);
          }
          if (request.method === "DELETE") {
            await lockRequest(locks(sub), endpoint, "DELETE", scope, name, undefined, signal);
            return undefined;
          }
        }
        const snap = snapshotPath.exec(path);
        if (snap) {
          const [, sub, rg, name, action] = snap as unknown as [string, string, string, string, string | undefined];
          const c = compute(sub);
          if (!action && request.method === "PUT") {
            // The SDK model is flat: a nested `properties` would be silently dropped from the wire body.
            const model = fromArmShape(request.body) as unknown as Parameters<typeof c.snapshots.createOrUpdate>[2];
            const result = await c.snapshots.createOrUpdate(rg, name, model, { ...poll, ...abort });
            return toArmShape(result);
          }
          if (action?.toLowerCase() === "begingetaccess" && request.method === "POST") {
            const body = (request.body ?? {}) as { access?: string; durationInSeconds?: number };
            return await c.snapshots.grantAccess(rg, name, { access: (body.access ?? "Read") as "Read", durationInSeconds: body.durationInSeconds ?? 3600 }, { ...poll, ...abort });
          }
          if (action?.toLowerCase() === "endgetaccess" && request.method === "POST") {
            await c.snapshots.revokeAccess(rg, name, { ...poll, ...abort });
            return undefined;
          }
        }
        throw unsupported(request.method, path);
      } catch (error) {
        throw translateArmError(error, request.method, path, request.permission);
      }
    },
  };
}

/**
 * A lock read or write on `{scope}/providers/Microsoft.Authorization/locks/{name}?api-version=2020-05-01` with literal
 * slashes, sent through the lock client's pipeline (its credential, retries and TLS options): arm-locks' *ByScope
 * operations URL-encode the scope (%2F), a form ARM is not known to accept (azure-reference.md section 9).
 */
async function lockRequest(client: ManagementLockClient, endpoint: string, method: "GET" | "PUT" | "DELETE", scope: string, name: string, body?: unknown, abortSignal?: AbortSignal): Promise<unknown> {
  const { createPipelineRequest, RestError } = await import("@azure/core-rest-pipeline");
  const request = createPipelineRequest({
    url: `${endpoint}/${scope.replace(/^\/+/, "")}/providers/Microsoft.Authorization/locks/${encodeURIComponent(name)}?api-version=2020-05-01`,
    method,
    ...(abortSignal ? { abortSignal } : {}),
  });
  if (body !== undefined) {
    request.body = JSON.stringify(body);
    request.headers.set("Content-Type", "application/json");
  }
  const response = await client.sendRequest(request);
  let parsed: unknown;
  try {
    parsed = response.bodyAsText ? (JSON.parse(response.bodyAsText) as unknown) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.status >= 400) {
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const restError = new RestError(typeof error?.message === "string" ? error.message : `ARM answered ${response.status}`, {
      ...(typeof error?.code === "string" ? { code: error.code } : {}),
      statusCode: response.status,
      request,
      response,
    });
    restError.details = parsed;
    throw restError;
  }
  return parsed;
}

function unsupported(method: string, path: string): AzirError {
  return new AzirError("unsupported", `azir's ARM adapter does not handle ${method} ${path}.`, {
    hint: "Supported: virtual machines, disks and snapshots (GET), snapshot PUT / beginGetAccess / endGetAccess, management locks.",
  });
}

/** A RestError or failed long-running operation as an AzirError naming the method, path and the missing role. */
export function translateArmError(error: unknown, method: string, path: string, permission?: string): AzirError {
  if (error instanceof AzirError) return error;
  if (error instanceof Error && error.name === "AbortError") {
    return new AzirError("interrupted", `The ARM request ${method} ${path} was cancelled.`, { cause: safeCause(error) });
  }
  const where = `${method} ${path}`;
  const raw = rawServiceError(error);
  if (raw.status === -1 && error instanceof Error && /long-running operation has failed/i.test(error.message)) {
    const failure = /long-running operation has failed\.\s*([^.\s]+)\.\s*(.*)$/is.exec(error.message);
    const code = failure?.[1];
    return new AzureServiceError(code && /Authorization/i.test(code) ? "permission" : "service", `ARM operation ${where} ended Failed: ${redact(failure?.[2] || error.message)}`, {
      service: "ARM",
      status: -1,
      ...(code ? { serviceCode: code } : {}),
      hint: code && /Authorization/i.test(code) ? `The identity needs ${permission ?? armPermissionFor(method, path)}.` : "Check the resource in the portal; nothing was left half-done by azir, so the step can be run again.",
      cause: error,
    });
  }
  const needs = permission ?? armPermissionFor(method, path);
  if (raw.status === 403) {
    return new AzureServiceError("permission", `ARM answered 403 on ${where}: the identity lacks ${needs}`, {
      service: "ARM",
      status: 403,
      serviceCode: raw.serviceCode,
      hint: `Assign a role that grants ${needs} on the resource or its resource group.`,
      details: [`service said: ${raw.message}`],
      cause: error,
    });
  }
  if (raw.status === -1) {
    return new AzureServiceError("service", `Could not reach ARM for ${where}: ${raw.message}`, {
      service: "ARM",
      status: -1,
      serviceCode: raw.serviceCode,
      hint: "Check network access to the ARM endpoint (and the CA, for a local emulator).",
      cause: error,
    });
  }
  const code = codeForStatus(raw.status);
  return new AzureServiceError(code, `ARM answered ${raw.status} on ${where}: ${raw.message}`, {
    service: "ARM",
    status: raw.status,
    serviceCode: raw.serviceCode,
    hint:
      code === "auth"
        ? "Sign in again; the token was refused."
        : code === "not-found"
          ? "Check the resource id and the subscription."
          : code === "throttled"
            ? "ARM is throttling after retries; wait and resume the run."
            : "Retry later; ARM failed after the SDK's retries.",
    cause: error,
  });
}
