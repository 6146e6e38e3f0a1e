import { existsSync, realpathSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { LineCounter, isMap, isSeq, parseDocument, type Document, type Node as YamlNode } from "yaml";
import type { z } from "zod";
import type { Diagnostic } from "../core/errors.js";
import { composeRunbook } from "./compose.js";
import { runbookSchema, stepKinds, type Runbook } from "./schema.js";

/** A runbook as loaded: the data, where it came from, and a way back from a path to a line. */
export interface LoadedRunbook {
  runbook: Runbook;
  file: string;
  source: string;
  /** 1-based line/column of the node at a document path (e.g. ["steps", 2, "query"]), when known. */
  locate(path: ReadonlyArray<string | number>): { line: number; column: number } | undefined;
}

export type LoadResult = { ok: true; loaded: LoadedRunbook } | { ok: false; diagnostics: Diagnostic[] };

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, p) => (typeof p === "number" ? `${out}[${p}]` : out ? `${out}.${String(p)}` : String(p)), "");
}

function locator(doc: Document, lines: LineCounter) {
  return (path: ReadonlyArray<string | number>): { line: number; column: number } | undefined => {
    // Walk down as far as the path exists; report the deepest node found (a missing key points at its parent).
    let node: unknown = doc.contents;
    let found: YamlNode | undefined = doc.contents ?? undefined;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
        if (!pair) break;
        node = pair.value;
        found = (pair.value as YamlNode | null) ?? (pair.key as YamlNode);
      } else if (isSeq(node) && typeof key === "number") {
        node = node.items[key];
        if (!node) break;
        found = node as YamlNode;
      } else break;
    }
    const offset = found?.range?.[0];
    if (offset === undefined) return undefined;
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
}

/** Explains a zod issue in a runbook's words. */
function explain(issue: z.core.$ZodIssue, raw: unknown): { message: string; hint?: string } {
  const path = issue.path;
  // A step that matches none of the kinds: say which kinds exist, and what was wrong inside the closest one.
  if (issue.code === "invalid_union" && path.length === 2 && path[0] === "steps") {
    const step = (raw as { steps?: unknown[] } | null)?.steps?.[path[1] as number];
    const keys = step && typeof step === "object" ? Object.keys(step) : [];
    const kind = stepKinds.find((k) => keys.includes(k));
    if (!kind) {
      return {
        message: `step has no known kind (keys: ${keys.join(", ") || "none"})`,
        hint: `a step needs exactly one of: ${stepKinds.join(", ")}`,
      };
    }
    const branch = issue.errors[stepKinds.indexOf(kind)] ?? [];
    const first = branch[0];
    if (first) {
      const where = first.path.length ? `${formatPath(first.path)}: ` : "";
      return { message: `${kind} step: ${where}${first.message}` };
    }
  }
  if (issue.code === "unrecognized_keys") {
    return { message: `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}` };
  }
  return { message: issue.message };
}

/** Parses and schema-checks runbook text. Every problem names file, line and column. */
export function parseRunbook(source: string, file: string): LoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      diagnostics: doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { severity: "error", file, line: pos.line, column: pos.col, message: `YAML: ${e.message.split("\n")[0]}` };
      }),
    };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 50 });
  } catch (error) {
    // An alias bomb, or nesting deeper than the parser's stack: a runbook is never like that.
    return { ok: false, diagnostics: [{ severity: "error", file, message: `YAML: ${error instanceof Error ? error.message : String(error)}`, hint: "a runbook needs no more than 50 aliases and no deep nesting" }] };
  }
  const locate = locator(doc, lines);
  const steps = (raw as { steps?: unknown } | null)?.steps;
  if (Array.isArray(steps) && steps.some((s) => s !== null && typeof s === "object" && "include" in s)) {
    const composed = composeRunbook(raw, file, 0, [existsSync(file) ? realpathSync(file) : file]);
    if (!composed.ok) {
      return {
        ok: false,
        diagnostics: composed.diagnostics.map((d) => ({ severity: "error" as const, file, ...(d.path ? locate(d.path) : {}), ...(d.path ? { path: formatPath(d.path) } : {}), message: d.message, ...(d.hint ? { hint: d.hint } : {}) })),
      };
    }
    return { ok: true, loaded: { runbook: composed.runbook, file, source, locate } };
  }
  const parsed = runbookSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      diagnostics: parsed.error.issues.map((issue) => {
        const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
        const pos = locate(path);
        const { message, hint } = explain(issue, raw);
        return { severity: "error" as const, file, ...pos, path: formatPath(path) || undefined, message, hint };
      }),
    };
  }
  return { ok: true, loaded: { runbook: parsed.data, file, source, locate } };
}

/** A runbook is a page of YAML: anything larger is refused before it is read. */
const maxRunbookBytes = 1024 * 1024;

export async function loadRunbookFile(file: string): Promise<LoadResult> {
  let source: string;
  try {
    // Look before reading: a FIFO, /dev/zero or a file under /proc would hang or flood the run.
    const info = await stat(file);
    if (!info.isFile()) return { ok: false, diagnostics: [{ severity: "error", file, message: "not a regular file" }] };
    if (info.size > maxRunbookBytes) return { ok: false, diagnostics: [{ severity: "error", file, message: `larger than ${maxRunbookBytes} bytes: not a runbook` }] };
    source = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, diagnostics: [{ severity: "error", file, message: code === "ENOENT" ? "no such file" : `cannot read: ${code ?? String(error)}` }] };
  }
  return parseRunbook(source, file);
}
