const { analyzeKqlTree } = await import("../dist/kql/engine/kusto-language.js");
import { readFileSync } from "node:fs";
const lines = readFileSync("/work/shared/kql-conformance/kusto-results.jsonl","utf8").trim().split("\n");
const ops = /^(Has|NotHas|Contains|NotContains|StartsWith|EndsWith|EqualTilde|BangTilde|HasAny|HasAll|InCs|In|NotIn|NotInCs|MatchesRegex|HasPrefix|HasSuffix|Equal|NotEqual|LessThan|GreaterThan)[A-Za-z]*Expression$/;
const num = /^(long|int|real)$/;
for (const l of lines) {
  const c = JSON.parse(l);
  let t; try { t = await analyzeKqlTree(c.kql, {}); } catch { continue; }
  const hits = [];
  const walk = (n) => { if (ops.test(n.kind)) { const ps = n.children.filter(x=>x.text===undefined && x.kind!=="List"); const lt = ps[0]?.type; let rt = ps[1]?.type; if (ps[1] && ps[1].kind==="ExpressionList") { const items=[]; const w2=(m)=>{ if(m.type && m.kind!=="ExpressionList") items.push(m.type); else m.children.forEach(w2)}; w2(ps[1]); rt = items.join("/"); }
      if (lt === "dynamic" || (lt==="string" && num.test(rt ?? "")) || (num.test(lt??"") && rt==="string") || (lt==="string" && /long|int|real/.test(rt??"") && n.kind.includes("In"))) hits.push(`${n.kind}(${lt},${rt})`); }
    for (const ch of n.children) walk(ch); };
  walk(t.tree);
  if (hits.length) console.log(c.id, hits.join(" "), "|", c.kql.slice(0,160).replace(/\n/g," "), "=>", c.rows.slice(0,2).join(" ").slice(0,120));
}
