import { AzirError } from "../../core/errors.js";
import { runbookJsonSchema } from "../../runbook/schema.js";
import type { CommandEnv } from "../program.js";

/** `azir schema runbook|timeline|event`: the JSON Schemas generated from the zod schemas. */
export async function handle(env: CommandEnv, args: unknown[]): Promise<number> {
  const name = String(args[0]);
  let schema: Record<string, unknown>;
  if (name === "runbook") schema = runbookJsonSchema();
  else if (name === "timeline") schema = (await import("../../timeline/document.js")).timelineJsonSchema();
  else if (name === "event") schema = (await import("../../timeline/event.js")).eventJsonSchema();
  else throw new AzirError("usage", `unknown schema "${name}"`, { hint: "one of: runbook, timeline, event" });
  env.io.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
  return 0;
}
