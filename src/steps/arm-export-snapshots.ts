import { z } from "zod";
import { AzirError } from "../core/errors.js";
import type { Effect, SnapshotExportResult } from "../core/effects.js";
import type { BlobFacts, ContainerFacts } from "../core/ports.js";
import { armActionPermissions } from "../entra/permissions.js";
import type { ActionDefinition, Note } from "./types.js";
import { computeApi, copyBlobName, snapshotRecordSchema, type ArmSnapshot, type SnapshotRecord } from "./vm-forensics.js";

/** Input of `arm.exportSnapshots`. */
export const exportSnapshotsInput = z.object({
  snapshots: z.array(snapshotRecordSchema).describe("findings.<snapshot step>.snapshots"),
  storageAccountId: z.string().min(1).describe("The forensics storage account's resource id"),
  container: z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "a container name: 3-63 lower-case letters, digits and single hyphens"),
  incidentId: z.string().min(1),
  sasSeconds: z.coerce.number().int().min(300).max(86_400).default(7200),
});
export type ExportSnapshotsInput = z.infer<typeof exportSnapshotsInput>;

export interface ExportObservation {
  blobEndpoint: string;
  container: ContainerFacts | undefined;
  /** `snapshot` is undefined when it does not exist yet (a dry run plans it in the step before). */
  snapshots: Array<{ record: SnapshotRecord; snapshot: ArmSnapshot | undefined; blob: string; copy: BlobFacts | undefined }>;
}

/** A copy as the journal keeps it: where, how big, its SHA-256, how it was made. */
export interface CopyRecord {
  snapshotId: string;
  blobUrl: string;
  bytes: number;
  sha256: string;
  method: SnapshotExportResult["method"] | "recorded earlier";
  startedAt?: string;
  copyStartedAt?: string;
  finishedAt?: string;
}

const permissions = armActionPermissions["arm.exportSnapshots"];
const endGetAccess = (id: string): string => computeApi(`${id}/endGetAccess`);

/** The copy of this snapshot for this incident, with its hash, already in the container. */
function recorded(copy: BlobFacts | undefined, record: SnapshotRecord, incidentId: string): boolean {
  return Boolean(copy?.metadata.sha256 && copy.metadata.incident === incidentId && copy.metadata.snapshot === record.id);
}

/**
 * `arm.exportSnapshots`: each snapshot copied into the forensics container (another subscription, its own RBAC),
 * hashed as stored, the hash written on the copy and in the journal. The read SAS lives inside the export effect and
 * is revoked by its clean-up in every outcome; a SAS left active by a killed run is revoked first. A copy whose hash
 * is recorded on it for this incident is not made again.
 */
export const exportSnapshots: ActionDefinition<ExportSnapshotsInput, ExportObservation> = {
  name: "arm.exportSnapshots",
  description: "Copy each snapshot to the forensics storage container with a short-lived SAS (revoked in every case), and record the copy's SHA-256.",
  permissions: permissions.needs,
  input: exportSnapshotsInput,
  outputs: ["copies", "container", "immutability"],

  async read(input, ctx) {
    const account = await ctx.arm.getResource<{ properties?: { primaryEndpoints?: { blob?: string } } }>(input.storageAccountId);
    const blobEndpoint = account.properties?.primaryEndpoints?.blob;
    if (!blobEndpoint) throw new AzirError("validation", `storage account ${input.storageAccountId} has no blob endpoint`, { hint: "the forensics account must be a general-purpose v2 or BlockBlobStorage account" });
    const container = await ctx.storage.findContainer(blobEndpoint, input.container);
    const snapshots = await Promise.all(
      input.snapshots.map(async (record) => {
        const blob = copyBlobName(input.incidentId, record.name);
        const [snapshot, copy] = await Promise.all([ctx.arm.findResource<ArmSnapshot>(record.id), container ? ctx.storage.findBlob(blobEndpoint, input.container, blob) : Promise.resolve(undefined)]);
        return { record, snapshot, blob, copy };
      }),
    );
    return { blobEndpoint, container, snapshots };
  },

  decide(input, observed) {
    const notes: Note[] = [];
    const effects: Effect[] = [];
    const copies: CopyRecord[] = [];
    const { container } = observed;
    const immutability = container ? (container.hasImmutabilityPolicy ? "policy" : container.hasLegalHold ? "legal hold" : "none") : "none (container created by azir)";
    if (!container?.hasImmutabilityPolicy && !container?.hasLegalHold) {
      notes.push({
        summary: `the forensics container ${input.container} has no immutability policy or legal hold: the copies can be overwritten or deleted by anyone with blob write access (the account's lock stops only the account's deletion); set a time-based retention policy on it; the recorded SHA-256 shows any change`,
        data: { severity: "medium" },
      });
    }
    for (const { record, snapshot, blob, copy } of observed.snapshots) {
      if (snapshot?.properties?.diskState === "ActiveSAS") {
        effects.push({
          kind: "arm.request",
          key: `revoke-stale:${record.id}`,
          method: "POST",
          path: endGetAccess(record.id),
          permission: armActionPermissions["arm.exportSnapshots"].needs[1],
          summary: `revoke the SAS an interrupted run left active on ${record.name}`,
          target: record.id,
        });
      }
      if (recorded(copy, record, input.incidentId)) {
        copies.push({ snapshotId: record.id, blobUrl: `${observed.blobEndpoint.replace(/\/?$/, "/")}${input.container}/${blob}`, bytes: copy!.bytes, sha256: copy!.metadata.sha256!, method: "recorded earlier", ...(copy!.metadata.copiedat ? { finishedAt: copy!.metadata.copiedat } : {}) });
        notes.push(`${record.name}: copied earlier for this incident (SHA-256 ${copy!.metadata.sha256} recorded on the copy); not copied again`);
        continue;
      }
      effects.push({
        kind: "snapshot.export",
        key: `export:${record.id}`,
        phase: 1,
        abortable: true,
        snapshotId: record.id,
        sasSeconds: input.sasSeconds,
        waitForBackgroundCopy: record.backgroundCopy,
        destination: { blobEndpoint: observed.blobEndpoint, container: input.container, blob },
        metadata: { incident: input.incidentId, snapshot: record.id, disk: record.diskId },
        permission: permissions.write,
        summary: `copy snapshot ${record.name} to ${input.container}/${blob} (read SAS ${input.sasSeconds} s, revoked after) and hash it`,
        target: record.id,
        cleanup: [
          {
            kind: "arm.request",
            key: `revoke:${record.id}`,
            method: "POST",
            path: endGetAccess(record.id),
            permission: armActionPermissions["arm.exportSnapshots"].needs[1],
            summary: `revoke the read SAS of ${record.name}`,
            target: record.id,
          },
        ],
      });
    }
    return {
      effects,
      notes,
      outputs: { copies, container: `${observed.blobEndpoint.replace(/\/?$/, "/")}${input.container}`, immutability },
      ...(effects.length === 0 ? { done: `every snapshot is in ${input.container} with its SHA-256 recorded` } : {}),
    };
  },

  interpret(_input, observed, decision, outcomes) {
    const copies = [...((decision.outputs?.copies as CopyRecord[] | undefined) ?? [])];
    const failures: string[] = [];
    let code: AzirError["code"] = "service";
    for (const o of outcomes) {
      if (o.ok && o.effect.kind === "snapshot.export") {
        const r = o.value as SnapshotExportResult;
        copies.push({ snapshotId: o.effect.snapshotId, blobUrl: r.blobUrl, bytes: r.bytes, sha256: r.sha256, method: r.method, startedAt: r.startedAt, copyStartedAt: r.copyStartedAt, finishedAt: r.finishedAt });
      } else if (!o.ok) {
        const e = o.error instanceof AzirError ? o.error : undefined;
        if (e) code = e.code;
        const what = o.effect.key.startsWith("revoke") ? `REVOKE FAILED for ${o.effect.target} (revoke it by hand: az snapshot revoke-access --ids ${o.effect.target})` : `${o.effect.summary}`;
        failures.push(`${what}: ${o.error instanceof Error ? o.error.message : String(o.error)}`);
      }
    }
    const notes: Note[] = copies
      .filter((c) => c.method !== "recorded earlier")
      .map((c) => ({ summary: `copied ${c.snapshotId.split("/").at(-1)} to ${c.blobUrl} (${c.bytes} bytes, ${c.method}); SHA-256 ${c.sha256}`, data: { ...c } }));
    if (failures.length > 0) {
      return {
        outputs: { copies },
        notes,
        error: new AzirError(code, `${failures.length} forensic copy step(s) of ${observed.snapshots.length} snapshot(s) failed: ${failures.join("; ")}`, {
          hint: "run azir snapshot again (or --resume): recorded copies are kept, and any SAS still active is revoked first",
        }),
      };
    }
    return { outputs: { copies }, notes };
  },
};
