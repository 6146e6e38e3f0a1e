import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";

// `azir tabletop serve --json` as a separate process, and a plain script using the Log Analytics SDK against it.

let children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  children = [];
});

interface ServeInfo {
  endpoints: { logs: string; graph: string; arm: string; authority: string };
  ca: string;
  env: Record<string, string>;
}

async function serve(): Promise<{ child: ChildProcess; info: ServeInfo }> {
  const child = spawn(process.execPath, ["bin/azir.js", "tabletop", "serve", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`serve exited ${code}`)));
  });
  return { child, info: JSON.parse(first) as ServeInfo };
}

function runNode(script: string, env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => (out += String(d)));
    child.stderr!.on("data", (d) => (err += String(d)));
    child.once("exit", (code) => resolve({ code, out, err }));
  });
}

describe("azir tabletop serve", () => {
  it("prints one JSON line, answers a plain LogsQueryClient script over HTTPS, and stops on SIGTERM", async () => {
    const { child, info } = await serve();
    expect(info.endpoints.logs).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(readFileSync(info.ca, "utf8")).toContain("BEGIN CERTIFICATE");
    expect(info.env.NODE_EXTRA_CA_CERTS).toBe(info.ca);
    expect(Object.keys(info.env)).toEqual(expect.arrayContaining(["AZIR_GRAPH_URL", "AZIR_LOGS_URL", "AZIR_ARM_URL", "AZIR_AUTHORITY_URL", "AZIR_WORKSPACE"]));

    const script = `
      import { LogsQueryClient } from "@azure/monitor-query-logs";
      const credential = { getToken: async () => ({ token: "any", expiresOnTimestamp: Date.now() + 3600000 }) };
      const client = new LogsQueryClient(credential, { endpoint: process.env.AZIR_LOGS_URL, credentials: { scopes: ["https://api.loganalytics.io/.default"] } });
      const result = await client.queryWorkspace(process.env.AZIR_WORKSPACE, "SigninLogs | where UserPrincipalName == 'alex@contoso.com' | take 5", { duration: "P30D" });
      console.log(JSON.stringify({ status: result.status, rows: result.tables[0].rows.length, columns: result.tables[0].columnDescriptors.map((c) => c.name) }));
    `;
    const r = await runNode(script, { ...info.env, NODE_EXTRA_CA_CERTS: info.ca });
    expect(r.code, r.err).toBe(0);
    const answer = JSON.parse(r.out);
    expect(answer).toMatchObject({ status: "Success", rows: 5 });
    expect(answer.columns).toContain("UserPrincipalName");

    child.kill("SIGTERM");
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(0);
  }, 60_000);

  it("a live-mode azir pointed at it by the printed env reaches it through the SDKs, credential included, and --dry-run changes nothing", async () => {
    const { info } = await serve();
    const run = spawn(process.execPath, ["bin/azir.js", "contain", "alex@contoso.com", "--dry-run", "--json", "--out", "/tmp/azir-serve-test"], {
      env: { ...process.env, ...info.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(run);
    let out = "";
    let err = "";
    run.stdout!.on("data", (d) => (out += String(d)));
    run.stderr!.on("data", (d) => (err += String(d)));
    const code = await new Promise((resolve) => run.once("exit", resolve));
    expect(code, err).toBe(0);
    const doc = JSON.parse(out);
    const planned = doc.actions.filter((a: { kind: string }) => a.kind === "action.planned");
    expect(planned.length).toBeGreaterThanOrEqual(4);
    expect(doc.runs[0].mode).toBe("dry-run");
    // the tenant is unchanged: read the state through the control route, trusting the printed CA
    const state = await runNode(
      `const r = await fetch(process.env.AZIR_GRAPH_URL + "/_tabletop/state"); const s = await r.json(); console.log(JSON.stringify(s.users.find((u) => u.userPrincipalName === "alex@contoso.com")));`,
      { ...info.env },
    );
    expect(JSON.parse(state.out).accountEnabled).toBe(true);
    const requests = await runNode(`const r = await fetch(process.env.AZIR_GRAPH_URL + "/_tabletop/requests"); console.log(JSON.stringify((await r.json()).filter((x) => x.service === "graph" && x.method !== "GET" && !x.path.endsWith("/$batch")).length));`, { ...info.env });
    expect(requests.out.trim()).toBe("0");
  }, 60_000);
});
