import type { ChalkInstance } from "chalk";
import type { PendingWrite } from "../../runbook/execute.js";

/** The confirmation list: every write, with its method, URL and the permission it uses. */
export function renderWrites(writes: PendingWrite[], color: ChalkInstance): string {
  const lines = [color.bold(`azir is about to make ${writes.length} change(s):`)];
  writes.forEach((w, i) => {
    lines.push(`  ${i + 1}. ${w.request.summary}`);
    lines.push(color.dim(`     ${w.request.method} ${w.url}${w.request.body === undefined ? "" : ` ${JSON.stringify(w.request.body)}`}`));
    lines.push(color.dim(`     permission: ${w.request.permission}`));
  });
  return lines.join("\n");
}
