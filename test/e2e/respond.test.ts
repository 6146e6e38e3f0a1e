import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { systemClock } from "../../src/core/clock.js";
import { startTabletop, type Emulator } from "../../src/tabletop/index.js";
import type { TimelineDocument } from "../../src/timeline/document.js";
import { memoryIo } from "../cli/io.js";

// The whole incident in one command, on the built-in scenario: every section in order, one confirmation, and the
// reports of its journal as golden files (times, ids and hashes normalised).

let emulator: Emulator;
let journal = "";
let doc: TimelineDocument;
let stderr = "";
let stdout = "";
beforeAll(async () => {
  emulator = await startTabletop({ clock: systemClock });
  const out = mkdtempSync(join(tmpdir(), "azir-respond-"));
  const io = memoryIo();
  expect(await main(["respond", "alex@contoso.com", "--tabletop", "--yes", "--json", "--out", out], io, { emulator }), io.err()).toBe(0);
  stderr = io.err();
  stdout = io.out();
  doc = JSON.parse(stdout) as TimelineDocument;
  const inc = readdirSync(out)[0]!;
  journal = join(out, inc, readdirSync(join(out, inc)).find((f) => f.endsWith(".jsonl"))!);
}, 90_000);
afterAll(async () => {
  await emulator.close();
});

/** A report with what changes from run to run (times, ids, hashes, ports, the machine) made constant. */
function normalise(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?Z/g, "<time>")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\dZ/g, "<time>")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<id>")
    .replace(/[0-9a-f]{64}/g, "<sha256>")
    .replace(/sha256 [0-9a-f]{12}/g, "sha256 <short>")
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>")
    .replace(/-\d{8}\b/g, "-<date>")
    .replace(/\*\*Run by:\*\* .*/g, "**Run by:** <operator>")
    .replace(/\d+ line\(s\) signed with this machine's journal key [0-9a-f]{16}/g, "<n> line(s) signed with this machine's journal key <key>")
    .replace(/azir \d+\.\d+\.\d+/g, "azir <version>");
}

/**
 * Concurrent steps finish in any order: the rows of a table, and the items of a list with their sub-items, are
 * compared as sets (sorted), each section on its own.
 */
function orderless(markdown: string): string {
  const out: string[] = [];
  let rows: string[] = [];
  let items: string[][] = [];
  const flush = (): void => {
    out.push(...rows.sort(), ...items.map((i) => i.join("\n")).sort());
    rows = [];
    items = [];
  };
  for (const line of markdown.split("\n")) {
    if (line.startsWith("| <time>")) rows.push(line);
    else if (line.startsWith("- <time>")) items.push([line]);
    else if (line.startsWith("  - ") && items.length) items.at(-1)!.push(line);
    else {
      flush();
      out.push(line);
    }
  }
  flush();
  return out.join("\n");
}

/** CSV rows as a set, without the journal's sequence numbers (the last column of these tables). */
function csvSet(csv: string): string {
  const [head, ...rows] = csv.trimEnd().split("\r\n");
  const cut = (r: string): string => r.replace(/,\d+$/, "");
  return [cut(head!), ...rows.map(cut).sort()].join("\n") + "\n";
}

async function exported(args: string[]): Promise<string> {
  const io = memoryIo();
  expect(await main(["timeline", "export", journal, ...args], io), io.err()).toBe(0);
  return io.out();
}

describe("azir respond on the built-in scenario", () => {
  it("runs every section in order to the end: investigate, contain, VM forensics for the alerts' VM, harden", () => {
    const status = (id: string) => doc.response.find((e) => e.kind === "step.completed" && e.step === id);
    for (const step of ["investigate-signins", "investigate-audit", "investigate-alerts", "contain-block", "contain-revoke", "contain-remove-methods", "contain-confirm-compromised", "forensics-snapshot", "forensics-lock", "forensics-export", "harden-app-credentials", "harden-privileged-roles", "harden-consents"]) {
      expect(status(step), step).toBeDefined();
    }
    expect(doc.summary.verdict?.kind).toBe("compromised");
    expect(doc.summary.exercise).toBe(true);
    // containment before hardening: the block is the first write, the secret rotation comes after the confirmation
    const writes = doc.actions.filter((a) => a.kind === "action");
    expect(writes[0]!.step).toBe("contain-block");
    const lastContain = writes.map((a) => a.step).lastIndexOf("contain-confirm-compromised");
    expect(writes.findIndex((a) => a.step?.startsWith("harden-"))).toBeGreaterThan(lastContain);
    // the scoping reads ran once, shared by containment and hardening
    expect(doc.response.filter((e) => e.kind === "query" && e.data.name === "signins-for-user")).toHaveLength(1);
    // VM forensics for vm-web-01, which the Defender alerts name
    const copies = (doc.response.find((e) => e.kind === "step.completed" && e.step === "forensics-export")?.data.outputs as { copies: unknown[] }).copies;
    expect(copies).toHaveLength(3);
    expect(stderr.split("\n")[0] ?? "").toMatch(/new client secret|^compromised since/);
  });

  it("the new client secret is shown once and written nowhere else", () => {
    const secret = /new client secret for .*\): (\S+)$/m.exec(stderr)?.[1];
    expect(secret).toBeDefined();
    expect(stdout).not.toContain(secret);
    expect(readFileSync(journal, "utf8")).not.toContain(secret);
    expect(stderr.split(secret!).length - 1).toBe(1);
  });

  it("asks once for every write of every section", async () => {
    const fresh = await startTabletop({ clock: systemClock });
    try {
      let asked = 0;
      const io = memoryIo({ tty: true });
      const code = await main(["respond", "alex@contoso.com", "--tabletop", "--out", mkdtempSync(join(tmpdir(), "azir-respond-ask-"))], io, {
        emulator: fresh,
        prompt: async () => {
          asked += 1;
          return true;
        },
      });
      expect(code, io.err()).toBe(0);
      expect(asked).toBe(1);
    } finally {
      await fresh.close();
    }
  }, 90_000);

  it("Markdown ticket body (golden)", async () => {
    await expect(orderless(normalise(await exported(["--format", "md"])))).toMatchFileSnapshot("./golden/respond.md");
  });

  it("CSV tables (golden): findings, actions and indicators; the events table has a row per event", async () => {
    await expect(csvSet(normalise(await exported(["--format", "csv", "--table", "findings"])))).toMatchFileSnapshot("./golden/respond-findings.csv");
    await expect(csvSet(normalise(await exported(["--format", "csv", "--table", "actions"])))).toMatchFileSnapshot("./golden/respond-actions.csv");
    await expect(csvSet(normalise(await exported(["--format", "csv", "--table", "indicators"])))).toMatchFileSnapshot("./golden/respond-indicators.csv");
    const events = await exported(["--format", "csv"]);
    expect(events.startsWith("\ufeff")).toBe(true);
    expect(events.trimEnd().split("\r\n")).toHaveLength(doc.response.length + 1 + (events.includes("integrity") ? 0 : 0));
  });

  it("--json piped: jq .summary gives the verdict first, and people still read the summary on stderr, as --help says", () => {
    const summary = (JSON.parse(stdout) as { summary: Record<string, unknown> }).summary;
    expect(Object.keys(summary)[0]).toBe("verdict");
    expect(stderr).toContain("Response to the compromise of alex@contoso.com");
    expect(stdout.trimStart().startsWith("{")).toBe(true);
  });
});
