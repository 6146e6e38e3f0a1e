export { startEmulator, emulatorEnv } from "./server.js";
export type { EmulatorOptions } from "./server.js";
export { faultConfigSchema } from "./faults.js";
export type { Emulator, FaultConfig, FaultRule, RequestLogEntry, EmulatedService } from "./types.js";
export type { KqlEngine } from "./logs.js";
