import { z } from "zod";
import { AzirError, ExitCode } from "../../core/errors.js";
import { defineCommand } from "../define-command.js";

/** `azir schema runbook|timeline|event`: the JSON Schemas generated from the zod schemas. */
export const schemaCommand = defineCommand({
  name: "schema",
  description: "print a JSON Schema",
  args: z.object({ name: z.string().describe("runbook | timeline | event") }),
  globals: false,
  handler: async ({ args }): Promise<Record<string, unknown>> => {
    if (args.name === "runbook") return (await import("../../runbook/schema.js")).runbookJsonSchema();
    if (args.name === "timeline") return (await import("../../timeline/document.js")).timelineJsonSchema();
    if (args.name === "event") return (await import("../../timeline/event.js")).eventJsonSchema();
    throw new AzirError("usage", `unknown schema "${args.name}"`, { hint: "one of: runbook, timeline, event" });
  },
  render: (schema, { terminal }) => {
    terminal.out(JSON.stringify(schema, null, 2));
    return ExitCode.ok;
  },
});
