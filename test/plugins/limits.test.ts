// The sandbox's limits hit for real: time, memory, stack, exceptions and bad decisions each fail the event with
// its documented response, name the plugin in the log, and leave the plugin working (or disable it after
// maxFailures consecutive failures). Nothing of the host is reachable from inside.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { PLUGIN_FAILED_STATUS } from "../../src/plugins/index.js";
import { memoryCapBytes } from "../../src/plugins/wasm-instance.js";
import { emptyDecision } from "../../src/router/rule-set.js";
import { runCleanups } from "../support/tmp.js";
import { ctHeader, ctx, loadPlugins, run, testConfig } from "./fixtures.js";

after(runCleanups);

// One plugin misbehaves on demand, chosen by PatientID; any other patient gets a normal decision.
const MISBEHAVING = `
let hoard = [];
conduit.on("store", (input) => {
  const mode = input.attributes.PatientID;
  if (mode === "LOOP") for (;;) {}
  if (mode === "CAUGHT-LOOP") { try { for (;;) {} } catch (e) { return { log: "escaped the interrupt" }; } }
  if (mode === "MEMORY") { const a = []; for (;;) a.push(new Uint8Array(65536)); }
  if (mode === "HOARD") { hoard.push(new Uint8Array(1 << 20)); return { log: "hoarding " + hoard.length + " MiB" }; }
  if (mode === "RECURSE") { const f = (n) => f(n + 1) + 1; return f(0); }
  if (mode === "THROW") throw new Error("patient record locked");
  if (mode === "STRING") return "forward please";
  if (mode === "PROMISE") return Promise.resolve({ log: "later" });
  if (mode === "UNKNOWN-KEY") return { fowrard: ["PACS"] };
  return { log: "fine " + input.attributes.PatientID };
});
`;

async function misbehaving(overrides: Parameters<typeof testConfig>[0] = {}) {
  return loadPlugins({ "misbehaving.js": MISBEHAVING }, { config: testConfig({ plugins: { timeoutMs: 50, memoryMB: 8, maxFailures: 50, ...overrides.plugins }, ...overrides }) });
}

function storeOf(patientId: string) {
  return ctx("store", ctHeader({ PatientID: patientId }));
}

test("an endless loop is interrupted within its time budget; the plugin keeps answering", async () => {
  const { plugins, log } = await misbehaving();
  for (const mode of ["LOOP", "CAUGHT-LOOP"]) {
    const t0 = Date.now();
    const r = run(plugins, storeOf(mode));
    const ms = Date.now() - t0;
    assert.equal(r.failure?.reason, "timeout", mode);
    assert.ok(ms >= 45 && ms < 1000, `${mode}: interrupted after ${ms} ms (budget 50 ms)`);
    assert.deepEqual(r.failure?.response, { kind: "status", status: PLUGIN_FAILED_STATUS });
    assert.equal(r.failure?.comment, "plugin misbehaving ran out of time");
    assert.deepEqual(r.decision.logs, [], "a catch block cannot swallow the interrupt");
  }
  const ok = run(plugins, storeOf("P1"));
  assert.equal(ok.failure, undefined);
  assert.deepEqual(ok.decision.logs, ["fine P1"]);
  assert.equal(plugins.status()[0]!.failures, 0, "a success resets the consecutive count");
  assert.equal(plugins.status()[0]!.totalFailures, 2);
  const failed = log.lines().filter((l) => l.msg === "plugin ran out of time; the event gets its failure response");
  assert.equal(failed.length, 2);
  assert.equal(failed[0]!.plugin, "misbehaving");
  assert.equal(failed[0]!.event, "store");
  assert.match(String(failed[0]!.file), /misbehaving\.js$/);
  plugins.dispose();
});

test("a memory bomb hits the cap; a plugin hoarding memory keeps failing until it is disabled", async () => {
  // A generous time budget: filling the cap must end in "out of memory", not in a timeout.
  const { plugins, log } = await misbehaving({ plugins: { maxFailures: 3, memoryMB: 4, timeoutMs: 5000 } });
  const bomb = run(plugins, storeOf("MEMORY"));
  assert.equal(bomb.failure?.reason, "memory");
  assert.match(bomb.failure!.message, /out of memory/);
  assert.deepEqual(run(plugins, storeOf("P2")).decision.logs, ["fine P2"], "the garbage of the bomb is collected");
  assert.ok(plugins.status()[0]!.memoryBytes < 4 * 1024 * 1024);
  // Each call keeps 1 MiB more of typed arrays (which QuickJS's own limit does not count): the plugin's
  // WebAssembly memory cap stops it, and from then on every call fails.
  const results = [];
  for (let i = 0; i < 40 && !plugins.status()[0]!.disabled; i++) results.push(run(plugins, storeOf("HOARD")));
  const firstFailure = results.findIndex((r) => r.failure);
  assert.ok(firstFailure >= 3 && firstFailure <= memoryCapBytes(4 << 20) >> 20, `failed from call ${firstFailure + 1}`);
  assert.equal(results[firstFailure - 1]!.decision.logs[0], `hoarding ${firstFailure} MiB`);
  assert.deepEqual(results.slice(firstFailure).map((r) => r.failure?.reason), ["memory", "memory", "memory"]);
  assert.deepEqual(results.slice(firstFailure).map((r) => r.failure?.disabled), [false, false, true], "the third consecutive failure disables it");
  const st = plugins.status()[0]!;
  assert.equal(st.disabled, true);
  assert.equal(st.failures, 3);
  assert.equal(plugins.has("store"), false);
  const skipped = run(plugins, storeOf("P5"));
  assert.equal(skipped.failure, undefined, "a disabled plugin is skipped, not failed");
  assert.deepEqual(skipped.decision.matched, []);
  assert.equal(log.lines().filter((l) => String(l.msg).startsWith("plugin disabled")).length, 1, "disabling is logged once");
  plugins.dispose();
});

test("deep recursion overflows the QuickJS stack, not Node's, even with a large stackKB", async () => {
  for (const stackKB of [256, 8192]) {
    const { plugins } = await misbehaving({ plugins: { stackKB } });
    const r = run(plugins, storeOf("RECURSE"));
    assert.equal(r.failure?.reason, "stack", `stackKB ${stackKB}`);
    assert.match(r.failure!.message, /stack overflow/);
    assert.ok(r.failure!.message.length <= 2000, "the error text is bounded");
    assert.deepEqual(run(plugins, storeOf("P6")).decision.logs, ["fine P6"]);
    plugins.dispose();
  }
});

test("a throwing handler and bad return values fail the event; the association-level response is a transient reject", async () => {
  const { plugins } = await misbehaving();
  const thrown = run(plugins, storeOf("THROW"));
  assert.equal(thrown.failure?.reason, "threw");
  assert.match(thrown.failure!.message, /patient record locked/);
  for (const [mode, text] of [["STRING", /decision object/], ["PROMISE", /synchronous/], ["UNKNOWN-KEY", /unknown decision field "fowrard"/]] as const) {
    const r = run(plugins, storeOf(mode));
    assert.ok(r.failure, mode);
    assert.match(r.failure.message, text, mode);
    assert.deepEqual(r.decision.forwards, []);
  }
  const assoc = await loadPlugins({ "gate.js": 'conduit.on("associate", () => { throw new Error("directory down"); });' });
  const r = assoc.plugins.evaluate("associate", ctx("associate"), {}, emptyDecision());
  assert.deepEqual(r.failure?.response, { kind: "reject-association", result: 2, source: 1, reason: 1, transient: true });
  const after = await loadPlugins({ "after.js": 'conduit.on("stored", () => { throw new Error("x"); });' });
  assert.deepEqual(run(after.plugins, ctx("stored", ctHeader())).failure?.response, { kind: "none" });
  for (const p of [plugins, assoc.plugins, after.plugins]) p.dispose();
});

test("an endless loop while loading is a diagnostic, within the load budget", async () => {
  const { PluginSet } = await import("../../src/plugins/index.js");
  const { writePlugins, captureLog } = await import("./fixtures.js");
  const { files } = writePlugins({ "spin.js": "conduit.on('store', () => null);\nfunction spin() { for (;;) {} }\nspin();\n" });
  const t0 = Date.now();
  const r = await PluginSet.load(files, { config: testConfig({ plugins: { timeoutMs: 20 } }), log: captureLog().logger });
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(r.plugins, undefined);
  assert.equal(r.diagnostics[0]!.code, "PLUGIN_TIMEOUT");
  assert.equal(r.diagnostics[0]!.line, 2);
});

test("the sandbox has no timers, modules, process or host objects; conduit cannot be replaced", async () => {
  const probe = `
    const seen = {};
    for (const name of ["setTimeout", "setInterval", "setImmediate", "queueMicrotask", "require", "process", "fetch",
      "XMLHttpRequest", "WebAssembly", "std", "os", "console", "Buffer", "module", "exports", "global"]) seen[name] = typeof globalThis[name];
    let importError = "";
    try { import("fs").catch((e) => {}); } catch (e) { importError = String(e); }
    let replaced = "no";
    try { conduit = null; replaced = "yes"; } catch (e) {}
    try { conduit.kv.get = () => 1; replaced = "kv"; } catch (e) {}
    const fromConstructor = conduit.log.constructor("return typeof process")();
    let lateRegistration = "";
    conduit.on("store", () => {
      try { conduit.on("echo", () => null); } catch (e) { lateRegistration = e.message; }
      return { log: JSON.stringify({ seen, replaced, fromConstructor, importError, lateRegistration }) };
    });
  `;
  const { plugins } = await loadPlugins({ "probe.js": probe });
  const out = JSON.parse(run(plugins, ctx("store", ctHeader())).decision.logs[0]!) as Record<string, unknown>;
  for (const [name, type] of Object.entries(out.seen as Record<string, string>)) assert.equal(type, "undefined", name);
  assert.equal(out.replaced, "no");
  assert.equal(out.fromConstructor, "undefined", "the Function constructor only reaches the sandbox's own globals");
  assert.match(String(out.lateRegistration), /only be called while the plugin loads/);
  plugins.dispose();
});

test("after each kind of failure the plugin answers the next event normally (string bomb included)", async () => {
  const { plugins } = await loadPlugins(
    {
      "hostile.js": `
        conduit.on("store", { callingAE: "LOOP" }, () => { for (;;) {} });
        conduit.on("store", { callingAE: "BOMB" }, () => { const a = []; for (;;) a.push("x".repeat(1 << 20) + a.length); });
        conduit.on("store", { callingAE: "DEEP" }, () => { const f = (n) => f(n + 1) + 1; return f(0); });
        conduit.on("store", { callingAE: "THROW" }, (input) => { input.attributes.PatientID; throw new Error("plugin bug"); });
        conduit.on("store", { callingAE: "GOOD" }, (input) => ({ storeAt: ["good", input.attributes.PatientID + ".dcm"] }));`,
    },
    { config: testConfig({ plugins: { timeoutMs: 200, maxFailures: 100 } }) },
  );
  const reasons = [];
  for (const ae of ["LOOP", "BOMB", "DEEP", "THROW"]) {
    reasons.push(run(plugins, ctx("store", ctHeader(), { callingAE: ae })).failure?.reason);
    const good = run(plugins, ctx("store", ctHeader(), { callingAE: "GOOD" }));
    assert.equal(good.failure, undefined, `after ${ae}: ${good.failure?.message}`);
    assert.equal(good.decision.storePath, "good/PID001.dcm");
  }
  assert.deepEqual(reasons, ["timeout", "memory", "stack", "threw"]);
  plugins.dispose();
});
