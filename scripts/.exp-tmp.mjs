await import("@kusto/language-service-next/bridge.js");
await import("@kusto/language-service-next/Kusto.Language.Bridge.js");
const L = Kusto.Language;
const q = `let f = (a:string, n:long = 3) { let k = strcat(a, "!"); let T = datatable(v:string)["z"]; T | extend w = strcat(k, v, tostring(n)) };
f("x")`;
const code = L.KustoCode.ParseAndAnalyze(q, L.GlobalState.Default);
const diags = code.GetDiagnostics(); for (let i=0;i<diags.Count;i++) console.log(diags.getItem(i).Message);
const kindName = (n) => System.Enum.toString(L.Syntax.SyntaxKind, n.Kind);
function dump(n, d=0) { if (!n) return; if (n.IsToken) return; const rs = n.ReferencedSymbol; console.log(" ".repeat(d)+kindName(n)+" "+(rs? System.Enum.toString(L.Symbols.SymbolKind, rs.Kind)+":"+rs.Name:"")+ " ["+n.toString().slice(0,40).replace(/\n/g," ")+"]");
  if (kindName(n)==="FunctionCallExpression" && n.GetExpansion) { const e = n.GetExpansion(); console.log(" ".repeat(d)+"  EXPANSION:", e && kindName(e)); if (e) dump(e, d+4); }
  for (let i=0;i<n.ChildCount;i++) dump(n.GetChild(i), d+1); }
dump(code.Syntax);
