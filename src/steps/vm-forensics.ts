import { z } from "zod";
import { AzirError } from "../core/errors.js";
import { parseResourceId } from "../core/validate.js";
import { armApiVersions, backgroundCopyDiskSkus, computeDiskApiVersion, snapshotNameMaxLength } from "../entra/facts.js";

/**
 * What the three VM-forensics actions share: the shapes they read (ARM's wire JSON), the names and tags of the
 * evidence, and the snapshot records one action hands the next.
 */

export const guidSchema = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "expected a subscription id (GUID)");

/** A snapshot as `arm.snapshotDisks` records it for the export and the locks. */
export const snapshotRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  diskId: z.string(),
  diskName: z.string(),
  incremental: z.boolean(),
  /** Ultra Disk / Premium SSD v2: wait for the background copy before exporting. */
  backgroundCopy: z.boolean(),
  reused: z.boolean(),
});
export type SnapshotRecord = z.infer<typeof snapshotRecordSchema>;

/** The tag that binds evidence to its incident; a resource without it is not azir's to reuse. */
export const incidentTag = "azir-incident";

export interface ArmDisk {
  id: string;
  name: string;
  location?: string;
  sku?: { name?: string };
  properties?: {
    diskSizeGB?: number;
    diskSizeBytes?: number;
    osType?: string;
    encryption?: { type?: string; diskEncryptionSetId?: string };
    encryptionSettingsCollection?: {
      enabled?: boolean;
      encryptionSettings?: Array<{ diskEncryptionKey?: { secretUrl?: string; sourceVault?: { id?: string } }; keyEncryptionKey?: { keyUrl?: string } }>;
    };
    dataAccessAuthMode?: string;
  };
}

export interface ArmSnapshot {
  id: string;
  name: string;
  tags?: Record<string, string>;
  properties?: {
    creationData?: { sourceResourceId?: string };
    provisioningState?: string;
    diskState?: string;
    diskSizeBytes?: number;
    diskSizeGB?: number;
    completionPercent?: number;
    incremental?: boolean;
  };
}

/** Whether a disk of this SKU is snapshotted incrementally, in its own subscription, with a background copy. */
export function hasBackgroundCopy(sku: string | undefined): boolean {
  return backgroundCopyDiskSkus.some((s) => s.toLowerCase() === (sku ?? "").toLowerCase());
}

/** A name safe for a compute resource and a blob: letters, digits, `.`, `_`, `-`. */
function safe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "");
}

/** The snapshot's name: the disk's, then the incident's, cut to the service's limit and ending in a letter or digit. */
export function snapshotName(diskName: string, incidentId: string): string {
  const name = `${safe(diskName)}-${safe(incidentId)}`.slice(0, snapshotNameMaxLength);
  return name.replace(/[.-]+$/, "");
}

/** Where a disk's snapshot goes: the forensics resource group, or the disk's own for a disk with a background copy. */
export function snapshotIdFor(disk: ArmDisk, incidentId: string, forensics: { subscription: string; resourceGroup: string }): string {
  const own = parseResourceId(disk.id);
  if (!own) throw new AzirError("validation", `not a disk id: ${disk.id}`);
  const where = hasBackgroundCopy(disk.sku?.name) ? { subscription: own.subscriptionId, resourceGroup: own.resourceGroup } : forensics;
  return `/subscriptions/${where.subscription}/resourceGroups/${where.resourceGroup}/providers/Microsoft.Compute/snapshots/${snapshotName(disk.name, incidentId)}`;
}

/** The lock azir puts on evidence: one name per incident, so that a second run finds it. */
export function lockName(incidentId: string): string {
  return `azir-evidence-${safe(incidentId)}`.slice(0, 90);
}

export const lockPath = (scope: string, incidentId: string): string => `${scope}/providers/Microsoft.Authorization/locks/${lockName(incidentId)}`;

export const withApi = (path: string, version: string): string => `${path}?api-version=${version}`;
export const computeApi = (path: string): string => withApi(path, computeDiskApiVersion);
export const lockApi = (path: string): string => withApi(path, armApiVersions.locks);

/** The forensic copy's blob name: one folder per incident. */
export function copyBlobName(incidentId: string, snapshot: string): string {
  return `${safe(incidentId)}/${snapshot}.vhd`;
}

/** What the disk's encryption means for the examiner, or undefined for platform-managed keys. */
export function encryptionNote(disk: ArmDisk): string | undefined {
  const ade = disk.properties?.encryptionSettingsCollection;
  if (ade?.enabled) {
    const secrets = (ade.encryptionSettings ?? []).map((s) => s.diskEncryptionKey?.secretUrl).filter((u): u is string => Boolean(u));
    return `${disk.name} is encrypted with Azure Disk Encryption (BitLocker / dm-crypt inside the guest): the copy is ciphertext; the examiner unlocks it with the disk encryption key in Key Vault (${secrets.join(", ") || "secret URL not in the disk's settings"}), which needs get access to that secret`;
  }
  const type = disk.properties?.encryption?.type;
  if (type && /CustomerKey/i.test(type)) {
    return `${disk.name} is encrypted at rest with a customer-managed key (${disk.properties?.encryption?.diskEncryptionSetId ?? "disk encryption set"}): the snapshot keeps that key; its export reads plaintext, so the copy is readable as long as the key is enabled`;
  }
  return undefined;
}
