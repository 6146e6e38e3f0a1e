import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The arrows of DESIGN.md section 3, read from every import in src/: an area imports only the areas listed for it.
// Imports point down the design's list (cli, runbook, steps, analyze, entra, kql, azure, timeline, tabletop, core);
// tabletop answers KQL with the local engine (section 6), the one arrow that points back up.
const allowed: Record<string, readonly string[]> = {
  core: [],
  entra: ["core"],
  timeline: ["core"],
  kql: ["core"],
  azure: ["core", "entra"],
  tabletop: ["core", "kql"],
  analyze: ["core", "entra"],
  steps: ["core", "entra"],
  runbook: ["core", "steps", "analyze", "timeline", "kql", "entra"],
  cli: ["core", "entra", "timeline", "kql", "azure", "tabletop", "analyze", "steps", "runbook"],
};

// Only the composition root and the command that serves the simulated tenant start or name it.
const tabletopUsers = ["src/cli/context.ts", "src/cli/commands/tabletop.ts"];
// Arrows the design removes that are still in the code (none today). Each must go; the test fails when one does, so
// that the list shrinks with the code and nothing new joins it.
const notYet: string[] = [];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const importPattern = /(?:^|\n)\s*(?:import|export)[^;]*?from\s+["']([^"']+)["']|(?:^|\n)\s*import\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']/g;

const sources = files("src").map((file) => {
  const text = readFileSync(file, "utf8");
  const imports = [...text.matchAll(importPattern)].map((m) => m[1] ?? m[2] ?? m[3]!);
  return {
    file,
    text,
    area: relative("src", file).split("/")[0]!,
    /** Relative imports with the area they reach. */
    local: imports.filter((i) => i.startsWith(".")).map((spec) => ({ spec, area: relative("src", resolve(dirname(file), spec)).split("/")[0]! })),
    packages: imports.filter((i) => !i.startsWith(".")),
  };
});

describe("architecture", () => {
  it("src/ holds only the design's areas", () => {
    expect([...new Set(sources.map((s) => s.area))].filter((a) => !(a in allowed))).toEqual([]);
  });

  it("imports between areas follow the design's arrows", () => {
    const wrong = sources.flatMap((s) =>
      s.local.filter((i) => i.area !== s.area && !(allowed[s.area] ?? []).includes(i.area)).map((i) => `${s.file} -> ${i.spec}`),
    );
    expect(wrong).toEqual([]);
  });

  it("src/analyze is pure: no Node built-in (files, network, processes) and no package but zod", () => {
    const analyze = sources.filter((s) => s.area === "analyze");
    expect(analyze.length).toBeGreaterThan(0);
    expect(analyze.flatMap((s) => s.packages.filter((p) => p !== "zod").map((p) => `${s.file} -> ${p}`))).toEqual([]);
  });

  it("only the composition root and the tabletop command reach src/tabletop (the known exceptions are listed)", () => {
    const reaching = sources.flatMap((s) =>
      s.area === "tabletop" || tabletopUsers.includes(s.file) ? [] : s.local.filter((i) => i.area === "tabletop").map((i) => `${s.file} -> ${i.spec}`),
    );
    expect(reaching.sort()).toEqual([...notYet].sort());
    for (const user of tabletopUsers) expect(sources.some((s) => s.file === user && s.local.some((i) => i.area === "tabletop")), user).toBe(true);
  });

  it("only src/azure imports the Azure and Microsoft SDKs, and only the adapter imports Kusto.Language", () => {
    const sdk = sources.filter((s) => s.packages.some((i) => /^@azure\/|^@microsoft\//.test(i)));
    // The one exception: the emulator plays Azure Storage with Azurite, and seeds it and signs its SAS with the storage SDK.
    const sdkExceptions = ["src/tabletop/emulator/storage.ts"];
    expect(sdk.map((s) => s.file).filter((f) => !f.startsWith("src/azure/") && !sdkExceptions.includes(f))).toEqual([]);
    const kusto = sources.filter((s) => s.packages.some((i) => i.startsWith("@kusto/")));
    expect(kusto.map((s) => s.file)).toEqual(["src/kql/engine/kusto-language.ts"]);
  });

  it("only src/cli writes to the terminal, only main exits, and only the clock module reads the wall clock", () => {
    for (const s of sources) {
      if (s.area !== "cli") {
        expect(/console\.\w+\(|process\.(stdout|stderr)\b/.test(s.text), s.file).toBe(false);
        expect(s.packages.filter((p) => /^(chalk|ora|commander|@inquirer\/)/.test(p)), s.file).toEqual([]);
      }
      if (s.file !== "src/core/clock.ts") expect(/Date\.now\(\)|new Date\(\)/.test(s.text), s.file).toBe(false);
      if (s.file !== "src/cli/main.ts") expect(/process\.exit\(/.test(s.text), s.file).toBe(false);
    }
  });

  it("names each Graph permission in one source file only: the permission catalogue (the emulator aside)", () => {
    const permission = /\b(?:User|UserAuthenticationMethod|GroupMember|Application|DelegatedPermissionGrant|Policy|RoleManagement|RoleEligibilitySchedule|IdentityRiskyUser|IdentityRiskEvent|AuditLog)\.[A-Za-z]+(?:\.[A-Za-z]+)*\.(?:All|Directory|ConditionalAccess)\b/;
    const naming = sources.filter((s) => s.area !== "tabletop" && permission.test(readFileSync(s.file, "utf8")));
    expect(naming.map((s) => s.file)).toEqual(["src/entra/permissions.ts"]);
  });
});
