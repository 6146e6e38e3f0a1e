import { z } from "zod";
import type { Clock } from "../../core/clock.js";
import type { IdSource } from "../../core/ids.js";
import type { ScenarioTables, TenantState } from "../scenario/schema.js";
import { RouteTable, type Route, type RouteParams } from "./router.js";
import type { DiskExport } from "./storage.js";
import type { ApiRequest, Reply } from "./types.js";

/** What ARM's routes need of the emulated storage service (storage.ts; Azurite starts on first use). */
export interface ArmStorage {
  /** Bytes of the disk image an export serves (a multiple of 512). */
  diskImageBytes: number;
  /** Azurite's URL for an account, `https://127.0.0.1:PORT/{account}` (starts Azurite). */
  blobEndpoint(account: string): Promise<string>;
  exportDisk(request: { diskId: string; sizeBytes: number; durationInSeconds: number; corruptSignature: boolean }): Promise<DiskExport>;
  revokeExport(container: string): Promise<void>;
  /** Records a SAS URL handed out (for tests that look for it in every output). */
  issued(url: string): void;
}

export interface ArmContext {
  state: TenantState;
  tables: ScenarioTables;
  clock: Clock;
  ids: IdSource;
  /** Long-running operations in flight, by id. */
  operations: Map<string, ArmOperation>;
  /** What the emulator tracks of each snapshot beyond its ARM body, by lower-case id. */
  snapshots: Map<string, SnapshotRuntime>;
  storage: ArmStorage;
  /** The operation this request starts is to end Failed (fault injection). */
  lroFail: boolean;
  /** The grant this request starts is to answer a SAS whose signature the storage service refuses (fault injection). */
  badSas: boolean;
}

/** An emulated long-running operation polled through its Location URL: 202 once, then its outcome. */
export interface ArmOperation {
  polls: number;
  fail: boolean;
  startTime: string;
  /** Applied when the operation succeeds; may return a result body (beginGetAccess). */
  complete(): unknown;
  /** Applied when the operation fails. */
  abandon(): void;
  result?: unknown;
  status?: "Succeeded" | "Failed";
  error?: { code: string; message: string };
}

/** A snapshot's progress: its create operation (read through GETs of the snapshot) and its background copy. */
export interface SnapshotRuntime {
  /** GETs that still answer `provisioningState: Updating`. */
  pendingGets: number;
  fail: boolean;
  /** Percent the background copy advances per GET once provisioned (0: no background copy). */
  copyStep: number;
  /** The disk whose image an export of this snapshot serves. */
  imageDiskId: string;
  /** Export containers holding this snapshot's SAS blobs. */
  exports: string[];
}

export class ArmFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const snapshotBodySchema = z.object({
  location: z.string().min(1),
  sku: z.object({ name: z.string() }).loose().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  properties: z
    .object({
      creationData: z.object({ createOption: z.string().min(1), sourceResourceId: z.string().optional() }).loose(),
      incremental: z.boolean().optional(),
    })
    .loose(),
});
const grantAccessSchema = z.object({ access: z.enum(["None", "Read", "Write"]), durationInSeconds: z.number().int().min(1) }).loose();
const lockBodySchema = z.object({
  properties: z.object({ level: z.enum(["CanNotDelete", "ReadOnly", "NotSpecified"]), notes: z.string().max(512).optional(), owners: z.array(z.unknown()).optional() }).loose(),
});

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ArmFault(400, "InvalidRequestContent", `The request content was invalid: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid"}`);
  }
  return result.data;
}

/** Normalises ARM's spelling quirks: `resourcegroups` and trailing slashes. */
export function canonicalArmPath(path: string): string {
  return path.replace(/\/resourcegroups\//i, "/resourceGroups/").replace(/\/+$/, "");
}

type ArmResource = ArmContext["state"]["arm"]["resources"][number];
type ArmReply = Reply | Promise<Reply>;
type ArmRoute = Route<ArmContext, ApiRequest, ArmReply>;

const specs = "azure-rest-api-specs specification";
const diskRp = `${specs}/compute/resource-manager/Microsoft.Compute/DiskRP/stable/2025-01-02`;
const snapshotSpec = `${diskRp}/snapshot.json`;
const snapshotExamples = `${diskRp}/examples/snapshotExamples`;
const computeRp = `${specs}/compute/resource-manager/Microsoft.Compute/ComputeRP/stable/2024-11-01`;
const storageSpec = `${specs}/storage/resource-manager/Microsoft.Storage/stable/2025-06-01`;
const locksSpec = `${specs}/resources/resource-manager/Microsoft.Authorization/stable/2020-05-01/locks.json`;
const asyncOperations = "azure-docs articles/azure-resource-manager/management/async-operations.md";
const incrementalDocs = "azure-compute-docs articles/virtual-machines/disks-incremental-snapshots.md";
const incrementalRestrictions = "azure-compute-docs articles/virtual-machines/includes/virtual-machines-disks-incremental-snapshots-restrictions.md";

/** Disk SKUs whose incremental snapshots fill through a background copy (incrementalRestrictions). */
const backgroundCopySkus = new Set(["ultrassd_lrs", "premiumv2_lrs"]);
/** Percent a background copy advances at each GET of the snapshot. */
const backgroundCopyStep = 25;

function findResource(ctx: ArmContext, id: string): ArmResource | undefined {
  return ctx.state.arm.resources.find((r) => r.id.toLowerCase() === canonicalArmPath(id).toLowerCase());
}

const subscriptionOf = (id: string): string => /^\/?subscriptions\/([^/]+)/i.exec(id)?.[1]?.toLowerCase() ?? "";

/** Moves an operation on at each poll: running once, so that clients really poll, then its outcome. */
async function poll(ctx: ArmContext, id: string): Promise<ArmOperation> {
  const operation = ctx.operations.get(id);
  if (!operation) throw new ArmFault(404, "OperationNotFound", `The operation '${id}' was not found.`);
  if (!operation.status) {
    operation.polls += 1;
    if (operation.polls >= 2) {
      if (operation.fail) {
        operation.status = "Failed";
        operation.error = { code: "InternalOperationError", message: "The emulated operation failed (fault injection)." };
        operation.abandon();
      } else {
        try {
          operation.result = await operation.complete();
          operation.status = "Succeeded";
        } catch (error) {
          operation.status = "Failed";
          operation.error = { code: "InternalExecutionError", message: `The operation failed: ${error instanceof Error ? error.message : String(error)}` };
          operation.abandon();
        }
      }
    }
  }
  return operation;
}

/** The literal-slash scope form only: an encoded `%2F` never reaches here (handleArm refuses it). */
const lockRoute = (method: string, handle: (ctx: ArmContext, req: ApiRequest, lock: { scope: string; name: string; id: string; existing: ArmResource | undefined }) => Reply): ArmRoute => ({
  method,
  pattern: "/{scope+}/providers/Microsoft.Authorization/locks/{name}",
  source: `${locksSpec} (ManagementLocks_*ByScope, ManagementLocks_*AtResourceLevel, *AtResourceGroupLevel, *AtSubscriptionLevel: the same path with literal slashes)`,
  handle(ctx, req, params) {
    const scope = `/${params.scope!}`;
    const id = `${scope}/providers/Microsoft.Authorization/locks/${params.name!}`;
    return handle(ctx, req, { scope, name: params.name!, id, existing: findResource(ctx, id) });
  },
});

function snapshotFrom(ctx: ArmContext, params: RouteParams): ArmResource {
  const snapshot = findResource(ctx, `/subscriptions/${params.sub!}/resourceGroups/${params.rg!}/providers/Microsoft.Compute/snapshots/${params.name!}`);
  if (!snapshot) throw new ArmFault(404, "ResourceNotFound", `The Resource 'Microsoft.Compute/snapshots/${params.name!}' under resource group '${params.rg!}' was not found.`);
  return snapshot;
}

/** The snapshot's runtime record; a snapshot the scenario ships (not created here) gets one on first use. */
function runtimeOf(ctx: ArmContext, snapshot: ArmResource): SnapshotRuntime {
  const key = snapshot.id.toLowerCase();
  let runtime = ctx.snapshots.get(key);
  if (!runtime) {
    const creation = (snapshot.properties.creationData ?? {}) as { sourceResourceId?: string };
    runtime = { pendingGets: 0, fail: false, copyStep: 0, imageDiskId: creation.sourceResourceId ?? snapshot.id, exports: [] };
    ctx.snapshots.set(key, runtime);
  }
  return runtime;
}

/** The snapshots taken of a disk (its snapshot family), by the disk their exports serve. */
function familyOf(ctx: ArmContext, diskId: string): ArmResource[] {
  const disk = diskId.toLowerCase();
  return ctx.state.arm.resources.filter((r) => r.type === "Microsoft.Compute/snapshots" && runtimeOf(ctx, r).imageDiskId.toLowerCase() === disk);
}

/** A GET of a snapshot moves its create operation and its background copy on (Body-mode polling, core-lro). */
function advanceSnapshot(ctx: ArmContext, snapshot: ArmResource): void {
  const runtime = runtimeOf(ctx, snapshot);
  const props = snapshot.properties;
  if (props.provisioningState === "Updating" || props.provisioningState === "Creating") {
    runtime.pendingGets -= 1;
    if (runtime.pendingGets <= 0) props.provisioningState = runtime.fail ? "Failed" : "Succeeded";
    return;
  }
  if (props.provisioningState === "Succeeded" && runtime.copyStep > 0 && typeof props.completionPercent === "number" && props.completionPercent < 100) {
    props.completionPercent = Math.min(100, props.completionPercent + runtime.copyStep);
  }
}

/** 202 with a Location header only, as the spec examples of Snapshots_GrantAccess / Snapshots_RevokeAccess show. */
function startLocationOperation(ctx: ArmContext, req: ApiRequest, subscriptionId: string, location: string, complete: () => unknown, abandon: () => void): Reply {
  const id = ctx.ids.uuid();
  ctx.operations.set(id, { polls: 0, fail: ctx.lroFail, startTime: ctx.clock.now().toISOString(), complete, abandon });
  const apiVersion = encodeURIComponent(req.query.get("api-version") ?? "2025-01-02");
  return { status: 202, headers: { Location: `${req.origin}/subscriptions/${subscriptionId}/providers/Microsoft.Compute/locations/${location}/operations/${id}?monitor=true&api-version=${apiVersion}` } };
}

/** A storage account with its blob endpoint on Azurite (path style), standing for https://{account}.blob.core.windows.net/. */
async function storageAccountView(ctx: ArmContext, account: ArmResource): Promise<ArmResource> {
  const view = structuredClone(account);
  const endpoints = (view.properties.primaryEndpoints ?? {}) as Record<string, unknown>;
  view.properties.primaryEndpoints = { ...endpoints, blob: `${await ctx.storage.blobEndpoint(account.name)}/` };
  return view;
}

/** A VM as GET answers it: the instance view only with `$expand=instanceView` (VirtualMachines_Get). */
function vmView(vm: ArmResource, expand: string | null): ArmResource {
  const view = structuredClone(vm);
  if (!/(^|,)\s*instanceView\s*(,|$)/i.test(expand ?? "")) delete view.properties.instanceView;
  return view;
}

/** The ARM subset: compute snapshots and their long-running operations, storage accounts, management locks, Defender alerts, resource GETs. */
export const armRoutes = new RouteTable<ArmContext, ApiRequest, ArmReply>(
  [
    {
      method: "GET",
      pattern: "/subscriptions/{sub}/providers/Microsoft.Compute/locations/{location}/operations/{id}",
      source: `${asyncOperations} (with monitor=true, the Location URL of ${snapshotExamples}/Snapshot_BeginGetAccess.json: 202 while running, then 200 with the result; without, the Azure-AsyncOperation status body)`,
      async handle(ctx, req, params) {
        const operation = await poll(ctx, params.id!);
        if (req.query.get("monitor") === "true") {
          if (!operation.status) return { status: 202, headers: { Location: `${req.origin}${req.path}?monitor=true&api-version=${encodeURIComponent(req.query.get("api-version") ?? "")}`, "Retry-After": "0" } };
          if (operation.status === "Failed") throw new ArmFault(409, operation.error?.code ?? "OperationFailed", operation.error?.message ?? "The operation failed.");
          return operation.result === undefined ? { status: 200 } : { status: 200, body: operation.result };
        }
        const body: Record<string, unknown> = { name: params.id, startTime: operation.startTime, status: operation.status ?? "InProgress" };
        if (operation.status) body.endTime = ctx.clock.now().toISOString();
        if (operation.status === "Failed") body.error = operation.error;
        if (operation.status === "Succeeded" && operation.result !== undefined) body.properties = { output: operation.result };
        return { status: 200, body };
      },
    },
    {
      method: "GET",
      pattern: "/subscriptions/{sub}/providers/Microsoft.Security/alerts",
      source: `${specs}/security/resource-manager/Microsoft.Security/stable/2022-01-01/alerts.json (Alerts_List)`,
      handle: (ctx, _req, params) => ({ status: 200, body: { value: securityAlerts(ctx.tables, params.sub!) } }),
    },
    {
      method: "GET",
      pattern: "/subscriptions/{sub}/providers/Microsoft.Authorization/locks",
      source: `${locksSpec} (ManagementLocks_ListAtSubscriptionLevel)`,
      handle(ctx, _req, params) {
        const sub = params.sub!.toLowerCase();
        // The scenario's subscriptions are the only ones the caller can see (subscriptions.json: SubscriptionNotFound).
        if (![ctx.state.subscriptionId, ctx.state.forensicsSubscriptionId].some((s) => s.toLowerCase() === sub)) {
          throw new ArmFault(404, "SubscriptionNotFound", `The subscription '${params.sub!}' could not be found.`);
        }
        const locks = ctx.state.arm.resources.filter((r) => r.type === "Microsoft.Authorization/locks" && r.id.toLowerCase().startsWith(`/subscriptions/${sub}/`));
        return { status: 200, body: { value: locks } };
      },
    },
    lockRoute("GET", (_ctx, _req, lock) => {
      if (!lock.existing) throw new ArmFault(404, "LockNotFound", `The lock '${lock.name}' could not be found.`);
      return { status: 200, body: lock.existing };
    }),
    lockRoute("DELETE", (ctx, _req, lock) => {
      const resources = ctx.state.arm.resources;
      if (lock.existing) resources.splice(resources.indexOf(lock.existing), 1);
      return { status: lock.existing ? 200 : 204 };
    }),
    lockRoute("PUT", (ctx, req, lock) => {
      const body = parseBody(lockBodySchema, req.body);
      // A subscription or resource group scope always exists here; a resource scope must be in the scenario.
      if (!/^\/subscriptions\/[^/]+(\/resourceGroups\/[^/]+)?$/i.test(lock.scope) && !findResource(ctx, lock.scope)) {
        throw new ArmFault(404, "ResourceNotFound", `The Resource '${lock.scope}' was not found.`);
      }
      const resource = { id: lock.id, name: lock.name, type: "Microsoft.Authorization/locks", tags: {}, properties: { level: body.properties.level, notes: body.properties.notes ?? "", owners: [] as unknown[] } };
      const resources = ctx.state.arm.resources;
      if (lock.existing) resources.splice(resources.indexOf(lock.existing), 1, resource);
      else resources.push(resource);
      return { status: lock.existing ? 200 : 201, body: resource };
    }),
    {
      method: "POST",
      pattern: "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/snapshots/{name}/beginGetAccess",
      source: `${snapshotSpec} (Snapshots_GrantAccess), ${snapshotExamples}/Snapshot_BeginGetAccess.json (202 + Location; {accessSAS}); ${incrementalDocs} ("must be 100 before you can ... generate a SAS URI": the service's error for it is not documented, so 409 Conflict)`,
      handle(ctx, req, params) {
        const snapshot = snapshotFrom(ctx, params);
        const body = parseBody(grantAccessSchema, req.body);
        if (body.access !== "Read") throw new ArmFault(400, "InvalidParameter", `A snapshot can only be exported for Read access (access '${body.access}').`);
        const props = snapshot.properties;
        if (props.provisioningState !== undefined && props.provisioningState !== "Succeeded") {
          throw new ArmFault(409, "Conflict", `The snapshot '${snapshot.name}' is not ready (provisioningState ${String(props.provisioningState)}).`);
        }
        if (typeof props.completionPercent === "number" && props.completionPercent < 100) {
          throw new ArmFault(
            409,
            "Conflict",
            `The snapshot '${snapshot.name}' is still being copied in the background (completionPercent ${props.completionPercent}); a SAS can be generated once completionPercent is 100.`,
          );
        }
        const runtime = runtimeOf(ctx, snapshot);
        // incrementalRestrictions: "You can currently only generate SAS URIs of up to five snapshots of a particular
        // snapshot family at any given time." (No page gives the error: 409.)
        if (props.incremental === true && props.diskState !== "ActiveSAS") {
          const family = familyOf(ctx, runtime.imageDiskId).filter((s) => s.properties.incremental === true && s.properties.diskState === "ActiveSAS");
          if (family.length >= 5) throw new ArmFault(409, "Conflict", `Five snapshots of the family of '${snapshot.name}' already have an active SAS; revoke one first.`);
        }
        const corruptSignature = ctx.badSas;
        return startLocationOperation(
          ctx,
          req,
          params.sub!,
          snapshot.location ?? "westeurope",
          async () => {
            const exported = await ctx.storage.exportDisk({ diskId: runtime.imageDiskId, sizeBytes: ctx.storage.diskImageBytes, durationInSeconds: body.durationInSeconds, corruptSignature });
            runtime.exports.push(exported.container);
            ctx.storage.issued(exported.url);
            props.diskState = "ActiveSAS";
            return { accessSAS: exported.url };
          },
          () => undefined,
        );
      },
    },
    {
      method: "POST",
      pattern: "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/snapshots/{name}/endGetAccess",
      source: `${snapshotSpec} (Snapshots_RevokeAccess), ${snapshotExamples}/Snapshot_EndGetAccess.json (202 + Location; 200 without a body); the export's container is deleted, so its SAS stops working`,
      handle(ctx, req, params) {
        const snapshot = snapshotFrom(ctx, params);
        const runtime = runtimeOf(ctx, snapshot);
        return startLocationOperation(
          ctx,
          req,
          params.sub!,
          snapshot.location ?? "westeurope",
          async () => {
            for (const container of runtime.exports.splice(0)) await ctx.storage.revokeExport(container);
            snapshot.properties.diskState = "Unattached";
            return undefined;
          },
          () => undefined,
        );
      },
    },
    {
      method: "GET",
      pattern: "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/snapshots/{name}",
      source: `${snapshotSpec} (Snapshots_Get), ${snapshotExamples}/Snapshot_GetIncrementalSnapshot.json; ${incrementalDocs} (completionPercent; "Snapshots of other disk types always report 100%")`,
      handle(ctx, _req, params) {
        const snapshot = snapshotFrom(ctx, params);
        advanceSnapshot(ctx, snapshot);
        return { status: 200, body: snapshot };
      },
    },
    {
      method: "PUT",
      pattern: "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/snapshots/{name}",
      source: `${snapshotSpec} (Snapshots_CreateOrUpdate), ${snapshotExamples}/Snapshot_Create_FromAnExistingSnapshot.json (202, provisioningState Updating, no headers: clients poll the snapshot); ${incrementalRestrictions}`,
      handle: createSnapshot,
    },
    {
      method: "GET",
      pattern: "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}/instanceView",
      source: `${computeRp}/examples/virtualMachineExamples/VirtualMachine_Get_InstanceView.json (VirtualMachines_InstanceView)`,
      handle(ctx, req, params) {
        const vm = findResource(ctx, canonicalArmPath(req.path).replace(/\/instanceView$/i, ""));
        if (!vm || vm.type !== "Microsoft.Compute/virtualMachines") throw new ArmFault(404, "ResourceNotFound", `The Resource 'Microsoft.Compute/virtualMachines/${params.name!}' under resource group '${params.rg!}' was not found.`);
        return { status: 200, body: vm.properties.instanceView ?? { statuses: [] } };
      },
    },
    {
      method: "GET",
      pattern: "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}",
      source: `${computeRp}/virtualMachine.json (VirtualMachines_Get: instanceView only with $expand=instanceView), ${computeRp}/examples/virtualMachineExamples/VirtualMachine_Get_WithVMSizeProperties.json`,
      handle(ctx, req, params) {
        const vm = findResource(ctx, canonicalArmPath(req.path));
        if (!vm) throw new ArmFault(404, "ResourceNotFound", `The Resource 'Microsoft.Compute/virtualMachines/${params.name!}' under resource group '${params.rg!}' was not found.`);
        return { status: 200, body: vmView(vm, req.query.get("$expand")) };
      },
    },
    {
      method: "GET",
      pattern: "/subscriptions/{sub}/providers/Microsoft.Compute/virtualMachines",
      source: `${computeRp}/virtualMachine.json (VirtualMachines_ListAll: {value, nextLink}, no instanceView), ${computeRp}/examples/virtualMachineExamples/VirtualMachine_ListAll_MaximumSet_Gen.json`,
      handle(ctx, req, params) {
        const sub = params.sub!.toLowerCase();
        const vms = ctx.state.arm.resources.filter((r) => r.type === "Microsoft.Compute/virtualMachines" && subscriptionOf(r.id) === sub);
        return { status: 200, body: { value: vms.map((vm) => vmView(vm, req.query.get("$expand"))) } };
      },
    },
    {
      method: "GET",
      pattern: "/subscriptions/{sub}/providers/Microsoft.Storage/storageAccounts",
      source: `${storageSpec}/storage.json (StorageAccounts_List), examples/StorageAccountList.json; primaryEndpoints.blob is Azurite's path-style URL`,
      async handle(ctx, _req, params) {
        const sub = params.sub!.toLowerCase();
        const accounts = ctx.state.arm.resources.filter((r) => r.type === "Microsoft.Storage/storageAccounts" && subscriptionOf(r.id) === sub);
        return { status: 200, body: { value: await Promise.all(accounts.map((a) => storageAccountView(ctx, a))) } };
      },
    },
    {
      method: "GET",
      pattern: "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts",
      source: `${storageSpec}/storage.json (StorageAccounts_ListByResourceGroup), examples/StorageAccountListByResourceGroup.json`,
      async handle(ctx, req) {
        const prefix = `${canonicalArmPath(req.path).replace(/\/providers\/Microsoft\.Storage\/storageAccounts$/i, "")}/`.toLowerCase();
        const accounts = ctx.state.arm.resources.filter((r) => r.type === "Microsoft.Storage/storageAccounts" && r.id.toLowerCase().startsWith(prefix));
        return { status: 200, body: { value: await Promise.all(accounts.map((a) => storageAccountView(ctx, a))) } };
      },
    },
    {
      method: "GET",
      pattern: "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{name}",
      source: `${storageSpec}/storage.json (StorageAccounts_GetProperties), examples/StorageAccountGetProperties.json; primaryEndpoints.blob is Azurite's path-style URL https://127.0.0.1:PORT/{account}/, standing for https://{account}.blob.core.windows.net/`,
      async handle(ctx, req, params) {
        const account = findResource(ctx, canonicalArmPath(req.path));
        if (!account) throw new ArmFault(404, "ResourceNotFound", `The Resource 'Microsoft.Storage/storageAccounts/${params.name!}' under resource group '${params.rg!}' was not found.`);
        return { status: 200, body: await storageAccountView(ctx, account) };
      },
    },
    {
      method: "GET",
      pattern: "/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}",
      source: `${specs}/resources/resource-manager/Microsoft.Resources/stable/2021-04-01/resources.json (Resources_GetById)`,
      handle(ctx, req, params) {
        const found = findResource(ctx, canonicalArmPath(req.path));
        if (!found) throw new ArmFault(404, "ResourceNotFound", `The Resource '${params.namespace!}/${params.type!}/${params.name!}' under resource group '${params.rg!}' was not found.`);
        return { status: 200, body: found };
      },
    },
  ],
  {
    ignoreCase: true,
    unmatched: (_ctx, req) => {
      const get = req.method === "GET";
      throw new ArmFault(get ? 404 : 405, get ? "NotFound" : "MethodNotAllowed", `${req.method} ${canonicalArmPath(req.path)} is not emulated.`);
    },
  },
);

/** Answers an ARM request; throws ArmFault for errors. */
export async function handleArm(ctx: ArmContext, req: ApiRequest): Promise<Reply> {
  // Every ARM call carries api-version (azure-rest-api-specs common-types/resource-management/v5/types.json ApiVersionParameter).
  if (!req.query.get("api-version")) throw new ArmFault(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
  // arm-locks' *ByScope operations send the scope URL-encoded (%2F); the locks spec gives `scope` no
  // x-ms-skip-url-encoding and ARM's acceptance of that form is unproven (azure-reference.md section 9): refused, not decoded.
  if (/%2f/i.test(req.rawPath ?? "")) {
    throw new ArmFault(
      400,
      "InvalidRequestUri",
      `The request path contains an encoded '/' (%2F): ${req.rawPath ?? ""}. Send the scope with literal slashes, {scope}/providers/Microsoft.Authorization/locks/{name}.`,
    );
  }
  return armRoutes.dispatch(ctx, req, canonicalArmPath(req.path));
}

async function createSnapshot(ctx: ArmContext, req: ApiRequest, params: RouteParams): Promise<Reply> {
  const body = parseBody(snapshotBodySchema, req.body);
  const sourceId = body.properties.creationData.sourceResourceId;
  const createOption = body.properties.creationData.createOption;
  const incremental = body.properties.incremental ?? false;
  let source: ArmResource | undefined;
  if (createOption === "Copy" || createOption === "CopyStart") {
    if (!sourceId) throw new ArmFault(400, "InvalidParameter", "creationData.sourceResourceId is required for createOption Copy.");
    source = findResource(ctx, sourceId.startsWith("/") ? sourceId : `/${sourceId}`);
    if (!source) throw new ArmFault(404, "NotFound", `Resource ${sourceId} is not found.`);
    // azure-compute-docs disks-copy-incremental-snapshot-across-regions.md: only CopyStart crosses regions.
    if (createOption === "Copy" && source.location && source.location.toLowerCase() !== body.location.toLowerCase()) {
      throw new ArmFault(400, "BadRequest", `The snapshot must be in the same region as its source (${source.location}); use CopyStart for incremental cross-region copies.`);
    }
    // incrementalRestrictions: "You can't create an incremental snapshot for a particular disk outside of that disk's subscription."
    if (incremental && source.type === "Microsoft.Compute/disks" && subscriptionOf(source.id) !== params.sub!.toLowerCase()) {
      throw new ArmFault(400, "BadRequest", `An incremental snapshot of disk '${source.name}' can only be created in the disk's subscription (${subscriptionOf(source.id)}).`);
    }
  }
  const existing = findResource(ctx, canonicalArmPath(req.path));
  const sourceProps = (source?.properties ?? {}) as Record<string, unknown>;
  const sourceSku = (source?.sku?.name ?? "").toLowerCase();
  // incrementalRestrictions: an incremental snapshot of an Ultra Disk or Premium SSD v2 fills through a background copy;
  // incrementalDocs: snapshots of other disk types always report 100%.
  const backgroundCopy = incremental && source?.type === "Microsoft.Compute/disks" && backgroundCopySkus.has(sourceSku);
  if (backgroundCopy && source) {
    // incrementalRestrictions: "While a background copy is ongoing, you can have up to three total snapshots pending.
    // The process must complete before any more snapshots of that disk can be created." (No page gives the error: 409.)
    const pending = familyOf(ctx, source.id).filter((s) => s.id.toLowerCase() !== canonicalArmPath(req.path).toLowerCase() && Number(s.properties.completionPercent ?? 100) < 100);
    if (pending.length >= 3) {
      throw new ArmFault(409, "Conflict", `Disk '${source.name}' already has ${pending.length} incremental snapshots pending their background copy; wait for them to complete.`);
    }
  }
  const id = `/subscriptions/${params.sub!}/resourceGroups/${params.rg!}/providers/Microsoft.Compute/snapshots/${params.name!}`;
  const properties: Record<string, unknown> = {
    creationData: { ...body.properties.creationData, ...(source?.type === "Microsoft.Compute/disks" && sourceProps.uniqueId ? { sourceUniqueId: sourceProps.uniqueId } : {}) },
    incremental,
    diskSizeGB: sourceProps.diskSizeGB ?? 0,
    ...(sourceProps.diskSizeBytes !== undefined ? { diskSizeBytes: sourceProps.diskSizeBytes } : typeof sourceProps.diskSizeGB === "number" ? { diskSizeBytes: sourceProps.diskSizeGB * 1024 ** 3 } : {}),
    ...(sourceProps.osType !== undefined ? { osType: sourceProps.osType } : {}),
    ...(sourceProps.encryption !== undefined ? { encryption: sourceProps.encryption } : { encryption: { type: "EncryptionAtRestWithPlatformKey" } }),
    ...(sourceProps.encryptionSettingsCollection !== undefined ? { encryptionSettingsCollection: sourceProps.encryptionSettingsCollection } : {}),
    uniqueId: ctx.ids.uuid(),
    timeCreated: ctx.clock.now().toISOString(),
    diskState: "Unattached",
    completionPercent: backgroundCopy ? 0 : 100,
    provisioningState: "Updating",
  };
  const snapshot = {
    id,
    name: params.name!,
    type: "Microsoft.Compute/snapshots",
    location: body.location,
    tags: body.tags ?? {},
    sku: body.sku ?? { name: incremental ? "Standard_ZRS" : "Standard_LRS" },
    properties,
  };
  const resources = ctx.state.arm.resources;
  if (existing) resources.splice(resources.indexOf(existing), 1);
  resources.push(snapshot);
  const sourceRuntime = source?.type === "Microsoft.Compute/snapshots" ? runtimeOf(ctx, source) : undefined;
  ctx.snapshots.set(id.toLowerCase(), {
    pendingGets: 1,
    fail: ctx.lroFail,
    copyStep: backgroundCopy ? backgroundCopyStep : 0,
    imageDiskId: sourceRuntime?.imageDiskId ?? source?.id ?? id,
    exports: [],
  });
  return { status: 202, body: snapshot };
}

/** SecurityAlert rows as Microsoft.Security alerts (azure-reference section 5.4 mapping). */
function securityAlerts(tables: ScenarioTables, subscriptionId: string): unknown[] {
  const table = tables.SecurityAlert;
  if (!table) return [];
  const parse = (v: unknown): unknown => {
    if (typeof v !== "string" || v === "") return v ?? null;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  };
  return table.rows.map((row) => {
    const r = Object.fromEntries(table.columns.map((c, i) => [c.name, row[i]])) as Record<string, unknown>;
    const name = String(r.SystemAlertId || r.VendorOriginalId || "alert");
    return {
      id: `/subscriptions/${subscriptionId}/providers/Microsoft.Security/locations/centralus/alerts/${name}`,
      name,
      type: "Microsoft.Security/Locations/alerts",
      properties: {
        alertType: r.AlertName ?? "",
        systemAlertId: r.SystemAlertId ?? "",
        productComponentName: r.ProductComponentName ?? "",
        alertDisplayName: r.DisplayName || r.AlertName || "",
        description: r.Description ?? "",
        severity: r.AlertSeverity ?? "",
        intent: String(r.Tactics ?? "").split(",").map((s) => s.trim()).filter(Boolean).join(","),
        startTimeUtc: r.StartTime ?? null,
        endTimeUtc: r.EndTime ?? null,
        timeGeneratedUtc: r.TimeGenerated ?? null,
        processingEndTimeUtc: r.ProcessingEndTime ?? null,
        resourceIdentifiers: r.ResourceId ? [{ type: "AzureResource", azureResourceId: r.ResourceId }] : [],
        remediationSteps: parse(r.RemediationSteps) ?? [],
        vendorName: r.VendorName ?? "",
        status: r.Status ?? "Active",
        alertUri: r.AlertLink ?? "",
        productName: r.ProductName ?? "",
        entities: parse(r.Entities) ?? [],
        isIncident: r.IsIncident ?? false,
        extendedProperties: parse(r.ExtendedProperties) ?? {},
        compromisedEntity: r.CompromisedEntity ?? "",
        techniques: String(r.Techniques ?? "").split(",").map((s) => s.trim()).filter(Boolean),
      },
    };
  });
}
