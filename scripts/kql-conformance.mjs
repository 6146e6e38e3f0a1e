#!/usr/bin/env node
// Runs the local KQL engine over the conformance corpus and prints supported / matching / wrong.
// Usage: npm run kql:conformance [-- --json] [-- --verbose]
// The corpus is ../shared/kql-conformance/kusto-results.jsonl beside the checkout, or $AZIR_KQL_CONFORMANCE.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const corpus = process.env.AZIR_KQL_CONFORMANCE ?? resolve(root, "../shared/kql-conformance/kusto-results.jsonl");
const engine = resolve(root, "dist/kql/engine/conformance.js");
if (!existsSync(engine)) {
  console.error("dist/ is missing: run `npm run build` first (npm ci does it through prepare).");
  process.exit(2);
}
if (!existsSync(corpus)) {
  console.error(`conformance corpus not found at ${corpus}; set AZIR_KQL_CONFORMANCE to its path.`);
  process.exit(2);
}
const { runConformance } = await import(engine);
const args = new Set(process.argv.slice(2));
const report = await runConformance(corpus);
if (args.has("--json")) {
  process.stdout.write(`${JSON.stringify({ ...report, cases: args.has("--verbose") ? report.cases : undefined }, null, 2)}\n`);
} else {
  console.log(`cases ${report.total}: supported ${report.supported} / matching ${report.matching} / wrong ${report.wrong}`);
  for (const [family, f] of Object.entries(report.families).sort()) {
    console.log(`  ${family.padEnd(28)} ${String(f.total).padStart(4)} cases  supported ${String(f.supported).padStart(4)}  matching ${String(f.matching).padStart(4)}  wrong ${f.wrong}`);
  }
  const wrong = report.cases.filter((c) => c.outcome === "wrong");
  for (const c of wrong) console.log(`WRONG ${c.id} (${c.family}): ${c.detail}`);
  if (args.has("--verbose")) for (const c of report.cases.filter((x) => x.outcome === "unsupported")) console.log(`refused ${c.id}: ${c.detail}`);
}
process.exit(report.wrong === 0 ? 0 : 1);
