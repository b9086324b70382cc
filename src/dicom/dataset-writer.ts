// Encodes DICOM JSON model elements (PS3.18 F.2) back into data set bytes (PS3.5 sections 6-7), and splices a
// modified header: untouched elements keep their original bytes, only changed ones are re-encoded.
import { conduitError } from "../errors.js";
import type { JsonDataSet, JsonElement } from "./dataset-parser.js";

export interface Encoding {
  explicitVR: boolean;
  littleEndian: boolean;
  /** Text encoder for the data set's Specific Character Set. */
  text: (s: string) => Buffer;
}

const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);
const TEXT_VRS = new Set(["AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"]);
const ASCII_VRS = new Set(["AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI", "UR"]);

function u16(v: number, le: boolean): Buffer {
  const b = Buffer.allocUnsafe(2);
  if (le) b.writeUInt16LE(v & 0xffff);
  else b.writeUInt16BE(v & 0xffff);
  return b;
}

function u32(v: number, le: boolean): Buffer {
  const b = Buffer.allocUnsafe(4);
  if (le) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

function tagBytes(tag: number, le: boolean): Buffer {
  return Buffer.concat([u16(tag >>> 16, le), u16(tag & 0xffff, le)]);
}

/** DS values must fit 16 characters (PS3.5 6.2). */
function formatDS(n: number): string {
  let s = String(n);
  for (let p = 15; s.length > 16 && p > 0; p--) s = Number(n.toPrecision(p)).toString();
  return s;
}

function textValue(vr: string, values: unknown[]): string {
  return values
    .map((v) => {
      if (v === null || v === undefined) return "";
      if (vr === "PN" && typeof v === "object") {
        const pn = v as Record<string, string | undefined>;
        return [pn.Alphabetic ?? "", pn.Ideographic ?? "", pn.Phonetic ?? ""].join("=").replace(/=+$/, "");
      }
      if (vr === "DS" && typeof v === "number") return formatDS(v);
      if (vr === "IS" && typeof v === "number") return String(Math.trunc(v));
      return String(v);
    })
    .join("\\");
}

function encodeValue(vr: string, el: JsonElement, enc: Encoding): Buffer {
  const values = el.Value ?? [];
  const le = enc.littleEndian;
  if (TEXT_VRS.has(vr)) {
    const text = textValue(vr, values);
    let b = ASCII_VRS.has(vr) ? Buffer.from(text, "latin1") : enc.text(text);
    if (b.length % 2) b = Buffer.concat([b, Buffer.from(vr === "UI" ? "\0" : " ")]);
    return b;
  }
  const nums = values.map((v) => Number(v));
  const pack = (size: number, write: (b: Buffer, v: number, at: number) => void) => {
    const b = Buffer.allocUnsafe(size * nums.length);
    nums.forEach((v, i) => write(b, v, i * size));
    return b;
  };
  switch (vr) {
    case "US":
      return pack(2, (b, v, at) => (le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at)));
    case "SS":
      return pack(2, (b, v, at) => (le ? b.writeInt16LE(v, at) : b.writeInt16BE(v, at)));
    case "UL":
      return pack(4, (b, v, at) => (le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at)));
    case "SL":
      return pack(4, (b, v, at) => (le ? b.writeInt32LE(v, at) : b.writeInt32BE(v, at)));
    case "FL":
      return pack(4, (b, v, at) => (le ? b.writeFloatLE(v, at) : b.writeFloatBE(v, at)));
    case "FD":
      return pack(8, (b, v, at) => (le ? b.writeDoubleLE(v, at) : b.writeDoubleBE(v, at)));
    case "SV":
      return pack(8, (b, v, at) => (le ? b.writeBigInt64LE(BigInt(Math.trunc(v)), at) : b.writeBigInt64BE(BigInt(Math.trunc(v)), at)));
    case "UV":
      return pack(8, (b, v, at) => (le ? b.writeBigUInt64LE(BigInt(Math.trunc(v)), at) : b.writeBigUInt64BE(BigInt(Math.trunc(v)), at)));
    case "AT":
      return Buffer.concat(
        values.map((v) => {
          const t = typeof v === "number" ? v : parseInt(String(v), 16);
          return Buffer.concat([u16(t >>> 16, le), u16(t & 0xffff, le)]);
        }),
      );
    default: {
      // OB, OW, OF, OD, OL, OV, UN: raw bytes as held.
      const parts = values.map((v) =>
        Buffer.isBuffer(v) ? v : ArrayBuffer.isView(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v instanceof ArrayBuffer ? Buffer.from(v) : Buffer.alloc(0),
      );
      let b = Buffer.concat(parts);
      if (b.length % 2) b = Buffer.concat([b, Buffer.alloc(1)]);
      return b;
    }
  }
}

/** One element (tag, VR, length, value); sequences are written with undefined lengths (PS3.5 7.5.2). */
export function encodeElement(tag: number, el: JsonElement, enc: Encoding): Buffer {
  const le = enc.littleEndian;
  const vr = el.vr;
  if (vr === "SQ") {
    const items = ((el.Value ?? []) as JsonDataSet[]).map((item) =>
      Buffer.concat([tagBytes(0xfffee000, le), u32(0xffffffff, le), encodeDataSet(item ?? {}, enc), tagBytes(0xfffee00d, le), u32(0, le)]),
    );
    const head = enc.explicitVR
      ? Buffer.concat([tagBytes(tag, le), Buffer.from("SQ"), Buffer.alloc(2), u32(0xffffffff, le)])
      : Buffer.concat([tagBytes(tag, le), u32(0xffffffff, le)]);
    return Buffer.concat([head, ...items, tagBytes(0xfffee0dd, le), u32(0, le)]);
  }
  const value = encodeValue(vr, el, enc);
  if (!enc.explicitVR) return Buffer.concat([tagBytes(tag, le), u32(value.length, le), value]);
  if (LONG_VRS.has(vr)) return Buffer.concat([tagBytes(tag, le), Buffer.from(vr, "latin1"), Buffer.alloc(2), u32(value.length, le), value]);
  if (value.length > 0xffff) {
    throw conduitError("DICOM_PARSE", `value of ${tag.toString(16).padStart(8, "0")} (${vr}) is ${value.length} bytes, more than a ${vr} can hold`);
  }
  return Buffer.concat([tagBytes(tag, le), Buffer.from(vr, "latin1"), u16(value.length, le), value]);
}

/** A whole data set in ascending tag order. */
export function encodeDataSet(ds: JsonDataSet, enc: Encoding): Buffer {
  const tags = Object.keys(ds)
    .map((k) => parseInt(k, 16) >>> 0)
    .sort((a, b) => a - b);
  return Buffer.concat(tags.map((t) => encodeElement(t, ds[t.toString(16).toUpperCase().padStart(8, "0")]!, enc)));
}

/**
 * Rebuilds header bytes after coercion: elements not in `dirty` are copied from `original` at the offsets the
 * parser recorded; dirty ones are encoded from `ds` (or dropped when removed). Tag order is kept ascending.
 */
export function spliceHeader(
  original: Buffer,
  offsets: ReadonlyMap<string, readonly [number, number]>,
  ds: JsonDataSet,
  dirty: ReadonlySet<string>,
  enc: Encoding,
): Buffer {
  const keys = new Set<string>([...offsets.keys(), ...Object.keys(ds)]);
  const sorted = [...keys].map((k) => [k, parseInt(k, 16) >>> 0] as const).sort((a, b) => a[1] - b[1]);
  const parts: Buffer[] = [];
  for (const [key, tag] of sorted) {
    const el = ds[key];
    const at = offsets.get(key);
    if (!dirty.has(key) && at) parts.push(original.subarray(at[0], at[1]));
    else if (el) parts.push(encodeElement(tag, el, enc));
  }
  return Buffer.concat(parts);
}
