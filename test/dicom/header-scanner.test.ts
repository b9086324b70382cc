import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { HeaderScanner } from "../../src/dicom/header-scanner.js";
import { DataSet } from "../../src/dicom/dataset.js";
import { decodeFileMeta } from "../../src/dicom/part10.js";
import { encodingOf } from "../../src/dicom/transfer-syntax.js";
import { writeInstance, locatePixelData, type TransferSyntaxKind } from "../support/dicom-files.js";
import { tmpDir, runCleanups } from "../support/tmp.js";

after(runCleanups);

/** An undefined-length sequence with one undefined-length item holding a nested defined-length sequence. */
function sequenceElement(kind: TransferSyntaxKind): Buffer {
  const le = kind !== "bigendian";
  const explicit = kind !== "implicit";
  const u16 = (n: number) => { const b = Buffer.alloc(2); le ? b.writeUInt16LE(n) : b.writeUInt16BE(n); return b; };
  const u32 = (n: number) => { const b = Buffer.alloc(4); le ? b.writeUInt32LE(n >>> 0) : b.writeUInt32BE(n >>> 0); return b; };
  const tag = (g: number, e: number) => Buffer.concat([u16(g), u16(e)]);
  const el = (g: number, e: number, vr: string, v: Buffer) =>
    explicit ? Buffer.concat([tag(g, e), Buffer.from(vr), u16(v.length), v]) : Buffer.concat([tag(g, e), u32(v.length), v]);
  const inner = el(0x0008, 0x0100, "SH", Buffer.from("T-12345 ")); // CodeValue
  const innerItem = Buffer.concat([tag(0xfffe, 0xe000), u32(inner.length), inner]);
  const nestedSeq = explicit
    ? Buffer.concat([tag(0x0008, 0x1032), Buffer.from("SQ"), Buffer.alloc(2), u32(innerItem.length), innerItem])
    : Buffer.concat([tag(0x0008, 0x1032), u32(innerItem.length), innerItem]);
  const itemBody = Buffer.concat([el(0x0008, 0x1150, "UI", Buffer.from("1.2.3\0")), nestedSeq]);
  const item = Buffer.concat([tag(0xfffe, 0xe000), u32(0xffffffff), itemBody, tag(0xfffe, 0xe00d), u32(0)]);
  const head = explicit
    ? Buffer.concat([tag(0x0008, 0x1140), Buffer.from("SQ"), Buffer.alloc(2), u32(0xffffffff)])
    : Buffer.concat([tag(0x0008, 0x1140), u32(0xffffffff)]);
  return Buffer.concat([head, item, tag(0xfffe, 0xe0dd), u32(0)]);
}

for (const kind of ["explicit", "implicit", "bigendian"] as const) {
  test(`header ends exactly at Pixel Data (${kind} VR, nested sequences, every split point)`, async () => {
    const dir = await tmpDir("scan");
    const path = join(dir, "a.dcm");
    await writeInstance(path, { transferSyntax: kind, pixelBytes: 4096, patientName: "DOE^JANE" });
    const original = await readFile(path);
    const meta = decodeFileMeta(original);
    const pixel = await locatePixelData(path);
    assert.ok(pixel);
    // Splice an undefined-length sequence (walked item by item) just before Pixel Data.
    const seq = sequenceElement(kind);
    const data = Buffer.concat([
      original.subarray(meta.datasetOffset, pixel.elementOffset),
      seq,
      original.subarray(pixel.elementOffset),
    ]);
    const expectedEnd = pixel.elementOffset - meta.datasetOffset + seq.length;
    const ts = encodingOf(meta.transferSyntaxUid);
    for (const step of [1, 7, 64, 1000, data.length]) {
      const s = new HeaderScanner(ts.explicitVR, ts.littleEndian);
      for (let off = 0; off < data.length && !s.done; off += step) s.feed(data.subarray(off, off + step));
      const r = s.end();
      assert.equal(s.failure, null);
      assert.equal(r.pixelDataFound, true);
      assert.equal(r.headerEnd, expectedEnd, `split ${step}`);
      assert.equal(r.header.length, expectedEnd);
    }
    const ds = DataSet.parse(data.subarray(0, expectedEnd), meta.transferSyntaxUid);
    assert.equal(ds.string("PatientName"), "DOE^JANE");
    assert.equal(ds.string("SOPInstanceUID"), meta.mediaStorageSopInstanceUid);
    // Verification walk: the whole file is complete, a cut one is not.
    const full = new HeaderScanner(ts.explicitVR, ts.littleEndian, 1 << 24, true);
    full.feed(data);
    full.end();
    assert.equal(full.failure, null);
    const cut = new HeaderScanner(ts.explicitVR, ts.littleEndian, 1 << 24, true);
    cut.feed(data.subarray(0, data.length - 10));
    cut.end();
    assert.match(cut.failure ?? "", /ends inside an element/);
  });
}

test("garbage is reported as a structural failure, not a crash", () => {
  const s = new HeaderScanner(true, true);
  s.feed(Buffer.from([0x08, 0x00, 0x16, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06]));
  s.end();
  assert.match(s.failure ?? "", /invalid VR/);
});
