import { cpSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { z } from "zod";
import { readBaselineFile } from "../../src/cli/baseline-file.js";
import { main } from "../../src/cli/main.js";
import { ManualClock, systemClock } from "../../src/core/clock.js";
import { isAzirError } from "../../src/core/errors.js";
import { captureBaseline } from "../../src/steps/baseline-capture.js";
import { startTabletop, type Emulator } from "../../src/tabletop/index.js";
import type { tenantStateSchema } from "../../src/tabletop/scenario/schema.js";
import { readJournal } from "../../src/timeline/journal.js";
import { startHarness } from "../azure/fixture.js";
import { memoryIo } from "../cli/io.js";
import { contosoExpected } from "../helpers/contoso.js";

// Tenant baselines: captured through the real Graph client from the simulated tenant, written, read back, and used by harden.

let running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.map((e) => e.close()));
  running = [];
});

async function tenant(scenarioDir?: string): Promise<Emulator> {
  const emulator = await startTabletop({ clock: systemClock, ...(scenarioDir ? { scenarioDir } : {}) });
  running.push(emulator);
  return emulator;
}

type TenantJson = z.input<typeof tenantStateSchema>;

function variant(edit: (tenant: TenantJson) => void): string {
  const dir = mkdtempSync(join(tmpdir(), "azir-scn-"));
  cpSync(join(process.cwd(), "scenarios", "contoso"), dir, { recursive: true });
  const file = join(dir, "tenant.json");
  const t = JSON.parse(readFileSync(file, "utf8")) as TenantJson;
  edit(t);
  writeFileSync(file, JSON.stringify(t));
  return dir;
}

describe("azir baseline capture", () => {
  it("writes a versioned file (0600, never over an existing one) that reads back whole", async () => {
    const emulator = await tenant();
    const dir = mkdtempSync(join(tmpdir(), "azir-baseline-"));
    const file = join(dir, "contoso.json");
    const io = memoryIo({ cwd: dir });
    expect(await main(["baseline", "capture", "--users", "alex@contoso.com,sam@contoso.com", "--tabletop", "--out", "contoso.json"], io, { emulator }), io.err()).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const baseline = await readBaselineFile(file, dir);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(baseline);
    expect(baseline.users.map((u) => u.userPrincipalName)).toEqual(["alex@contoso.com", "sam@contoso.com"]);
    expect(baseline.users[0]!.authenticationMethods?.map((m) => m.id).sort()).toEqual([...contosoExpected.attackerMethodIds, ...contosoExpected.ownMethodIds].sort());
    expect(baseline.privilegedRoles.filter((m) => m.roleName === "Global Administrator").map((m) => m.principalName).sort()).toEqual(["alex@contoso.com", "breakglass@contoso.com", "it-admin@contoso.com"].sort());
    expect(baseline.namedLocations.map((n) => n.id)).toContain(contosoExpected.recovery.namedLocationsCreatedInWindow[0]);
    expect(baseline.applications.find((a) => a.id === contosoExpected.recovery.appsToRotate[0]!.appObjectId)?.passwordKeyIds).toContain(contosoExpected.recovery.appsToRotate[0]!.attackerKeyIds[0]);
    expect(baseline.gaps).toEqual([]);
    // A second capture to the same file is refused; the first stays.
    const again = memoryIo({ cwd: dir });
    expect(await main(["baseline", "capture", "--all", "--tabletop", "--out", "contoso.json"], again, { emulator })).toBe(2);
    expect(await readBaselineFile(file, dir)).toEqual(baseline);
  });

  it("--all reads every user across several pages of the user list", async () => {
    const h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"));
    running.push(h);
    const baseline = await captureBaseline(h.ports.graph, { users: "all", now: new Date("2026-11-25T12:00:00Z"), pageSize: 1 });
    const pages = h.emulator.requests().filter((r) => r.method === "GET" && /\/v1\.0\/users$/.test(r.path));
    expect(pages.length).toBe(3);
    expect(baseline.users.map((u) => u.userPrincipalName)).toEqual(["kim@fabrikam.example", "ada@fabrikam.example", "lou@fabrikam.example"]);
    expect(baseline.scope).toBe("all");
  });

  it("a part Graph refuses is a gap in the file, never an empty list that reads as none", async () => {
    const h = await startHarness(new ManualClock("2026-11-25T12:00:00Z"), { permissions: ["User.Read.All", "UserAuthenticationMethod.Read.All"] });
    running.push(h);
    const baseline = await captureBaseline(h.ports.graph, { users: "all", now: new Date("2026-11-25T12:00:00Z") });
    expect(baseline.gaps.map((g) => g.what).sort()).toEqual(["applications", "conditionalAccessPolicies", "namedLocations", "oauth2PermissionGrants", "privilegedRoles"]);
    expect(baseline.users.every((u) => u.authenticationMethods !== null)).toBe(true);
  });
});

describe("a baseline file, read", () => {
  const write = (text: string): { dir: string; name: string } => {
    const dir = mkdtempSync(join(tmpdir(), "azir-bad-baseline-"));
    writeFileSync(join(dir, "b.json"), text);
    return { dir, name: "b.json" };
  };
  const problem = async (text: string): Promise<string> => {
    const { dir, name } = write(text);
    try {
      await readBaselineFile(name, dir);
    } catch (error) {
      if (isAzirError(error)) return [error.message, ...error.details].join("\n");
      throw error;
    }
    throw new Error("expected a refusal");
  };

  it("names the line and column of a JSON error, the path of a refused value, and a version it does not know", async () => {
    expect(await problem('{\n  "kind": "azir.tenant-baseline",\n  "version": 1,\n  oops\n}')).toMatch(/b\.json:4:3: not valid JSON/);
    expect(await problem(JSON.stringify({ kind: "azir.tenant-baseline", version: 2 }))).toMatch(/baseline version 2 is not one this azir reads/);
    const wrong = { kind: "azir.tenant-baseline", version: 1, capturedAt: "2026-11-25T12:00:00Z", scope: "all", users: [{ id: "x", userPrincipalName: "kim@fabrikam.example", authenticationMethods: "none" }], privilegedRoles: [], namedLocations: [], conditionalAccessPolicies: [], applications: [], oauth2PermissionGrants: [], gaps: [] };
    expect(await problem(JSON.stringify(wrong))).toMatch(/users\[0\]\.authenticationMethods: /);
  });
});

describe("azir harden --baseline", () => {
  it("flags what is not in the baseline even outside the incident window", async () => {
    const dir = mkdtempSync(join(tmpdir(), "azir-baseline-"));
    const before = await tenant();
    const io = memoryIo({ cwd: dir });
    expect(await main(["baseline", "capture", "--users", "alex@contoso.com", "--tabletop", "--out", "before.json"], io, { emulator: before }), io.err()).toBe(0);

    // Since the baseline: a named location and an Application Administrator assignment, both dated long before the window.
    const changed = await tenant(
      variant((t) => {
        t.namedLocations = [...(t.namedLocations ?? []), { "@odata.type": "#microsoft.graph.ipNamedLocation", id: "0f0e0d0c-0b0a-4909-8807-060504030201", displayName: "Partner VPN", createdDateTime: "-40d", modifiedDateTime: "-40d", isTrusted: true, ipRanges: [{ "@odata.type": "#microsoft.graph.iPv4CidrRange", cidrAddress: "198.51.100.0/24" }] }];
        t.roleAssignments = [...(t.roleAssignments ?? []), { id: "since-baseline-app-admin", principalId: "7b2d4f6a-1c3e-4a5b-9d8f-0e1a2b3c4d5e", roleDefinitionId: "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", directoryScopeId: "/" }];
      }),
    );
    const out = mkdtempSync(join(tmpdir(), "azir-harden-"));
    const run = memoryIo({ cwd: dir });
    expect(await main(["harden", "alex@contoso.com", "--tabletop", "--yes", "--baseline", "before.json", "--out", out], run, { emulator: changed }), run.err()).toBe(0);
    const incident = join(out, readdirSync(out)[0]!);
    const { events } = await readJournal(join(incident, readdirSync(incident)[0]!));
    const findings = events.filter((e) => e.kind === "finding").map((e) => ({ code: String(e.data.code), summary: e.summary }));
    expect(findings.find((f) => f.code === "harden.named-location-new" && f.summary.includes("Partner VPN"))?.summary).toMatch(/not in the baseline/);
    expect(findings.find((f) => f.code === "harden.new-privileged-assignment" && f.summary.includes("sam@contoso.com"))?.summary).toMatch(/Application Administrator .*not in the baseline/);
    // What the baseline holds and the window does not touch is not flagged.
    expect(findings.some((f) => f.summary.includes("Contoso HQ Seattle"))).toBe(false);
  });
});

describe("azir contain --baseline", () => {
  it("removes the methods the user's baseline does not hold, saying so", async () => {
    const dir = mkdtempSync(join(tmpdir(), "azir-baseline-"));
    const emulator = await tenant();
    const io = memoryIo({ cwd: dir });
    expect(await main(["baseline", "capture", "--users", "alex@contoso.com", "--tabletop", "--out", "b.json"], io, { emulator }), io.err()).toBe(0);
    // The baseline as it was before the attacker registered anything.
    const file = join(dir, "b.json");
    const b = JSON.parse(readFileSync(file, "utf8")) as { users: Array<{ authenticationMethods: Array<{ id: string }> }> };
    b.users[0]!.authenticationMethods = b.users[0]!.authenticationMethods.filter((m) => !contosoExpected.attackerMethodIds.includes(m.id));
    writeFileSync(file, JSON.stringify(b));

    const out = mkdtempSync(join(tmpdir(), "azir-contain-"));
    const run = memoryIo({ cwd: dir });
    expect(await main(["contain", "alex@contoso.com", "--tabletop", "--yes", "--baseline", "b.json", "--out", out], run, { emulator }), run.err()).toBe(0);
    const incident = join(out, readdirSync(out)[0]!);
    const { events } = await readJournal(join(incident, readdirSync(incident)[0]!));
    const completed = events.find((e) => e.kind === "step.completed" && e.step === "remove-methods");
    const removed = ((completed?.data.outputs as { removed?: Array<{ id: string; reason: string }> } | undefined)?.removed ?? []);
    expect(removed.map((m) => m.id).sort()).toEqual([...contosoExpected.attackerMethodIds].sort());
    for (const m of removed) expect(m.reason).toContain("not in the user's recorded baseline");
  });
});
