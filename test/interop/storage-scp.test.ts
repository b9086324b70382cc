// Conduit as Storage SCP against real peers: DCMTK echoscu/storescu (uncompressed, JPEG lossless, JPEG-LS, RLE,
// big endian) and dcmjs-dimse; received files checked byte for byte on pixel data and with dcmdump.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRequire } from "node:module";
import { compress, makeStudy, readPixelData, readMeta, writeInstance, COMPRESSED_SYNTAX_UIDS } from "../support/dicom-files.js";
import { runTool } from "../support/dcmtk.js";
import { startConduit, storedFiles, tempFiles } from "../support/conduit.js";
import { runCleanups, tmpDir } from "../support/tmp.js";

after(runCleanups);

test("echoscu gets C-ECHO success", async () => {
  const c = await startConduit();
  const r = await runTool("echoscu", ["-aec", "CONDUIT", "127.0.0.1", String(c.port)]);
  assert.equal(r.code, 0, r.stderr);
});

test("storescu +sd +r: a study lands in the default layout, indexed, pixel data byte-identical, dcmdump-clean", async () => {
  const c = await startConduit();
  const src = await tmpDir("study");
  const study = await makeStudy(src, { count: 5, patientId: "PAT-1", pixelBytes: 64 * 1024 });
  const r = await runTool("storescu", ["-aec", "CONDUIT", "+sd", "+r", "127.0.0.1", String(c.port), src]);
  assert.equal(r.code, 0, r.stderr);
  const files = await storedFiles(c.root);
  assert.equal(files.length, 5);
  for (const inst of study.instances) {
    const rel = `PAT-1/${inst.studyInstanceUid}/${inst.seriesInstanceUid}/${inst.sopInstanceUid}.dcm`;
    assert.ok(files.includes(rel), `missing ${rel}`);
    const stored = join(c.root, rel);
    assert.deepEqual(await readPixelData(stored), await readPixelData(inst.path));
    const meta = await readMeta(stored);
    assert.equal(meta.transferSyntaxUid, inst.transferSyntaxUid);
    assert.equal(meta.mediaStorageSopInstanceUid, inst.sopInstanceUid);
    const row = c.server.catalog.getInstance(inst.sopInstanceUid);
    assert.equal(row?.path, rel);
    assert.equal(row?.studyInstanceUid, inst.studyInstanceUid);
  }
  const dump = await runTool("dcmdump", ["-q", join(c.root, files[0]!)]);
  assert.equal(dump.code, 0);
  assert.equal(dump.stderr, "");
  assert.match(dump.stdout, /\(0010,0020\) LO \[PAT-1\]/);
  assert.deepEqual(await tempFiles(c.root), []);
});

for (const [kind, flag] of [
  ["jpeg-lossless", "-xs"],
  ["jpeg-ls", "-xt"],
  ["rle", "-xr"],
] as const) {
  test(`compressed ${kind} is stored in its own transfer syntax with pixel data unchanged`, async () => {
    const c = await startConduit();
    const dir = await tmpDir(kind);
    const plain = await writeInstance(join(dir, "plain.dcm"), { pixelBytes: 128 * 128 * 2, rows: 128, columns: 128 });
    const out = join(dir, "send", "c.dcm");
    await (await import("node:fs/promises")).mkdir(join(dir, "send"), { recursive: true });
    const ts = await compress(plain.path, out, kind);
    assert.equal(ts, COMPRESSED_SYNTAX_UIDS[kind]);
    const r = await runTool("storescu", ["-aec", "CONDUIT", flag, "127.0.0.1", String(c.port), out]);
    assert.equal(r.code, 0, r.stderr);
    const row = c.server.catalog.getInstance(plain.sopInstanceUid);
    assert.ok(row);
    assert.equal(row.transferSyntaxUid, ts);
    const stored = join(c.root, row.path);
    assert.deepEqual(await readPixelData(stored), await readPixelData(out));
    const dump = await runTool("dcmdump", ["-q", stored]);
    assert.equal(dump.code, 0, dump.stderr);
  });
}

test("implicit VR and big endian objects are kept in the syntax they were sent in", async () => {
  const c = await startConduit();
  const dir = await tmpDir("syntaxes");
  const imp = await writeInstance(join(dir, "imp.dcm"), { transferSyntax: "implicit", pixelBytes: 8192 });
  const be = await writeInstance(join(dir, "be.dcm"), { transferSyntax: "bigendian", pixelBytes: 8192 });
  // -xi proposes implicit only; -xb big endian first.
  assert.equal((await runTool("storescu", ["-aec", "CONDUIT", "-xi", "127.0.0.1", String(c.port), imp.path])).code, 0);
  assert.equal((await runTool("storescu", ["-aec", "CONDUIT", "-xb", "127.0.0.1", String(c.port), be.path])).code, 0);
  for (const inst of [imp, be]) {
    const row = c.server.catalog.getInstance(inst.sopInstanceUid);
    assert.equal(row?.transferSyntaxUid, inst.transferSyntaxUid);
    assert.deepEqual(await readPixelData(join(c.root, row!.path)), await readPixelData(inst.path));
  }
});

test("dcmjs-dimse as an independent client stores an object", async () => {
  const c = await startConduit();
  const dir = await tmpDir("dimse");
  const inst = await writeInstance(join(dir, "x.dcm"), { pixelBytes: 4096, patientId: "DIMSE" });
  const require = createRequire(import.meta.url);
  const dimse = require("dcmjs-dimse") as {
    Client: new () => { addRequest(r: unknown): void; on(e: string, f: (x: unknown) => void): void; send(h: string, p: number, a: string, b: string): void };
    requests: { CStoreRequest: new (file: string) => { on(e: string, f: (r: { getStatus(): number }) => void): void } };
  };
  const status = await new Promise<number>((resolve, reject) => {
    const client = new dimse.Client();
    const req = new dimse.requests.CStoreRequest(inst.path);
    let st = -1;
    req.on("response", (rsp) => {
      st = rsp.getStatus();
    });
    client.addRequest(req);
    client.on("networkError", (e) => reject(e as Error));
    client.on("closed", () => resolve(st));
    client.send("127.0.0.1", c.port, "DIMSECLIENT", "CONDUIT");
  });
  assert.equal(status, 0);
  const row = c.server.catalog.getInstance(inst.sopInstanceUid);
  assert.equal(row?.sourceAE, "DIMSECLIENT");
  assert.deepEqual(await readPixelData(join(c.root, row!.path)), await readPixelData(inst.path));
});
