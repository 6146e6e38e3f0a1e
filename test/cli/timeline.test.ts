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

  it("verify accepts the intact chain and names the first edited line (exit 1)", async () => {
    expect(await main(["timeline", "verify", journal], memoryIo())).toBe(0);
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
