import { z } from "zod";
import { ExitCode, formatDiagnostic, type Diagnostic } from "../../core/errors.js";
import { defineCommand } from "../define-command.js";

type Report = Array<{ file: string; ok: boolean; problems: Diagnostic[] }>;

/** `azir validate <files...>`: every problem of every file, then exit 2 if there was any. */
export const validateCommand = defineCommand({
  name: "validate",
  description: "check runbooks (schema, rules, KQL files)",
  args: z.object({ files: z.array(z.string()).describe("runbook files") }),
  handler: async ({ args }): Promise<Report> => {
    const [{ loadRunbookFile }, { ruleContext }, { checkRunbook }] = await Promise.all([
      import("../../runbook/load.js"),
      import("../../runbook/registry.js"),
      import("../../runbook/rules.js"),
    ]);
    const context = ruleContext();
    const report: Report = [];
    for (const file of args.files) {
      const loaded = await loadRunbookFile(file);
      const problems = loaded.ok ? checkRunbook(loaded.loaded, context) : loaded.diagnostics;
      report.push({ file, ok: problems.length === 0, problems });
    }
    return report;
  },
  render: (report, { terminal, globals }) => {
    if (globals.json) {
      terminal.out(JSON.stringify({ ok: report.every((r) => r.ok), files: report }, null, 2));
    } else {
      for (const r of report) {
        if (r.ok) terminal.line(`${terminal.color.green("ok")}  ${r.file}`);
        for (const p of r.problems) terminal.line(terminal.color.red(formatDiagnostic(p)));
      }
    }
    return report.every((r) => r.ok) ? ExitCode.ok : ExitCode.usage;
  },
});
