// Golden tests of the rule language: each test/rules/golden/*.rules file with its expected AST (*.ast.json) and
// its expected diagnostics as `conduit check` prints them (*.diagnostics.txt). UPDATE_GOLDEN=1 rewrites them.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkRules, formatDiagnostic, parseRules } from "../../src/rules/index.js";

const dir = join(fileURLToPath(new URL(".", import.meta.url)), "golden");
const update = process.env.UPDATE_GOLDEN === "1";
const ctx = { peers: new Set(["PACS_MAIN", "CAD_LUNG"]), commands: new Set(["cad"]), baseDir: dir, tableExists: existsSync };

function compare(file: string, actual: string): void {
  const path = join(dir, file);
  if (update) writeFileSync(path, actual);
  assert.ok(existsSync(path), `${file} is missing: run with UPDATE_GOLDEN=1 and review it`);
  assert.equal(actual, readFileSync(path, "utf8"), `${file} differs`);
}

for (const name of readdirSync(dir).filter((f) => f.endsWith(".rules")).sort()) {
  test(`golden: ${name}`, () => {
    const text = readFileSync(join(dir, name), "utf8");
    const parsed = parseRules(text, name);
    const diagnostics = [...parsed.diagnostics, ...checkRules(parsed.ast, ctx)].sort((a, b) => a.line - b.line || a.column - b.column);
    // Absolute paths in messages depend on the checkout's location.
    const printed = diagnostics.map((d) => `${formatDiagnostic(d)}\n`).join("").split(dir).join("<golden>");
    compare(name.replace(/\.rules$/, ".diagnostics.txt"), printed);
    if (name.startsWith("bad-")) {
      assert.ok(diagnostics.some((d) => d.severity === "error"), "a bad-*.rules fixture must produce errors");
    } else {
      assert.deepEqual(diagnostics, [], "a valid fixture must produce no diagnostics");
      compare(name.replace(/\.rules$/, ".ast.json"), `${JSON.stringify(parsed.ast, null, 1)}\n`);
      // Every rule of the file made it into the AST.
      assert.equal(parsed.ast.rules.length, (text.match(/^on /gm) ?? []).length);
    }
  });
}
