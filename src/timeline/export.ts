import { AzirError } from "../core/errors.js";
import type { TimelineDocument } from "./document.js";
import { toCsv, type CsvTable } from "./report/csv.js";
import { toHtml } from "./report/html.js";
import { toMarkdown } from "./report/markdown.js";

export { escapeHtml } from "./report/chart.js";
export { csvTables, type CsvTable } from "./report/csv.js";

/** The formats `timeline export` and `--format` write; `pdf` is the HTML report printed by a browser (src/cli/pdf.ts). */
export const exportFormats = ["json", "md", "csv", "html", "pdf"] as const;
export type ExportFormat = (typeof exportFormats)[number];
export type TextFormat = Exclude<ExportFormat, "pdf">;

/** Renders a timeline document for a program (json), a ticket (md), a spreadsheet (csv) or a browser (html). */
export function exportTimeline(doc: TimelineDocument, format: TextFormat, options: { table?: CsvTable } = {}): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(doc, null, 2)}\n`;
    case "md":
      return toMarkdown(doc);
    case "csv":
      return toCsv(doc, options.table);
    case "html":
      return toHtml(doc);
    default:
      throw new AzirError("usage", `unknown export format: ${String(format)}`, { hint: `use one of ${exportFormats.join(", ")}` });
  }
}
