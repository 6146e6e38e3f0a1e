#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js) with the few packages every start loads (commander, chalk, zod,
// yaml) into dist/bundle/, with one chunk per lazily loaded command. Resolving hundreds of small ESM files is what
// made `azir validate` slow to start; everything else (the Azure SDKs, Kusto.Language) stays in node_modules.
import { build } from "esbuild";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const bundled = new Set(["commander", "chalk", "zod", "yaml"]);
const external = Object.keys(pkg.dependencies).filter((d) => !bundled.has(d)).flatMap((d) => [d, `${d}/*`]);

// a clean folder: chunk names change with their content
rmSync(join(root, "dist", "bundle"), { recursive: true, force: true });

await build({
  entryPoints: [join(root, "dist", "cli", "main.js")],
  outdir: join(root, "dist", "bundle"),
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external,
  // yaml's ES-module build (pure JavaScript) lets the bundler keep only the parser azir uses
  alias: { yaml: join(root, "node_modules", "yaml", "browser", "dist", "index.js") },
  plugins: [
    {
      // zod re-exports its messages in ~60 languages; azir speaks English, and parsing them all cost start-up time
      name: "zod-english-only",
      setup(b) {
        b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
          args.importer.includes(`${sep}zod${sep}`) ? { path: "zod-locales", namespace: "azir" } : undefined,
        );
        b.onLoad({ filter: /^zod-locales$/, namespace: "azir" }, () => ({
          contents: `export { default as en } from ${JSON.stringify(join(root, "node_modules", "zod", "v4", "locales", "en.js"))};`,
          resolveDir: root,
        }));
      },
    },
  ],
  logLevel: "warning",
  // bundled CommonJS (commander) calls require() for Node's own modules
  banner: { js: "import { createRequire as __azirRequire } from 'node:module'; const require = __azirRequire(import.meta.url);" },
});
