import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { TokenCredential } from "@azure/core-auth";
import type { BlobServiceClient, StoragePipelineOptions } from "@azure/storage-blob";
import { AzirError } from "../core/errors.js";
import type { SnapshotExportEffect, SnapshotExportResult } from "../core/effects.js";
import type { Clock } from "../core/clock.js";
import type { BlobFacts, ContainerFacts, StorageReader } from "../core/ports.js";
import { AzureServiceError, rawServiceError, redact } from "./errors.js";

export interface StorageAdapterOptions {
  credential: TokenCredential;
  clock: Clock;
  /** Extra CA (PEM) to trust, e.g. the emulator's (Azurite serves the emulator's certificate). */
  ca?: string;
  /** Grants a read SAS on a snapshot (the ARM adapter's beginGetAccess). */
  grant(snapshotId: string, seconds: number, signal?: AbortSignal): Promise<string>;
  /** Reads a snapshot (ARM shape), for its background copy's progress. */
  readSnapshot(snapshotId: string): Promise<{ properties?: { completionPercent?: number; copyCompletionError?: { errorMessage?: string } } }>;
  /** Secrets issued in this run (a SAS): the journal and every output mask them. */
  secrets?: Set<string>;
  /** Progress lines for the terminal (a copy's bytes, a background copy's percent). */
  onProgress?: (line: string) => void;
  /** How often to look at a copy or a background copy (default 2 s). */
  pollMs?: number;
  /** How long a snapshot's background copy may take before azir gives up on it (default 6 h). */
  backgroundCopyTimeoutMs?: number;
  /** Refuse any blob endpoint not on 127.0.0.1 (the tabletop: nothing leaves the machine). */
  loopbackOnly?: boolean;
}

export interface StorageAdapter extends StorageReader {
  /** Performs a snapshot export (effects.ts): the SAS stays in here. */
  exportSnapshot(effect: SnapshotExportEffect, signal?: AbortSignal): Promise<SnapshotExportResult>;
}

const mib = 1024 * 1024;


/** Blob Storage with Entra ID sign-in (`https://storage.azure.com/.default`), over @azure/storage-blob. */
export async function createStorageAdapter(options: StorageAdapterOptions): Promise<StorageAdapter> {
  const { BlobServiceClient: Service, BlobClient, AnonymousCredential } = await import("@azure/storage-blob");
  // createClientPipeline (core-client) reads tlsOptions from the pipeline options storage-blob hands it.
  const pipeline = (options.ca ? { tlsOptions: { ca: options.ca } } : {}) as StoragePipelineOptions;
  const services = new Map<string, BlobServiceClient>();
  const service = (endpoint: string): BlobServiceClient => {
    if (options.loopbackOnly && !/^https:\/\/127\.0\.0\.1(:\d+)?\//.test(endpoint)) {
      throw new AzirError("usage", `the blob endpoint ${endpoint} is not on 127.0.0.1: a tabletop run sends nothing off this machine`, {
        hint: "the simulated tenant's storage accounts point at its local storage; check the scenario's primaryEndpoints",
      });
    }
    let s = services.get(endpoint);
    if (!s) {
      s = new Service(endpoint, options.credential, pipeline);
      services.set(endpoint, s);
    }
    return s;
  };
  const pollMs = options.pollMs ?? 2000;
  const known = options.secrets ?? new Set<string>();
  const progress = options.onProgress ?? (() => undefined);

  /** A storage failure as an AzirError whose text has no SAS in it. */
  const fail = (error: unknown, what: string): AzirError => {
    if (error instanceof AzirError) return error;
    if (error instanceof Error && error.name === "AbortError") return new AzirError("interrupted", `${what} was cancelled`);
    const raw = rawServiceError(error);
    let message = raw.message;
    for (const secret of known) message = message.split(secret).join("[redacted]");
    message = redact(message).split("\n")[0] ?? "";
    const code = raw.status === 403 ? "permission" : raw.status === 404 ? "not-found" : raw.status === 401 ? "auth" : "service";
    return new AzureServiceError(code, `${what}: Storage answered ${raw.status === -1 ? "nothing" : raw.status}${raw.serviceCode ? ` ${raw.serviceCode}` : ""}: ${message}`, {
      service: "Storage",
      status: raw.status,
      ...(raw.serviceCode ? { serviceCode: raw.serviceCode } : {}),
      hint:
        code === "permission"
          ? "The identity needs Storage Blob Data Contributor on the forensics container (a role assignment on the storage account or the container)."
          : "Run the step again: the SAS is revoked in any case, and a copy whose hash is recorded is not repeated.",
      cause: error,
    });
  };

  const waitForBackgroundCopy = async (snapshotId: string, name: string, signal?: AbortSignal): Promise<void> => {
    const deadline = options.clock.now().getTime() + (options.backgroundCopyTimeoutMs ?? 6 * 3600_000);
    for (;;) {
      const snapshot = await options.readSnapshot(snapshotId);
      const percent = snapshot.properties?.completionPercent ?? 100;
      const failed = snapshot.properties?.copyCompletionError?.errorMessage;
      if (failed) throw new AzirError("service", `the background copy of snapshot ${name} failed: ${redact(failed)}`, { hint: "take the snapshot again (azir snapshot reuses the disks' other snapshots)" });
      if (percent >= 100) return;
      progress(`${name}: background copy ${percent}%`);
      if (options.clock.now().getTime() > deadline) {
        throw new AzirError("service", `the background copy of snapshot ${name} is at ${percent}% after the time allowed`, { hint: "run azir snapshot again later: the snapshot is reused, and the export starts once the copy is done" });
      }
      await options.clock.sleep(pollMs, signal);
    }
  };

  /**
   * The SHA-256 of a blob as stored, read back as one stream. (Ranged reads in parallel were slower: a page blob's
   * ranges cost the storage service a page-range lookup each.)
   */
  const hashOf = async (blob: ReturnType<ReturnType<BlobServiceClient["getContainerClient"]>["getBlobClient"]>, signal?: AbortSignal): Promise<{ sha256: string; bytes: number }> => {
    const download = await blob.download(0, undefined, signal ? { abortSignal: signal } : {});
    const body = download.readableStreamBody;
    if (!body) throw new AzirError("service", "Storage returned no body for the copy");
    const hash = createHash("sha256");
    let bytes = 0;
    for await (const chunk of body) {
      const b = chunk as Buffer;
      hash.update(b);
      bytes += b.length;
    }
    const expected = download.contentLength ?? bytes;
    if (bytes !== expected) throw new AzirError("service", `read ${bytes} bytes of a copy of ${expected}`, { hint: "run the step again" });
    return { sha256: hash.digest("hex"), bytes };
  };

  return {
    async findBlob(endpoint, container, name): Promise<BlobFacts | undefined> {
      const blob = service(endpoint).getContainerClient(container).getBlobClient(name);
      try {
        const p = await blob.getProperties();
        return { bytes: p.contentLength ?? 0, metadata: p.metadata ?? {}, ...(p.lastModified ? { lastModified: p.lastModified.toISOString() } : {}) };
      } catch (error) {
        if (rawServiceError(error).status === 404) return undefined;
        throw fail(error, `reading ${container}/${name}`);
      }
    },
    async findContainer(endpoint, container): Promise<ContainerFacts | undefined> {
      try {
        const p = await service(endpoint).getContainerClient(container).getProperties();
        return { hasImmutabilityPolicy: Boolean(p.hasImmutabilityPolicy), hasLegalHold: Boolean(p.hasLegalHold) };
      } catch (error) {
        if (rawServiceError(error).status === 404) return undefined;
        throw fail(error, `reading container ${container}`);
      }
    },
    async exportSnapshot(effect, signal): Promise<SnapshotExportResult> {
      const name = effect.snapshotId.split("/").at(-1) ?? effect.snapshotId;
      const { blobEndpoint, container, blob: blobName } = effect.destination;
      const startedAt = options.clock.now().toISOString();
      const abort = signal ? { abortSignal: signal } : {};
      if (effect.waitForBackgroundCopy) await waitForBackgroundCopy(effect.snapshotId, name, signal);
      const sas = await options.grant(effect.snapshotId, effect.sasSeconds, signal);
      // Masked wherever it might be echoed: the URL, its query and its signature.
      known.add(sas);
      const query = sas.split("?")[1];
      if (query) known.add(query);
      const sig = new URL(sas).searchParams.get("sig");
      if (sig) known.add(sig);

      const copyStartedAt = options.clock.now().toISOString();
      const containerClient = service(blobEndpoint).getContainerClient(container);
      const target = containerClient.getBlobClient(blobName);
      let method: SnapshotExportResult["method"] = "server-side";
      try {
        await containerClient.createIfNotExists(abort);
      } catch (error) {
        throw fail(error, `creating container ${container}`);
      }
      try {
        const poller = await target.beginCopyFromURL(sas, {
          ...abort,
          intervalInMs: pollMs,
          onProgress: (state) => {
            if (state.copyProgress) progress(`${name}: copied ${state.copyProgress}`);
          },
        });
        try {
          await poller.pollUntilDone();
        } catch (error) {
          // An interrupted server-side copy is stopped, not left running against a SAS about to be revoked.
          const copyId = (poller.getOperationState().result as { copyId?: string } | undefined)?.copyId;
          if (copyId) await target.abortCopyFromURL(copyId).catch(() => undefined);
          throw error;
        }
      } catch (error) {
        if (signal?.aborted) throw fail(error, `copying ${name}`);
        // The service would not copy from the SAS (some accounts refuse cross-account copies): read and write it here.
        method = "streamed";
        progress(`${name}: server-side copy refused (${fail(error, "copy").message}); streaming`);
        try {
          const source = new BlobClient(sas, new AnonymousCredential(), pipeline);
          const download = await source.download(0, undefined, abort);
          if (!download.readableStreamBody) throw new AzirError("service", `the export of ${name} returned no body`);
          await containerClient.getBlockBlobClient(blobName).uploadStream(download.readableStreamBody as Readable, 8 * mib, 4, {
            ...abort,
            onProgress: (p) => progress(`${name}: streamed ${Math.round(p.loadedBytes / mib)} MiB`),
          });
        } catch (streamError) {
          throw fail(streamError, `copying snapshot ${name} to ${container}/${blobName}`);
        }
      }
      let hashed: { sha256: string; bytes: number };
      try {
        progress(`${name}: hashing the copy`);
        hashed = await hashOf(target, signal);
        const finishedAt = options.clock.now().toISOString();
        await target.setMetadata({ ...effect.metadata, sha256: hashed.sha256, copiedat: finishedAt }, abort);
        return { blobUrl: target.url, bytes: hashed.bytes, sha256: hashed.sha256, method, startedAt, copyStartedAt, finishedAt };
      } catch (error) {
        throw fail(error, `hashing the copy of ${name}`);
      }
    },
  };
}
