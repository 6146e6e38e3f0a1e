import type { Effect, EffectKind, EffectPerformer } from "../core/effects.js";
import type { HttpWrite } from "../core/ports.js";
import type { StorageAdapter } from "./storage.js";

/** The adapters an effect may be performed by. */
export interface EffectAdapters {
  graph: { send(request: HttpWrite, signal?: AbortSignal, after?: ReadonlyArray<Promise<unknown>>): Promise<unknown> };
  arm: { send(request: HttpWrite, signal?: AbortSignal): Promise<unknown> };
  storage: Pick<StorageAdapter, "exportSnapshot">;
}

type After = ReadonlyArray<Promise<unknown>>;
type Performers = { [K in EffectKind]: (effect: Extract<Effect, { kind: K }>, signal: AbortSignal | undefined, after: After) => Promise<unknown> };

/** Waits for the effects it must follow, whatever their outcome: only the Graph adapter can send them together. */
const following = (after: After, run: () => Promise<unknown>): Promise<unknown> => (after.length ? Promise.allSettled(after).then(run) : run());

const http = (e: { method: HttpWrite["method"]; path: string; body?: unknown; permission: string; version?: HttpWrite["version"] }): HttpWrite => ({
  method: e.method,
  path: e.path,
  ...(e.body === undefined ? {} : { body: e.body }),
  permission: e.permission,
  ...(e.version ? { version: e.version } : {}),
});

/** Performs each kind of effect with the adapter that speaks its service. A new effect kind adds one entry here. */
export function createEffectPerformer(adapters: EffectAdapters): EffectPerformer {
  const performers: Performers = {
    "graph.request": (e, signal, after) => adapters.graph.send(http(e), signal, after),
    "arm.request": (e, signal, after) => following(after, () => adapters.arm.send(http(e), signal)),
    "snapshot.export": (e, signal, after) => following(after, () => adapters.storage.exportSnapshot(e, signal)),
  };
  return {
    perform(effect, signal, after = []) {
      const perform = performers[effect.kind] as (e: Effect, s: AbortSignal | undefined, a: After) => Promise<unknown>;
      return perform(effect, signal, after);
    },
  };
}
