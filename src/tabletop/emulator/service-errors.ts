import { randomUUID } from "node:crypto";
import type { Clock } from "../../core/clock.js";
import { graphError } from "./graph/odata.js";
import type { EmulatedService, Reply } from "./types.js";

/** Answers an error in a service's own shape. */
export type ServiceError = (service: EmulatedService, status: number, code: string, message: string) => Reply;

/**
 * Graph's error body with its innerError (microsoft-graph-docs-contrib concepts/errors.md); ARM's and Log
 * Analytics' `{error:{code,message}}` (azure-rest-api-specs common-types/resource-management/v5/types.json
 * ErrorResponse; azure-monitor-docs articles/azure-monitor/logs/api/errors.md).
 */
export function serviceErrorFor(clock: Clock): ServiceError {
  return (service, status, code, message) => (service === "graph" ? graphError(status, code, message, clock.now(), randomUUID()) : { status, body: { error: { code, message } } });
}
