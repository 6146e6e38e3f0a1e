#!/usr/bin/env node
// Rewrites the permission tables of docs/permissions.md and README.md (between the permissions markers) from the
// catalogue in the built dist/ (run `npm run build` first). test/docs/permissions-doc.test.ts checks they agree.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { permissionsMarkdown } = await import(join(root, "dist", "entra", "permission-table.js"));
const block = /<!-- permissions:start -->[\s\S]*?<!-- permissions:end -->/;
for (const file of ["docs/permissions.md", "README.md"]) {
  const path = join(root, file);
  const text = readFileSync(path, "utf8");
  if (!block.test(text)) throw new Error(`${file}: no <!-- permissions:start --> ... <!-- permissions:end --> block`);
  writeFileSync(path, text.replace(block, `<!-- permissions:start -->\n${permissionsMarkdown()}\n<!-- permissions:end -->`));
}
