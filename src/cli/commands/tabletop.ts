import { readFile } from "node:fs/promises";
import { systemClock } from "../../core/clock.js";
import { AzirError } from "../../core/errors.js";
import { tabletopScenarioDir } from "../context.js";
import { resolveGlobals } from "../options.js";
import type { CommandEnv } from "../program.js";
import { createTerminal } from "../terminal.js";

/**
 * `azir tabletop serve`: the simulated tenant on 127.0.0.1 until SIGINT/SIGTERM. With --json, one JSON line on
 * stdout (endpoints, CA path, env) before serving.
 */
export async function serve(env: CommandEnv, _args: unknown[], options: Record<string, unknown>): Promise<number> {
  const globals = resolveGlobals(env.raw, env.io);
  const terminal = createTerminal(env.io, { json: Boolean(globals.json) });
  const port = options.port === undefined ? undefined : Number(options.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new AzirError("usage", `--port: not a port number: ${String(options.port)}`);
  const { startTabletop, serveInfo, faultConfigSchema } = await import("../../tabletop/index.js");
  let faults;
  if (options.faults) {
    const file = String(options.faults);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      throw new AzirError("usage", `--faults ${file}: ${(error as Error).message}`);
    }
    const parsed = faultConfigSchema.safeParse(raw);
    if (!parsed.success) throw new AzirError("usage", `--faults ${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    faults = parsed.data;
  }
  const scenarioDir = await tabletopScenarioDir(String(options.scenario ?? "contoso"), env.io.cwd);
  const emulator = await startTabletop({ scenarioDir, clock: env.deps.clock ?? systemClock, ...(port !== undefined ? { port } : {}), ...(faults ? { faults } : {}) });
  const info = serveInfo(emulator);
  if (globals.json) terminal.out(JSON.stringify(info));
  else {
    terminal.line(terminal.color.bold(`simulated tenant (${scenarioDir}) on 127.0.0.1`));
    for (const [k, v] of Object.entries(info.endpoints)) terminal.line(`  ${k.padEnd(10)} ${v}`);
    terminal.line(`  CA         ${info.ca}`);
    terminal.line("point azir (or any SDK) at it with:");
    for (const [k, v] of Object.entries(info.env)) terminal.line(`  export ${k}=${v}`);
    terminal.line(terminal.color.dim("Ctrl-C stops it"));
  }
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
  return 0;
}
