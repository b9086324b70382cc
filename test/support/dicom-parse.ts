// A minimal, independent Part-10 reader: finds the meta group, the data set start and the Pixel Data value.
// Reads only element headers (and the meta group) until Pixel Data; sequences are skipped structurally.
import { open, type FileHandle } from "node:fs/promises";

export const TS_IMPLICIT_LE = "1.2.840.10008.1.2";
export const TS_EXPLICIT_LE = "1.2.840.10008.1.2.1";
export const TS_EXPLICIT_BE = "1.2.840.10008.1.2.2";
export const TS_DEFLATED = "1.2.840.10008.1.2.1.99";

const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV"]);
export function isLongVr(vr: string): boolean {
  return LONG_VRS.has(vr);
}

const UNDEFINED = 0xffffffff;
const PIXEL_DATA = 0x7fe00010;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQ_END = 0xfffee0dd;

class Reader {
  private winPos = 0;
  private win = Buffer.alloc(0);
  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}
  async bytes(pos: number, n: number): Promise<Buffer> {
    if (pos < this.winPos || pos + n > this.winPos + this.win.length) {
      const len = Math.min(Math.max(n, 65536), this.size - pos);
      if (len < n) throw new Error(`truncated DICOM file: need ${n} bytes at ${pos}, size ${this.size}`);
      const buf = Buffer.alloc(len);
      const { bytesRead } = await this.fh.read(buf, 0, len, pos);
      if (bytesRead < n) throw new Error(`short read at ${pos}`);
      this.win = buf.subarray(0, bytesRead);
      this.winPos = pos;
    }
    return this.win.subarray(pos - this.winPos, pos - this.winPos + n);
  }
}

interface Header {
  tag: number;
  vr: string | undefined;
  length: number;
  headerLength: number;
}

interface Syntax {
  explicit: boolean;
  littleEndian: boolean;
}

async function readHeader(r: Reader, pos: number, sx: Syntax): Promise<Header> {
  const b = await r.bytes(pos, 8);
  const u16 = (o: number): number => (sx.littleEndian ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number): number => (sx.littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const group = u16(0);
  const tag = group * 0x10000 + u16(2);
  if (group === 0xfffe || !sx.explicit) return { tag, vr: undefined, length: u32(4), headerLength: 8 };
  const vr = b.toString("latin1", 4, 6);
  if (!isLongVr(vr)) return { tag, vr, length: u16(6), headerLength: 8 };
  const b12 = await r.bytes(pos, 12);
  const length = sx.littleEndian ? b12.readUInt32LE(8) : b12.readUInt32BE(8);
  return { tag, vr, length, headerLength: 12 };
}

/** Returns the position just after the element whose header `h` starts at pos. */
async function skipElement(r: Reader, pos: number, h: Header, sx: Syntax): Promise<number> {
  const start = pos + h.headerLength;
  if (h.length !== UNDEFINED) return start + h.length;
  // Undefined length: a sequence or encapsulated pixel data. UN of undefined length holds implicit VR LE.
  const inner: Syntax = h.vr === "UN" ? { explicit: false, littleEndian: true } : sx;
  let p = start;
  for (;;) {
    const ih = await readHeader(r, p, inner);
    if (ih.tag === SEQ_END) return p + 8;
    if (ih.tag !== ITEM) throw new Error(`expected item at ${p}, found ${ih.tag.toString(16)}`);
    if (ih.length !== UNDEFINED) {
      p += 8 + ih.length;
      continue;
    }
    p += 8;
    for (;;) {
      const eh = await readHeader(r, p, inner);
      if (eh.tag === ITEM_END) {
        p += 8;
        break;
      }
      p = await skipElement(r, p, eh, inner);
    }
  }
}

export interface MetaInfo {
  transferSyntaxUid: string;
  mediaStorageSopClassUid: string;
  mediaStorageSopInstanceUid: string;
  /** Byte offset where the data set starts (after the 0002 group). */
  datasetOffset: number;
}

async function readMetaWith(r: Reader): Promise<MetaInfo> {
  const magic = await r.bytes(128, 4);
  if (magic.toString("latin1") !== "DICM") throw new Error("not a Part-10 file (no DICM at offset 128)");
  const sx: Syntax = { explicit: true, littleEndian: true };
  const values = new Map<number, string>();
  let p = 132;
  while (p + 8 <= r.size) {
    const h = await readHeader(r, p, sx);
    if (h.tag >>> 16 !== 0x0002) break;
    if (h.vr === "UI" && h.length < 256) {
      const v = await r.bytes(p + h.headerLength, h.length);
      values.set(h.tag, v.toString("latin1").replace(/[\0 ]+$/, ""));
    }
    p = await skipElement(r, p, h, sx);
  }
  return {
    transferSyntaxUid: values.get(0x00020010) ?? "",
    mediaStorageSopClassUid: values.get(0x00020002) ?? "",
    mediaStorageSopInstanceUid: values.get(0x00020003) ?? "",
    datasetOffset: p,
  };
}

async function withFile<T>(path: string, fn: (r: Reader, fh: FileHandle) => Promise<T>): Promise<T> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    return await fn(new Reader(fh, size), fh);
  } finally {
    await fh.close();
  }
}

/** Reads the file meta information (group 0002) of a Part-10 file. */
export function readMeta(path: string): Promise<MetaInfo> {
  return withFile(path, readMetaWith);
}

/** Byte offset where the data set starts, after the preamble, DICM and the meta group. */
export async function datasetOffset(path: string): Promise<number> {
  return (await readMeta(path)).datasetOffset;
}

export interface PixelDataLocation {
  transferSyntaxUid: string;
  /** Offset of the Pixel Data element header. */
  elementOffset: number;
  /** Offset of the first value byte, just after the element header. */
  valueOffset: number;
  /** Bytes of value as stored; for encapsulated data this includes the items and the sequence delimiter. */
  length: number;
  /** True for encapsulated (undefined length) pixel data. */
  encapsulated: boolean;
  vr: string | undefined;
}

/** Finds the top-level Pixel Data (7FE0,0010) element; undefined if the file has none. */
export function locatePixelData(path: string): Promise<PixelDataLocation | undefined> {
  return withFile(path, async (r) => {
    const meta = await readMetaWith(r);
    const ts = meta.transferSyntaxUid;
    if (ts === TS_DEFLATED) throw new Error("deflated transfer syntax is not supported by this reader");
    const sx: Syntax = { explicit: ts !== TS_IMPLICIT_LE, littleEndian: ts !== TS_EXPLICIT_BE };
    let p = meta.datasetOffset;
    while (p + 8 <= r.size) {
      const h = await readHeader(r, p, sx);
      const end = await skipElement(r, p, h, sx);
      if (h.tag === PIXEL_DATA) {
        const valueOffset = p + h.headerLength;
        return {
          transferSyntaxUid: ts,
          elementOffset: p,
          valueOffset,
          length: end - valueOffset,
          encapsulated: h.length === UNDEFINED,
          vr: h.vr,
        };
      }
      p = end;
    }
    return undefined;
  });
}

/**
 * The Pixel Data value bytes exactly as stored after the element header (native: the pixel bytes in the file's byte
 * order; encapsulated: offset table item, fragment items and the sequence delimitation item). Throws if absent.
 */
export async function readPixelData(path: string): Promise<Buffer> {
  const loc = await locatePixelData(path);
  if (!loc) throw new Error(`${path}: no Pixel Data element`);
  return withFile(path, async (_r, fh) => {
    const buf = Buffer.alloc(loc.length);
    let done = 0;
    while (done < loc.length) {
      const { bytesRead } = await fh.read(buf, done, loc.length - done, loc.valueOffset + done);
      if (bytesRead === 0) throw new Error(`${path}: truncated Pixel Data`);
      done += bytesRead;
    }
    return buf;
  });
}
