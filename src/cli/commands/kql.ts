import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { systemClock } from "../../core/clock.js";
import { AzirError } from "../../core/errors.js";
import { resolveGlobals } from "../options.js";
import type { CommandEnv } from "../program.js";
import { createTerminal } from "../terminal.js";

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** `azir kql <query|file.kql> --data <dir>`: KQL over exported rows, locally. */
export async function handle(env: CommandEnv, args: unknown[], options: Record<string, unknown>): Promise<number> {
  const globals = resolveGlobals(env.raw, env.io);
  const terminal = createTerminal(env.io, { json: Boolean(globals.json) });
  const given = String(args[0]);
  const query = given.endsWith(".kql") && existsSync(given) ? await readFile(given, "utf8") : given;
  const dir = String(options.data);
  if (!existsSync(dir)) throw new AzirError("usage", `--data: no such folder: ${dir}`);
  const { loadTablesFromFolder, runQuery, toWireTable } = await import("../../kql/engine/index.js");
  const now = (env.deps.clock ?? systemClock).now();
  // exported rows, or a tabletop scenario folder: times written relative to the run are pinned at `now`
  const tables = await loadTablesFromFolder(dir, { now });
  const result = await runQuery(query, tables, { now });
  if (globals.json) {
    terminal.out(JSON.stringify({ tables: [toWireTable(result)] }, null, 2));
    return 0;
  }
  const wire = toWireTable(result);
  const rows = wire.rows.map((r) => r.map(cell));
  const headers = wire.columns.map((c) => c.name);
  const widths = headers.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length))));
  const fmt = (r: string[]) => r.map((c, i) => (c.length > widths[i]! ? `${c.slice(0, widths[i]! - 1)}…` : c.padEnd(widths[i]!))).join("  ").trimEnd();
  terminal.out(fmt(headers));
  terminal.out(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) terminal.out(fmt(r));
  terminal.line(terminal.color.dim(`${rows.length} row(s)`));
  return 0;
}
