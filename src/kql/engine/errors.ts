import { AzirError } from "../../core/errors.js";

/** A construct the local engine does not evaluate. It refuses rather than guess: a refusal is never a wrong answer. */
export class UnsupportedKqlError extends AzirError {
  /** The operator or function refused, e.g. `make-series` or `series_fir()`. */
  readonly construct: string;
  constructor(construct: string, hint?: string) {
    super("unsupported", `not supported by the local engine: ${construct}`, {
      hint: hint ?? "Run the query against a Log Analytics workspace, or rewrite it with the operators listed in docs/kql-engine.md.",
    });
    this.name = "UnsupportedKqlError";
    this.construct = construct;
  }
}

export function unsupported(construct: string, hint?: string): never {
  throw new UnsupportedKqlError(construct, hint);
}
