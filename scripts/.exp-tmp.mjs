const { analyzeKqlTree } = await import("../dist/kql/engine/kusto-language.js");
for (const q of process.argv.slice(2)) {
  const r = await analyzeKqlTree(q, {});
  const top = (n) => n.columns ? n : n.children.map(top).find(Boolean);
  const find = (n) => (n.kind === "ExpressionStatement" ? n : n.children.map(find).find(Boolean));
  const es = find(r.tree);
  const p = es && es.children.find(c => c.columns);
  console.log(q, "\n  ", r.diagnostics.map(d=>d.message).join("; "), "\n  ", p && p.columns.map(c=>c.name+":"+c.type).join(", "));
}
const dump = (n, d=0) => { if (n.text!==undefined) return; console.log(" ".repeat(d)+n.kind+(n.columns?" ["+n.columns.map(c=>c.name).join(",")+"]":"")+(n.type?" :"+n.type:"")); n.children.forEach(c=>dump(c,d+1)); };
if (process.env.DUMP) dump((await analyzeKqlTree(process.argv[2], {})).tree);
