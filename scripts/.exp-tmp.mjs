const { analyzeKqlTree } = await import("../dist/kql/engine/kusto-language.js");
const dump = (n, d=0) => { if (n.text!==undefined) return; console.log(" ".repeat(d)+n.kind+(n.columns?" ["+n.columns.map(c=>c.name+":"+c.type).join(",")+"]":"")+(n.type?" :"+n.type:"")+(n.symbol?" sym="+n.symbol.kind+":"+n.symbol.name:"")); n.children.forEach(c=>dump(c,d+1)); };
dump((await analyzeKqlTree(process.argv[2], {})).tree);
