// Re-encodes an uncompressed data set between Implicit VR Little Endian, Explicit VR Little Endian and Explicit VR
// Big Endian (PS3.5 7.1, 7.3, Annex A.1-A.3) for a peer that accepted only another one, as DCMTK's storescu does.
// Element values are copied as they are, byte-swapped per VR when the byte order changes; sequence and item lengths
// are recomputed (defined stays defined, undefined stays undefined). Compressed data is never converted.
import { readFile } from "node:fs/promises";
import { conduitError } from "../errors.js";
import { implicitVR, lookupTag } from "./dictionary.js";
import { decodeFileMeta, encodeFileMeta } from "./part10.js";
import { EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from "./transfer-syntax.js";

interface Syntax {
  explicit: boolean;
  le: boolean;
}

const SYNTAXES = new Map<string, Syntax>([
  [IMPLICIT_VR_LITTLE_ENDIAN, { explicit: false, le: true }],
  [EXPLICIT_VR_LITTLE_ENDIAN, { explicit: true, le: true }],
  [EXPLICIT_VR_BIG_ENDIAN, { explicit: true, le: false }],
]);

// PS3.5 7.1.2: VRs with a 2-byte reserved field and a 32-bit length in explicit VR.
const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);
const VRS = new Set([...LONG_VRS, "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US"]);
// PS3.5 7.3: bytes swapped per value of this size when the byte order changes (AT is a pair of 16-bit words).
const SWAP: Readonly<Record<string, 2 | 4 | 8>> = { AT: 2, OW: 2, SS: 2, US: 2, FL: 4, OF: 4, OL: 4, SL: 4, UL: 4, FD: 8, OD: 8, OV: 8, SV: 8, UV: 8 };
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQ_END = 0xfffee0dd;
const UNDEFINED = 0xffffffff;
const PIXEL_REPRESENTATION = 0x00280103;
// PS3.6 "US or SS" attributes whose VR follows Pixel Representation (PS3.5 A.1: implicit VR leaves it to the reader).
const US_OR_SS = new Set([
  0x00189810, 0x00221452, 0x00280071, 0x00280104, 0x00280105, 0x00280106, 0x00280107, 0x00280108, 0x00280109,
  0x00280110, 0x00280111, 0x00280120, 0x00280121, 0x00409211, 0x00409216, 0x00603004, 0x00603006,
]);

/** True when transcodeDataSet converts `from` into `to`: two different uncompressed transfer syntaxes. */
export function canTranscode(from: string, to: string): boolean {
  return from !== to && SYNTAXES.has(from) && SYNTAXES.has(to);
}

/** VR of an implicit VR element: dictionary (repeating groups 50xx/60xx included), else implicitVR's fallbacks. */
function vrOf(tag: number, pixelRepresentation: number): string {
  const group = tag >>> 16;
  const repeating = (group & 0xff01) === 0x5000 || (group & 0xff01) === 0x6000;
  const entry = lookupTag(tag) ?? (repeating ? lookupTag(((group & 0xff00) << 16) | (tag & 0xffff)) : undefined);
  const vr = entry?.vr ?? implicitVR(tag);
  return vr === "US" && pixelRepresentation === 1 && US_OR_SS.has(tag) ? "SS" : vr;
}

class Transcoder {
  pos = 0;
  private readonly target: Syntax;

  constructor(
    private readonly buf: Buffer,
    private readonly from: Syntax,
    to: Syntax,
  ) {
    this.target = to;
  }

  private u16(at: number): number {
    return this.from.le ? this.buf.readUInt16LE(at) : this.buf.readUInt16BE(at);
  }

  private u32(at: number): number {
    return this.from.le ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }

  private tagAt(at: number): number {
    return ((this.u16(at) << 16) | this.u16(at + 2)) >>> 0;
  }

  fail(msg: string, at = this.pos): never {
    throw conduitError("DICOM_PARSE", `cannot transcode: ${msg} at data set offset ${at}`, { offset: at });
  }

  /** Element header in the target syntax (PS3.5 7.1.1-7.1.3). */
  private header(tag: number, vr: string, length: number): Buffer {
    const { explicit, le } = this.target;
    const long = !explicit || LONG_VRS.has(vr);
    const b = Buffer.alloc(explicit && long ? 12 : 8);
    const w16 = (v: number, o: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
    const w32 = (v: number, o: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
    w16(tag >>> 16, 0);
    w16(tag & 0xffff, 2);
    if (!explicit) w32(length, 4);
    else {
      b.write(vr, 4, "latin1");
      if (long) w32(length, 8);
      else w16(length, 6);
    }
    return b;
  }

  /** Item and delimitation items: tag and 32-bit length, no VR, in every syntax (PS3.5 7.5). */
  private marker(tag: number, length: number): Buffer {
    const b = Buffer.alloc(8);
    if (this.target.le) (b.writeUInt16LE(tag >>> 16, 0), b.writeUInt16LE(tag & 0xffff, 2), b.writeUInt32LE(length, 4));
    else (b.writeUInt16BE(tag >>> 16, 0), b.writeUInt16BE(tag & 0xffff, 2), b.writeUInt32BE(length, 4));
    return b;
  }

  /** Elements up to `end`, or with `inItem` up to and including the item delimiter; appended to out, bytes returned. */
  elements(end: number, inItem: boolean, out: Buffer[], inheritedPixelRep: number): number {
    let written = 0;
    let pixelRep = inheritedPixelRep;
    while (this.pos < end) {
      const start = this.pos;
      if (start + 8 > this.buf.length) this.fail("element header truncated");
      const tag = this.tagAt(start);
      if (tag === ITEM_END && inItem) {
        this.pos += 8;
        return written;
      }
      if (tag === ITEM || tag === ITEM_END || tag === SEQ_END) this.fail(`unexpected delimiter (${tag.toString(16)})`);
      let vr: string;
      let length: number;
      if (this.from.explicit) {
        vr = this.buf.toString("latin1", start + 4, start + 6);
        if (!VRS.has(vr)) this.fail(`unknown VR "${vr}" for (${tag.toString(16).padStart(8, "0")})`);
        if (LONG_VRS.has(vr)) {
          if (start + 12 > this.buf.length) this.fail("element header truncated");
          length = this.u32(start + 8);
          this.pos = start + 12;
        } else {
          length = this.u16(start + 6);
          this.pos = start + 8;
        }
      } else {
        length = this.u32(start + 4);
        vr = vrOf(tag, pixelRep);
        this.pos = start + 8;
      }
      // PS3.5 6.2.2: an unknown element of undefined length in implicit VR is a sequence.
      if (vr === "SQ" || (!this.from.explicit && length === UNDEFINED && vr === "UN")) {
        written += this.sequence(tag, length, out, pixelRep);
        continue;
      }
      if (length === UNDEFINED) {
        if (vr !== "UN") this.fail(`undefined length for ${vr} (${tag.toString(16).padStart(8, "0")}): encapsulated data is not uncompressed`);
        written += this.unknownSequence(tag, out);
        continue;
      }
      if (this.pos + length > this.buf.length) this.fail(`value of (${tag.toString(16).padStart(8, "0")}) runs past the end`, start);
      let value = this.buf.subarray(this.pos, this.pos + length);
      this.pos += length;
      // PS3.5 7.2: group lengths are optional and would be wrong after re-encoding; they are dropped.
      if ((tag & 0xffff) === 0) continue;
      if (tag === PIXEL_REPRESENTATION && length >= 2) pixelRep = this.u16(this.pos - length);
      let outVr = vr;
      // PS3.5 6.2.2 note: a value too long for a 16-bit length is written as UN.
      if (!this.from.explicit && this.target.explicit && !LONG_VRS.has(vr) && length > 0xffff) outVr = "UN";
      const size = SWAP[outVr];
      if (size && this.from.le !== this.target.le && length % size === 0) {
        value = Buffer.from(value);
        if (size === 2) value.swap16();
        else if (size === 4) value.swap32();
        else value.swap64();
      }
      const head = this.header(tag, outVr, length);
      out.push(head, value);
      written += head.length + length;
    }
    if (inItem) this.fail("item without an item delimiter");
    if (this.pos !== end) this.fail("element runs past its item or sequence", end);
    return written;
  }

  /** A sequence: items re-encoded, lengths recomputed when defined (PS3.5 7.5.1, 7.5.2). */
  private sequence(tag: number, length: number, out: Buffer[], pixelRep: number): number {
    const defined = length !== UNDEFINED;
    const end = defined ? this.pos + length : this.buf.length;
    if (end > this.buf.length) this.fail(`sequence (${tag.toString(16).padStart(8, "0")}) runs past the end`);
    const body: Buffer[] = [];
    let size = 0;
    for (;;) {
      if (defined && this.pos >= end) break;
      if (this.pos + 8 > this.buf.length) this.fail("sequence without a sequence delimiter");
      const itemTag = this.tagAt(this.pos);
      const itemLength = this.u32(this.pos + 4);
      this.pos += 8;
      if (itemTag === SEQ_END && !defined) break;
      if (itemTag !== ITEM) this.fail(`expected an item in sequence (${tag.toString(16).padStart(8, "0")})`, this.pos - 8);
      const items: Buffer[] = [];
      const undefinedItem = itemLength === UNDEFINED;
      const n = undefinedItem ? this.elements(this.buf.length, true, items, pixelRep) : this.elements(this.pos + itemLength, false, items, pixelRep);
      body.push(this.marker(ITEM, undefinedItem ? UNDEFINED : n));
      for (const b of items) body.push(b);
      if (undefinedItem) body.push(this.marker(ITEM_END, 0));
      size += 8 + n + (undefinedItem ? 8 : 0);
    }
    if (!defined) {
      body.push(this.marker(SEQ_END, 0));
      size += 8;
    }
    const head = this.header(tag, "SQ", defined ? size : UNDEFINED);
    out.push(head);
    for (const b of body) out.push(b);
    return head.length + size;
  }

  /** UN of undefined length: its items are Implicit VR Little Endian whatever the syntax (PS3.5 6.2.2); copied as is. */
  private unknownSequence(tag: number, out: Buffer[]): number {
    const start = this.pos;
    const walk = (stop: number): void => {
      for (;;) {
        if (this.pos + 8 > this.buf.length) this.fail("UN sequence without a delimiter", start);
        const t = ((this.buf.readUInt16LE(this.pos) << 16) | this.buf.readUInt16LE(this.pos + 2)) >>> 0;
        const l = this.buf.readUInt32LE(this.pos + 4);
        this.pos += 8;
        if (t === stop) return;
        if (l === UNDEFINED) walk(t === ITEM ? ITEM_END : SEQ_END);
        else this.pos += l;
      }
    };
    walk(SEQ_END);
    const head = this.header(tag, "UN", UNDEFINED);
    out.push(head, this.buf.subarray(start, this.pos));
    return head.length + this.pos - start;
  }
}

/** A data set (no meta group) re-encoded from one uncompressed transfer syntax into another. */
export function transcodeDataSet(dataSet: Buffer, from: string, to: string): Buffer {
  const source = SYNTAXES.get(from);
  const target = SYNTAXES.get(to);
  if (!source || !target) {
    throw conduitError("DICOM_PARSE", `cannot convert from ${from} to ${to}: only implicit VR little endian, explicit VR little endian and explicit VR big endian convert`);
  }
  if (from === to) return dataSet;
  const t = new Transcoder(dataSet, source, target);
  const out: Buffer[] = [];
  t.elements(dataSet.length, false, out, 0);
  return Buffer.concat(out);
}

/** A whole Part-10 file re-encoded in `to`, its meta group rewritten with the new TransferSyntaxUID (PS3.10 7.1). */
export function transcodePart10(file: Buffer, to: string, source = "file"): Buffer {
  const meta = decodeFileMeta(file, source);
  const dataSet = transcodeDataSet(file.subarray(meta.datasetOffset), meta.transferSyntaxUid, to);
  const head = encodeFileMeta({
    sopClassUid: meta.mediaStorageSopClassUid,
    sopInstanceUid: meta.mediaStorageSopInstanceUid,
    transferSyntaxUid: to,
    sourceAETitle: meta.sourceAETitle,
  });
  return Buffer.concat([head, dataSet]);
}

/** The data set of a Part-10 file encoded in `to` (for C-STORE). Buffers one object: only for uncompressed data. */
export async function transcodeFile(path: string, to: string): Promise<Buffer> {
  const bytes = await readFile(path);
  const meta = decodeFileMeta(bytes, path);
  if (!canTranscode(meta.transferSyntaxUid, to)) {
    throw conduitError("DICOM_PARSE", `cannot convert ${path} from ${meta.transferSyntaxUid} to ${to}`);
  }
  return transcodeDataSet(bytes.subarray(meta.datasetOffset), meta.transferSyntaxUid, to);
}
