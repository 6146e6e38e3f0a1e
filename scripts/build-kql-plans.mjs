#!/usr/bin/env node
// Rebuilds kql/plans.json, the plan cache of the shipped KQL files and Kusto.Language's diagnostics for each table a
// plan reads when the workspace lacks it (npm run kql:plans). Compiles src/ to dist/ first.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const module = resolve(root, "dist/kql/engine/plan-files.js");
// Errors elsewhere in the tree do not stop tsc from emitting; only a missing engine module is fatal.
spawnSync(process.execPath, [resolve(root, "node_modules/typescript/bin/tsc"), "-p", resolve(root, "tsconfig.build.json")], { stdio: "ignore" });
if (!existsSync(module)) {
  console.error("dist/ is missing: run `npm run build` first.");
  process.exit(2);
}
const { buildPlanCache } = await import(module);
const cache = await buildPlanCache(resolve(root, "kql"), resolve(root, "kql/plans.json"));
for (const [file, entry] of Object.entries(cache.files)) {
  console.log(`${entry.status.padEnd(11)} ${file}${entry.reason ? `: ${entry.reason}` : ""}`);
}
const missing = Object.values(cache.missing ?? {}).reduce((n, tables) => n + Object.keys(tables).length, 0);
console.log(`kql/plans.json: ${Object.keys(cache.plans).length} plans for ${Object.keys(cache.files).length} files, diagnostics for ${missing} missing tables`);
