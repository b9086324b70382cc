#!/usr/bin/env node
// Entry point of the `conduit` command: runs the compiled CLI from dist/.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("conduit: dist/ is missing; run `npm install` (or `npm run build`) in the checkout first\n");
  process.exit(1);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
