import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Clock } from "../../core/clock.js";
import type { IdSource } from "../../core/ids.js";
import type { ScenarioTables, TenantState } from "../scenario/schema.js";
import type { ApiRequest, Reply } from "./types.js";

export interface ArmContext {
  state: TenantState;
  tables: ScenarioTables;
  clock: Clock;
  ids: IdSource;
  /** Long-running operations in flight, by id. */
  operations: Map<string, ArmOperation>;
}

/** An emulated long-running operation: answers InProgress once, then its outcome. */
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

const resourcePattern = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/([^/]+)\/([^/]+)$/i;
const snapshotActionPattern = /^(\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/snapshots\/([^/]+))\/(beginGetAccess|endGetAccess)$/i;
const lockPattern = /^(\/subscriptions\/.+?)\/providers\/Microsoft\.Authorization\/locks\/([^/]+)$/i;
const operationPattern = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Compute\/locations\/([^/]+)\/(operations|operationResults)\/([^/]+)$/i;
const alertsPattern = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Security\/alerts$/i;

/** Normalises ARM's spelling quirks: `resourcegroups` and trailing slashes. */
export function canonicalArmPath(path: string): string {
  return path.replace(/\/resourcegroups\//i, "/resourceGroups/").replace(/\/+$/, "");
}

export function handleArm(ctx: ArmContext, req: ApiRequest, options: { lroFail: boolean }): Reply {
  const apiVersion = req.query.get("api-version");
  if (!apiVersion) throw new ArmFault(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
  const path = canonicalArmPath(req.path);
  const m = req.method.toUpperCase();
  const resources = ctx.state.arm.resources;
  const find = (id: string): (typeof resources)[number] | undefined => resources.find((r) => r.id.toLowerCase() === canonicalArmPath(id).toLowerCase());
  const now = ctx.clock.now().toISOString();

  const op = operationPattern.exec(path);
  if (op && m === "GET") {
    const operation = ctx.operations.get(op[4]!);
    if (!operation) throw new ArmFault(404, "OperationNotFound", `The operation '${op[4]}' was not found.`);
    if (!operation.status) {
      operation.polls += 1;
      // Answer InProgress once, so that clients really poll.
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
    if (op[3]!.toLowerCase() === "operationresults") {
      if (!operation.status) return { status: 202, headers: { "Retry-After": "0" } };
      if (operation.status === "Failed") throw new ArmFault(409, "OperationFailed", "The operation failed.");
      return { status: 200, body: operation.result ?? {} };
    }
    const body: Record<string, unknown> = { name: op[4], startTime: operation.startTime, status: operation.status ?? "InProgress" };
    if (operation.status) body.endTime = now;
    if (operation.status === "Failed") body.error = { code: "InternalOperationError", message: "The emulated operation failed (fault injection)." };
    if (operation.status === "Succeeded" && operation.result !== undefined) body.properties = { output: operation.result };
    return { status: 200, body };
  }

  const alerts = alertsPattern.exec(path);
  if (alerts && m === "GET") return { status: 200, body: { value: securityAlerts(ctx.tables, alerts[1]!) } };

  const lock = lockPattern.exec(path);
  if (lock) {
    const scope = lock[1]!;
    const name = lock[2]!;
    const id = `${scope}/providers/Microsoft.Authorization/locks/${name}`;
    const existing = find(id);
    if (m === "GET") {
      if (!existing) throw new ArmFault(404, "LockNotFound", `The lock '${name}' could not be found.`);
      return { status: 200, body: existing };
    }
    if (m === "DELETE") {
      if (existing) resources.splice(resources.indexOf(existing), 1);
      return { status: existing ? 200 : 204 };
    }
    if (m === "PUT") {
      const body = parseBody(lockBodySchema, req.body);
      if (!/^\/subscriptions\/[^/]+(\/resourceGroups\/[^/]+)?$/i.test(scope) && !find(scope)) {
        throw new ArmFault(404, "ResourceNotFound", `The Resource '${scope}' was not found.`);
      }
      const resource = { id, name, type: "Microsoft.Authorization/locks", tags: {}, properties: { level: body.properties.level, notes: body.properties.notes ?? "", owners: [] as unknown[] } };
      if (existing) resources.splice(resources.indexOf(existing), 1, resource);
      else resources.push(resource);
      return { status: existing ? 200 : 201, body: resource };
    }
  }

  const action = snapshotActionPattern.exec(path);
  if (action && m === "POST") {
    const snapshot = find(action[1]!);
    if (!snapshot) throw new ArmFault(404, "ResourceNotFound", `The Resource 'Microsoft.Compute/snapshots/${action[4]}' under resource group '${action[3]}' was not found.`);
    const location = snapshot.location ?? "westeurope";
    const props = snapshot.properties as Record<string, unknown>;
    if (action[5]!.toLowerCase() === "begingetaccess") {
      const body = parseBody(grantAccessSchema, req.body);
      const sas = `${req.origin}/_tabletop/blob/${encodeURIComponent(snapshot.name)}/abcd?sv=2022-11-02&sr=b&sp=r&se=${encodeURIComponent(new Date(ctx.clock.now().getTime() + body.durationInSeconds * 1000).toISOString())}&sig=${randomBytes(24).toString("base64url")}`;
      return startOperation(ctx, req, action[2]!, location, options.lroFail, () => {
        props.diskState = "ActiveSAS";
        return { accessSAS: sas };
      }, () => undefined, true);
    }
    return startOperation(ctx, req, action[2]!, location, options.lroFail, () => {
      props.diskState = "Unattached";
      return undefined;
    }, () => undefined, true);
  }

  const res = resourcePattern.exec(path);
  if (res) {
    const type = `${res[3]}/${res[4]}`;
    if (m === "GET") {
      const found = find(path);
      if (!found) throw new ArmFault(404, "ResourceNotFound", `The Resource '${type}/${res[5]}' under resource group '${res[2]}' was not found.`);
      return { status: 200, body: found };
    }
    if (m === "PUT" && type.toLowerCase() === "microsoft.compute/snapshots") {
      const body = parseBody(snapshotBodySchema, req.body);
      const sourceId = body.properties.creationData.sourceResourceId;
      const createOption = body.properties.creationData.createOption;
      let source: (typeof resources)[number] | undefined;
      if (createOption === "Copy" || createOption === "CopyStart") {
        if (!sourceId) throw new ArmFault(400, "InvalidParameter", "creationData.sourceResourceId is required for createOption Copy.");
        source = find(sourceId);
        if (!source) throw new ArmFault(404, "NotFound", `Resource ${sourceId} is not found.`);
        if (createOption === "Copy" && source.location && source.location.toLowerCase() !== body.location.toLowerCase()) {
          throw new ArmFault(400, "BadRequest", `The snapshot must be in the same region as its source (${source.location}); use CopyStart for incremental cross-region copies.`);
        }
      }
      const existing = find(path);
      const sourceProps = (source?.properties ?? {}) as Record<string, unknown>;
      const snapshot = {
        id: `/subscriptions/${res[1]}/resourceGroups/${res[2]}/providers/Microsoft.Compute/snapshots/${res[5]}`,
        name: res[5]!,
        type: "Microsoft.Compute/snapshots",
        location: body.location,
        tags: body.tags ?? {},
        sku: body.sku ?? { name: "Standard_LRS" },
        properties: {
          creationData: body.properties.creationData,
          incremental: body.properties.incremental ?? false,
          diskSizeGB: sourceProps.diskSizeGB ?? 0,
          osType: sourceProps.osType,
          timeCreated: now,
          diskState: "Unattached",
          provisioningState: "Creating",
        } as Record<string, unknown>,
      };
      if (existing) resources.splice(resources.indexOf(existing), 1);
      resources.push(snapshot);
      return startOperation(
        ctx,
        req,
        res[1]!,
        body.location,
        options.lroFail,
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
  }
  throw new ArmFault(m === "GET" ? 404 : 405, m === "GET" ? "NotFound" : "MethodNotAllowed", `${m} ${path} is not emulated.`);
}

function startOperation(
  ctx: ArmContext,
  req: ApiRequest,
  subscriptionId: string,
  location: string,
  fail: boolean,
  complete: () => unknown,
  abandon: () => void,
  withLocation: boolean,
  body?: unknown,
): Reply {
  const id = ctx.ids.uuid();
  ctx.operations.set(id, { polls: 0, fail, startTime: ctx.clock.now().toISOString(), complete, abandon });
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
