// DICOM Part-10 files (PS3.10 section 7): preamble, "DICM" and the File Meta Information group 0002.
import { open } from "node:fs/promises";
import { conduitError } from "../errors.js";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "./uid.js";

export interface FileMeta {
  mediaStorageSopClassUid: string;
  mediaStorageSopInstanceUid: string;
  transferSyntaxUid: string;
  implementationClassUid?: string;
  implementationVersionName?: string;
  sourceAETitle?: string;
  /** Byte offset of the data set (just after the meta group). */
  datasetOffset: number;
}

function element(group: number, el: number, vr: string, value: Buffer): Buffer {
  const h = Buffer.alloc(vr === "OB" ? 12 : 8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(el, 2);
  h.write(vr, 4, "latin1");
  if (vr === "OB") h.writeUInt32LE(value.length, 8);
  else h.writeUInt16LE(value.length, 6);
  return Buffer.concat([h, value]);
}

function text(s: string, pad: string): Buffer {
  return Buffer.from(s.length % 2 ? s + pad : s, "latin1");
}

/** Preamble, prefix and meta group for a data set received on the network (PS3.10 7.1). */
export function encodeFileMeta(meta: {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  sourceAETitle?: string;
}): Buffer {
  const elements = [
    element(0x0002, 0x0001, "OB", Buffer.from([0x00, 0x01])),
    element(0x0002, 0x0002, "UI", text(meta.sopClassUid, "\0")),
    element(0x0002, 0x0003, "UI", text(meta.sopInstanceUid, "\0")),
    element(0x0002, 0x0010, "UI", text(meta.transferSyntaxUid, "\0")),
    element(0x0002, 0x0012, "UI", text(IMPLEMENTATION_CLASS_UID, "\0")),
    element(0x0002, 0x0013, "SH", text(IMPLEMENTATION_VERSION_NAME, " ")),
  ];
  if (meta.sourceAETitle) elements.push(element(0x0002, 0x0016, "AE", text(meta.sourceAETitle, " ")));
  const body = Buffer.concat(elements);
  const gl = Buffer.alloc(4);
  gl.writeUInt32LE(body.length);
  const preamble = Buffer.alloc(132);
  preamble.write("DICM", 128, "latin1");
  return Buffer.concat([preamble, element(0x0002, 0x0000, "UL", gl), body]);
}

/** Parses the meta group from the start of a file (the first few KB suffice). */
export function decodeFileMeta(head: Buffer, source = "file"): FileMeta {
  if (head.length < 132 || head.toString("latin1", 128, 132) !== "DICM") {
    throw conduitError("DICOM_NOT_PART10", `${source}: no "DICM" prefix at byte 128 (PS3.10 7.1)`);
  }
  let pos = 132;
  const values = new Map<number, Buffer>();
  let end = Number.POSITIVE_INFINITY;
  while (pos + 8 <= head.length && pos < end) {
    const group = head.readUInt16LE(pos);
    if (group !== 0x0002) break;
    const el = head.readUInt16LE(pos + 2);
    const vr = head.toString("latin1", pos + 4, pos + 6);
    let len: number;
    let hl: number;
    if (["OB", "OW", "UN", "SQ", "UT", "UC", "UR", "OD", "OF", "OL", "OV", "SV", "UV"].includes(vr)) {
      if (pos + 12 > head.length) break;
      len = head.readUInt32LE(pos + 8);
      hl = 12;
    } else {
      len = head.readUInt16LE(pos + 6);
      hl = 8;
    }
    if (pos + hl + len > head.length) {
      throw conduitError("DICOM_NOT_PART10", `${source}: meta element (0002,${el.toString(16).padStart(4, "0")}) runs past the data read`);
    }
    const v = head.subarray(pos + hl, pos + hl + len);
    values.set(el, v);
    if (el === 0x0000 && len === 4) end = pos + hl + len + v.readUInt32LE(0);
    pos += hl + len;
  }
  const str = (el: number) => values.get(el)?.toString("latin1").replace(/[\0 ]+$/, "").trim();
  const ts = str(0x0010);
  if (!ts) throw conduitError("DICOM_NOT_PART10", `${source}: meta group has no TransferSyntaxUID (0002,0010)`);
  return {
    mediaStorageSopClassUid: str(0x0002) ?? "",
    mediaStorageSopInstanceUid: str(0x0003) ?? "",
    transferSyntaxUid: ts,
    implementationClassUid: str(0x0012),
    implementationVersionName: str(0x0013),
    sourceAETitle: str(0x0016),
    datasetOffset: Number.isFinite(end) ? end : pos,
  };
}

/** Reads a file's meta group; large meta groups are read in a second pass. */
export async function readFileMeta(path: string): Promise<FileMeta> {
  const fh = await open(path, "r");
  try {
    let size = 16 * 1024;
    for (;;) {
      const buf = Buffer.alloc(size);
      const { bytesRead } = await fh.read(buf, 0, size, 0);
      try {
        return decodeFileMeta(buf.subarray(0, bytesRead), path);
      } catch (err) {
        if (bytesRead < size || size >= 1 << 20) throw err;
        size *= 8;
      }
    }
  } finally {
    await fh.close();
  }
}
