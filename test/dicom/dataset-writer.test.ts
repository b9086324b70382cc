import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DataSet } from "../../src/dicom/dataset.js";
import { decodeFileMeta, encodeFileMeta } from "../../src/dicom/part10.js";
import { writeInstance, locatePixelData, readPixelData, type TransferSyntaxKind } from "../support/dicom-files.js";
import { runTool } from "../support/dcmtk.js";
import { runCleanups, tmpDir } from "../support/tmp.js";

after(runCleanups);

for (const kind of ["explicit", "implicit", "bigendian"] as TransferSyntaxKind[]) {
  test(`coerced header (${kind}): changed elements re-encoded, others byte for byte, dcmdump reads the file`, async () => {
    const dir = await tmpDir("writer");
    const src = join(dir, "in.dcm");
    await writeInstance(src, { transferSyntax: kind, pixelBytes: 4096, patientName: "DOE^JOHN", institutionName: "Old Name" });
    const bytes = await readFile(src);
    const meta = decodeFileMeta(bytes);
    const px = (await locatePixelData(src))!;
    const header = bytes.subarray(meta.datasetOffset, px.elementOffset);
    const ds = DataSet.parse(header, meta.transferSyntaxUid);
    ds.set("InstitutionName", "LO", ["General Hospital"]);
    ds.remove("PatientBirthDate");
    ds.set("StudyComments", "LT", ["added by a rule\\with a backslash"]);
    ds.set("PatientWeight", "DS", [72.5]);
    ds.set("ReferencedStudySequence", "SQ", [{ "00081150": { vr: "UI", Value: ["1.2.3"] }, "00081155": { vr: "UI", Value: ["1.2.3.4"] } }]);
    const out = ds.encode();
    const back = DataSet.parse(out, meta.transferSyntaxUid);
    assert.equal(back.string("InstitutionName"), "General Hospital");
    assert.equal(back.has("PatientBirthDate"), false);
    assert.equal(back.string("StudyComments"), "added by a rule\\with a backslash");
    assert.equal(back.number("PatientWeight"), 72.5);
    assert.equal(back.items("ReferencedStudySequence")[0]?.string("ReferencedSOPInstanceUID"), "1.2.3.4");
    assert.equal(back.string("PatientName"), "DOE^JOHN");
    // Untouched elements keep their bytes: the original PatientName element appears verbatim.
    const pnAt = ds.source!.offsets.get("00100010")!;
    assert.ok(out.includes(header.subarray(pnAt[0], pnAt[1])));
    const file = join(dir, "out.dcm");
    const prefix = encodeFileMeta({ sopClassUid: meta.mediaStorageSopClassUid, sopInstanceUid: meta.mediaStorageSopInstanceUid, transferSyntaxUid: meta.transferSyntaxUid });
    await writeFile(file, Buffer.concat([prefix, out, bytes.subarray(px.elementOffset)]));
    const dump = await runTool("dcmdump", ["-q", "+L", file]);
    assert.equal(dump.code, 0, dump.stderr);
    assert.equal(dump.stderr, "");
    assert.match(dump.stdout, /\(0008,0080\) LO \[General Hospital\]/);
    assert.match(dump.stdout, /\(0010,1030\) DS \[72\.5\]/);
    assert.deepEqual(await readPixelData(file), await readPixelData(src));
  });
}

test("an unchanged data set encodes to its original bytes", () => {
  const ds = DataSet.parse(Buffer.from("08001600" + "5549" + "0600" + "312e322e3300", "hex"), "1.2.840.10008.1.2.1");
  assert.equal(ds.string("SOPClassUID"), "1.2.3");
  assert.equal(ds.encode(), ds.source!.bytes);
});
