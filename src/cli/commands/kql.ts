import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { AzirError, ExitCode } from "../../core/errors.js";
import type { WireTable } from "../../kql/engine/index.js";
import type { CommandContext } from "../context.js";
import { defineCommand, flag } from "../define-command.js";

const formats = ["table", "json", "csv"] as const;
type Format = (typeof formats)[number];

/**
 * One query's outcome: its result and what may be missing from it (a partial result, columns an export lacks), or
 * (with several queries) the error it ended with.
 */
type Outcome = { source: string; table: WireTable; gaps: string[] } | { source: string; error: AzirError };

interface KqlResult {
  /** Where the rows came from: the export folder, the scenario, or the workspace. */
  target: string;
  /** With --data: what the export holds of each table the queries name (rows, first and last TimeGenerated). */
  holdings: string[];
  outcomes: Outcome[];
  format: Format;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV: a header row of column names, then the rows; dynamic cells as JSON, datetimes in ISO-8601 UTC. */
export function toCsv(table: WireTable): string {
  const lines = [table.columns.map((c) => csvField(c.name)).join(",")];
  for (const r of table.rows) lines.push(r.map((v) => csvField(cell(v))).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

function textTable(table: WireTable): string[] {
  const rows = table.rows.map((r) => r.map(cell));
  const headers = table.columns.map((c) => c.name);
  const widths = headers.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length))));
  const fmt = (r: string[]) => r.map((c, i) => (c.length > widths[i]! ? `${c.slice(0, widths[i]! - 1)}…` : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [fmt(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(fmt)];
}

type Runner = (text: string) => Promise<{ table: WireTable; gaps: string[] }>;

/** The rows a query runs over: an export folder or a scenario (local engine), or a live workspace. */
async function openTarget(
  options: { data?: string | undefined },
  ctx: CommandContext,
): Promise<{ target: string; run: Runner; holdings(texts: string[]): string[]; close(): Promise<void> }> {
  const { globals, io, clock } = ctx;
  const chosen = [options.data !== undefined && "--data", globals.tabletop !== undefined && globals.tabletop !== false && "--tabletop"].filter(Boolean);
  if (chosen.length > 1) throw new AzirError("usage", `${chosen.join(" and ")}: give one place to query`, { hint: "--data <folder>, --tabletop [scenario] or --workspace <id>" });
  const { tabletopScenarioDir } = await import("../context.js");
  const local = options.data !== undefined ? resolve(io.cwd, options.data) : globals.tabletop ? await tabletopScenarioDir(globals.tabletop, io.cwd) : undefined;
  if (local !== undefined) {
    if (!existsSync(local)) throw new AzirError("usage", `--data: no such folder: ${options.data}`);
    const { exportGaps, loadTablesFromFolder, runQuery, tableSpan, toWireTable } = await import("../../kql/engine/index.js");
    const now = clock.now();
    // exported rows, or a tabletop scenario folder: times written relative to the run are pinned at `now`
    const tables = await loadTablesFromFolder(local, { now });
    const run: Runner = async (text) => {
      const table = toWireTable(await runQuery(text, tables, { now }));
      // a scenario leaves out the columns its tenant does not use; an export may lack columns or rows a workspace has
      const gaps = options.data === undefined ? [] : (await exportGaps(text, tables)).flatMap((g) => [
        ...(g.missingColumns.length > 0
          ? [`the export's ${g.table} has no column ${g.missingColumns.join(", ")}, which the query reads: every row reads ${g.missingColumns.length > 1 ? "them" : "it"} as empty here, where a workspace holds values, so rows may be missing from this answer (export all columns)`]
          : []),
        ...(g.cutAt !== undefined
          ? [`the export's ${g.table} holds exactly ${g.cutAt.toLocaleString("en-US")} rows, the most ${g.cutAt === 30_000 ? "the Log Analytics portal returns and exports" : "the query API returns"} for one query: it was most likely cut there, so rows may be missing from this answer (export shorter time windows)`]
          : []),
      ]);
      return { table, gaps };
    };
    // what the export holds of the tables the queries name: a look-back longer than the export shows here
    const holdings = (texts: string[]): string[] =>
      options.data === undefined
        ? []
        : Object.entries(tables)
            .filter(([name]) => texts.some((t) => new RegExp(`\\b${name}\\b`).test(t)))
            .map(([name, t]) => {
              const span = tableSpan(t);
              return `the export holds ${span.rows.toLocaleString("en-US")} ${name} row(s)${span.first ? `, ${span.first} to ${span.last}` : ""}`;
            });
    return { target: local, run, holdings, close: async () => undefined };
  }
  const { createRunContext } = await import("../context.js");
  const run = await createRunContext(ctx);
  if (!run.workspaceId) {
    await run.close();
    throw new AzirError("usage", "azir kql needs rows to query: --data <folder>, --tabletop [scenario] or --workspace <id>", {
      hint: "--data reads <Table>.json / <Table>.csv exports; --workspace (or workspace: in the config) queries Log Analytics",
    });
  }
  return {
    target: `workspace ${run.workspaceId}`,
    run: async (text) => {
      const answer = await run.ports.logs.query({ workspaceId: run.workspaceId, query: text });
      const table = answer.tables[0];
      if (!table) throw new AzirError("service", "the workspace answered without a table");
      const gaps = answer.complete ? [] : [`partial result (${answer.reason.code}): ${answer.reason.message}: rows may be missing from this answer`];
      return { table: { name: table.name, columns: table.columns, rows: table.rows }, gaps };
    },
    holdings: () => [],
    close: () => run.close(),
  };
}

/**
 * `azir kql <query|file.kql|folder...>`: KQL over exported rows (`--data`), a tabletop scenario (`--tabletop`) or a
 * Log Analytics workspace (`--workspace`), with `--param` for files that declare query parameters.
 */
export const kqlCommand = defineCommand({
  name: "kql",
  description: "run KQL over exported rows (--data), a tabletop scenario (--tabletop) or a workspace (--workspace)",
  args: z.object({ queries: z.array(z.string()).min(1).describe("KQL text, .kql files or folders of them") }),
  options: z.object({
    data: z.string().optional().describe("folder of <Table>.json / <Table>.csv exports").register(flag, { value: "dir" }),
    param: z.array(z.string()).optional().describe("a value for a declared query parameter (repeatable)").register(flag, { value: "name=value" }),
    format: z.enum(formats).optional().describe("output format (default table; --json is json)"),
  }),
  handler: async ({ args, options }, ctx): Promise<KqlResult> => {
    const { bindParams, parseParamFlags, readQuerySources, unusedParams } = await import("../../kql/query-sources.js");
    const sources = await readQuerySources(args.queries, ctx.io.cwd);
    const params = parseParamFlags(options.param ?? []);
    const unused = unusedParams(sources, params);
    if (unused.length > 0) throw new AzirError("usage", `--param ${unused.join(", ")}: no query declares ${unused.length > 1 ? "these parameters" : "this parameter"}`, { hint: "declare it with declare query_parameters(name:type); in the .kql file" });
    const format: Format = options.format ?? (ctx.globals.json ? "json" : "table");
    const target = await openTarget(options, ctx);
    try {
      const outcomes: Outcome[] = [];
      for (const q of sources) {
        try {
          outcomes.push({ source: q.source, ...(await target.run(bindParams(q, params))) });
        } catch (error) {
          // one query alone fails as its error; with several, each failure is reported and the others still run
          if (sources.length === 1 || !(error instanceof AzirError)) throw error;
          outcomes.push({ source: q.source, error });
        }
      }
      return { target: target.target, holdings: target.holdings(sources.map((q) => q.text)), outcomes, format };
    } finally {
      await target.close();
    }
  },
  render: (result, { terminal }) => {
    const several = result.outcomes.length > 1;
    const failed = result.outcomes.filter((o) => "error" in o);
    const incomplete = result.outcomes.filter((o) => "gaps" in o && o.gaps.length > 0);
    // an answer that may lack rows says so in the document too: never read as a complete one
    const gapsOf = (o: Outcome) => ("gaps" in o && o.gaps.length > 0 ? { complete: false, gaps: o.gaps } : {});
    if (result.format === "json") {
      const doc = several
        ? { results: result.outcomes.map((o) => ("error" in o ? { source: o.source, error: { code: o.error.code, message: o.error.message, hint: o.error.hint, details: o.error.details } } : { source: o.source, tables: [o.table], ...gapsOf(o) })) }
        : { tables: [(result.outcomes[0] as { table: WireTable }).table], ...gapsOf(result.outcomes[0]!) };
      terminal.out(JSON.stringify(doc, null, 2));
    } else {
      for (const o of result.outcomes) {
        if (several) terminal.out(result.format === "csv" ? `# ${o.source}` : `== ${o.source}`);
        if ("error" in o) {
          terminal.line(terminal.color.red(o.error.message.startsWith(o.source) ? o.error.message : `${o.source}: ${o.error.message}`));
          for (const d of o.error.details) terminal.line(`  ${d}`);
          if (o.error.hint) terminal.line(`  hint: ${o.error.hint}`);
          continue;
        }
        if (result.format === "csv") terminal.out(toCsv(o.table).trimEnd());
        else {
          for (const line of textTable(o.table)) terminal.out(line);
          terminal.line(terminal.color.dim(`${o.table.rows.length} row(s)`));
        }
      }
    }
    for (const h of result.holdings) terminal.line(terminal.color.dim(h));
    for (const o of incomplete) for (const gap of (o as { gaps: string[] }).gaps) terminal.warn(`INCOMPLETE${several ? ` ${o.source}` : ""}: ${gap}`);
    if (several) terminal.line(terminal.color.dim(`${result.outcomes.length - failed.length} of ${result.outcomes.length} queries answered over ${result.target}`));
    return failed.length > 0 || incomplete.length > 0 ? ExitCode.failed : ExitCode.ok;
  },
});
