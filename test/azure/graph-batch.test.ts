import { describe, expect, it } from "vitest";
import { maxBatchSize, packBatches, retryDelay } from "../../src/azure/graph-batch.js";

describe("packing requests into batches", () => {
  const item = (id: string, deps: string[] = []) => ({ id, deps });
  const pack = (items: Array<{ id: string; deps: string[] }>, size?: number) =>
    packBatches(items, (i) => items.filter((d) => i.deps.includes(d.id)), size).map((b) => b.map((i) => i.id));

  it("keeps a chain in one batch and fills batches first fit, at most 20", () => {
    const users = Array.from({ length: 7 }, (_, u) => [item(`b${u}`), item(`r${u}`, [`b${u}`]), item(`c${u}`, [`r${u}`])]).flat();
    const batches = pack(users);
    expect(batches.every((b) => b.length <= maxBatchSize)).toBe(true);
    expect(batches.flat().sort()).toEqual(users.map((u) => u.id).sort());
    for (let u = 0; u < 7; u++) expect(batches.filter((b) => b.includes(`b${u}`) || b.includes(`r${u}`) || b.includes(`c${u}`))).toHaveLength(1);
    expect(batches.map((b) => b.length)).toEqual([18, 3]);
  });

  it("cuts a chain longer than a batch in order", () => {
    const chain = Array.from({ length: 5 }, (_, i) => item(`x${i}`, i ? [`x${i - 1}`] : []));
    expect(pack(chain, 2)).toEqual([["x0", "x1"], ["x2", "x3"], ["x4"]]);
  });

  it("independent requests share batches", () => {
    expect(pack(Array.from({ length: 45 }, (_, i) => item(`g${i}`))).map((b) => b.length)).toEqual([20, 20, 5]);
  });
});

describe("Retry-After of an inner response", () => {
  it("is seconds or an HTTP date; without one, the fallback", () => {
    expect(retryDelay({ "Retry-After": "3" }, 999, 0)).toBe(3000);
    expect(retryDelay({ "retry-after": "0" }, 999, 0)).toBe(0);
    expect(retryDelay({ "Retry-After": "Tue, 01 Dec 2026 18:00:05 GMT" }, 999, Date.parse("2026-12-01T18:00:00Z"))).toBe(5000);
    expect(retryDelay({}, 999, 0)).toBe(999);
    expect(retryDelay(undefined, 999, 0)).toBe(999);
  });
});
