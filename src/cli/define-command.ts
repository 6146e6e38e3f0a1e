import { z } from "zod";
import { AzirError } from "../core/errors.js";
import type { CommandContext } from "./context.js";
import { flagName } from "./options.js";

/** How an option is spelt beyond its key: the name of its value in the help, and a one-letter alias. */
export interface FlagSpelling {
  value?: string;
  short?: string;
}

/** Spelling of options: `z.string().register(flag, { value: "duration" })` is `--lookback <duration>`. */
export const flag = z.registry<FlagSpelling>();

type Input = z.ZodObject;
type NoInput = z.ZodObject<Record<never, never>>;

/**
 * One command: what it takes (zod schemas from which the handler's types are inferred and the command line is
 * generated), what it does, and how its result is shown.
 */
export interface CommandSpec<A extends Input, O extends Input, R> {
  name: string;
  description: string;
  /** Positional arguments, in order: `<key>` when required, `[key]` when optional, `<key...>` for an array. */
  args?: A;
  /** `--<kebab-key>`, taking a value unless boolean; `.describe()`, `.default()` and `z.enum` choices feed the help. */
  options?: O;
  /** The command ignores the global options: its context reads neither flags nor AZIR_* variables. */
  globals?: false;
  /** The command shows a spinner while it runs. */
  progress?: true;
  /** Does the work; heavy modules are imported here, so that `azir --help` stays fast. */
  handler(input: { args: z.output<A>; options: z.output<O> }, ctx: CommandContext): Promise<R>;
  /** Prints the result and gives the exit code. */
  render(result: R, ctx: CommandContext): number;
}

/** What the program needs of a command to wire and run it. */
export interface RegisteredCommand {
  kind: "command";
  name: string;
  description: string;
  args: Input;
  options: Input;
  globals?: false;
  progress?: true;
  /** Parses the raw arguments and options, runs the handler, renders; returns the exit code. */
  run(raw: { args: Record<string, unknown>; options: Record<string, unknown> }, ctx: CommandContext): Promise<number>;
}

export interface CommandGroup {
  kind: "group";
  name: string;
  description: string;
  commands: RegisteredCommand[];
}

/** A command's spec with its inputs settled (no arguments or options is an empty object), ready to register. */
export interface CommandDefinition<A extends Input, O extends Input, R> extends Omit<CommandSpec<A, O, R>, "args" | "options">, RegisteredCommand {
  args: A;
  options: O;
}

function parse<S extends Input>(schema: S, raw: Record<string, unknown>, name: (key: string) => string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new AzirError("usage", `${name(String(issue.path[0]))}: ${issue.message}`);
}

export function defineCommand<A extends Input = NoInput, O extends Input = NoInput, R = void>(spec: CommandSpec<A, O, R>): CommandDefinition<A, O, R> {
  // a spec without arguments (or options) has the default NoInput, which the empty object is
  const args = spec.args ?? (z.object({}) as Input as A);
  const options = spec.options ?? (z.object({}) as Input as O);
  return {
    ...spec,
    kind: "command",
    args,
    options,
    async run(raw, ctx) {
      const input = { args: parse(args, raw.args, (key) => `<${key}>`), options: parse(options, raw.options, flagName) };
      return spec.render(await spec.handler(input, ctx), ctx);
    },
  };
}

export function defineGroup(group: Omit<CommandGroup, "kind">): CommandGroup {
  return { kind: "group", ...group };
}
