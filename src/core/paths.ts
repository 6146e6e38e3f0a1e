import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The folder holding azir's package.json (works from src/ under tests and from dist/ when installed). */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "runbooks"))) return (root = dir);
    dir = resolve(dir, "..");
  }
  throw new Error("azir: cannot find the package root (package.json beside runbooks/)");
}

/** azir's version, from its package.json ("0.0.0" when it cannot be read). */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}
