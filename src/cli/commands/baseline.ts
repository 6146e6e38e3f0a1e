import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { AzirError, ExitCode } from "../../core/errors.js";
import { defineCommand, defineGroup, flag } from "../define-command.js";

/**
 * `azir baseline capture [--users a,b | --all] [--out file]` (the global --out names the file, default
 * baseline-<UTC time>.json): what is normal in the tenant, recorded before an
 * incident; `azir harden --baseline <file>` compares the tenant with it.
 */
export const captureCommand = defineCommand({
  name: "capture",
  description: "record the tenant's normal state (methods, privileged roles, Conditional Access, apps, grants) to a versioned JSON file (--out <file>; default baseline-<UTC time>.json)",
  options: z.object({
    users: z.string().optional().describe("the users whose authentication methods to record, comma-separated").register(flag, { value: "upns" }),
    all: z.boolean().optional().describe("record every user's authentication methods (paged, paced within Graph's budget)"),
  }),
  progress: true,
  async handler({ options }, ctx) {
    if (!options.all && !options.users) throw new AzirError("usage", "azir baseline capture needs --users <upn,...> or --all", { hint: "--all records every user's authentication methods; the tenant-wide parts are recorded either way" });
    if (options.all && options.users) throw new AzirError("usage", "--users and --all exclude each other");
    const users = options.all ? ("all" as const) : options.users!.split(",").map((u) => u.trim()).filter(Boolean);
    const { createRunContext } = await import("../context.js");
    const { captureBaseline } = await import("../../steps/baseline-capture.js");
    const { writeBaselineFile } = await import("../baseline-file.js");
    const now = ctx.clock.now();
    // The global --out names the file here (there is no incident folder): refused if it exists.
    const file = ctx.globals.out ?? `baseline-${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}.json`;
    // Refused before anything is read: a baseline is evidence of what was normal, never overwritten.
    if (existsSync(resolve(ctx.io.cwd, file))) throw new AzirError("usage", `${file} exists: azir does not overwrite a baseline`, { hint: "name a new file (e.g. with the date)" });
    const run = await createRunContext(ctx);
    const spinner = ctx.terminal.progress("reading the tenant");
    try {
      const baseline = await captureBaseline(run.ports.graph, { users, now, onProgress: (done, total) => spinner.update(`authentication methods: ${done}/${total} users`) });
      spinner.stop();
      const path = await writeBaselineFile(file, ctx.io.cwd, baseline);
      return { path, baseline };
    } finally {
      spinner.stop();
      await run.close();
    }
  },
  render({ path, baseline }, { terminal, globals }) {
    if (globals.json) terminal.out(JSON.stringify({ file: path, gaps: baseline.gaps }, null, 2));
    const c = terminal.color;
    terminal.line(`baseline written to ${path}`);
    terminal.line(
      `  ${baseline.users.length} user(s), ${baseline.privilegedRoles.length} privileged role member(s), ${baseline.conditionalAccessPolicies.length} Conditional Access policies, ${baseline.namedLocations.length} named locations, ${baseline.applications.length} apps and service principals, ${baseline.oauth2PermissionGrants.length} grants`,
    );
    for (const gap of baseline.gaps) terminal.line(c.red(`  not read: ${gap.what}: ${gap.reason}`));
    // A baseline with holes is still written, but it cannot vouch for what it did not read: exit 1.
    return baseline.gaps.length > 0 ? ExitCode.failed : ExitCode.ok;
  },
});

export const baselineCommands = defineGroup({
  name: "baseline",
  description: "record what is normal in the tenant before an incident",
  commands: [captureCommand],
});
