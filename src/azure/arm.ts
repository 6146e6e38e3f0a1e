import type { TokenCredential } from "@azure/core-auth";
import type { ComputeManagementClient } from "@azure/arm-compute";
import type { ManagementLockClient } from "@azure/arm-locks";
import { AzirError } from "../core/errors.js";
import type { ArmReader, HttpWrite } from "../core/ports.js";
import { parseResourceId } from "../core/validate.js";
import { armApiVersions } from "../entra/facts.js";
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
  /** How long a long-running operation (a snapshot, a grant) may take before azir stops waiting (default 30 min). */
  lroTimeoutMs?: number;
  /** Deadline of one read, retries included (default 60 s): a server that accepts and never answers must not hold a run. */
  readTimeoutMs?: number;
}

/** ARM reads and writes. Results are in ARM's own JSON shape (`properties` nested), whatever the SDK model looks like. */
export interface ArmAdapter extends ArmReader {
  /** Sends one write and waits for its long-running operation; only the effect performer calls it. */
  send(request: HttpWrite, signal?: AbortSignal): Promise<unknown>;
  /**
   * Grants a read SAS on a snapshot (beginGetAccess, a long-running operation) and returns it. Only the snapshot
   * exporter calls it, and the SAS never leaves it.
   */
  grantSnapshotRead(snapshotId: string, seconds: number, signal?: AbortSignal): Promise<string>;
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
const instanceViewPath = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)\/instanceView$/i;
const storageAccountPath = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/[^/]+$/i;
const snapshotPath = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/snapshots\/([^/]+)(?:\/(beginGetAccess|endGetAccess))?$/i;

export async function createArmAdapter(options: ArmAdapterOptions): Promise<ArmAdapter> {
  const [{ ComputeManagementClient: Compute }, { ManagementLockClient: Locks }, { createPipelineRequest, RestError }] = await Promise.all([
    import("@azure/arm-compute"),
    import("@azure/arm-locks"),
    import("@azure/core-rest-pipeline"),
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
  const lroTimeoutMs = options.lroTimeoutMs ?? 30 * 60_000;
  /** The run's signal, and a deadline for one long-running operation: a bounded wait, never a hang. */
  const bounded = (signal: AbortSignal | undefined): AbortSignal => (signal ? AbortSignal.any([signal, AbortSignal.timeout(lroTimeoutMs)]) : AbortSignal.timeout(lroTimeoutMs));
  /** The deadline ran out (not the responder's interrupt): a clear, resumable error. */
  const timedOut = (deadline: AbortSignal, signal: AbortSignal | undefined, what: string): AzirError | undefined =>
    deadline.aborted && !signal?.aborted
      ? new AzirError("service", `${what} did not finish within ${lroTimeoutMs >= 60_000 ? `${Math.round(lroTimeoutMs / 60_000)} min` : `${Math.ceil(lroTimeoutMs / 1000)} s`}`, {
          hint: "look at the operation in the portal; azir sent it once, and azir run --resume <journal> waits for it again",
        })
      : undefined;

  /**
   * One request through the client pipeline (token, retries, TLS), with the resource path sent as written: lock
   * scopes keep their literal slashes (azure-reference section 9; arm-locks' `*ByScope` would send them as %2F).
   */
  const direct = async (method: "GET" | "PUT" | "DELETE", path: string, apiVersion: string, body?: unknown, signal?: AbortSignal): Promise<unknown> => {
    const request = createPipelineRequest({
      url: `${endpoint}${path}?api-version=${apiVersion}`,
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { abortSignal: signal } : {}),
    });
    request.headers.set("Accept", "application/json");
    if (body !== undefined) request.headers.set("Content-Type", "application/json");
    const response = await locks(options.subscriptionId ?? "00000000-0000-0000-0000-000000000000").sendRequest(request);
    let parsed: unknown;
    try {
      parsed = response.bodyAsText ? JSON.parse(response.bodyAsText) : undefined;
    } catch {
      parsed = undefined;
    }
    if (response.status >= 400) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      const restError = new RestError(error?.message ?? `ARM answered ${response.status}`, { statusCode: response.status, ...(error?.code ? { code: error.code } : {}) });
      restError.details = parsed;
      throw restError;
    }
    return parsed;
  };

  const readTimeoutMs = options.readTimeoutMs ?? 60_000;
  /** A read that ran out of time: what is not known is a gap, never an answer. */
  const readTimedOut = (deadline: AbortSignal, path: string): AzureServiceError | undefined =>
    deadline.aborted
      ? new AzureServiceError("service", `ARM did not answer GET ${path} within ${Math.max(1, Math.round(readTimeoutMs / 1000))} s`, {
          service: "ARM",
          status: 408,
          hint: "Run again; nothing was changed by this read.",
          details: ["status: 408"],
        })
      : undefined;

  const getResource = async <T>(resourceId: string): Promise<T> => {
    const path = pathOnly(resourceId).replace(/\/resourcegroups\//i, "/resourceGroups/");
    const deadline = AbortSignal.timeout(readTimeoutMs);
    const abort = { abortSignal: deadline };
    try {
      if (lockPath.test(path)) return (await direct("GET", path, armApiVersions.locks, undefined, deadline)) as T;
      if (storageAccountPath.test(path)) return (await direct("GET", path, armApiVersions.storage, undefined, deadline)) as T;
      const view = instanceViewPath.exec(path);
      if (view) return (await compute(view[1]!).virtualMachines.instanceView(view[2]!, view[3]!, abort)) as T;
      const parsed = parseResourceId(path);
      if (!parsed || parsed.types.length !== 1) throw unsupported("GET", path);
      const c = compute(parsed.subscriptionId);
      switch (parsed.type.toLowerCase()) {
        case "microsoft.compute/virtualmachines":
          return toArmShape(await c.virtualMachines.get(parsed.resourceGroup, parsed.name, abort)) as T;
        case "microsoft.compute/disks":
          return toArmShape(await c.disks.get(parsed.resourceGroup, parsed.name, abort)) as T;
        case "microsoft.compute/snapshots":
          return toArmShape(await c.snapshots.get(parsed.resourceGroup, parsed.name, abort)) as T;
        default:
          throw unsupported("GET", path);
      }
    } catch (error) {
      throw readTimedOut(deadline, path) ?? translateArmError(error, "GET", path);
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
    async listVirtualMachines(subscriptionId: string): Promise<Array<{ id: string; name: string }>> {
      const path = `/subscriptions/${subscriptionId}/providers/Microsoft.Compute/virtualMachines`;
      const deadline = AbortSignal.timeout(readTimeoutMs);
      try {
        const vms: Array<{ id: string; name: string }> = [];
        for await (const vm of compute(subscriptionId).virtualMachines.listAll({ abortSignal: deadline })) if (vm.id && vm.name) vms.push({ id: vm.id, name: vm.name });
        return vms;
      } catch (error) {
        throw readTimedOut(deadline, path) ?? translateArmError(error, "GET", path);
      }
    },
    async grantSnapshotRead(snapshotId: string, seconds: number, signal?: AbortSignal): Promise<string> {
      const path = `${pathOnly(snapshotId)}/beginGetAccess`;
      const parsed = parseResourceId(pathOnly(snapshotId));
      if (!parsed || parsed.type.toLowerCase() !== "microsoft.compute/snapshots") throw new AzirError("validation", `not a snapshot id: ${snapshotId}`);
      const deadline = bounded(signal);
      try {
        const access = await compute(parsed.subscriptionId).snapshots.grantAccess(parsed.resourceGroup, parsed.name, { access: "Read", durationInSeconds: seconds }, { ...poll, abortSignal: deadline });
        if (!access.accessSAS) throw new AzirError("service", `ARM granted access to ${parsed.name} without a SAS`, { hint: "run the step again; the grant is revoked in any case" });
        return access.accessSAS;
      } catch (error) {
        throw timedOut(deadline, signal, `the read SAS of ${parsed.name} (POST ${path})`) ?? translateArmError(error, "POST", path);
      }
    },
    async checkSubscription(subscriptionId: string): Promise<{ locks: number }> {
      const path = `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/locks`;
      const deadline = AbortSignal.timeout(readTimeoutMs);
      try {
        let count = 0;
        for await (const page of locks(subscriptionId).managementLocks.listAtSubscriptionLevel({ abortSignal: deadline }).byPage()) {
          count += page.length;
          break; // one page answers whether the subscription can be read
        }
        return { locks: count };
      } catch (error) {
        throw readTimedOut(deadline, path) ?? translateArmError(error, "GET", path);
      }
    },
    async send(request: HttpWrite, signal?: AbortSignal): Promise<unknown> {
      const path = pathOnly(request.path).replace(/\/resourcegroups\//i, "/resourceGroups/");
      const deadline = bounded(signal);
      const abort = { abortSignal: deadline };
      try {
        if (lockPath.test(path) && (request.method === "PUT" || request.method === "DELETE")) {
          if (request.method === "PUT") {
            const level = (fromArmShape(request.body) as { level?: unknown }).level;
            if (level !== "CanNotDelete" && level !== "ReadOnly") throw new AzirError("validation", `A lock needs level CanNotDelete or ReadOnly (PUT ${path}).`);
          }
          return await direct(request.method, path, armApiVersions.locks, request.method === "PUT" ? request.body : undefined, signal);
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
        throw timedOut(deadline, signal, `ARM ${request.method} ${path}`) ?? translateArmError(error, request.method, path, request.permission);
      }
    },
  };
}

function unsupported(method: string, path: string): AzirError {
  return new AzirError("unsupported", `azir's ARM adapter does not handle ${method} ${path}.`, {
    hint: "Supported: virtual machines (and their instance view), disks, snapshots and storage accounts (GET), snapshot PUT / beginGetAccess / endGetAccess, management locks.",
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
