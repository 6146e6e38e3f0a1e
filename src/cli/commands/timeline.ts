import { resolve } from "node:path";
import { z } from "zod";
import { AzirError, ExitCode } from "../../core/errors.js";
import { csvTables, exportFormats } from "../../timeline/export.js";
import type { CommandContext } from "../context.js";
import { defineCommand, defineGroup, flag } from "../define-command.js";
import { parseSince } from "../../core/duration.js";

const journalFile = z.object({ file: z.string().describe("timeline journal (.jsonl)") });

async function read(file: string) {
  const { readJournal } = await import("../../timeline/journal.js");
  const result = await readJournal(file);
  if (result.events.length === 0 && result.problems.length) throw new AzirError("usage", `${file}: not a timeline journal`, { details: result.problems });
  return result;
}

/** The journal's hash chain and signatures, checked: stamped on what is shown or exported, and said on stderr. */
async function integrityOf(file: string, ctx: CommandContext): Promise<{ verified: boolean; headHash?: string; brokenAt?: { line: number; reason: string }; signatures?: string }> {
  const { journalKeyToCheck, describeSignatures } = await import("../journal-key.js");
  const key = journalKeyToCheck(ctx.io, ctx.terminal);
  const result = await (await import("../../timeline/journal.js")).verifyJournal(file, key ? { key } : {});
  return result.ok
    ? { verified: true, headHash: result.lastHash, signatures: describeSignatures(result.signatures, key).text }
    : { verified: false, brokenAt: { line: result.line, reason: result.reason } };
}

function sayIntegrity(integrity: Awaited<ReturnType<typeof integrityOf>>, terminal: { line(t: string): void; warn(t: string): void }): void {
  if (integrity.verified) terminal.line(`integrity: verified (head ${integrity.headHash}); ${integrity.signatures}`);
  else terminal.warn(`integrity: BROKEN at line ${integrity.brokenAt!.line}: ${integrity.brokenAt!.reason}; this journal is not evidence as it stands`);
}

const severities = ["info", "low", "medium", "high", "critical"] as const;

/** `azir timeline show <file> [--kind k] [--step s] [--since t] [--severity s]`. */
export const showCommand = defineCommand({
  name: "show",
  description: "print the events (filtered by --kind, --step, --severity and the global --since); with --json, one JSON array of them on stdout",
  args: journalFile,
  options: z.object({
    kind: z.array(z.string()).default([]).describe("only events of this kind (repeatable): finding, action, query, gap, error, note, ...").register(flag, { value: "kind" }),
    step: z.array(z.string()).default([]).describe("only events of this step (repeatable)").register(flag, { value: "step" }),
    severity: z.enum(severities).optional().describe("only findings of this severity or higher (with --kind, the other kinds named too)"),
  }),
  handler: async ({ args, options }, ctx) => {
    // The global --since (a date-time, or a duration back from now): events that happened (or were recorded) since.
    const given = ctx.globals.since;
    const since = given === undefined ? undefined : parseSince(given, ctx.clock.now())?.getTime();
    if (given !== undefined && since === undefined) throw new AzirError("usage", `--since: not a date-time or a duration: ${JSON.stringify(given)}`, { hint: "e.g. --since 2026-11-28T12:00:00Z or --since 2h" });
    const [{ events, torn }, { renderEventLine }, integrity] = await Promise.all([read(args.file), import("../../timeline/render.js"), integrityOf(args.file, ctx)]);
    const floor = options.severity ? severities.indexOf(options.severity) : 0;
    const shown = events.filter((e) => {
      if (options.kind.length && !options.kind.includes(e.kind)) return false;
      if (options.step.length && !options.step.includes(e.step ?? "")) return false;
      if (since !== undefined && Date.parse(e.occurredAt ?? e.recordedAt) < since) return false;
      if (e.kind === "finding" && severities.indexOf(e.data.severity) < floor) return false;
      if (options.severity && e.kind !== "finding" && options.kind.length === 0) return false;
      return true;
    });
    return { shown, lines: shown.map(renderEventLine), torn, integrity, total: events.length };
  },
  render: ({ shown, lines, torn, integrity, total }, { terminal, globals }) => {
    if (globals.json) terminal.out(JSON.stringify(shown, null, 2));
    else for (const line of lines) terminal.out(line);
    if (shown.length < total) terminal.line(terminal.color.dim(`${shown.length} of ${total} events shown`));
    if (torn) terminal.warn("the last line is incomplete (a crash while writing); it was left out");
    sayIntegrity(integrity, terminal);
    return ExitCode.ok;
  },
});

/** `azir timeline verify <file>`: exit 1 and the first bad line when the chain is broken. */
export const verifyJournalCommand = defineCommand({
  name: "verify",
  description: "check the hash chain",
  args: journalFile,
  handler: async ({ args }, ctx) => {
    const { journalKeyToCheck, describeSignatures } = await import("../journal-key.js");
    const key = journalKeyToCheck(ctx.io, ctx.terminal);
    const result = await (await import("../../timeline/journal.js")).verifyJournal(args.file, key ? { key } : {});
    return { file: args.file, result, signatures: result.ok ? describeSignatures(result.signatures, key).text : undefined };
  },
  render: ({ file, result, signatures }, { terminal, globals }) => {
    if (globals.json) terminal.out(JSON.stringify(result));
    else if (result.ok) terminal.line(`${terminal.color.green("ok")}  ${file}: ${result.events} events, hash chain intact; head ${result.lastHash}\n    ${signatures}`);
    else terminal.line(terminal.color.red(`${file}:${result.line}: ${result.reason}`));
    return result.ok ? ExitCode.ok : ExitCode.failed;
  },
});

/** `azir timeline export <file> --format json|md|csv|html|pdf [--table t] [--output file]`. */
export const exportCommand = defineCommand({
  name: "export",
  description: "convert to one document: json, a Markdown ticket body, CSV, a self-contained HTML report, or PDF",
  args: journalFile,
  options: z.object({
    format: z.enum(exportFormats).default("json").describe("output format"),
    table: z.enum(csvTables).optional().describe("with --format csv: which table (default: one row per event)"),
    output: z.string().optional().describe("write to this file instead of stdout (required for pdf)"),
  }),
  globals: false,
  handler: async ({ args, options }, ctx) => {
    if (options.table && options.format !== "csv") throw new AzirError("usage", "--table goes with --format csv");
    if (options.format === "pdf" && !options.output) throw new AzirError("usage", "--format pdf writes a file: name it with --output <file>.pdf");
    const [{ events }, { incidentDocument }, { exportTimeline: render }, { journalIncidentId }, integrity] = await Promise.all([
      read(args.file),
      import("../report.js"),
      import("../../timeline/export.js"),
      import("../../timeline/journal.js"),
      integrityOf(args.file, ctx),
    ]);
    const doc = { ...incidentDocument(events, { incidentId: journalIncidentId(args.file) }), integrity };
    const content: string | Buffer =
      options.format === "pdf" ? await (await import("../pdf.js")).htmlToPdf(render(doc, "html"), ctx.io.env) : render(doc, options.format, options.table ? { table: options.table } : {});
    if (options.output) {
      const { writeFile } = await import("node:fs/promises");
      const target = resolve(ctx.io.cwd, options.output);
      try {
        await writeFile(target, content);
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code;
        const why = code === "ENOSPC" ? "no space left on the device" : code === "EACCES" || code === "EPERM" ? "permission denied" : (cause as Error).message;
        throw new AzirError("usage", `cannot write ${target}: ${why}`, { hint: "free some space or choose another --output; the journal is unchanged", cause, exitCode: ExitCode.failed });
      }
      return { written: target, integrity };
    }
    return { text: content.toString(), integrity };
  },
  render: (result, { terminal }) => {
    if ("written" in result) terminal.line(`written: ${result.written}`);
    else terminal.out(result.text);
    sayIntegrity(result.integrity, terminal);
    return ExitCode.ok;
  },
});

/** `azir timeline show|verify|export`. */
export const timelineCommands = defineGroup({
  name: "timeline",
  description: "read, check and export incident timelines",
  commands: [showCommand, verifyJournalCommand, exportCommand],
});
