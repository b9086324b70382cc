// Lazy attribute views behave like the eager object the view defines (attributesView): reading, `in`, missing
// keys, sequences, multiple values, enumeration, JSON.stringify, writes; names a handler reads are passed in with
// its next events; a view kept past its call reads its own event and never another event's data.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { DataSet } from "../../src/dicom/dataset.js";
import { attributesView, encodeHandlerInput, handlerInput, type ViewValue } from "../../src/plugins/input-view.js";
import { Sandbox } from "../../src/plugins/sandbox.js";
import { makePayloadWith } from "../../src/plugins/transfer.js";
import { newQuickJSInstance } from "../../src/plugins/wasm-instance.js";
import { runCleanups } from "../support/tmp.js";
import { ctHeader, ctx, loadPlugins, run, testConfig } from "./fixtures.js";

after(runCleanups);

/** A header with every kind of value the view holds or leaves out. */
function header(extra: Record<string, string | number | Array<string | number>> = {}): DataSet {
  const ds = ctHeader({ PatientName: "Yamada^Tarou=山田^太郎", ImageType: ["ORIGINAL", "PRIMARY"], ImagePositionPatient: [-1.5, 0, 2147483648], SeriesNumber: 3, ...extra });
  ds.dict["00081115"] = { vr: "SQ", Value: [{ "0020000E": { vr: "UI", Value: ["1.2.3"] }, "00200011": { vr: "IS", Value: [-7] } }, {}] };
  ds.dict["00101010"] = { vr: "AS" };
  ds.dict["00091010"] = { vr: "LO", Value: ["private"] };
  ds.dict["7FE00010"] = { vr: "OW", Value: [] };
  ds.dict["00204000"] = { vr: "LT", Value: ["x".repeat(10_001)] };
  return ds;
}

/** The eager view as JSON would carry it (Maps as objects). */
function eager(ds: DataSet): Record<string, unknown> {
  const plain = (v: ViewValue): unknown => (v instanceof Map ? Object.fromEntries([...v].map(([k, x]) => [k, plain(x)])) : Array.isArray(v) ? v.map(plain) : v);
  return plain(attributesView(ds)) as Record<string, unknown>;
}

const NAMES = ["PatientID", "PatientName", "ImageType", "ImagePositionPatient", "SeriesNumber", "PatientAge", "ReferencedSeriesSequence", "PixelData", "ImageComments", "OperatorsName", "NotAKeyword"];

test("reading a lazy view gives what the eager view holds: present, empty, omitted and missing names", async () => {
  const { plugins } = await loadPlugins({
    "read.js": `conduit.on("store", (input) => {
      const a = input.attributes;
      const out = {};
      for (const k of ${JSON.stringify(NAMES)}) out[k] = [k in a, a[k] === undefined ? "(undefined)" : a[k], Object.hasOwn(a, k)];
      return { log: JSON.stringify(out) };
    });`,
  });
  const ds = header();
  const expected = eager(ds);
  // The second event gets the names read in the first passed in: the answers must not change.
  for (let i = 0; i < 2; i++) {
    const got = JSON.parse(run(plugins, ctx("store", header())).decision.logs[0]!) as Record<string, [boolean, unknown, boolean]>;
    for (const k of NAMES) assert.deepEqual(got[k], [k in expected, k in expected ? expected[k] : "(undefined)", k in expected], `${k} (event ${i + 1})`);
  }
  plugins.dispose();
});

test("enumerating a lazy view gives the eager object: keys and their order, JSON, for-in, entries, spread", async () => {
  const { plugins } = await loadPlugins({
    "list.js": `conduit.on("store", (input) => {
      const a = input.attributes;
      const seq = a.ReferencedSeriesSequence;
      const forIn = [];
      for (const k in a) forIn.push(k);
      return { log: JSON.stringify({ keys: Object.keys(a), json: JSON.stringify(a), forIn, entries: Object.entries(a).length,
        spread: Object.keys({ ...a }), same: seq === a.ReferencedSeriesSequence, whole: JSON.parse(JSON.stringify(input)).attributes }) };
    });`,
  });
  const expected = eager(header());
  // Enumerating makes the host pass this handler eager views for a while: both must agree.
  for (let i = 0; i < 3; i++) {
    const got = JSON.parse(run(plugins, ctx("store", header())).decision.logs[0]!);
    assert.deepEqual(got.keys, Object.keys(expected), `event ${i + 1}`);
    assert.equal(got.json, JSON.stringify(expected));
    assert.deepEqual(got.forIn, Object.keys(expected));
    assert.equal(got.entries, Object.keys(expected).length);
    assert.deepEqual(got.spread, Object.keys(expected));
    assert.equal(got.same, true, "a sequence read before enumerating is the same array after it");
    assert.deepEqual(got.whole, expected);
  }
  plugins.dispose();
});

test("a lazy view is an ordinary object: identity, writes, deletes, freezing, its prototype", async () => {
  const { plugins } = await loadPlugins({
    "write.js": `conduit.on("store", (input) => {
      const a = input.attributes;
      const checks = [a.ReferencedSeriesSequence === a.ReferencedSeriesSequence, Object.getPrototypeOf(a) === Object.prototype,
        "toString" in a, typeof a.toString, String(a), Array.isArray(a), a.hasOwnProperty("PatientID"), a.propertyIsEnumerable("Nope")];
      a.PatientID = "CHANGED";
      a.Extra = 1;
      delete a.StudyDescription;
      Object.freeze(a);
      let threw = false;
      try { a.PatientID = "AGAIN"; } catch (e) { threw = e instanceof TypeError; }
      const keys = Object.keys(a);
      return { log: JSON.stringify({ checks, id: a.PatientID, extra: a.Extra, gone: "StudyDescription" in a, last: keys[keys.length - 1], frozen: Object.isFrozen(a), threw }) };
    });`,
  });
  const got = JSON.parse(run(plugins, ctx("store", header())).decision.logs[0]!);
  assert.deepEqual(got, { checks: [true, true, true, "function", "[object Object]", false, true, false], id: "CHANGED", extra: 1, gone: false, last: "Extra", frozen: true, threw: true });
  plugins.dispose();
});

test("names read once are passed in with later events; their presence follows each event", async () => {
  const { plugins } = await loadPlugins({ "p.js": `conduit.on("store", (input) => ({ log: String(input.attributes.OperatorsName) + "/" + ("OperatorsName" in input.attributes) }));` });
  const logs = [header(), header({ OperatorsName: "Tech^One" }), header(), header({ OperatorsName: "Tech^Two" })].map((ds) => run(plugins, ctx("store", ds)).decision.logs[0]);
  assert.deepEqual(logs, ["undefined/false", "Tech^One/true", "undefined/false", "Tech^Two/true"]);
  plugins.dispose();
});

test("the sandbox asks the host only for names that were not passed in", async () => {
  const asked: Array<string | undefined> = [];
  const ds = header();
  const attributes = (name: string | undefined) => {
    asked.push(name);
    return name === undefined ? attributesView(ds) : attributesView(ds, [name]).get(name);
  };
  const sb = new Sandbox(await newQuickJSInstance(16 << 20), { memoryBytes: 16 << 20, stackBytes: 256 << 10 }, () => undefined, attributes);
  assert.ok(sb.load(`conduit.on("store", (i) => ({ log: [i.attributes.PatientID, String(i.attributes.Missing), i.attributes.StudyDescription, i.attributes.PatientID] }));`, "p.js", 1000).ok);
  const c = ctx("store", ds);
  const selection = { prefetch: ["PatientID", "Missing"] };
  const r = sb.dispatch(0, makePayloadWith((f) => encodeHandlerInput(f, c, selection), () => handlerInput(c, selection)), 1000);
  assert.ok(r.ok);
  assert.deepEqual(r.value, { log: ["PID001", "undefined", "CT CHEST", "PID001"] });
  assert.deepEqual(asked, ["StudyDescription"]);
  sb.dispose();
});

test("a view kept past its call reads its own event (even names it never read), never a later one", async () => {
  const { plugins } = await loadPlugins({
    "keep.js": `let kept;
      conduit.on("store", (input) => {
        const prev = kept;
        kept = input;
        if (!prev) return { log: "first " + input.attributes.PatientID };
        return { log: JSON.stringify([prev.attributes.PatientID, prev.attributes.StudyDescription, Object.keys(prev.attributes).length, input.attributes.PatientID]) };
      });`,
  });
  const first = header({ PatientID: "P1", StudyDescription: "D1" });
  const second = header({ PatientID: "P2", StudyDescription: "D2", OperatorsName: "Tech" });
  assert.deepEqual(run(plugins, ctx("store", first)).decision.logs, ["first P1"]);
  assert.deepEqual(JSON.parse(run(plugins, ctx("store", second)).decision.logs[0]!), ["P1", "D1", Object.keys(eager(first)).length, "P2"]);
  plugins.dispose();
});

test("when a plugin defeats the end-of-call check, a kept view refuses to read rather than read another event", async () => {
  const { plugins } = await loadPlugins({
    "sly.js": `let kept;
      Function.prototype.call = function () { return undefined; };
      WeakRef.prototype.deref = function () { return undefined; };
      conduit.on("store", (input) => {
        const prev = kept;
        kept = input;
        if (!prev) return { log: "first" };
        try { return { log: "read " + prev.attributes.StudyDescription }; } catch (e) { return { log: e.name + ": " + e.message }; }
      });`,
  });
  run(plugins, ctx("store", header({ StudyDescription: "D1" })));
  const logs = run(plugins, ctx("store", header({ StudyDescription: "D2" }))).decision.logs;
  assert.deepEqual(logs, ["TypeError: input.attributes can only be read during the call it was passed to"]);
  plugins.dispose();
});

test("a view kept by a call that ran out of time refuses to read; later events are unaffected", async () => {
  const { plugins } = await loadPlugins(
    {
      "slow.js": `let kept;
        conduit.on("store", (input) => {
          if (input.attributes.PatientID === "LOOP") { kept = input; for (;;) {} }
          if (!kept) return { log: "fine " + input.attributes.StudyDescription };
          try { return { log: "read " + kept.attributes.StudyDescription }; } catch (e) { return { log: e.message + " / " + input.attributes.StudyDescription }; }
        });`,
    },
    { config: testConfig({ plugins: { timeoutMs: 50 } }) },
  );
  assert.equal(run(plugins, ctx("store", header({ PatientID: "LOOP", StudyDescription: "D1" }))).failure?.reason, "timeout");
  assert.deepEqual(run(plugins, ctx("store", header({ StudyDescription: "D2" }))).decision.logs, ["input.attributes can only be read during the call it was passed to / D2"]);
  plugins.dispose();
});

test("input.local of an input kept past its call is its own event's answer", async () => {
  const { plugins } = await loadPlugins({
    "local.js": `let kept;
      conduit.on("move", (input) => {
        const prev = kept;
        kept = input;
        return { log: prev ? String(prev.local) + "/" + String(input.local) : "first" };
      });`,
  });
  const move = (local: boolean) => ({ ...ctx("move", header()), local: () => local });
  assert.deepEqual(run(plugins, move(true)).decision.logs, ["first"]);
  assert.deepEqual(run(plugins, move(false)).decision.logs, ["true/false"]);
  plugins.dispose();
});
