import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { AnalyzerDefinition } from "../../src/analyze/types.js";
import { ManualClock } from "../../src/core/clock.js";
import { sequentialIds } from "../../src/core/ids.js";
import { AzirError } from "../../src/core/errors.js";
import type { Effect } from "../../src/core/effects.js";
import type { LogsPort, LogsQueryRequest, LogsQueryResult, Ports } from "../../src/core/ports.js";
import { executeRunbook, type ExecuteOptions, type PendingWrite } from "../../src/runbook/execute.js";
import { parseRunbook } from "../../src/runbook/load.js";
import type { ActionDefinition } from "../../src/steps/types.js";
import type { EventInput } from "../../src/timeline/event.js";

/** The path an effect addresses (a snapshot export names its snapshot). */
const pathOf = (e: Effect): string => ("path" in e ? e.path : e.snapshotId);

// A fake port stands in for the Azure adapters here: the executor's logic is under test, not the SDKs
// (those are exercised against the emulator in test/azure and test/e2e).

const dir = mkdtempSync(join(tmpdir(), "azir-exec-"));
writeFileSync(join(dir, "rows.kql"), "declare query_parameters(upn:string, lookback:timespan);\nT | where U == upn\n");
writeFileSync(join(dir, "count.kql"), "declare query_parameters(lookback:timespan);\nT | summarize count()\n");

interface Harness {
  events: EventInput[];
  sent: Effect[];
  queries: LogsQueryRequest[];
  maxInFlight: number;
  applied: string[];
  /** What happened, in order: "check <action>" for reads, "send"/"sent <path>" around each write. */
  log: string[];
}

function fakeAction(name: string, h: Harness, state: { done: Set<string>; failing: Set<string> }): ActionDefinition<{ upn: string }, { done: boolean }> {
  return {
    name,
    description: name,
    permissions: ["Fake.Permission"],
    input: z.object({ upn: z.string() }),
    outputs: ["target"],
    async read(input) {
      h.log.push(`check ${name}`);
      return { done: state.done.has(`${name}:${input.upn}`) };
    },
    decide(input, observed) {
      if (observed.done) return { done: "already in effect", effects: [], notes: [], outputs: { target: input.upn } };
      return {
        effects: [{ kind: "graph.request", key: "w", method: "POST", path: `/${name}/${input.upn}`, permission: "Fake.Permission", summary: `${name} ${input.upn}`, target: input.upn }],
        notes: [],
        outputs: { target: input.upn },
      };
    },
    interpret(_input, _observed, _decision, outcomes) {
      h.applied.push(name);
      const failed = outcomes.find((o) => !o.ok);
      return failed && !failed.ok ? { error: failed.error as AzirError } : {};
    },
  };
}

const rowsAnalyzer: AnalyzerDefinition = {
  name: "rows",
  description: "counts rows",
  outputs: ["count", "first"],
  analyze: ({ rows }) => ({
    findings: rows.map((r) => ({ code: "test.row", severity: "low" as const, occurredAt: String(r.TimeGenerated), summary: `row ${String(r.U)}`, evidence: [r] })),
    outputs: { count: rows.length, first: rows[0]?.U ?? null },
  }),
};

function harness(
  yaml: string,
  options: Partial<ExecuteOptions> & { answer?: (q: LogsQueryRequest) => LogsQueryResult; delayMs?: number; done?: string[]; writeDelayMs?: number; failing?: string[] } = {},
) {
  const h: Harness = { events: [], sent: [], queries: [], maxInFlight: 0, applied: [], log: [] };
  const parsed = parseRunbook(yaml, join(dir, "rb.yaml"));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.diagnostics));
  let inFlight = 0;
  const logs: LogsPort = {
    async query(q) {
      h.queries.push(q);
      inFlight++;
      h.maxInFlight = Math.max(h.maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, options.delayMs ?? 5));
      inFlight--;
      return (
        options.answer?.(q) ?? {
          complete: true,
          tables: [{ name: "PrimaryResult", columns: [{ name: "TimeGenerated", type: "datetime" }, { name: "U", type: "string" }], rows: [["2026-11-20T10:00:00.000Z", "alex"]] }],
        }
      );
    },
  };
  const state = { done: new Set(options.done ?? []), failing: new Set(options.failing ?? []) };
  const ports: Ports = {
    logs,
    graph: { get: async () => ({}) as never, find: async () => undefined, list: async () => [] },
    arm: { getResource: async () => ({}) as never, findResource: async () => undefined, checkSubscription: async () => ({ locks: 0 }), listVirtualMachines: async () => [] },
    storage: { findBlob: async () => undefined, findContainer: async () => undefined },
    effects: {
      async perform(w, _signal, after = []) {
        // Follows the writes it must follow, as the performer's contract says.
        await Promise.allSettled(after);
        // A failing action's write is refused by the service, as a 403 would be.
        if ([...state.failing].some((name) => pathOf(w).startsWith(`/${name}/`))) throw new AzirError("permission", `${pathOf(w)}: 403`);
        h.log.push(`send ${pathOf(w)}`);
        await new Promise((r) => setTimeout(r, options.writeDelayMs ?? 0));
        h.sent.push(w);
        h.log.push(`sent ${pathOf(w)}`);
        return {};
      },
    },
  };
  const run = () =>
    executeRunbook({
      loaded: parsed.loaded,
      params: { upn: "alex@contoso.com", lookback: "14d" },
      dryRun: false,
      journal: { append: (e) => h.events.push(e) },
      ports,
      endpoints: { graph: "https://graph.example", logs: "https://logs.example/v1", arm: "https://arm.example", authority: "https://login.example" },
      clock: new ManualClock("2026-11-25T12:00:00Z"),
      ids: sequentialIds(),
      signal: new AbortController().signal,
      workspaceId: "ws",
      registry: { actions: { "t.first": fakeAction("t.first", h, state), "t.second": fakeAction("t.second", h, state) } as Record<string, ActionDefinition<unknown, unknown>>, analyzers: { rows: rowsAnalyzer } },
      loadQuery: async (q) => (await import("node:fs/promises")).readFile(join(dir, q), "utf8"),
      ...options,
    });
  return { h, run };
}

const rb = `id: t
title: test
params:
  upn: { type: upn, required: true }
  lookback: { type: duration, default: 14d }
steps:
  - id: q1
    query: rows.kql
    analyze: rows
    with: { upn: "{{ params.upn }}", lookback: "{{ params.lookback }}" }
  - id: q2
    query: rows.kql
    with: { upn: "{{ params.upn }}", lookback: "{{ params.lookback }}" }
  - id: first
    action: t.first
    with: { upn: "{{ findings.q1.first }}" }
  - id: second
    action: t.second
    with: { upn: "{{ params.upn }}" }
`;

describe("executeRunbook", () => {
  it("runs independent reads concurrently and writes in declared order, each write journaled", async () => {
    const { h, run } = harness(rb, { delayMs: 30 });
    const result = await run();
    expect(result.status).toBe("completed");
    expect(h.maxInFlight).toBe(2);
    expect(h.sent.map((w) => pathOf(w))).toEqual(["/t.first/alex", "/t.second/alex@contoso.com"]);
    const kinds = h.events.map((e) => e.kind);
    expect(kinds[0]).toBe("run.started");
    expect(kinds.at(-1)).toBe("run.finished");
    const actions = h.events.filter((e) => e.kind === "action");
    expect(actions.map((e) => e.step)).toEqual(["first", "second"]);
    expect(actions[0]!.data).toMatchObject({ request: { method: "POST", url: "https://graph.example/v1.0/t.first/alex" }, permission: "Fake.Permission", status: "succeeded" });
    // the finding carries the tenant's time, not azir's
    expect(h.events.find((e) => e.kind === "finding")).toMatchObject({ occurredAt: "2026-11-20T10:00:00.000Z" });
  });

  it("dry-run records each write as planned and never calls apply or the writer", async () => {
    const { h, run } = harness(rb, { dryRun: true });
    const result = await run();
    expect(result.status).toBe("completed");
    expect(h.sent).toEqual([]);
    expect(h.applied).toEqual([]);
    const planned = h.events.filter((e) => e.kind === "action.planned");
    expect(planned).toHaveLength(2);
    expect(planned[0]!.data).toMatchObject({ method: "POST", url: "https://graph.example/v1.0/t.first/alex", permission: "Fake.Permission" });
  });

  it("skips an action already in effect and sends nothing for it", async () => {
    const { h, run } = harness(rb, { done: ["t.second:alex@contoso.com"] });
    await run();
    expect(h.sent.map((w) => pathOf(w))).toEqual(["/t.first/alex"]);
    expect(h.events.find((e) => e.kind === "action.skipped")).toMatchObject({ step: "second", data: { reason: "already in effect" } });
  });

  it("asks once, listing every write, before the first write; a no sends nothing", async () => {
    const asked: PendingWrite[][] = [];
    const { h, run } = harness(rb, { confirm: async (w) => (asked.push(w), false) });
    const result = await run();
    expect(asked).toHaveLength(1);
    expect(asked[0]!.map((w) => w.url)).toEqual(["https://graph.example/v1.0/t.first/alex", "https://graph.example/v1.0/t.second/alex@contoso.com"]);
    expect(h.sent).toEqual([]);
    expect(result.status).toBe("refused");
  });

  it("a confirmer that cannot ask (no terminal) refuses with its reason", async () => {
    const { h, run } = harness(rb, {
      confirm: async () => {
        throw new AzirError("refused", "no terminal and no --yes");
      },
    });
    const result = await run();
    expect(result.status).toBe("refused");
    expect(result.error?.exitCode).toBe(3);
    expect(h.sent).toEqual([]);
  });

  it("a yes sends exactly the confirmed writes", async () => {
    const { h, run } = harness(rb, { confirm: async () => true });
    expect((await run()).status).toBe("completed");
    expect(h.sent).toHaveLength(2);
  });

  it("never has more than 5 queries in flight", async () => {
    const many = `id: m\ntitle: m\nparams:\n  upn: { type: upn }\n  lookback: { type: duration, default: 1d }\nsteps:\n${Array.from({ length: 9 }, (_, i) => `  - id: q${i}\n    query: rows.kql\n    with: { upn: "{{ params.upn }}", lookback: "{{ params.lookback }}" }\n`).join("")}`;
    const { h, run } = harness(many, { delayMs: 20 });
    await run();
    expect(h.queries).toHaveLength(9);
    expect(h.maxInFlight).toBe(5);
  });

  it("turns a partial result into a gap and splits the window after a size limit", async () => {
    let calls = 0;
    const { h, run } = harness(rb, {
      answer: () =>
        ++calls === 1
          ? { complete: false, tables: [{ name: "PrimaryResult", columns: [{ name: "U", type: "string" }], rows: [["x"]] }], reason: { code: "PartialError", message: "exceeded the internal record count limit 500000" } }
          : { complete: true, tables: [{ name: "PrimaryResult", columns: [{ name: "U", type: "string" }], rows: [["y"]] }] },
    });
    const result = await run();
    // q1's first answer was cut: both halves were asked again and no gap remains for it
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(result.gaps).toEqual([]);
    expect(h.queries.filter((q) => q.timespan).length).toBe(h.queries.length);
  });

  it("reports a gap when an aggregate is cut (it cannot be split)", async () => {
    const agg = `id: a\ntitle: a\nparams:\n  lookback: { type: duration, default: 1d }\nsteps:\n  - id: c\n    query: count.kql\n    with: { lookback: "{{ params.lookback }}" }\n`;
    const { h, run } = harness(agg, {
      answer: () => ({ complete: false, tables: [{ name: "PrimaryResult", columns: [], rows: [] }], reason: { code: "PartialError", message: "Query result set has exceeded the internal record count limit 500000" } }),
    });
    const result = await run();
    expect(result.gaps).toHaveLength(1);
    expect(h.events.find((e) => e.kind === "gap")).toMatchObject({ step: "c", data: { query: "count", window: { start: "2026-11-11T12:00:00.000Z", end: "2026-11-25T12:00:00.000Z" } } });
    expect(h.events.find((e) => e.kind === "run.finished")?.data).toMatchObject({ complete: false });
  });

  it("an optional step's failure is a note; a required one fails the run and stops its dependents", async () => {
    const missing = (q: LogsQueryRequest): LogsQueryResult => {
      if (q.query.includes("summarize")) throw Object.assign(new (class extends Error {})("no table T"), {});
      return { complete: true, tables: [] };
    };
    const yaml = `id: o\ntitle: o\nparams:\n  upn: { type: upn }\n  lookback: { type: duration, default: 1d }\nsteps:\n  - id: opt\n    query: count.kql\n    optional: true\n    with: { lookback: "{{ params.lookback }}" }\n  - id: req\n    query: count.kql\n    with: { lookback: "{{ params.lookback }}" }\n  - id: after-req\n    note: later\n    after: [req]\n`;
    const { h, run } = harness(yaml, {
      answer: (q) => {
        if (q.query.includes("summarize")) throw new AzirError("not-found", "Log Analytics has no table 'T'");
        return missing(q);
      },
    });
    const result = await run();
    expect(result.status).toBe("failed");
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ["opt", "skipped"],
      ["req", "failed"],
      ["after-req", "not-run"],
    ]);
    expect(h.events.filter((e) => e.kind === "gap")).toHaveLength(2);
  });

  it("a query that failed or did not run is a gap: the run never reads as complete", async () => {
    const { h, run } = harness(rb, {
      answer: () => {
        throw new AzirError("permission", "Log Analytics answered 403");
      },
    });
    const result = await run();
    expect(result.gaps.map((g) => [g.step, g.code]).sort()).toEqual([
      ["q1", "not-read"],
      ["q2", "not-read"],
    ]);
    expect(h.events.find((e) => e.kind === "run.finished")?.data).toMatchObject({ complete: false });
  });

  it("resume carries the gaps of the steps the earlier run completed", async () => {
    const earlier = { step: "q1", query: "rows.kql", window: null, code: "PartialError", message: "cut" };
    const { run } = harness(rb, { completed: new Map([["q1", { first: "restored", count: 1 }]]), resumedGaps: [earlier], resumedRunId: "00000000-0000-4000-8000-000000000009" });
    const result = await run();
    expect(result.gaps).toEqual([earlier]);
  });

  it("resume: completed steps are not run again and their outputs still feed later steps", async () => {
    const { h, run } = harness(rb, { done: ["t.first:restored"], completed: new Map([["q1", { first: "restored", count: 1 }], ["first", { target: "restored" }]]), resumedRunId: "00000000-0000-4000-8000-000000000009" });
    const result = await run();
    expect(result.status).toBe("completed");
    expect(h.sent.map((w) => pathOf(w))).toEqual(["/t.second/alex@contoso.com"]);
    expect(h.queries).toHaveLength(1); // only q2
    expect(h.events[0]!.kind).toBe("run.resumed");
    // the completed action was read again and still holds
    expect(h.log).toContain("check t.first");
    expect(h.events.some((e) => e.kind === "note" && e.step === "first" && (e.data as Record<string, unknown>).recheck === "in-effect")).toBe(true);
  });

  it("resume: a completed action whose change no longer holds in the tenant is a finding and is sent again, before the next action's write", async () => {
    const { h, run } = harness(rb, { completed: new Map([["q1", { first: "restored", count: 1 }], ["first", { target: "restored" }]]), resumedRunId: "00000000-0000-4000-8000-000000000009" });
    const result = await run();
    expect(result.status).toBe("completed");
    expect(h.sent.map((w) => pathOf(w))).toEqual(["/t.first/restored", "/t.second/alex@contoso.com"]);
    const regressed = h.events.filter((e) => e.kind === "finding" && (e.data as Record<string, unknown>).code === "containment-regressed");
    expect(regressed.map((e) => e.step)).toEqual(["first"]);
    expect(result.findings.map((f) => f.code)).toContain("containment-regressed");
  });

  it("resume in a dry run does not re-check: the earlier run's planned writes were never sent", async () => {
    const { h, run } = harness(rb, { dryRun: true, completed: new Map([["q1", { first: "restored", count: 1 }], ["first", { target: "restored" }]]), resumedRunId: "00000000-0000-4000-8000-000000000009" });
    await run();
    expect(h.events.some((e) => e.kind === "finding" && (e.data as Record<string, unknown>).code === "containment-regressed")).toBe(false);
  });

  it("stops scheduling after an interrupt and journals run.interrupted", async () => {
    const controller = new AbortController();
    const { h, run } = harness(rb, { signal: controller.signal, delayMs: 20 });
    const pending = run();
    controller.abort();
    const result = await pending;
    expect(result.status).toBe("interrupted");
    expect(h.sent).toEqual([]);
    expect(h.events.at(-1)!.kind).toBe("run.interrupted");
  });

  it("a step marked confirm: true is asked for even with --yes, and refused when nobody can answer", async () => {
    const gated = rb.replace("  - id: second\n    action: t.second\n", "  - id: second\n    action: t.second\n    confirm: true\n");
    const asked: string[][] = [];
    const yes = harness(gated, { confirmStep: async (w) => (asked.push(w.map((x) => x.step)), true) });
    expect((await yes.run()).status).toBe("completed");
    expect(asked).toEqual([["second"]]);
    expect(yes.h.sent).toHaveLength(2);
    const nobody = harness(gated);
    const result = await nobody.run();
    expect(nobody.h.sent.map((w) => pathOf(w))).toEqual(["/t.first/alex"]);
    expect(result.status).toBe("refused");
  });

  it("a later action reads and plans while the earlier one writes; its own write still waits", async () => {
    const { h, run } = harness(rb, { writeDelayMs: 40 });
    expect((await run()).status).toBe("completed");
    const at = (entry: string) => h.log.indexOf(entry);
    expect(at("check t.second")).toBeLessThan(at("sent /t.first/alex"));
    expect(at("send /t.second/alex@contoso.com")).toBeGreaterThan(at("sent /t.first/alex"));
  });

  it("a failed action does not stop the later ones (containment goes as far as it can); the run still fails", async () => {
    const { h, run } = harness(rb, { failing: ["t.first"] });
    const result = await run();
    expect(h.sent.map((w) => pathOf(w))).toEqual(["/t.second/alex@contoso.com"]);
    expect(result.status).toBe("failed");
    expect(result.error?.exitCode).toBe(4);
    expect(result.steps.find((s) => s.id === "second")?.status).toBe("completed");
  });
});


describe("the write gate and the action lifecycle", () => {
  const oneAction = `id: g\ntitle: g\nparams:\n  upn: { type: upn }\nsteps:\n  - id: act\n    action: t.act\n    with: { upn: "{{ params.upn }}" }\n`;
  const effect = (key: string, path: string, extra: Partial<Effect> = {}): Effect =>
    ({ kind: "graph.request", key, method: "POST", path, permission: "Fake.Permission", summary: `${key} ${path}`, target: "alex", ...extra }) as Effect;

  function run(action: ActionDefinition<{ upn: string }, unknown>, options: Partial<ExecuteOptions> & { refuse?: (e: Effect) => boolean } = {}) {
    const events: EventInput[] = [];
    const performed: string[] = [];
    const parsed = parseRunbook(oneAction, join(dir, "g.yaml"));
    if (!parsed.ok) throw new Error("bad test runbook");
    const ports: Ports = {
      logs: { query: async () => ({ complete: true, tables: [] }) },
      graph: { get: async () => ({}) as never, find: async () => undefined, list: async () => [] },
      arm: { getResource: async () => ({}) as never, findResource: async () => undefined, checkSubscription: async () => ({ locks: 0 }), listVirtualMachines: async () => [] },
    storage: { findBlob: async () => undefined, findContainer: async () => undefined },
      effects: {
        async perform(e, _signal, after = []) {
          await Promise.allSettled(after);
          performed.push(e.key);
          if (options.refuse?.(e)) throw new AzirError("service", `refused ${e.key}`);
          return { keyId: "k1", secretText: "s3cr3t-value" };
        },
      },
    };
    const result = executeRunbook({
      loaded: parsed.loaded,
      params: { upn: "alex@contoso.com" },
      dryRun: false,
      journal: { append: (e) => events.push(e) },
      ports,
      endpoints: { graph: "https://graph.example", logs: "https://logs.example/v1", arm: "https://arm.example", authority: "https://login.example" },
      clock: new ManualClock("2026-11-25T12:00:00Z"),
      ids: sequentialIds(),
      signal: new AbortController().signal,
      workspaceId: "ws",
      registry: { actions: { "t.act": action } as Record<string, ActionDefinition<unknown, unknown>>, analyzers: {} },
      loadQuery: async () => "",
      ...options,
    });
    return { events, performed, result };
  }

  const base = { name: "t.act", description: "t", permissions: ["Fake.Permission"], input: z.object({ upn: z.string() }), read: async () => ({}) };

  it("journals one step.completed event with the step's outputs: the resume checkpoint", async () => {
    const { events, result } = run({ ...base, decide: () => ({ effects: [effect("a", "/a")], notes: [], outputs: { userId: "u1" } }), interpret: () => ({ outputs: { revokedAt: "now" } }) });
    expect((await result).status).toBe("completed");
    expect(events.filter((e) => e.kind === "step.completed")).toEqual([
      { kind: "step.completed", step: "act", summary: "act: completed", data: { status: "completed", outputs: { userId: "u1", revokedAt: "now" } } },
    ]);
  });

  it("runs clean-up effects whatever happens, after the action's effects", async () => {
    const withCleanup = effect("grant", "/grant", { cleanup: [effect("revoke", "/revoke")] });
    const { performed, events, result } = run({ ...base, decide: () => ({ effects: [withCleanup, effect("copy", "/copy", { phase: 1 })], notes: [] }) }, { refuse: (e) => e.key === "copy" });
    expect((await result).status).toBe("failed");
    expect(performed).toEqual(["grant", "copy", "revoke"]);
    expect(events.filter((e) => e.kind === "action").map((e) => e.summary)).toEqual(["grant /grant", "revoke /revoke"]);
  });

  it("hands a secret answer to the secret sink, never to the journal or the action", async () => {
    const received: unknown[] = [];
    let seen: unknown;
    const { events, result } = run(
      { ...base, decide: () => ({ effects: [effect("add", "/addPassword", { secretResult: true })], notes: [] }), interpret: (_i, _o, _d, outcomes) => ((seen = outcomes[0]), {}) },
      { secrets: { receive: (_d, value) => received.push(value) > 0 } },
    );
    expect((await result).status).toBe("completed");
    expect(received).toEqual([{ keyId: "k1", secretText: "s3cr3t-value" }]);
    expect(seen).toMatchObject({ ok: true, value: { secret: true } });
    expect(JSON.stringify(events)).not.toContain("s3cr3t-value");
  });

  it("performs the effects interpret asks to retry, and judges the step by every outcome", async () => {
    const { performed, result } = run(
      {
        ...base,
        decide: () => ({ effects: [effect("x", "/x")], notes: [] }),
        interpret: (_i, _o, _d, outcomes) => (outcomes.length === 1 ? { retry: [effect("x", "/x")] } : { outputs: { tries: outcomes.length } }),
      },
      { refuse: (() => { let n = 0; return () => ++n === 1; })() },
    );
    const r = await result;
    expect(r.status).toBe("completed");
    expect(performed).toEqual(["x", "x"]);
    expect(r.outputs.act).toEqual({ tries: 2 });
  });

  it("dry run records the effects and their clean-up as planned and performs nothing", async () => {
    const { performed, events, result } = run({ ...base, decide: () => ({ effects: [effect("grant", "/grant", { cleanup: [effect("revoke", "/revoke")] })], notes: [] }) }, { dryRun: true });
    expect((await result).status).toBe("completed");
    expect(performed).toEqual([]);
    expect(events.filter((e) => e.kind === "action.planned").map((e) => e.summary)).toEqual(["would grant /grant", "would revoke /revoke"]);
    expect(events.find((e) => e.kind === "step.completed")?.data).toMatchObject({ status: "planned" });
  });
});

describe("memoisedGraph", () => {
  it("sends one GET per method, path and options for the whole run, and reads again after a failure", async () => {
    const { memoisedGraph } = await import("../../src/runbook/action-runner.js");
    const calls: string[] = [];
    let fail = true;
    const graph = memoisedGraph({
      get: async () => ({}) as never,
      find: async <T,>(path: string) => {
        calls.push(path);
        if (path === "/flaky" && fail) {
          fail = false;
          throw new AzirError("service", "503");
        }
        return { id: path } as T;
      },
      list: async () => [],
    });
    await Promise.all([graph.find("/users/a", { select: ["id"] }), graph.find("/users/a", { select: ["id"] }), graph.find("/users/a")]);
    expect(calls).toEqual(["/users/a", "/users/a"]);
    await expect(graph.find("/flaky")).rejects.toThrow("503");
    await expect(graph.find("/flaky")).resolves.toEqual({ id: "/flaky" });
  });

  it("a warmed list is the read's answer; its failure is kept for the first who asks, then read again", async () => {
    const { memoisedGraph } = await import("../../src/runbook/action-runner.js");
    const calls: string[] = [];
    let fail = true;
    const graph = memoisedGraph({
      get: async () => ({}) as never,
      find: async () => undefined,
      list: async <T,>(path: string) => {
        calls.push(path);
        if (path === "/refused" && fail) {
          fail = false;
          throw new AzirError("licence", "403");
        }
        return [{ id: path }] as T[];
      },
    });
    graph.warm("/listed", { filter: "x" });
    graph.warm("/refused");
    await new Promise((r) => setTimeout(r, 5));
    // both already answered: the list is not asked again, and the refusal reaches the action that asks
    await expect(graph.list("/listed", { filter: "x" })).resolves.toEqual([{ id: "/listed" }]);
    await expect(graph.list("/refused")).rejects.toThrow("403");
    expect(calls).toEqual(["/listed", "/refused"]);
    // after that first answer, a failure is forgotten like any other
    await expect(graph.list("/refused")).resolves.toEqual([{ id: "/refused" }]);
    expect(calls).toEqual(["/listed", "/refused", "/refused"]);
  });
});
