/** The process's streams and environment, injected so that commands run in-process under test. */
export interface Io {
  stdout: { write(chunk: string): unknown };
  /** `columns`: the terminal's width; 0 or absent where it cannot be known (some CI runners, `stty cols 0`). */
  stderr: { write(chunk: string): unknown; isTTY?: boolean; columns?: number };
  stdinIsTTY: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: Boolean(process.stdin.isTTY),
    env: process.env,
    cwd: process.cwd(),
  };
}
