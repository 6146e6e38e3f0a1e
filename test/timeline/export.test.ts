import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildDocument, timelineDocumentSchema, type TimelineDocument } from "../../src/timeline/document.js";
import { escapeHtml, exportTimeline } from "../../src/timeline/export.js";
import { renderEventLine } from "../../src/timeline/render.js";
import { newJournal, tempDir, writeSampleRun } from "./helpers.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

const hostile = `<script>alert("x")</script>, "quoted" | *bold* =HYPERLINK("http://evil")`;

async function sampleDoc(): Promise<TimelineDocument> {
  const { journal, clock } = await newJournal(dir, "tabletop-dry-run");
  writeSampleRun(journal, clock);
  clock.advance(1000);
  journal.append({
    kind: "finding",
    step: "audit",
    summary: `app consent by user: ${hostile}`,
    data: { code: "audit.consent", severity: "medium", occurredAt: "2026-11-20T09:00:00Z", evidence: [{ Id: "a-1", AppDisplayName: hostile }] },
  });
  journal.append({
    kind: "action.planned",
    step: "mark",
    summary: "would confirm compromised",
    data: { method: "POST", url: "/identityProtection/riskyUsers/confirmCompromised", body: { userIds: ["u-1"] }, permission: "IdentityRiskyUser.ReadWrite.All" },
  });
  journal.append({
    kind: "gap",
    step: "office",
    summary: "OfficeActivity missing",
    data: { query: "office-activity", window: { start: "2026-11-11T12:00:00Z", end: "2026-11-25T12:00:00Z" }, reason: "table OfficeActivity not found" },
  });
  journal.append({ kind: "error", step: "x", summary: "multi\nline\u001b[31m error" });
  journal.close();
  return buildDocument(journal.events);
}

/** A small RFC 4180 reader: enough to check the writer. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  if (field !== "" || row.length > 0) throw new Error("csv does not end with CRLF");
  return rows;
}

describe("exportTimeline", () => {
  it("json: one document that parses and validates", async () => {
    const doc = await sampleDoc();
    const parsed: unknown = JSON.parse(exportTimeline(doc, "json"));
    expect(parsed).toEqual(doc);
    expect(timelineDocumentSchema.safeParse(parsed).success).toBe(true);
  });

  it("csv: UTF-8 with a BOM, a header and one row per event, flat columns, quoted per RFC 4180", async () => {
    const doc = await sampleDoc();
    const text = exportTimeline(doc, "csv");
    expect(text.startsWith("\ufeff")).toBe(true);
    const rows = parseCsv(text.slice(1));
    expect(rows).toHaveLength(doc.response.length + 1);
    expect(rows[0]).toEqual(["seq", "recordedAt", "occurredAt", "runId", "mode", "kind", "step", "severity", "code", "summary", "target", "method", "url", "permission", "status", "data", "prev", "hash"]);
    expect(rows.every((r) => r.length === 18)).toBe(true);
    const finding = rows.find((r) => r[6] === "audit")!;
    expect(finding[9]).toBe(`app consent by user: ${hostile}`);
    expect(finding.slice(7, 9)).toEqual(["medium", "audit.consent"]);
    expect(JSON.parse(finding[15]!)).toMatchObject({ code: "audit.consent" });
    expect(rows.find((r) => r[5] === "error")![9]).toBe("multi\nline\u001b[31m error");
    const planned = rows.find((r) => r[5] === "action.planned")!;
    expect(planned.slice(11, 14)).toEqual(["POST", "/identityProtection/riskyUsers/confirmCompromised", "IdentityRiskyUser.ReadWrite.All"]);
    expect(rows.slice(1).map((r) => Number(r[0]))).toEqual(doc.response.map((e) => e.seq));
  });

  it("csv --table findings|actions|indicators|signins: the document's other tables", async () => {
    const doc = await sampleDoc();
    const findings = parseCsv(exportTimeline(doc, "csv", { table: "findings" }).slice(1));
    expect(findings[0]).toEqual(["occurredAt", "severity", "code", "summary", "subject", "evidenceRows", "step", "seq"]);
    expect(findings).toHaveLength(doc.findings.length + 1);
    const actions = parseCsv(exportTimeline(doc, "csv", { table: "actions" }).slice(1));
    expect(actions).toHaveLength(doc.actions.length + 1);
    const indicators = parseCsv(exportTimeline(doc, "csv", { table: "indicators" }).slice(1));
    expect(indicators[0]).toEqual(["type", "value", "firstSeen", "lastSeen", "sightings", "findings"]);
    expect(indicators.slice(1).map((r) => [r[0], r[1]])).toContainEqual(["app", `'${hostile}`.replace(/^'/, "")]);
    expect(parseCsv(exportTimeline(doc, "csv", { table: "signins" }).slice(1))).toHaveLength(1);
  });

  it("csv: defuses cells a spreadsheet would run as formulas", async () => {
    const { journal } = await newJournal(dir);
    journal.append({ kind: "note", step: "-x", summary: "=cmd|' /C calc'!A0" });
    journal.close();
    const rows = parseCsv(exportTimeline(buildDocument(journal.events), "csv").slice(1));
    expect(rows[1]![9]).toBe("'=cmd|' /C calc'!A0");
    expect(rows[1]![6]).toBe("'-x");
    expect(rows[1]![0]).toBe("1");
  });

  it("html: self-contained, verdict first, a chart, and no markup from event text", async () => {
    const doc = await sampleDoc();
    const html = exportTimeline(doc, "html");
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)=/i);
    expect(html).toContain(escapeHtml(`app consent by user: ${hostile}`));
    expect(html).toContain("<svg");
    expect(html.indexOf('class="verdict')).toBeLessThan(html.indexOf("<svg"));
    expect(html).toContain("EXERCISE");
    expect(html).toContain("INCOMPLETE: 1 gap(s)");
    expect(html).toContain("/identityProtection/riskyUsers/confirmCompromised");
    // one numbered diamond per write sent or planned
    expect(html.match(/<g class="action"/g)).toHaveLength(doc.actions.filter((a) => a.kind !== "action.skipped").length);
  });

  it("md: a ticket body: verdict, start, key events in order, actions, still open, indicators, next checks", async () => {
    const doc = await sampleDoc();
    const md = exportTimeline(doc, "md");
    expect(md).toMatch(/^# EXERCISE: Incident INC-1: alex@contoso\.com\n/);
    expect(md).toContain("**Verdict:**");
    expect(md).toContain("**Incident start:** 2026-11-20 07:55:00Z");
    expect(md).toContain("## Key events (UTC, in order)");
    expect(md).toContain("PATCH /users/alex@contoso.com");
    expect(md).toContain("## Indicators");
    expect(md).toContain("**Data: INCOMPLETE**");
    expect(md).toContain("- [ ] Run azir verify alex@contoso.com after 12:20Z");
    // Hostile text cannot open HTML, break a table or add emphasis.
    expect(md).not.toContain("<script>");
    const consentRow = md.split("\n").find((l) => l.includes("app consent by user"))!;
    expect(consentRow.split(/(?<!\\)\|/)).toHaveLength(6);
    const keyRows = md.slice(md.indexOf("## Key events")).split("\n").filter((l) => /^\| 20/.test(l)).map((l) => l.slice(2, 22));
    expect(keyRows).toEqual([...keyRows].sort());
  });

  it("rejects an unknown format with a usage error", async () => {
    const doc = await sampleDoc();
    expect(() => exportTimeline(doc, "pdf" as never)).toThrow(/unknown export format/);
  });
});

describe("renderEventLine", () => {
  it("prints time, kind, step and summary on one line without control characters", async () => {
    const doc = await sampleDoc();
    const finding = doc.findings[0]!;
    expect(renderEventLine(finding)).toBe(
      "2026-11-25 12:00:02Z  finding         signins       first high-risk successful sign-in from AS 64500  [occurred 2026-11-20 07:55:00Z]",
    );
    const error = doc.response.find((e) => e.kind === "error")!;
    const line = renderEventLine(error);
    expect(line).not.toMatch(/[\n\u001b]/);
    expect(line).toContain("multi line[31m error");
  });
});
