#!/usr/bin/env node
// The published entry: the compiled CLI (built by `npm run build`, which `npm ci` runs through `prepare`).
// The only module that ends the process.
import { main } from "../dist/bundle/main.js";

const code = await main(process.argv.slice(2));
process.exitCode = code;
// stdout may be a pipe, written asynchronously: end only once it has been flushed, so that a large --json
// document reaches the ticketing tool whole; open SDK sockets must not keep azir alive after that.
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
