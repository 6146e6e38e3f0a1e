import { Command, Option } from "commander";
import type { Io } from "./io.js";
import type { RawGlobals } from "./options.js";
import type { RunDeps } from "./run-runbook.js";

/** What every command handler receives: its collaborators, never globals. */
export interface CommandEnv {
  io: Io;
  deps: RunDeps;
  raw: RawGlobals;
  /** Set by the handler: the process exit code. */
  setExit(code: number): void;
}

type Handler = (env: CommandEnv, args: unknown[], options: Record<string, unknown>) => Promise<number>;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

// Literal imports (one per command module) so that bundlers and test runners can follow them.
const modules = {
  contain: () => import("./commands/contain.js"),
  investigate: () => import("./commands/investigate.js"),
  hunt: () => import("./commands/hunt.js"),
  verify: () => import("./commands/verify.js"),
  run: () => import("./commands/run.js"),
  runbooks: () => import("./commands/runbooks.js"),
  validate: () => import("./commands/validate.js"),
  schema: () => import("./commands/schema.js"),
  timeline: () => import("./commands/timeline.js"),
  tabletop: () => import("./commands/tabletop.js"),
  kql: () => import("./commands/kql.js"),
} as const;
type ModuleName = keyof typeof modules;

/**
 * The command surface. Each command's handler lives in src/cli/commands/<name>.ts and is imported only when
 * the command runs, so that `azir --help` loads no SDK, no zod schema and no YAML parser.
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
    .addOption(new Option("--cloud <name>", "national cloud").choices(["AzureCloud", "AzureUSGovernment", "AzureChinaCloud"]))
    .option("--device-code", "sign in interactively with a device code")
    .option("--force-protected", "act on a protected (break-glass) account")
    .option("--incident <id>", "incident id (folder name of the timeline)")
    .showHelpAfterError("(run azir --help for usage)")
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();

  const run = (name: ModuleName, pick: (m: Record<string, unknown>) => Handler) =>
    async function (this: Command, ...args: unknown[]): Promise<void> {
      const command = args.at(-1) as Command;
      const options = (args.at(-2) ?? {}) as Record<string, unknown>;
      const positional = args.slice(0, -2);
      const raw = command.optsWithGlobals() as RawGlobals;
      const mod = (await modules[name]()) as unknown as Record<string, unknown>;
      setExit(await pick(mod)({ io, deps, raw, setExit }, positional, options));
    };
  const handler = (name: ModuleName, exportName = "handle") => run(name, (m) => m[exportName] as Handler);

  program
    .command("contain")
    .description("scope the compromise, then block sign-in -> revoke sessions -> remove attacker MFA -> confirm compromised")
    .argument("<upn>", "the compromised user")
    .option("--lookback <duration>", "how far back to look", "14d")
    .action(handler("contain"));
  program
    .command("investigate")
    .description("sign-in pull and triage, audit scoping, CA-bypass triage, OfficeActivity, Defender alerts; no writes")
    .argument("<upn>", "the user")
    .option("--lookback <duration>", "how far back to look", "14d")
    .action(handler("investigate"));
  program
    .command("hunt")
    .description("tenant-wide hunts: device-code")
    .argument("<name>", "hunt name (device-code)")
    .option("--lookback <duration>", "how far back to look", "30d")
    .action(handler("hunt"));
  program
    .command("verify")
    .description("after containment: any successful sign-in since?")
    .argument("<upn>", "the contained user")
    .action(handler("verify"));
  program
    .command("run")
    .description("run a runbook (file or shipped id)")
    .argument("[runbook]", "runbook file or id (see azir runbooks)")
    .option("-p, --param <k=v>", "runbook parameter (repeatable)", collect, [])
    .option("--plan", "print the plan and call nothing")
    .option("--resume <journal>", "continue an interrupted run from its timeline journal")
    .action(handler("run"));
  program.command("runbooks").description("list the shipped runbooks").action(handler("runbooks"));
  program
    .command("validate")
    .description("check runbooks (schema, rules, KQL files)")
    .argument("<files...>", "runbook files")
    .action(handler("validate"));
  program
    .command("schema")
    .description("print a JSON Schema")
    .argument("<name>", "runbook | timeline | event")
    .action(handler("schema"));

  const timeline = program.command("timeline").description("read, check and export incident timelines");
  timeline.command("show").argument("<file>", "timeline journal (.jsonl)").description("print the events").action(handler("timeline", "show"));
  timeline.command("verify").argument("<file>", "timeline journal (.jsonl)").description("check the hash chain").action(handler("timeline", "verify"));
  timeline
    .command("export")
    .argument("<file>", "timeline journal (.jsonl)")
    .description("convert to one document")
    .addOption(new Option("--format <format>", "output format").choices(["json", "md", "csv", "html"]).default("json"))
    .action(handler("timeline", "exportTimeline"));

  const tabletop = program.command("tabletop").description("the simulated tenant");
  tabletop
    .command("serve")
    .description("serve the simulated tenant on 127.0.0.1 for other tools")
    .option("--scenario <dir>", "scenario folder or built-in name", "contoso")
    .option("--port <n>", "port (default: random)")
    .option("--faults <file>", "fault injection config (JSON)")
    .action(handler("tabletop", "serve"));

  program
    .command("kql")
    .description("run KQL locally over exported table rows")
    .argument("<query>", "KQL text or a .kql file")
    .requiredOption("--data <dir>", "folder of <Table>.json files")
    .action(handler("kql"));
  return program;
}
