#!/usr/bin/env node
// npm run bench: the budgets of DESIGN.md section 8, each measured against a baseline taken in the same run.
// A benchmark, not a test: it prints figures and whether each budget holds, and exits 1 when one does not.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "bin", "azir.js");
const dist = (p) => import(join(root, "dist", p));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];

function timeCommand(args, runs, env = {}) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, NO_COLOR: "1", ...env }, encoding: "utf8" });
    times.push(performance.now() - t);
    if (r.status !== 0 && !args.includes("-e")) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  }
  return median(times);
}

function report(name, value, budget, baseline, unit = "ms", digits = 0) {
  const ok = value <= budget;
  results.push({ name, value, budget, baseline, ok });
  const ratio = baseline ? `  (${(value / baseline).toFixed(2)}x the baseline of ${baseline.toFixed(0)} ${unit})` : "";
  console.log(`${ok ? "ok  " : "OVER"} ${name.padEnd(48)} ${value.toFixed(digits).padStart(6)} ${unit}  budget ${budget} ${unit}${ratio}`);
}

// 1. Start-up: azir --help and azir validate, against a bare `node -e 0` measured the same way.
const nodeBaseline = timeCommand(["-e", "0"], 15);
report("azir --help (start-up)", timeCommand([bin, "--help"], 15), 150, nodeBaseline);
report("azir validate runbooks/*.yaml", timeCommand([bin, "validate", "runbooks/contain-user.yaml", "runbooks/investigate-user.yaml", "runbooks/hunt-device-code.yaml", "runbooks/verify-containment.yaml"], 9), 150, nodeBaseline);

// 2. Full tabletop runbooks on the built-in scenario (whole process, emulator start included).
const out = mkdtempSync(join(tmpdir(), "azir-bench-"));
report("investigate alex (tabletop, whole process)", timeCommand([bin, "investigate", "alex@contoso.com", "--tabletop", "--json", "--out", out], 3), 3000, nodeBaseline);
report("contain alex (tabletop, whole process)", timeCommand([bin, "contain", "alex@contoso.com", "--tabletop", "--yes", "--json", "--out", out], 3), 3000, nodeBaseline);
report("respond alex: the whole runbook (tabletop, whole process)", timeCommand([bin, "respond", "alex@contoso.com", "--tabletop", "--yes", "--json", "--out", out], 3), 3000, nodeBaseline);

// 2b. The HTML report of a 10,000-event journal, against reading the same journal (its own baseline).
{
  const { openJournal, readJournal } = await dist("timeline/journal.js");
  const { ManualClock } = await dist("core/clock.js");
  const { incidentDocument } = await dist("cli/report.js");
  const { exportTimeline } = await dist("timeline/export.js");
  const dir = mkdtempSync(join(tmpdir(), "azir-bench-10k-"));
  const clock = new ManualClock("2026-11-25T12:00:00Z");
  const journal = await openJournal({ dir, incidentId: "bench-10k", runId: "00000000-0000-4000-8000-000000000001", mode: "tabletop", clock, secrets: new Set() });
  journal.append({ kind: "run.started", summary: "started bench", data: { runbook: "bench", params: { upn: "alex@contoso.com" } } });
  const severities = ["info", "low", "medium", "high"];
  for (let i = 0; i < 9_998; i++) {
    clock.advance(1000);
    const at = new Date(Date.parse("2026-11-20T00:00:00Z") + i * 60_000).toISOString();
    if (i % 3 === 0) journal.append({ kind: "finding", step: "signins", occurredAt: at, summary: `finding ${i}`, data: { code: "signin.new-asn-success", severity: severities[i % 4], occurredAt: at, evidence: [{ Id: `r-${i}`, IPAddress: `45.137.20.${i % 250}`, AutonomousSystemNumber: 9009, CreatedDateTime: at }] } });
    else if (i % 3 === 1) journal.append({ kind: "action", step: "block", summary: `action ${i}`, data: { target: "alex@contoso.com", request: { method: "PATCH", url: "/users/x" }, permission: "User.EnableDisableAccount.All", status: "succeeded" } });
    else journal.append({ kind: "note", step: "signins", summary: `note ${i}` });
  }
  journal.append({ kind: "run.finished", summary: "finished", data: { status: "succeeded" } });
  journal.close();
  const times = [];
  const reads = [];
  for (let i = 0; i < 3; i++) {
    let t = performance.now();
    const { events } = await readJournal(journal.path);
    reads.push(performance.now() - t);
    t = performance.now();
    exportTimeline(incidentDocument(events, { incidentId: "bench-10k" }), "html");
    times.push(performance.now() - t);
  }
  report("HTML report of a 10,000-event journal", median(times), 1000, median(reads));
}

// 3. contain against the emulator with 100 ms injected per request. The physical limit of the job with idempotent
//    reads first: two dependent Graph round trips (one batch of reads, one ordered batch of writes) plus the slower
//    of the scoping queries, each measured in the same run. Then 100 generated users in one run against one user:
//    HTTP requests and wall time.
{
  const { systemClock } = await dist("core/clock.js");
  const { startTabletop } = await dist("tabletop/index.js");
  const { main } = await dist("cli/main.js");
  const { cpSync, readFileSync, writeFileSync } = await import("node:fs");
  const latencyMs = 100;
  const io = () => ({ stdout: { write: () => true }, stderr: { write: () => true, isTTY: false }, env: { NO_COLOR: "1" }, cwd: root, stdinIsTTY: false });
  // HTTP requests that reached the emulator: a $batch envelope counts once, its inner requests not
  const http = (emulator) => emulator.requests().filter((r) => r.batchId === undefined && (r.service === "graph" || r.service === "logs"));
  const graphHttp = (emulator) => http(emulator).filter((r) => r.service === "graph");
  const containWith = async (emulator, users) => {
    const out = mkdtempSync(join(tmpdir(), "azir-bench-c-"));
    const t = performance.now();
    const code = await main(["contain", ...users, "--tabletop", "--yes", "--out", out], io(), { emulator });
    const wall = performance.now() - t;
    // each scoping query's own time, as the journal records it
    const { readdirSync } = await import("node:fs");
    const inc = readdirSync(out)[0];
    const { events } = await (await dist("timeline/journal.js")).readJournal(join(out, inc, readdirSync(join(out, inc)).find((f) => f.endsWith(".jsonl"))));
    const queries = events.filter((e) => e.kind === "query").map((e) => Number(e.data.durationMs));
    return { code, wall, slowestQuery: Math.max(...queries) };
  };

  // (a) one user: the wall time of azir contain (the CLI in this process) against the limit
  const samples = [];
  for (let i = 0; i < 3; i++) {
    const emulator = await startTabletop({ clock: systemClock, faults: { latencyMs, rules: [] } });
    const { code, wall, slowestQuery } = await containWith(emulator, ["alex@contoso.com"]);
    const queries = emulator.requests().filter((r) => r.service === "logs").length;
    const requests = http(emulator).length;
    const graph = graphHttp(emulator).length;
    await emulator.close();
    if (code !== 0) throw new Error(`contain alex exited ${code}`);
    samples.push({ wall, queries, requests, graph, limit: 2 * latencyMs + slowestQuery, slowestQuery });
  }
  const one = samples.sort((a, b) => a.wall / a.limit - b.wall / b.limit)[1];
  console.log(`     contain alex at ${latencyMs} ms/request: wall ${one.wall.toFixed(0)} ms; ${one.requests} HTTP requests (${one.graph} to Graph, ${one.queries} Log Analytics queries)`);
  console.log(`     the limit: 2 round trips (${2 * latencyMs} ms) + the slower scoping query (${one.slowestQuery.toFixed(0)} ms) = ${one.limit.toFixed(0)} ms`);
  report("contain wall time / physical limit (100 ms latency)", one.wall / one.limit, 1.2, undefined, "x", 2);
  // Identity Protection's budget (1 request per second per tenant) puts a second between the read of the users already
  // confirmed compromised and the confirmation itself: two round trips and that second are the limit within the budget.
  const paced = Math.max(one.limit, 2 * latencyMs + 1000);
  console.log(`     within Identity Protection's budget: read, a second, write = ${2 * latencyMs + 1000} ms; the limit is then ${paced.toFixed(0)} ms`);
  report("contain wall time / limit within the paced budget", one.wall / paced, 1.2, undefined, "x", 2);

  // (b) 100 users generated into a copy of the built-in scenario (password only, at risk, one ordinary sign-in)
  const count = 100;
  const dir = mkdtempSync(join(tmpdir(), "azir-bench-bulk-"));
  cpSync(join(root, "scenarios", "contoso"), dir, { recursive: true });
  const tenant = JSON.parse(readFileSync(join(dir, "tenant.json"), "utf8"));
  const signins = JSON.parse(readFileSync(join(dir, "SigninLogs.json"), "utf8"));
  const model = signins.find((r) => r.UserPrincipalName === "morgan@contoso.com" && r.ResultType === "0");
  const users = [];
  for (let n = 1; n <= count; n++) {
    const id = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
    const upn = `user${String(n).padStart(3, "0")}@contoso.com`;
    users.push(upn);
    tenant.users.push({ id, userPrincipalName: upn, displayName: `User ${n}`, mail: upn, accountEnabled: true, userType: "Member", createdDateTime: "-400d", signInSessionsValidFromDateTime: "-400d" });
    tenant.authenticationMethods[id] = [{ "@odata.type": "#microsoft.graph.passwordAuthenticationMethod", id: "28c10230-6103-485e-b985-444c60001490", createdDateTime: "-400d" }];
    tenant.riskyUsers.push({ id, userPrincipalName: upn, userDisplayName: `User ${n}`, riskLevel: "high", riskState: "atRisk", riskDetail: "none", riskLastUpdatedDateTime: "-1d", isDeleted: false, isProcessing: false });
    const sid = `b0000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
    signins.push({ ...model, TimeGenerated: "-2d", CreatedDateTime: "-2d", UserPrincipalName: upn, UserDisplayName: `User ${n}`, UserId: id, Id: sid, OriginalRequestId: sid, CorrelationId: sid });
  }
  writeFileSync(join(dir, "tenant.json"), JSON.stringify(tenant));
  writeFileSync(join(dir, "SigninLogs.json"), JSON.stringify(signins));
  // one of them alone, then all of them in one run, each against a fresh tenant
  const single = await startTabletop({ clock: systemClock, scenarioDir: dir, faults: { latencyMs, rules: [] } });
  const alone = await containWith(single, [users[0]]);
  const aloneRequests = http(single).length;
  const aloneGraph = graphHttp(single).length;
  await single.close();
  const many = await startTabletop({ clock: systemClock, scenarioDir: dir, faults: { latencyMs, rules: [] } });
  const bulk = await containWith(many, users);
  const bulkRequests = http(many).length;
  const bulkGraph = graphHttp(many).length;
  const throttled = many.requests().filter((r) => r.status === 429).length;
  const contained = many.state().users.filter((u) => users.includes(u.userPrincipalName) && u.accountEnabled === false).length;
  await many.close();
  if (alone.code !== 0 || bulk.code !== 0) throw new Error(`contain exited ${alone.code} (one) / ${bulk.code} (100)`);
  console.log(`     ${count} users in one run: ${contained} contained, wall ${bulk.wall.toFixed(0)} ms against ${alone.wall.toFixed(0)} ms for one; ${bulkRequests} HTTP requests (${bulkGraph} to Graph) against ${count} x ${aloneRequests} (${count} x ${aloneGraph} to Graph) for ${count} separate runs; ${throttled} answered 429`);
  report(`${count} users: Graph HTTP requests / ${count} separate runs'`, bulkGraph / (count * aloneGraph), 0.1, undefined, "x", 3);
  report(`${count} users: all HTTP requests / ${count} separate runs'`, bulkRequests / (count * aloneRequests), 0.1, undefined, "x", 3);
  report(`${count} users: wall time / one user's`, bulk.wall / alone.wall, 3, undefined, "x", 2);
  report(`${count} users: answers 429`, throttled, 0, undefined, "", 0);
}

// 5. VM forensics. (a) With 100 ms injected per ARM request, the snapshot step of a VM with three disks against the
//    same step of a VM with one disk: the disks proceed concurrently, so the one-disk step is the critical path.
//    (b) The forensic copy of a 256 MiB generated disk (server-side copy, then the SHA-256 of the copy as stored)
//    against a plain @azure/storage-blob upload of the same bytes into the same Azurite, in the same process.
{
  const { systemClock } = await dist("core/clock.js");
  const { startTabletop } = await dist("tabletop/index.js");
  const { main } = await dist("cli/main.js");
  const { readJournal } = await dist("timeline/journal.js");
  const { readdirSync, writeFileSync, readFileSync } = await import("node:fs");
  const io = () => ({ stdout: { write: () => true }, stderr: { write: () => true, isTTY: false }, env: { NO_COLOR: "1" }, cwd: root, stdinIsTTY: false });
  const journalOf = (dir) => {
    const inc = readdirSync(dir)[0];
    return join(dir, inc, readdirSync(join(dir, inc)).find((f) => f.endsWith(".jsonl")));
  };
  // only the snapshot step, from the shipped runbook
  const shipped = readFileSync(join(root, "runbooks", "vm-forensics.yaml"), "utf8");
  const snapshotOnly = join(mkdtempSync(join(tmpdir(), "azir-bench-rb-")), "snapshot-only.yaml");
  writeFileSync(snapshotOnly, shipped.slice(0, shipped.indexOf("  - id: lock")));
  const snapshotStep = async (vm, rg) => {
    const emulator = await startTabletop({ clock: systemClock, faults: { latencyMs: 100, rules: [] } });
    const dir = mkdtempSync(join(tmpdir(), "azir-bench-snap-"));
    const forensics = emulator.state();
    const t = performance.now();
    const code = await main(["run", snapshotOnly, "--param", `vm=${vm}`, "--param", `resourceGroup=${rg}`, "--param", `subscription=${emulator.subscriptionId}`, "--param", `forensicsSubscription=${forensics.forensicsSubscriptionId}`, "--param", "forensicsResourceGroup=rg-forensics", "--param", "forensicsAccount=stcontosoforensics", "--tabletop", "--yes", "--out", dir], io(), { emulator });
    const wall = performance.now() - t;
    await emulator.close();
    if (code !== 0) throw new Error(`the snapshot step of ${vm} exited ${code}`);
    return wall;
  };
  const three = [], one = [];
  for (let i = 0; i < 3; i++) {
    one.push(await snapshotStep("vm-build-01", "rg-build"));
    three.push(await snapshotStep("vm-web-01", "rg-web"));
  }
  console.log(`     snapshot step at 100 ms/ARM request: 3 disks ${median(three).toFixed(0)} ms, 1 disk ${median(one).toFixed(0)} ms`);
  report("snapshot 3 disks / 1 disk (100 ms latency)", median(three) / median(one), 1.2, undefined, "x", 2);

  const size = 256 * 1024 * 1024;
  const emulator = await startTabletop({ clock: systemClock, storage: { start: "eager", diskImageBytes: size } });
  const { BlobServiceClient, StorageSharedKeyCredential } = await import("@azure/storage-blob");
  const { diskImageChunks } = await dist("tabletop/emulator/storage.js");
  const storage = await emulator.storage();
  const account = "stcontosoforensics";
  const plain = new BlobServiceClient(storage.blobEndpoint(account), new StorageSharedKeyCredential(account, storage.accountKey(account)), { tlsOptions: { ca: emulator.caPem } }).getContainerClient("bench-plain");
  await plain.createIfNotExists();
  const diskId = emulator.state().arm.resources.find((r) => r.name === "vm-build-01-osdisk").id;
  const bytes = Buffer.concat([...diskImageChunks(diskId, size)]);
  const uploads = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await plain.getBlockBlobClient(`plain-${i}`).uploadData(bytes);
    uploads.push(performance.now() - t);
  }
  const copies = [];
  for (let i = 0; i < 3; i++) {
    const dir = mkdtempSync(join(tmpdir(), "azir-bench-copy-"));
    const code = await main(["snapshot", "vm-build-01", "--resource-group", "rg-build", "--incident", `bench-copy-${i}`, "--tabletop", "--yes", "--out", dir], io(), { emulator });
    if (code !== 0) throw new Error(`azir snapshot vm-build-01 exited ${code}`);
    const { events } = await readJournal(journalOf(dir));
    const copy = events.find((e) => e.kind === "step.completed" && e.step === "export").data.outputs.copies[0];
    copies.push(Date.parse(copy.finishedAt) - Date.parse(copy.copyStartedAt));
  }
  await emulator.close();
  console.log(`     256 MiB: plain upload ${median(uploads).toFixed(0)} ms (${(size / 1048576 / (median(uploads) / 1000)).toFixed(0)} MiB/s), azir's copy + SHA-256 ${median(copies).toFixed(0)} ms`);
  // at least 0.8x the upload's speed = at most 1.25x its time
  report("forensic copy time / plain upload time (256 MiB)", median(copies) / median(uploads), 1.25, undefined, "x", 2);
}

// 4. The local KQL engine: the device-code hunt over 1,000,000 rows (its own script, yardstick inside).
console.log("\nlocal KQL engine (npm run bench:kql):");
const kql = spawnSync(process.execPath, [join(root, "scripts", "bench-kql.mjs")], { cwd: root, stdio: "inherit" });
if (kql.status !== 0) results.push({ name: "bench:kql", ok: false });

const over = results.filter((r) => !r.ok);
console.log(over.length ? `\n${over.length} budget(s) exceeded` : "\nall budgets hold");
process.exit(over.length ? 1 : 0);
