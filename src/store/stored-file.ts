// Reading back a Part-10 file from disk: its meta group, its header (up to Pixel Data) and a completeness check.
import { open } from "node:fs/promises";
import { DataSet } from "../dicom/dataset.js";
import { HeaderScanner, type ScanResult } from "../dicom/header-scanner.js";
import { decodeFileMeta, type FileMeta } from "../dicom/part10.js";
import { encodingOf } from "../dicom/transfer-syntax.js";
import { conduitError } from "../errors.js";

export interface StoredHeader {
  meta: FileMeta;
  dataset: DataSet;
  size: number;
  scan: ScanResult;
}

const CHUNK = 256 * 1024;

/**
 * Reads the meta group and walks the data set; with `verify`, the whole data set is walked and a file that
 * ends inside an element or sequence is reported as incomplete.
 */
export async function readStoredHeader(path: string, options: { verify?: boolean } = {}): Promise<StoredHeader> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    let head = Buffer.alloc(Math.min(size, 64 * 1024));
    await fh.read(head, 0, head.length, 0);
    let meta: FileMeta;
    try {
      meta = decodeFileMeta(head, path);
    } catch (err) {
      if (size <= head.length) throw err;
      head = Buffer.alloc(Math.min(size, 4 * 1024 * 1024));
      await fh.read(head, 0, head.length, 0);
      meta = decodeFileMeta(head, path);
    }
    const ts = encodingOf(meta.transferSyntaxUid);
    const buf = Buffer.alloc(CHUNK);
    let pos = meta.datasetOffset;
    if (ts.deflated) {
      const rest = Buffer.alloc(size - pos);
      await fh.read(rest, 0, rest.length, pos);
      const dataset = DataSet.parse(rest, meta.transferSyntaxUid);
      return { meta, dataset, size, scan: { header: Buffer.alloc(0), headerEnd: 0, truncated: false, pixelDataFound: false } };
    }
    const scanner = new HeaderScanner(ts.explicitVR, ts.littleEndian, 16 * 1024 * 1024, options.verify ?? false);
    while (pos < size && !scanner.done) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, size - pos), pos);
      if (bytesRead === 0) break;
      scanner.feed(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    const scan = scanner.end();
    if (scanner.failure) {
      throw conduitError("DICOM_PARSE", `${path}: ${scanner.failure}`, { incomplete: true });
    }
    return { meta, dataset: DataSet.parse(scan.header, meta.transferSyntaxUid), size, scan };
  } finally {
    await fh.close();
  }
}
