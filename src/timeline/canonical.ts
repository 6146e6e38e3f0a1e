import { createHash } from "node:crypto";

/** `prev` of the first event of a journal. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * The canonical JSON form hashed by the chain: JSON.stringify semantics for values, object keys sorted by UTF-16
 * code unit order at every depth, no whitespace, properties whose value is `undefined` left out. Two parses of
 * the same line give the same canonical text, whatever the key order on disk.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    const text = JSON.stringify(value);
    // JSON.stringify(undefined) is undefined; at top level or in arrays JSON writes null.
    return text === undefined ? "null" : text;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined && typeof record[k] !== "function")
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(",")}}`;
}

/**
 * SHA-256 hex of `prev` followed by the canonical JSON of the event without its `hash` and `mac` properties (the
 * signature is over the hash, so it cannot be part of it).
 */
export function computeEventHash(event: Record<string, unknown>): string {
  const { hash: _ignored, mac: _signature, ...rest } = event;
  const prev = typeof rest.prev === "string" ? rest.prev : "";
  return createHash("sha256").update(prev, "utf8").update(canonicalJson(rest), "utf8").digest("hex");
}
