import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lastContainment } from "../../src/cli/commands/verify.js";
import { ManualClock } from "../../src/core/clock.js";
import type { Mode } from "../../src/timeline/event.js";
import { openJournal } from "../../src/timeline/journal.js";

// `azir verify` without --since starts from the last revocation azir recorded for this user. Only evidence counts: a
// journal whose recorded subject is this user, whose chain verifies, and that was written in the same kind of run.

async function journalWith(out: string, o: { folder: string; subject: string; mode: Mode; revokedAt: string; runId: string }): Promise<string> {
  const clock = new ManualClock(o.revokedAt);
  const journal = await openJournal({ dir: out, incidentId: o.folder, runId: o.runId, mode: o.mode, clock });
  journal.append({ kind: "run.started", summary: "started contain-user", data: { runbook: "contain-user", subject: o.subject, params: { upn: o.subject }, incidentId: o.folder } });
  journal.append({
    kind: "action",
    step: "revoke",
    summary: `revoked sessions of ${o.subject}`,
    data: { action: "entra.revokeSessions", target: o.subject, request: { method: "POST", url: "/users/x/revokeSignInSessions" }, permission: "User.RevokeSessions.All", status: "succeeded" },
  });
  journal.close();
  return join(out, o.folder, readdirSync(join(out, o.folder)).find((f) => f.endsWith(".jsonl"))!);
}

const run = (n: number): string => `00000000-0000-4000-8000-00000000000${n}`;

describe("the containment time azir verify starts from", () => {
  it("comes from this user's journals of the same mode whose chain verifies, whatever the folders are named", async () => {
    const out = mkdtempSync(join(tmpdir(), "azir-contained-"));
    await journalWith(out, { folder: "alex-contoso-com-20261120", subject: "alex@contoso.com", mode: "tabletop", revokedAt: "2026-11-20T10:00:00Z", runId: run(1) });
    await journalWith(out, { folder: "alex-contoso-com-20261121", subject: "alex@contoso.com", mode: "live", revokedAt: "2026-11-21T10:00:00Z", runId: run(2) });
    // a folder whose name starts like alex's, but whose journal is about someone else
    await journalWith(out, { folder: "alex-contoso-com-20261122", subject: "alex.contoso@com.example", mode: "tabletop", revokedAt: "2026-11-22T10:00:00Z", runId: run(3) });
    // alex's, later, but edited after the fact: its chain no longer verifies
    const edited = await journalWith(out, { folder: "alex-contoso-com-20261123", subject: "alex@contoso.com", mode: "tabletop", revokedAt: "2026-11-23T10:00:00Z", runId: run(4) });
    writeFileSync(edited, readFileSync(edited, "utf8").replace("revoked sessions of", "revoked (edited) sessions of"));

    expect((await lastContainment(out, "alex@contoso.com", true))?.toISOString()).toBe("2026-11-20T10:00:00.000Z");
    expect((await lastContainment(out, "Alex@Contoso.com", false))?.toISOString()).toBe("2026-11-21T10:00:00.000Z");
    expect(await lastContainment(out, "sam@contoso.com", true)).toBeUndefined();
  });
});
