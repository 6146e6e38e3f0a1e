import { CommanderError } from "commander";
import { AzirError, ExitCode } from "../core/errors.js";
import { packageVersion } from "../core/paths.js";
import { processIo, type Io } from "./io.js";
import { buildProgram } from "./program.js";
import type { RunDeps } from "./context.js";


/** Writes an error the way a responder can act on it: what, details, how to fix. Secrets are masked. */
async function reportError(io: Io, error: unknown): Promise<number> {
  const { redactString } = await import("../timeline/redact.js");
  if (error instanceof AzirError) {
    const lines = [`azir: ${redactString(error.message)}`];
    for (const d of error.details) lines.push(`  ${redactString(d)}`);
    if (error.hint) lines.push(`  hint: ${redactString(error.hint)}`);
    io.stderr.write(`${lines.join("\n")}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`azir: internal error: ${redactString(message)}\n  (this is a bug; the timeline journal, if any, is intact)\n`);
  return ExitCode.failed;
}

/**
 * Runs the CLI and returns the exit code. Only the entry script (bin/azir.js) exits the process.
 */
export async function main(argv: string[], io: Io = processIo(), deps: RunDeps = {}): Promise<number> {
  let code: number = ExitCode.ok;
  const program = buildProgram(io, deps, packageVersion(), (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors with 2 (commander already printed them).
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    return reportError(io, error);
  }
}
