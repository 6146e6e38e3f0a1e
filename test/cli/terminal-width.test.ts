import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTerminal } from "../../src/cli/terminal.js";

// Some CI runners and `script` sessions report a terminal of 0 columns: a spinner there never finishes a frame.

describe("progress on a terminal of unknown width", () => {
  it("shows no spinner when the terminal reports 0 columns", () => {
    const ora = (() => {
      throw new Error("no spinner on a terminal without a width");
    }) as unknown as NonNullable<Parameters<typeof createTerminal>[1]["ora"]>;
    const io = { stdout: { write: () => true }, stderr: { write: () => true, isTTY: true, columns: 0 }, stdinIsTTY: true, env: {}, cwd: "." };
    const progress = createTerminal(io, { json: false, ora }).progress("reading");
    progress.update("still reading");
    progress.stop();
  });

  it.skipIf(!existsSync("/usr/bin/script"))("azir contain finishes under `stty cols 0` in a pseudo-terminal, with a few KB of output", () => {
    const out = mkdtempSync(join(tmpdir(), "azir-cols0-"));
    const run = spawnSync("/usr/bin/script", ["-q", "-c", `stty cols 0; ${process.execPath} bin/azir.js contain alex@contoso.com --tabletop --yes --out ${out}`, "/dev/null"], {
      timeout: 60_000,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    expect(run.stdout.length).toBeLessThan(64 * 1024);
    expect(run.stdout).toContain("Containment of alex@contoso.com");
  });
});
