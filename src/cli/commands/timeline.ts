import { AzirError, ExitCode } from "../../core/errors.js";
import { buildDocument } from "../../timeline/document.js";
import { exportTimeline as render, type ExportFormat } from "../../timeline/export.js";
import { journalIncidentId, readJournal, verifyJournal } from "../../timeline/journal.js";
import { renderEventLine } from "../../timeline/render.js";
import { resolveGlobals } from "../options.js";
import type { CommandEnv } from "../program.js";
import { createTerminal } from "../terminal.js";

async function read(file: string) {
  const result = await readJournal(file);
  if (result.events.length === 0 && result.problems.length) throw new AzirError("usage", `${file}: not a timeline journal`, { details: result.problems });
  return result;
}

/** `azir timeline show <file>`. */
export async function show(env: CommandEnv, args: unknown[]): Promise<number> {
  const terminal = createTerminal(env.io, { json: false });
  const { events, torn } = await read(String(args[0]));
  for (const e of events) terminal.out(renderEventLine(e));
  if (torn) terminal.warn("the last line is incomplete (a crash while writing); it was left out");
  return 0;
}

/** `azir timeline verify <file>`: exit 1 and the first bad line when the chain is broken. */
export async function verify(env: CommandEnv, args: unknown[]): Promise<number> {
  const globals = resolveGlobals(env.raw, env.io);
  const terminal = createTerminal(env.io, { json: Boolean(globals.json) });
  const file = String(args[0]);
  const result = await verifyJournal(file);
  if (globals.json) terminal.out(JSON.stringify(result));
  else if (result.ok) terminal.line(`${terminal.color.green("ok")}  ${file}: ${result.events} events, hash chain intact`);
  else terminal.line(terminal.color.red(`${file}:${result.line}: ${result.reason}`));
  return result.ok ? ExitCode.ok : ExitCode.failed;
}

/** `azir timeline export <file> --format json|md|csv|html`. */
export async function exportTimeline(env: CommandEnv, args: unknown[], options: Record<string, unknown>): Promise<number> {
  const { events } = await read(String(args[0]));
  env.io.stdout.write(`${render(buildDocument(events, { incidentId: journalIncidentId(String(args[0])) }), (options.format as ExportFormat) ?? "json").replace(/\n?$/, "\n")}`);
  return 0;
}
