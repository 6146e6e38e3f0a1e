import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { systemClock } from "../../src/core/clock.js";
import { startTabletop, type Emulator } from "../../src/tabletop/index.js";
import { memoryIo } from "../cli/io.js";

// What people read fits their terminal: at 80 and at 200 columns no line is wider, whatever the command.

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startTabletop({ clock: systemClock });
});
afterAll(async () => {
  await emulator.close();
});

const commands: string[][] = [
  ["investigate", "alex@contoso.com"],
  ["respond", "alex@contoso.com", "--yes"],
  ["contain", "alex@contoso.com", "--yes"],
  ["snapshot", "vm-web-01", "--yes"],
  ["contain", "alex@contoso.com", "--dry-run"],
];

// eslint-disable-next-line no-control-regex
const visible = (line: string): number => [...line.replace(/\u001b\[[0-9;]*m/g, "")].length;

describe("human output fits the terminal", () => {
  for (const columns of [80, 200]) {
    for (const args of commands) {
      it(`azir ${args.join(" ")} at ${columns} columns`, async () => {
        const io = memoryIo({ columns });
        await main([...args, "--tabletop", "--out", mkdtempSync(join(tmpdir(), "azir-width-"))], io, { emulator });
        const lines = io.err().split("\n");
        expect(lines.length).toBeGreaterThan(5);
        const over = lines.filter((l) => visible(l) > columns);
        expect(over, over.join("\n")).toEqual([]);
      }, 30_000);
    }
  }

  it("the verdict comes first", async () => {
    const io = memoryIo({ columns: 80 });
    await main(["investigate", "alex@contoso.com", "--tabletop", "--out", mkdtempSync(join(tmpdir(), "azir-width-"))], io, { emulator });
    expect(io.err().split("\n")[0]).toMatch(/^compromised since /);
  });
});
