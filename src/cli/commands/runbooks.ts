import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { packageRoot } from "../../core/paths.js";
import { loadRunbookFile } from "../../runbook/load.js";
import { resolveGlobals } from "../options.js";
import type { CommandEnv } from "../program.js";
import { createTerminal } from "../terminal.js";

/** `azir runbooks`: the shipped runbooks, with their parameters. */
export async function handle(env: CommandEnv): Promise<number> {
  const globals = resolveGlobals(env.raw, env.io);
  const terminal = createTerminal(env.io, { json: Boolean(globals.json) });
  const dir = join(packageRoot(), "runbooks");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort();
  const list = [];
  for (const f of files) {
    const loaded = await loadRunbookFile(join(dir, f));
    if (!loaded.ok) continue;
    const r = loaded.loaded.runbook;
    list.push({ id: r.id, title: r.title, file: `runbooks/${f}`, params: Object.entries(r.params).map(([k, p]) => `${k}:${p.type}${p.required ? "" : "?"}`) });
  }
  if (globals.json) terminal.out(JSON.stringify(list, null, 2));
  else for (const r of list) terminal.out(`${r.id.padEnd(22)} ${r.title}  ${terminal.color.dim(`(${r.params.join(", ")})`)}`);
  return 0;
}
