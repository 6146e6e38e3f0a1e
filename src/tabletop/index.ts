import type { Clock } from "../core/clock.js";
import { emulatorEnv, startEmulator, type StorageSettings } from "./emulator/server.js";
import type { Emulator, FaultConfig } from "./emulator/types.js";
import { builtInScenarioDir, loadScenario } from "./scenario/load.js";

export { emulatorEnv, startEmulator } from "./emulator/server.js";
export { faultConfigSchema } from "./emulator/faults.js";
export type { Emulator, FaultConfig, RequestLogEntry } from "./emulator/types.js";
export type { StorageSettings } from "./emulator/server.js";

/** Loads a scenario (default: the built-in Contoso tenant), pinning relative times at `clock.now()`, and serves it. */
export async function startTabletop(options: { scenarioDir?: string; clock: Clock; faults?: FaultConfig; port?: number; storage?: StorageSettings }): Promise<Emulator> {
  const scenario = await loadScenario(options.scenarioDir ?? builtInScenarioDir(), options.clock.now());
  return startEmulator({
    scenario,
    clock: options.clock,
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.storage ? { storage: options.storage } : {}),
  });
}

/** What `azir tabletop serve --json` prints: one JSON line. */
export function serveInfo(emulator: Emulator): { endpoints: { logs: string; graph: string; arm: string; authority: string }; ca: string; env: Record<string, string> } {
  const { logs, graph, arm, authority } = emulator.endpoints;
  return { endpoints: { logs, graph, arm, authority }, ca: emulator.caPath, env: emulatorEnv(emulator) };
}
