// Storage SCP behaviour behind the protocol: statuses (0xA700, 0xA900, 0xC000, 0x0111), duplicates, layouts,
// path sanitising, a real full disk, and start-up reconciliation after an unclean stop.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { execFileSync, spawn } from "node:child_process";
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { datasetOffset, readPixelData, writeInstance, newUid } from "../support/dicom-files.js";
import { startConduit, storedFiles, tempFiles } from "../support/conduit.js";
import { registerCleanup, runCleanups, tmpDir } from "../support/tmp.js";
import { Client } from "../../src/client.js";
import { storeFiles } from "../../src/services/c-store-scu.js";
import { Catalog } from "../../src/catalog/catalog.js";
import { isPrefilledTemp } from "../../src/store/storage-area.js";
import { readFileMeta } from "../../src/dicom/part10.js";
import { until } from "../support/wait.js";

after(runCleanups);

async function send(port: number, files: string[]) {
  return storeFiles({ host: "127.0.0.1", port, calledAE: "CONDUIT" }, files);
}

test("duplicates: keep-first answers success and keeps the first; overwrite replaces; reject answers 0x0111", async () => {
  const dir = await tmpDir("dup");
  const uid = newUid();
  const first = await writeInstance(join(dir, "1.dcm"), { sopInstanceUid: uid, pixelBytes: 2048, pixelSeed: 1 });
  const second = await writeInstance(join(dir, "2.dcm"), { sopInstanceUid: uid, pixelBytes: 2048, pixelSeed: 2, studyInstanceUid: first.studyInstanceUid, seriesInstanceUid: first.seriesInstanceUid });
  for (const [policy, status, seed] of [
    ["keep-first", 0x0000, 1],
    ["overwrite", 0x0000, 2],
    ["reject", 0x0111, 1],
  ] as const) {
    const c = await startConduit({ storage: { duplicates: policy } });
    assert.equal((await send(c.port, [first.path])).results[0]?.status, 0);
    assert.equal((await send(c.port, [second.path])).results[0]?.status, status, policy);
    const row = c.server.catalog.getInstance(uid)!;
    const expected = seed === 1 ? first.path : second.path;
    assert.deepEqual(await readPixelData(join(c.root, row.path)), await readPixelData(expected), policy);
    assert.equal((await storedFiles(c.root)).length, 1);
    assert.deepEqual(await tempFiles(c.root), []);
    await c.close();
  }
});

test("0xA900 when the data set's SOP Instance UID differs from the command's; nothing kept", async () => {
  const c = await startConduit();
  const dir = await tmpDir("mismatch");
  const inst = await writeInstance(join(dir, "x.dcm"), { pixelBytes: 2048 });
  const a = await Client.associate({ host: "127.0.0.1", port: c.port }, [{ abstractSyntax: inst.sopClassUid, transferSyntaxes: [inst.transferSyntaxUid] }]);
  const meta = await readFileMeta(inst.path);
  const r = await a.storeFile(inst.path, { ...meta, mediaStorageSopInstanceUid: "1.2.3.4.5" });
  await a.release();
  assert.equal(r.status, 0xa900);
  assert.deepEqual(await storedFiles(c.root), []);
  assert.deepEqual(await tempFiles(c.root), []);
});

test("0xC000 when the data set cannot be parsed; nothing kept; the association stays usable", async () => {
  const c = await startConduit();
  const dir = await tmpDir("garbage");
  const inst = await writeInstance(join(dir, "x.dcm"), { pixelBytes: 2048 });
  const meta = await readFileMeta(inst.path);
  const bytes = await readFile(inst.path);
  bytes.write("\u0001\u0002", meta.datasetOffset + 4, "latin1"); // corrupt the first element's VR
  const bad = join(dir, "bad.dcm");
  await writeFile(bad, bytes);
  const a = await Client.associate({ host: "127.0.0.1", port: c.port }, [{ abstractSyntax: inst.sopClassUid, transferSyntaxes: [inst.transferSyntaxUid] }]);
  assert.equal((await a.storeFile(bad)).status, 0xc000);
  assert.equal((await a.storeFile(inst.path)).status, 0x0000);
  await a.release();
  assert.equal((await storedFiles(c.root)).length, 1);
});

test("0xA700 over quota or below the free-space minimum; what was stored is kept", async () => {
  const dir = await tmpDir("quota");
  const a = await writeInstance(join(dir, "a.dcm"), { pixelBytes: 64 * 1024 });
  const b = await writeInstance(join(dir, "b.dcm"), { pixelBytes: 64 * 1024 });
  const c = await startConduit({ storage: { quotaBytes: 100 * 1024 } });
  const r = await send(c.port, [a.path, b.path]);
  assert.deepEqual(r.results.map((x) => x.status), [0x0000, 0xa700]);
  assert.match(r.results[1]?.error ?? "", /quota/);
  assert.equal((await storedFiles(c.root)).length, 1);
  const d = await startConduit({ storage: { minFreeBytes: Number.MAX_SAFE_INTEGER } });
  assert.equal((await send(d.port, [a.path])).results[0]?.status, 0xa700);
  assert.deepEqual(await storedFiles(d.root), []);
});

test("a really full disk (2 MB tmpfs): 0xA700 on ENOSPC, earlier objects intact, no partial files", async () => {
  const mnt = await tmpDir("tmpfs");
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt]);
  registerCleanup(() => void execFileSync("umount", ["-l", mnt]));
  const dir = await tmpDir("full-src");
  const files: string[] = [];
  for (let i = 0; i < 6; i++) files.push((await writeInstance(join(dir, `${i}.dcm`), { pixelBytes: 512 * 1024, pixelSeed: i })).path);
  const c = await startConduit({ storage: { root: join(mnt, "data"), minFreeBytes: 0 }, catalog: { path: join(dir, "catalog.db") } });
  const r = await send(c.port, files);
  const statuses = r.results.map((x) => x.status);
  assert.ok(statuses.includes(0x0000), statuses.join(","));
  assert.ok(statuses.includes(0xa700), statuses.join(","));
  const stored = await storedFiles(c.root);
  assert.equal(stored.length, statuses.filter((s) => s === 0).length);
  for (const rel of stored) {
    const name = rel.split("/").pop()!;
    const src = r.results.find((x) => name.startsWith(x.sopInstanceUid ?? "?"))!;
    assert.deepEqual(await readPixelData(join(c.root, rel)), await readPixelData(src.path));
  }
  assert.deepEqual(await tempFiles(c.root), []);
  await c.close();
});

test("layouts: flat, DcmStoreService tree by PatientName with study and series folders, and a dose SR root", async () => {
  const dir = await tmpDir("layout");
  const ct = await writeInstance(join(dir, "ct.dcm"), { pixelBytes: 2048, patientName: "DOE^JOHN", studyId: "S7", seriesNumber: 3 });
  const dose = await writeInstance(join(dir, "dose.dcm"), { pixelBytes: 2, sopClassUid: "1.2.840.10008.5.1.4.1.1.88.67", modality: "SR" });
  const flat = await startConduit({ storage: { layout: "flat" } });
  await send(flat.port, [ct.path]);
  assert.deepEqual(await storedFiles(flat.root), [`${ct.sopInstanceUid}.dcm`]);
  const doseRoot = await tmpDir("dose-root");
  const tree = await startConduit({ storage: { layout: "tree", tree: { by: "PatientName", study: true, series: true }, dose: { root: doseRoot } } });
  await send(tree.port, [ct.path, dose.path]);
  assert.deepEqual(await storedFiles(tree.root), [`DOE^JOHN/S7/3/${ct.sopInstanceUid}.dcm`]);
  assert.deepEqual(await storedFiles(doseRoot), [`${dose.sopInstanceUid}.dcm`]);
  assert.ok(tree.server.catalog.getInstance(dose.sopInstanceUid));
});

test("hostile values in path components are sanitised: no traversal, separators, NUL or unbounded names", async () => {
  const c = await startConduit();
  const dir = await tmpDir("hostile");
  const ids = ["../../etc", "a/b\\c", "x\u0000y", "CON", "P".repeat(10_000), ".."];
  for (const [i, patientId] of ids.entries()) {
    await writeInstance(join(dir, `${i}.dcm`), { pixelBytes: 2, patientId });
  }
  const r = await send(c.port, [dir]);
  assert.equal(r.sent, ids.length, JSON.stringify(r.results.map((x) => x.error)));
  const files = await storedFiles(c.root);
  assert.equal(files.length, ids.length);
  for (const f of files) {
    const parts = f.split("/");
    assert.equal(parts.length, 4, f);
    for (const p of parts) {
      assert.ok(p !== ".." && p !== "." && !p.includes("\\") && !p.includes("\0"), p);
      assert.ok(Buffer.byteLength(p) <= 96, `${p.length} bytes`);
    }
  }
  assert.ok(!existsSync(join(c.root, "..", "etc")));
  assert.ok(files.some((f) => f.startsWith("_CON/")));
});

/** Sizes of the spares in .incoming that were prefilled with zeros (named "prefilled-..."). */
async function prefilledSpares(root: string): Promise<number[]> {
  const names = (await readdir(join(root, ".incoming"))).filter(isPrefilledTemp);
  const sizes = await Promise.all(names.map((n) => stat(join(root, ".incoming", n)).then((s) => s.size, () => -1)));
  return sizes.filter((n) => n > 0);
}

test("spares prefilled to recent objects' size: objects shorter and longer than the zeros are stored byte for byte", async () => {
  const c = await startConduit();
  const dir = await tmpDir("prefill");
  const kb = [200, 200, 200, 120, 200, 260];
  const insts = [];
  for (const [i, k] of kb.entries()) insts.push(await writeInstance(join(dir, `${i}.dcm`), { pixelBytes: k * 1024, pixelSeed: i + 1 }));
  const fileSizes: number[] = [];
  for (const [i, inst] of insts.entries()) {
    if (i >= 2) {
      // From the third object on, a spare holds zeros to the smallest recent size, rounded up to a 4 KB block.
      const want = Math.ceil(Math.min(...fileSizes.slice(-4)) / 4096) * 4096;
      await until(`a spare prefilled to ${want} bytes`, async () => (await prefilledSpares(c.root)).includes(want));
    }
    assert.equal((await send(c.port, [inst.path])).results[0]?.status, 0);
    const row = c.server.catalog.getInstance(inst.sopInstanceUid)!;
    fileSizes.push(row.size);
    const stored = join(c.root, row.path);
    const got = await readFile(stored);
    const sent = await readFile(inst.path);
    // The data set as sent, with nothing after it: no zeros of the prefill are left at the end.
    assert.deepEqual(got.subarray(await datasetOffset(stored)), sent.subarray(await datasetOffset(inst.path)), `object ${i} (${kb[i]} KB)`);
    assert.equal(got.length, row.size);
  }
  assert.ok(fileSizes[3]! < fileSizes[2]! && fileSizes[5]! > fileSizes[4]!);
  assert.deepEqual(await tempFiles(c.root), []);
  await c.close();
  assert.deepEqual(await prefilledSpares(c.root), [], "spares are removed at close");
});

test("a prefilled temporary file left by a crash is never adopted, even when its data set looks complete", async () => {
  const root = await tmpDir("reconcile-prefilled");
  const src = await tmpDir("reconcile-prefilled-src");
  const c = await startConduit({ storage: { root } });
  c.server.catalog.close();
  const inst = await writeInstance(join(src, "cut.dcm"), { pixelBytes: 8192, patientId: "P1" });
  // What a cut transfer leaves in a prefilled spare: the start of the object, then the zeros written ahead.
  const bytes = await readFile(inst.path);
  const cut = Buffer.alloc(bytes.length);
  bytes.copy(cut, 0, 0, bytes.length - 4096);
  await writeFile(join(root, ".incoming", "prefilled-crash1.part"), cut);
  const d = await startConduit({ storage: { root } });
  assert.equal(d.server.catalog.getInstance(inst.sopInstanceUid), undefined);
  assert.deepEqual(await readdir(join(root, ".incoming")).then((n) => n.filter((x) => x.includes("crash"))), []);
  await d.close();
});

test("start-up after an unclean stop: files not in the catalog are indexed, complete temp files adopted, partial ones removed", async () => {
  const root = await tmpDir("reconcile");
  const src = await tmpDir("reconcile-src");
  const c = await startConduit({ storage: { root } });
  const stored = await writeInstance(join(src, "stored.dcm"), { pixelBytes: 4096, patientId: "R1" });
  await send(c.port, [stored.path]);
  // Simulate a crash: the catalog never records a clean stop (the server object is simply dropped).
  c.server.catalog.close();
  // A file written by the crashed run but never indexed, a complete temp file, and a partial one.
  const orphan = await writeInstance(join(src, "orphan.dcm"), { pixelBytes: 4096, patientId: "R2" });
  await mkdir(join(root, "R2", "x"), { recursive: true });
  await copyFile(orphan.path, join(root, "R2", "x", "orphan.dcm"));
  const complete = await writeInstance(join(src, "complete.dcm"), { pixelBytes: 4096, patientId: "R3" });
  await copyFile(complete.path, join(root, ".incoming", "crash-1.part"));
  const partial = await readFile((await writeInstance(join(src, "partial.dcm"), { pixelBytes: 4096, patientId: "R4" })).path);
  await writeFile(join(root, ".incoming", "crash-2.part"), partial.subarray(0, partial.length - 100));
  const d = await startConduit({ storage: { root } });
  const cat = d.server.catalog;
  assert.ok(cat.getInstance(stored.sopInstanceUid));
  assert.equal(cat.getInstance(orphan.sopInstanceUid)?.path, "R2/x/orphan.dcm");
  const adopted = cat.getInstance(complete.sopInstanceUid);
  assert.ok(adopted, "complete temp file adopted");
  assert.deepEqual(await readPixelData(join(root, adopted.path)), await readPixelData(complete.path));
  assert.deepEqual(await tempFiles(root), []);
  assert.equal(cat.instanceCount(), 3);
  await d.close();
  const reopened = Catalog.open(join(root, "conduit.db"));
  assert.equal(reopened.lastRun().cleanStop, true);
  reopened.close();
});

test("SIGKILL of a running server loses nothing that was answered with success", async () => {
  const root = await tmpDir("kill9");
  const cfg = join(root, "..", `${root.split("/").pop()}.json`);
  await writeFile(cfg, JSON.stringify({ host: "127.0.0.1", port: 0, storage: { root, minFreeBytes: 0 }, log: { level: "info" } }));
  const bin = join(import.meta.dirname, "..", "..", "bin", "conduit.js");
  const p = spawn(process.execPath, [bin, "start", "--config", cfg], { env: { ...process.env, CONDUIT_LOG_LEVEL: "info" } });
  registerCleanup(() => void p.kill("SIGKILL"));
  let out = "";
  const port = await new Promise<number>((resolve) => {
    p.stdout.on("data", (d) => {
      out += d;
      const m = /"port":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  const src = await tmpDir("kill9-src");
  const files: string[] = [];
  for (let i = 0; i < 20; i++) files.push((await writeInstance(join(src, `${i}.dcm`), { pixelBytes: 32 * 1024, pixelSeed: i })).path);
  const r = await send(port, files);
  p.kill("SIGKILL");
  await new Promise((res) => p.on("exit", res));
  const ok = r.results.filter((x) => x.status === 0);
  assert.equal(ok.length, 20);
  const d = await startConduit({ storage: { root } });
  for (const x of ok) {
    const row = d.server.catalog.getInstance(x.sopInstanceUid!);
    assert.ok(row, `${x.sopInstanceUid} indexed after restart`);
    assert.deepEqual(await readPixelData(join(root, row.path)), await readPixelData(x.path));
  }
});
