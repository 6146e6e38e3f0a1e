import { fetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { AzureServiceError } from "../../src/azure/errors.js";
import { ManualClock } from "../../src/core/clock.js";
import { AzirError } from "../../src/core/errors.js";
import type { Effect } from "../../src/core/effects.js";
import { createArmAdapter } from "../../src/azure/arm.js";
import { scriptedHttps } from "../helpers/scripted-https.js";
import { diskId, ids, raw, startHarness, vmId, type Harness } from "./fixture.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const snapshotId = `/subscriptions/${ids.forensics}/resourceGroups/rg-ir/providers/Microsoft.Compute/snapshots/vm-web-01-osdisk-ir1`;
const putSnapshot: Effect = {
  kind: "arm.request",
  key: "snapshot",
  method: "PUT",
  path: `${snapshotId}?api-version=2025-01-02`,
  body: { location: "westeurope", sku: { name: "Standard_ZRS" }, tags: { incident: "IR-1" }, properties: { creationData: { createOption: "Copy", sourceResourceId: diskId }, incremental: false } },
  permission: "Microsoft.Compute/snapshots/write (Disk Snapshot Contributor)",
  summary: "snapshot",
  target: diskId,
};

describe("ARM adapter against the emulator", () => {
  it("checkSubscription lists the subscription's locks (ManagementLocks_ListAtSubscriptionLevel); an unknown subscription is not-found", async () => {
    h = await startHarness(new ManualClock());
    await h.ports.effects.perform({ ...putSnapshot, key: "lock", method: "PUT", path: `/subscriptions/${ids.sub}/providers/Microsoft.Authorization/locks/ir-hold?api-version=2020-05-01`, body: { properties: { level: "CanNotDelete" } } });
    expect(await h.ports.arm.checkSubscription(ids.sub)).toEqual({ locks: 1 });
    const error = await h.ports.arm.checkSubscription("0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureServiceError);
    expect(error).toMatchObject({ code: "not-found", status: 404, serviceCode: "SubscriptionNotFound" });
    expect(h.emulator.requests().filter((r) => r.method === "GET").map((r) => r.path)).toContain(`/subscriptions/${ids.sub}/providers/Microsoft.Authorization/locks`);
  });

  it("reads a VM and a disk in ARM's own shape", async () => {
    h = await startHarness(new ManualClock());
    const vm = await h.ports.arm.getResource<{ properties: { storageProfile: { osDisk: { managedDisk: { id: string } } } } }>(vmId);
    expect(vm.properties.storageProfile.osDisk.managedDisk.id).toBe(diskId);
    const disk = await h.ports.arm.getResource<{ location: string; properties: { diskSizeGB: number } }>(diskId.replace("/resourceGroups/", "/resourcegroups/"));
    expect(disk).toMatchObject({ location: "westeurope", properties: { diskSizeGB: 128 } });
    expect(await h.ports.arm.findResource(diskId.replace("osdisk", "nodisk"))).toBeUndefined();
  });

  it("creates a snapshot through the long-running operation, polling until Succeeded", async () => {
    h = await startHarness(new ManualClock());
    const created = (await h.ports.effects.perform(putSnapshot)) as { properties: { provisioningState: string; creationData: { sourceResourceId: string } }; tags: Record<string, string> };
    expect(created.properties.provisioningState).toBe("Succeeded");
    expect(created.properties.creationData.sourceResourceId).toBe(diskId);
    expect(created.tags).toEqual({ incident: "IR-1" });
    // The spec example answers 202 with provisioningState Updating and no headers: the SDK polls the snapshot itself.
    expect(h.emulator.requests().filter((e) => e.method === "GET" && e.path === snapshotId).length).toBeGreaterThanOrEqual(1);
    const stored = await h.ports.arm.getResource<{ properties: { provisioningState: string } }>(snapshotId);
    expect(stored.properties.provisioningState).toBe("Succeeded");
  });

  it("a failed long-running operation is a clear AzirError", async () => {
    h = await startHarness(new ManualClock(), { faults: { rules: [{ match: { path: "/snapshots/", method: "PUT" }, lroFail: true }] } });
    const error = await h.ports.effects.perform(putSnapshot).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzirError);
    expect((error as AzirError).message).toContain(`ARM operation PUT ${snapshotId} ended Failed`);
  });

  it("grants and revokes snapshot access; the SAS is a real storage SAS, never logged, and stops working once revoked", async () => {
    h = await startHarness(new ManualClock());
    await h.ports.effects.perform(putSnapshot);
    const access = (await h.ports.effects.perform({ ...putSnapshot, method: "POST", path: `${snapshotId}/beginGetAccess?api-version=2025-01-02`, body: { access: "Read", durationInSeconds: 3600 } })) as { accessSAS: string };
    expect(access.accessSAS.startsWith(`${(await h.emulator.storage()).blobEndpoint("mdexports")}/`)).toBe(true);
    expect(h.emulator.issuedSas()).toEqual([access.accessSAS]);
    expect(JSON.stringify(h.emulator.requests())).not.toContain("sig=");
    const blob = await fetch(access.accessSAS, { dispatcher: h.agent });
    expect(blob.status).toBe(200);
    expect((await blob.arrayBuffer()).byteLength).toBe(4 * 1024 * 1024);
    const snap = await h.ports.arm.getResource<{ properties: { diskState: string } }>(snapshotId);
    expect(snap.properties.diskState).toBe("ActiveSAS");
    await h.ports.effects.perform({ ...putSnapshot, method: "POST", path: `${snapshotId}/endGetAccess?api-version=2025-01-02`, body: undefined });
    const after = await h.ports.arm.getResource<{ properties: { diskState: string } }>(snapshotId);
    expect(after.properties.diskState).toBe("Unattached");
    expect((await fetch(access.accessSAS, { dispatcher: h.agent })).status).toBe(404);
  });

  it("puts, reads and deletes a CanNotDelete lock by scope", async () => {
    h = await startHarness(new ManualClock());
    await h.ports.effects.perform(putSnapshot);
    const lockId = `${snapshotId}/providers/Microsoft.Authorization/locks/ir-hold`;
    const lock = await h.ports.effects.perform({ ...putSnapshot, path: `${lockId}?api-version=2020-05-01`, body: { properties: { level: "CanNotDelete", notes: "IR-1 evidence" } } });
    expect(lock).toMatchObject({ name: "ir-hold", properties: { level: "CanNotDelete", notes: "IR-1 evidence" } });
    const read = await h.ports.arm.getResource<{ properties: { level: string } }>(lockId);
    expect(read.properties.level).toBe("CanNotDelete");
    const stored = h.emulator.state().arm.resources.find((r) => r.id === lockId);
    expect(stored).toBeDefined();
    await h.ports.effects.perform({ ...putSnapshot, method: "DELETE", path: `${lockId}?api-version=2020-05-01`, body: undefined });
    expect(await h.ports.arm.findResource(lockId)).toBeUndefined();
  });

  it("a lock on a resource that does not exist is not-found naming the path", async () => {
    h = await startHarness(new ManualClock());
    const error = await h.ports.effects
      .perform({ ...putSnapshot, path: `${snapshotId}/providers/Microsoft.Authorization/locks/ir-hold?api-version=2020-05-01`, body: { properties: { level: "CanNotDelete" } } })
      .catch((e: unknown) => e);
    expect((error as AzureServiceError).status).toBe(404);
    expect((error as AzirError).message).toContain("PUT /subscriptions/");
  });

  it("requires api-version and a bearer token; lists Defender alerts from SecurityAlert rows", async () => {
    h = await startHarness(new ManualClock());
    const noVersion = await raw(h, "GET", diskId);
    expect(noVersion.status).toBe(400);
    expect(noVersion.json).toMatchObject({ error: { code: "MissingApiVersionParameter" } });
    const noToken = await raw(h, "GET", `${diskId}?api-version=2025-01-02`, { token: null });
    expect(noToken.status).toBe(401);
    const alerts = await raw(h, "GET", `/subscriptions/${ids.sub}/providers/Microsoft.Security/alerts?api-version=2021-11-01`);
    expect(alerts.status).toBe(200);
    const first = (alerts.json as { value: Array<{ properties: { intent: string; severity: string; resourceIdentifiers: Array<{ azureResourceId: string }> } }> }).value[0];
    expect(first?.properties).toMatchObject({ intent: "Execution,Persistence", severity: "High" });
    expect(first?.properties.resourceIdentifiers[0]?.azureResourceId).toBe(vmId);
  });

  it("a 500 storm on reads ends in an AzirError naming ARM, the method and the path", async () => {
    h = await startHarness(new ManualClock(), { maxRetries: 1, faults: { rules: [{ match: { path: "/disks/", service: "arm" }, status: 500, times: 5 }] } });
    const error = await h.ports.arm.getResource(diskId).catch((e: unknown) => e);
    expect((error as AzirError).code).toBe("service");
    expect((error as AzirError).message).toContain(`ARM answered 500 on GET ${diskId}`);
  });

  it("a long-running operation that never ends stops at its deadline with a clear, resumable error", async () => {
    // The spec example's answer (202, provisioningState Updating), then the snapshot stays Updating for ever.
    const updating = { id: snapshotId, name: "s", properties: { provisioningState: "Updating" } };
    const server = await scriptedHttps([{ status: 202, body: updating }, { status: 200, body: updating }]);
    try {
      const arm = await createArmAdapter({ credential: { getToken: async () => ({ token: "t", expiresOnTimestamp: Date.now() + 3600_000 }) }, endpoint: server.url, scope: "https://management.azure.com/.default", ca: server.ca, lroPollMs: 20, lroTimeoutMs: 300 });
      const started = Date.now();
      const error = await arm.send({ method: "PUT", path: `${snapshotId}?api-version=2025-01-02`, body: putSnapshot.kind === "arm.request" ? putSnapshot.body : undefined }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(error).toBeInstanceOf(AzirError);
      expect((error as AzirError).message).toBe(`ARM PUT ${snapshotId} did not finish within 1 s`);
      expect((error as AzirError).hint).toContain("--resume");
    } finally {
      await server.close();
    }
  });
});
