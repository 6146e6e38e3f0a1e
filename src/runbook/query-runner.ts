import { parseDuration } from "../core/duration.js";
import { AzirError, isAzirError } from "../core/errors.js";
import type { Clock } from "../core/clock.js";
import type { LogsPort, LogsTable } from "../core/ports.js";
import type { AnalyzerDefinition, Finding } from "../analyze/types.js";
import { parseQueryFile, renderQuery } from "../kql/render.js";
import { withStandIns } from "../kql/stand-in.js";
import { tableSchemas } from "../kql/tables.js";
import { events } from "./events.js";
import type { JournalSink } from "./execute.js";
import type { QueryStep } from "./schema.js";
import { usersForm } from "./rules.js";
import { findReferences, resolveTemplates, type TemplateScope } from "./template.js";

/** One row keyed by column name (datetimes ISO strings, dynamic cells parsed). */
export type QueryRow = Record<string, unknown>;

type Window = { start: string; end: string };

/** Data azir did not get: never reported as clean. */
export interface QueryGap {
  window: Window | null;
  code: string;
  message: string;
}

/** A gap of one step, as the run reports it. */
export type StepGap = QueryGap & { step: string; query: string };

/** What a query step gave the run. */
export interface QueryStepOutcome {
  summary: string;
  outputs: Record<string, unknown>;
}

/** The fetched rows of a query step, or the error with the window it was for. */
type Fetched =
  | { ok: true; rows: QueryRow[]; gaps: QueryGap[]; requests: number; window: { start: Date; end: Date } | null; durationMs: number; sharedWith?: number }
  | { ok: false; error: AzirError; window: { start: Date; end: Date } | null };

export interface QueryRunnerOptions {
  logs: LogsPort;
  workspaceId: string;
  clock: Clock;
  signal: AbortSignal;
  journal: JournalSink;
  analyzers: Readonly<Record<string, AnalyzerDefinition>>;
  /** Text of a step's KQL file. */
  loadQuery(query: string): Promise<string>;
  /** Log Analytics allows 5 concurrent queries per user. */
  maxConcurrentQueries: number;
  /** Collects the run's findings and gaps. */
  findings: Array<Finding & { step: string }>;
  gaps: StepGap[];
}

// Result-size limits are worth a split; other partial errors are not.
const sizeLimit = /(record count|row|size|limit|exceed|truncat)/i;
// A query that aggregates cannot be answered by concatenating the halves of its window.
const aggregates = /\|\s*(summarize|count|top|top-nested|distinct|make-series|evaluate)\b/i;
/** Users in one query of a step's form for several users: its result stays far below Log Analytics' size limits. */
export const maxUsersPerQuery = 50;
/** How many times a window may be halved after a size limit. */
const maxSplitDepth = 4;

const iso = (d: Date): string => d.toISOString();
const windowText = (w: { start: Date; end: Date } | null): Window | null => (w ? { start: iso(w.start), end: iso(w.end) } : null);

function toAzirError(error: unknown): AzirError {
  if (isAzirError(error)) return error;
  return new AzirError("service", `Log Analytics query failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

function toRows(table: LogsTable | undefined): QueryRow[] {
  if (!table) return [];
  return table.rows.map((cells) => {
    const row: QueryRow = {};
    table.columns.forEach((c, i) => (row[c.name] = cells[i] ?? null));
    return row;
  });
}

/**
 * The query step, in one place: binds the KQL file's parameters, computes the window once, runs it through Log
 * Analytics (splitting the window after a size limit, standing in for optional tables the workspace lacks),
 * records every gap, runs the analyzer and journals the findings.
 */
export class QueryRunner {
  private readonly limit: <T>(task: () => Promise<T>) => Promise<T>;

  constructor(private readonly o: QueryRunnerOptions) {
    this.limit = createLimiter(o.maxConcurrentQueries);
  }

  /** Steps whose findings the query's own parameters use: it can be sent once they are done. */
  async fetchDependencies(step: QueryStep): Promise<string[]> {
    const declared = new Set(await this.declared(step));
    const used = Object.entries(step.with ?? {}).filter(([k]) => declared.has(k));
    const refs = findReferences(used.map(([, v]) => v)).flatMap((r) => (r.kind === "findings" ? [r.step] : []));
    return [...new Set([...(step.after ?? []), ...refs])];
  }

  private async declared(step: QueryStep): Promise<string[]> {
    const text = await this.o.loadQuery(step.query);
    return parseQueryFile(text, step.query).parameters.map((p) => p.name);
  }

  /**
   * Sends the query; never rejects (a failure comes back with its window, for the gap). A step with a form for several
   * users (`forUsers`) joins the steps of other users that fetch the same query in the same turn: one query for up to
   * `maxUsersPerQuery` of them, each step given its own user's rows (and every gap of the query it shared).
   */
  async fetch(step: QueryStep, scope: TemplateScope): Promise<Fetched> {
    if (step.forUsers !== undefined) {
      const joined = await this.join(step, step.forUsers, scope).catch((error: unknown) => ({ ok: false as const, error: toAzirError(error), window: null }));
      if (joined !== undefined) return joined;
    }
    return this.fetchOne(step, scope);
  }

  private readonly groups = new Map<string, Array<{ step: QueryStep; upn: string; done(f: Fetched): void }>>();

  /** Joins the step to the query for several users; undefined when it is alone (then it is sent as itself). */
  private async join(step: QueryStep, forUsers: string, scope: TemplateScope): Promise<Fetched | undefined> {
    const [oneText, manyText] = await Promise.all([this.o.loadQuery(step.query), this.o.loadQuery(forUsers)]);
    const one = parseQueryFile(oneText, step.query).parameters.map((p) => p.name);
    const many = parseQueryFile(manyText, forUsers).parameters.map((p) => p.name);
    const form = usersForm(one, many);
    if (!form) throw new AzirError("validation", `${forUsers} must declare the parameters of ${step.query} with one of them (the user) replaced by a list`);
    const own = Object.fromEntries(Object.entries(step.with ?? {}).filter(([k]) => one.includes(k)));
    const resolved = (resolveTemplates(own, scope) ?? {}) as Record<string, unknown>;
    const upn = resolved[form.user];
    if (typeof upn !== "string") return undefined;
    const { [form.user]: _user, ...rest } = resolved;
    // Steps join when everything but the user is the same: the query, its other parameters, how it is run.
    const key = JSON.stringify([forUsers, rest, step.optionalTables ?? [], step.timeoutSeconds ?? null]);
    return new Promise<Fetched | undefined>((done) => {
      let group = this.groups.get(key);
      if (!group) {
        group = [];
        this.groups.set(key, group);
        // Everything that fetches in this turn of the event loop (and the promise jobs it starts) goes together.
        setImmediate(() => {
          this.groups.delete(key);
          void this.sendJoined(group!, forUsers, form.list, rest);
        });
      }
      group.push({ step, upn, done: done as (f: Fetched | undefined) => void });
    });
  }

  private async sendJoined(group: Array<{ step: QueryStep; upn: string; done(f: Fetched | undefined): void }>, forUsers: string, list: string, rest: Record<string, unknown>): Promise<void> {
    if (group.length === 1) return group[0]!.done(undefined);
    for (let i = 0; i < group.length; i += maxUsersPerQuery) {
      const part = group.slice(i, i + maxUsersPerQuery);
      const users = [...new Set(part.map((m) => m.upn))];
      // The step's own settings (optional tables, timeout) are the same for every member: the key says so.
      const step: QueryStep = { ...part[0]!.step, query: forUsers };
      void this.fetchRendered(step, { ...rest, [list]: users }).then((fetched) => {
        for (const member of part) {
          if (!fetched.ok) {
            member.done(fetched);
            continue;
          }
          const rows = fetched.rows.filter((r) => typeof r.ForUser === "string" && r.ForUser.toLowerCase() === member.upn.toLowerCase()).map(({ ForUser: _u, ...row }) => row);
          member.done({ ...fetched, rows, sharedWith: users.length });
        }
      });
    }
  }

  private async fetchOne(step: QueryStep, scope: TemplateScope): Promise<Fetched> {
    try {
      const text = await this.o.loadQuery(step.query);
      const declared = parseQueryFile(text, step.query).parameters.map((p) => p.name);
      // Only the query's own parameters are known at fetch time; the rest of `with` is for the analyzer.
      const own = Object.fromEntries(Object.entries(step.with ?? {}).filter(([k]) => declared.includes(k)));
      return await this.fetchRendered(step, (resolveTemplates(own, scope) ?? {}) as Record<string, unknown>);
    } catch (error) {
      return { ok: false, error: toAzirError(error), window: null };
    }
  }

  /** Renders the step's query with these parameter values and runs it. */
  private async fetchRendered(step: QueryStep, resolved: Record<string, unknown>): Promise<Fetched> {
    let window: { start: Date; end: Date } | null = null;
    try {
      const text = await this.o.loadQuery(step.query);
      const declared = parseQueryFile(text, step.query).parameters.map((p) => p.name);
      const rendered = renderQuery(text, Object.fromEntries(declared.map((name) => [name, resolved[name]])), step.query);
      window = queryWindow(resolved, this.o.clock.now());
      const started = performance.now();
      const result = await this.runWithStandIns(step, rendered, window);
      return { ok: true, ...result, window, durationMs: Math.round(performance.now() - started) };
    } catch (error) {
      return { ok: false, error: toAzirError(error), window };
    }
  }

  /**
   * A table the step declares optional and the workspace lacks is replaced by an empty table of its schema (a `let`
   * of that name shadows the table), and the gap is recorded: the other tables still answer.
   */
  private async runWithStandIns(step: QueryStep, rendered: string, window: { start: Date; end: Date } | null): Promise<{ rows: QueryRow[]; gaps: QueryGap[]; requests: number }> {
    const missing: string[] = [];
    const gaps: QueryGap[] = [];
    for (;;) {
      try {
        const result = await this.run(withStandIns(rendered, missing), window, step.timeoutSeconds);
        return { ...result, gaps: [...gaps, ...result.gaps] };
      } catch (error) {
        const table = toAzirError(error).details.find((d) => d.startsWith("table: "))?.slice("table: ".length);
        const optional = table !== undefined && (step.optionalTables ?? []).includes(table) && tableSchemas[table] !== undefined;
        if (!optional || missing.includes(table)) throw error;
        missing.push(table);
        gaps.push({ window: windowText(window), code: "table-not-found", message: `the workspace has no table '${table}': the query ran without it` });
      }
    }
  }

  /**
   * Runs one rendered query. A partial result becomes a gap; when the cause is a size limit and the query returns
   * plain rows, the window is halved and each half queried again (up to `maxSplitDepth` times).
   */
  private async run(query: string, window: { start: Date; end: Date } | null, timeoutSeconds: number | undefined): Promise<{ rows: QueryRow[]; gaps: QueryGap[]; requests: number }> {
    const canSplit = window !== null && !aggregates.test(query);
    let requests = 0;
    const runWindow = async (w: { start: Date; end: Date } | null, depth: number): Promise<{ rows: QueryRow[]; gaps: QueryGap[] }> => {
      requests++;
      const result = await this.limit(() =>
        this.o.logs.query({ workspaceId: this.o.workspaceId, query, ...(w ? { timespan: w } : {}), ...(timeoutSeconds ? { timeoutSeconds } : {}) }, this.o.signal),
      );
      if (result.complete) return { rows: toRows(result.tables[0]), gaps: [] };
      if (canSplit && w && depth < maxSplitDepth && sizeLimit.test(`${result.reason.code} ${result.reason.message}`)) {
        const mid = new Date(w.start.getTime() + Math.floor((w.end.getTime() - w.start.getTime()) / 2));
        const [a, b] = [await runWindow({ start: w.start, end: mid }, depth + 1), await runWindow({ start: mid, end: w.end }, depth + 1)];
        return { rows: [...a.rows, ...b.rows], gaps: [...a.gaps, ...b.gaps] };
      }
      return { rows: toRows(result.tables[0]), gaps: [{ window: windowText(w), code: result.reason.code, message: result.reason.message }] };
    };
    const { rows, gaps } = await runWindow(window, 0);
    return { rows, gaps, requests };
  }

  /** Journals the gaps, runs the analyzer on the rows and journals the findings and the query. Throws on a failed fetch. */
  complete(step: QueryStep, fetched: Fetched, scope: TemplateScope): QueryStepOutcome {
    if (!fetched.ok) {
      const e = fetched.error;
      // A missing table or a timed-out query is data azir did not get: a gap, whether or not the step may fail.
      const code = e.code === "not-found" ? "table-not-found" : e.details.some((d) => /^status: (504|408)$/.test(d)) ? "timeout" : undefined;
      if (code) this.gap(step, { window: windowText(fetched.window), code, message: e.message }, `${step.query}: ${e.message}`);
      throw e;
    }
    for (const gap of fetched.gaps) {
      this.gap(step, gap, `${step.query}: incomplete data (${gap.code}) for ${gap.window ? `${gap.window.start} .. ${gap.window.end}` : "the whole query"}`);
    }
    let outputs: Record<string, unknown> = { rowCount: fetched.rows.length };
    let findings: Finding[] = [];
    if (step.analyze) {
      const analyzer = this.o.analyzers[step.analyze];
      if (!analyzer) throw new AzirError("validation", `unknown analyzer "${step.analyze}"`);
      const all = (resolveTemplates(step.with ?? {}, scope) ?? {}) as Record<string, unknown>;
      const window = windowText(fetched.window) ?? { start: "", end: this.o.clock.now().toISOString() };
      const analysis = analyzer.analyze({ rows: fetched.rows, with: { windowStart: windowStartOf(all, this.o.clock.now())?.toISOString() ?? window.start, ...all }, window });
      findings = analysis.findings;
      outputs = { ...outputs, ...analysis.outputs };
    } else {
      outputs.rows = fetched.rows;
    }
    for (const f of findings) {
      this.o.findings.push({ ...f, step: step.id });
      this.o.journal.append(events.finding(step.id, f));
    }
    const complete = fetched.gaps.length === 0;
    const summary = `${step.query}: ${fetched.rows.length} row(s), ${findings.length} finding(s)${complete ? "" : ", INCOMPLETE"}`;
    this.o.journal.append(
      events.query(step.id, step.query, {
        window: windowText(fetched.window),
        rows: fetched.rows.length,
        requests: fetched.requests,
        durationMs: fetched.durationMs,
        ...(fetched.sharedWith ? { sharedWith: fetched.sharedWith, ...(step.forUsers ? { sentAs: step.forUsers } : {}) } : {}),
        complete,
        summary,
        outputs,
      }),
    );
    return { summary, outputs };
  }

  private gap(step: QueryStep, gap: QueryGap, summary: string): void {
    this.o.gaps.push({ ...gap, step: step.id, query: step.query });
    this.o.journal.append(events.gap(step.id, step.query, summary, gap));
  }
}

/** A small FIFO limiter: at most `max` tasks at once. */
export function createLimiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

function durationOf(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string") return parseDuration(value);
  return undefined;
}

/** Start of the analysis window: now - lookback (the baseline lies before it). */
function windowStartOf(resolved: Record<string, unknown>, now: Date): Date | undefined {
  if (typeof resolved.since === "string") return new Date(resolved.since);
  const lookback = durationOf(resolved.lookback);
  return lookback === undefined ? undefined : new Date(now.getTime() - lookback);
}

/** The time range a query covers (sent as the request's timespan): lookback + baseline back from now, or since..now. */
export function queryWindow(resolved: Record<string, unknown>, now: Date): { start: Date; end: Date } | null {
  if (typeof resolved.since === "string" && !Number.isNaN(new Date(resolved.since).getTime())) return { start: new Date(resolved.since), end: now };
  const lookback = durationOf(resolved.lookback);
  if (lookback === undefined) return null;
  const baseline = durationOf(resolved.baseline) ?? 0;
  return { start: new Date(now.getTime() - lookback - baseline), end: now };
}
