import { Chalk, type ChalkInstance } from "chalk";
import type { Ora } from "ora";
import { REDACTED, type KnownSecrets } from "../timeline/redact.js";
import type { Io } from "./io.js";
import { fitText } from "./render/layout.js";

/**
 * The only place azir writes to the terminal. Human output goes to stderr (with colour when it is a TTY);
 * stdout carries exactly one JSON document with --json, and nothing otherwise except command results
 * that are data (a plan, a schema, a table).
 */
export interface Terminal {
  readonly color: ChalkInstance;
  readonly json: boolean;
  /** Columns human output is fitted to: the terminal's; unbounded when there is none (a pipe, a file). */
  readonly width: number;
  /** A line for people, on stderr. */
  line(text?: string): void;
  warn(text: string): void;
  /** Data on stdout: the JSON document, or text a command is asked for (schema, plan). */
  out(text: string): void;
  /** A spinner line for a step (no-op without a TTY, on a terminal of unknown width, or with --json). */
  progress(text: string): { update(text: string): void; stop(final?: string): void };
  /**
   * Masks these exact strings in everything written from now on: the tokens a credential issues in this run, which
   * a service may echo in an error that a summary repeats (an opaque token matches no pattern).
   */
  maskSecrets(known: KnownSecrets): void;
}

/** ora is loaded only by commands that show progress, to keep `azir --help` fast. */
export type OraFactory = typeof import("ora").default;

export function createTerminal(io: Io, options: { json: boolean; ora?: OraFactory }): Terminal {
  const tty = Boolean(io.stderr.isTTY) && io.env.TERM !== "dumb";
  const noColor = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "";
  // FORCE_COLOR=0 (or false) turns colour off, as in Node and chalk; any other value turns it on.
  const force = io.env.FORCE_COLOR;
  const forced = force === undefined || force === "" ? undefined : !["0", "false"].includes(force.toLowerCase());
  const level = forced ?? (tty && !noColor) ? 1 : 0;
  const color = new Chalk({ level: level as 0 | 1 });
  // A spinner redraws by counting lines of its width: without a width it never finishes a frame.
  const live = tty && !options.json && (io.stderr.columns ?? 0) > 0;
  let spinner: Ora | null = null;
  const paused = <T>(fn: () => T): T => {
    const active = spinner?.isSpinning ?? false;
    if (active) spinner!.clear();
    const result = fn();
    if (active) spinner!.render();
    return result;
  };
  const known: KnownSecrets[] = [];
  const mask = (text: string): string => {
    let out = text;
    for (const set of known) for (const secret of set.values()) if (secret.length >= 8 && out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };
  const columns = io.stderr.columns ?? 0;
  const width = columns > 0 ? columns : Number.POSITIVE_INFINITY;
  return {
    color,
    json: options.json,
    width,
    line(text = "") {
      paused(() => io.stderr.write(`${fitText(mask(text), width)}\n`));
    },
    warn(text) {
      paused(() => io.stderr.write(`${fitText(`${color.yellow("!")} ${mask(text)}`, width)}\n`));
    },
    out(text) {
      const masked = mask(text);
      io.stdout.write(masked.endsWith("\n") ? masked : `${masked}\n`);
    },
    maskSecrets(set) {
      known.push(set);
    },
    progress(text) {
      if (!live || !options.ora) return { update() {}, stop() {} };
      spinner = options.ora({ text: mask(text), stream: io.stderr as NodeJS.WritableStream, discardStdin: false }).start();
      const current = spinner;
      return {
        update(next) {
          current.text = mask(next);
        },
        stop(final) {
          current.stop();
          if (spinner === current) spinner = null;
          if (final) io.stderr.write(`${mask(final)}\n`);
        },
      };
    },
  };
}
