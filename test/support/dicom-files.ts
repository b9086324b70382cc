// An independent DICOM Part-10 writer for tests (does not use Conduit's codec, so it cross-checks it). Also
// re-exports the reader (dicom-parse.ts) and DCMTK-based compression (dicom-compress.ts).
import { open, mkdir } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { TS_EXPLICIT_BE, TS_EXPLICIT_LE, TS_IMPLICIT_LE, isLongVr } from "./dicom-parse.js";

export * from "./dicom-parse.js";
export * from "./dicom-compress.js";

export const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";
export const MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4";
export const IMPLEMENTATION_CLASS_UID = "2.25.186225388329416337950512930271190355873";
export const IMPLEMENTATION_VERSION_NAME = "CONDUIT_TEST";

export type TransferSyntaxKind = "implicit" | "explicit" | "bigendian";
export const TRANSFER_SYNTAX_UIDS: Record<TransferSyntaxKind, string> = {
  implicit: TS_IMPLICIT_LE,
  explicit: TS_EXPLICIT_LE,
  bigendian: TS_EXPLICIT_BE,
};

export interface ExtraElement {
  /** e.g. 0x00081030 */
  tag: number;
  vr: string;
  /**
   * string: text, backslash-separated values (decimal numbers for binary VRs such as US/UL/FD);
   * Buffer: the raw value (padded to even length); number[]: binary values, or joined with "\\" for IS/DS.
   */
  value: string | Buffer | number[];
}

export interface InstanceOptions {
  sopClassUid?: string;
  sopInstanceUid?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  patientId?: string;
  patientName?: string;
  patientBirthDate?: string;
  patientSex?: string;
  studyDate?: string;
  studyTime?: string;
  accessionNumber?: string;
  studyId?: string;
  studyDescription?: string;
  seriesNumber?: number;
  seriesDescription?: string;
  instanceNumber?: number;
  modality?: string;
  institutionName?: string;
  /** "ISO_IR 100" encodes text as latin1, "ISO_IR 192" as UTF-8. */
  specificCharacterSet?: string;
  /** Added to (or replacing) the generated elements. */
  extra?: ExtraElement[];
  rows?: number;
  columns?: number;
  /** Exact Pixel Data length (even); overrides rows*columns*2. A whole number (>1) of frames adds NumberOfFrames. */
  pixelBytes?: number;
  transferSyntax?: TransferSyntaxKind;
  /** Seed of the deterministic pixel bytes (see generatePixelData); default 1. */
  pixelSeed?: number;
}

export interface WrittenInstance {
  path: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  transferSyntaxUid: string;
  pixelSeed: number;
  pixelLength: number;
}

/** A fresh UID under the 2.25 (UUID-derived) root, at most 44 characters. */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, "")}`).toString()}`;
}

// ---- deterministic pixel bytes: 32-bit word i = hash(seed, i), little-endian ----

function fillWords(words: Uint32Array, seed: number, firstWord: number): void {
  const base = Math.imul(seed | 0, 0x9e3779b9) ^ 0x5bd1e995;
  for (let i = 0; i < words.length; i++) {
    let z = (base + Math.imul(firstWord + i, 0x85ebca77)) | 0;
    z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
    z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
    words[i] = (z ^ (z >>> 16)) >>> 0;
  }
}

/** `length` pixel bytes starting at byte `offset` (multiple of 4) of the stream for `seed`, as written in LE files. */
export function generatePixelData(seed: number, length: number, offset = 0): Buffer {
  if (offset % 4 !== 0) throw new Error("offset must be a multiple of 4");
  const ab = new ArrayBuffer(Math.ceil(length / 4) * 4);
  fillWords(new Uint32Array(ab), seed, offset / 4);
  return Buffer.from(ab, 0, length);
}

// ---- element encoding ----

const TEXT_VRS = new Set(["SH", "LO", "ST", "LT", "UT", "PN", "UC"]);
const NUL_PAD_VRS = new Set(["UI", "OB", "UN", "OW", "OF", "OD", "OL", "OV", "US", "SS", "UL", "SL", "FL", "FD", "AT"]);
const BINARY: Record<string, [number, (b: Buffer, v: number, o: number, le: boolean) => void]> = {
  US: [2, (b, v, o, le) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o))],
  OW: [2, (b, v, o, le) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o))],
  SS: [2, (b, v, o, le) => (le ? b.writeInt16LE(v, o) : b.writeInt16BE(v, o))],
  UL: [4, (b, v, o, le) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o))],
  OL: [4, (b, v, o, le) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o))],
  SL: [4, (b, v, o, le) => (le ? b.writeInt32LE(v, o) : b.writeInt32BE(v, o))],
  FL: [4, (b, v, o, le) => (le ? b.writeFloatLE(v, o) : b.writeFloatBE(v, o))],
  OF: [4, (b, v, o, le) => (le ? b.writeFloatLE(v, o) : b.writeFloatBE(v, o))],
  FD: [8, (b, v, o, le) => (le ? b.writeDoubleLE(v, o) : b.writeDoubleBE(v, o))],
  OD: [8, (b, v, o, le) => (le ? b.writeDoubleLE(v, o) : b.writeDoubleBE(v, o))],
  // AT: each number is a tag (gggg eeee), written as two 16-bit words.
  AT: [4, (b, v, o, le) => {
    const g = Math.floor(v / 0x10000);
    const e = v & 0xffff;
    if (le) (b.writeUInt16LE(g, o), b.writeUInt16LE(e, o + 2));
    else (b.writeUInt16BE(g, o), b.writeUInt16BE(e, o + 2));
  }],
};

function charsetEncoding(charset: string | undefined): BufferEncoding {
  const last = (charset ?? "").split("\\").pop()!.trim();
  return last === "ISO_IR 192" ? "utf8" : "latin1";
}

function encodeValue(vr: string, value: ExtraElement["value"], enc: BufferEncoding, le: boolean): Buffer {
  let raw: Buffer;
  const bin = BINARY[vr];
  if (Buffer.isBuffer(value)) raw = value;
  else if (bin && (Array.isArray(value) || value !== "")) {
    const nums = Array.isArray(value) ? value : value.split("\\").map(Number);
    raw = Buffer.alloc(nums.length * bin[0]);
    nums.forEach((n, i) => bin[1](raw, n, i * bin[0], le));
  } else {
    const text = Array.isArray(value) ? value.join("\\") : value;
    raw = Buffer.from(text, TEXT_VRS.has(vr) ? enc : "latin1");
  }
  if (raw.length % 2 === 0) return raw;
  return Buffer.concat([raw, Buffer.from([NUL_PAD_VRS.has(vr) ? 0 : 0x20])]);
}

function elementHeader(tag: number, vr: string, length: number, explicit: boolean, le: boolean): Buffer {
  const long = !explicit || isLongVr(vr);
  if (explicit && !long && length > 0xffff) throw new Error(`value too long for ${vr} (${tag.toString(16)})`);
  const b = Buffer.alloc(explicit && long ? 12 : 8);
  const w16 = (v: number, o: number): number => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const w32 = (v: number, o: number): number => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  w16(Math.floor(tag / 0x10000), 0);
  w16(tag & 0xffff, 2);
  if (!explicit) w32(length, 4);
  else if (long) (b.write(vr, 4, "latin1"), w32(length, 8));
  else (b.write(vr, 4, "latin1"), w16(length, 6));
  return b;
}

function element(tag: number, vr: string, value: Buffer, explicit: boolean, le: boolean): Buffer {
  return Buffer.concat([elementHeader(tag, vr, value.length, explicit, le), value]);
}

function metaGroup(sopClassUid: string, sopInstanceUid: string, tsUid: string): Buffer {
  const el = (tag: number, vr: string, v: ExtraElement["value"]): Buffer =>
    element(tag, vr, encodeValue(vr, v, "latin1", true), true, true);
  const body = Buffer.concat([
    el(0x00020001, "OB", Buffer.from([0, 1])),
    el(0x00020002, "UI", sopClassUid),
    el(0x00020003, "UI", sopInstanceUid),
    el(0x00020010, "UI", tsUid),
    el(0x00020012, "UI", IMPLEMENTATION_CLASS_UID),
    el(0x00020013, "SH", IMPLEMENTATION_VERSION_NAME),
  ]);
  return Buffer.concat([el(0x00020000, "UL", [body.length]), body]);
}

const PIXEL_DATA_TAG = 0x7fe00010;
const CHUNK = 4 * 1024 * 1024;

/** Writes a Part-10 file; pixel data is generated and written in 4 MiB chunks (memory stays bounded). */
export async function writeInstance(path: string, opts: InstanceOptions = {}): Promise<WrittenInstance> {
  const kind = opts.transferSyntax ?? "explicit";
  const tsUid = TRANSFER_SYNTAX_UIDS[kind];
  const explicit = kind !== "implicit";
  const le = kind !== "bigendian";
  const sopClassUid = opts.sopClassUid ?? CT_IMAGE_STORAGE;
  const sopInstanceUid = opts.sopInstanceUid ?? newUid();
  const studyInstanceUid = opts.studyInstanceUid ?? newUid();
  const seriesInstanceUid = opts.seriesInstanceUid ?? newUid();
  const rows = opts.rows ?? 512;
  const columns = opts.columns ?? 512;
  const frameBytes = rows * columns * 2;
  const pixelLength = opts.pixelBytes ?? frameBytes;
  if (pixelLength % 2 !== 0) throw new Error("pixelBytes must be even");
  const pixelSeed = opts.pixelSeed ?? 1;
  const modality =
    opts.modality ?? (sopClassUid === CT_IMAGE_STORAGE ? "CT" : sopClassUid === MR_IMAGE_STORAGE ? "MR" : "OT");
  const frames = frameBytes > 0 && pixelLength % frameBytes === 0 ? pixelLength / frameBytes : 1;

  const els = new Map<number, { vr: string; value: ExtraElement["value"] }>();
  const set = (tag: number, vr: string, value: ExtraElement["value"] | undefined): void => {
    if (value !== undefined) els.set(tag, { vr, value });
  };
  set(0x00080005, "CS", opts.specificCharacterSet);
  set(0x00080016, "UI", sopClassUid);
  set(0x00080018, "UI", sopInstanceUid);
  set(0x00080020, "DA", opts.studyDate ?? "20240101");
  set(0x00080030, "TM", opts.studyTime ?? "120000");
  set(0x00080050, "SH", opts.accessionNumber ?? "");
  set(0x00080060, "CS", modality);
  set(0x00080080, "LO", opts.institutionName);
  set(0x00081030, "LO", opts.studyDescription);
  set(0x0008103e, "LO", opts.seriesDescription);
  set(0x00100010, "PN", opts.patientName ?? "TEST^PATIENT");
  set(0x00100020, "LO", opts.patientId ?? "TEST001");
  set(0x00100030, "DA", opts.patientBirthDate ?? "");
  set(0x00100040, "CS", opts.patientSex ?? "");
  set(0x0020000d, "UI", studyInstanceUid);
  set(0x0020000e, "UI", seriesInstanceUid);
  set(0x00200010, "SH", opts.studyId ?? "1");
  set(0x00200011, "IS", String(opts.seriesNumber ?? 1));
  set(0x00200013, "IS", String(opts.instanceNumber ?? 1));
  set(0x00280002, "US", [1]);
  set(0x00280004, "CS", "MONOCHROME2");
  set(0x00280008, "IS", frames > 1 ? String(frames) : undefined);
  set(0x00280010, "US", [rows]);
  set(0x00280011, "US", [columns]);
  set(0x00280100, "US", [16]);
  set(0x00280101, "US", [16]);
  set(0x00280102, "US", [15]);
  set(0x00280103, "US", [0]);
  for (const x of opts.extra ?? []) set(x.tag, x.vr, x.value);
  const customPixel = els.get(PIXEL_DATA_TAG);
  els.delete(PIXEL_DATA_TAG);

  const enc = charsetEncoding(opts.specificCharacterSet);
  const encode = (tag: number): Buffer => {
    const e = els.get(tag)!;
    return element(tag, e.vr, encodeValue(e.vr, e.value, enc, le), explicit, le);
  };
  const tags = [...els.keys()].sort((a, b) => a - b);
  const before = tags.filter((t) => t < PIXEL_DATA_TAG).map(encode);
  const after = tags.filter((t) => t > PIXEL_DATA_TAG).map(encode);
  const head = Buffer.concat([
    Buffer.alloc(128),
    Buffer.from("DICM", "latin1"),
    metaGroup(sopClassUid, sopInstanceUid, tsUid),
    ...before,
  ]);

  const fh = await open(path, "w");
  try {
    await fh.write(head);
    if (customPixel) {
      const value = encodeValue(customPixel.vr, customPixel.value, enc, le);
      await fh.write(element(PIXEL_DATA_TAG, customPixel.vr, value, explicit, le));
    } else {
      await fh.write(elementHeader(PIXEL_DATA_TAG, "OW", pixelLength, explicit, le));
      for (let off = 0; off < pixelLength; off += CHUNK) {
        const chunk = generatePixelData(pixelSeed, Math.min(CHUNK, pixelLength - off), off);
        if (!le) chunk.swap16();
        await fh.write(chunk);
      }
    }
    for (const b of after) await fh.write(b);
  } finally {
    await fh.close();
  }
  return {
    path,
    sopClassUid,
    sopInstanceUid,
    studyInstanceUid,
    seriesInstanceUid,
    transferSyntaxUid: tsUid,
    pixelSeed,
    pixelLength,
  };
}

export interface StudyOptions extends InstanceOptions {
  count: number;
}

export interface WrittenStudy {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  instances: WrittenInstance[];
  paths: string[];
}

/**
 * Writes `count` instances of one series into dir (created if needed) as IM0001.dcm, ...; instance i (from 0) gets
 * InstanceNumber i+1 and pixelSeed (opts.pixelSeed ?? 1) + i.
 */
export async function makeStudy(dir: string, opts: StudyOptions): Promise<WrittenStudy> {
  const { count, ...common } = opts;
  await mkdir(dir, { recursive: true });
  const studyInstanceUid = common.studyInstanceUid ?? newUid();
  const seriesInstanceUid = common.seriesInstanceUid ?? newUid();
  const instances: WrittenInstance[] = [];
  for (let i = 0; i < count; i++) {
    const file = join(dir, `IM${String(i + 1).padStart(4, "0")}.dcm`);
    instances.push(
      await writeInstance(file, {
        ...common,
        studyInstanceUid,
        seriesInstanceUid,
        sopInstanceUid: undefined,
        instanceNumber: i + 1,
        pixelSeed: (common.pixelSeed ?? 1) + i,
      }),
    );
  }
  return { studyInstanceUid, seriesInstanceUid, instances, paths: instances.map((x) => x.path) };
}
