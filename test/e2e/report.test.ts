import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { findChromium } from "../../src/cli/pdf.js";
import { systemClock } from "../../src/core/clock.js";
import { startTabletop, type Emulator } from "../../src/tabletop/index.js";
import type { TimelineDocument } from "../../src/timeline/document.js";
import { memoryIo } from "../cli/io.js";

// The reports of a recorded tabletop run, opened and printed by a real headless Chromium (Debian's chromium, which
// `npm test` installs where it can; without one these tests are skipped and say why).

const chromium = findChromium(process.env);
const artifacts = join(process.cwd(), "test-artifacts");

let emulator: Emulator;
let journal = "";
let doc: TimelineDocument;
beforeAll(async () => {
  emulator = await startTabletop({ clock: systemClock });
  const out = mkdtempSync(join(tmpdir(), "azir-report-"));
  const io = memoryIo();
  expect(await main(["contain", "alex@contoso.com", "--tabletop", "--yes", "--json", "--out", out], io, { emulator }), io.err()).toBe(0);
  doc = JSON.parse(io.out()) as TimelineDocument;
  const inc = readdirSync(out)[0]!;
  journal = join(out, inc, readdirSync(join(out, inc)).find((f) => f.endsWith(".jsonl"))!);
}, 60_000);
afterAll(async () => {
  await emulator.close();
});

async function exportTo(format: string, file: string): Promise<void> {
  const io = memoryIo();
  expect(await main(["timeline", "export", journal, "--format", format, "--output", file], io), io.err()).toBe(0);
  expect(io.err()).toContain(`written: ${file}`);
}

describe.skipIf(!chromium)(`the HTML and PDF reports in headless Chromium${chromium ? "" : " (skipped: no Chromium; apt-get install chromium, or set AZIR_CHROMIUM)"}`, () => {
  it("the HTML report loads with no request and no console error, and marks every sign-in of the window once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "azir-html-"));
    const file = join(dir, "report.html");
    await exportTo("html", file);
    const { chromium: browserType } = await import("playwright-core");
    const browser = await browserType.launch({ executablePath: chromium!, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
      const requests: string[] = [];
      const failures: string[] = [];
      const errors: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      page.on("requestfailed", (r) => failures.push(r.url()));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`file://${file}`);
      expect(failures).toEqual([]);
      expect(errors).toEqual([]);
      expect(requests).toEqual([`file://${file}`]);
      const signinCount = (doc.response.find((e) => e.kind === "step.completed" && e.step === "signins")?.data.outputs as { signinCount: number }).signinCount;
      expect(doc.signins).toHaveLength(signinCount);
      expect(await page.locator("svg.chart g.signin").count()).toBe(signinCount);
      expect(await page.locator("svg.chart g.signin.new-network").count()).toBe(doc.signins.filter((s) => s.newAsn || s.newCountry).length);
      expect(await page.locator("svg.chart g.action").count()).toBe(doc.actions.filter((a) => a.kind !== "action.skipped").length);
      expect(await page.locator(".verdict").textContent()).toBe(doc.summary.verdict?.line);
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, "report.png") });
      expect(existsSync(join(artifacts, "report.png"))).toBe(true);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it("the PDF has a few pages and its text holds the verdict", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "azir-pdf-")), "report.pdf");
    await exportTo("pdf", file);
    const { getDocument } = await import("pdfjs-dist/legacy/build/pdf.mjs");
    const pdf = await getDocument({ data: new Uint8Array(readFileSync(file)), isEvalSupported: false }).promise;
    expect(pdf.numPages).toBeGreaterThanOrEqual(2);
    expect(pdf.numPages).toBeLessThanOrEqual(12);
    const first = await (await pdf.getPage(1)).getTextContent();
    const text = first.items.map((i) => ("str" in i ? i.str : "")).join("").replace(/\s+/g, "");
    expect(text).toContain(doc.summary.verdict!.line.replace(/\s+/g, ""));
    expect(text).toContain("EXERCISE");
  }, 60_000);
});

describe("without a Chromium", () => {
  it("--format pdf says how to get one, and --format html needs none", async () => {
    const io = memoryIo({ env: { AZIR_CHROMIUM: "/nonexistent/chromium" } });
    const file = join(mkdtempSync(join(tmpdir(), "azir-nopdf-")), "r.pdf");
    expect(await main(["timeline", "export", journal, "--format", "pdf", "--output", file], io)).not.toBe(0);
    expect(io.err()).toContain("no Chromium found to print the PDF");
    expect(io.err()).toContain("AZIR_CHROMIUM (/nonexistent/chromium) does not exist");
    expect(existsSync(file)).toBe(false);
    const missing = memoryIo();
    expect(await main(["timeline", "export", journal, "--format", "pdf"], missing)).toBe(2);
    expect(missing.err()).toContain("--format pdf writes a file");
  });
});
