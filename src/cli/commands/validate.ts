import { ExitCode, formatDiagnostic, type Diagnostic } from "../../core/errors.js";
import { loadRunbookFile } from "../../runbook/load.js";
import { ruleContext } from "../../runbook/registry.js";
import { checkRunbook } from "../../runbook/rules.js";
import { resolveGlobals } from "../options.js";
import type { CommandEnv } from "../program.js";
import { createTerminal } from "../terminal.js";

/** `azir validate <files...>`: every problem of every file, then exit 2 if there was any. */
export async function handle(env: CommandEnv, args: unknown[]): Promise<number> {
  const globals = resolveGlobals(env.raw, env.io);
  const terminal = createTerminal(env.io, { json: Boolean(globals.json) });
  const files = (args[0] as string[]) ?? [];
  const context = ruleContext();
  const report: Array<{ file: string; ok: boolean; problems: Diagnostic[] }> = [];
  for (const file of files) {
    const loaded = await loadRunbookFile(file);
    const problems = loaded.ok ? checkRunbook(loaded.loaded, context) : loaded.diagnostics;
    report.push({ file, ok: problems.length === 0, problems });
  }
  if (globals.json) {
    terminal.out(JSON.stringify({ ok: report.every((r) => r.ok), files: report }, null, 2));
  } else {
    for (const r of report) {
      if (r.ok) terminal.line(`${terminal.color.green("ok")}  ${r.file}`);
      for (const p of r.problems) terminal.line(terminal.color.red(formatDiagnostic(p)));
    }
  }
  return report.every((r) => r.ok) ? ExitCode.ok : ExitCode.usage;
}
