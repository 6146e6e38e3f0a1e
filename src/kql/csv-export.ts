/**
 * Portal CSV exports: what the Log Analytics portal's "Export to CSV (all columns)" saves, read as row objects for the
 * one loader of table files (table-files.ts), which types them by the declared schema.
 *
 * What this reader accepts: RFC 4180 (quoted fields, doubled quotes, line breaks inside quotes, CRLF or LF, an
 * optional UTF-8 byte-order mark); a header row of column names, where a datetime column may be written
 * `TimeGenerated [UTC]`; datetimes in ISO-8601 or as the portal shows them (`11/20/2026, 8:00:00.000 AM`, UTC);
 * dynamic cells as JSON text. An empty cell is a missing value (an empty string in a string column). A column
 * headed `[Local Time]` is refused: the export does not say which zone that was.
 */
import { AzirError } from "../core/errors.js";
import type { KustoType } from "../core/ports.js";

/** Splits CSV text into records; a quote left open is an error naming the file and the line it opened on. */
export function parseCsv(text: string, file: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '"' && field === "") {
      const opened = line;
      i++;
      for (;;) {
        if (i >= n) throw new AzirError("validation", `${file}:${opened}: a quoted field is never closed`, { hint: "check the export for a cut-off last row" });
        const q = text[i]!;
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === "\n") line++;
        field += q;
        i++;
      }
      if (i < n && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") {
        throw new AzirError("validation", `${file}:${line}: text after a closing quote`, { hint: 'a quote inside a quoted field is written twice ("")' });
      }
      continue;
    }
    if (c === ",") {
      record.push(field);
      field = "";
      i++;
      continue;
    }
    if (c === "\r" || c === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      line++;
      continue;
    }
    field += c;
    i++;
  }
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records.filter((r) => !(r.length === 1 && r[0] === ""));
}

const portalTime = /^(\d{1,2})\/(\d{1,2})\/(\d{4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*([AP]M)$/i;

/** `11/20/2026, 8:00:00.000 AM` (the portal's US display form, UTC) as ISO-8601; other text is returned as it is. */
export function portalTimeToIso(text: string): string {
  const m = portalTime.exec(text.trim());
  if (!m) return text;
  let hour = Number(m[4]);
  if (hour < 1 || hour > 12) return text;
  if (m[8]!.toUpperCase() === "AM" && hour === 12) hour = 0;
  else if (m[8]!.toUpperCase() === "PM" && hour !== 12) hour += 12;
  const p = (v: number | string) => String(v).padStart(2, "0");
  return `${m[3]}-${p(m[1]!)}-${p(m[2]!)}T${p(hour)}:${m[5]}:${m[6] ?? "00"}${m[7] ?? ""}Z`;
}

/**
 * Row objects from a CSV export of `table`, cells converted as far as text allows: datetimes to ISO-8601, dynamic
 * cells parsed; the rest stays text for the loader to type by the declared schema.
 */
export function rowsFromCsv(text: string, file: string, declared: ReadonlyMap<string, KustoType>): Array<Record<string, unknown>> {
  const records = parseCsv(text, file);
  const header = records[0];
  if (!header) throw new AzirError("validation", `${file}: empty file, expected a header row of column names`, { hint: 'export with "Export to CSV (all columns)"' });
  const names = header.map((h) => {
    const m = /^(.*?)\s*\[(UTC|Local Time)\]$/i.exec(h.trim());
    if (m && m[2]!.toLowerCase() !== "utc") {
      throw new AzirError("validation", `${file}: column "${h}" is in local time, and the export does not say which zone`, { hint: "export again with the portal's time zone set to UTC" });
    }
    return m ? m[1]! : h.trim();
  });
  const seen = new Set<string>();
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new AzirError("validation", `${file}: "${name}" in the header row is not a column name`, { hint: "the first row of an export names the columns" });
    if (seen.has(name)) throw new AzirError("validation", `${file}: column "${name}" appears twice in the header row`);
    seen.add(name);
  }
  const types = names.map((n) => declared.get(n));
  return records.slice(1).map((r, i) => {
    if (r.length !== names.length) {
      throw new AzirError("validation", `${file}: row ${i + 1} has ${r.length} fields, the header ${names.length}`, { hint: "a field holding a comma or a line break must be quoted" });
    }
    const row: Record<string, unknown> = {};
    names.forEach((name, j) => {
      const v = r[j]!;
      const type = types[j];
      if (v === "") {
        if (type === "string" || type === undefined) row[name] = "";
        return;
      }
      if (type === "datetime") row[name] = portalTimeToIso(v);
      else if (type === "dynamic") {
        try {
          row[name] = JSON.parse(v) as unknown;
        } catch {
          row[name] = v;
        }
      } else row[name] = v;
    });
    return row;
  });
}
