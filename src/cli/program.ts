import { Command, Option } from "commander";
import { z } from "zod";
import { commands } from "./commands/index.js";
import { clouds } from "./config.js";
import type { RunDeps } from "./context.js";
import { flag, type CommandGroup, type RegisteredCommand } from "./define-command.js";
import type { Io } from "./io.js";
import { flagName, type RawGlobals } from "./options.js";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The schema inside defaults, optionals and transforms: what kind of value the command line carries. */
function base(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) return base(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodPipe) return base(schema.in as z.ZodType);
  return schema;
}

function optional(schema: z.ZodType): boolean {
  return schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || (schema instanceof z.ZodPipe && optional(schema.in as z.ZodType));
}

/** `<upn>`, `[runbook]`, `<files...>`, `[upns...]`. */
function argumentSyntax(key: string, schema: z.ZodType): string {
  if (base(schema) instanceof z.ZodArray) return optional(schema) ? `[${key}...]` : `<${key}...>`;
  return optional(schema) ? `[${key}]` : `<${key}>`;
}

function optionOf(key: string, schema: z.ZodType): Option {
  const spelling = flag.get(schema) ?? {};
  const value = base(schema);
  const boolean = value instanceof z.ZodBoolean;
  const flags = `${spelling.short ? `-${spelling.short}, ` : ""}${flagName(key)}${boolean ? "" : ` <${spelling.value ?? key}>`}`;
  const option = new Option(flags, schema.description);
  if (value instanceof z.ZodEnum) option.choices(value.options.map(String));
  if (value instanceof z.ZodArray) option.argParser(collect);
  if (schema instanceof z.ZodDefault) option.default(schema.def.defaultValue);
  else if (!optional(schema) && !boolean) option.makeOptionMandatory();
  return option;
}

/**
 * The command surface, generated from the definitions in src/cli/commands/. A handler imports what it needs only
 * when its command runs, so that `azir --help` loads no SDK and no YAML parser.
 */
export function buildProgram(io: Io, deps: RunDeps, version: string, setExit: (code: number) => void): Command {
  const program = new Command("azir")
    .description("Azure / Entra ID incident response: contain, investigate and hunt from YAML runbooks, with a timeline you can hand over.")
    .version(version, "-V, --version")
    .addOption(new Option("--tabletop [scenario]", "run against the simulated tenant (built-in: contoso) instead of Azure"))
    .option("--dry-run", "run the reads, record every write as planned, change nothing")
    .option("-y, --yes", "send live writes without asking")
    .option("--json", "print the timeline document as JSON on stdout (human output stays on stderr)")
    .option("--out <dir>", "folder for incident timelines (default ./incidents)")
    .option("--config <file>", "config file (YAML; default ./azir.config.yaml)")
    .option("--tenant <id>", "tenant id or domain")
    .option("--subscription <id>", "subscription id")
    .option("--workspace <id>", "Log Analytics workspace id")
    .option("--since <when>", "ISO date-time or duration back from now (e.g. 2h)")
    .addOption(new Option("--cloud <name>", "national cloud").choices(clouds))
    .option("--device-code", "sign in as yourself with a device code (with --client-id of your app: see docs/permissions.md)")
    .option("--browser", "sign in as yourself in the system browser (with --client-id of your app)")
    .option("--certificate <pem>", "sign in as a service principal with a certificate (PEM with its private key; with --client-id and --tenant)")
    .option("--client-id <id>", "the app to sign in with: your app registration holding the permissions azir needs")
    .option("--force-protected", "act on a protected (break-glass) account")
    .option("--incident <id>", "incident id (folder name of the timeline)")
    .showHelpAfterError("(run azir --help for usage)")
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();

  const register = (parent: Command, entry: RegisteredCommand | CommandGroup): void => {
    const command = parent.command(entry.name).description(entry.description);
    if (entry.kind === "group") {
      for (const sub of entry.commands) register(command, sub);
      return;
    }
    const argKeys = Object.keys(entry.args.shape);
    for (const key of argKeys) {
      const schema = entry.args.shape[key] as z.ZodType;
      command.argument(argumentSyntax(key, schema), schema.description);
    }
    for (const [key, schema] of Object.entries(entry.options.shape)) command.addOption(optionOf(key, schema as z.ZodType));
    command.action(async (...values: unknown[]) => {
      // commander passes the positional values, then the command's options, then the command itself
      const self = values.at(-1) as Command;
      const options = (values.at(-2) ?? {}) as Record<string, unknown>;
      const args = Object.fromEntries(argKeys.map((key, i) => [key, values[i]]));
      // the composition root (config, terminal, colours) is loaded only when a command runs, not for --help
      const { createCommandContext } = await import("./context.js");
      const ctx = await createCommandContext({
        io,
        deps,
        raw: self.optsWithGlobals() as RawGlobals,
        globals: entry.globals !== false,
        progress: entry.progress === true,
      });
      setExit(await entry.run({ args, options }, ctx));
    });
  };
  for (const entry of commands) register(program, entry);
  return program;
}
