// Storage SCP behaviour behind the protocol: statuses (0xA700, 0xA900, 0xC000, 0x0111), duplicates, layouts,
// path sanitising, a real full disk, and start-up reconciliation after an unclean stop.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { execFileSync, spawn } from "node:child_process";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { readPixelData, writeInstance, newUid } from "../support/dicom-files.js";
import { startConduit, storedFiles, tempFiles } from "../support/conduit.js";
import { registerCleanup, runCleanups, tmpDir } from "../support/tmp.js";
import { Client } from "../../src/client.js";
import { storeFiles } from "../../src/services/c-store-scu.js";
import { Catalog } from "../../src/catalog/catalog.js";
import { readFileMeta } from "../../src/dicom/part10.js";

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
