// The emulator plays Azure Storage here: it drives Azurite (Microsoft's storage emulator) in-process, and uses
// @azure/storage-blob's own SAS generator and clients to seed it, so that every SAS it hands out is one a real
// storage service signs and checks the same way (test/architecture.test.ts lists this file as the one exception).
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { ClientRequestArgs } from "node:http";
import { Agent } from "node:https";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, type Duplex } from "node:stream";
import { systemClock } from "../../core/clock.js";

/** What a test (or the tabletop) needs to reach the emulated storage accounts on its own. */
export interface StorageAccess {
  /** `https://127.0.0.1:PORT/{account}`: Azurite's path-style URL, standing for `https://{account}.blob.core.windows.net`. */
  blobEndpoint(account: string): string;
  /** The account's shared key (base64), generated when the emulator first needs it. */
  accountKey(account: string): string;
}

export interface StorageOptions {
  /** The accounts Azurite serves: the scenario's storage accounts and the export account. */
  accounts: string[];
  certPem: string;
  keyPem: string;
  caPem: string;
}

/** One exported snapshot: a page blob in a container of its own in the export account. */
export interface DiskExport {
  container: string;
  blob: string;
  /** The SAS URL handed out (read-only, expiring). */
  url: string;
}

/** Azure's managed-disk export storage, as an Azurite account (the host of `accessSAS` URLs). */
export const exportAccount = "mdexports";

/**
 * The bytes of a generated disk image: the AES-256-CTR key stream (zero IV) under SHA-256 of the disk id, so that
 * anyone can recompute them (and their hash) from the id alone.
 */
export function diskImageKey(diskId: string): Buffer {
  return createHash("sha256").update(`azir tabletop disk image\n${diskId.toLowerCase()}`).digest();
}

/** Yields the disk image of `diskId`, `size` bytes, in chunks of at most `chunk` bytes. */
export function* diskImageChunks(diskId: string, size: number, chunk = 4 * 1024 * 1024): Generator<Buffer> {
  const cipher = createCipheriv("aes-256-ctr", diskImageKey(diskId), Buffer.alloc(16));
  for (let offset = 0; offset < size; offset += chunk) {
    yield cipher.update(Buffer.alloc(Math.min(chunk, size - offset)));
  }
}

/** SHA-256 (hex) of the disk image of `diskId`, `size` bytes. */
export function diskImageSha256(diskId: string, size: number): string {
  const hash = createHash("sha256");
  for (const part of diskImageChunks(diskId, size)) hash.update(part);
  return hash.digest("hex");
}

// AZURITE_ACCOUNTS is read from the process environment, again every 60 s (AccountDataStore): every Azurite this
// process runs sees the same list, so an account name keeps one key for the life of the process.
const processKeys = new Map<string, string>();
function keyFor(account: string): string {
  let key = processKeys.get(account);
  if (!key) {
    key = randomBytes(64).toString("base64");
    processKeys.set(account, key);
  }
  return key;
}

// Azurite checks a copy source that names another account, or carries a SAS, by reading it back over HTTPS with its
// own axios (BlobHandler.validateCopySource), which trusts only Node's default CAs. It is given an agent that trusts,
// for each Azurite this process runs, that Azurite's certificate on its port (the emulators' certificates share a
// subject, so one store holding several of them would not verify).
const casByPort = new Map<number, string>();
class EmulatorTrustAgent extends Agent {
  override createConnection(options: ClientRequestArgs, callback?: (error: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const ca = casByPort.get(Number(options.port));
    return super.createConnection(ca ? { ...options, ca } : options, callback);
  }
}
let trustAgent: EmulatorTrustAgent | undefined;
function trustInAzurite(require: NodeJS.Require, port: number, caPem: string): void {
  casByPort.set(port, caPem);
  if (trustAgent) return;
  trustAgent = new EmulatorTrustAgent({ keepAlive: false });
  const handlerRequire = createRequire(require.resolve("azurite/dist/src/blob/handlers/BlobHandler.js"));
  const axios = (handlerRequire("axios") as { default: AxiosLike }).default;
  axios.defaults.httpsAgent = trustAgent;
  // The check is a GET of the source with comp=metadata, which Azurite answers with the whole blob (a disk image:
  // hundreds of MiB) although only the status is used: for an Azurite of this process, the answer is read as a stream,
  // and a 200's body is dropped unread. The status, and an error's body, are what they were.
  axios.interceptors.request.use((config) => (ownAzurite(config.url) ? { ...config, responseType: "stream" } : config));
  axios.interceptors.response.use(async (response) => {
    if (!ownAzurite(response.config.url) || !isReadable(response.data)) return response;
    if (response.status === 200) {
      response.data.destroy();
      return { ...response, data: "" };
    }
    const chunks: Buffer[] = [];
    for await (const chunk of response.data) chunks.push(Buffer.from(chunk as Uint8Array));
    return { ...response, data: Buffer.concat(chunks).toString("utf8") };
  });
}

interface AxiosConfig {
  url?: string;
  responseType?: string;
}
interface AxiosResponse {
  status: number;
  data: unknown;
  config: AxiosConfig;
}
interface AxiosLike {
  defaults: { httpsAgent?: unknown };
  interceptors: {
    request: { use(onFulfilled: (config: AxiosConfig) => AxiosConfig): number };
    response: { use(onFulfilled: (response: AxiosResponse) => Promise<AxiosResponse>): number };
  };
}

function ownAzurite(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === "https:" && u.hostname === "127.0.0.1" && casByPort.has(Number(u.port));
  } catch {
    return false;
  }
}

function isReadable(data: unknown): data is Readable {
  return data instanceof Readable;
}

// While no Azurite runs, the process environment does not keep AZURITE_ACCOUNTS (the keys stay in processKeys).
let liveAzurites = 0;
function stopped(): void {
  liveAzurites = Math.max(0, liveAzurites - 1);
  if (liveAzurites === 0) delete process.env.AZURITE_ACCOUNTS;
}

interface AzuriteBlobServer {
  start(): Promise<void>;
  close(): Promise<void>;
  clean(): Promise<void>;
  getHttpServerAddress(): string;
}
type BlobServerClass = new (configuration: unknown) => AzuriteBlobServer;
type BlobConfigurationClass = new (...args: unknown[]) => unknown;
type ChunkStoreClass = new (sizeLimit?: number) => unknown;

interface Running {
  server: AzuriteBlobServer;
  origin: string;
  dir: string;
  blob: typeof import("@azure/storage-blob");
}

/**
 * Azurite's blob service on 127.0.0.1 (a random port, HTTPS with the emulator's certificate, in memory, OAuth
 * "basic": bearer tokens from the emulator's authority for https://storage.azure.com), started on first use
 * (loading it takes most of a second) and stopped by `close()`.
 */
export class AzuriteStorage implements StorageAccess {
  private running: Promise<Running> | undefined;
  private origin = "";
  private port = 0;
  private readonly accounts: Set<string>;
  /** Disk images written so far, by blob name. */
  private readonly images = new Map<string, Promise<string>>();

  constructor(private readonly options: StorageOptions) {
    this.accounts = new Set([...options.accounts.map((a) => a.toLowerCase()), exportAccount]);
  }

  get started(): boolean {
    return this.running !== undefined;
  }

  /** Starts Azurite (once) and creates the scenario's containers; resolves when it answers. */
  async start(containers: ReadonlyArray<{ account: string; container: string }> = []): Promise<StorageAccess> {
    this.running ??= this.launch(containers);
    await this.running;
    return this;
  }

  blobEndpoint(account: string): string {
    if (!this.origin) throw new Error("Azurite has not started: await emulator.storage() first.");
    return `${this.origin}/${account.toLowerCase()}`;
  }

  accountKey(account: string): string {
    const name = account.toLowerCase();
    if (!this.accounts.has(name)) throw new Error(`The emulator has no storage account '${account}'.`);
    return keyFor(name);
  }

  /** Writes the disk image of `diskId` to a new page blob in the export account; answers its read-only SAS URL. */
  async exportDisk(request: { diskId: string; sizeBytes: number; durationInSeconds: number; corruptSignature: boolean }): Promise<DiskExport> {
    const { blob } = await this.ensure();
    const container = `md-${randomBytes(6).toString("hex")}`;
    const blobName = "abcd";
    const credential = new blob.StorageSharedKeyCredential(exportAccount, this.accountKey(exportAccount));
    const service = new blob.BlobServiceClient(this.blobEndpoint(exportAccount), blob.newPipeline(credential, this.pipelineOptions()));
    const image = await this.diskImage(service, request.diskId, request.sizeBytes);
    const containerClient = service.getContainerClient(container);
    await containerClient.create();
    // A copy inside one Azurite account shares the image's data: an export costs no upload once the image exists.
    const copied = await containerClient.getPageBlobClient(blobName).syncCopyFromURL(image);
    if (copied.copyStatus !== "success") throw new Error(`the export copy ended ${String(copied.copyStatus)}`);
    // A blob SAS as Azure's export gives one: read only, https only, expiring after durationInSeconds. Azurite
    // checks the expiry against the machine's clock, so the expiry is taken from it too.
    const sas = blob
      .generateBlobSASQueryParameters(
        {
          containerName: container,
          blobName,
          permissions: blob.BlobSASPermissions.parse("r"),
          startsOn: new Date(systemClock.now().getTime() - 60_000),
          expiresOn: new Date(systemClock.now().getTime() + request.durationInSeconds * 1000),
          protocol: blob.SASProtocol.Https,
        },
        credential,
      )
      .toString();
    const query = request.corruptSignature ? sas.replace(/sig=([^&]+)/, (_m, sig: string) => `sig=${flipSignature(decodeURIComponent(sig))}`) : sas;
    return { container, blob: blobName, url: `${this.blobEndpoint(exportAccount)}/${container}/${blobName}?${query}` };
  }

  /**
   * The URL of the disk image of `diskId` (`sizeBytes`), a page blob in a private container of the export account,
   * written on first use.
   */
  private diskImage(service: import("@azure/storage-blob").BlobServiceClient, diskId: string, sizeBytes: number): Promise<string> {
    const name = `${createHash("sha256").update(diskId.toLowerCase()).digest("hex").slice(0, 32)}-${sizeBytes}`;
    let pending = this.images.get(name);
    if (!pending) {
      pending = (async () => {
        const images = service.getContainerClient("disk-images");
        await images.createIfNotExists();
        const page = images.getPageBlobClient(name);
        await page.create(sizeBytes);
        let offset = 0;
        for (const part of diskImageChunks(diskId, sizeBytes)) {
          await page.uploadPages(part, offset, part.length);
          offset += part.length;
        }
        return page.url;
      })();
      pending.catch(() => this.images.delete(name));
      this.images.set(name, pending);
    }
    return pending;
  }

  /** Deletes an export's container: its SAS stops working (404) at once. */
  async revokeExport(container: string): Promise<void> {
    const { blob } = await this.ensure();
    const credential = new blob.StorageSharedKeyCredential(exportAccount, this.accountKey(exportAccount));
    const service = new blob.BlobServiceClient(this.blobEndpoint(exportAccount), blob.newPipeline(credential, this.pipelineOptions()));
    await service.getContainerClient(container).deleteIfExists();
  }

  async close(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    this.images.clear();
    if (!running) return;
    const r = await running.catch(() => undefined);
    if (!r) return;
    casByPort.delete(this.port);
    await r.server.close().catch(() => undefined);
    await r.server.clean().catch(() => undefined);
    stopped();
    await rm(r.dir, { recursive: true, force: true });
  }

  /**
   * @azure/storage-blob hands its options to core-client's pipeline, which honours `tlsOptions`
   * (createPipelineFromOptions): the CA to trust, since the emulator's certificate is its own.
   */
  private pipelineOptions(): import("@azure/storage-blob").StoragePipelineOptions {
    return { tlsOptions: { ca: this.options.caPem } } as import("@azure/storage-blob").StoragePipelineOptions;
  }

  private ensure(): Promise<Running> {
    this.running ??= this.launch([]);
    return this.running;
  }

  private async launch(containers: ReadonlyArray<{ account: string; container: string }>): Promise<Running> {
    const require = createRequire(import.meta.url);
    const BlobServer = (require("azurite/dist/src/blob/BlobServer.js") as { default: BlobServerClass }).default;
    const BlobConfiguration = (require("azurite/dist/src/blob/BlobConfiguration.js") as { default: BlobConfigurationClass }).default;
    const memory = require("azurite/dist/src/common/persistence/MemoryExtentStore.js") as { MemoryExtentChunkStore: ChunkStoreClass; DEFAULT_EXTENT_MEMORY_LIMIT: number };
    const blob = await import("@azure/storage-blob");

    // Azurite reads the certificate from files: a private folder, removed by close().
    const dir = await mkdtemp(join(tmpdir(), "azir-storage-"));
    const certPath = join(dir, "cert.pem");
    const keyPath = join(dir, "key.pem");
    await writeFile(certPath, this.options.certPem, { mode: 0o600 });
    await writeFile(keyPath, this.options.keyPem, { mode: 0o600 });
    for (const account of this.accounts) keyFor(account);
    process.env.AZURITE_ACCOUNTS = [...processKeys].map(([name, key]) => `${name}:${key}`).join(";");
    liveAzurites += 1;

    const configuration = new BlobConfiguration(
      "127.0.0.1",
      0,
      5,
      join(dir, "metadata.json"),
      join(dir, "extents.json"),
      [{ locationId: "Default", locationPath: join(dir, "blobs"), maxConcurrency: 10 }],
      false,
      undefined,
      false,
      undefined,
      false, // loose
      false, // skipApiVersionCheck
      certPath,
      keyPath,
      "",
      "basic",
      false,
      true, // in memory
      new memory.MemoryExtentChunkStore(memory.DEFAULT_EXTENT_MEMORY_LIMIT),
    );
    const server = new BlobServer(configuration);
    try {
      await server.start();
    } catch (error) {
      stopped();
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    const address = server.getHttpServerAddress();
    const port = /:(\d+)$/.exec(address)?.[1];
    this.origin = `https://127.0.0.1:${port ?? "0"}`;
    this.port = Number(port);
    trustInAzurite(require, this.port, this.options.caPem);
    const running: Running = { server, origin: this.origin, dir, blob };
    for (const { account, container } of containers) {
      const credential = new blob.StorageSharedKeyCredential(account.toLowerCase(), this.accountKey(account));
      const service = new blob.BlobServiceClient(this.blobEndpoint(account), blob.newPipeline(credential, this.pipelineOptions()));
      await service.getContainerClient(container).createIfNotExists();
    }
    return running;
  }
}

/** A signature that still decodes as base64 but is not the right one (the fault "badSas"). */
function flipSignature(sig: string): string {
  const bytes = Buffer.from(sig, "base64");
  bytes[0] = (bytes[0] ?? 0) ^ 0xff;
  return encodeURIComponent(bytes.toString("base64"));
}

