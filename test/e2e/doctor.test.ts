import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { systemClock } from "../../src/core/clock.js";
import type { DoctorReport } from "../../src/runbook/doctor.js";
import { emulatorEnv, startTabletop, type Emulator } from "../../src/tabletop/index.js";
import { memoryIo } from "../cli/io.js";
import { closeAfterEach } from "../helpers/close-after-each.js";

// azir doctor against the simulated tenant: the sign-in, the token's permissions against the catalogue of what the
// runbook's steps need, the workspace's tables with their latest record, the subscription; exit 4 when something
// needed is missing. --dry-run runs the same checks first.

const ownApp = "6a0c1f3e-2b4d-4e6f-8a1c-3e5f7a9b1c2d";

const track = closeAfterEach<Emulator>();

async function tenant(scenarioDir?: string): Promise<Emulator> {
  const emulator = await startTabletop({ clock: systemClock, ...(scenarioDir ? { scenarioDir } : {}) });
  track(emulator);
  return emulator;
}

/** A copy of the built-in scenario, changed by `edit` (tenant.json) and without the tables named in `drop`. */
function scenarioCopy(edit: (tenant: { operator: { permissions: string[] } }) => void, drop: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), "azir-doctor-scn-"));
  cpSync(join(process.cwd(), "scenarios", "contoso"), dir, { recursive: true });
  const file = join(dir, "tenant.json");
  const t = JSON.parse(readFileSync(file, "utf8"));
  edit(t);
  writeFileSync(file, JSON.stringify(t));
  for (const table of drop) rmSync(join(dir, `${table}.json`));
  return dir;
}

async function doctor(args: string[], emulator: Emulator) {
  const io = memoryIo();
  const code = await main(["doctor", ...args], io, { emulator });
  return { code, io };
}

function spawnAzir(emulator: Emulator, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/azir.js", ...args], { env: { ...process.env, ...emulatorEnv(emulator), NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

describe("azir doctor", () => {
  it("--tabletop: a full report on the built-in scenario, nothing missing (exit 0); --json for machines, never a token", async () => {
    const emulator = await tenant();
    const human = await doctor(["--tabletop"], emulator);
    expect(human.code, human.io.err()).toBe(0);
    const text = human.io.err();
    expect(text).toContain("the simulated tenant's authority");
    expect(text).toContain("application, app azir-ir (Contoso incident response)");
    expect(text).toMatch(/ok\s+graph\s+UserAuthenticationMethod\.ReadWrite\.All: held\s+\(contain-user\/remove-methods\)/);
    expect(text).toMatch(/ok\s+table\s+SigninLogs: latest record 20\d\d-/);
    expect(text).toMatch(/ok\s+subscription/);
    // VM forensics reads the forensics subscription too
    expect(text).toMatch(/ok\s+subscription\s+e7a9b2c4-1d3f-4e5a-8b6c-9d0e1f2a3b4c \(forensics\): reachable/);
    expect(text).toContain("nothing the runbooks need is missing");

    const machine = await doctor(["contain", "--tabletop", "--json"], emulator);
    expect(machine.code).toBe(0);
    const report = JSON.parse(machine.io.out()) as DoctorReport;
    expect(report).toMatchObject({ runbooks: ["contain-user"], ok: true, signIn: { kind: "tabletop", cloud: "AzureCloud" }, token: { kind: "application" } });
    expect(report.checks.filter((c) => c.area === "graph").map((c) => c.subject).sort()).toEqual(
      ["AuditLog.Read.All", "GroupMember.Read.All", "IdentityRiskyUser.ReadWrite.All", "RoleEligibilitySchedule.Read.Directory", "RoleManagement.Read.Directory", "User.EnableDisableAccount.All", "User.Read.All", "User.RevokeSessions.All", "UserAuthenticationMethod.ReadWrite.All"].sort(),
    );
    expect(report.checks.filter((c) => c.area === "table").map((c) => c.subject)).toEqual(["AADNonInteractiveUserSignInLogs", "AuditLogs", "OfficeActivity", "SigninLogs"]);
    expect(machine.io.out()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    // the doctor reads; it writes nothing
    expect(emulator.requests().filter((r) => r.method !== "GET" && r.service !== "logs" && r.service !== "authority")).toEqual([]);
  }, 30_000);

  it("harden: what recovery needs, named with its steps", async () => {
    const emulator = await tenant();
    const machine = await doctor(["harden", "--tabletop", "--json"], emulator);
    expect(machine.code, machine.io.err()).toBe(0);
    const report = JSON.parse(machine.io.out()) as DoctorReport;
    expect(report.runbooks).toEqual(["harden-user"]);
    expect(report.checks.filter((c) => c.area === "graph").map((c) => c.subject)).toEqual(
      expect.arrayContaining(["Application.ReadWrite.All", "RoleManagement.ReadWrite.Directory", "RoleEligibilitySchedule.ReadWrite.Directory", "DelegatedPermissionGrant.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "Policy.Read.All"]),
    );
  }, 30_000);

  it("a scenario whose app lacks a permission: named, with the step that needs it and how to grant it (exit 4); a missing required table too", async () => {
    const dir = scenarioCopy((t) => (t.operator.permissions = t.operator.permissions.filter((p) => p !== "UserAuthenticationMethod.ReadWrite.All")), ["AuditLogs", "AADNonInteractiveUserSignInLogs"]);
    const emulator = await tenant(dir);
    const { code, io } = await doctor(["contain", `--tabletop=${dir}`], emulator);
    expect(code, io.err()).toBe(4);
    const text = io.err();
    expect(text).toMatch(/MISSING\s+graph\s+UserAuthenticationMethod\.ReadWrite\.All: the token does not hold UserAuthenticationMethod\.ReadWrite\.All \(application\)\s+\(remove-methods\)/);
    expect(text).toContain("fix: grant UserAuthenticationMethod.ReadWrite.All to app 00000000-0000-4000-8000-00000000a21e: Entra admin center > App registrations > the app > API permissions > Add a permission > Microsoft Graph > Application permissions");
    expect(text).toMatch(/MISSING\s+table\s+AuditLogs: not in the workspace/);
    // the non-interactive sign-ins are optional for containment: a warning, not a failure
    expect(text).toMatch(/warning\s+table\s+AADNonInteractiveUserSignInLogs/);
    expect(text).toMatch(/ok\s+table\s+SigninLogs/);
    expect(text).toContain("2 thing(s) the runbooks need are missing (exit 4)");
  }, 30_000);

  it("contain --dry-run runs the same checks first: the report, then the planned writes; exit 4 for what the real run would lack", async () => {
    const dir = scenarioCopy((t) => (t.operator.permissions = t.operator.permissions.filter((p) => p !== "IdentityRiskyUser.ReadWrite.All")));
    const emulator = await tenant(dir);
    const out = mkdtempSync(join(tmpdir(), "azir-doctor-dry-"));
    const io = memoryIo();
    const code = await main(["contain", "alex@contoso.com", `--tabletop=${dir}`, "--dry-run", "--out", out], io, { emulator });
    expect(code, io.err()).toBe(4);
    const text = io.err();
    expect(text.indexOf("azir doctor: contain-user")).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/MISSING\s+graph\s+IdentityRiskyUser\.ReadWrite\.All/);
    expect(text.indexOf("azir doctor")).toBeLessThan(text.indexOf("timeline:"));
    // no write: the $batch envelopes carry reads only (each inner request is logged on its own)
    expect(emulator.requests().filter((r) => r.service === "graph" && r.method !== "GET" && !r.path.endsWith("/$batch"))).toEqual([]);

    // the built-in scenario holds everything: the dry run's exit stays 0
    const fine = await tenant();
    const ok = await main(["contain", "alex@contoso.com", "--tabletop", "--dry-run", "--out", out], memoryIo(), { emulator: fine });
    expect(ok).toBe(0);
  }, 30_000);

  it("live, signed in through the Azure CLI's app (--device-code): the scopes it cannot hold are named, with --client-id as the fix; with the customer's app nothing is missing", async () => {
    const emulator = await tenant();
    const cli = await spawnAzir(emulator, ["doctor", "contain", "--device-code", "--json"]);
    expect(cli.code, cli.err).toBe(4);
    const report = JSON.parse(cli.out) as DoctorReport;
    expect(report.token).toMatchObject({ kind: "delegated", appId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", azureCliApp: true, user: "operator@contoso.com" });
    const missing = report.checks.filter((c) => c.status === "missing");
    expect(missing.map((c) => c.subject).sort()).toEqual(["IdentityRiskyUser.ReadWrite.All", "RoleEligibilitySchedule.Read.Directory", "RoleManagement.Read.Directory", "UserAuthenticationMethod.ReadWrite.All"]);
    expect(missing[0]!.fix).toContain("the Azure CLI's app cannot be granted");
    expect(missing[0]!.fix).toContain("--client-id");
    // User.ReadWrite.All, which the Azure CLI's app holds, covers blocking sign-in
    expect(report.checks.find((c) => c.subject === "User.EnableDisableAccount.All")).toMatchObject({ status: "ok", detail: "held as User.ReadWrite.All" });
    expect(report.signIn).toMatchObject({ kind: "device-code", authority: emulator.endpoints.authority });

    const own = await spawnAzir(emulator, ["doctor", "contain", "--device-code", "--client-id", ownApp]);
    expect(own.code, own.err).toBe(0);
    expect(own.err).toMatch(/ok\s+role\s+remove-methods: the signed-in user holds Privileged Authentication Administrator/);
  }, 60_000);
});
