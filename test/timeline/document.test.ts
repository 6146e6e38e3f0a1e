import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildDocument, summariseRuns, timelineDocumentSchema } from "../../src/timeline/document.js";
import type { TimelineEvent } from "../../src/timeline/event.js";
import { openJournal } from "../../src/timeline/journal.js";
import { completedSteps, lastRun } from "../../src/timeline/resume.js";
import { RUN_A, RUN_B, newJournal, tempDir, writeSampleRun } from "./helpers.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

async function sampleEvents(): Promise<TimelineEvent[]> {
  const { journal, clock } = await newJournal(dir);
  writeSampleRun(journal, clock);
  // Tenant activity learnt later in the run but earlier in the tenant: the story must put it first.
  clock.advance(1000);
  journal.append({ kind: "note", summary: "audit: security info registered", occurredAt: "2026-11-20T08:10:00Z" });
  clock.advance(1000);
  journal.append({ kind: "note", summary: "audit: role added", occurredAt: "2026-11-20T07:00:00Z" });
  journal.close();
  return journal.events.slice();
}

describe("buildDocument", () => {
  it("orders the story by occurredAt and the response by recordedAt then seq", async () => {
    const events = await sampleEvents();
    // Shuffle the input: ordering must not depend on it.
    const doc = buildDocument([...events].reverse());
    expect(doc.story.map((e) => e.summary)).toEqual(["audit: role added", "first high-risk successful sign-in from AS 64500", "audit: security info registered"]);
    expect(doc.response.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(timelineDocumentSchema.safeParse(doc).success).toBe(true);
  });

  it("breaks recordedAt ties by seq and keeps the story stable for equal occurredAt", async () => {
    const { journal } = await newJournal(dir);
    for (const s of ["a", "b", "c"]) journal.append({ kind: "note", summary: s, occurredAt: "2026-11-20T08:00:00Z" });
    journal.close();
    const doc = buildDocument([...journal.events].reverse());
    expect(doc.response.map((e) => e.summary)).toEqual(["a", "b", "c"]);
    expect(doc.story.map((e) => e.summary)).toEqual(["a", "b", "c"]);
  });

  it("fills incident, runs, findings, actions and the complete flag", async () => {
    const events = await sampleEvents();
    const doc = buildDocument(events);
    expect(doc.schema).toBe("azir.timeline/v2");
    expect(doc.incident).toEqual({ id: "INC-1", subject: "alex@contoso.com", start: "2026-11-20T07:55:00.000Z" });
    expect(doc.runs).toEqual([
      {
        runId: RUN_A,
        runbook: "entra-compromised-user",
        mode: "tabletop",
        resumed: false,
        startedAt: "2026-11-25T12:00:00.000Z",
        finishedAt: "2026-11-25T12:00:06.000Z",
        status: "succeeded",
        params: { upn: "alex@contoso.com", lookback: "14d" },
      },
    ]);
    expect(doc.findings.map((f) => f.data.code)).toEqual(["signin.incident-start"]);
    expect(doc.actions.map((a) => a.kind)).toEqual(["action", "action.skipped"]);
    expect(doc.gaps).toEqual([]);
    expect(doc.complete).toBe(true);
    expect(buildDocument(events, { incidentId: "IR-7", subject: "someone" }).incident).toMatchObject({ id: "IR-7", subject: "someone" });
  });

  it("is incomplete as soon as one gap is recorded", async () => {
    const { journal } = await newJournal(dir);
    journal.append({
      kind: "gap",
      step: "signins",
      summary: "partial result",
      data: { query: "signins-for-user", window: { start: "2026-11-11T00:00:00Z", end: "2026-11-25T00:00:00Z" }, reason: "PartialError: row limit" },
    });
    journal.close();
    const doc = buildDocument(journal.events);
    expect(doc.complete).toBe(false);
    expect(doc.gaps).toHaveLength(1);
    expect(doc.incident.id).toBe("unknown");
  });
});

describe("runs, completedSteps and lastRun", () => {
  it("follows a run that was interrupted and resumed", async () => {
    const { journal, clock } = await newJournal(dir);
    journal.append({ kind: "run.started", summary: "start", data: { runbook: "rb", params: { upn: "a@b.com" } } });
    journal.append({
      kind: "query",
      step: "signins",
      summary: "q",
      data: { name: "q", window: { start: "2026-11-01T00:00:00Z", end: "2026-11-02T00:00:00Z" }, rows: 3, durationMs: 5, status: "completed" },
    });
    journal.append({
      kind: "query",
      step: "audit",
      summary: "q2 partial",
      data: { name: "q2", window: { start: "2026-11-01T00:00:00Z", end: "2026-11-02T00:00:00Z" }, rows: 3, durationMs: 5, status: "partial" },
    });
    const write = {
      target: "a@b.com",
      request: { method: "DELETE" as const, url: "/users/a@b.com/authentication/phoneMethods/1" },
      permission: "UserAuthenticationMethod.ReadWrite.All",
      status: "succeeded" as const,
    };
    journal.append({ kind: "action", step: "remove-methods", summary: "removed phone 1", data: write });
    journal.append({ kind: "action", step: "block", summary: "blocked", data: { ...write, stepCompleted: true } });
    journal.append({ kind: "action.skipped", step: "revoke", summary: "already", data: { reason: "already in effect" } });
    journal.append({ kind: "action.planned", step: "mark", summary: "planned", data: { method: "POST", url: "/x", permission: "p", stepCompleted: true } });
    journal.append({ kind: "note", step: "closing", summary: "entra.x: done (2 writes)", data: { stepCompleted: true } });
    journal.append({ kind: "error", step: "closing", summary: "a later error does not undo it" });
    journal.append({ kind: "note", step: "other", summary: "just a note" });
    journal.append({ kind: "run.interrupted", summary: "SIGINT", data: { signal: "SIGINT" } });
    journal.close();

    expect([...completedSteps(journal.events).keys()].sort()).toEqual(["block", "closing", "mark", "revoke", "signins"]);
    expect(completedSteps(journal.events).get("block")?.summary).toBe("blocked");
    expect(lastRun(journal.events)).toMatchObject({ runId: RUN_A, status: "interrupted", runbook: "rb" });

    clock.advance(5000);
    const resumed = await openJournal({ dir, incidentId: "INC-1", runId: RUN_B, mode: "tabletop", clock, resumeFrom: journal.path });
    resumed.append({ kind: "run.resumed", summary: "resumed", data: { runbook: "rb", params: { upn: "a@b.com" }, resumedRunId: RUN_A } });
    resumed.close();
    const runs = summariseRuns(resumed.events);
    expect(runs.map((r) => [r.runId, r.status, r.resumed])).toEqual([
      [RUN_A, "interrupted", false],
      [RUN_B, "unfinished", true],
    ]);
    expect(lastRun(resumed.events)?.runId).toBe(RUN_B);
    expect(lastRun([])).toBeUndefined();
  });
});
