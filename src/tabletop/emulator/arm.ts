import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Clock } from "../../core/clock.js";
import type { IdSource } from "../../core/ids.js";
import type { ScenarioTables, TenantState } from "../scenario/schema.js";
import { RouteTable, type Route, type RouteParams } from "./router.js";
import type { ApiRequest, Reply } from "./types.js";

export interface ArmContext {
  state: TenantState;
  tables: ScenarioTables;
  clock: Clock;
  ids: IdSource;
  /** Long-running operations in flight, by id. */
  operations: Map<string, ArmOperation>;
  /** The operation this request starts is to end Failed (fault injection). */
  lroFail: boolean;
}

/** An emulated long-running operation (azure-docs async-operations.md): answers InProgress once, then its outcome. */
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
type ArmRoute = Route<ArmContext, ApiRequest, Reply>;

const specs = "azure-rest-api-specs specification";
const snapshotSpec = `${specs}/compute/resource-manager/Microsoft.Compute/DiskRP/stable/2025-01-02/snapshot.json`;
const locksSpec = `${specs}/resources/resource-manager/Microsoft.Authorization/stable/2020-05-01/locks.json`;
const asyncOperations = "azure-docs articles/azure-resource-manager/management/async-operations.md";

function findResource(ctx: ArmContext, id: string): ArmResource | undefined {
  return ctx.state.arm.resources.find((r) => r.id.toLowerCase() === canonicalArmPath(id).toLowerCase());
}

/** Moves an operation on at each poll: InProgress once, so that clients really poll, then its outcome. */
function poll(ctx: ArmContext, id: string): ArmOperation {
  const operation = ctx.operations.get(id);
  if (!operation) throw new ArmFault(404, "OperationNotFound", `The operation '${id}' was not found.`);
  if (!operation.status) {
    operation.polls += 1;
    if (operation.polls >= 2) {
      if (operation.fail) {
        operation.status = "Failed";
        operation.abandon();
      } else {
        operation.status = "Succeeded";
        operation.result = operation.complete();
      }
    }
  }
  return operation;
}

const lockRoute = (method: string, handle: (ctx: ArmContext, req: ApiRequest, lock: { scope: string; name: string; id: string; existing: ArmResource | undefined }) => Reply): ArmRoute => ({
  method,
  pattern: "/{scope+}/providers/Microsoft.Authorization/locks/{name}",
  source: `${locksSpec} (ManagementLocks_*ByScope)`,
  handle(ctx, req, params) {
    const scope = `/${params.scope!}`;
    const id = `${scope}/providers/Microsoft.Authorization/locks/${params.name!}`;
    return handle(ctx, req, { scope, name: params.name!, id, existing: findResource(ctx, id) });
  },
});

/** A snapshot action: `prepare` checks the request now and returns what completing the operation does. */
const snapshotAction = (action: "beginGetAccess" | "endGetAccess", prepare: (ctx: ArmContext, req: ApiRequest, snapshot: ArmResource) => () => unknown): ArmRoute => ({
  method: "POST",
  pattern: `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/snapshots/{name}/${action}`,
  source: `${snapshotSpec} (Snapshots_${action[0]!.toUpperCase()}${action.slice(1)})`,
  handle(ctx, req, params) {
    const snapshot = findResource(ctx, `/subscriptions/${params.sub!}/resourceGroups/${params.rg!}/providers/Microsoft.Compute/snapshots/${params.name!}`);
    if (!snapshot) throw new ArmFault(404, "ResourceNotFound", `The Resource 'Microsoft.Compute/snapshots/${params.name!}' under resource group '${params.rg!}' was not found.`);
    return startOperation(ctx, req, params.sub!, snapshot.location ?? "westeurope", prepare(ctx, req, snapshot), () => undefined, true);
  },
});

/** The ARM subset: compute snapshots and their long-running operations, management locks, Defender alerts, resource GETs. */
export const armRoutes = new RouteTable<ArmContext, ApiRequest, Reply>(
  [
    {
      method: "GET",
      pattern: "/subscriptions/{sub}/providers/Microsoft.Compute/locations/{location}/operations/{id}",
      source: `${asyncOperations} (Azure-AsyncOperation status)`,
      handle(ctx, _req, params) {
        const operation = poll(ctx, params.id!);
        const body: Record<string, unknown> = { name: params.id, startTime: operation.startTime, status: operation.status ?? "InProgress" };
        if (operation.status) body.endTime = ctx.clock.now().toISOString();
        if (operation.status === "Failed") body.error = { code: "InternalOperationError", message: "The emulated operation failed (fault injection)." };
        if (operation.status === "Succeeded" && operation.result !== undefined) body.properties = { output: operation.result };
        return { status: 200, body };
      },
    },
    {
      method: "GET",
      pattern: "/subscriptions/{sub}/providers/Microsoft.Compute/locations/{location}/operationResults/{id}",
      source: `${asyncOperations} (Location: 202 until done, then the result)`,
      handle(ctx, _req, params) {
        const operation = poll(ctx, params.id!);
        if (!operation.status) return { status: 202, headers: { "Retry-After": "0" } };
        if (operation.status === "Failed") throw new ArmFault(409, "OperationFailed", "The operation failed.");
        return { status: 200, body: operation.result ?? {} };
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
    snapshotAction("beginGetAccess", (ctx, req, snapshot) => {
      const sas = sasFor(ctx, req, snapshot);
      return () => {
        (snapshot.properties as Record<string, unknown>).diskState = "ActiveSAS";
        return { accessSAS: sas };
      };
    }),
    snapshotAction("endGetAccess", (_ctx, _req, snapshot) => () => {
      (snapshot.properties as Record<string, unknown>).diskState = "Unattached";
      return undefined;
    }),
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
    {
      method: "PUT",
      pattern: "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/snapshots/{name}",
      source: `${snapshotSpec} (Snapshots_CreateOrUpdate)`,
      handle: createSnapshot,
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
export function handleArm(ctx: ArmContext, req: ApiRequest): Reply {
  // Every ARM call carries api-version (azure-rest-api-specs common-types/resource-management/v5/types.json ApiVersionParameter).
  if (!req.query.get("api-version")) throw new ArmFault(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
  return armRoutes.dispatch(ctx, req, canonicalArmPath(req.path));
}

function sasFor(ctx: ArmContext, req: ApiRequest, snapshot: ArmResource): string {
  const body = parseBody(grantAccessSchema, req.body);
  const expiry = new Date(ctx.clock.now().getTime() + body.durationInSeconds * 1000).toISOString();
  return `${req.origin}/_tabletop/blob/${encodeURIComponent(snapshot.name)}/abcd?sv=2022-11-02&sr=b&sp=r&se=${encodeURIComponent(expiry)}&sig=${randomBytes(24).toString("base64url")}`;
}

function createSnapshot(ctx: ArmContext, req: ApiRequest, params: RouteParams): Reply {
  const body = parseBody(snapshotBodySchema, req.body);
  const sourceId = body.properties.creationData.sourceResourceId;
  const createOption = body.properties.creationData.createOption;
  let source: ArmResource | undefined;
  if (createOption === "Copy" || createOption === "CopyStart") {
    if (!sourceId) throw new ArmFault(400, "InvalidParameter", "creationData.sourceResourceId is required for createOption Copy.");
    source = findResource(ctx, sourceId);
    if (!source) throw new ArmFault(404, "NotFound", `Resource ${sourceId} is not found.`);
    // azure-compute-docs disks-copy-incremental-snapshot-across-regions.md: only CopyStart crosses regions.
    if (createOption === "Copy" && source.location && source.location.toLowerCase() !== body.location.toLowerCase()) {
      throw new ArmFault(400, "BadRequest", `The snapshot must be in the same region as its source (${source.location}); use CopyStart for incremental cross-region copies.`);
    }
  }
  const existing = findResource(ctx, canonicalArmPath(req.path));
  const sourceProps = (source?.properties ?? {}) as Record<string, unknown>;
  const snapshot = {
    id: `/subscriptions/${params.sub!}/resourceGroups/${params.rg!}/providers/Microsoft.Compute/snapshots/${params.name!}`,
    name: params.name!,
    type: "Microsoft.Compute/snapshots",
    location: body.location,
    tags: body.tags ?? {},
    sku: body.sku ?? { name: "Standard_LRS" },
    properties: {
      creationData: body.properties.creationData,
      incremental: body.properties.incremental ?? false,
      diskSizeGB: sourceProps.diskSizeGB ?? 0,
      osType: sourceProps.osType,
      timeCreated: ctx.clock.now().toISOString(),
      diskState: "Unattached",
      provisioningState: "Creating",
    } as Record<string, unknown>,
  };
  const resources = ctx.state.arm.resources;
  if (existing) resources.splice(resources.indexOf(existing), 1);
  resources.push(snapshot);
  return startOperation(
    ctx,
    req,
    params.sub!,
    body.location,
    () => {
      snapshot.properties.provisioningState = "Succeeded";
      return undefined;
    },
    () => {
      snapshot.properties.provisioningState = "Failed";
    },
    false,
    snapshot,
  );
}

/** 202 with an absolute Azure-AsyncOperation URL (and Location for POST actions) on the emulator's origin. */
function startOperation(ctx: ArmContext, req: ApiRequest, subscriptionId: string, location: string, complete: () => unknown, abandon: () => void, withLocation: boolean, body?: unknown): Reply {
  const id = ctx.ids.uuid();
  ctx.operations.set(id, { polls: 0, fail: ctx.lroFail, startTime: ctx.clock.now().toISOString(), complete, abandon });
  const base = `${req.origin}/subscriptions/${subscriptionId}/providers/Microsoft.Compute/locations/${location}`;
  const apiVersion = encodeURIComponent(req.query.get("api-version") ?? "2025-01-02");
  const headers: Record<string, string> = {
    "Azure-AsyncOperation": `${base}/operations/${id}?api-version=${apiVersion}`,
    "Retry-After": "0",
  };
  if (withLocation) headers.Location = `${base}/operationResults/${id}?api-version=${apiVersion}`;
  return { status: 202, headers, ...(body !== undefined ? { body } : {}) };
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
