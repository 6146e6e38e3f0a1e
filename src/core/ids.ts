import { randomUUID } from "node:crypto";

/** Source of random identifiers, injected so that tests are deterministic. */
export interface IdSource {
  uuid(): string;
}

export const randomIds: IdSource = { uuid: () => randomUUID() };

/** Deterministic ids for tests: 00000000-0000-4000-8000-000000000001, ...02, ... */
export function sequentialIds(prefix = "00000000-0000-4000-8000-"): IdSource {
  let n = 0;
  return { uuid: () => `${prefix}${String(++n).padStart(12, "0")}` };
}
