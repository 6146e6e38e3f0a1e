#!/usr/bin/env node
// The published entry: the compiled CLI (built by `npm run build`, which `npm ci` runs through `prepare`).
import { main } from "../dist/cli/main.js";

process.exit(await main(process.argv.slice(2)));
