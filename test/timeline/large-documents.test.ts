import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildDocument, type TimelineDocument } from "../../src/timeline/document.js";
import { exportTimeline } from "../../src/timeline/export.js";
import { newJournal, tempDir, writeSampleRun } from "./helpers.js";

// A tenant can answer with hundreds of thousands of rows: a report of 400,000 sign-ins, findings or indicators is
// drawn in loops, never by spreading the list into one call (which overflows the stack).

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

const n = 400_000;

async function largeDoc(): Promise<TimelineDocument> {
  const { journal, clock } = await newJournal(dir, "tabletop");
  writeSampleRun(journal, clock);
  journal.close();
  const doc = buildDocument(journal.events);
  const start = Date.parse("2026-11-20T00:00:00Z");
  const signin = { at: "", ip: "203.0.113.9", result: 0, success: true, risk: "none", newNetwork: false, newCountry: false };
  doc.signins = Array.from({ length: n }, (_, i) => ({ ...(doc.signins[0] ?? signin), at: new Date(start + i * 1000).toISOString() })) as TimelineDocument["signins"];
  const indicator = { type: "ip", value: "203.0.113.9", firstSeen: "2026-11-20T00:00:00Z", lastSeen: "2026-11-21T00:00:00Z", findings: ["signin.new-network"] };
  doc.indicators = Array.from({ length: n }, (_, i) => ({ ...(doc.indicators[0] ?? indicator), value: `203.0.${i >> 8 & 255}.${i & 255}` })) as TimelineDocument["indicators"];
  return doc;
}

describe("reports of very large incidents", () => {
  it("the HTML report charts 400,000 sign-ins", async () => {
    const html = exportTimeline(await largeDoc(), "html");
    expect(html).toContain("<svg");
  });

  it("the Markdown report lists 400,000 indicators", async () => {
    const md = exportTimeline(await largeDoc(), "md");
    expect(md).toContain(`## Indicators (${n})`);
  });
});
