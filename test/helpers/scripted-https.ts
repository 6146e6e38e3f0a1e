import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { createEmulatorCertificate } from "../../src/tabletop/emulator/certificate.js";

/** One scripted answer: status, headers and a raw body (a string is sent as it is). */
export interface ScriptedAnswer {
  /** 0: accept the request and never answer (a silent server). */
  status: number;
  headers?: Record<string, string>;
  body?: string | object;
}

export interface ScriptedServer {
  url: string;
  ca: string;
  /** Every request received: method, path and headers (lower-case names). */
  requests: Array<{ method: string; path: string; headers: Record<string, string | string[] | undefined> }>;
  close(): Promise<void>;
}

/**
 * An HTTPS server on 127.0.0.1 that answers each request with the next scripted answer (the last one repeats): the
 * real SDK clients meet the wire shapes a real service or a gateway sends, byte for byte as written in the test.
 */
export async function scriptedHttps(answers: ScriptedAnswer[] | ((n: number) => ScriptedAnswer)): Promise<ScriptedServer> {
  const cert = await createEmulatorCertificate();
  const requests: ScriptedServer["requests"] = [];
  const next = typeof answers === "function" ? answers : (n: number) => answers[Math.min(n, answers.length - 1)]!;
  const server: Server = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    const n = requests.length;
    requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers });
    req.resume();
    req.on("end", () => {
      const answer = next(n);
      if (answer.status === 0) return;
      const body = answer.body === undefined ? "" : typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
      const type = typeof answer.body === "object" ? { "content-type": "application/json; charset=utf-8" } : {};
      res.writeHead(answer.status, { ...type, ...answer.headers });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    ca: cert.certPem,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cert.dispose();
    },
  };
}
