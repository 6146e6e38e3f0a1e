import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

// Three projects, one run (`npm test`):
// - kql: tests that load Kusto.Language (32 MB, 1-2 s to load). Workers keep their module graph between files
//   (isolate: false), so the parser loads once per worker rather than once per file.
// - e2e: tests that start emulators on 127.0.0.1 or spawn the CLI. Each closes what it starts and restores what it
//   changes (process.env, signal handlers), so they share worker processes too.
// - unit: everything else. None of them loads Kusto.Language, which test/kql/plan-cache.test.ts relies on to show
//   that the plan cache serves shipped queries without it.
const kql = ["test/kql/**/!(plan-cache).test.ts", "test/tabletop/emulator-kql.test.ts", "test/cli/kql.test.ts"];
const e2e = ["test/e2e/**/*.test.ts", "test/cli/**/*.test.ts", "test/azure/**/*.test.ts", "test/tabletop/emulator.test.ts", "test/timeline/crash.test.ts", "test/timeline/large-documents.test.ts", "test/corpus/**/*.test.ts", "test/faults/**/*.test.ts"];

// - isolated: tests that mock a built-in module (a full disk): they need a module graph of their own.
const isolated = ["test/**/*.isolated.test.ts"];

const projectOrder = ["kql", "e2e", "unit", "isolated"];
// The longest single test (the conformance corpus, ~9 s): started first, the other files fill the other workers.
const first = ["test/kql/conformance.test.ts"];

/**
 * Files of one project back to back (a worker is reused only for the next file of the same project), projects in
 * `projectOrder`, `first` at the head; otherwise vitest's own order (slowest known first).
 */
class Sequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => [first.some((p) => f.moduleId.endsWith(p)) ? 0 : 1, projectOrder.indexOf(f.project.name)];
    return (await super.sort(files)).sort((a, b) => {
      const [ra, rb] = [rank(a), rank(b)];
      return ra[1]! - rb[1]! || ra[0]! - rb[0]!;
    });
  }
}

export default defineConfig({
  test: {
    // Runs sign their journals with a key of the test run's own, never the responder's ~/.config/azir/journal.key.
    env: { AZIR_JOURNAL_KEY: process.env.AZIR_JOURNAL_KEY ?? join(tmpdir(), `azir-test-journal-${process.pid}.key`) },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Much of the time is spent waiting on child processes, sockets and Retry-After: a worker per core, at least two.
    maxWorkers: Math.max(2, availableParallelism()),
    sequence: { sequencer: Sequencer },
    projects: [
      { extends: true, test: { name: "kql", include: kql, pool: "threads", isolate: false } },
      { extends: true, test: { name: "e2e", include: e2e, exclude: kql, pool: "forks", isolate: false } },
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: [...kql, ...e2e, ...isolated], pool: "threads", isolate: false, setupFiles: ["test/setup/unit-without-kusto.ts"] } },
      { extends: true, test: { name: "isolated", include: isolated, pool: "forks", isolate: true } },
    ],
  },
});
