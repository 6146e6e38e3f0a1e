import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { memoryIo } from "./io.js";

// `azir timeline show|verify|export` on a journal written by a real tabletop run.

let journal = "";
beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), "azir-tl-"));
  const io = memoryIo();
  expect(await main(["contain", "alex@contoso.com", "--tabletop", "--yes", "--out", out], io)).toBe(0);
  const dir = join(out, readdirSync(out)[0]!);
  journal = join(dir, readdirSync(dir)[0]!);
}, 60_000);

describe("azir timeline", () => {
  it("show prints one line per event", async () => {
    const io = memoryIo();
    expect(await main(["timeline", "show", journal], io)).toBe(0);
    const lines = io.out().trim().split("\n");
    expect(lines.length).toBe(readFileSync(journal, "utf8").trim().split("\n").length);
    expect(io.out()).toContain("block sign-in for alex@contoso.com");
  });

  it("show filters by kind, step, time and severity, and --json gives one JSON array on stdout", async () => {
    const actions = memoryIo();
    expect(await main(["timeline", "show", journal, "--kind", "action"], actions)).toBe(0);
    const lines = actions.out().trim().split("\n");
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.every((l) => /^\S+ \S+\s+action\s/.test(l))).toBe(true);
    expect(actions.err()).toMatch(/\d+ of \d+ events shown/);
    const block = memoryIo();
    expect(await main(["timeline", "show", journal, "--step", "block", "--kind", "action", "--json"], block)).toBe(0);
    const parsed = JSON.parse(block.out()) as Array<{ kind: string; step: string }>;
    expect(parsed.map((e) => [e.kind, e.step])).toEqual([["action", "block"]]);
    const high = memoryIo();
    expect(await main(["timeline", "show", journal, "--severity", "high"], high)).toBe(0);
    expect(high.out().trim().split("\n").every((l) => /\sfinding\s/.test(l))).toBe(true);
    const future = memoryIo();
    expect(await main(["timeline", "show", journal, "--since", "2999-01-01T00:00:00Z"], future)).toBe(0);
    expect(future.out().trim()).toBe("");
    expect(await main(["timeline", "show", journal, "--since", "yesterday"], memoryIo())).toBe(2);
  });

  it("verify accepts the intact chain, prints its head hash, and names the first edited line (exit 1)", async () => {
    const ok = memoryIo();
    expect(await main(["timeline", "verify", journal], ok)).toBe(0);
    expect(ok.err()).toMatch(/hash chain intact; head [0-9a-f]{64}/);
    const lines = readFileSync(journal, "utf8").split("\n");
    const tampered = join(mkdtempSync(join(tmpdir(), "azir-tl-")), "timeline.jsonl");
    lines[4] = lines[4]!.replace('"summary":"', '"summary":"nothing happened here; ');
    writeFileSync(tampered, lines.join("\n"));
    const io = memoryIo();
    expect(await main(["timeline", "verify", tampered], io)).toBe(1);
    expect(io.err()).toContain(`${tampered}:5:`);
  });

  it("export gives one JSON document, a Markdown ticket body, CSV and self-contained HTML", async () => {
    const json = memoryIo();
    expect(await main(["timeline", "export", journal, "--format", "json"], json)).toBe(0);
    const doc = JSON.parse(json.out());
    expect(doc.incident.id).toMatch(/^alex-contoso-com-/);
    expect(doc.actions.filter((a: { kind: string }) => a.kind === "action")).toHaveLength(5);
    const md = memoryIo();
    await main(["timeline", "export", journal, "--format", "md"], md);
    expect(md.out()).toMatch(/^# /m);
    const csv = memoryIo();
    await main(["timeline", "export", journal, "--format", "csv"], csv);
    expect(csv.out().split("\n")[0]).toContain("seq");
    const html = memoryIo();
    await main(["timeline", "export", journal, "--format", "html"], html);
    expect(html.out()).toContain("<svg");
    expect(html.out()).not.toMatch(/<script[\s>]/i);
  });

  it("show and export check the chain: verified with the head hash, or BROKEN at the first bad line, on stderr and in the document", async () => {
    const shown = memoryIo();
    expect(await main(["timeline", "show", journal], shown)).toBe(0);
    expect(shown.err()).toMatch(/integrity: verified \(head [0-9a-f]{64}\)/);
    const lines = readFileSync(journal, "utf8").split("\n");
    lines[2] = lines[2]!.replace('"summary":"', '"summary":"changed: ');
    const tampered = join(mkdtempSync(join(tmpdir(), "azir-tl-")), "timeline.jsonl");
    writeFileSync(tampered, lines.join("\n"));
    const json = memoryIo();
    expect(await main(["timeline", "export", tampered, "--format", "json"], json)).toBe(0);
    expect(JSON.parse(json.out()).integrity).toMatchObject({ verified: false, brokenAt: { line: 3 } });
    expect(json.err()).toContain("integrity: BROKEN at line 3");
    const md = memoryIo();
    await main(["timeline", "export", tampered, "--format", "md"], md);
    expect(md.out()).toContain("**Integrity: BROKEN** at line 3");
  });
});
