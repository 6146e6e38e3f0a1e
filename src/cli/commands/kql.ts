import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { AzirError, ExitCode } from "../../core/errors.js";
import type { WireTable } from "../../kql/engine/index.js";
import { defineCommand, flag } from "../define-command.js";

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** `azir kql <query|file.kql> --data <dir>`: KQL over exported rows, locally. */
export const kqlCommand = defineCommand({
  name: "kql",
  description: "run KQL locally over exported table rows",
  args: z.object({ query: z.string().describe("KQL text or a .kql file") }),
  options: z.object({ data: z.string().describe("folder of <Table>.json files").register(flag, { value: "dir" }) }),
  handler: async ({ args, options }, ctx): Promise<WireTable> => {
    const query = args.query.endsWith(".kql") && existsSync(args.query) ? await readFile(args.query, "utf8") : args.query;
    if (!existsSync(options.data)) throw new AzirError("usage", `--data: no such folder: ${options.data}`);
    const { loadTablesFromFolder, runQuery, toWireTable } = await import("../../kql/engine/index.js");
    const now = ctx.clock.now();
    // exported rows, or a tabletop scenario folder: times written relative to the run are pinned at `now`
    const tables = await loadTablesFromFolder(options.data, { now });
    return toWireTable(await runQuery(query, tables, { now }));
  },
  render: (wire, { terminal, globals }) => {
    if (globals.json) {
      terminal.out(JSON.stringify({ tables: [wire] }, null, 2));
      return ExitCode.ok;
    }
    const rows = wire.rows.map((r) => r.map(cell));
    const headers = wire.columns.map((c) => c.name);
    const widths = headers.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length))));
    const fmt = (r: string[]) => r.map((c, i) => (c.length > widths[i]! ? `${c.slice(0, widths[i]! - 1)}…` : c.padEnd(widths[i]!))).join("  ").trimEnd();
    terminal.out(fmt(headers));
    terminal.out(widths.map((w) => "-".repeat(w)).join("  "));
    for (const r of rows) terminal.out(fmt(r));
    terminal.line(terminal.color.dim(`${rows.length} row(s)`));
    return ExitCode.ok;
  },
});
