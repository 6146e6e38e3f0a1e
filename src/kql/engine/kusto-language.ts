/**
 * The one module that touches Kusto.Language (Microsoft's KQL parser and semantic analyser, compiled to JavaScript
 * with Bridge.NET). The library is 32 MB and takes 1-2 s to initialise, so it is imported lazily on first use and
 * only when a query is not found in the plan cache, or when KQL is validated.
 *
 * Everything leaving this module is plain data: diagnostics, and a generic syntax tree (kind names, token text,
 * result types) that `lower.ts` turns into a plan.
 */
import type { TableSchema } from "../tables.js";
import { schemaText } from "../tables.js";

/** One problem Kusto.Language found in a query (KS142 unknown column, KS204 unknown table, KS005 syntax, ...). */
export interface KqlDiagnostic {
  code: string;
  severity: "error" | "warning";
  message: string;
  /** 1-based line and column of `offset` in the text analysed. */
  line: number;
  column: number;
  /** 0-based character offset and length of the span the problem covers. */
  offset: number;
  length: number;
}

/** A column of a tabular result type as Kusto.Language computes it (type names: long, int, real, string, ...). */
export interface SyntaxColumn {
  name: string;
  type: string;
}

/**
 * A node of the analysed syntax tree, as plain data. Tokens carry `text`; expressions carry their result `type`
 * (a scalar type name) or `columns` (a tabular result); literal expressions carry `value` as Kusto.Language decoded
 * it (strings unescaped, longs as decimal text, timespans as 100 ns ticks in decimal text).
 */
export interface SyntaxNode {
  kind: string;
  start: number;
  end: number;
  text?: string;
  type?: string;
  columns?: SyntaxColumn[];
  value?: string | null;
  /** Kind and name of the symbol a name or function call refers to, e.g. `Column`, `Variable`, `Table`, `Function`. */
  symbol?: { kind: string; name: string };
  /** A call of a function declared with a body (`let f = (a:string) { ... }`): its body as Kusto.Language analyses it
   * for this call, parameters read as variables of the argument types. */
  expansion?: SyntaxNode;
  children: SyntaxNode[];
}

export interface AnalysedKql {
  diagnostics: KqlDiagnostic[];
  tree: SyntaxNode;
}

// Minimal structural view of the Bridge.NET objects this module uses.
interface NetList<T> {
  Count: number;
  getItem(i: number): T;
}
interface NetType {
  Name: string;
  Kind: number;
  Columns?: NetList<{ Name: string; Type: { Name: string } }>;
}
interface NetNode {
  Kind: number;
  IsToken: boolean;
  Text?: string;
  TextStart: number;
  End: number;
  ChildCount: number;
  GetChild(i: number): NetNode | null;
  ResultType?: NetType | null;
  LiteralValue?: unknown;
  ReferencedSymbol?: { Kind: number; Name: string } | null;
  GetExpansion?(): NetNode | null;
}
interface NetDiagnostic {
  Code: string;
  Severity: string;
  Message: string;
  Start: number;
  Length: number;
}
interface KustoCodeLike {
  Syntax: NetNode;
  GetDiagnostics(): NetList<NetDiagnostic>;
}
interface KustoLanguageApi {
  KustoCode: { ParseAndAnalyze(text: string, globals: unknown): KustoCodeLike };
  GlobalState: { Default: { WithDatabase(db: unknown): unknown } };
  Symbols: {
    TableSymbol: { $ctor7: new (name: string, schema: string, description: string | null) => unknown };
    DatabaseSymbol: { $ctor1: new (name: string, members: unknown[], isOpen: boolean) => unknown };
    SymbolKind: object;
  };
  Syntax: { SyntaxKind: object };
}
interface BridgeGlobals {
  Kusto: { Language: KustoLanguageApi };
  System: { Enum: { toString(enumType: object, value: number): string } };
}

let loading: Promise<BridgeGlobals> | undefined;

/** Imports the library once (it installs the globals `Bridge`, `System`, `Kusto`). */
function load(): Promise<BridgeGlobals> {
  loading ??= (async () => {
    await import("@kusto/language-service-next/bridge.js" as string);
    await import("@kusto/language-service-next/Kusto.Language.Bridge.js" as string);
    return globalThis as unknown as BridgeGlobals;
  })();
  return loading;
}

const globalsCache = new Map<string, unknown>();

function globalsFor(g: BridgeGlobals, schemas: Record<string, TableSchema>): unknown {
  const key = JSON.stringify(Object.entries(schemas).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  let globals = globalsCache.get(key);
  if (globals === undefined) {
    const L = g.Kusto.Language;
    const tables = Object.entries(schemas).map(([name, schema]) => new L.Symbols.TableSymbol.$ctor7(name, schemaText(schema), null));
    const db = new L.Symbols.DatabaseSymbol.$ctor1("db", tables, false);
    globals = L.GlobalState.Default.WithDatabase(db);
    if (globalsCache.size > 16) globalsCache.clear();
    globalsCache.set(key, globals);
  }
  return globals;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function position(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

function diagnosticsOf(code: KustoCodeLike, text: string): KqlDiagnostic[] {
  const list = code.GetDiagnostics();
  const starts = lineStarts(text);
  const out: KqlDiagnostic[] = [];
  for (let i = 0; i < list.Count; i++) {
    const d = list.getItem(i);
    const { line, column } = position(starts, d.Start);
    out.push({
      code: d.Code,
      severity: String(d.Severity).toLowerCase() === "warning" ? "warning" : "error",
      message: d.Message,
      line,
      column,
      offset: d.Start,
      length: d.Length,
    });
  }
  return out;
}

function convert(g: BridgeGlobals, n: NetNode): SyntaxNode {
  const L = g.Kusto.Language;
  const kind = g.System.Enum.toString(L.Syntax.SyntaxKind, n.Kind);
  const node: SyntaxNode = { kind, start: n.TextStart, end: n.End, children: [] };
  if (n.IsToken) {
    node.text = n.Text ?? "";
    return node;
  }
  const rt = n.ResultType;
  if (rt) {
    if (rt.Columns && typeof rt.Columns.Count === "number") {
      const cols: SyntaxColumn[] = [];
      for (let i = 0; i < rt.Columns.Count; i++) {
        const c = rt.Columns.getItem(i);
        cols.push({ name: c.Name, type: c.Type.Name });
      }
      node.columns = cols;
    } else node.type = rt.Name;
  }
  if (kind.endsWith("LiteralExpression") || kind === "DynamicExpression") {
    const v = n.LiteralValue;
    if (v === null || v === undefined) node.value = null;
    else if (typeof v === "string") node.value = v;
    else if (kind === "TimespanLiteralExpression" && typeof (v as { getTicks?: unknown }).getTicks === "function")
      node.value = String((v as { getTicks(): unknown }).getTicks());
    else node.value = String(v);
  }
  const sym = n.ReferencedSymbol;
  if (sym) node.symbol = { kind: g.System.Enum.toString(L.Symbols.SymbolKind, sym.Kind), name: sym.Name };
  if (kind === "FunctionCallExpression" && typeof n.GetExpansion === "function") {
    const body = n.GetExpansion();
    if (body) node.expansion = convert(g, body);
  }
  for (let i = 0; i < n.ChildCount; i++) {
    const c = n.GetChild(i);
    if (c) node.children.push(convert(g, c));
  }
  return node;
}

/**
 * Parses and analyses `text` against the given table schemas and returns Kusto.Language's diagnostics
 * (errors and warnings, 1-based line and column).
 */
export async function analyzeKql(text: string, schemas: Record<string, TableSchema>): Promise<KqlDiagnostic[]> {
  const g = await load();
  const code = g.Kusto.Language.KustoCode.ParseAndAnalyze(text, globalsFor(g, schemas));
  return diagnosticsOf(code, text);
}

/** Parses and analyses `text` and returns the diagnostics and the analysed tree as plain data. */
export async function analyzeKqlTree(text: string, schemas: Record<string, TableSchema>): Promise<AnalysedKql> {
  const g = await load();
  const code = g.Kusto.Language.KustoCode.ParseAndAnalyze(text, globalsFor(g, schemas));
  return { diagnostics: diagnosticsOf(code, text), tree: convert(g, code.Syntax) };
}
