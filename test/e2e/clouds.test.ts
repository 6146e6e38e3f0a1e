import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { systemClock } from "../../src/core/clock.js";
import { actionsNotInCloud } from "../../src/entra/facts.js";
import { actionNames } from "../../src/steps/index.js";
import { startTabletop, type Emulator } from "../../src/tabletop/index.js";
import { readJournal } from "../../src/timeline/journal.js";
import { memoryIo } from "../cli/io.js";
import { closeAfterEach } from "../helpers/close-after-each.js";

// The China cloud's Graph has no authentication methods API and no Identity Protection: containment there blocks and
// revokes, and refuses the other two steps before any call, saying why.

const alexId = "4f1c9a2e-8b3d-4c6e-9a1f-2d7e5b8c3a10";

const track = closeAfterEach<Emulator>();

describe("national clouds", () => {
  it("the table of actions a cloud does not offer names registered actions only", () => {
    for (const actions of Object.values(actionsNotInCloud)) for (const name of Object.keys(actions)) expect(actionNames).toContain(name);
    expect(Object.keys(actionsNotInCloud.AzureChinaCloud ?? {}).sort()).toEqual(["entra.confirmCompromised", "entra.removeAuthMethods"]);
  });

  it("contain --cloud AzureChinaCloud: block and revoke are sent; removing methods and confirming compromised are refused before any call (exit 1)", async () => {
    const emulator = await startTabletop({ clock: systemClock });
    track(emulator);
    const out = mkdtempSync(join(tmpdir(), "azir-china-"));
    const io = memoryIo();
    const code = await main(["contain", "alex@contoso.com", "--tabletop", "--cloud", "AzureChinaCloud", "--yes", "--out", out], io, { emulator });
    expect(code, io.err()).toBe(1);
    expect(io.err()).toContain("not in AzureChinaCloud: remove-methods (entra.removeAuthMethods)");
    expect(io.err()).toContain("no Identity Protection");
    const graph = emulator.requests().filter((r) => r.service === "graph");
    expect(graph.filter((r) => /\/authentication\/|\/identityProtection\/|\/reports\/authenticationMethods/.test(r.path))).toEqual([]);
    expect(emulator.state().users.find((u) => u.id === alexId)?.accountEnabled).toBe(false);
    expect(graph.some((r) => r.path.endsWith("/revokeSignInSessions") && r.status === 200)).toBe(true);

    const dir = join(out, readdirSync(out)[0]!);
    const journal = join(dir, readdirSync(dir).find((f) => f.endsWith(".jsonl"))!);
    expect(existsSync(journal)).toBe(true);
    const { events } = await readJournal(journal);
    const failed = events.filter((e) => e.kind === "error").map((e) => `${e.step}: ${e.summary}`);
    expect(failed.some((f) => f.startsWith("remove-methods:") && f.includes("nothing was sent"))).toBe(true);
    expect(failed.some((f) => f.startsWith("confirm-compromised:"))).toBe(true);
  }, 30_000);
});
