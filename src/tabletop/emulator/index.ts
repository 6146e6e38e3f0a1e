export { startEmulator, emulatorEnv } from "./server.js";
export type { EmulatorOptions, StorageSettings } from "./server.js";
export type { StorageAccess } from "./storage.js";
export { diskImageChunks, diskImageSha256, exportAccount } from "./storage.js";
export { faultConfigSchema } from "./faults.js";
export type { Emulator, FaultConfig, FaultRule, RequestLogEntry, EmulatedService } from "./types.js";
export type { KqlEngine } from "./logs.js";
