#!/usr/bin/env node
// Before the tests: the report tests print and open the HTML report in a real headless Chromium, Debian's
// `chromium` package (never a browser download). Where none is installed and this is a Debian machine run as root,
// install it; otherwise say so, and those tests say they were skipped and why.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const paths = [process.env.AZIR_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].filter(Boolean);
if (paths.some((p) => existsSync(p))) process.exit(0);
const root = typeof process.getuid === "function" && process.getuid() === 0;
if (!root || !existsSync("/usr/bin/apt-get")) {
  console.error("ensure-chromium: no Chromium found (apt-get install chromium, or set AZIR_CHROMIUM); the report's browser tests will be skipped");
  process.exit(0);
}
console.error("ensure-chromium: installing Debian's chromium for the report tests (apt-get)");
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
for (const args of [["update"], ["install", "-y", "chromium"]]) {
  const r = spawnSync("apt-get", args, { stdio: "inherit", env });
  if (r.status !== 0) {
    console.error(`ensure-chromium: apt-get ${args.join(" ")} failed; the report's browser tests will be skipped`);
    process.exit(0);
  }
}
