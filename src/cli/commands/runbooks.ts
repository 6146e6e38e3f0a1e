import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { ExitCode } from "../../core/errors.js";
import { packageRoot } from "../../core/paths.js";
import { defineCommand } from "../define-command.js";

interface ShippedRunbook {
  id: string;
  title: string;
  file: string;
  params: string[];
}

/** `azir runbooks`: the shipped runbooks, with their parameters. */
export const runbooksCommand = defineCommand({
  name: "runbooks",
  description: "list the shipped runbooks",
  handler: async (): Promise<ShippedRunbook[]> => {
    const { loadRunbookFile } = await import("../../runbook/load.js");
    const dir = join(packageRoot(), "runbooks");
    const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort();
    const list: ShippedRunbook[] = [];
    for (const f of files) {
      const loaded = await loadRunbookFile(join(dir, f));
      if (!loaded.ok) continue;
      const r = loaded.loaded.runbook;
      list.push({ id: r.id, title: r.title, file: `runbooks/${f}`, params: Object.entries(r.params).map(([k, p]) => `${k}:${p.type}${p.required ? "" : "?"}`) });
    }
    return list;
  },
  render: (list, { terminal, globals }) => {
    if (globals.json) terminal.out(JSON.stringify(list, null, 2));
    else for (const r of list) terminal.out(`${r.id.padEnd(22)} ${r.title}  ${terminal.color.dim(`(${r.params.join(", ")})`)}`);
    return ExitCode.ok;
  },
});
