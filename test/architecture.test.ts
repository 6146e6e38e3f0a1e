import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, dirname, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The arrows of DESIGN.md section 3 point one way: cli -> runbook -> steps / analyze / timeline -> azure ports and
// core. This test reads every import in src/ and fails on one that points back up.

const allowed: Record<string, string[]> = {
  core: [],
  entra: ["core"],
  analyze: ["core", "entra"],
  kql: ["core"],
  timeline: ["core"],
  azure: ["core", "entra"],
  steps: ["core", "kql", "analyze", "entra"],
  tabletop: ["core", "kql"],
  runbook: ["core", "steps", "analyze", "timeline", "kql", "entra"],
  cli: ["core", "runbook", "steps", "analyze", "timeline", "kql", "azure", "tabletop", "entra"],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const sources = files("src").map((file) => ({
  file,
  area: relative("src", file).split("/")[0]!,
  imports: [...readFileSync(file, "utf8").matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']/g)].map((m) => m[1] ?? m[2]!),
}));

describe("architecture", () => {
  it("imports between areas follow the design's arrows", () => {
    const wrong: string[] = [];
    for (const s of sources) {
      for (const spec of s.imports.filter((i) => i.startsWith("."))) {
        const target = relative("src", resolve(dirname(s.file), spec)).split("/")[0]!;
        if (target !== s.area && !allowed[s.area]!.includes(target)) wrong.push(`${s.file} -> ${spec}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("only src/azure imports the Azure SDKs, and only the adapter imports Kusto.Language", () => {
    const sdk = sources.filter((s) => s.imports.some((i) => /^@azure\/|^@microsoft\/microsoft-graph-client/.test(i) && !i.startsWith("@azure/core-auth")));
    expect(sdk.map((s) => s.area).filter((a) => a !== "azure")).toEqual([]);
    const kusto = sources.filter((s) => s.imports.some((i) => i.startsWith("@kusto/")));
    expect(kusto.map((s) => s.file)).toEqual(["src/kql/engine/kusto-language.ts"]);
  });

  it("nothing outside src/cli writes to the console, and only the clock module reads the wall clock", () => {
    for (const s of sources) {
      const text = readFileSync(s.file, "utf8");
      if (s.area !== "cli") expect(/console\.(log|error|warn|info)/.test(text), s.file).toBe(false);
      if (s.file !== "src/core/clock.ts") expect(/Date\.now\(\)|new Date\(\)/.test(text), s.file).toBe(false);
      if (s.file !== "src/cli/main.ts") expect(/process\.exit\(/.test(text), s.file).toBe(false);
    }
  });

  it("names each Graph permission in one source file only: the permission catalogue (the emulator aside)", () => {
    const permission = /\b(?:User|UserAuthenticationMethod|GroupMember|Application|DelegatedPermissionGrant|Policy|RoleManagement|RoleEligibilitySchedule|IdentityRiskyUser|IdentityRiskEvent|AuditLog)\.[A-Za-z]+(?:\.[A-Za-z]+)*\.(?:All|Directory|ConditionalAccess)\b/;
    const naming = sources.filter((s) => s.area !== "tabletop" && permission.test(readFileSync(s.file, "utf8")));
    expect(naming.map((s) => s.file)).toEqual(["src/entra/permissions.ts"]);
  });
});
