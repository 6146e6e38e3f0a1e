import { describe, expect, it } from "vitest";
import { GENESIS_HASH, canonicalJson, computeEventHash } from "../../src/timeline/canonical.js";
import { dataSchemas, eventKinds, timelineEventSchema } from "../../src/timeline/event.js";
import { RUN_A } from "./helpers.js";

const base = {
  seq: 1,
  runId: RUN_A,
  recordedAt: "2026-11-25T12:00:00.000Z",
  mode: "live",
  summary: "s",
  prev: GENESIS_HASH,
  hash: "a".repeat(64),
};
const window = { start: "2026-11-11T00:00:00Z", end: "2026-11-25T00:00:00Z" };

const validData: Record<(typeof eventKinds)[number], Record<string, unknown>> = {
  "run.started": { runbook: "rb", params: { upn: "a@b.com" } },
  "run.resumed": { runbook: "rb", params: {}, resumedRunId: RUN_A },
  "run.interrupted": {},
  "run.finished": { status: "failed", exitCode: 1 },
  query: { name: "q", window, rows: 0, durationMs: 3, status: "completed" },
  gap: { query: "q", window, reason: "PartialError" },
  finding: { code: "c", severity: "low", occurredAt: "2026-11-20T08:00:00Z", evidence: [{ Id: "1" }] },
  action: { target: "t", request: { method: "PATCH", url: "/users/t", body: { accountEnabled: false } }, permission: "p", status: "succeeded" },
  "action.planned": { method: "DELETE", url: "/users/t/authentication/phoneMethods/1", permission: "p" },
  "action.skipped": { reason: "already in effect" },
  error: { code: "service" },
  note: { nextSteps: ["check again"] },
  "step.completed": { status: "completed", outputs: { userId: "u1" } },
};

describe("event schema", () => {
  it("has a data schema for every kind and accepts a valid event of each", () => {
    expect(Object.keys(dataSchemas).sort()).toEqual([...eventKinds].sort());
    for (const kind of eventKinds) {
      const result = timelineEventSchema.safeParse({ ...base, kind, data: validData[kind] });
      expect(result.success, kind).toBe(true);
    }
  });

  it.each([
    ["seq 0", { seq: 0 }],
    ["a runId that is not a uuid", { runId: "run-1" }],
    ["recordedAt with an offset", { recordedAt: "2026-11-25T13:00:00+01:00" }],
    ["an unknown mode", { mode: "staging" }],
    ["an unknown kind", { kind: "action.maybe" }],
    ["a short hash", { hash: "abc" }],
    ["an empty step", { step: "" }],
  ])("rejects %s", (_name, patch) => {
    expect(timelineEventSchema.safeParse({ ...base, kind: "note", data: {}, ...patch }).success).toBe(false);
  });

  it.each([
    ["finding without evidence", "finding", { code: "c", severity: "low", occurredAt: "2026-11-20T08:00:00Z" }],
    ["finding with an unknown severity", "finding", { code: "c", severity: "urgent", occurredAt: "2026-11-20T08:00:00Z", evidence: [] }],
    ["action with a GET", "action", { target: "t", request: { method: "GET", url: "/x" }, permission: "p", status: "succeeded" }],
    ["action without permission", "action", { target: "t", request: { method: "POST", url: "/x" }, status: "succeeded" }],
    ["planned write without url", "action.planned", { method: "POST", permission: "p" }],
    ["skip without reason", "action.skipped", {}],
    ["query with negative rows", "query", { name: "q", rows: -1, durationMs: 1, status: "completed" }],
    ["gap without reason", "gap", { query: "q" }],
    ["run.finished with an unknown status", "run.finished", { status: "ok" }],
  ])("rejects a %s", (_name, kind, data) => {
    expect(timelineEventSchema.safeParse({ ...base, kind, data }).success).toBe(false);
  });

  it("keeps extra data fields (forward compatible)", () => {
    const parsed = timelineEventSchema.parse({ ...base, kind: "note", data: { stepCompleted: true, outputs: { a: 1 } } });
    expect(parsed.data).toEqual({ stepCompleted: true, outputs: { a: 1 } });
  });
});

describe("canonical JSON and the event hash", () => {
  it("sorts keys at every depth and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined, x: null }], c: "é" } })).toBe('{"a":{"c":"é","d":[3,{"x":null,"z":1}]},"b":1}');
    expect(canonicalJson([undefined, 1])).toBe("[null,1]");
  });

  it("hashes prev + canonical form, independent of key order, and ignores the hash field", () => {
    const a = { prev: GENESIS_HASH, seq: 1, summary: "x", data: { b: 2, a: 1 } };
    const b = { data: { a: 1, b: 2 }, summary: "x", seq: 1, prev: GENESIS_HASH, hash: "f".repeat(64) };
    expect(computeEventHash(a)).toBe(computeEventHash(b));
    expect(computeEventHash({ ...a, summary: "y" })).not.toBe(computeEventHash(a));
    expect(computeEventHash({ ...a, prev: "1".repeat(64) })).not.toBe(computeEventHash(a));
    expect(computeEventHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});
