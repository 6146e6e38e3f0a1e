import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { runbookJsonSchema } from "../../src/runbook/schema.js";
import { memoryIo } from "./io.js";

const tmp = mkdtempSync(join(tmpdir(), "azir-cli-"));

describe("azir CLI (in-process)", () => {
  it("--help lists the commands and exits 0", async () => {
    const io = memoryIo();
    expect(await main(["--help"], io)).toBe(0);
    for (const c of ["contain", "investigate", "hunt", "verify", "run", "runbooks", "validate", "schema", "timeline", "tabletop", "kql"]) expect(io.out()).toContain(c);
  });

  it("--version prints the package version", async () => {
    const io = memoryIo();
    expect(await main(["--version"], io)).toBe(0);
    expect(io.out().trim()).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
  });

  it("an unknown command or option is a usage error (exit 2)", async () => {
    expect(await main(["contian", "x"], memoryIo())).toBe(2);
    expect(await main(["validate", "--nope", "x"], memoryIo())).toBe(2);
  });

  it("validate passes the shipped runbooks and refuses a broken one with exit 2 and its line", async () => {
    const ok = memoryIo();
    expect(await main(["validate", "runbooks/contain-user.yaml", "runbooks/investigate-user.yaml", "runbooks/hunt-device-code.yaml", "runbooks/verify-containment.yaml"], ok)).toBe(0);
    const file = join(tmp, "broken.yaml");
    writeFileSync(file, "id: broken\ntitle: b\nsteps:\n  - id: a\n    action: entra.nuke\n");
    const bad = memoryIo();
    expect(await main(["validate", file], bad)).toBe(2);
    expect(bad.err()).toContain(`${file}:5:13: error: unknown action "entra.nuke"`);
    expect(bad.err()).toContain("entra.blockSignIn");
  });

  it("run --plan prints the plan as pure JSON with --json and calls nothing", async () => {
    const io = memoryIo();
    expect(await main(["run", "contain-user", "--param", "upn=Alex@Contoso.com", "--plan", "--json"], io)).toBe(0);
    const plan = JSON.parse(io.out());
    expect(plan.params.upn).toBe("alex@contoso.com");
    expect(plan.stages[0]).toEqual(["signins", "block"]); // block does not wait for the scoping reads
    const order = plan.steps.filter((s: { write: boolean }) => s.write).map((s: { id: string }) => s.id);
    expect(order).toEqual(["block", "revoke", "remove-methods", "confirm-compromised"]);
  });

  it("refuses a malformed UPN before any call (exit 2)", async () => {
    const io = memoryIo();
    expect(await main(["run", "contain-user", "--param", "upn=x' or 1==1 //", "--plan"], io)).toBe(2);
    expect(io.err()).toContain("not a valid user principal name");
    expect(await main(["contain", "a\"b@c.com", "--tabletop=minimal", "--yes"], memoryIo())).toBe(2);
  });

  it("schema runbook prints the JSON Schema generated from zod, the same as the shipped file", async () => {
    const io = memoryIo();
    expect(await main(["schema", "runbook"], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual(runbookJsonSchema());
    expect(JSON.parse(readFileSync("schemas/runbook.schema.json", "utf8"))).toEqual(runbookJsonSchema());
  });

  it("a malformed config file is refused with its line", async () => {
    const cfg = join(tmp, "bad-config.yaml");
    writeFileSync(cfg, "workspace: not-a-guid\n");
    const io = memoryIo();
    expect(await main(["investigate", "alex@contoso.com", "--config", cfg], io)).toBe(2);
    expect(io.err()).toContain("workspace: expected a GUID");
  });
});

describe("azir CLI against the simulated tenant", () => {
  it("refuses a protected account (exit 3) unless --force-protected", async () => {
    const cfg = join(tmp, "protected.yaml");
    writeFileSync(cfg, "protectedAccounts: [kim@fabrikam.example]\n");
    const io = memoryIo();
    expect(await main(["contain", "kim@fabrikam.example", "--tabletop=minimal", "--yes", "--config", cfg, "--out", tmp], io)).toBe(3);
    expect(io.err()).toContain("protected account");
    expect(io.err()).toContain("--force-protected");
    // recovery too: harden writes to the account's apps, roles and consents; release re-enables it
    const harden = memoryIo();
    expect(await main(["harden", "kim@fabrikam.example", "--tabletop=minimal", "--yes", "--config", cfg, "--out", tmp], harden)).toBe(3);
    expect(harden.err()).toContain("protected account");
    const release = memoryIo();
    expect(await main(["release", "kim@fabrikam.example", "--tabletop=minimal", "--yes", "--force", "--reason", "recovered", "--config", cfg, "--out", tmp], release)).toBe(3);
    expect(release.err()).toContain("protected account");
  });

  it("refuses live writes without a terminal and without --yes (exit 3), sending nothing", async () => {
    const io = memoryIo({ tty: false });
    expect(await main(["contain", "kim@fabrikam.example", "--tabletop=minimal", "--out", tmp], io)).toBe(3);
    expect(io.err()).toContain("no terminal to confirm on and no --yes");
    expect(io.err()).toContain("block sign-in");
  });

  it("--json leaves stdout as one pure JSON document", async () => {
    const io = memoryIo();
    await main(["investigate", "kim@fabrikam.example", "--tabletop=minimal", "--json", "--out", tmp], io);
    const doc = JSON.parse(io.out());
    expect(doc.schema).toBe("azir.timeline/v2");
    expect(doc.incident.id).toMatch(/^kim-fabrikam-example-\d{8}$/);
    // the minimal tenant streams no non-interactive sign-ins: the sign-in pull still answers, and says what it missed
    expect(doc.complete).toBe(false);
    const gap = doc.gaps.find((g: { data: { query: string } }) => g.data.query === "signins-for-user");
    expect(gap.data).toMatchObject({ code: "table-not-found", reason: expect.stringContaining("AADNonInteractiveUserSignInLogs") });
    expect(doc.findings.length + doc.response.filter((e: { kind: string; step?: string }) => e.kind === "query" && e.step === "signins").length).toBeGreaterThan(0);
  });

  it("--since sets the lookback of investigate (a date-time or a duration back from now)", async () => {
    const io = memoryIo();
    await main(["investigate", "kim@fabrikam.example", "--tabletop=minimal", "--since", "2d", "--json", "--out", tmp], io);
    expect(JSON.parse(io.out()).runs[0].params.lookback).toBe("2880m");
    const bad = memoryIo();
    expect(await main(["investigate", "kim@fabrikam.example", "--tabletop=minimal", "--since", "yesterday-ish", "--out", tmp], bad)).toBe(2);
    expect(bad.err()).toContain("--since");
  });
});

