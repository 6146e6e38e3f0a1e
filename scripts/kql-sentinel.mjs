#!/usr/bin/env node
// Runs Microsoft Sentinel's hunting queries (kept outside the repository, in ../shared/sentinel-hunting-kql/ beside
// the checkout, or $AZIR_SENTINEL_HUNTING) through the local KQL engine over a scenario, in one process, and prints
// answered / refused by name / semantic / crash / timeout, tallied by cause.
// Usage: npm run kql:sentinel [-- --scenario scenarios/contoso] [-- --json] [-- --verbose]
// Sentinel's {{StartTimeISO}} / {{EndTimeISO}} placeholders are filled with the last 14 days, as the portal would.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const corpus = process.env.AZIR_SENTINEL_HUNTING ?? resolve(root, "../shared/sentinel-hunting-kql");
const engine = resolve(root, "dist/kql/engine/index.js");
const args = process.argv.slice(2);
const flagValue = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const scenario = resolve(root, flagValue("--scenario", "scenarios/contoso"));
const timeoutMs = Number(flagValue("--timeout", "10000"));

if (!existsSync(engine)) {
  console.error("dist/ is missing: run `npm run build` first (npm ci does it through prepare).");
  process.exit(2);
}
if (!existsSync(corpus)) {
  console.error(`SENTINEL HUNTING SET NOT FOUND at ${corpus}: put the folder of .kql files there or set AZIR_SENTINEL_HUNTING to its path.`);
  process.exit(2);
}
const files = readdirSync(corpus).filter((f) => f.endsWith(".kql")).sort();
if (files.length === 0) {
  console.error(`SENTINEL HUNTING SET EMPTY at ${corpus}: no .kql files.`);
  process.exit(2);
}

// One worker evaluates the queries one after another (Kusto.Language is loaded once); a query that runs past the
// timeout ends the worker, is counted as a timeout, and a new worker takes the next query.
const workerSource = `
import { parentPort, workerData } from "node:worker_threads";
const { runQuery, loadTablesFromFolder, UnsupportedKqlError } = await import(workerData.engine);
const { cellOfWrongKind = () => undefined } = await import(workerData.engine.replace(/index\.js$/, "conformance.js"));
const now = new Date(workerData.now);
const tables = await loadTablesFromFolder(workerData.scenario, { now });
parentPort.postMessage({ ready: true });
parentPort.on("message", async ({ file, text }) => {
  const started = performance.now();
  try {
    const result = await runQuery(text, tables, { now });
    // an answer with a cell of the wrong kind (an array in a string column) is an engine fault, not an answer
    const misfit = cellOfWrongKind(result);
    if (misfit) return parentPort.postMessage({ file, outcome: "crash", cause: "a cell of the wrong kind: " + misfit, ms: performance.now() - started });
    parentPort.postMessage({ file, outcome: "answered", rows: result.rows.length, ms: performance.now() - started });
  } catch (error) {
    const ms = performance.now() - started;
    if (error instanceof UnsupportedKqlError) return parentPort.postMessage({ file, outcome: "refused", cause: error.construct, ms });
    if (error && error.code === "validation" && Array.isArray(error.details)) {
      return parentPort.postMessage({ file, outcome: "semantic", cause: error.message, details: error.details, ms });
    }
    parentPort.postMessage({ file, outcome: "crash", cause: String(error && error.stack || error), ms });
  }
});
`;

const now = new Date();
const start = new Date(now.getTime() - 14 * 86_400_000);
function prepare(text) {
  return text.replaceAll("{{StartTimeISO}}", start.toISOString()).replaceAll("{{EndTimeISO}}", now.toISOString());
}

function startWorker() {
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(workerSource)}`), {
    workerData: { engine: `file://${engine}`, scenario, now: now.toISOString() },
  });
  const ready = new Promise((res, rej) => {
    worker.once("message", (m) => (m.ready ? res() : rej(new Error("worker did not start"))));
    worker.once("error", rej);
  });
  return { worker, ready };
}

const began = performance.now();
let current = startWorker();
await current.ready;
const results = [];
for (const file of files) {
  const text = prepare(readFileSync(join(corpus, file), "utf8"));
  const outcome = await new Promise((res) => {
    const timer = setTimeout(() => res({ file, outcome: "timeout", cause: `over ${timeoutMs} ms` }), timeoutMs);
    const onMessage = (m) => {
      clearTimeout(timer);
      res(m);
    };
    const onError = (e) => {
      clearTimeout(timer);
      res({ file, outcome: "crash", cause: String(e && e.stack || e) });
    };
    current.worker.once("message", onMessage);
    current.worker.once("error", onError);
    current.worker.postMessage({ file, text });
  }).then(async (m) => {
    current.worker.removeAllListeners("message");
    current.worker.removeAllListeners("error");
    if (m.outcome === "timeout" || (m.outcome === "crash" && !("ms" in m))) {
      await current.worker.terminate();
      current = startWorker();
      await current.ready;
    }
    return m;
  });
  results.push(outcome);
}
await current.worker.terminate();
const totalMs = performance.now() - began;

const group = (f) => f.replace(/^hunt-/, "").replace(/-.*$/, "");
const outcomes = ["answered", "refused", "semantic", "crash", "timeout"];
const tally = Object.fromEntries(outcomes.map((o) => [o, 0]));
const byGroup = {};
const causes = {};
for (const r of results) {
  tally[r.outcome]++;
  const g = (byGroup[group(r.file)] ??= { total: 0, answered: 0 });
  g.total++;
  if (r.outcome === "answered") g.answered++;
  if (r.outcome !== "answered") {
    const cause = r.outcome === "semantic" ? r.cause.replace(/ \(line \d+, column \d+\)$/, "") : r.outcome === "crash" ? r.cause.split("\n")[0] : r.cause;
    const key = `${r.outcome}: ${cause}`;
    causes[key] = (causes[key] ?? 0) + 1;
  }
}
if (args.includes("--json")) {
  process.stdout.write(`${JSON.stringify({ corpus, scenario, total: results.length, ...tally, ms: Math.round(totalMs), groups: byGroup, causes, results }, null, 2)}\n`);
} else {
  console.log(`hunting set ${corpus} over ${scenario}: ${results.length} queries in ${Math.round(totalMs)} ms (one process)`);
  console.log(outcomes.map((o) => `${o} ${tally[o]}`).join(" / "));
  for (const [g, t] of Object.entries(byGroup).sort()) console.log(`  ${g.padEnd(16)} ${t.answered}/${t.total}`);
  console.log("not answered, by cause:");
  for (const [c, n] of Object.entries(causes).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) console.log(`  ${String(n).padStart(3)}  ${c}`);
  if (args.includes("--verbose")) for (const r of results) if (r.outcome !== "answered") console.log(`${r.outcome} ${r.file}: ${r.cause}${r.details ? `\n    ${r.details.join("\n    ")}` : ""}`);
}
process.exit(tally.crash === 0 && tally.timeout === 0 ? 0 : 1);
