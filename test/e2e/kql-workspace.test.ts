import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { Agent, fetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";

// `azir kql --workspace`, live mode, against `azir tabletop serve` on 127.0.0.1 (the env it prints).

let children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  children = [];
});

function azir(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["bin/azir.js", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += String(d)));
  child.stderr!.on("data", (d) => (err += String(d)));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, out, err, child })));
}

describe("azir kql --workspace", () => {
  it("queries Log Analytics through the SDK, with --param bound as on the local engine", async () => {
    const server = spawn(process.execPath, ["bin/azir.js", "tabletop", "serve", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(server);
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server.stdout! }).once("line", resolve);
      server.once("exit", (code) => reject(new Error(`serve exited ${code}`)));
    });
    const env = (JSON.parse(first) as { env: Record<string, string> }).env;
    expect(env.AZIR_LOGS_URL).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1$/);
    const live = await azir(["kql", "kql/signins-for-user.kql", "--param", "upn=alex@contoso.com", "--param", "lookback=14d", "--param", "baseline=30d", "--json"], env);
    expect(live.code, live.err).toBe(0);
    const local = await azir(["kql", "kql/signins-for-user.kql", "--tabletop", "--param", "upn=alex@contoso.com", "--param", "lookback=14d", "--param", "baseline=30d", "--json"]);
    expect(local.code, local.err).toBe(0);
    const rows = (out: string) => (JSON.parse(out) as { tables: Array<{ rows: unknown[] }> }).tables[0]!.rows.length;
    expect(rows(live.out)).toBeGreaterThan(0);
    expect(rows(live.out)).toBe(rows(local.out));

    // a partial result (Log Analytics' PartialError, injected by the emulator's fault rule): the rows it gave, said
    // INCOMPLETE, complete:false in the document, and exit 1, never a clean answer
    const info = JSON.parse(first) as { endpoints: { graph: string }; ca: string };
    const agent = new Agent({ connect: { ca: readFileSync(info.ca, "utf8") } });
    const set = await fetch(`${info.endpoints.graph}/_tabletop/faults`, {
      method: "POST",
      dispatcher: agent,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ rules: [{ match: { path: "/query", service: "logs" }, partial: true, times: 1 }] }),
    });
    expect(set.status).toBeLessThan(300);
    await agent.close();
    const partial = await azir(["kql", "SigninLogs | project UserPrincipalName", "--json"], env);
    expect(partial.code, partial.err).toBe(1);
    expect(partial.err).toMatch(/INCOMPLETE: partial result/);
    const doc = JSON.parse(partial.out) as { complete: boolean; gaps: string[] };
    expect(doc.complete).toBe(false);
    expect(doc.gaps[0]).toMatch(/rows may be missing/);
  }, 60_000);
});
