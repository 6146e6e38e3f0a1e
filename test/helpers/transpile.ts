import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Transpiles src/core and src/timeline to plain JavaScript in `out`, so a separate node process can run them. */
export async function transpileTimeline(out: string): Promise<void> {
  for (const folder of ["src/core", "src/timeline"]) {
    for (const name of await readdir(join(root, folder))) {
      if (!name.endsWith(".ts")) continue;
      const source = await readFile(join(root, folder, name), "utf8");
      const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false } });
      await mkdir(join(out, folder), { recursive: true });
      await writeFile(join(out, folder, name.replace(/\.ts$/, ".js")), js.outputText);
    }
  }
  await writeFile(join(out, "package.json"), '{"type":"module"}');
  await symlink(join(root, "node_modules"), join(out, "node_modules"), "dir");
}
