// Data crossing into QuickJS and back: the binary object format is proven on this QuickJS build, the direct encoder
// writes exactly what QuickJS's own writer would for the same value, the JSON fallback gives a handler the same
// input, and decisions read through the binary format equal what JSON text would give. Long and non-Latin-1
// strings survive both directions.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { DataSet } from "../../src/dicom/dataset.js";
import { encodePlain, plainJson } from "../../src/plugins/bjson.js";
import { attributesView, encodeHandlerInput, handlerInput, type AttributeSelection } from "../../src/plugins/input-view.js";
import { Sandbox } from "../../src/plugins/sandbox.js";
import { binaryFormat, makePayloadWith, type Payload } from "../../src/plugins/transfer.js";
import { newQuickJSInstance } from "../../src/plugins/wasm-instance.js";
import { runCleanups } from "../support/tmp.js";
import { ctHeader, ctx } from "./fixtures.js";

after(runCleanups);

const ECHO = `conduit.on("store", (input) => ({ log: JSON.stringify(input) }));
conduit.on("stored", (input) => ({ log: input.attributes.StudyDescription.repeat(300) }));
conduit.on("echo", () => ({ forward: "PACS", log: ["a", "\\u00c5\\u4e2d"], set: { SeriesNumber: 7, X: null, Y: undefined, Z: [1, undefined, NaN] } }));
conduit.on("echo", () => ({ when: new Date(0), n: 1n === 1n ? undefined : 0 }));`;

/** A sandbox running ECHO whose lazy views read `ds` (as a plugin's do during a call). */
async function sandbox(ds: () => DataSet | undefined): Promise<Sandbox> {
  const attributes = (name: string | undefined) => {
    const d = ds();
    if (!d) return undefined;
    return name === undefined ? attributesView(d) : attributesView(d, [name]).get(name);
  };
  const sb = new Sandbox(await newQuickJSInstance(16 << 20), { memoryBytes: 16 << 20, stackBytes: 256 << 10 }, () => undefined, attributes);
  const loaded = sb.load(ECHO, "echo.js", 1000);
  assert.ok(loaded.ok, JSON.stringify(loaded));
  return sb;
}

function header() {
  const ds = ctHeader({ PatientName: "Yamada^Tarou=山田^太郎", StudyDescription: "Thorax \u00c5\u4e2d", ImagePositionPatient: [-1.5, 0, 2147483648], SeriesNumber: 3 });
  ds.dict["00081115"] = { vr: "SQ", Value: [{ "0020000E": { vr: "UI", Value: ["1.2.3"] }, "00200011": { vr: "IS", Value: [-7] } }, {}] };
  ds.dict["00101010"] = { vr: "AS" };
  return ds;
}

test("the binary format is proven here, and the direct encoder matches the generic one byte for byte", async () => {
  const sb = await sandbox(() => undefined);
  const format = binaryFormat();
  assert.ok(format, "this QuickJS build takes the binary fast path");
  const selections: AttributeSelection[] = [{ prefetch: [] }, { prefetch: ["StudyDescription", "ReferencedSeriesSequence", "PatientAge"] }, "all", ["StudyDescription", "ReferencedSeriesSequence", "PatientAge", "OperatorsName"]];
  for (const selection of selections) {
    const c = { ...ctx("store", header()), local: () => true };
    const direct = Buffer.from(encodeHandlerInput(format, c, selection));
    const generic = Buffer.from(encodePlain(format, handlerInput(c, selection)));
    assert.ok(direct.equals(generic), JSON.stringify(selection));
  }
  sb.dispose();
});

test("a handler gets the same input through the binary format and through JSON text, lazily or eagerly", async () => {
  const c = ctx("store", header());
  const sb = await sandbox(() => c.dataset);
  const logs: string[] = [];
  for (const selection of [{ prefetch: ["PatientID", "NotThere"] }, "all"] as AttributeSelection[]) {
    const binary = makePayloadWith((f) => encodeHandlerInput(f, c, selection), () => handlerInput(c, selection));
    assert.equal(binary.kind, "bytes");
    const json: Payload = { kind: "json", text: plainJson(handlerInput(c, selection)) };
    const viaBinary = sb.dispatch(0, binary, 1000);
    const viaJson = sb.dispatch(0, json, 1000);
    assert.ok(viaBinary.ok && viaJson.ok);
    assert.deepEqual(viaBinary.value, viaJson.value);
    logs.push((viaBinary.value as { log: string }).log);
  }
  assert.equal(logs[0], logs[1], "a lazy view serializes as the eager one");
  const input = JSON.parse(logs[0]!) as { attributes: Record<string, unknown> };
  assert.equal(input.attributes.PatientName, "Yamada^Tarou=山田^太郎");
  assert.deepEqual(input.attributes.ImagePositionPatient, [-1.5, 0, 2147483648]);
  assert.deepEqual(input.attributes.ReferencedSeriesSequence, [{ SeriesInstanceUID: "1.2.3", SeriesNumber: -7 }, {}]);
  assert.equal(input.attributes.PatientAge, null);
  sb.dispose();
});

test("long decisions come back intact, narrow and wide", async () => {
  let current: DataSet | undefined;
  const sb = await sandbox(() => current);
  for (const text of ["plain ascii text ", "Thorax \u00c5\u4e2d "]) {
    const c = ctx("stored", ctHeader({ StudyDescription: text }));
    current = c.dataset;
    const r = sb.dispatch(1, makePayloadWith((f) => encodeHandlerInput(f, c), () => handlerInput(c)), 1000);
    assert.ok(r.ok);
    assert.equal((r.value as { log: string }).log, text.repeat(300));
  }
  sb.dispose();
});

test("decisions read through the binary format equal JSON's reading; what it cannot carry goes through JSON", async () => {
  const sb = await sandbox(() => undefined);
  const c = ctx("echo");
  const payload = makePayloadWith((f) => encodeHandlerInput(f, c), () => handlerInput(c));
  const plain = sb.dispatch(2, payload, 1000);
  assert.ok(plain.ok);
  assert.deepEqual(plain.value, { forward: "PACS", log: ["a", "\u00c5\u4e2d"], set: { SeriesNumber: 7, X: null, Z: [1, null, null] } });
  const dated = sb.dispatch(3, payload, 1000);
  assert.ok(dated.ok);
  assert.deepEqual(dated.value, { when: "1970-01-01T00:00:00.000Z" });
  sb.dispose();
});
