import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AnonymousCredential, BlobClient, BlobServiceClient, StorageSharedKeyCredential, type StoragePipelineOptions } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { systemClock } from "../../src/core/clock.js";
import { emulatorEnv, startTabletop, type Emulator, type FaultConfig } from "../../src/tabletop/index.js";
import { readJournal, verifyJournal } from "../../src/timeline/journal.js";
import { memoryIo } from "../cli/io.js";

// VM forensics end to end: the CLI, the real compute, lock and storage clients, the emulator's ARM and Azurite,
// over HTTPS on 127.0.0.1.

const forensicsSub = "e7a9b2c4-1d3f-4e5a-8b6c-9d0e1f2a3b4c";
const webDisks = ["vm-web-01-osdisk", "vm-web-01-data-00", "vm-web-01-data-01"];

let shared: Emulator;
beforeAll(async () => {
  shared = await startTabletop({ clock: systemClock, storage: { start: "eager" } });
});
afterAll(async () => {
  await shared.close();
});

async function fresh(faults?: FaultConfig, diskImageBytes?: number): Promise<Emulator> {
  return startTabletop({ clock: systemClock, storage: { start: "eager", ...(diskImageBytes ? { diskImageBytes } : {}) }, ...(faults ? { faults } : {}) });
}

async function snapshot(emulator: Emulator, extra: string[] = [], out = mkdtempSync(join(tmpdir(), "azir-snap-"))) {
  const io = memoryIo();
  const code = await main(["snapshot", "vm-web-01", "--resource-group", "rg-web", "--tabletop", "--yes", "--out", out, ...extra], io, { emulator });
  return { code, io, out, journals: journalsIn(out) };
}

function journalsIn(out: string): string[] {
  if (!existsSync(out)) return [];
  return readdirSync(out).flatMap((inc) => readdirSync(join(out, inc)).filter((f) => f.endsWith(".jsonl")).map((f) => join(out, inc, f)));
}

const snapshots = (emulator: Emulator) => emulator.state().arm.resources.filter((r) => r.type === "Microsoft.Compute/snapshots");
const armWrites = (emulator: Emulator) => emulator.requests().filter((r) => r.service === "arm" && r.method !== "GET");

/** Client options that trust the emulator's certificate (core-client reads tlsOptions from the pipeline options). */
const trust = (emulator: Emulator): StoragePipelineOptions => ({ tlsOptions: { ca: emulator.caPem } }) as unknown as StoragePipelineOptions;

/** The SHA-256 of a blob, read by a client of the test's own with the account's key. */
async function sha256Of(emulator: Emulator, account: string, container: string, blob: string): Promise<string> {
  const storage = await emulator.storage();
  const client = new BlobServiceClient(storage.blobEndpoint(account), new StorageSharedKeyCredential(account, storage.accountKey(account)), trust(emulator));
  const body = await client.getContainerClient(container).getBlobClient(blob).downloadToBuffer();
  return createHash("sha256").update(body).digest("hex");
}

/** Whether a SAS still reads its blob. */
async function sasWorks(emulator: Emulator, sas: string): Promise<boolean> {
  try {
    await new BlobClient(sas, new AnonymousCredential(), trust(emulator)).getProperties();
    return true;
  } catch {
    return false;
  }
}

/** Every piece of a SAS that must never be written: the URL, its query and its signature. */
function sasPieces(sas: string): string[] {
  const url = new URL(sas);
  return [sas, url.search.slice(1), url.searchParams.get("sig") ?? "", encodeURIComponent(url.searchParams.get("sig") ?? "")].filter((s) => s.length > 8);
}

function expectNoSas(emulator: Emulator, texts: string[]): void {
  const issued = emulator.issuedSas();
  expect(issued.length).toBeGreaterThan(0);
  for (const sas of issued) for (const piece of sasPieces(sas)) for (const text of texts) expect(text.includes(piece), `a SAS piece was written: ${piece.slice(0, 12)}…`).toBe(false);
}

describe("azir snapshot against the simulated tenant and Azurite", () => {
  it("snapshots every disk in the forensics subscription, locks, copies, hashes and revokes every SAS", async () => {
    const { code, io, journals } = await snapshot(shared);
    expect(code, io.err()).toBe(0);
    const snaps = snapshots(shared);
    const incident = journals[0]!.split("/").at(-2)!;
    expect(snaps.map((s) => s.name).sort()).toEqual(webDisks.map((d) => `${d}-${incident}`).sort());
    for (const s of snaps) {
      expect(s.id).toContain(`/subscriptions/${forensicsSub}/resourceGroups/rg-forensics/`);
      const props = s.properties as { incremental?: boolean; diskState?: string; creationData?: { createOption?: string } };
      expect(props.incremental).toBe(false);
      expect(props.creationData?.createOption).toBe("Copy");
      expect(props.diskState).not.toBe("ActiveSAS");
      expect(s.tags?.["azir-incident"]).toMatch(/^vm-web-01-/);
    }
    // every snapshot and the storage account carry the incident's CanNotDelete lock
    const locks = shared.state().arm.resources.filter((r) => r.type === "Microsoft.Authorization/locks");
    for (const s of snaps) expect(locks.some((l) => l.id.toLowerCase().startsWith(`${s.id.toLowerCase()}/providers/microsoft.authorization/locks/azir-evidence-`))).toBe(true);
    expect(locks.some((l) => /storageAccounts\/stcontosoforensics\/providers\/Microsoft.Authorization\/locks\/azir-evidence-/i.test(l.id))).toBe(true);
    // the recorded SHA-256 is the one of the blob as stored, computed independently
    const { events } = await readJournal(journals[0]!);
    const done = events.find((e) => e.kind === "step.completed" && e.step === "export");
    const copies = (done?.data.outputs as { copies: Array<{ blobUrl: string; sha256: string; bytes: number }> }).copies;
    expect(copies).toHaveLength(3);
    for (const copy of copies) {
      const [, account, container, ...blob] = new URL(copy.blobUrl).pathname.split("/");
      expect(await sha256Of(shared, account!, container!, decodeURIComponent(blob.join("/")))).toBe(copy.sha256);
      expect(io.err()).toContain(copy.sha256);
    }
    // every SAS is revoked for real, and none was written anywhere
    for (const sas of shared.issuedSas()) expect(await sasWorks(shared, sas)).toBe(false);
    expectNoSas(shared, [io.out(), io.err(), ...journals.map((j) => readFileSync(j, "utf8"))]);
    // chain of custody: who ran it, from where, as whom
    const started = events.find((e) => e.kind === "run.started");
    expect(started?.data.operator).toMatchObject({ host: expect.any(String), account: expect.any(String), identity: { kind: "application", appId: expect.any(String) } });
    expect((await verifyJournal(journals[0]!)).ok).toBe(true);
    // never a stop, deallocate or delete
    expect(shared.requests().some((r) => r.method === "DELETE" || /\/(powerOff|deallocate|delete)$/i.test(r.path))).toBe(false);

    // a second run duplicates nothing: no snapshot, lock or copy is made again
    const before = armWrites(shared).length;
    const sasBefore = shared.issuedSas().length;
    const again = await snapshot(shared);
    expect(again.code, again.io.err()).toBe(0);
    expect(armWrites(shared).length).toBe(before);
    expect(shared.issuedSas().length).toBe(sasBefore);
    expect(again.io.err()).toContain("(reused)");
    expect(again.io.err()).toContain(copies[0]!.sha256);
  });

  it("finds a VM by name, and takes the documented path for Ultra Disk and Premium SSD v2: incremental in its own subscription, exported after the background copy", async () => {
    const io = memoryIo();
    const out = mkdtempSync(join(tmpdir(), "azir-snap-db-"));
    expect(await main(["snapshot", "vm-db-01", "--tabletop", "--yes", "--out", out], io, { emulator: shared }), io.err()).toBe(0);
    const byName = (name: string) => snapshots(shared).find((s) => s.name.startsWith(name))!;
    for (const name of ["vm-db-01-data-ultra", "vm-db-01-data-pv2"]) {
      const s = byName(name);
      expect(s.id).toContain("/subscriptions/b3f5c1d2-6a7e-4f80-9c1d-2e3f4a5b6c7d/resourceGroups/rg-data/");
      expect((s.properties as { incremental?: boolean; completionPercent?: number }).incremental).toBe(true);
      expect((s.properties as { completionPercent?: number }).completionPercent).toBe(100);
    }
    expect(byName("vm-db-01-osdisk").id).toContain(`/subscriptions/${forensicsSub}/`);
    // the emulator refuses a SAS before the background copy is done: none was asked for early
    expect(shared.requests().some((r) => /beginGetAccess$/.test(r.path) && r.status === 409)).toBe(false);
    const { events } = await readJournal(journalsIn(out)[0]!);
    const copies = events.find((e) => e.kind === "step.completed" && e.step === "export")?.data.outputs as { copies: unknown[] };
    expect(copies.copies).toHaveLength(3);
    expect(io.err()).toContain("exported once its background copy reaches 100%");
    expect(io.err()).toContain("dataAccessAuthMode AzureActiveDirectory");
  });

  it("says loudly that a VM is already stopped, and where the key of an encrypted disk is", async () => {
    const io = memoryIo();
    expect(await main(["snapshot", "vm-fin-01", "--tabletop", "--yes", "--out", mkdtempSync(join(tmpdir(), "azir-snap-fin-"))], io, { emulator: shared }), io.err()).toBe(0);
    expect(io.err()).toContain("power state: STOPPED");
    expect(io.err()).toContain("WARNING: vm-fin-01 is already stopped");
    expect(io.err()).toMatch(/Azure Disk Encryption .* Key Vault \(https:\/\/kv-contoso-ade\.vault\.azure\.net\/secrets\//);
    expect(shared.requests().some((r) => /\/(powerOff|deallocate|start|restart)$/i.test(r.path))).toBe(false);
  });

  it("an unknown VM is a clear error", async () => {
    const io = memoryIo();
    expect(await main(["snapshot", "vm-nope", "--tabletop", "--yes", "--out", mkdtempSync(join(tmpdir(), "azir-snap-nope-"))], io, { emulator: shared })).not.toBe(0);
    expect(io.err()).toContain("no virtual machine named vm-nope in subscription");
  });

  it("--json is the timeline document, with no SAS in it", async () => {
    const { code, io } = await snapshot(shared, ["--json", "--incident", "ir-json"]);
    expect(code, io.err()).toBe(0);
    const doc = JSON.parse(io.out()) as { actions: Array<{ kind: string }> };
    expect(doc.actions.some((a) => a.kind === "action")).toBe(true);
    expectNoSas(shared, [io.out(), io.err()]);
  });

  it("--dry-run plans every write with its permission and sends none", async () => {
    const emulator = await fresh();
    try {
      const { code, io } = await snapshot(emulator, ["--dry-run"]);
      expect(code, io.err()).toBe(0);
      expect(armWrites(emulator)).toEqual([]);
      expect(emulator.issuedSas()).toEqual([]);
      const out = io.err();
      expect(out).toContain("Microsoft.Compute/snapshots/write (Disk Snapshot Contributor)");
      expect(out).toContain("Microsoft.Authorization/locks/write (Owner or User Access Administrator)");
      expect(out).toContain("Storage Blob Data Contributor");
      expect(out.match(/PUT https:\/\/127\.0\.0\.1:\d+\/subscriptions\/[^ ]+\/snapshots\/vm-web-01-[^/ ]+\?api-version/g)).toHaveLength(3);
    } finally {
      await emulator.close();
    }
  });

  it("a copy that fails still revokes its SAS, and the journal resumes to completion", async () => {
    const emulator = await fresh({ rules: [{ match: { service: "arm", method: "POST", path: "beginGetAccess" }, badSas: true, times: 3 }] });
    try {
      const { code, io, journals } = await snapshot(emulator);
      expect(code).not.toBe(0);
      expect(io.out() + io.err()).toMatch(/copy|Storage/i);
      for (const s of snapshots(emulator)) expect((s.properties as { diskState?: string }).diskState).not.toBe("ActiveSAS");
      expect(emulator.requests().filter((r) => /endGetAccess$/.test(r.path) && r.method === "POST")).toHaveLength(3);
      expectNoSas(emulator, [io.out(), io.err(), readFileSync(journals[0]!, "utf8")]);
      const resumed = memoryIo();
      expect(await main(["run", "--resume", journals[0]!, "--as-recorded", "--tabletop", "--yes"], resumed, { emulator }), resumed.err()).toBe(0);
      const puts = emulator.requests().filter((r) => r.method === "PUT" && /\/snapshots\/[^/]+$/.test(r.path));
      expect(puts).toHaveLength(3); // the snapshots were not taken again
    } finally {
      await emulator.close();
    }
  });

  it("a snapshot whose long-running operation fails ends with a clear error and a resumable journal", async () => {
    const emulator = await fresh({ rules: [{ match: { service: "arm", method: "PUT", path: "vm-web-01-data-00" }, lroFail: true, times: 1 }] });
    try {
      const { code, io, journals } = await snapshot(emulator);
      expect(code).not.toBe(0);
      expect(io.err()).toMatch(/1 of 3 snapshot\(s\) of vm-web-01 failed: ARM operation PUT .*ended Failed/);
      expect(emulator.issuedSas()).toEqual([]);
      const resumed = memoryIo();
      expect(await main(["run", "--resume", journals[0]!, "--as-recorded", "--tabletop", "--yes"], resumed, { emulator }), resumed.err()).toBe(0);
      expect(snapshots(emulator).every((s) => (s.properties as { provisioningState?: string }).provisioningState === "Succeeded")).toBe(true);
    } finally {
      await emulator.close();
    }
  });
});

describe("azir snapshot as its own process", () => {
  const env = (emulator: Emulator) => ({ ...process.env, ...emulatorEnv(emulator), NO_COLOR: "1" });
  const args = ["bin/azir.js", "snapshot", "vm-web-01", "--resource-group", "rg-web", "--forensics-subscription", forensicsSub, "--forensics-resource-group", "rg-forensics", "--forensics-account", "stcontosoforensics", "--yes"];

  /** Starts azir and waits (bounded) until a SAS is out and not yet revoked. */
  async function startUntilSas(emulator: Emulator, out: string) {
    const child = spawn(process.execPath, [...args, "--out", out], { env: env(emulator), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    for (let i = 0; i < 600 && emulator.issuedSas().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    return { child, exited, output: () => stdout + stderr };
  }

  it("SIGINT during the copies revokes every SAS before exiting 130", async () => {
    const emulator = await fresh(undefined, 16 * 1024 * 1024);
    try {
      const out = mkdtempSync(join(tmpdir(), "azir-snap-int-"));
      const { child, exited, output } = await startUntilSas(emulator, out);
      expect(emulator.issuedSas().length).toBeGreaterThan(0);
      child.kill("SIGINT");
      expect(await exited).toBe(130);
      for (const s of snapshots(emulator)) expect((s.properties as { diskState?: string }).diskState).not.toBe("ActiveSAS");
      for (const sas of emulator.issuedSas()) expect(await sasWorks(emulator, sas)).toBe(false);
      expectNoSas(emulator, [output(), ...journalsIn(out).map((j) => readFileSync(j, "utf8"))]);
    } finally {
      await emulator.close();
    }
  });

  it("SIGKILL during the copies, then --resume: the SAS left active is revoked and the copies complete, hashed", async () => {
    const emulator = await fresh(undefined, 16 * 1024 * 1024);
    try {
      const out = mkdtempSync(join(tmpdir(), "azir-snap-kill-"));
      const { child, exited } = await startUntilSas(emulator, out);
      child.kill("SIGKILL");
      await exited;
      // the kill came before the clean-up: a SAS is still active
      expect(snapshots(emulator).some((s) => (s.properties as { diskState?: string }).diskState === "ActiveSAS")).toBe(true);
      const journal = journalsIn(out)[0]!;
      const resumed = spawn(process.execPath, ["bin/azir.js", "run", "--resume", journal, "--as-recorded", "--yes"], { env: env(emulator), stdio: ["ignore", "pipe", "pipe"] });
      let text = "";
      resumed.stdout.on("data", (b: Buffer) => (text += b.toString()));
      resumed.stderr.on("data", (b: Buffer) => (text += b.toString()));
      const code = await new Promise<number | null>((resolve) => resumed.on("exit", resolve));
      expect(code, text).toBe(0);
      if (process.env.SNAP_DEBUG) console.error(text);
      for (const s of snapshots(emulator)) expect((s.properties as { diskState?: string }).diskState).not.toBe("ActiveSAS");
      for (const sas of emulator.issuedSas()) expect(await sasWorks(emulator, sas)).toBe(false);
      expect(emulator.requests().filter((r) => r.method === "PUT" && /\/snapshots\/[^/]+$/.test(r.path))).toHaveLength(3);
      expectNoSas(emulator, [text, ...journalsIn(out).map((j) => readFileSync(j, "utf8"))]);
      const { events } = await readJournal(journal);
      const copies = events.filter((e) => e.kind === "step.completed" && e.step === "export").flatMap((e) => (e.data.outputs as { copies: Array<{ blobUrl: string; sha256: string }> }).copies);
      expect(copies).toHaveLength(3);
      for (const copy of copies) {
        const [, account, container, ...blob] = new URL(copy.blobUrl).pathname.split("/");
        expect(await sha256Of(emulator, account!, container!, decodeURIComponent(blob.join("/")))).toBe(copy.sha256);
      }
    } finally {
      await emulator.close();
    }
  }, 60_000);
});
