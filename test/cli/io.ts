import type { Io } from "../../src/cli/io.js";

/** An in-memory Io: what a command wrote to stdout and stderr. */
export function memoryIo(options: { tty?: boolean; env?: Record<string, string>; cwd?: string; columns?: number } = {}): Io & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s), isTTY: false, ...(options.columns !== undefined ? { columns: options.columns } : {}) },
    stdinIsTTY: options.tty ?? false,
    // The test run's journal key (vitest.config.ts), never the responder's own.
    env: { NO_COLOR: "1", ...(process.env.AZIR_JOURNAL_KEY ? { AZIR_JOURNAL_KEY: process.env.AZIR_JOURNAL_KEY } : {}), ...(options.env ?? {}) },
    cwd: options.cwd ?? process.cwd(),
    out: () => out,
    err: () => err,
  };
}
