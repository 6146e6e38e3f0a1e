import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { hostname, tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { main } from "../../src/cli/main.js";
import { systemClock } from "../../src/core/clock.js";
import { resolveScenarioDir } from "../../src/tabletop/scenario/load.js";
import { startTabletop } from "../../src/tabletop/index.js";
import { memoryIo } from "../cli/io.js";
import { hostileFront } from "./hostile-front.js";

// The bad input corpus: every hostile or malformed input azir has met, as data (one table per kind, test/corpus/*.yaml),
// each run through the real CLI in-process with its expected exit code and a stable fragment of its error. None may
// end in "internal error ... this is a bug", and each ends in bounded time.

const file = z.union([
  z.string(),
  z.object({ symlink: z.string() }).strict(),
  z.object({ fifo: z.literal(true) }).strict(),
  /** `repeat` written `times` times, `{n}` in it numbered from 0. */
  z.object({ repeat: z.string(), times: z.number().int().positive() }).strict(),
]);
const caseSchema = z
  .object({
    name: z.string(),
    argv: z.array(z.string()).min(1),
    env: z.record(z.string(), z.string()).optional(),
    /** Files written into the case's folder ({dir}), by relative path. */
    files: z.record(z.string(), file).optional(),
    /** A copy of a built-in scenario at {dir}/scenario, with values set by JSON path ("users.1.id") and files written. */
    scenario: z
      .object({
        from: z.string(),
        set: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
        write: z.record(z.string(), file).optional(),
      })
      .optional(),
    /** A copy of a real contain journal at {journal}, edited. */
    journal: z
      .array(z.union([z.object({ replace: z.tuple([z.string(), z.string()]) }).strict(), z.object({ append: z.string() }).strict(), z.object({ truncate: z.number().int() }).strict()]))
      .optional(),
    /** With `journal`: another run (this test's own process, alive) holds the incident's lock. */
    held: z.boolean().optional(),
    /** With `journal`: the journal is byte for byte as it was before the command (nothing truncated or appended). */
    journalUnchanged: z.boolean().optional(),
    /** Hostile answers put in front of a simulated tenant (the CLI runs --tabletop against it). */
    http: z.array(z.object({ method: z.string().optional(), path: z.string(), status: z.number().int(), headers: z.record(z.string(), z.string()).optional(), body: z.unknown().optional(), times: z.number().int().optional() })).optional(),
    exit: z.number().int(),
    /** A stable fragment of what azir says on stderr. */
    error: z.string().min(1),
    /** With `http`: no Authorization header value the CLI sent (nor its token) in any stream or any file it wrote. */
    noTokens: z.boolean().optional(),
    /** With `http`: the run's credential gets opaque tokens (no JWT shape for a pattern to recognise). */
    opaqueTokens: z.boolean().optional(),
    /** Fragments that must not be on stderr or stdout (a false all-clear). */
    never: z.array(z.string()).optional(),
    timeoutMs: z.number().int().optional(),
  })
  .strict();
type Case = z.infer<typeof caseSchema>;

const here = import.meta.dirname;
const kinds = readdirSync(here)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => ({ kind: basename(f, ".yaml"), cases: z.array(caseSchema).parse(parse(readFileSync(join(here, f), "utf8"))) }));

let baseJournal = "";
beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), "azir-corpus-base-"));
  const io = memoryIo();
  expect(await main(["contain", "alex@contoso.com", "--tabletop", "--yes", "--out", out], io), io.err()).toBe(0);
  const incident = readdirSync(out)[0]!;
  baseJournal = join(out, incident, readdirSync(join(out, incident)).find((f) => f.endsWith(".jsonl"))!);
}, 60_000);

const results: Array<{ kind: string; name: string; code: number; internal: boolean }> = [];
afterAll(() => {
  // One line for the record: how many cases of each kind, and that none was an internal error.
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
  const byKind = [...counts].map(([k, n]) => `${k} ${n}`);
  process.stderr.write(`bad input corpus: ${results.length} cases (${byKind.join(", ")}); internal errors: ${results.filter((r) => r.internal).length}\n`);
});

function writeEntry(path: string, entry: z.infer<typeof file>): void {
  mkdirSync(dirname(path), { recursive: true });
  if (typeof entry === "string") writeFileSync(path, entry);
  else if ("symlink" in entry) symlinkSync(entry.symlink, path);
  else if ("fifo" in entry) execFileSync("mkfifo", [path]);
  else if (!entry.repeat.includes("{n}")) writeFileSync(path, entry.repeat.repeat(entry.times));
  else writeFileSync(path, Array.from({ length: entry.times }, (_, n) => entry.repeat.replaceAll("{n}", String(n))).join(""));
}

function setPath(target: unknown, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  const last = keys.at(-1)!;
  if (value === "$delete") delete node[last];
  else node[last] = value;
}

function prepare(c: Case, dir: string): Record<string, string> {
  const vars: Record<string, string> = { dir, out: join(dir, "incidents") };
  for (const [rel, entry] of Object.entries(c.files ?? {})) writeEntry(join(dir, rel), entry);
  if (c.scenario) {
    const to = join(dir, "scenario");
    cpSync(resolveScenarioDir(c.scenario.from), to, { recursive: true });
    for (const [name, sets] of Object.entries(c.scenario.set ?? {})) {
      const value: unknown = JSON.parse(readFileSync(join(to, name), "utf8"));
      for (const [path, v] of Object.entries(sets)) setPath(value, path, v);
      writeFileSync(join(to, name), JSON.stringify(value, null, 2));
    }
    for (const [rel, entry] of Object.entries(c.scenario.write ?? {})) writeEntry(join(to, rel), entry);
    vars.scenario = to;
  }
  if (c.journal) {
    const incident = join(vars.out!, basename(dirname(baseJournal)));
    mkdirSync(incident, { recursive: true, mode: 0o700 });
    let text = readFileSync(baseJournal, "utf8");
    for (const edit of c.journal) {
      if ("replace" in edit) {
        expect(text, `the base journal holds ${edit.replace[0]}`).toContain(edit.replace[0]);
        text = text.replace(edit.replace[0], edit.replace[1]);
      } else if ("append" in edit) text += edit.append;
      else text = text.slice(0, edit.truncate);
    }
    vars.journal = join(incident, basename(baseJournal));
    writeFileSync(vars.journal, text, { mode: 0o600 });
    if (c.held) writeFileSync(join(incident, ".azir.lock"), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }), { mode: 0o600 });
  }
  return vars;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

const fill = (s: string, vars: Record<string, string>): string => s.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);

for (const { kind, cases } of kinds) {
  describe(`bad input corpus: ${kind}`, () => {
    for (const c of cases) {
      it(c.name, { timeout: c.timeoutMs ?? 30_000 }, async () => {
        const dir = mkdtempSync(join(tmpdir(), "azir-corpus-"));
        const vars = prepare(c, dir);
        const env = Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, fill(v, vars)]));
        const io = memoryIo({ cwd: dir, env });
        const argv = c.argv.map((a) => fill(a, vars));
        const before = vars.journal ? readFileSync(vars.journal) : undefined;
        let code: number;
        const tokens: string[] = [];
        if (c.http) {
          const tenant = await startTabletop({ clock: systemClock });
          const front = await hostileFront(tenant, c.http as Parameters<typeof hostileFront>[1]);
          try {
            const opaque: string[] = [];
            const emulator = c.opaqueTokens
              ? {
                  ...front.emulator,
                  issueToken: () => {
                    opaque.push(`0paque-${randomUUID()}`);
                    return opaque.at(-1)!;
                  },
                }
              : front.emulator;
            code = await main(argv, io, { emulator });
            tokens.push(...opaque);
            for (const a of front.authorizations) tokens.push(a, a.replace(/^Bearer\s+/i, ""));
          } finally {
            await front.close();
            await tenant.close();
          }
        } else code = await main(argv, io);
        const said = `${io.err()}\n${io.out()}`;
        const internal = /internal error|this is a bug/.test(said);
        results.push({ kind, name: c.name, code, internal });
        expect(internal, said).toBe(false);
        expect(code, said).toBe(c.exit);
        expect(io.err(), said).toContain(fill(c.error, vars));
        for (const n of c.never ?? []) expect(said).not.toContain(n);
        if (c.journalUnchanged) expect(readFileSync(vars.journal!).equals(before!), "the journal was changed").toBe(true);
        if (c.noTokens) {
          expect(tokens.length).toBeGreaterThan(0);
          const outputs = [{ name: "stdout and stderr", text: said }, ...filesUnder(dir).map((f) => ({ name: f, text: readFileSync(f, "utf8") }))];
          const found = outputs.flatMap((o) => tokens.filter((t) => o.text.includes(t)).map(() => `a token in ${o.name}`));
          expect(found).toEqual([]);
        }
      });
    }
  });
}
