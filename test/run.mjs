// Runs every test/**/*.test.ts with Node's test runner (TypeScript through tsx); args filter by path substring.
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const filters = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const flags = process.argv.slice(2).filter((a) => a.startsWith("-"));
const files = readdirSync("test", { recursive: true })
  .map(String)
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => join("test", f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(", ")}`);
  process.exit(1);
}
// The CLI tests run bin/conduit.js, which loads the compiled dist/: build first so it matches src/.
const build = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);
const env = { ...process.env, TCP_NODELAY: "1", CONDUIT_LOG_LEVEL: process.env.CONDUIT_LOG_LEVEL ?? "silent" };
const args = ["--import", "tsx", "--test", "--test-concurrency=2", "--test-timeout=180000", ...flags, ...files];
const r = spawnSync(process.execPath, args, { stdio: "inherit", env });
process.exit(r.status ?? 1);
