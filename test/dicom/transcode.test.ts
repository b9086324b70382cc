// Re-encoding between Implicit VR LE, Explicit VR LE and Explicit VR BE, checked against DCMTK: files built by
// dump2dcm (nested sequences of defined and undefined length, private tags, US/SS by Pixel Representation, FD, FL,
// SL, AT, UT, pixel data) must come out byte-identical to what dcmconv writes, and round trips must be lossless.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { canTranscode, transcodeDataSet, transcodePart10 } from "../../src/dicom/transcode.js";
import { decodeFileMeta } from "../../src/dicom/part10.js";
import { readMeta, readPixelData, writeInstance } from "../support/dicom-files.js";
import { runTool } from "../support/dcmtk.js";
import { runCleanups, tmpDir } from "../support/tmp.js";

after(runCleanups);

const TS = { ti: "1.2.840.10008.1.2", te: "1.2.840.10008.1.2.1", tb: "1.2.840.10008.1.2.2" } as const;
type Kind = keyof typeof TS;

// A dcmdump-style text for dump2dcm; item and sequence lengths are chosen by dump2dcm's +e / -e.
const DUMP = `
(0002,0002) UI =CTImageStorage
(0002,0003) UI [1.2.826.0.1.3680043.2.1143.1]
(0008,0005) CS [ISO_IR 100]
(0008,0016) UI =CTImageStorage
(0008,0018) UI [1.2.826.0.1.3680043.2.1143.1]
(0008,0060) CS [CT]
(0008,1115) SQ (Sequence)
  (fffe,e000) na (Item)
    (0008,114a) SQ (Sequence)
      (fffe,e000) na (Item)
        (0008,1150) UI =CTImageStorage
        (0018,1310) US 1\\2\\3\\4
      (fffe,e00d) na (ItemDelimitationItem)
    (fffe,e0dd) na (SequenceDelimitationItem)
    (0008,1155) UI [1.2.826.0.1.3680043.2.1143.2]
  (fffe,e00d) na (ItemDelimitationItem)
  (fffe,e000) na (Item)
    (0008,1155) UI [1.2.826.0.1.3680043.2.1143.3]
  (fffe,e00d) na (ItemDelimitationItem)
(fffe,e0dd) na (SequenceDelimitationItem)
(0009,0010) LO [CONDUIT TEST]
(0009,1001) UL 12345
(0010,0010) PN [M\u00fcller^J\u00f6rg]
(0018,0050) DS [1.25]
(0018,6022) SL -70000
(0018,9313) FD 0.5\\1.5\\2.5
(0018,9352) FL 0.25\\0.5\\4
(0018,9810) SS -5
(0020,9165) AT (0010,0010)\\(7fe0,0010)
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 2
(0028,0011) US 4
(0028,0100) US 16
(0028,0101) US 16
(0028,0102) US 15
(0028,0103) US 1
(0028,0106) SS -300
(0028,0107) SS 1200
(0028,9001) UL 70000
(0040,9212) FD 1.5\\-2.25\\1e10
(0040,a160) UT [a long text value]
(7fe0,0010) OW 0001\\0203\\0405\\0607\\0809\\0a0b\\0c0d\\0e0f
`;

const dataSetOf = (file: Buffer): Buffer => file.subarray(decodeFileMeta(file).datasetOffset);

test("every pair of uncompressed syntaxes, defined and undefined lengths: byte-identical to dcmconv", async () => {
  const dir = await tmpDir("transcode");
  const dump = join(dir, "src.dump");
  await writeFile(dump, DUMP, "latin1");
  for (const from of Object.keys(TS) as Kind[]) {
    for (const lengths of ["+e", "-e"]) {
      const src = join(dir, `src-${from}${lengths}.dcm`);
      const made = await runTool("dump2dcm", [`+${from}`, lengths, dump, src]);
      assert.equal(made.code, 0, made.stderr);
      const bytes = await readFile(src);
      for (const to of Object.keys(TS) as Kind[]) {
        if (to === from) continue;
        const ref = join(dir, `ref-${from}${lengths}-${to}.dcm`);
        const conv = await runTool("dcmconv", [`+${to}`, lengths, src, ref]);
        assert.equal(conv.code, 0, conv.stderr);
        const ours = transcodePart10(bytes, TS[to]);
        assert.ok(dataSetOf(ours).equals(dataSetOf(await readFile(ref))), `${from} ${lengths} -> ${to} differs from dcmconv`);
        const out = join(dir, `ours-${from}${lengths}-${to}.dcm`);
        await writeFile(out, ours);
        const meta = await readMeta(out);
        assert.equal(meta.transferSyntaxUid, TS[to]);
        assert.equal(meta.mediaStorageSopInstanceUid, "1.2.826.0.1.3680043.2.1143.1");
        const dumped = await runTool("dcmdump", ["-q", out]);
        assert.equal(dumped.code, 0);
        assert.equal(dumped.stderr, "");
        assert.match(dumped.stdout, /\(0028,0106\) SS -300/);
      }
    }
  }
});

test("explicit LE -> big endian -> implicit LE -> explicit LE gives back the same data set; pixels swap per word", async () => {
  const src = await writeInstance(join(await tmpDir("rt"), "src.dcm"), { rows: 256, columns: 256, extra: [{ tag: 0x00200032, vr: "DS", value: "-1.5\\2\\3" }] });
  const original = await readFile(src.path);
  const be = transcodePart10(original, TS.tb);
  const im = transcodePart10(be, TS.ti);
  const back = transcodePart10(im, TS.te);
  assert.ok(dataSetOf(back).equals(dataSetOf(original)));
  const bePath = join(await tmpDir("rt"), "be.dcm");
  await writeFile(bePath, be);
  assert.deepEqual(await readPixelData(bePath), Buffer.from(await readPixelData(src.path)).swap16());
  assert.equal(canTranscode(TS.te, TS.tb), true);
  assert.equal(canTranscode(TS.te, TS.te), false);
  assert.equal(canTranscode("1.2.840.10008.1.2.4.70", TS.te), false);
});

/** Explicit LE element bytes: tag, VR, length (PS3.5 7.1.2). */
function el(tag: number, vr: string, value: Buffer, length = value.length): Buffer {
  const long = ["OB", "OW", "SQ", "UN", "UT"].includes(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  h.write(vr, 4, "latin1");
  if (long) h.writeUInt32LE(length >>> 0, 8);
  else h.writeUInt16LE(length, 6);
  return Buffer.concat([h, value]);
}

/** Implicit LE tag and 32-bit length (items, delimiters and elements inside a UN sequence). */
function raw(tag: number, length: number, value = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  h.writeUInt32LE(length >>> 0, 4);
  return Buffer.concat([h, value]);
}

test("UN of undefined length stays implicit LE inside a big endian data set; group lengths are dropped", async () => {
  const unValue = Buffer.concat([raw(0xfffee000, 0xffffffff), raw(0x00091011, 4, Buffer.from([1, 2, 3, 4])), raw(0xfffee00d, 0), raw(0xfffee0dd, 0)]);
  const rows = Buffer.alloc(2);
  rows.writeUInt16LE(0x0102);
  const ds = Buffer.concat([
    el(0x00080000, "UL", Buffer.from([12, 0, 0, 0])),
    el(0x00080060, "CS", Buffer.from("OT")),
    el(0x00090010, "LO", Buffer.from("ACME 1.0")),
    el(0x00091010, "UN", unValue, 0xffffffff),
    el(0x00100010, "PN", Buffer.from("DOE^J ")),
    el(0x00280010, "US", rows),
  ]);
  const be = transcodeDataSet(ds, TS.te, TS.tb);
  assert.ok(be.includes(unValue), "UN content copied as it is (PS3.5 6.2.2)");
  assert.equal(be.readUInt16BE(0), 0x0008, "group length (0008,0000) dropped");
  assert.equal(be.readUInt16BE(2), 0x0060);
  assert.deepEqual(be.subarray(be.length - 2), Buffer.from([0x01, 0x02]), "US swapped to big endian");
  const preamble = Buffer.concat([Buffer.alloc(128), Buffer.from("DICM")]);
  const beFile = join(await tmpDir("un"), "be.dcm");
  await writeFile(beFile, Buffer.concat([preamble, metaGroup(TS.tb), be]));
  const beDump = await runTool("dcmdump", [beFile]);
  assert.equal(beDump.code, 0, beDump.stderr);
  assert.match(beDump.stdout, /\(0009,1011\) \S+ 01\\02\\03\\04/, "DCMTK reads the UN items as implicit LE");
  assert.match(beDump.stdout + beDump.stderr, /reading a sequence with transfer syntax LittleEndianImplicit \(CP-246\)/);
  assert.match(beDump.stdout, /\(0028,0010\) US 258/);
  // Back through implicit: the unknown undefined-length element is read as a sequence (PS3.5 6.2.2).
  const again = transcodeDataSet(transcodeDataSet(be, TS.tb, TS.ti), TS.ti, TS.te);
  const file = join(await tmpDir("un"), "un.dcm");
  await writeFile(file, transcodePart10(Buffer.concat([preamble, metaGroup(TS.te), again]), TS.tb));
  const dump = await runTool("dcmdump", ["-q", file]);
  assert.equal(dump.code, 0, dump.stderr);
  assert.match(dump.stdout, /\(0009,0010\) LO \[ACME 1\.0\]/);
  assert.match(dump.stdout, /\(0010,0010\) PN \[DOE\^J\]/);
  assert.match(dump.stdout, /\(0028,0010\) US 258/);
});

/** A minimal meta group (PS3.10 7.1) naming the transfer syntax. */
function metaGroup(ts: string): Buffer {
  const uid = (s: string) => Buffer.from(s.length % 2 ? `${s}\0` : s, "latin1");
  const body = Buffer.concat([
    el(0x00020001, "OB", Buffer.from([0, 1])),
    el(0x00020002, "UI", uid("1.2.840.10008.5.1.4.1.1.7")),
    el(0x00020003, "UI", uid("1.2.3.4")),
    el(0x00020010, "UI", uid(ts)),
  ]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length);
  return Buffer.concat([el(0x00020000, "UL", len), body]);
}

test("compressed or malformed input is refused with a DICOM_PARSE error", () => {
  assert.throws(() => transcodeDataSet(Buffer.alloc(0), "1.2.840.10008.1.2.4.70", TS.te), /cannot convert from 1\.2\.840\.10008\.1\.2\.4\.70/);
  const ds = el(0x00100010, "PN", Buffer.from("DOE^J "));
  assert.throws(() => transcodeDataSet(ds.subarray(0, ds.length - 2), TS.te, TS.tb), /runs past the end/);
  assert.throws(() => transcodeDataSet(Buffer.concat([ds, Buffer.from([0x10, 0, 0x20, 0, 0x5a, 0x5a, 0, 0])]), TS.te, TS.tb), /unknown VR "ZZ"/);
  const encapsulated = el(0x7fe00010, "OB", raw(0xfffee0dd, 0), 0xffffffff);
  assert.throws(() => transcodeDataSet(encapsulated, TS.te, TS.ti), /encapsulated data is not uncompressed/);
});
