import type { ChalkInstance } from "chalk";
import type { RunbookPlan } from "../../runbook/plan.js";

/** The plan as text: stages, and in each the steps with what they wait for. Writes are marked. */
export function renderPlan(plan: RunbookPlan, params: Record<string, unknown>, color: ChalkInstance): string {
  const lines = [color.bold(`${plan.runbookId}: ${plan.title}`)];
  const given = Object.entries(params).filter(([, v]) => v !== null);
  if (given.length) lines.push(`params: ${given.map(([k, v]) => `${k}=${String(v)}`).join(", ")}`);
  plan.stages.forEach((ids, i) => {
    lines.push(`stage ${i + 1}${ids.length > 1 ? " (concurrent reads)" : ""}`);
    for (const id of ids) {
      const s = plan.steps.find((p) => p.id === id)!;
      const mark = s.write ? color.yellow("WRITE") : s.kind === "query" ? "read " : "note ";
      lines.push(`  ${mark} ${id.padEnd(22)} ${s.runs}${s.dependsOn.length ? color.dim(`  after ${s.dependsOn.join(", ")}`) : ""}`);
    }
  });
  lines.push(color.dim("nothing was called (--plan)"));
  return lines.join("\n");
}
