/**
 * Kusto.Language's diagnostics as a person reads them: the position, the line with a caret under the problem, and
 * for an unknown name the closest column names of the tables the query reads (did you mean ...?).
 */
import type { TableSchema } from "../tables.js";
import type { KqlDiagnostic } from "./kusto-language.js";

/** Levenshtein distance, case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length]!;
}

/** Column names close to `name` (at most three, closest first), from the tables `query` names (all when none). */
export function didYouMean(name: string, query: string, schemas: Record<string, TableSchema>): string[] {
  const named = Object.keys(schemas).filter((t) => new RegExp(`\\b${t}\\b`).test(query));
  const tables = named.length > 0 ? named : Object.keys(schemas);
  const columns = new Set<string>();
  for (const t of tables) for (const [c] of schemas[t] ?? []) columns.add(c);
  const limit = Math.max(2, Math.floor(name.length / 3));
  return [...columns]
    .map((c) => ({ c, d: c.toLowerCase() === name.toLowerCase() ? 0 : distance(c, name) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, 3)
    .map((x) => x.c);
}

/** One diagnostic as lines: `line:column code message`, the source line, a caret, and a suggestion when there is one. */
export function explainDiagnostic(d: KqlDiagnostic, query: string, schemas: Record<string, TableSchema>): string[] {
  const out = [`${d.line}:${d.column} ${d.code} ${d.message}`];
  const source = query.split("\n")[d.line - 1];
  if (source !== undefined && source.trim() !== "") {
    const shown = source.replace(/\t/g, " ").replace(/\r$/, "");
    out.push(`    ${shown}`);
    out.push(`    ${" ".repeat(Math.max(0, d.column - 1))}${"^".repeat(Math.max(1, Math.min(d.length, shown.length - d.column + 1)))}`);
  }
  const unknown = /^The name '([^']+)' does not refer to any known column/.exec(d.message);
  if (unknown) {
    const close = didYouMean(unknown[1]!, query, schemas);
    if (close.length > 0) out.push(`    did you mean ${close.join(", ")}?`);
  }
  return out;
}
