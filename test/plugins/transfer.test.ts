// Data crossing into QuickJS: the binary object format is proven on this QuickJS build, the direct encoder
// writes exactly what QuickJS's own writer would for the same value, and the JSON fallback gives a handler the
// same input. Long and non-Latin-1 strings survive both directions.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { encodePlain, plainJson } from "../../src/plugins/bjson.js";
import { encodeHandlerInput, handlerInput } from "../../src/plugins/input-view.js";
import { Sandbox } from "../../src/plugins/sandbox.js";
import { binaryFormat, makePayloadWith, type Payload } from "../../src/plugins/transfer.js";
import { newQuickJSInstance } from "../../src/plugins/wasm-instance.js";
import { runCleanups } from "../support/tmp.js";
import { ctHeader, ctx } from "./fixtures.js";

after(runCleanups);

const ECHO = `conduit.on("store", (input) => ({ log: JSON.stringify(input) }));
conduit.on("stored", (input) => ({ log: input.attributes.StudyDescription.repeat(300) }));`;

async function sandbox(): Promise<Sandbox> {
  const sb = new Sandbox(await newQuickJSInstance(16 << 20), { memoryBytes: 16 << 20, stackBytes: 256 << 10 }, () => undefined);
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
  const sb = await sandbox();
  const format = binaryFormat();
  assert.ok(format, "this QuickJS build takes the binary fast path");
  for (const only of [undefined, ["StudyDescription", "ReferencedSeriesSequence", "PatientAge", "OperatorsName"]]) {
    const c = { ...ctx("store", header()), local: () => true };
    const direct = Buffer.from(encodeHandlerInput(format, c, only));
    const generic = Buffer.from(encodePlain(format, handlerInput(c, only)));
    assert.ok(direct.equals(generic), `only=${String(only)}`);
  }
  sb.dispose();
});

test("a handler gets the same input through the binary format and through JSON text", async () => {
  const sb = await sandbox();
  const c = ctx("store", header());
  const binary = makePayloadWith((f) => encodeHandlerInput(f, c), () => handlerInput(c));
  assert.equal(binary.kind, "bytes");
  const json: Payload = { kind: "json", text: plainJson(handlerInput(c)) };
  const viaBinary = sb.dispatch(0, binary, 1000);
  const viaJson = sb.dispatch(0, json, 1000);
  assert.ok(viaBinary.ok && viaJson.ok);
  assert.equal(viaBinary.value, viaJson.value);
  const input = JSON.parse(JSON.parse(viaBinary.value!).log) as { attributes: Record<string, unknown> };
  assert.equal(input.attributes.PatientName, "Yamada^Tarou=山田^太郎");
  assert.deepEqual(input.attributes.ImagePositionPatient, [-1.5, 0, 2147483648]);
  assert.deepEqual(input.attributes.ReferencedSeriesSequence, [{ SeriesInstanceUID: "1.2.3", SeriesNumber: -7 }, {}]);
  assert.equal(input.attributes.PatientAge, null);
  sb.dispose();
});

test("long decisions come back intact, narrow and wide", async () => {
  const sb = await sandbox();
  for (const text of ["plain ascii text ", "Thorax \u00c5\u4e2d "]) {
    const c = ctx("stored", ctHeader({ StudyDescription: text }));
    const r = sb.dispatch(1, makePayloadWith((f) => encodeHandlerInput(f, c), () => handlerInput(c)), 1000);
    assert.ok(r.ok);
    assert.equal(JSON.parse(r.value!).log, text.repeat(300));
  }
  sb.dispose();
});
