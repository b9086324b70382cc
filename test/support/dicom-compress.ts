// Compressed test files through DCMTK's command-line encoders (re-exported by dicom-files.ts).
import { access, constants } from "node:fs/promises";
import { join, delimiter } from "node:path";
import { runTool } from "./dcmtk.js";
import { readMeta } from "./dicom-parse.js";

export type CompressionKind = "jpeg-lossless" | "jpeg-ls" | "rle" | "j2k";
export const COMPRESSED_SYNTAX_UIDS: Record<CompressionKind, string> = {
  "jpeg-lossless": "1.2.840.10008.1.2.4.70",
  "jpeg-ls": "1.2.840.10008.1.2.4.80",
  rle: "1.2.840.10008.1.2.5",
  j2k: "1.2.840.10008.1.2.4.90",
};
const COMPRESSORS: Record<CompressionKind, string> = {
  "jpeg-lossless": "dcmcjpeg",
  "jpeg-ls": "dcmcjpls",
  rle: "dcmcrle",
  j2k: "dcmcjp2k",
};

async function onPath(tool: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? "/usr/bin").split(delimiter)) {
    try {
      await access(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      // try next
    }
  }
  return false;
}

/**
 * Compresses src into dst with DCMTK (dcmcjpeg: JPEG lossless SV1, dcmcjpls: JPEG-LS lossless, dcmcrle: RLE) and
 * returns the resulting transfer syntax UID, checked with dcmdump and with this module's own reader. "j2k" needs a
 * dcmcjp2k tool, which Debian's DCMTK 3.6.7 does not ship: then it throws.
 */
export async function compress(src: string, dst: string, kind: CompressionKind): Promise<string> {
  const tool = COMPRESSORS[kind];
  if (!(await onPath(tool))) {
    throw new Error(`compress(${kind}): no ${tool} on PATH; this DCMTK build has no JPEG 2000 encoder`);
  }
  const r = await runTool(tool, [src, dst]);
  if (r.code !== 0) throw new Error(`${tool} failed (${r.code}): ${r.stderr}${r.stdout}`);
  const dump = await runTool("dcmdump", ["-M", "-Un", "+P", "0002,0010", dst]);
  const m = /\[([0-9.]+)\]/.exec(dump.stdout);
  const ts = (await readMeta(dst)).transferSyntaxUid;
  if (dump.code !== 0 || !m || m[1] !== ts) {
    throw new Error(`dcmdump disagrees on ${dst}: ${dump.stdout}${dump.stderr}`);
  }
  const want = COMPRESSED_SYNTAX_UIDS[kind];
  if (ts !== want) throw new Error(`${tool} produced ${ts}, expected ${want}`);
  return ts;
}
