import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { Agent, fetch } from "undici";
import { createEmulatorCertificate } from "../../src/tabletop/emulator/certificate.js";
import type { Emulator } from "../../src/tabletop/index.js";

/** A hostile answer: sent instead of the emulator's to the first `times` requests that match. */
export interface HostileAnswer {
  method?: string;
  /** Regular expression tested against the request path (no query string). */
  path: string;
  status: number;
  headers?: Record<string, string>;
  /** A string is sent as it is; anything else as JSON. `{ "items": n }` is a Graph page of n small items. */
  body?: unknown;
  times?: number;
}

/**
 * An HTTPS front on 127.0.0.1 for a running emulator: every request is passed to the emulator and its answer passed
 * back, byte for byte, except those a hostile answer matches. The CLI then meets, through its real SDK clients, what a
 * broken gateway or a compromised proxy could send, while everything else behaves as the simulated tenant does.
 */
export async function hostileFront(emulator: Emulator, answers: HostileAnswer[]): Promise<{ emulator: Emulator; close(): Promise<void> }> {
  const cert = await createEmulatorCertificate();
  const upstream = new Agent({ connect: { ca: emulator.caPem } });
  const left = answers.map((a) => ({ ...a, pattern: new RegExp(a.path), remaining: a.times ?? 1 }));
  const server: Server = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0]!;
      const hit = left.find((a) => a.remaining > 0 && a.pattern.test(path) && (!a.method || a.method.toUpperCase() === req.method));
      if (hit) {
        hit.remaining--;
        const body = pageOrBody(hit.body);
        const type = typeof hit.body === "string" || hit.body === undefined ? {} : { "content-type": "application/json; charset=utf-8" };
        res.writeHead(hit.status, { ...type, ...hit.headers });
        res.end(body);
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "connection") headers[k] = v;
      fetch(`${emulator.endpoints.graph}${req.url ?? "/"}`, { method: req.method ?? "GET", headers, dispatcher: upstream, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) })
        .then(async (answer) => {
          const out: Record<string, string> = {};
          answer.headers.forEach((v, k) => {
            if (k !== "content-length" && k !== "transfer-encoding" && k !== "connection" && k !== "keep-alive") out[k] = v;
          });
          res.writeHead(answer.status, out);
          res.end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const endpoints = { graph: origin, logs: `${origin}/v1`, arm: origin, authority: origin };
  return {
    emulator: { ...emulator, endpoints, caPem: cert.certPem, caPath: cert.caPath, close: async () => undefined },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstream.close();
      await cert.dispose();
    },
  };
}

function pageOrBody(body: unknown): string {
  if (body === undefined) return "";
  if (typeof body === "string") return body;
  if (body !== null && typeof body === "object" && "items" in body && typeof (body as { items: unknown }).items === "number") {
    // Built as text: a 400,000-item page is a string of ~20 MB, not an array the test itself holds.
    const n = (body as { items: number }).items;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(`{"id":"m${i}","@odata.type":"#microsoft.graph.emailAuthenticationMethod","emailAddress":"x${i}@example.com"}`);
    return `{"value":[${parts.join(",")}]}`;
  }
  return JSON.stringify(body);
}
