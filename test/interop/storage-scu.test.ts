// Conduit as SCU against DCMTK's storescp: echo, and files streamed from disk arrive byte-identical.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readdir } from "node:fs/promises";
import { compress, makeStudy, readPixelData, writeInstance } from "../support/dicom-files.js";
import { freePort, runTool, startDcmtkServer, startStorescp } from "../support/dcmtk.js";
import { runCleanups, tmpDir } from "../support/tmp.js";
import { Client } from "../../src/client.js";
import { storeFiles } from "../../src/services/c-store-scu.js";

after(runCleanups);

test("C-ECHO to storescp", async () => {
  const out = await tmpDir("scp");
  const scp = await startStorescp({ dir: out });
  const r = await Client.echo({ host: "127.0.0.1", port: scp.port, calledAE: scp.aet });
  assert.equal(r.status, 0);
});

test("storeFiles sends a folder (uncompressed and RLE) to storescp; storescp's files match byte for byte", async () => {
  const out = await tmpDir("scp");
  const scp = await startStorescp({ dir: out });
  const src = await tmpDir("src");
  const study = await makeStudy(join(src, "study"), { count: 4, pixelBytes: 32 * 1024 });
  const plain = await writeInstance(join(src, "x.dcm"), { pixelBytes: 64 * 64 * 2, rows: 64, columns: 64 });
  await compress(plain.path, join(src, "study", "rle.dcm"), "rle");
  const progress: number[] = [];
  const summary = await storeFiles({ host: "127.0.0.1", port: scp.port, calledAE: scp.aet }, [join(src, "study")], (p) => progress.push(p.done));
  assert.equal(summary.sent, 5);
  assert.equal(summary.failed, 0);
  assert.deepEqual(progress, [1, 2, 3, 4, 5]);
  const received = await readdir(out);
  assert.equal(received.length, 5);
  for (const inst of study.instances) {
    const name = received.find((f) => f.includes(inst.sopInstanceUid));
    assert.ok(name, `storescp has ${inst.sopInstanceUid}`);
    assert.deepEqual(await readPixelData(join(out, name)), await readPixelData(inst.path));
    const dump = await runTool("dcmdump", ["-q", join(out, name)]);
    assert.equal(dump.code, 0, dump.stderr);
  }
  const rle = received.find((f) => f.includes(plain.sopInstanceUid));
  assert.ok(rle);
  assert.deepEqual(await readPixelData(join(out, rle)), await readPixelData(join(src, "study", "rle.dcm")));
});

test("a file whose transfer syntax the peer refuses fails with a clear reason; the others still go", async () => {
  const out = await tmpDir("scp");
  // Without +xa storescp accepts only uncompressed syntaxes.
  const port = await freePort();
  const scp2 = await startDcmtkServer("storescp", ["-od", out, String(port)], port);
  const src = await tmpDir("src");
  const a = await writeInstance(join(src, "a.dcm"), { pixelBytes: 2048 });
  const b = await writeInstance(join(src, "b.dcm"), { pixelBytes: 64 * 64 * 2, rows: 64, columns: 64 });
  await compress(b.path, join(src, "b-rle.dcm"), "rle");
  const summary = await storeFiles({ host: "127.0.0.1", port: scp2.port }, [a.path, join(src, "b-rle.dcm")]);
  assert.equal(summary.sent, 1);
  assert.equal(summary.failed, 1);
  const failed = summary.results.find((r) => r.status === undefined);
  assert.match(failed?.error ?? "", /no accepted presentation context/);
});
