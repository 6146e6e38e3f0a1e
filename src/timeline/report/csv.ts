import type { TimelineDocument } from "../document.js";
import type { TimelineEvent } from "../event.js";
import { permissionOf, requestLine, resultOf } from "./text.js";

export const csvTables = ["events", "findings", "actions", "indicators", "signins"] as const;
export type CsvTable = (typeof csvTables)[number];

/** Spreadsheet programs read UTF-8 only with a byte-order mark. */
const bom = "\ufeff";

function field(value: unknown): string {
  const text = value === undefined || value === null ? "" : typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  // Cells that a spreadsheet would evaluate as a formula get a leading apostrophe (OWASP CSV injection advice):
  // summaries and data carry tenant-controlled text.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function sheet(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  return bom + [head.join(","), ...rows.map((r) => r.map(field).join(","))].map((line) => `${line}\r\n`).join("");
}

const eventColumns = ["seq", "recordedAt", "occurredAt", "runId", "mode", "kind", "step", "severity", "code", "summary", "target", "method", "url", "permission", "status", "data", "prev", "hash"] as const;

function eventRow(e: TimelineEvent): unknown[] {
  const d = e.data as Record<string, unknown>;
  const request = (d.request ?? {}) as { method?: string; url?: string };
  return [
    e.seq,
    e.recordedAt,
    e.occurredAt ?? "",
    e.runId,
    e.mode,
    e.kind,
    e.step ?? "",
    d.severity ?? "",
    d.code ?? "",
    e.summary,
    d.target ?? "",
    request.method ?? d.method ?? "",
    request.url ?? d.url ?? "",
    d.permission ?? "",
    d.status ?? "",
    e.data,
    e.prev,
    e.hash,
  ];
}

/**
 * CSV for spreadsheets (RFC 4180, CRLF, UTF-8 with BOM): one row per event, flat columns; or one of the document's
 * other tables.
 */
export function toCsv(doc: TimelineDocument, table: CsvTable = "events"): string {
  switch (table) {
    case "events":
      return sheet(eventColumns, doc.response.map(eventRow));
    case "findings":
      return sheet(
        ["occurredAt", "severity", "code", "summary", "subject", "evidenceRows", "step", "seq"],
        doc.findings.map((f) => [f.occurredAt ?? f.data.occurredAt, f.data.severity, f.data.code, f.summary, f.data.subject ?? "", f.data.evidence.length, f.step ?? "", f.seq]),
      );
    case "actions":
      return sheet(
        ["recordedAt", "kind", "step", "summary", "target", "request", "permission", "result", "seq"],
        doc.actions.map((a) => [a.recordedAt, a.kind, a.step ?? "", a.summary, a.data.target ?? "", requestLine(a) ?? "", permissionOf(a) ?? "", resultOf(a), a.seq]),
      );
    case "indicators":
      return sheet(["type", "value", "firstSeen", "lastSeen", "sightings", "findings"], doc.indicators.map((i) => [i.type, i.value, i.firstSeen, i.lastSeen, i.sightings, i.findings.join(" ")]));
    case "signins":
      return sheet(
        ["at", "success", "resultType", "risk", "ip", "asn", "country", "app", "clientApp", "protocol", "caStatus", "deviceId", "userAgent", "newAsn", "newCountry", "flagged", "requestId"],
        doc.signins.map((s) => [s.at, s.success, s.resultType, s.risk, s.ip, s.asn, s.country, s.app, s.clientApp, s.protocol, s.caStatus, s.deviceId, s.userAgent, s.newAsn, s.newCountry, s.flagged, s.requestId]),
      );
  }
}
