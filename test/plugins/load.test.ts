// Loading plugins: diagnostics as data with the line QuickJS reports (syntax errors, top-level throws, bad
// registrations), no set when any error, `conduit check` and the folder listing; the shipped plugins load clean.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import { checkPlugins, listPluginFiles, PluginSet } from "../../src/plugins/index.js";
import { formatDiagnostic } from "../../src/rules/index.js";
import { runCleanups, tmpDirSync } from "../support/tmp.js";
import { captureLog, testConfig, writePlugins } from "./fixtures.js";

after(runCleanups);

async function diagnose(source: string, name = "p.js") {
  const { files } = writePlugins({ [name]: source });
  const r = await PluginSet.load(files, { config: testConfig(), log: captureLog().logger });
  r.plugins?.dispose();
  return r;
}

test("a syntax error is reported with QuickJS's line and column, and no plugin set is built", async () => {
  const r = await diagnose('conduit.on("store", (input) => {\n  const a = input.attributes;\n  return { log: a.PatientID ;\n});\n');
  assert.equal(r.plugins, undefined);
  assert.equal(r.diagnostics.length, 1);
  const d = r.diagnostics[0]!;
  assert.equal(d.code, "PLUGIN_SYNTAX");
  assert.equal(d.severity, "error");
  assert.equal(d.line, 3);
  assert.ok(d.column > 1);
  assert.match(d.message, /^SyntaxError: /);
  assert.match(formatDiagnostic(d), /p\.js:3:\d+: error: SyntaxError/);
});

test("ES module syntax is a syntax error: plugins are scripts", async () => {
  const r = await diagnose('import fs from "fs";\nexport default {};\n');
  assert.equal(r.diagnostics[0]!.code, "PLUGIN_SYNTAX");
  assert.equal(r.diagnostics[0]!.line, 1);
});

test("a throw while loading points at the throwing line", async () => {
  const r = await diagnose('conduit.on("echo", () => null);\nconst table = null;\nconst x = table.rows;\n');
  assert.equal(r.diagnostics[0]!.code, "PLUGIN_LOAD");
  assert.equal(r.diagnostics[0]!.line, 3);
  assert.match(r.diagnostics[0]!.message, /TypeError/);
});

test("bad registrations: unknown events, filter keys, options and backends, each at its line", async () => {
  const source = [
    'conduit.on("store", (input) => null);',
    'conduit.on("stor", (input) => null);',
    'conduit.on("store", { callingAe: "CT1" }, (input) => null);',
    'conduit.on("associate", { modality: "CT" }, () => null);',
    'conduit.on("store", { sopClass: "NotASopClass" }, () => null);',
    'conduit.on("store", { attributes: ["PatientID", "PatientsName"] }, () => null);',
    'conduit.on("store", { callingAE: "/(a+/" }, () => null);',
    'conduit.on("store", { modality: 3 }, () => null);',
    'conduit.on("echo");',
    'conduit.answer("studies", () => []);',
    'conduit.answer("worklist", () => []);',
    'conduit.answer("worklist", () => []);',
  ].join("\n");
  const r = await diagnose(source, "bad.js");
  assert.equal(r.plugins, undefined);
  const got = r.diagnostics.map((d) => [d.line, d.code]);
  assert.deepEqual(got, [
    [2, "PLUGIN_UNKNOWN_EVENT"],
    [3, "PLUGIN_BAD_FILTER"],
    [4, "PLUGIN_BAD_FILTER"],
    [5, "PLUGIN_BAD_FILTER"],
    [6, "PLUGIN_BAD_FILTER"],
    [7, "PLUGIN_BAD_FILTER"],
    [8, "PLUGIN_BAD_FILTER"],
    [9, "PLUGIN_BAD_HANDLER"],
    [10, "PLUGIN_BAD_BACKEND"],
    [12, "PLUGIN_BAD_BACKEND"],
  ]);
  const text = r.diagnostics.map((d) => d.message).join("\n");
  assert.match(text, /unknown event "stor"/);
  assert.match(text, /unknown filter key "callingAe"/);
  assert.match(text, /filter key "modality" does not apply to "associate" events/);
  assert.match(text, /"NotASopClass" is neither a known SOP class keyword nor a UID/);
  assert.match(text, /not DICOM keywords: PatientsName/);
  assert.match(text, /invalid regex/);
  assert.match(text, /already answers "worklist"/);
  assert.ok(r.diagnostics.every((d) => d.file.endsWith("bad.js") && d.column >= 1));
  assert.match(r.diagnostics[0]!.hint ?? "", /events: associate, echo, store/);
});

test("a plugin registering nothing gets a warning and still loads", async () => {
  const { files } = writePlugins({ "idle.js": "const unused = 1;\n" });
  const r = await PluginSet.load(files, { config: testConfig(), log: captureLog().logger });
  assert.ok(r.plugins);
  assert.deepEqual(r.diagnostics.map((d) => [d.severity, d.code]), [["warning", "PLUGIN_NO_HANDLERS"]]);
  assert.equal(r.plugins.has("store"), false);
  r.plugins.dispose();
});

test("listPluginFiles, duplicate names and checkPlugins", async () => {
  const dir = tmpDirSync("plugin-list");
  for (const name of ["b.js", "a.js", ".hidden.js", "notes.txt", "types.d.ts"]) writeFileSync(join(dir, name), 'conduit.on("echo", () => null);\n');
  mkdirSync(join(dir, "sub"));
  writeFileSync(join(dir, "sub", "a.js"), "syntax error here\n");
  assert.deepEqual(listPluginFiles(dir), [join(dir, "a.js"), join(dir, "b.js")]);
  assert.deepEqual(listPluginFiles(join(dir, "missing")), []);
  const dup = await PluginSet.load([join(dir, "a.js"), join(dir, "sub", "a.js")], { config: testConfig(), log: captureLog().logger });
  assert.equal(dup.plugins, undefined);
  assert.deepEqual(dup.diagnostics.map((d) => [d.code, d.file]), [["PLUGIN_SYNTAX", join(dir, "sub", "a.js")], ["PLUGIN_DUPLICATE_NAME", join(dir, "sub", "a.js")]]);
  const checked = await checkPlugins([join(dir, "sub", "a.js"), join(dir, "b.js")], testConfig());
  assert.deepEqual(checked.map((d) => [d.code, d.line]), [["PLUGIN_SYNTAX", 1]]);
  assert.deepEqual(await checkPlugins(listPluginFiles(dir), testConfig()), []);
});

test("the shipped plugin and both examples load without diagnostics", async () => {
  for (const [config, dir] of [[testConfig(), "plugins"], [loadConfig("examples/cad-inbox-plugin/conduit.json"), undefined], [loadConfig("examples/worklist-plugin/conduit.json"), undefined]] as const) {
    const files = listPluginFiles(dir ?? config.plugins.dir);
    assert.ok(files.length > 0);
    assert.deepEqual(await checkPlugins(files, config), []);
  }
});
