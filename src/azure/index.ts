export { cloudEndpoints, cloudNames, cloudScopes, isCloudName, resolveEndpoints } from "./clouds.js";
export type { AzureCloudName, ResolvedEndpoints, ServiceScopes } from "./clouds.js";
export { boundedCredential, createCredential, recordingTokens } from "./credential.js";
export type { CredentialOptions } from "./credential.js";
export { AzureServiceError, isAzureServiceError, redact } from "./errors.js";
export { createAzurePorts } from "./ports.js";
export type { AzurePortsOptions } from "./ports.js";
export type { TokenCredential } from "@azure/core-auth";
