import { z } from "zod";
import { AzirError } from "../core/errors.js";
import type { Effect } from "../core/effects.js";
import { isResourceId, parseResourceId } from "../core/validate.js";
import { armActionPermissions } from "../entra/permissions.js";
import type { ActionDefinition, Note, ReadContext } from "./types.js";
import { computeApi, encryptionNote, guidSchema, hasBackgroundCopy, incidentTag, snapshotIdFor, type ArmDisk, type ArmSnapshot, type SnapshotRecord } from "./vm-forensics.js";

/** Input of `arm.snapshotDisks`. */
export const snapshotDisksInput = z.object({
  vm: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe("The VM's name or resource id, or a list of them (the VMs Defender's alerts point at)"),
  resourceGroup: z.string().nullish().describe("The VM's resource group, when a name is given"),
  subscription: guidSchema.nullish().describe("The VM's subscription, when a name is given"),
  incidentId: z.string().min(1),
  forensicsSubscription: guidSchema.nullish(),
  forensicsResourceGroup: z.string().min(1).nullish(),
});
export type SnapshotDisksInput = z.infer<typeof snapshotDisksInput>;

interface ArmVm {
  id: string;
  name: string;
  location?: string;
  properties?: {
    vmId?: string;
    storageProfile?: {
      osDisk?: { name?: string; managedDisk?: { id?: string }; vhd?: { uri?: string } };
      dataDisks?: Array<{ lun?: number; name?: string; managedDisk?: { id?: string }; vhd?: { uri?: string } }>;
    };
  };
}

/** What was read of one VM. */
export interface VmObservation {
  vm: ArmVm;
  /** `PowerState/running`'s last part, or undefined when the instance view could not be read. */
  powerState?: string;
  powerStateError?: string;
  disks: ArmDisk[];
  /** Disks that are not managed (a VHD in a storage account): no snapshot can be taken of them. */
  unmanaged: Array<{ name: string; uri: string }>;
  /** The snapshot each disk would get, and what is there already. */
  existing: Record<string, ArmSnapshot | undefined>;
}

export interface SnapshotDisksObservation {
  vms: VmObservation[];
  forensics: { subscription: string; resourceGroup: string };
}

const permissions = armActionPermissions["arm.snapshotDisks"];

/** The VM's resource id from a name (looked up in the subscription), a name and a resource group, or an id. */
async function vmIdOf(vm: string, input: SnapshotDisksInput, ctx: ReadContext): Promise<string> {
  if (vm.startsWith("/")) {
    const parsed = isResourceId(vm) ? parseResourceId(vm) : undefined;
    if (!parsed || parsed.type.toLowerCase() !== "microsoft.compute/virtualmachines") throw new AzirError("usage", `not a virtual machine's resource id: ${vm}`, { hint: "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<name>" });
    return vm;
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(vm)) throw new AzirError("usage", `not a virtual machine name: ${JSON.stringify(vm)}`);
  if (!input.subscription) throw new AzirError("usage", `no subscription to find ${vm} in`, { hint: "pass --subscription, set AZIR_SUBSCRIPTION, or give the VM's resource id" });
  if (input.resourceGroup) return `/subscriptions/${input.subscription}/resourceGroups/${input.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${vm}`;
  const found = (await ctx.arm.listVirtualMachines(input.subscription)).filter((v) => v.name.toLowerCase() === vm.toLowerCase());
  if (found.length === 0) throw new AzirError("not-found", `no virtual machine named ${vm} in subscription ${input.subscription}`, { hint: "check the name, or give --resource-group or the VM's resource id" });
  if (found.length > 1) throw new AzirError("usage", `${found.length} virtual machines are named ${vm}: ${found.map((v) => v.id).join(", ")}`, { hint: "give --resource-group or the VM's resource id" });
  return found[0]!.id;
}

async function observeVm(vmRef: string, input: SnapshotDisksInput, forensics: { subscription: string; resourceGroup: string }, ctx: ReadContext): Promise<VmObservation> {
  const vm = await ctx.arm.getResource<ArmVm>(await vmIdOf(vmRef, input, ctx));
  let powerState: string | undefined;
  let powerStateError: string | undefined;
  try {
    const view = await ctx.arm.getResource<{ statuses?: Array<{ code?: string }> }>(`${vm.id}/instanceView`);
    powerState = view.statuses?.map((s) => s.code ?? "").find((c) => c.startsWith("PowerState/"))?.slice("PowerState/".length);
  } catch (error) {
    powerStateError = error instanceof Error ? error.message : String(error);
  }
  const profile = vm.properties?.storageProfile;
  const attached = [profile?.osDisk, ...(profile?.dataDisks ?? [])].filter((d): d is NonNullable<typeof d> => Boolean(d));
  const unmanaged = attached.filter((d) => !d.managedDisk?.id && d.vhd?.uri).map((d) => ({ name: d.name ?? "(unnamed)", uri: d.vhd!.uri! }));
  const disks = await Promise.all(attached.flatMap((d) => (d.managedDisk?.id ? [ctx.arm.getResource<ArmDisk>(d.managedDisk.id)] : [])));
  const existing = Object.fromEntries(await Promise.all(disks.map(async (d) => [d.id, await ctx.arm.findResource<ArmSnapshot>(snapshotIdFor(d, input.incidentId, forensics))] as const)));
  return { vm, ...(powerState ? { powerState } : {}), ...(powerStateError ? { powerStateError } : {}), disks, unmanaged, existing };
}

function decideVm(input: SnapshotDisksInput, observed: VmObservation, forensics: { subscription: string; resourceGroup: string }): { effects: Effect[]; notes: Note[]; snapshots: SnapshotRecord[] } {
  const { vm, disks } = observed;
  const notes: Note[] = [];
  const state = observed.powerState?.toLowerCase();
  if (state === undefined) {
    notes.push({ summary: `power state of ${vm.name} not read (${observed.powerStateError ?? "no PowerState in the instance view"}): check it before anyone touches the VM`, data: { severity: "medium" } });
  } else if (state !== "running") {
    notes.push({
      summary: `WARNING: ${vm.name} is already ${state}, not running: memory and running processes are lost; the disks are the evidence left. Do not delete or resize them.`,
      data: { severity: "high", powerState: state },
    });
  }
  const effects: Effect[] = [];
  const snapshots: SnapshotRecord[] = [];
  for (const disk of disks) {
    const id = snapshotIdFor(disk, input.incidentId, forensics);
    const name = id.split("/").at(-1)!;
    const backgroundCopy = hasBackgroundCopy(disk.sku?.name);
    const found = observed.existing[disk.id];
    const ours = found && found.tags?.[incidentTag] === input.incidentId && (found.properties?.creationData?.sourceResourceId ?? "").toLowerCase() === disk.id.toLowerCase();
    if (found && !ours) {
      throw new AzirError("validation", `a snapshot named ${name} exists and was not taken of ${disk.name} for incident ${input.incidentId}`, {
        hint: "give this incident its own id (--incident) or move that snapshot; azir never overwrites a snapshot it did not take",
      });
    }
    const reused = Boolean(ours && found?.properties?.provisioningState === "Succeeded");
    snapshots.push({ id, name, diskId: disk.id, diskName: disk.name, incremental: backgroundCopy, backgroundCopy, reused });
    const encryption = encryptionNote(disk);
    if (encryption) notes.push({ summary: encryption, data: { disk: disk.id } });
    if (disk.properties?.dataAccessAuthMode === "AzureActiveDirectory") {
      notes.push(`${disk.name} requires Entra ID authorization to export (dataAccessAuthMode AzureActiveDirectory): the copy needs the Data Operator for Managed Disks role as well`);
    }
    if (reused) {
      notes.push(`${disk.name}: snapshot ${name} of this incident exists (taken ${found?.properties?.provisioningState === "Succeeded" ? "earlier" : "?"}); reused`);
      continue;
    }
    if (backgroundCopy) {
      notes.push(`${disk.name} is ${disk.sku?.name}: its snapshot is incremental (the kind Microsoft documents for these disks), in the disk's own subscription (an incremental snapshot cannot be created outside it), and is exported once its background copy reaches 100%`);
    }
    effects.push({
      kind: "arm.request",
      key: `snapshot:${disk.id}`,
      method: "PUT",
      path: computeApi(id),
      body: {
        location: disk.location,
        tags: { [incidentTag]: input.incidentId, "azir-source-disk": disk.id, "azir-source-vm": vm.id },
        properties: { creationData: { createOption: "Copy", sourceResourceId: disk.id }, incremental: backgroundCopy },
      },
      permission: permissions.write,
      summary: `snapshot ${backgroundCopy ? "(incremental) " : "(full) "}${disk.name} of ${vm.name} as ${name}`,
      target: disk.id,
    });
  }
  return { effects, notes, snapshots };
}

/**
 * `arm.snapshotDisks`: a snapshot of every managed disk of the VM (OS and data), named and tagged with the incident,
 * all at once. A full snapshot goes to the forensics subscription; an Ultra Disk or Premium SSD v2 takes an
 * incremental one (the kind documented for them, filled by a background copy) in its own subscription, where an
 * incremental snapshot must be created.
 * Never stops, deallocates or deletes anything: a VM found stopped is said loudly.
 */
export const snapshotDisks: ActionDefinition<SnapshotDisksInput, SnapshotDisksObservation> = {
  name: "arm.snapshotDisks",
  description: "Snapshot every managed disk of a VM (full, tagged with the incident), without stopping it.",
  permissions: permissions.needs,
  input: snapshotDisksInput,
  outputs: ["vmId", "vmName", "powerState", "vms", "disks", "snapshots"],

  async read(input, ctx) {
    if (!input.forensicsSubscription || !input.forensicsResourceGroup) {
      throw new AzirError("usage", "no forensics subscription and resource group for the evidence", {
        hint: "pass --forensics-subscription and --forensics-resource-group (and --forensics-account), or set forensics: in the config",
      });
    }
    const forensics = { subscription: input.forensicsSubscription, resourceGroup: input.forensicsResourceGroup };
    const refs = [...new Set(Array.isArray(input.vm) ? input.vm : [input.vm])];
    return { vms: await Promise.all(refs.map((vm) => observeVm(vm, input, forensics, ctx))), forensics };
  },

  decide(input, observed) {
    const notes: Note[] = [];
    const effects: Effect[] = [];
    const snapshots: SnapshotRecord[] = [];
    const unmanaged: Array<Record<string, unknown>> = [];
    for (const one of observed.vms) {
      const part = decideVm(input, one, observed.forensics);
      notes.push(...part.notes);
      effects.push(...part.effects);
      snapshots.push(...part.snapshots);
      unmanaged.push(...one.unmanaged.map((d) => ({ id: d.name, name: d.name, vm: one.vm.name, vhd: d.uri.split("?")[0] })));
    }
    const first = observed.vms[0]!;
    const undecided =
      unmanaged.length > 0
        ? { summary: `${unmanaged.length} unmanaged disk(s) of ${first.vm.name} cannot be snapshotted`, hint: "copy each VHD blob to the forensics account by hand (az storage blob copy start), then hash it", items: unmanaged }
        : undefined;
    return {
      effects,
      notes,
      outputs: {
        vmId: first.vm.id,
        vmName: first.vm.name,
        powerState: first.powerState ?? null,
        vms: observed.vms.map((o) => ({ id: o.vm.id, name: o.vm.name, powerState: o.powerState ?? null })),
        disks: observed.vms.flatMap((o) => o.disks.map((d) => ({ vm: o.vm.name, id: d.id, name: d.name, sku: d.sku?.name ?? null, sizeGB: d.properties?.diskSizeGB ?? null, sizeBytes: d.properties?.diskSizeBytes ?? null, osType: d.properties?.osType ?? null, encryption: d.properties?.encryption?.type ?? null, azureDiskEncryption: Boolean(d.properties?.encryptionSettingsCollection?.enabled) }))),
        snapshots,
      },
      ...(undecided ? { undecided } : {}),
    };
  },

  interpret(_input, observed, _decision, outcomes) {
    const names = observed.vms.map((v) => v.vm.name).join(", ");
    const failed = outcomes.filter((o) => !o.ok);
    if (failed.length === 0) return {};
    const first = failed[0]!;
    const cause = first.ok ? undefined : first.error;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return {
      error: new AzirError(cause instanceof AzirError ? cause.code : "service", `${failed.length} of ${outcomes.length} snapshot(s) of ${names} failed: ${reason}`, {
        hint: "run azir snapshot again (or --resume the journal): the snapshots that succeeded are reused",
      }),
    };
  },
};
