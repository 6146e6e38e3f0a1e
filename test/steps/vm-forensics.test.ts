import { describe, expect, it } from "vitest";
import type { Effect } from "../../src/core/effects.js";
import { exportSnapshots, exportSnapshotsInput } from "../../src/steps/arm-export-snapshots.js";
import { lockEvidence } from "../../src/steps/arm-lock-evidence.js";
import { snapshotDisks, type SnapshotDisksObservation, type VmObservation } from "../../src/steps/arm-snapshot-disks.js";
import { snapshotName, type ArmDisk, type SnapshotRecord } from "../../src/steps/vm-forensics.js";
import { noteText } from "../helpers/action-harness.js";

// The VM-forensics decisions are pure: observations in, effects and notes out.

const sub = "11111111-1111-4111-8111-111111111111";
const forensicsSub = "22222222-2222-4222-8222-222222222222";
const vmId = `/subscriptions/${sub}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-app`;
const diskId = (name: string) => `/subscriptions/${sub}/resourceGroups/rg-app/providers/Microsoft.Compute/disks/${name}`;
const ctx = { now: new Date("2026-12-01T10:00:00Z"), incomplete: [] };
const input = { vm: "vm-app", resourceGroup: "rg-app", subscription: sub, incidentId: "ir-42", forensicsSubscription: forensicsSub, forensicsResourceGroup: "rg-evidence" };

const disk = (name: string, sku: string, extra: ArmDisk["properties"] = {}): ArmDisk => ({ id: diskId(name), name, location: "westeurope", sku: { name: sku }, properties: { diskSizeGB: 64, ...extra } });

function observed(disks: ArmDisk[], more: Partial<VmObservation> = {}): SnapshotDisksObservation {
  return { vms: [{ vm: { id: vmId, name: "vm-app" }, powerState: "running", disks, unmanaged: [], existing: {}, ...more }], forensics: { subscription: forensicsSub, resourceGroup: "rg-evidence" } };
}

const arm = (e: Effect) => {
  if (e.kind !== "arm.request") throw new Error(`expected an ARM request, got ${e.kind}`);
  return e;
};

describe("arm.snapshotDisks decide", () => {
  it("takes a full snapshot of each disk in the forensics subscription, concurrently, tagged with the incident", () => {
    const d = snapshotDisks.decide(input, observed([disk("os", "Premium_LRS"), disk("data", "StandardSSD_LRS")]), ctx);
    expect(d.effects.map((e) => [arm(e).method, arm(e).path, e.phase ?? 0])).toEqual([
      ["PUT", `/subscriptions/${forensicsSub}/resourceGroups/rg-evidence/providers/Microsoft.Compute/snapshots/os-ir-42?api-version=2025-01-02`, 0],
      ["PUT", `/subscriptions/${forensicsSub}/resourceGroups/rg-evidence/providers/Microsoft.Compute/snapshots/data-ir-42?api-version=2025-01-02`, 0],
    ]);
    expect(arm(d.effects[0]!).body).toMatchObject({ location: "westeurope", tags: { "azir-incident": "ir-42" }, properties: { creationData: { createOption: "Copy", sourceResourceId: diskId("os") }, incremental: false } });
    expect(d.notes).toEqual([]);
  });

  it("an Ultra Disk or Premium SSD v2 gets an incremental snapshot in its own subscription, exported after its background copy", () => {
    const d = snapshotDisks.decide(input, observed([disk("ultra", "UltraSSD_LRS"), disk("v2", "PremiumV2_LRS")]), ctx);
    for (const e of d.effects) {
      expect(arm(e).path).toContain(`/subscriptions/${sub}/resourceGroups/rg-app/providers/Microsoft.Compute/snapshots/`);
      expect(arm(e).body).toMatchObject({ properties: { incremental: true } });
    }
    const records = d.outputs?.snapshots as SnapshotRecord[];
    expect(records.every((r) => r.backgroundCopy && r.incremental)).toBe(true);
    expect(d.notes.map(noteText).join("\n")).toContain("background copy reaches 100%");
  });

  it("says loudly that a VM is already stopped, and never plans anything but snapshots", () => {
    const d = snapshotDisks.decide(input, observed([disk("os", "Premium_LRS")], { powerState: "deallocated" }), ctx);
    expect(noteText(d.notes[0]!)).toMatch(/^WARNING: vm-app is already deallocated/);
    expect(d.effects.every((e) => arm(e).method === "PUT" && /\/snapshots\//.test(arm(e).path))).toBe(true);
  });

  it("tells the examiner where the key of an Azure-Disk-Encryption disk is", () => {
    const ade = disk("os", "Premium_LRS", { encryptionSettingsCollection: { enabled: true, encryptionSettings: [{ diskEncryptionKey: { secretUrl: "https://kv-app.vault.azure.net/secrets/bek/1" } }] } });
    const d = snapshotDisks.decide(input, observed([ade]), ctx);
    expect(d.notes.map(noteText).join("\n")).toContain("Azure Disk Encryption");
    expect(d.notes.map(noteText).join("\n")).toContain("https://kv-app.vault.azure.net/secrets/bek/1");
  });

  it("reuses this incident's snapshot of the disk and refuses to overwrite one that is not", () => {
    const os = disk("os", "Premium_LRS");
    const id = `/subscriptions/${forensicsSub}/resourceGroups/rg-evidence/providers/Microsoft.Compute/snapshots/os-ir-42`;
    const ours = { id, name: "os-ir-42", tags: { "azir-incident": "ir-42" }, properties: { provisioningState: "Succeeded", creationData: { sourceResourceId: os.id } } };
    const reused = snapshotDisks.decide(input, observed([os], { existing: { [os.id]: ours } }), ctx);
    expect(reused.effects).toEqual([]);
    expect((reused.outputs?.snapshots as SnapshotRecord[])[0]!.reused).toBe(true);
    const foreign = { ...ours, tags: {} };
    expect(() => snapshotDisks.decide(input, observed([os], { existing: { [os.id]: foreign } }), ctx)).toThrow(/was not taken of os for incident ir-42/);
  });

  it("an unmanaged disk is not silently skipped: the step needs a decision", () => {
    const d = snapshotDisks.decide(input, observed([disk("os", "Premium_LRS")], { unmanaged: [{ name: "legacy", uri: "https://st.blob.core.windows.net/vhds/legacy.vhd?sig=x" }] }), ctx);
    expect(d.undecided?.summary).toContain("1 unmanaged disk(s)");
    expect(JSON.stringify(d.undecided)).not.toContain("sig=");
  });

  it("names fit the service's limit and end in a letter or digit", () => {
    const name = snapshotName("a".repeat(70), "incident-with-a-long-id-20261201");
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/[A-Za-z0-9]$/);
  });
});

const record = (name: string, backgroundCopy = false): SnapshotRecord => ({
  id: `/subscriptions/${forensicsSub}/resourceGroups/rg-evidence/providers/Microsoft.Compute/snapshots/${name}`,
  name,
  diskId: diskId(name),
  diskName: name,
  incremental: backgroundCopy,
  backgroundCopy,
  reused: false,
});
const accountId = `/subscriptions/${forensicsSub}/resourceGroups/rg-evidence/providers/Microsoft.Storage/storageAccounts/stevidence`;

describe("arm.exportSnapshots decide", () => {
  const exportInput = exportSnapshotsInput.parse({ snapshots: [record("os-ir-42"), record("ultra-ir-42", true)], storageAccountId: accountId, container: "evidence", incidentId: "ir-42" });
  const base = { blobEndpoint: "https://stevidence.blob.core.windows.net/", container: { hasImmutabilityPolicy: true, hasLegalHold: false } };

  it("exports each snapshot with a clean-up that revokes its SAS, waiting for the background copy where there is one", () => {
    const d = exportSnapshots.decide(exportInput, { ...base, snapshots: exportInput.snapshots.map((r) => ({ record: r, snapshot: { id: r.id, name: r.name }, blob: `ir-42/${r.name}.vhd`, copy: undefined })) }, ctx);
    expect(d.effects).toHaveLength(2);
    for (const e of d.effects) {
      if (e.kind !== "snapshot.export") throw new Error(e.kind);
      expect(e.abortable).toBe(true);
      expect(e.sasSeconds).toBe(7200);
      expect(e.cleanup?.map((c) => (c.kind === "arm.request" ? `${c.method} ${c.path}` : c.kind))).toEqual([`POST ${e.snapshotId}/endGetAccess?api-version=2025-01-02`]);
    }
    expect(d.effects.map((e) => e.kind === "snapshot.export" && e.waitForBackgroundCopy)).toEqual([false, true]);
    expect(d.notes).toEqual([]); // the container has an immutability policy
  });

  it("revokes first a SAS a killed run left active, and does not copy again what is recorded on the copy", () => {
    const [os, ultra] = exportInput.snapshots as [SnapshotRecord, SnapshotRecord];
    const d = exportSnapshots.decide(
      exportInput,
      {
        ...base,
        container: { hasImmutabilityPolicy: false, hasLegalHold: false },
        snapshots: [
          { record: os, snapshot: { id: os.id, name: os.name, properties: { diskState: "ActiveSAS" } }, blob: "ir-42/os-ir-42.vhd", copy: { bytes: 512, metadata: { sha256: "ab".repeat(32), incident: "ir-42", snapshot: os.id } } },
          { record: ultra, snapshot: { id: ultra.id, name: ultra.name, properties: { diskState: "ActiveSAS" } }, blob: "ir-42/ultra-ir-42.vhd", copy: { bytes: 512, metadata: {} } },
        ],
      },
      ctx,
    );
    expect(d.effects.map((e) => [e.key, e.phase ?? 0])).toEqual([
      [`revoke-stale:${os.id}`, 0],
      [`revoke-stale:${ultra.id}`, 0],
      [`export:${ultra.id}`, 1],
    ]);
    expect(d.outputs?.copies).toEqual([expect.objectContaining({ snapshotId: os.id, sha256: "ab".repeat(32), method: "recorded earlier" })]);
    expect(d.notes.map(noteText).join("\n")).toContain("has no immutability policy or legal hold");
  });

  it("a failed revoke is an error that says to revoke by hand", () => {
    const [os] = exportInput.snapshots as [SnapshotRecord];
    const observation = { ...base, snapshots: [{ record: os, snapshot: { id: os.id, name: os.name }, blob: "b", copy: undefined }] };
    const d = exportSnapshots.decide({ ...exportInput, snapshots: [os] }, observation, ctx);
    const exportEffect = d.effects[0]!;
    const revoke = exportEffect.cleanup![0]!;
    const result = exportSnapshots.interpret!({ ...exportInput, snapshots: [os] }, observation, d, [
      { effect: exportEffect, ok: true, value: { blobUrl: "https://x/evidence/b", bytes: 1, sha256: "cd".repeat(32), method: "server-side", startedAt: "", copyStartedAt: "", finishedAt: "" } },
      { effect: revoke, ok: false, error: new Error("403") },
    ], ctx);
    expect(result.error?.message).toContain("REVOKE FAILED");
    expect(result.error?.message).toContain(`az snapshot revoke-access --ids ${os.id}`);
    expect(result.outputs?.copies).toHaveLength(1);
  });
});

describe("arm.lockEvidence decide", () => {
  it("locks what has no lock of this incident and keeps the locks already there", () => {
    const snaps = [record("os-ir-42"), record("data-ir-42")];
    const d = lockEvidence.decide({ snapshots: snaps, storageAccountId: accountId, incidentId: "ir-42" }, [
      { scope: snaps[0]!.id, what: "snapshot os-ir-42", lock: { properties: { level: "CanNotDelete" } } },
      { scope: snaps[1]!.id, what: "snapshot data-ir-42", lock: undefined },
      { scope: accountId, what: "storage account stevidence", lock: undefined },
    ], ctx);
    expect(d.effects.map((e) => arm(e).path)).toEqual([
      `${snaps[1]!.id}/providers/Microsoft.Authorization/locks/azir-evidence-ir-42?api-version=2020-05-01`,
      `${accountId}/providers/Microsoft.Authorization/locks/azir-evidence-ir-42?api-version=2020-05-01`,
    ]);
    expect(arm(d.effects[0]!).body).toMatchObject({ properties: { level: "CanNotDelete" } });
    expect((d.outputs?.locks as Array<{ state: string }>).map((l) => l.state)).toEqual(["kept", "planned", "planned"]);
  });
});
