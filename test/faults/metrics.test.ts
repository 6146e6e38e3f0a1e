import { describe, expect, it } from "vitest";
import type { RequestLogEntry } from "../../src/tabletop/emulator/types.js";
import { writesSentTwice } from "./harness.js";

// The suite's count of writes sent twice, on request logs written by hand.

let seq = 0;
const entry = (method: string, path: string, status: number, batchId?: string): RequestLogEntry => ({
  seq: ++seq,
  time: "2026-11-25T12:00:00.000Z",
  method,
  path,
  service: "graph",
  status,
  ...(batchId ? { batchId } : {}),
});

describe("writes sent twice", () => {
  it("a write answered 204 and sent again is counted; a retry after a 503 is not", () => {
    expect(writesSentTwice([entry("PATCH", "/v1.0/users/u", 503), entry("PATCH", "/v1.0/users/u", 204)])).toEqual([]);
    expect(writesSentTwice([entry("PATCH", "/v1.0/users/u", 204), entry("PATCH", "/v1.0/users/u", 204)])).toEqual(["PATCH /v1.0/users/u"]);
  });

  it("inner answers count only when their envelope's 200 reached the client", () => {
    const lost = [entry("PATCH", "/v1.0/users/u", 204, "batch-a"), entry("POST", "/v1.0/$batch", 0), entry("PATCH", "/v1.0/users/u", 204, "batch-b"), entry("POST", "/v1.0/$batch", 200)];
    expect(writesSentTwice(lost)).toEqual([]);
    const delivered = [entry("PATCH", "/v1.0/users/u", 204, "batch-c"), entry("POST", "/v1.0/$batch", 200), entry("PATCH", "/v1.0/users/u", 204, "batch-d"), entry("POST", "/v1.0/$batch", 200)];
    expect(writesSentTwice(delivered)).toEqual(["PATCH /v1.0/users/u"]);
    // An envelope refused before its batch ran (no inner requests) is passed over.
    const refusedFirst = [entry("POST", "/v1.0/$batch", 503), entry("PATCH", "/v1.0/users/u", 204, "batch-e"), entry("POST", "/v1.0/$batch", 200), entry("PATCH", "/v1.0/users/u", 204)];
    expect(writesSentTwice(refusedFirst)).toEqual(["PATCH /v1.0/users/u"]);
  });

  it("a path the uninterrupted run wrote twice counts only beyond that", () => {
    const twice = [entry("POST", "/v1.0/users/u/revokeSignInSessions", 200), entry("POST", "/v1.0/users/u/revokeSignInSessions", 200)];
    expect(writesSentTwice(twice, twice)).toEqual([]);
    expect(writesSentTwice([...twice, entry("POST", "/v1.0/users/u/revokeSignInSessions", 200)], twice)).toEqual(["POST /v1.0/users/u/revokeSignInSessions"]);
  });

  it("removePassword answered 2xx twice on one path is two keys (Graph refuses a key that is gone), and an answer a fault changed never reached the client", () => {
    const keys = [entry("POST", "/v1.0/applications/a/removePassword", 204), entry("POST", "/v1.0/applications/a/removePassword", 204)];
    expect(writesSentTwice(keys)).toEqual([]);
    const faulted = [{ ...entry("POST", "/v1.0/applications/a/addPassword", 200), fault: true as const }, entry("POST", "/v1.0/applications/a/addPassword", 200)];
    expect(writesSentTwice(faulted)).toEqual([]);
    const envelopeFaulted = [entry("POST", "/v1.0/applications/a/addPassword", 200, "batch-f"), { ...entry("POST", "/v1.0/$batch", 200), fault: true as const }, entry("POST", "/v1.0/applications/a/addPassword", 200)];
    expect(writesSentTwice(envelopeFaulted)).toEqual([]);
  });

  it("reads and Log Analytics queries are never writes", () => {
    expect(writesSentTwice([entry("GET", "/v1.0/users/u", 200), entry("GET", "/v1.0/users/u", 200)])).toEqual([]);
  });
});
