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
  /**
   * A string is sent as it is; anything else as JSON. `{ "items": n }` is a Graph page of n small items;
   * `{ "echoToken": true }` a Graph 401 whose message repeats the bearer token the request carried.
   */
  body?: unknown;
  times?: number;
}

/**
 * An HTTPS front on 127.0.0.1 for a running emulator: every request is passed to the emulator and its answer passed
 * back, byte for byte, except those a hostile answer matches. The CLI then meets, through its real SDK clients, what a
 * broken gateway or a compromised proxy could send, while everything else behaves as the simulated tenant does.
 */
export async function hostileFront(emulator: Emulator, answers: HostileAnswer[]): Promise<{ emulator: Emulator; authorizations: Set<string>; close(): Promise<void> }> {
  const authorizations = new Set<string>();
  const cert = await createEmulatorCertificate();
  const upstream = new Agent({ connect: { ca: emulator.caPem } });
  const left = answers.map((a) => ({ ...a, pattern: new RegExp(a.path), remaining: a.times ?? 1 }));
  const server: Server = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0]!;
      const auth = req.headers.authorization;
      if (auth) authorizations.add(auth);
      const hit = left.find((a) => a.remaining > 0 && a.pattern.test(path) && (!a.method || a.method.toUpperCase() === req.method));
      if (hit) {
        hit.remaining--;
        const body = pageOrBody(hit.body, auth ?? "");
        const type = typeof hit.body === "string" || hit.body === undefined ? {} : { "content-type": "application/json; charset=utf-8" };
        res.writeHead(hit.status, { ...type, ...hit.headers });
        res.end(body);
        return;
      }
      const batch = !hit && req.method === "POST" && /\/\$batch$/i.test(path) && /^\/v1\.0\//.test(path) ? innerHits(Buffer.concat(chunks)) : new Map<string, Matched>();
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "connection") headers[k] = v;
      fetch(`${emulator.endpoints.graph}${req.url ?? "/"}`, { method: req.method ?? "GET", headers, dispatcher: upstream, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) })
        .then(async (answer) => {
          const out: Record<string, string> = {};
          answer.headers.forEach((v, k) => {
            if (k !== "content-length" && k !== "transfer-encoding" && k !== "connection" && k !== "keep-alive") out[k] = v;
          });
          let bytes = Buffer.from(await answer.arrayBuffer());
          if (batch.size > 0 && answer.status === 200) bytes = Buffer.from(rewriteBatch(bytes.toString("utf8"), batch, auth ?? ""));
          res.writeHead(answer.status, out);
          res.end(bytes);
        })
        .catch(() => res.destroy());
    });
  });
  /** The inner requests of a Graph $batch that a hostile answer matches (each spends one of its times). */
  type Matched = (typeof left)[number];
  function innerHits(raw: Buffer): Map<string, Matched> {
    const hits = new Map<string, Matched>();
    let parsed: { requests?: Array<{ id: string; method: string; url: string }> };
    try {
      parsed = JSON.parse(raw.toString("utf8")) as typeof parsed;
    } catch {
      return hits;
    }
    for (const r of parsed.requests ?? []) {
      const innerPath = `/v1.0${(r.url.startsWith("/") ? r.url : `/${r.url}`).split("?")[0]}`;
      const a = left.find((x) => x.remaining > 0 && x.pattern.test(innerPath) && (!x.method || x.method.toUpperCase() === r.method.toUpperCase()));
      if (a) {
        a.remaining--;
        hits.set(r.id, a);
      }
    }
    return hits;
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const endpoints = { graph: origin, logs: `${origin}/v1`, arm: origin, authority: origin };
  return {
    emulator: { ...emulator, endpoints, caPem: cert.certPem, caPath: cert.caPath, close: async () => undefined },
    authorizations,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstream.close();
      await cert.dispose();
    },
  };
}

/** The emulator's batch answer with the matched inner responses replaced (a body that is not JSON goes as a string). */
function rewriteBatch(text: string, hits: Map<string, HostileAnswer>, authorization: string): string {
  const envelope = JSON.parse(text) as { responses: Array<{ id: string; status: number; headers?: Record<string, string>; body?: unknown }> };
  const bodies: string[] = [];
  for (const r of envelope.responses) {
    const hit = hits.get(r.id);
    if (!hit) continue;
    r.status = hit.status;
    r.headers = { "Content-Type": typeof hit.body === "string" ? "text/html" : "application/json", ...hit.headers };
    const body = pageOrBody(hit.body, authorization);
    if (typeof hit.body === "string" || hit.body === undefined) r.body = body === "" ? undefined : body;
    else {
      r.body = `@@body${bodies.length}@@`;
      bodies.push(body);
    }
  }
  return JSON.stringify(envelope).replace(/"@@body(\d+)@@"/g, (_, n: string) => bodies[Number(n)]!);
}

function pageOrBody(body: unknown, authorization: string): string {
  if (body === undefined) return "";
  if (body !== null && typeof body === "object" && "echoToken" in body) {
    const token = authorization.replace(/^Bearer\s+/i, "");
    return JSON.stringify({ error: { code: "InvalidAuthenticationToken", message: `Access token ${token} has expired or is not yet valid.` } });
  }
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
