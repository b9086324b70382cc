// Decodes data set bytes (PS3.5 sections 6-7) into the DICOM JSON model (PS3.18 F.2): {tag: {vr, Value}}.
// Used on the C-STORE critical path, where a header must decode in tens of microseconds.
import { conduitError } from "../errors.js";
import { charsetDecoder, latin1 } from "./charset.js";
import { implicitVR, tagToHex } from "./dictionary.js";

export interface JsonElement {
  vr: string;
  Value?: unknown[];
}
export type JsonDataSet = Record<string, JsonElement>;

export interface ParseOptions {
  explicitVR: boolean;
  littleEndian: boolean;
  /** Stop before the first top-level element with a tag at or above this (default: Pixel Data group, 7FE0,0008). */
  stopAt?: number;
  /** Filled with each top-level element's byte range [start, end), for splicing edits back (dataset-writer). */
  offsets?: Map<string, [number, number]>;
}

const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);
const TEXT_MULTI = new Set(["AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "PN", "SH", "TM", "UC", "UI"]);
const TEXT_SINGLE = new Set(["LT", "ST", "UT", "UR"]);
const CHARSET_VRS = new Set(["LO", "LT", "PN", "SH", "ST", "UC", "UT"]);
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQ_END = 0xfffee0dd;
const UNDEFINED = 0xffffffff;

function isVrChars(a: number, b: number): boolean {
  return a >= 0x41 && a <= 0x5a && b >= 0x41 && b <= 0x5a;
}

class Reader {
  pos = 0;
  offsets?: Map<string, [number, number]>;
  decode: (b: Uint8Array) => string = latin1;
  constructor(
    readonly buf: Buffer,
    readonly explicit: boolean,
    readonly le: boolean,
  ) {}
  u16(at: number): number {
    return this.le ? this.buf.readUInt16LE(at) : this.buf.readUInt16BE(at);
  }
  u32(at: number): number {
    return this.le ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }
  fail(msg: string): never {
    throw conduitError("DICOM_PARSE", `${msg} at offset ${this.pos}`, { offset: this.pos });
  }
}

/** Parses elements until `end` (or a delimiter when `end` is undefined); returns the data set. */
function parseElements(r: Reader, end: number | undefined, stopAt: number, top: boolean): JsonDataSet {
  const out: JsonDataSet = {};
  const limit = end ?? r.buf.length;
  while (r.pos < limit) {
    if (r.pos + 8 > r.buf.length) r.fail("element header truncated");
    const start = r.pos;
    const tag = ((r.u16(start) << 16) | r.u16(start + 2)) >>> 0;
    if (tag === ITEM_END || tag === SEQ_END) {
      r.pos += 8;
      if (end === undefined) return out;
      continue; // stray delimiter inside a defined-length item: tolerated
    }
    if (top && tag >= stopAt) break;
    let vr: string;
    let length: number;
    if (r.explicit) {
      vr = String.fromCharCode(r.buf[start + 4]!, r.buf[start + 5]!);
      if (LONG_VRS.has(vr)) {
        if (start + 12 > r.buf.length) r.fail("element header truncated");
        length = r.u32(start + 8);
        r.pos = start + 12;
      } else if (isVrChars(r.buf[start + 4]!, r.buf[start + 5]!)) {
        length = r.u16(start + 6);
        r.pos = start + 8;
      } else {
        r.fail(`invalid VR "${vr.replace(/[^\x20-\x7e]/g, "?")}" for ${tagToHex(tag)}`);
      }
    } else {
      vr = implicitVR(tag);
      length = r.u32(start + 4);
      r.pos = start + 8;
      if (length === UNDEFINED && vr !== "SQ") vr = "SQ";
    }
    const key = tagToHex(tag);
    if (vr === "SQ" || (length === UNDEFINED && (vr === "UN" || vr === "SQ"))) {
      const implicitInside = vr === "UN"; // PS3.5 6.2.2: an undefined-length UN holds implicit VR LE items
      out[key] = { vr: "SQ", Value: parseSequence(r, length, implicitInside, stopAt) };
    } else if (length === UNDEFINED) {
      // Encapsulated fragments outside Pixel Data: skip to the sequence delimiter.
      skipFragments(r);
      out[key] = { vr };
    } else {
      if (r.pos + length > r.buf.length) r.fail(`value of ${tagToHex(tag)} (${length} bytes) runs past the data`);
      const value = r.buf.subarray(r.pos, r.pos + length);
      r.pos += length;
      out[key] = decodeValue(r, vr, value);
      if (tag === 0x00080005) r.decode = charsetDecoder((out[key]!.Value ?? []) as string[]);
    }
    if (top && r.offsets) r.offsets.set(key, [start, r.pos]);
  }
  if (end !== undefined && r.pos > end) r.fail("element runs past its item");
  return out;
}

function parseSequence(r: Reader, length: number, implicitInside: boolean, stopAt: number): JsonDataSet[] {
  const items: JsonDataSet[] = [];
  const end = length === UNDEFINED ? undefined : r.pos + length;
  const inner = implicitInside ? new Reader(r.buf, false, true) : r;
  if (implicitInside) {
    inner.pos = r.pos;
    inner.decode = r.decode;
  }
  for (;;) {
    if (end !== undefined && inner.pos >= end) break;
    if (inner.pos + 8 > inner.buf.length) inner.fail("sequence truncated");
    const tag = ((inner.u16(inner.pos) << 16) | inner.u16(inner.pos + 2)) >>> 0;
    const len = inner.u32(inner.pos + 4);
    inner.pos += 8;
    if (tag === SEQ_END) break;
    if (tag !== ITEM) inner.fail(`expected an item tag in a sequence, found ${tagToHex(tag)}`);
    items.push(parseElements(inner, len === UNDEFINED ? undefined : inner.pos + len, stopAt, false));
  }
  if (implicitInside) r.pos = inner.pos;
  return items;
}

function skipFragments(r: Reader): void {
  for (;;) {
    if (r.pos + 8 > r.buf.length) r.fail("encapsulated fragments truncated");
    const tag = ((r.u16(r.pos) << 16) | r.u16(r.pos + 2)) >>> 0;
    const len = r.u32(r.pos + 4);
    r.pos += 8;
    if (tag === SEQ_END) return;
    r.pos += len;
  }
}

function trimText(s: string, vr: string): string {
  if (vr === "UI") return s.replace(/[\0 ]+$/, "");
  if (TEXT_SINGLE.has(vr)) return s.replace(/[\0 ]+$/, "");
  return s.replace(/[\0 ]+$/, "").replace(/^ +/, "");
}

function decodeValue(r: Reader, vr: string, bytes: Buffer): JsonElement {
  if (bytes.length === 0) return { vr };
  if (TEXT_MULTI.has(vr) || TEXT_SINGLE.has(vr)) {
    const text = CHARSET_VRS.has(vr) ? r.decode(bytes) : latin1(bytes);
    const parts = TEXT_SINGLE.has(vr) ? [text] : text.split("\\");
    const values: unknown[] = parts.map((p) => trimText(p, vr));
    if (vr === "PN") return { vr, Value: values.map((v) => personName(v as string)) };
    if (vr === "DS" || vr === "IS") {
      return { vr, Value: values.map((v) => (v === "" ? null : Number.isFinite(Number(v)) ? Number(v) : v)) };
    }
    return { vr, Value: values };
  }
  const le = r.le;
  const view = (size: number, read: (at: number) => unknown): unknown[] => {
    const out: unknown[] = [];
    for (let i = 0; i + size <= bytes.length; i += size) out.push(read(i));
    return out;
  };
  switch (vr) {
    case "US":
      return { vr, Value: view(2, (i) => (le ? bytes.readUInt16LE(i) : bytes.readUInt16BE(i))) };
    case "SS":
      return { vr, Value: view(2, (i) => (le ? bytes.readInt16LE(i) : bytes.readInt16BE(i))) };
    case "UL":
      return { vr, Value: view(4, (i) => (le ? bytes.readUInt32LE(i) : bytes.readUInt32BE(i))) };
    case "SL":
      return { vr, Value: view(4, (i) => (le ? bytes.readInt32LE(i) : bytes.readInt32BE(i))) };
    case "FL":
      return { vr, Value: view(4, (i) => (le ? bytes.readFloatLE(i) : bytes.readFloatBE(i))) };
    case "FD":
      return { vr, Value: view(8, (i) => (le ? bytes.readDoubleLE(i) : bytes.readDoubleBE(i))) };
    case "SV":
      return { vr, Value: view(8, (i) => Number(le ? bytes.readBigInt64LE(i) : bytes.readBigInt64BE(i))) };
    case "UV":
      return { vr, Value: view(8, (i) => Number(le ? bytes.readBigUInt64LE(i) : bytes.readBigUInt64BE(i))) };
    case "AT":
      return {
        vr,
        Value: view(4, (i) => {
          const g = le ? bytes.readUInt16LE(i) : bytes.readUInt16BE(i);
          const e = le ? bytes.readUInt16LE(i + 2) : bytes.readUInt16BE(i + 2);
          return tagToHex(((g << 16) | e) >>> 0);
        }),
      };
    default:
      // OB, OW, OF, OD, OL, OV, UN: raw bytes (copied: the source buffer may be reused).
      return { vr, Value: [Buffer.from(bytes)] };
  }
}

/** PS3.18 F.2.2: "Alphabetic=Ideographic=Phonetic" person name groups. */
function personName(v: string): Record<string, string> | string {
  if (v === "") return "";
  const [alphabetic, ideographic, phonetic] = v.split("=");
  const pn: Record<string, string> = {};
  if (alphabetic) pn.Alphabetic = alphabetic;
  if (ideographic) pn.Ideographic = ideographic;
  if (phonetic) pn.Phonetic = phonetic;
  return pn;
}

/** Parses data set bytes (not deflated) up to `stopAt` (default: before the pixel data group). */
export function parseDataSet(bytes: Buffer, options: ParseOptions): JsonDataSet {
  const r = new Reader(bytes, options.explicitVR, options.littleEndian);
  r.offsets = options.offsets;
  return parseElements(r, bytes.length, options.stopAt ?? 0x7fe00008, true);
}
