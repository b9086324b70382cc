// Transfer syntax negotiation of the outbox against storescp receivers with restricted acceptance: uncompressed
// objects re-encoded for a peer that accepts only another uncompressed syntax (checked against dcmconv), compressed
// objects sent as they are or failing permanently with a clear reason, and association reuse across SOP classes.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { compress, MR_IMAGE_STORAGE, readMeta, readPixelData, writeInstance, type WrittenInstance } from "../support/dicom-files.js";
import { freePort, runTool, startDcmtkServer, startStorescp } from "../support/dcmtk.js";
import { registerCleanup, runCleanups, tmpDir } from "../support/tmp.js";
import { count, openOutbox, receivedFile, until } from "./fixture.js";

after(runCleanups);

const IMPLICIT = "1.2.840.10008.1.2";
const EXPLICIT = "1.2.840.10008.1.2.1";
const BIG = "1.2.840.10008.1.2.2";
const small = { rows: 32, columns: 48 };

/** storescp accepting CT and MR only in `syntax` (DCMTK association negotiation profile, storescp -xf). */
async function restrictedStorescp(syntax: string): Promise<{ port: number; dir: string }> {
  const dir = await tmpDir("rx");
  const cfg = join(await tmpDir("cfg"), "storescp.cfg");
  await writeFile(
    cfg,
    [
      "[[TransferSyntaxes]]",
      "[Only]",
      `TransferSyntax1 = ${syntax}`,
      "[[PresentationContexts]]",
      "[Storage]",
      "PresentationContext1 = 1.2.840.10008.5.1.4.1.1.2\\Only",
      `PresentationContext2 = ${MR_IMAGE_STORAGE}\\Only`,
      "[[Profiles]]",
      "[Default]",
      "PresentationContexts = Storage",
      "",
    ].join("\n"),
  );
  const port = await freePort();
  const rx = await startDcmtkServer("storescp", ["-od", dir, "-xf", cfg, "Default", String(port)], port);
  registerCleanup(() => rx.stop());
  return { port, dir };
}

/** The data set bytes (after the meta group) of a Part-10 file. */
async function dataSet(path: string): Promise<Buffer> {
  return (await readFile(path)).subarray((await readMeta(path)).datasetOffset);
}

/** What dcmconv makes of `src` in the given syntax: the reference for Conduit's re-encoding. */
async function dcmconv(src: WrittenInstance, flag: "+ti" | "+te" | "+tb"): Promise<Buffer> {
  const out = join(await tmpDir("ref"), "ref.dcm");
  const r = await runTool("dcmconv", [flag, src.path, out]);
  assert.equal(r.code, 0, r.stderr);
  return dataSet(out);
}

test("explicit LE objects reach an implicit-only receiver re-encoded as dcmconv +ti would", async () => {
  const rxDir = await tmpDir("rx");
  const rx = await startStorescp({ dir: rxDir, aet: "IMPLICIT", args: ["+xi"] });
  const f = await openOutbox({ peers: { IMPLICIT: { host: "127.0.0.1", port: rx.port, concurrency: 1 } } });
  const src = await writeInstance(join(await tmpDir("src"), "ex.dcm"), { ...small, transferSyntax: "explicit", extra: [{ tag: 0x00181310, vr: "US", value: [0, 32, 48, 0] }] });
  f.enqueue("IMPLICIT", [src]);
  await until("job done", () => f.jobs("done").length === 1);
  const got = await receivedFile(rxDir, src.sopInstanceUid);
  assert.equal((await readMeta(got)).transferSyntaxUid, IMPLICIT);
  assert.deepEqual(await dataSet(got), await dcmconv(src, "+ti"));
  assert.deepEqual(await readPixelData(got), await readPixelData(src.path));
  assert.match(f.jobs("done")[0]!.lastError ?? "", /sent as ImplicitVRLittleEndian/);
  await f.close();
});

test("explicit LE and implicit LE objects reach a big-endian-only receiver byte-swapped as dcmconv +tb would", async () => {
  const rx = await restrictedStorescp(BIG);
  const f = await openOutbox({ peers: { BIG: { host: "127.0.0.1", port: rx.port, concurrency: 1 } } });
  const dir = await tmpDir("src");
  const ex = await writeInstance(join(dir, "ex.dcm"), { ...small, transferSyntax: "explicit" });
  const im = await writeInstance(join(dir, "im.dcm"), { ...small, transferSyntax: "implicit", extra: [{ tag: 0x00280106, vr: "US", value: [3] }] });
  f.enqueue("BIG", [ex, im]);
  await until("jobs done", () => f.jobs("done").length === 2);
  for (const src of [ex, im]) {
    const got = await receivedFile(rx.dir, src.sopInstanceUid);
    assert.equal((await readMeta(got)).transferSyntaxUid, BIG);
    assert.deepEqual(await dataSet(got), await dcmconv(src, "+tb"));
    assert.deepEqual(await readPixelData(got), Buffer.from(await readPixelData(src.path)).swap16());
    const dump = await runTool("dcmdump", ["-q", got]);
    assert.equal(dump.code, 0);
    assert.equal(dump.stderr, "");
  }
  await f.close();
});

test("a big endian object reaches an explicit-LE-only receiver as dcmconv +te would", async () => {
  const rx = await restrictedStorescp(EXPLICIT);
  const f = await openOutbox({ peers: { LITTLE: { host: "127.0.0.1", port: rx.port } } });
  const be = await writeInstance(join(await tmpDir("src"), "be.dcm"), { ...small, transferSyntax: "bigendian" });
  f.enqueue("LITTLE", [be]);
  await until("job done", () => f.jobs("done").length === 1);
  const got = await receivedFile(rx.dir, be.sopInstanceUid);
  assert.deepEqual(await dataSet(got), await dcmconv(be, "+te"));
  await f.close();
});

test("compressed objects go as they are, or die at once with the reason when the peer accepts only uncompressed", async () => {
  const dir = await tmpDir("src");
  const plain = await writeInstance(join(dir, "plain.dcm"), { ...small, modality: "CT" });
  const jpeg = { ...plain, path: join(dir, "jpeg.dcm"), transferSyntaxUid: await compress(plain.path, join(dir, "jpeg.dcm"), "jpeg-lossless") };
  assert.equal(jpeg.transferSyntaxUid, "1.2.840.10008.1.2.4.70");
  const okDir = await tmpDir("rx-all");
  const all = await startStorescp({ dir: okDir, aet: "ALL" });
  const plainDir = await tmpDir("rx-plain");
  const plainPort = await freePort();
  const plainRx = await startDcmtkServer("storescp", ["-od", plainDir, "-v", String(plainPort)], plainPort);
  registerCleanup(() => plainRx.stop());
  const f = await openOutbox({ peers: { ALL: { host: "127.0.0.1", port: all.port }, PLAIN: { host: "127.0.0.1", port: plainPort, concurrency: 1 } } });
  f.enqueue("ALL", [jpeg]);
  f.enqueue("PLAIN", [jpeg, jpeg]);
  await until("all settled", () => f.jobs("done").length + f.jobs("dead").length === 3);
  const done = f.jobs("done")[0];
  assert.equal(done?.destination, "ALL", JSON.stringify(f.jobs()));
  const got = await receivedFile(okDir, plain.sopInstanceUid);
  assert.equal((await readMeta(got)).transferSyntaxUid, jpeg.transferSyntaxUid);
  assert.deepEqual(await readPixelData(got), await readPixelData(jpeg.path));
  const dead = f.jobs("dead");
  assert.equal(dead.length, 2);
  for (const d of dead) {
    assert.equal(d.destination, "PLAIN");
    assert.equal(d.attempts, 1, "not retried: no retry can help");
    assert.equal(d.lastError, "PLAIN accepted no presentation context for CT Image Storage in JPEGLosslessSV1 (1.2.840.10008.1.2.4.70); Conduit does not decompress");
  }
  assert.equal(count(plainRx.output(), /Association Acknowledged/), 1, "the refusal does not cost the association");
  // An uncompressed object needs new contexts: one more association, and it arrives.
  f.enqueue("PLAIN", [plain]);
  await until("plain done", () => f.jobs("done").length === 2);
  await receivedFile(plainDir, plain.sopInstanceUid);
  assert.equal(count(plainRx.output(), /Association Acknowledged/), 2);
  await f.close();
});

test("a new SOP class reopens the association proposing every class seen; later objects of either reuse it", async () => {
  const rxDir = await tmpDir("rx");
  const rx = await startStorescp({ dir: rxDir, aet: "RX", args: ["-v"] });
  const f = await openOutbox({ peers: { RX: { host: "127.0.0.1", port: rx.port, concurrency: 1 } } });
  const dir = await tmpDir("src");
  const files: WrittenInstance[] = [];
  for (const [i, m] of ["CT", "MR", "CT", "MR", "CT"].entries()) {
    files.push(await writeInstance(join(dir, `${i}.dcm`), { ...small, modality: m, sopClassUid: m === "MR" ? MR_IMAGE_STORAGE : undefined }));
  }
  f.enqueue("RX", files);
  await until("5 done", () => f.jobs("done").length === 5);
  for (const x of files) await receivedFile(rxDir, x.sopInstanceUid);
  assert.equal(count(rx.output(), /Association Acknowledged/), 2, rx.output());
  await f.close();
});
