import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A throwaway TLS identity for the emulator. */
export interface EmulatorCertificate {
  certPem: string;
  keyPem: string;
  /** The certificate written to a fresh temp folder with mode 0600. */
  caPath: string;
  /** Removes the temp folder. */
  dispose(): Promise<void>;
}

/**
 * Generates a self-signed certificate for 127.0.0.1 / localhost at start-up (never stored in the repository).
 * EC P-256 keeps generation fast.
 */
export async function createEmulatorCertificate(): Promise<EmulatorCertificate> {
  const selfsigned = await import("selfsigned");
  const pems = await selfsigned.generate([{ name: "commonName", value: "127.0.0.1" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] },
    ],
  });
  const dir = await mkdtemp(join(tmpdir(), "azir-tabletop-"));
  const caPath = join(dir, "emulator-ca.pem");
  await writeFile(caPath, pems.cert, { mode: 0o600 });
  return {
    certPem: pems.cert,
    keyPem: pems.private,
    caPath,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
