import { readdirSync } from "node:fs";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import { commands } from "../../src/cli/commands/index.js";
import { kqlCommand } from "../../src/cli/commands/kql.js";
import { runCommand } from "../../src/cli/commands/run.js";
import { serveCommand } from "../../src/cli/commands/tabletop.js";
import { exportCommand } from "../../src/cli/commands/timeline.js";
import { containCommand } from "../../src/cli/commands/contain.js";
import { main } from "../../src/cli/main.js";
import { memoryIo } from "./io.js";

// The command surface is generated from one definition per command (src/cli/commands/<name>.ts, registered in
// commands/index.ts): these tests hold the registry, the generated help and the declared option types together.

const names = commands.map((c) => c.name);

describe("the command definitions", () => {
  it("every command module holds a registered definition named after its file", () => {
    const files = readdirSync("src/cli/commands")
      .filter((f) => f.endsWith(".ts") && f !== "index.ts")
      .map((f) => f.slice(0, -3));
    expect([...names].sort()).toEqual(files.sort());
    expect(new Set(names).size).toBe(names.length);
  });

  it("`azir --help` lists every command with its description and its arguments", async () => {
    const io = memoryIo();
    expect(await main(["--help"], io)).toBe(0);
    const help = io.out().replace(/\s+/g, " ");
    for (const c of commands) expect(help, c.name).toContain(c.description.replace(/\s+/g, " ").split(" ").slice(0, 4).join(" "));
    expect(help).toContain("contain [options] [upn...]");
    expect(help).toContain("run [options] [runbook]");
    expect(help).toContain("validate <files...>");
    expect(help).toContain("runbooks list the shipped runbooks");
  });

  it("a group's help lists its subcommands, each with its generated options", async () => {
    for (const group of commands.filter((c) => c.kind === "group")) {
      const io = memoryIo();
      expect(await main([group.name, "--help"], io)).toBe(0);
      for (const sub of group.commands) expect(io.out()).toContain(sub.name);
    }
    const io = memoryIo();
    expect(await main(["timeline", "export", "--help"], io)).toBe(0);
    expect(io.out().replace(/\s+/g, " ")).toContain('--format <format> output format (choices: "json", "md", "csv", "html", "pdf", default: "json")');
  });

  it("option types are inferred from the schemas, and the schemas parse what the command line gives", () => {
    expectTypeOf<z.output<typeof containCommand.options>>().toEqualTypeOf<{
      lookback: string;
      usersFile?: string | undefined;
      usersFrom?: string | undefined;
      methodsAfter?: string | undefined;
      removeMethod: string[];
      baseline?: string | undefined;
      changeDefaultMethod?: boolean | undefined;
    }>();
    expectTypeOf<z.output<typeof containCommand.args>>().toEqualTypeOf<{ upn: string[] }>();
    expectTypeOf<z.output<typeof runCommand.options>>().toEqualTypeOf<{ param: string[]; plan?: boolean | undefined; resume?: string | undefined; asRecorded?: boolean | undefined; secretsOut?: string | undefined }>();
    expectTypeOf<z.output<typeof serveCommand.options>["port"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<z.output<typeof exportCommand.options>["format"]>().toEqualTypeOf<"json" | "md" | "csv" | "html" | "pdf">();

    expect(containCommand.options.parse({})).toEqual({ lookback: "14d", removeMethod: [] });
    expect(runCommand.options.parse({ param: ["upn=a@b.c"], plan: true })).toEqual({ param: ["upn=a@b.c"], plan: true });
    expect(serveCommand.options.parse({ port: "8443" })).toEqual({ scenario: "contoso", port: 8443 });
    expect(serveCommand.options.safeParse({ port: "99999" }).error?.issues[0]?.message).toBe("not a port number: 99999");
    expect(serveCommand.options.parse({ diskImageMib: "256" })).toEqual({ scenario: "contoso", diskImageMib: 256 });
    expect(serveCommand.options.safeParse({ diskImageMib: "0.5" }).error?.issues[0]?.message).toBe("not a size in MiB from 1 to 4096: 0.5");
    expect(exportCommand.options.safeParse({ format: "docx" }).success).toBe(false);
    expect(kqlCommand.options.safeParse({ format: "xml" }).success).toBe(false);
  });

  it("turns an option the schema refuses into a usage error naming the flag (exit 2)", async () => {
    const io = memoryIo();
    expect(await main(["tabletop", "serve", "--port", "70000"], io)).toBe(2);
    expect(io.err()).toBe("azir: --port: not a port number: 70000\n");
    const missing = memoryIo();
    expect(await main(["kql", "SigninLogs | take 1", "--format", "xml"], missing)).toBe(2);
    expect(missing.err()).toContain("option '--format <format>' argument 'xml' is invalid");
  });

  it("builds the context once per run: global options are validated, except by the commands that ignore them", async () => {
    const env = { AZIR_CLOUD: "Mars" };
    const runbooks = memoryIo({ env });
    expect(await main(["runbooks"], runbooks)).toBe(2);
    expect(runbooks.err()).toContain("--cloud (or AZIR_CLOUD)");
    const schema = memoryIo({ env });
    expect(await main(["schema", "event"], schema)).toBe(0);
    expect(JSON.parse(schema.out()).$schema).toMatch(/json-schema/);
  });
});
