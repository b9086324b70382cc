// Moving data between Node and a QuickJS context quickly. The library's newString/getString convert UTF-8 with
// a JavaScript loop per character (25 us for a 1.7 KB text here) and JSON.parse in the sandbox runs as
// WebAssembly bytecode (45 us for 60 attributes); QuickJS's binary object format is decoded by C instead.
// The format is proven against the running QuickJS once; if it differs, JSON text is used (slower, same result).
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten";
import { decodeString, encodePlain, encodeString, plainJson, type BjsonFormat, type PlainValue } from "./bjson.js";
import { decodePlain, UNSUPPORTED } from "./bjson-read.js";

/** Strings shorter than this go into QuickJS through newString (its fixed cost is lower). */
const SHORT = 64;
/** Strings at least this long come out through the binary format; shorter ones through getString. */
const LONG = 512;

/** A sample touching every tag and both string widths, compared byte for byte with QuickJS's own writer. */
const SAMPLE = '{"event":"store","origin":{"callingAE":"CT1","n":5},"neg":-3,"big":3000000000,"f":1.5,"t":true,"no":false,"z":null,"arr":[1,"a",[2,{"n":7}]],"text":"\u00c5se \u4e2d","long":"' + "x".repeat(200) + '"}';

let format: BjsonFormat | null | undefined;

/** fn applied to a value's format bytes (QuickJS's own copy, freed afterwards); undefined when writing failed. */
function withBytes<T>(ctx: QuickJSContext, handle: QuickJSHandle, fn: (bytes: Uint8Array) => T): T | undefined {
  const encoded = ctx.encodeBinaryJSON(handle);
  try {
    let ab: ReturnType<QuickJSContext["getArrayBuffer"]>;
    try {
      // When writing failed, encoded is no ArrayBuffer and this throws (cheaper than asking its type first).
      ab = ctx.getArrayBuffer(encoded);
    } catch {
      return undefined;
    }
    try {
      return fn(ab.value);
    } finally {
      ab.dispose();
    }
  } finally {
    encoded.dispose();
  }
}

function bytesOf(ctx: QuickJSContext, handle: QuickJSHandle): Uint8Array | undefined {
  return withBytes(ctx, handle, (b) => new Uint8Array(b));
}

/** A handle decoded from format bytes; undefined when QuickJS refused them (e.g. out of memory). */
function decodeHandle(ctx: QuickJSContext, bytes: ArrayBuffer): QuickJSHandle | undefined {
  const ab = ctx.newArrayBuffer(bytes);
  try {
    // A buffer QuickJS could not allocate fails the decode below, which is checked.
    const h = ctx.decodeBinaryJSON(ab);
    if (ctx.typeof(h) === "unknown") {
      h.dispose();
      return undefined;
    }
    return h;
  } finally {
    ab.dispose();
  }
}

function evalJson(ctx: QuickJSContext, json: string): QuickJSHandle {
  const r = ctx.evalCode(`JSON.parse(${JSON.stringify(json)})`, "<conduit-calibrate>", { type: "global", strict: true });
  if (r.error) {
    r.error.dispose();
    throw new Error("calibration sample did not parse");
  }
  return r.value;
}

/** Learns version and atom numbering from a probe, then proves encoder and string reader on the sample. */
function calibrate(ctx: QuickJSContext): BjsonFormat | null {
  try {
    const probe = evalJson(ctx, '{"zzzq":1}');
    const p = bytesOf(ctx, probe);
    probe.dispose();
    // version, 1 atom, "zzzq" (len 4 -> 8), object tag, 1 property, atom index, int32 1.
    if (!p || p.length !== 12 || p[1] !== 1 || p[2] !== 8 || p[7] !== 8 || p[8] !== 1 || p[9]! & 0x81) return null;
    const f: BjsonFormat = { version: p[0]!, firstAtom: p[9]! >> 1 };
    const sample = evalJson(ctx, SAMPLE);
    const theirs = bytesOf(ctx, sample);
    sample.dispose();
    const ours = new Uint8Array(encodePlain(f, JSON.parse(SAMPLE) as PlainValue));
    if (!theirs || Buffer.compare(Buffer.from(theirs), Buffer.from(ours)) !== 0) return null;
    for (const s of ["a\u0100\u4e2d\u00e9", "x".repeat(300) + "\u00ff", ""]) {
      const h = decodeHandle(ctx, encodeString(f, s));
      if (!h) return null;
      const back = ctx.getString(h);
      const raw = bytesOf(ctx, h);
      h.dispose();
      if (back !== s || !raw || decodeString(f, raw) !== s) return null;
    }
    return f;
  } catch {
    return null;
  }
}

/** Proves the format once per process, on the first plugin context (it leaves nothing behind in it). */
export function calibrateTransfer(ctx: QuickJSContext): void {
  if (format === undefined) format = calibrate(ctx);
}

function formatFor(ctx: QuickJSContext): BjsonFormat | null {
  calibrateTransfer(ctx);
  return format ?? null;
}

/** What crosses into the sandbox: format bytes when the format is proven, else JSON text. */
export type Payload = { kind: "bytes"; bytes: ArrayBuffer } | { kind: "json"; text: string };

/** Prepares a plain value once; the payload can be given to every plugin context of the process. */
export function makePayload(value: PlainValue): Payload {
  return format ? { kind: "bytes", bytes: encodePlain(format, value) } : { kind: "json", text: plainJson(value) };
}

/** Like makePayload, with a direct binary encoder (`encode`) and the plain value only for the JSON fallback. */
export function makePayloadWith(encode: (f: BjsonFormat) => ArrayBuffer, plain: () => PlainValue): Payload {
  return format ? { kind: "bytes", bytes: encode(format) } : { kind: "json", text: plainJson(plain()) };
}

/** A handle for a payload: the value itself, or (JSON fallback) its text for the sandbox to parse. */
export function payloadHandle(ctx: QuickJSContext, p: Payload): QuickJSHandle | undefined {
  return p.kind === "bytes" ? decodeHandle(ctx, p.bytes) : stringToHandle(ctx, p.text);
}

/** A QuickJS string handle holding `text` (the caller disposes it). */
export function stringToHandle(ctx: QuickJSContext, text: string): QuickJSHandle {
  const f = text.length < SHORT ? null : formatFor(ctx);
  return (f && decodeHandle(ctx, encodeString(f, text))) || ctx.newString(text);
}

/** A handle for a plain value (the caller disposes it; undefined and null are static handles). */
export function plainHandle(ctx: QuickJSContext, v: PlainValue | undefined): QuickJSHandle {
  if (v === undefined) return ctx.undefined;
  if (v === null) return ctx.null;
  if (typeof v === "string") return stringToHandle(ctx, v);
  if (typeof v === "number") return ctx.newNumber(v);
  if (typeof v === "boolean") return v ? ctx.true : ctx.false;
  const f = formatFor(ctx);
  const decoded = f ? decodeHandle(ctx, encodePlain(f, v)) : undefined;
  if (decoded) return decoded;
  // Without the binary format (or memory for it): built property by property.
  const out = Array.isArray(v) ? ctx.newArray() : ctx.newObject();
  const entries: Array<[string | number, PlainValue]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : v instanceof Map ? [...v] : Object.entries(v);
  for (const [k, x] of entries) plainHandle(ctx, x).consume((h) => ctx.setProp(out, k, h));
  return out;
}

/** The text of a QuickJS string handle. */
export function handleToString(ctx: QuickJSContext, handle: QuickJSHandle): string {
  const f = formatFor(ctx);
  const length = ctx.getLength(handle) ?? 0;
  const raw = f && length >= LONG ? bytesOf(ctx, handle) : undefined;
  return (f && raw && decodeString(f, raw)) ?? ctx.getString(handle);
}

/**
 * A plain value read out of the sandbox through the binary format (QuickJS writes it in C); UNSUPPORTED when
 * the format is unavailable, the value holds something JSON would treat specially, or writing it failed.
 */
export function handleToPlain(ctx: QuickJSContext, handle: QuickJSHandle): unknown {
  const f = formatFor(ctx);
  if (!f) return UNSUPPORTED;
  const v = withBytes(ctx, handle, (bytes) => decodePlain(f, bytes));
  return v === undefined ? UNSUPPORTED : v;
}

/** Whether the binary format is in use (reported by the benchmark). */
export function binaryTransfer(): boolean {
  return format !== null && format !== undefined;
}

/** The proven format, once a plugin context exists (null: JSON text is used). */
export function binaryFormat(): BjsonFormat | null {
  return format ?? null;
}
