// Plugin decisions are applied exactly as the equivalent rules apply theirs (both run through runActions); host
// filters keep non-matching events out of the sandbox; invalid decisions fail the event.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { emptyDecision } from "../../src/router/rule-set.js";
import { runCleanups } from "../support/tmp.js";
import { ctHeader, ctx, loadPlugins, outcome, run, runRules, testConfig } from "./fixtures.js";

after(runCleanups);

test("store: set, remove, store at, forward, run, log and stop match the equivalent rule", async () => {
  const rules = `on store when Modality == "CT" {
    set InstitutionName = "General Hospital"
    set (0011,"ACME 1.0",10) as LO = "routed"
    set OtherPatientIDs = "A\\\\B"
    set PatientComments = empty
    set SeriesNumber = 7
    remove PatientAddress
    store at "ct/{PatientID}/{SOPInstanceUID}.dcm"
    forward to CAD_LUNG, PACS
    run cad
    log "chest for CT1"
    stop
  }`;
  const plugin = `conduit.on("store", { modality: "CT" }, (input) => ({
    set: { InstitutionName: "General Hospital", '(0011,"ACME 1.0",10)': { vr: "LO", value: "routed" }, OtherPatientIDs: ["A", "B"], PatientComments: null, SeriesNumber: 7 },
    remove: "PatientAddress",
    storeAt: ["ct", input.attributes.PatientID, input.sopInstanceUID + ".dcm"],
    forward: ["CAD_LUNG", "PACS"],
    run: "cad",
    log: "chest for " + input.origin.callingAE,
    stop: true,
  }));`;
  // A PatientID with a separator and ".." must be made safe the same way by both.
  const byRule = ctx("store", ctHeader({ PatientID: "../A/B" }));
  const byPlugin = ctx("store", ctHeader({ PatientID: "../A/B" }));
  const expected = runRules(rules, byRule);
  const { plugins } = await loadPlugins({ "route.js": plugin });
  const r = run(plugins, byPlugin);
  assert.equal(r.failure, undefined);
  assert.deepEqual(outcome(r.decision), outcome(expected));
  assert.deepEqual(byPlugin.dataset!.dict, byRule.dataset!.dict);
  assert.deepEqual([...byPlugin.dataset!.dirty].sort(), [...byRule.dataset!.dirty].sort());
  assert.equal(r.decision.storePath, "ct/_._A_B/1.2.826.0.1.3680043.8.498.1.1.1.dcm");
  assert.deepEqual(r.decision.matched, [{ file: plugins.status()[0]!.file, line: 0, event: "store" }]);
  assert.equal(byPlugin.dataset!.string("InstitutionName"), "General Hospital");
  assert.equal(byPlugin.dataset!.has("PatientAddress"), false);
  plugins.dispose();
});

test("rejections: association reasons and DIMSE statuses match the rules'", async () => {
  const { plugins } = await loadPlugins({
    "gate.js": `
      conduit.on("associate", { callingAE: "/^EVIL/" }, () => ({ reject: { reason: "calling-ae-not-recognized", transient: true } }));
      conduit.on("associate", { callingAE: "OLD" }, () => ({ reject: "called-ae-not-recognized" }));
      conduit.on("find", (input) => input.origin.callingAE === "NOISY" ? { reject: { status: 0xA700, message: "too many queries" } } : null);
      conduit.on("store", { callingAE: "TEST" }, () => ({ reject: true }));`,
  });
  const assoc = (ae: string) => plugins.evaluate("associate", ctx("associate", undefined, { callingAE: ae }), {}, emptyDecision()).decision;
  assert.deepEqual(assoc("EVIL1").reject, runRules('on associate { reject "calling-ae-not-recognized" transient }', ctx("associate")).reject);
  assert.deepEqual(assoc("OLD").reject, runRules('on associate { reject "called-ae-not-recognized" }', ctx("associate")).reject);
  assert.equal(assoc("GOOD").reject, undefined);
  const find = run(plugins, ctx("find", ctHeader(), { callingAE: "NOISY" })).decision;
  assert.deepEqual(find.reject, runRules('on find { reject 0xA700 "too many queries" }', ctx("find", ctHeader())).reject);
  assert.equal(find.stopped, true, "a reject stops evaluation, as in rules");
  const store = run(plugins, ctx("store", ctHeader(), { callingAE: "TEST" })).decision;
  assert.deepEqual(store.reject, runRules("on store { reject }", ctx("store", ctHeader())).reject);
  plugins.dispose();
});

test("host filters keep non-matching events out of the sandbox", async () => {
  const counter = (name: string) => `(input) => { conduit.kv.set("${name}", (conduit.kv.get("${name}") ?? 0) + 1); return null; }`;
  const { plugins } = await loadPlugins({
    "filtered.js": `
      conduit.on("store", { callingAE: ["CT1", "CT2"], modality: "CT", sopClass: "CTImageStorage" }, ${counter("ct")});
      conduit.on("store", { calledAE: "/^ARCH/i", sopClass: ["1.2.840.10008.5.1.4.1.1.4"] }, ${counter("mr")});
      conduit.on("worklist", { modality: "MR" }, ${counter("mwl")});
      conduit.on("echo", () => ({ log: String(conduit.kv.get("ct")) + "/" + String(conduit.kv.get("mr")) + "/" + String(conduit.kv.get("mwl")) }));`,
  });
  const events = [
    ctx("store", ctHeader(), { callingAE: "CT1" }), // ct
    ctx("store", ctHeader(), { callingAE: "CT3" }), // wrong AE
    ctx("store", ctHeader({ Modality: "MR" }), { callingAE: "CT2" }), // wrong modality
    ctx("store", ctHeader({ SOPClassUID: "1.2.840.10008.5.1.4.1.1.4" }), { callingAE: "CT2" }), // wrong SOP class
    ctx("store", ctHeader({ SOPClassUID: "1.2.840.10008.5.1.4.1.1.4" }), { calledAE: "archive" }), // mr
    ctx("store", ctHeader({ SOPClassUID: "1.2.840.10008.5.1.4.1.1.4" }), { calledAE: "CONDUIT" }), // wrong called AE
  ];
  for (const e of events) assert.equal(run(plugins, e).failure, undefined);
  const sps = ctHeader();
  sps.dict["00400100"] = { vr: "SQ", Value: [{ "00080060": { vr: "CS", Value: ["MR"] } }] };
  delete sps.dict["00080060"];
  run(plugins, ctx("worklist", sps));
  assert.deepEqual(run(plugins, ctx("echo")).decision.logs, ["1/1/1"]);
  plugins.dispose();
});

test("stop ends evaluation across plugins; a decision stopped by rules skips every plugin", async () => {
  const { plugins } = await loadPlugins({
    "a-first.js": `conduit.on("store", () => ({ forward: "PACS", stop: true }));`,
    "b-second.js": `conduit.on("store", () => { conduit.kv.set("called", true); return { forward: "CAD_LUNG" }; });
      conduit.on("echo", () => ({ log: String(conduit.kv.get("called")) }));`,
  });
  const r = run(plugins, ctx("store", ctHeader()));
  assert.deepEqual(r.decision.forwards, ["PACS"]);
  assert.equal(r.decision.stopped, true);
  const stopped = emptyDecision();
  stopped.stopped = true;
  const skipped = plugins.evaluate("store", ctx("store", ctHeader()), {}, stopped);
  assert.deepEqual(skipped.decision.forwards, []);
  assert.deepEqual(run(plugins, ctx("echo")).decision.logs, ["undefined"], "the second plugin never ran");
  plugins.dispose();
});

test("a coercion by one plugin is what the next plugin sees; handlers run in file and registration order", async () => {
  const { plugins } = await loadPlugins({
    "1-fix.js": `conduit.on("store", () => ({ set: { InstitutionName: "Fixed" }, log: "fix" }));`,
    "2-read.js": `conduit.on("store", (input) => ({ log: "saw " + input.attributes.InstitutionName }));
      conduit.on("store", { attributes: ["InstitutionName"] }, (input) => ({ log: "named " + input.attributes.InstitutionName }));`,
  });
  assert.deepEqual(run(plugins, ctx("store", ctHeader())).decision.logs, ["fix", "saw Fixed", "named Fixed"]);
  plugins.dispose();
});

test("invalid decisions fail the event and change nothing", async () => {
  const cases: Array<[string, RegExp]> = [
    [`{ forward: ["NOWHERE"] }`, /"NOWHERE" is not in the config's peers/],
    [`{ run: "rm-rf" }`, /command "rm-rf" is not declared/],
    [`{ answerFrom: "local" }`, /"answerFrom" is not a decision "store" events can make/],
    [`{ set: { NotAKeyword: "x" } }`, /not an attribute keyword/],
    [`{ set: { PatientID: { nested: true } } }`, /unknown field "nested"/],
    [`{ set: { PatientID: true } }`, /a value is a string/],
    [`{ set: { InstitutionName: ["a", ["b"]] } }`, /a value is a string/],
    [`{ storeAt: "../../etc/passwd" }`, /must stay inside the storage root/],
    [`{ storeAt: "/abs/file.dcm" }`, /must stay inside the storage root/],
    [`{ reject: { status: 0x0000 } }`, /must be a failure status/],
    [`{ reject: "calling-ae-not-recognized" }`, /expected true or \{ status, message \}/],
    [`{ discard: "yes" }`, /expected true or false/],
    [`{ remove: [] }`, /non-empty string or a list/],
  ];
  const sources = Object.fromEntries(cases.map(([d], i) => [`p${String(i).padStart(2, "0")}.js`, `conduit.on("store", { callingAE: "AE${i}" }, () => (${d}));`]));
  const { plugins } = await loadPlugins(sources);
  for (const [i, [decision, message]] of cases.entries()) {
    const c = ctx("store", ctHeader(), { callingAE: `AE${i}` });
    const before = JSON.stringify(c.dataset!.dict);
    const r = run(plugins, c);
    assert.equal(r.failure?.reason, "invalid-decision", decision);
    assert.match(r.failure!.message, message, decision);
    assert.equal(JSON.stringify(c.dataset!.dict), before, `${decision}: the data set is untouched`);
    assert.deepEqual(r.decision.matched, []);
  }
  const assoc = await loadPlugins({ "a.js": `conduit.on("associate", () => ({ forward: "PACS" }));` });
  assert.match(assoc.plugins.evaluate("associate", ctx("associate"), {}, emptyDecision()).failure!.message, /"forward" is not a decision "associate" events can make/);
  plugins.dispose();
  assoc.plugins.dispose();
});

test("the input: origin, identifying values and a bounded attribute view; local is asked only when read", async () => {
  const header = ctHeader({ PatientName: "Müller^Jörg", ImagePositionPatient: [-1.5, 2, 3], PatientWeight: 71.25 });
  header.dict["00091010"] = { vr: "LO", Value: ["private"] };
  header.dict["7FE00010"] = { vr: "OW", Value: [] };
  header.dict["00081115"] = { vr: "SQ", Value: [{ "0020000E": { vr: "UI", Value: ["1.2.3"] } }, { "0020000E": { vr: "UI", Value: ["1.2.4"] } }] };
  const { plugins } = await loadPlugins({
    "echoes.js": `conduit.on("store", (input) => ({ log: JSON.stringify(input) }));
      conduit.on("move", (input) => ({ log: input.local ? "local" : "remote" }));
      conduit.on("get", () => ({ log: "did not ask" }));`,
  }, { config: testConfig() });
  const input = JSON.parse(run(plugins, ctx("store", header)).decision.logs[0]!) as Record<string, unknown>;
  assert.deepEqual(input.origin, { callingAE: "CT1", calledAE: "CONDUIT", peerAddress: "127.0.0.1", associationId: "assoc-1" });
  assert.equal(input.event, "store");
  assert.equal(input.now, Date.parse("2024-06-11T09:00:00Z"));
  assert.equal(input.sopClassUID, "1.2.840.10008.5.1.4.1.1.2");
  assert.equal(input.modality, "CT");
  const a = input.attributes as Record<string, unknown>;
  assert.equal(a.PatientName, "Müller^Jörg");
  assert.deepEqual(a.ImagePositionPatient, [-1.5, 2, 3]);
  assert.equal(a.PatientWeight, 71.25);
  assert.deepEqual(a.ReferencedSeriesSequence, [{ SeriesInstanceUID: "1.2.3" }, { SeriesInstanceUID: "1.2.4" }]);
  assert.equal("PixelData" in a, false, "binary values are left out");
  assert.equal(Object.keys(a).some((k) => k.startsWith("(")), false, "private tags are left out");
  let asked = 0;
  const move = (local: boolean, event: "move" | "get" = "move") => ({ ...ctx(event, ctHeader()), local: () => (asked++, local) });
  assert.deepEqual(run(plugins, move(true)).decision.logs, ["local"]);
  assert.deepEqual(run(plugins, move(false)).decision.logs, ["remote"]);
  assert.deepEqual(run(plugins, move(true, "get")).decision.logs, ["did not ask"]);
  assert.equal(asked, 2);
  plugins.dispose();
});
