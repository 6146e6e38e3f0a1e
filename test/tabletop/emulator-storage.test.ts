import { createHash } from "node:crypto";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { ComputeManagementClient } from "@azure/arm-compute";
import { BlobClient, BlobServiceClient, StorageSharedKeyCredential, type StoragePipelineOptions } from "@azure/storage-blob";
import { Agent, fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { diskImageSha256, startEmulator, type Emulator } from "../../src/tabletop/emulator/index.js";
import { startTabletop } from "../../src/tabletop/index.js";
import { armResourceSchema, type Scenario } from "../../src/tabletop/scenario/schema.js";
import { diskId, fixtureScenario, ids, tableOnlyEngine } from "../azure/fixture.js";

// The emulator's storage side with the real SDK clients over HTTPS on 127.0.0.1: ARM (ComputeManagementClient
// 24.1.0) for snapshots and their export, Azurite (through @azure/storage-blob 12.29.1) for what the SAS serves.

const forensicsRg = `/subscriptions/${ids.forensics}/resourceGroups/rg-forensics`;
const storageAccountId = `${forensicsRg}/providers/Microsoft.Storage/storageAccounts/stcontosoforensics`;
const ultraDiskId = `/subscriptions/${ids.sub}/resourceGroups/rg-web/providers/Microsoft.Compute/disks/vm-web-01-ultra`;
const imageBytes = 1024 * 1024;

function scenario(): Scenario {
  const s = fixtureScenario();
  s.tenant.arm.resources.push(
    {
      id: storageAccountId,
      name: "stcontosoforensics",
      type: "Microsoft.Storage/storageAccounts",
      location: "westeurope",
      tags: {},
      sku: { name: "Standard_ZRS" },
      properties: { primaryEndpoints: { blob: "https://stcontosoforensics.blob.core.windows.net/" }, provisioningState: "Succeeded" },
    },
    {
      id: `${storageAccountId}/blobServices/default/containers/evidence`,
      name: "evidence",
      type: "Microsoft.Storage/storageAccounts/blobServices/containers",
      tags: {},
      properties: {},
    },
    {
      id: ultraDiskId,
      name: "vm-web-01-ultra",
      type: "Microsoft.Compute/disks",
      location: "westeurope",
      tags: {},
      sku: { name: "UltraSSD_LRS" },
      properties: { diskSizeGB: 1024, diskState: "Attached", provisioningState: "Succeeded" },
    },
  );
  return s;
}

let emulator: Emulator;
let agent: Agent;
let credential: TokenCredential;
let compute: (subscriptionId: string) => ComputeManagementClient;
let blobOptions: StoragePipelineOptions;

beforeAll(async () => {
  emulator = await startEmulator({ scenario: scenario(), clock: new ManualClock(), loadEngine: async () => tableOnlyEngine, storage: { diskImageBytes: imageBytes } });
  agent = new Agent({ connect: { ca: emulator.caPem } });
  credential = { getToken: async (): Promise<AccessToken> => ({ token: "tabletop-token", expiresOnTimestamp: Date.now() + 3_600_000 }) };
  compute = (subscriptionId) => new ComputeManagementClient(credential, subscriptionId, { endpoint: emulator.endpoints.arm, tlsOptions: { ca: emulator.caPem } });
  // core-client's pipeline (which @azure/storage-blob builds on) honours tlsOptions: the CA of the emulator's certificate.
  blobOptions = { tlsOptions: { ca: emulator.caPem } } as StoragePipelineOptions;
});
afterAll(async () => {
  await agent.close();
  await emulator.close();
});

async function arm(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; json: unknown }> {
  const res = await fetch(`${emulator.endpoints.arm}${path}`, {
    method,
    dispatcher: agent,
    headers: { Authorization: "Bearer t", ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers as unknown as Headers, json: text ? (JSON.parse(text) as unknown) : undefined };
}

const poll = { updateIntervalInMs: 1 };

describe("snapshots, exports and storage with the real SDK clients", () => {
  it("Azurite starts only when storage is first needed", async () => {
    const lazy = await startEmulator({ scenario: scenario(), clock: new ManualClock(), loadEngine: async () => tableOnlyEngine });
    try {
      // Nothing about storage asked yet: emulator.storage() is what starts it.
      const storage = await lazy.storage();
      expect(storage.blobEndpoint("stcontosoforensics")).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/stcontosoforensics$/);
      expect(storage.accountKey("stcontosoforensics")).toMatch(/^[A-Za-z0-9+/]+=*$/);
    } finally {
      await lazy.close();
    }
  });

  it("creates a full snapshot in the forensics subscription: 202 Updating without headers, then the SDK polls the snapshot to Succeeded", async () => {
    const path = `/subscriptions/${ids.forensics}/resourceGroups/rg-forensics/providers/Microsoft.Compute/snapshots/raw-put?api-version=2025-01-02`;
    const put = await arm("PUT", path, { location: "westeurope", properties: { creationData: { createOption: "Copy", sourceResourceId: diskId } } });
    expect(put.status).toBe(202);
    expect(put.headers.get("azure-asyncoperation")).toBeNull();
    expect(put.headers.get("location")).toBeNull();
    expect(put.json).toMatchObject({ name: "raw-put", properties: { provisioningState: "Updating", creationData: { createOption: "Copy", sourceResourceId: diskId } } });

    const snapshot = await compute(ids.forensics).snapshots.createOrUpdate(
      "rg-forensics",
      "vm-web-01-osdisk-full",
      { location: "westeurope", sku: { name: "Standard_LRS" }, creationData: { createOption: "Copy", sourceResourceId: diskId }, incremental: false },
      poll,
    );
    expect(snapshot).toMatchObject({ provisioningState: "Succeeded", incremental: false, completionPercent: 100, diskSizeGB: 128, diskState: "Unattached" });
  });

  it("refuses a Copy into another region and an incremental snapshot outside the disk's subscription", async () => {
    const other = await compute(ids.forensics)
      .snapshots.createOrUpdate("rg-forensics", "x", { location: "northeurope", creationData: { createOption: "Copy", sourceResourceId: diskId } }, poll)
      .catch((e: unknown) => e);
    expect(other).toMatchObject({ statusCode: 400 });
    const incremental = await compute(ids.forensics)
      .snapshots.createOrUpdate("rg-forensics", "y", { location: "westeurope", creationData: { createOption: "Copy", sourceResourceId: diskId }, incremental: true }, poll)
      .catch((e: unknown) => e);
    expect(incremental).toMatchObject({ statusCode: 400 });
    expect((incremental as Error).message).toContain("disk's subscription");
  });

  it("an incremental snapshot of an Ultra disk copies in the background; a SAS is refused until completionPercent is 100", async () => {
    const c = compute(ids.sub);
    const snapshot = await c.snapshots.createOrUpdate("rg-web", "ultra-inc", { location: "westeurope", creationData: { createOption: "Copy", sourceResourceId: ultraDiskId }, incremental: true }, poll);
    expect(snapshot).toMatchObject({ provisioningState: "Succeeded", incremental: true, completionPercent: 0 });
    const refused = await c.snapshots.grantAccess("rg-web", "ultra-inc", { access: "Read", durationInSeconds: 600 }, poll).catch((e: unknown) => e);
    expect(refused).toMatchObject({ statusCode: 409, code: "Conflict" });
    const seen: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const s = await c.snapshots.get("rg-web", "ultra-inc");
      seen.push(s.completionPercent ?? -1);
      if (s.completionPercent === 100) break;
    }
    expect(seen).toEqual([25, 50, 75, 100]);
    const granted = await c.snapshots.grantAccess("rg-web", "ultra-inc", { access: "Read", durationInSeconds: 600 }, poll);
    expect(granted.accessSAS).toMatch(/\/mdexports\/md-[0-9a-f]+\/abcd\?/);
    await c.snapshots.revokeAccess("rg-web", "ultra-inc", poll);
    // A full snapshot of the same disk: the documents do not refuse it, and it has no background copy.
    const full = await c.snapshots.createOrUpdate("rg-web", "ultra-full", { location: "westeurope", creationData: { createOption: "Copy", sourceResourceId: ultraDiskId }, incremental: false }, poll);
    expect(full.completionPercent).toBe(100);
  });

  it("at most three incremental snapshots of an Ultra disk pending their background copy; at most five SAS per snapshot family", async () => {
    const c = compute(ids.sub);
    const body = { location: "westeurope", creationData: { createOption: "Copy" as const, sourceResourceId: ultraDiskId }, incremental: true };
    for (const name of ["pending-1", "pending-2", "pending-3"]) expect((await c.snapshots.createOrUpdate("rg-web", name, body, poll)).completionPercent).toBe(0);
    const fourth = await c.snapshots.createOrUpdate("rg-web", "pending-4", body, poll).catch((e: unknown) => e);
    expect(fourth).toMatchObject({ statusCode: 409, code: "Conflict" });

    const family = { location: "westeurope", creationData: { createOption: "Copy" as const, sourceResourceId: diskId }, incremental: true };
    for (let i = 1; i <= 6; i += 1) await c.snapshots.createOrUpdate("rg-web", `family-${i}`, family, poll);
    for (let i = 1; i <= 5; i += 1) await c.snapshots.grantAccess("rg-web", `family-${i}`, { access: "Read", durationInSeconds: 60 }, poll);
    const sixth = await c.snapshots.grantAccess("rg-web", "family-6", { access: "Read", durationInSeconds: 60 }, poll).catch((e: unknown) => e);
    expect(sixth).toMatchObject({ statusCode: 409 });
    await c.snapshots.revokeAccess("rg-web", "family-1", poll);
    expect((await c.snapshots.grantAccess("rg-web", "family-6", { access: "Read", durationInSeconds: 60 }, poll)).accessSAS).toBeDefined();
    for (let i = 2; i <= 6; i += 1) await c.snapshots.revokeAccess("rg-web", `family-${i}`, poll);
  });

  it("grantAccess: 202 with a Location only; the SAS is a read-only Azurite SAS over the disk's deterministic image; revokeAccess makes it fail", async () => {
    const c = compute(ids.forensics);
    await c.snapshots.createOrUpdate("rg-forensics", "export-me", { location: "westeurope", creationData: { createOption: "Copy", sourceResourceId: diskId } }, poll);
    const raw = await arm("POST", `/subscriptions/${ids.forensics}/resourceGroups/rg-forensics/providers/Microsoft.Compute/snapshots/export-me/beginGetAccess?api-version=2025-01-02`, {
      access: "Read",
      durationInSeconds: 3600,
    });
    expect(raw.status).toBe(202);
    expect(raw.headers.get("azure-asyncoperation")).toBeNull();
    expect(raw.headers.get("location")).toMatch(/\/providers\/Microsoft\.Compute\/locations\/westeurope\/operations\/[^?]+\?monitor=true&api-version=2025-01-02$/);
    expect(raw.json).toBeUndefined();

    const before = emulator.issuedSas().length;
    const { accessSAS } = await c.snapshots.grantAccess("rg-forensics", "export-me", { access: "Read", durationInSeconds: 3600 }, poll);
    expect(accessSAS).toBeDefined();
    const sas = accessSAS!;
    expect(emulator.issuedSas().slice(before)).toEqual([sas]);
    const url = new URL(sas);
    expect(url.searchParams.get("sp")).toBe("r");
    expect(url.searchParams.get("sr")).toBe("b");
    expect(url.searchParams.get("spr")).toBe("https");
    const expiry = Date.parse(url.searchParams.get("se")!);
    expect(Math.abs(expiry - (Date.now() + 3_600_000))).toBeLessThan(120_000);
    expect((await c.snapshots.get("rg-forensics", "export-me")).diskState).toBe("ActiveSAS");

    const source = new BlobClient(sas, undefined, blobOptions);
    const bytes = await source.downloadToBuffer();
    expect(bytes.length).toBe(imageBytes);
    // The image is derived from the source disk's id alone: any export of it hashes the same.
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(diskImageSha256(diskId, imageBytes));
    const write = await source.getPageBlobClient().uploadPages(Buffer.alloc(512), 0, 512).catch((e: unknown) => e);
    expect(write).toMatchObject({ statusCode: 403 });

    // Server-side copy of the SAS into the forensics account, read back with the account key.
    const storage = await emulator.storage();
    const key = new StorageSharedKeyCredential("stcontosoforensics", storage.accountKey("stcontosoforensics"));
    const forensics = new BlobServiceClient(storage.blobEndpoint("stcontosoforensics"), key, blobOptions);
    const copy = forensics.getContainerClient("evidence").getPageBlobClient("export-me.vhd");
    const copied = await (await copy.beginCopyFromURL(sas, { intervalInMs: 10 })).pollUntilDone();
    expect(copied.copyStatus).toBe("success");
    expect(createHash("sha256").update(await copy.downloadToBuffer()).digest("hex")).toBe(diskImageSha256(diskId, imageBytes));

    await c.snapshots.revokeAccess("rg-forensics", "export-me", poll);
    expect((await c.snapshots.get("rg-forensics", "export-me")).diskState).toBe("Unattached");
    const after = await source.downloadToBuffer().catch((e: unknown) => e);
    expect(after).toMatchObject({ statusCode: 404 });
    const late = await copy.beginCopyFromURL(sas).catch((e: unknown) => e);
    expect(late).toMatchObject({ statusCode: 404 });
  });

  it("a bearer token from the emulator's authority for https://storage.azure.com writes to the forensics account", async () => {
    const storage = await emulator.storage();
    const token = emulator.issueToken({ scope: "https://storage.azure.com/.default" });
    const bearer: TokenCredential = { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const container = new BlobServiceClient(storage.blobEndpoint("stcontosoforensics"), bearer, blobOptions).getContainerClient("case-ir-1");
    await container.createIfNotExists();
    await container.getBlockBlobClient("note.txt").upload("evidence", 8);
    expect((await container.getBlobClient("note.txt").downloadToBuffer()).toString()).toBe("evidence");
  });

  it("the badSas fault: the next grant answers a SAS the storage service refuses, so a copy from it fails", async () => {
    const c = compute(ids.forensics);
    await c.snapshots.createOrUpdate("rg-forensics", "bad-sas", { location: "westeurope", creationData: { createOption: "Copy", sourceResourceId: diskId } }, poll);
    emulator.setFaults({ rules: [{ match: { path: "/beginGetAccess$", method: "POST" }, badSas: true }] });
    try {
      const { accessSAS } = await c.snapshots.grantAccess("rg-forensics", "bad-sas", { access: "Read", durationInSeconds: 600 }, poll);
      const refused = await new BlobClient(accessSAS!, undefined, blobOptions).downloadToBuffer().catch((e: unknown) => e);
      expect(refused).toMatchObject({ statusCode: 403 });
      const storage = await emulator.storage();
      const forensics = new BlobServiceClient(storage.blobEndpoint("stcontosoforensics"), new StorageSharedKeyCredential("stcontosoforensics", storage.accountKey("stcontosoforensics")), blobOptions);
      const copy = await forensics.getContainerClient("evidence").getPageBlobClient("bad.vhd").beginCopyFromURL(accessSAS!).catch((e: unknown) => e);
      expect(copy).toMatchObject({ statusCode: 403 });
      // The fault is spent: the next grant works.
      const { accessSAS: good } = await c.snapshots.grantAccess("rg-forensics", "bad-sas", { access: "Read", durationInSeconds: 600 }, poll);
      expect((await new BlobClient(good!, undefined, blobOptions).getProperties()).contentLength).toBe(imageBytes);
    } finally {
      emulator.setFaults({});
    }
  });

  it("storage accounts: GET and the subscription list show Azurite's path-style blob endpoint", async () => {
    const storage = await emulator.storage();
    const get = await arm("GET", `${storageAccountId}?api-version=2025-06-01`);
    expect(get.status).toBe(200);
    expect(get.json).toMatchObject({ id: storageAccountId, name: "stcontosoforensics", properties: { primaryEndpoints: { blob: `${storage.blobEndpoint("stcontosoforensics")}/` } } });
    const list = await arm("GET", `/subscriptions/${ids.forensics}/providers/Microsoft.Storage/storageAccounts?api-version=2025-06-01`);
    expect((list.json as { value: Array<{ name: string }> }).value.map((a) => a.name)).toEqual(["stcontosoforensics"]);
    const none = await arm("GET", `/subscriptions/${ids.sub}/providers/Microsoft.Storage/storageAccounts?api-version=2025-06-01`);
    expect(none.json).toEqual({ value: [] });
    const missing = await arm("GET", `${forensicsRg}/providers/Microsoft.Storage/storageAccounts/nope?api-version=2025-06-01`);
    expect(missing.status).toBe(404);
  });

  it("locks: PUT/GET/DELETE with literal slashes on a subscription, a resource group, a snapshot and a storage account; the encoded scope is refused", async () => {
    const snapshotId = `${forensicsRg}/providers/Microsoft.Compute/snapshots/vm-web-01-osdisk-full`;
    for (const scope of [`/subscriptions/${ids.forensics}`, forensicsRg, snapshotId, storageAccountId]) {
      const lock = `${scope}/providers/Microsoft.Authorization/locks/ir-hold?api-version=2020-05-01`;
      const put = await arm("PUT", lock, { properties: { level: "CanNotDelete", notes: "IR-1 evidence" } });
      expect(put.status, scope).toBe(201);
      expect(put.json).toMatchObject({ id: `${scope}/providers/Microsoft.Authorization/locks/ir-hold`, type: "Microsoft.Authorization/locks", properties: { level: "CanNotDelete" } });
      expect((await arm("GET", lock)).status).toBe(200);
      expect((await arm("DELETE", lock)).status).toBe(200);
      expect((await arm("GET", lock)).status).toBe(404);
    }
    const encoded = `/${encodeURIComponent(snapshotId.slice(1))}/providers/Microsoft.Authorization/locks/ir-hold?api-version=2020-05-01`;
    expect(encoded).toContain("%2F");
    const refused = await arm("PUT", encoded, { properties: { level: "CanNotDelete" } });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: { code: "InvalidRequestUri" } });
    expect((refused.json as { error: { message: string } }).error.message).toContain("literal slashes");
  });
});

describe("the Contoso scenario's VMs and disks through ComputeManagementClient", () => {
  let contoso: Emulator;
  let sub: string;
  beforeAll(async () => {
    contoso = await startTabletop({ clock: new ManualClock("2026-11-25T12:00:00Z") });
    sub = contoso.subscriptionId;
  });
  afterAll(async () => {
    await contoso.close();
  });
  const client = (): ComputeManagementClient => new ComputeManagementClient(credential, sub, { endpoint: contoso.endpoints.arm, tlsOptions: { ca: contoso.caPem } });
  const power = (statuses: Array<{ code?: string }> | undefined): string | undefined => statuses?.find((s) => s.code?.startsWith("PowerState/"))?.code;

  it("instanceView answers the power state; a plain GET has no instanceView, $expand=instanceView has it", async () => {
    const c = client();
    expect(power((await c.virtualMachines.instanceView("rg-web", "vm-web-01")).statuses)).toBe("PowerState/running");
    expect(power((await c.virtualMachines.instanceView("rg-build", "vm-build-01")).statuses)).toBe("PowerState/deallocated");
    expect(power((await c.virtualMachines.instanceView("rg-data", "vm-fin-01")).statuses)).toBe("PowerState/stopped");
    const plain = await c.virtualMachines.get("rg-web", "vm-web-01");
    expect(plain.instanceView).toBeUndefined();
    expect(plain.storageProfile?.dataDisks?.length).toBe(2);
    const expanded = await c.virtualMachines.get("rg-data", "vm-db-01", { expand: "instanceView" });
    expect(power(expanded.instanceView?.statuses)).toBe("PowerState/running");
    expect(expanded.instanceView?.disks?.map((d) => d.name)).toEqual(["vm-db-01-osdisk", "vm-db-01-data-ultra", "vm-db-01-data-pv2"]);
    expect(contoso.requests().some((r) => r.path.endsWith("/virtualMachines/vm-web-01/instanceView"))).toBe(true);
  });

  it("disks carry sku, encryption, Azure Disk Encryption settings, sizes and dataAccessAuthMode when set", async () => {
    const c = client();
    const ade = await c.disks.get("rg-data", "vm-fin-01-osdisk");
    expect(ade).toMatchObject({ sku: { name: "Premium_LRS" }, diskSizeGB: 128, diskSizeBytes: 128 * 1024 ** 3, diskState: "Reserved", encryption: { type: "EncryptionAtRestWithPlatformKey" } });
    expect(ade.encryptionSettingsCollection?.enabled).toBe(true);
    const settings = ade.encryptionSettingsCollection?.encryptionSettings?.[0];
    expect(settings?.diskEncryptionKey?.secretUrl).toMatch(/^https:\/\/kv-contoso-ade\.vault\.azure\.net\/secrets\//);
    expect(settings?.diskEncryptionKey?.sourceVault.id).toBe(`/subscriptions/${sub}/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/kv-contoso-ade`);
    expect(settings?.keyEncryptionKey?.keyUrl).toMatch(/\/keys\/ade-kek\//);
    const ultra = await c.disks.get("rg-data", "vm-db-01-data-ultra");
    expect(ultra).toMatchObject({ sku: { name: "UltraSSD_LRS" }, zones: ["1"], diskSizeGB: 1024 });
    expect(ultra.encryptionSettingsCollection).toBeUndefined();
    expect(ultra.dataAccessAuthMode).toBeUndefined();
    expect((await c.disks.get("rg-data", "vm-db-01-data-pv2")).dataAccessAuthMode).toBe("AzureActiveDirectory");
    expect((await c.disks.get("rg-web", "vm-web-01-osdisk")).diskState).toBe("Attached");
  });

  it("an incremental snapshot of the Premium SSD v2 disk needs its background copy to finish before a SAS", async () => {
    const c = client();
    const snap = await c.snapshots.createOrUpdate("rg-data", "pv2-inc", { location: "westeurope", creationData: { createOption: "Copy", sourceResourceId: `/subscriptions/${sub}/resourceGroups/rg-data/providers/Microsoft.Compute/disks/vm-db-01-data-pv2` }, incremental: true }, poll);
    expect(snap.completionPercent).toBe(0);
    expect(await c.snapshots.grantAccess("rg-data", "pv2-inc", { access: "Read", durationInSeconds: 60 }, poll).catch((e: unknown) => (e as { statusCode: number }).statusCode)).toBe(409);
  });
});

describe("the scenario's instance views", () => {
  it("the loader refuses a status code that is not Azure's Category/value shape", () => {
    const vm = { id: `/subscriptions/${ids.sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v`, name: "v", type: "Microsoft.Compute/virtualMachines", properties: { instanceView: { statuses: [{ code: "running" }] } } };
    const parsed = armResourceSchema.safeParse(vm);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path.join(".")).toBe("properties.instanceView.statuses.0.code");
    expect(armResourceSchema.safeParse({ ...vm, properties: { instanceView: { statuses: [{ code: "PowerState/running" }] } } }).success).toBe(true);
  });
});
