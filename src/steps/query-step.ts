import { AzirError, isAzirError } from "../core/errors.js";
import type { LogsPort, LogsTable } from "../core/ports.js";

/** One row keyed by column name (datetimes ISO strings, dynamic cells parsed). */
export type QueryRow = Record<string, unknown>;

/** Data azir did not get: never reported as clean. */
export interface QueryGap {
  window: { start: string; end: string } | null;
  code: string;
  message: string;
}

export interface QueryStepResult {
  rows: QueryRow[];
  gaps: QueryGap[];
  /** Number of requests sent (more than one when the window was split). */
  requests: number;
}

export interface QueryStepInput {
  logs: LogsPort;
  workspaceId: string;
  /** Rendered KQL (parameters already bound as literals). */
  query: string;
  window: { start: Date; end: Date } | null;
  timeoutSeconds?: number;
  signal?: AbortSignal;
  /** Bounds the number of queries in flight (Log Analytics allows 5 concurrent per user). */
  limit: <T>(task: () => Promise<T>) => Promise<T>;
  /** How many times a window may be halved after a size limit. */
  maxSplitDepth?: number;
}

// Result-size limits are worth a split; other partial errors are not.
const sizeLimit = /(record count|row|size|limit|exceed|truncat)/i;
// A query that aggregates cannot be answered by concatenating the halves of its window.
const aggregates = /\|\s*(summarize|count|top|top-nested|distinct|make-series|evaluate)\b/i;

function toRows(table: LogsTable | undefined): QueryRow[] {
  if (!table) return [];
  return table.rows.map((cells) => {
    const row: QueryRow = {};
    table.columns.forEach((c, i) => (row[c.name] = cells[i] ?? null));
    return row;
  });
}

const iso = (d: Date): string => d.toISOString();

/**
 * Runs one rendered query. A partial result becomes a gap; when the cause is a size limit and the query
 * returns plain rows, the window is halved and each half queried again (up to `maxSplitDepth` times).
 */
export async function runQueryStep(input: QueryStepInput): Promise<QueryStepResult> {
  const maxDepth = input.maxSplitDepth ?? 4;
  const canSplit = input.window !== null && !aggregates.test(input.query);
  let requests = 0;

  const runWindow = async (window: { start: Date; end: Date } | null, depth: number): Promise<{ rows: QueryRow[]; gaps: QueryGap[] }> => {
    requests++;
    const result = await input.limit(() =>
      input.logs.query(
        {
          workspaceId: input.workspaceId,
          query: input.query,
          ...(window ? { timespan: window } : {}),
          ...(input.timeoutSeconds ? { timeoutSeconds: input.timeoutSeconds } : {}),
        },
        input.signal,
      ),
    );
    if (result.complete) return { rows: toRows(result.tables[0]), gaps: [] };
    const windowText = window ? { start: iso(window.start), end: iso(window.end) } : null;
    if (canSplit && window && depth < maxDepth && sizeLimit.test(`${result.reason.code} ${result.reason.message}`)) {
      const mid = new Date(window.start.getTime() + Math.floor((window.end.getTime() - window.start.getTime()) / 2));
      const [a, b] = [await runWindow({ start: window.start, end: mid }, depth + 1), await runWindow({ start: mid, end: window.end }, depth + 1)];
      return { rows: [...a.rows, ...b.rows], gaps: [...a.gaps, ...b.gaps] };
    }
    return {
      rows: toRows(result.tables[0]),
      gaps: [{ window: windowText, code: result.reason.code, message: result.reason.message }],
    };
  };

  try {
    const { rows, gaps } = await runWindow(input.window, 0);
    return { rows, gaps, requests };
  } catch (error) {
    if (isAzirError(error)) throw error;
    throw new AzirError("service", `Log Analytics query failed: ${(error as Error).message}`, { cause: error });
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
