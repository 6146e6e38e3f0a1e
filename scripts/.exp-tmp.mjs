const { compile, UnsupportedKqlError } = await import("../dist/kql/engine/index.js");
import { readFileSync } from "node:fs";
for (const l of readFileSync("/work/shared/kql-conformance/kusto-results.jsonl","utf8").trim().split("\n")) {
  const c = JSON.parse(l);
  try { await compile(c.kql, {}); } catch (e) { if (e instanceof UnsupportedKqlError && /reassigns/.test(e.message)) console.log(c.id, c.kql.slice(0, 250), "=>", c.columns.join(","), c.rows.slice(0,3).join(" ")); }
}
