import { afterAll, beforeAll } from "vitest";

// Setup of the unit project (vitest.config.ts): its files share workers and none loads Kusto.Language, so that
// test/kql/plan-cache.test.ts can tell from the global `Kusto` (installed by the parser) that the cache served a query.
let loadedBefore = false;
beforeAll(() => {
  loadedBefore = Object.keys(globalThis).includes("Kusto");
});
afterAll(() => {
  if (!loadedBefore && Object.keys(globalThis).includes("Kusto")) {
    throw new Error("this file loads Kusto.Language: list it among the kql project's files in vitest.config.ts");
  }
});
