import { z } from "zod";
import { AzirError, ExitCode } from "../../core/errors.js";
import { readUserFile } from "../../core/files.js";
import type { FaultConfig, serveInfo } from "../../tabletop/index.js";
import type { CommandContext } from "../context.js";
import { defineCommand, defineGroup, flag } from "../define-command.js";

const port = z.string().transform((text, issue) => {
  const n = Number(text);
  if (Number.isInteger(n) && n >= 0 && n <= 65535) return n;
  issue.addIssue({ code: "custom", message: `not a port number: ${text}` });
  return z.NEVER;
});

const diskImageMib = z.string().transform((text, issue) => {
  const n = Number(text);
  if (Number.isInteger(n) && n >= 1 && n <= 4096) return n;
  issue.addIssue({ code: "custom", message: `not a size in MiB from 1 to 4096: ${text}` });
  return z.NEVER;
});

async function readFaults(file: string): Promise<FaultConfig> {
  const { faultConfigSchema } = await import("../../tabletop/index.js");
  let raw: unknown;
  try {
    raw = JSON.parse(await readUserFile(file, { what: "--faults", maxBytes: 1024 * 1024 }));
  } catch (error) {
    if (error instanceof AzirError) throw error;
    throw new AzirError("usage", `--faults ${file}: ${(error as Error).message}`);
  }
  const parsed = faultConfigSchema.safeParse(raw);
  if (!parsed.success) throw new AzirError("usage", `--faults ${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

/** The banner of a running tenant: its endpoints, CA and the environment that points a tool at it. */
function announce(info: ReturnType<typeof serveInfo>, scenarioDir: string, { terminal, globals }: CommandContext): void {
  if (globals.json) {
    terminal.out(JSON.stringify(info));
    return;
  }
  terminal.line(terminal.color.bold(`simulated tenant (${scenarioDir}) on 127.0.0.1`));
  for (const [k, v] of Object.entries(info.endpoints)) terminal.line(`  ${k.padEnd(10)} ${v}`);
  terminal.line(`  CA         ${info.ca}`);
  terminal.line("point azir (or any SDK) at it with:");
  for (const [k, v] of Object.entries(info.env)) terminal.line(`  export ${k}=${v}`);
  terminal.line(terminal.color.dim("Ctrl-C stops it"));
}

/**
 * `azir tabletop serve`: the simulated tenant on 127.0.0.1 until SIGINT/SIGTERM. With --json, one JSON line on
 * stdout (endpoints, CA path, env) before serving. The banner is shown while serving, so it is printed by the
 * handler; nothing is left to render once the tenant has stopped.
 */
export const serveCommand = defineCommand({
  name: "serve",
  description: "serve the simulated tenant on 127.0.0.1 for other tools",
  options: z.object({
    scenario: z.string().default("contoso").describe("scenario folder or built-in name").register(flag, { value: "dir" }),
    port: port.optional().describe("port (default: random)").register(flag, { value: "n" }),
    faults: z.string().optional().describe("fault injection config (JSON)").register(flag, { value: "file" }),
    diskImageMib: diskImageMib.optional().describe("size of the disk image behind each snapshot export (default 4)").register(flag, { value: "MiB" }),
  }),
  handler: async ({ options }, ctx) => {
    const [{ startTabletop, serveInfo }, { tabletopScenarioDir }] = await Promise.all([import("../../tabletop/index.js"), import("../context.js")]);
    const faults = options.faults ? await readFaults(options.faults) : undefined;
    const scenarioDir = await tabletopScenarioDir(options.scenario, ctx.io.cwd);
    const emulator = await startTabletop({
      scenarioDir,
      clock: ctx.clock,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(faults ? { faults } : {}),
      ...(options.diskImageMib !== undefined ? { storage: { diskImageBytes: options.diskImageMib * 1024 * 1024 } } : {}),
    });
    announce(serveInfo(emulator), scenarioDir, ctx);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        resolve();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    await emulator.close();
  },
  render: () => ExitCode.ok,
});

/** `azir tabletop serve`. */
export const tabletopCommands = defineGroup({
  name: "tabletop",
  description: "the simulated tenant",
  commands: [serveCommand],
});
