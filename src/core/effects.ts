import type { Endpoints } from "./ports.js";

/**
 * What an action may do to the world, as data. An action never writes: it returns effects, and the one write gate
 * (src/runbook/gate.ts) asks for them, records them (dry run) or hands them to the performer. A new kind of effect
 * (a blob copy with hashing and progress, a secret-issuing call) is a new member of the union, a case in
 * `describeEffect` and an entry in the performer; the executor does not change.
 */

export type WriteMethod = "POST" | "PATCH" | "PUT" | "DELETE";

interface EffectBase {
  /** Names the effect among its action's effects: outcomes are matched by it, never by parsing a URL back. */
  key: string;
  /** One line for the confirmation prompt and the timeline, e.g. "block sign-in for alex@contoso.com". */
  summary: string;
  /** The object acted on (UPN, object id or resource id). */
  target: string;
  /** Least-privileged permission or Azure role it needs, from the permission catalogue (src/entra/permissions.ts). */
  permission: string;
  /** Order inside one action: effects of one phase run concurrently, phases in increasing order. Default 0. */
  phase?: number;
  /**
   * Keys of effects of an earlier phase of the same action that must have succeeded: otherwise this one is not sent
   * (an app's old secret is removed only once its new one exists).
   */
  requires?: string[];
  /** The answer is a secret (a SAS URL, a new client secret): it goes to the secret sink, never to the journal. */
  secretResult?: boolean;
  /** Run when the action ends, whatever its outcome (success, failure, interruption), once this effect was tried. */
  cleanup?: Effect[];
  /**
   * A long effect (a disk copy) that an interrupt cancels rather than waits for; its clean-up still runs. Short
   * writes are never cut off: an interrupt lets them finish.
   */
  abortable?: boolean;
}

/** One request to Microsoft Graph. `path` is below the version root: `/users/{id}`. */
export interface GraphRequestEffect extends EffectBase {
  kind: "graph.request";
  method: WriteMethod;
  path: string;
  body?: unknown;
  /** Default v1.0. `beta` only where v1.0 has no such call (and the action says so to the responder). */
  version?: "v1.0" | "beta";
}

/**
 * One request to Azure Resource Manager, `path` a resource path with its api-version. The performer waits for a
 * long-running operation to finish (202 + Location / Azure-AsyncOperation, polled as the SDK does).
 */
export interface ArmRequestEffect extends EffectBase {
  kind: "arm.request";
  method: WriteMethod;
  path: string;
  body?: unknown;
}

/**
 * The forensic copy of one managed-disk snapshot: wait for the snapshot's background copy where the disk type has one,
 * grant a short-lived read SAS (beginGetAccess), copy the bytes into the forensics container (server-side copy from
 * the SAS, streamed when the service refuses that), hash the copy as stored (SHA-256) and write the hash on it. The
 * SAS stays inside the performer: it never reaches the action, the journal or an error. Revoking it is the clean-up
 * effect (endGetAccess) the action declares, which the gate runs in every outcome.
 */
export interface SnapshotExportEffect extends EffectBase {
  kind: "snapshot.export";
  /** ARM id of the snapshot. */
  snapshotId: string;
  /** Lifetime of the read SAS, in seconds. */
  sasSeconds: number;
  /** Wait until the snapshot's `completionPercent` is 100 before asking for a SAS (Ultra Disk, Premium SSD v2). */
  waitForBackgroundCopy: boolean;
  /** The copy: `${blobEndpoint}${container}/${blob}`. */
  destination: { blobEndpoint: string; container: string; blob: string };
  /** Written on the copy with its hash (chain of custody). */
  metadata: Record<string, string>;
}

/** What a snapshot export answers: never the SAS. */
export interface SnapshotExportResult {
  blobUrl: string;
  bytes: number;
  sha256: string;
  /** `server-side`: Copy Blob from the SAS; `streamed`: read and written by azir. */
  method: "server-side" | "streamed";
  startedAt: string;
  /** When the SAS was in hand and the copy began (after any background copy and the grant). */
  copyStartedAt: string;
  finishedAt: string;
}

export type Effect = GraphRequestEffect | ArmRequestEffect | SnapshotExportEffect;
export type EffectKind = Effect["kind"];

/** How an effect shows itself in the confirmation prompt, in dry-run and in the journal. */
export interface EffectDescription {
  service: "graph" | "arm" | "storage";
  method: WriteMethod;
  url: string;
  body?: unknown;
  permission: string;
  summary: string;
  target: string;
}

/** The exact request an effect stands for, with the endpoints of this run. */
export function describeEffect(effect: Effect, endpoints: Pick<Endpoints, "graph" | "arm">): EffectDescription {
  if (effect.kind === "snapshot.export") {
    const { blobEndpoint, container, blob } = effect.destination;
    return {
      service: "storage",
      method: "PUT",
      url: `${blobEndpoint.replace(/\/?$/, "/")}${container}/${blob}`,
      body: { copySource: `${endpoints.arm.replace(/\/$/, "")}${effect.snapshotId}/beginGetAccess (read SAS, ${effect.sasSeconds} s)`, metadata: effect.metadata },
      permission: effect.permission,
      summary: effect.summary,
      target: effect.target,
    };
  }
  const common = { permission: effect.permission, summary: effect.summary, target: effect.target, ...(effect.body === undefined ? {} : { body: effect.body }) };
  switch (effect.kind) {
    case "graph.request":
      return { service: "graph", method: effect.method, url: `${endpoints.graph.replace(/\/$/, "")}/${effect.version ?? "v1.0"}${effect.path}`, ...common };
    case "arm.request":
      return { service: "arm", method: effect.method, url: `${endpoints.arm.replace(/\/$/, "")}${effect.path}`, ...common };
  }
}

/** What became of one effect: its answer, or the error it ended with. */
export type EffectOutcome =
  | { effect: Effect; ok: true; value: unknown }
  | { effect: Effect; ok: false; error: unknown };

/** Performs effects. Implemented over the SDKs in src/azure; only the write gate calls it. */
export interface EffectPerformer {
  /**
   * Performs one effect after the effects whose pending results are in `after` (promises this performer returned)
   * have their answers, whatever they are. The performer may send them together (Graph `$batch` with `dependsOn`):
   * the order is kept either way.
   */
  perform(effect: Effect, signal?: AbortSignal, after?: ReadonlyArray<Promise<unknown>>): Promise<unknown>;
}

/**
 * Where the answer of an effect marked `secretResult` goes: shown once to the responder or written to a file they
 * named, never to the journal, logs or `--json`. The gate hands the action only `{ secret: true }` in its place.
 */
export interface SecretSink {
  /** Resolves true once the secret reached the responder (shown, or written to their file); false when there was none. */
  receive(effect: EffectDescription, value: unknown): boolean | Promise<boolean>;
}
