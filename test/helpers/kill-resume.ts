import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { emulatorEnv, type Emulator, type RequestLogEntry } from "../../src/tabletop/index.js";

// Kill-and-resume and concurrency trials: the CLI as its own process (bin/azir.js), the simulated tenant in the test
// process, and between them a TCP relay that holds every answer for a while, so that a test can kill the CLI after
// the tenant applied a write and before azir saw the answer.

/** A TCP relay to the emulator that delays what the emulator answers (TLS passes through untouched). */
export interface Relay {
  port: number;
  /** Environment that points a separate azir process at the emulator through the relay. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startRelay(emulator: Emulator, answerDelayMs: number): Promise<Relay> {
  const target = Number(new URL(emulator.endpoints.graph).port);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target, "127.0.0.1");
    sockets.add(client).add(upstream);
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("data", (chunk) => upstream.write(chunk));
    // Timers of one duration fire in the order they were set: the answer's bytes keep their order.
    upstream.on("data", (chunk) => setTimeout(() => !closed && client.write(chunk), answerDelayMs));
    client.on("close", close).on("error", close);
    upstream.on("close", () => setTimeout(close, answerDelayMs + 5)).on("error", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  // The authority stays direct: the discovery document it serves names its own address, which MSAL checks.
  for (const [key, value] of Object.entries(emulatorEnv(emulator))) env[key] = key === "AZIR_AUTHORITY_URL" ? value : value.replace(`127.0.0.1:${target}`, `127.0.0.1:${port}`);
  return {
    port,
    env,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface Azir {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

/** Starts `node bin/azir.js <args>` with this environment. */
export function azir(args: string[], env: NodeJS.ProcessEnv): Azir {
  const child = spawn(process.execPath, ["bin/azir.js", ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  // "close", not "exit": stderr may still be on its way when the process has exited
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
  return { child, exit, stderr: () => err };
}

/** The journal files under an --out folder. */
export function journalsIn(out: string): string[] {
  if (!existsSync(out)) return [];
  return readdirSync(out).flatMap((inc) => {
    const dir = join(out, inc);
    try {
      return readdirSync(dir).filter((f) => f.endsWith(".jsonl")).map((f) => join(dir, f));
    } catch {
      return [];
    }
  });
}

/** Whole lines of a journal (a line cut by a kill is not counted). */
export function wholeLines(path: string): number {
  try {
    const text = readFileSync(path, "utf8");
    return text.split("\n").length - 1;
  } catch {
    return 0;
  }
}

/** Polls every few milliseconds until `ready` holds or the process ends; true when it held. */
export async function until(ready: () => boolean, process: Azir, timeoutMs = 60_000): Promise<boolean> {
  let ended = false;
  void process.exit.then(() => (ended = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (ready()) return true;
    if (ended) return ready();
    await new Promise((r) => setTimeout(r, 2));
  }
  return false;
}

/** The writes the tenant ran (a $batch envelope is not one; its inner requests are logged each). */
export function writesOf(log: readonly RequestLogEntry[]): RequestLogEntry[] {
  return log.filter((r) => (r.service === "graph" || r.service === "arm") && r.method !== "GET" && !r.path.endsWith("/$batch"));
}

/** Writes sent more than once: same method and path. */
export function sentTwice(log: readonly RequestLogEntry[]): string[] {
  const seen = new Map<string, number>();
  for (const w of writesOf(log)) {
    const key = `${w.method} ${w.path}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`);
}
