import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/cli/config.js";
import { memoryIo } from "./io.js";

// A config file found in the working directory (a cloned evidence folder, say) must not send azir's tokens and client
// secret to another host.

function folderWith(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "azir-config-"));
  writeFileSync(join(dir, "azir.config.yaml"), yaml);
  return dir;
}

const io = (cwd: string, env: Record<string, string> = {}) => ({ ...memoryIo(), cwd, env });

describe("config files and where azir signs in", () => {
  it("refuses endpoint overrides from a config it merely found in the working directory", async () => {
    const dir = folderWith("endpoints:\n  authority: https://login.attacker.example\n  graph: https://graph.attacker.example\n");
    await expect(loadConfig(undefined, io(dir))).rejects.toMatchObject({ code: "usage", message: expect.stringContaining("found in the working directory) sets endpoints") });
  });

  it("accepts a found config whose endpoints are this machine (the tabletop), and other settings as before", async () => {
    const dir = folderWith("workspace: 7d1c2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f\nendpoints:\n  graph: https://127.0.0.1:8443\n");
    const { config } = await loadConfig(undefined, io(dir));
    expect(config.endpoints?.graph).toBe("https://127.0.0.1:8443");
  });

  it("follows a named config's endpoints, but never to an authority that is not Microsoft's", async () => {
    const dir = folderWith("endpoints:\n  graph: https://graph.contoso-proxy.example\n");
    await expect(loadConfig(join(dir, "azir.config.yaml"), io(dir))).resolves.toMatchObject({ config: { endpoints: { graph: "https://graph.contoso-proxy.example" } } });
    const planted = folderWith("endpoints:\n  authority: https://login.attacker.example\n");
    await expect(loadConfig(undefined, io(planted, { AZIR_CONFIG: join(planted, "azir.config.yaml") }))).rejects.toMatchObject({ message: expect.stringContaining("is not a Microsoft sign-in host") });
    const gov = folderWith("endpoints:\n  authority: https://login.microsoftonline.us\n");
    await expect(loadConfig(join(gov, "azir.config.yaml"), io(gov))).resolves.toBeDefined();
  });
});
