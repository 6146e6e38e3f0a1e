import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../src/core/clock.js";
import { openJournal, type Journal } from "../../src/timeline/journal.js";
import type { Mode } from "../../src/timeline/event.js";

export const RUN_A = "00000000-0000-4000-8000-00000000000a";
export const RUN_B = "00000000-0000-4000-8000-00000000000b";

/** A fresh temporary directory, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "azir-timeline-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Opens a journal in `dir` for incident INC-1 with a manual clock starting at 2026-11-25T12:00:00Z. */
export async function newJournal(dir: string, mode: Mode = "tabletop"): Promise<{ journal: Journal; clock: ManualClock }> {
  const clock = new ManualClock("2026-11-25T12:00:00Z");
  const journal = await openJournal({ dir, incidentId: "INC-1", runId: RUN_A, mode, clock });
  return { journal, clock };
}

/** Writes a small but complete run: start, query, finding, three kinds of action, note, finish. */
export function writeSampleRun(journal: Journal, clock: ManualClock): void {
  const step = (): void => clock.advance(1000);
  journal.append({
    kind: "run.started",
    summary: "entra-compromised-user for alex@contoso.com",
    data: { runbook: "entra-compromised-user", params: { upn: "alex@contoso.com", lookback: "14d" }, incidentId: "INC-1" },
  });
  step();
  journal.append({
    kind: "query",
    step: "signins",
    summary: "signins-for-user: 42 rows",
    data: {
      name: "signins-for-user",
      file: "kql/signins-for-user.kql",
      window: { start: "2026-11-11T12:00:00Z", end: "2026-11-25T12:00:00Z" },
      rows: 42,
      durationMs: 812,
      status: "completed",
    },
  });
  step();
  journal.append({
    kind: "finding",
    step: "signins",
    summary: "first high-risk successful sign-in from AS 64500",
    data: {
      code: "signin.incident-start",
      severity: "high",
      occurredAt: "2026-11-20T07:55:00Z",
      evidence: [{ Id: "req-1", IPAddress: "203.0.113.9", ResultType: "0" }],
    },
  });
  step();
  journal.append({
    kind: "action",
    step: "block",
    summary: "blocked sign-in for alex@contoso.com",
    data: {
      action: "entra.blockSignIn",
      target: "alex@contoso.com",
      request: { method: "PATCH", url: "/users/alex@contoso.com", body: { accountEnabled: false } },
      permission: "User.EnableDisableAccount.All",
      status: "succeeded",
      httpStatus: 204,
      stepCompleted: true,
    },
  });
  step();
  journal.append({
    kind: "action.skipped",
    step: "revoke",
    summary: "sessions already revoked",
    data: { action: "entra.revokeSessions", target: "alex@contoso.com", reason: "already in effect" },
  });
  step();
  journal.append({
    kind: "note",
    summary: "verify in 15 minutes",
    data: { nextSteps: ["Run azir verify alex@contoso.com after 12:20Z"] },
  });
  step();
  journal.append({ kind: "run.finished", summary: "done", data: { status: "succeeded", exitCode: 0 } });
}
