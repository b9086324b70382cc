// Re-encodes an uncompressed data set between Implicit and Explicit VR Little Endian (PS3.5 7.1, A.1, A.2) for a
// peer that accepted only the other one, as DCMTK's storescu does. Byte order is unchanged, so pixel values are
// copied as they are; compressed and big endian data are never converted (PS3.5 A.3 would need byte swapping).
import { readFile } from "node:fs/promises";
import { conduitError } from "../errors.js";
import { charsetEncoder } from "./charset.js";
import { parseDataSet } from "./dataset-parser.js";
import { encodeDataSet } from "./dataset-writer.js";
import { decodeFileMeta } from "./part10.js";
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from "./transfer-syntax.js";

const LE = new Set([IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN]);

/** True when `from` can be sent as `to` by transcodeFile. */
export function canTranscode(from: string, to: string): boolean {
  return from !== to && LE.has(from) && LE.has(to);
}

/** The data set of a Part-10 file (without meta) encoded in `to`. Buffers one object: only for uncompressed data. */
export async function transcodeFile(path: string, to: string): Promise<Buffer> {
  const bytes = await readFile(path);
  const meta = decodeFileMeta(bytes, path);
  if (!canTranscode(meta.transferSyntaxUid, to)) {
    throw conduitError("DICOM_PARSE", `cannot convert ${path} from ${meta.transferSyntaxUid} to ${to}; only implicit and explicit VR little endian convert`);
  }
  const ds = parseDataSet(bytes.subarray(meta.datasetOffset), { explicitVR: meta.transferSyntaxUid === EXPLICIT_VR_LITTLE_ENDIAN, littleEndian: true, stopAt: 0xffffffff });
  const charset = ds["00080005"]?.Value as string[] | undefined;
  return encodeDataSet(ds, { explicitVR: to === EXPLICIT_VR_LITTLE_ENDIAN, littleEndian: true, text: charsetEncoder(charset) });
}
