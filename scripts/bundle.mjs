#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js) with the few packages every start loads (commander, chalk, zod,
// yaml) into dist/bundle/, with one chunk per lazily loaded command. Resolving hundreds of small ESM files is what
// made `azir validate` slow to start; everything else (the Azure SDKs, Kusto.Language) stays in node_modules.
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const bundled = new Set(["commander", "chalk", "zod", "yaml"]);
const external = Object.keys(pkg.dependencies).filter((d) => !bundled.has(d)).flatMap((d) => [d, `${d}/*`]);

await build({
  entryPoints: [join(root, "dist", "cli", "main.js")],
  outdir: join(root, "dist", "bundle"),
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external,
  logLevel: "warning",
  // bundled CommonJS (commander) calls require() for Node's own modules
  banner: { js: "import { createRequire as __azirRequire } from 'node:module'; const require = __azirRequire(import.meta.url);" },
});
