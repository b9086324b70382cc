// Proves the test-support library against the real tools: dcmdump, dcmcjpeg/dcmcjpls/dcmcrle, storescp/storescu,
// echoscu and Orthanc.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  compress,
  datasetOffset,
  generatePixelData,
  locatePixelData,
  makeStudy,
  newUid,
  readMeta,
  readPixelData,
  writeInstance,
  type CompressionKind,
} from "./dicom-files.js";
import { freePort, runTool, startDcmtkServer, startStorescp, waitForPort } from "./dcmtk.js";
import { startOrthanc } from "./orthanc.js";
import { registerCleanup, runCleanups, tmpDir } from "./tmp.js";

after(runCleanups);

async function dump(path: string, ...opts: string[]): Promise<string> {
  const r = await runTool("dcmdump", [...opts, path]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "", `dcmdump warnings for ${path}`);
  return r.stdout;
}

test("newUid yields valid, distinct UIDs under 2.25", () => {
  const uids = new Set(Array.from({ length: 100 }, newUid));
  assert.equal(uids.size, 100);
  for (const u of uids) {
    assert.match(u, /^2\.25\.(0|[1-9][0-9]*)$/);
    assert.ok(u.length <= 64);
  }
});

for (const ts of ["explicit", "implicit", "bigendian"] as const) {
  test(`writeInstance (${ts}) parses cleanly with dcmdump and pixel data reads back`, async () => {
    const dir = await tmpDir("support");
    const w = await writeInstance(join(dir, "a.dcm"), { transferSyntax: ts, pixelSeed: 42, rows: 64, columns: 32 });
    const out = await dump(w.path, "-Un");
    assert.match(out, new RegExp(`\\(0002,0010\\) UI \\[${w.transferSyntaxUid.replace(/\./g, "\\.")}\\]`));
    assert.ok(out.includes(`(0008,0018) UI [${w.sopInstanceUid}]`));
    assert.match(out, /\(0028,0010\) US 64 /);
    assert.match(out, /\(0028,0004\) CS \[MONOCHROME2\]/);
    assert.match(out, /\(7fe0,0010\) OW .*# 4096, 1 PixelData/);
    const expected = generatePixelData(42, 64 * 32 * 2);
    if (ts === "bigendian") expected.swap16();
    assert.deepEqual(await readPixelData(w.path), expected);
    const meta = await readMeta(w.path);
    assert.equal(meta.mediaStorageSopInstanceUid, w.sopInstanceUid);
    const file = await readFile(w.path);
    assert.equal(await datasetOffset(w.path), 132 + 12 + file.readUInt32LE(140));
    const loc = await locatePixelData(w.path);
    assert.equal(loc?.valueOffset, file.length - 4096);
  });
}

test("text is padded, encoded per SpecificCharacterSet, and extra elements are sorted in", async () => {
  const dir = await tmpDir("support");
  const utf8 = await writeInstance(join(dir, "u.dcm"), {
    specificCharacterSet: "ISO_IR 192",
    patientName: "Müller^Jürgen",
    studyDescription: "Étude",
    extra: [
      { tag: 0x00280030, vr: "DS", value: [0.5, 0.5] },
      { tag: 0x00181050, vr: "DS", value: "0.7" },
      { tag: 0x00100020, vr: "LO", value: "OVERRIDE" },
      { tag: 0x00091010, vr: "LO", value: Buffer.from("raw\u00e9", "latin1") },
    ],
    rows: 16,
    columns: 16,
  });
  const out = await dump(utf8.path);
  assert.ok(out.includes("(0010,0010) PN [Müller^Jürgen]"), out);
  assert.ok(out.includes("(0010,0020) LO [OVERRIDE]"));
  assert.ok(out.includes("(0028,0030) DS [0.5\\0.5]"));
  const tags = [...out.matchAll(/^\(([0-9a-f]{4}),([0-9a-f]{4})\)/gm)].map((m) => parseInt(m[1]! + m[2]!, 16));
  const dataset = tags.filter((t) => t >= 0x00080000);
  assert.deepEqual(dataset, [...dataset].sort((a, b) => a - b));
  const latin = await writeInstance(join(dir, "l.dcm"), {
    specificCharacterSet: "ISO_IR 100",
    patientName: "Müller^Jürgen",
    rows: 16,
    columns: 16,
  });
  const bytes = await readFile(latin.path);
  assert.ok(bytes.includes(Buffer.from("Müller^Jürgen ", "latin1")), "latin1 PN with space padding");
  assert.ok((await dump(latin.path, "+U8")).includes("[Müller^Jürgen]"));
  // UIDs of odd length are NUL-padded.
  assert.ok(bytes.includes(Buffer.from("1.2.840.10008.1.2.1\0", "latin1")));
});

test("pixelBytes sets an exact length and multi-frame count", async () => {
  const dir = await tmpDir("support");
  const w = await writeInstance(join(dir, "mf.dcm"), { rows: 8, columns: 8, pixelBytes: 8 * 8 * 2 * 5 });
  assert.equal(w.pixelLength, 640);
  assert.match(await dump(w.path), /\(0028,0008\) IS \[5\]/);
  const exact = await writeInstance(join(dir, "exact.dcm"), { pixelBytes: 1000 });
  assert.equal((await readPixelData(exact.path)).length, 1000);
  assert.equal((await stat(exact.path)).size, (await locatePixelData(exact.path))!.valueOffset + 1000);
});

const decompressors: Record<Exclude<CompressionKind, "j2k">, string> = {
  "jpeg-lossless": "dcmdjpeg",
  "jpeg-ls": "dcmdjpls",
  rle: "dcmdrle",
};

for (const kind of Object.keys(decompressors) as Array<keyof typeof decompressors>) {
  test(`compress ${kind} gives the right syntax and decompresses losslessly`, async () => {
    const dir = await tmpDir("support");
    const src = await writeInstance(join(dir, "src.dcm"), { pixelSeed: 9, rows: 128, columns: 96 });
    const ts = await compress(src.path, join(dir, "c.dcm"), kind);
    const loc = await locatePixelData(join(dir, "c.dcm"));
    assert.ok(loc?.encapsulated);
    const px = await readPixelData(join(dir, "c.dcm"));
    assert.deepEqual(px.subarray(0, 4), Buffer.from([0xfe, 0xff, 0x00, 0xe0]), "starts with an item");
    assert.deepEqual(px.subarray(-8), Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]), "ends with a delimiter");
    assert.ok((await dump(join(dir, "c.dcm"), "-Un")).includes(`[${ts}]`));
    const r = await runTool(decompressors[kind], [join(dir, "c.dcm"), join(dir, "d.dcm")]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await readPixelData(join(dir, "d.dcm")), await readPixelData(src.path));
  });
}

test("compress j2k: works if a dcmcjp2k exists, else throws a clear error", async () => {
  const dir = await tmpDir("support");
  const src = await writeInstance(join(dir, "src.dcm"), { rows: 16, columns: 16 });
  const hasTool = existsSync("/usr/bin/dcmcjp2k") || existsSync("/usr/local/bin/dcmcjp2k");
  if (hasTool) assert.equal(await compress(src.path, join(dir, "j.dcm"), "j2k"), "1.2.840.10008.1.2.4.90");
  else await assert.rejects(compress(src.path, join(dir, "j.dcm"), "j2k"), /no dcmcjp2k/);
});

test("runTool always sets TCP_NODELAY=1; freePort and waitForPort", async () => {
  const r = await runTool("env", [], { env: { TCP_NODELAY: "0", EXTRA_X: "y" } });
  assert.match(r.stdout, /^TCP_NODELAY=1$/m);
  assert.match(r.stdout, /^EXTRA_X=y$/m);
  const port = await freePort();
  assert.ok(port > 0 && port < 65536);
  await assert.rejects(waitForPort(port, "127.0.0.1", 200), /not accepting/);
});

test("startDcmtkServer starts wlmscpfs (echo works) and reports a server that dies at once", async () => {
  const wl = await tmpDir("support-wl");
  await mkdir(join(wl, "WLM"));
  const port = await freePort();
  const srv = await startDcmtkServer("wlmscpfs", ["-dfp", wl, String(port)], port);
  const echo = await runTool("echoscu", ["-aec", "WLM", "127.0.0.1", String(port)]);
  assert.equal(echo.code, 0, echo.stderr + srv.output());
  await srv.stop();
  const bad = await freePort();
  await assert.rejects(startDcmtkServer("storescp", ["--no-such-option", String(bad)], bad), /exited before listening/);
});

async function receivedFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => !f.startsWith(".")).map((f) => join(dir, f));
}

test("storescp receives from storescu; pixel data bytes survive (native and RLE)", async () => {
  const src = await tmpDir("support-src");
  const out = await tmpDir("support-out");
  const scp = await startStorescp({ dir: out, aet: "RECEIVER" });
  const w = await writeInstance(join(src, "a.dcm"), { pixelSeed: 5 });
  const r = await runTool("storescu", ["-v", "-aec", scp.aet, "127.0.0.1", String(scp.port), w.path]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const got = await receivedFiles(out);
  assert.equal(got.length, 1);
  assert.deepEqual(await readPixelData(got[0]!), await readPixelData(w.path));
  assert.equal((await readMeta(got[0]!)).mediaStorageSopInstanceUid, w.sopInstanceUid);

  await compress(w.path, join(src, "rle.dcm"), "rle");
  const out2 = await tmpDir("support-out");
  const scp2 = await startStorescp({ dir: out2, args: ["+B"] });
  const r2 = await runTool("storescu", ["-xr", "127.0.0.1", String(scp2.port), join(src, "rle.dcm")]);
  assert.equal(r2.code, 0, r2.stderr);
  const got2 = await receivedFiles(out2);
  assert.equal((await readMeta(got2[0]!)).transferSyntaxUid, "1.2.840.10008.1.2.5");
  assert.deepEqual(await readPixelData(got2[0]!), await readPixelData(join(src, "rle.dcm")));
  await scp.stop();
  await scp.stop(); // idempotent
  assert.notEqual(scp.proc.exitCode ?? scp.proc.signalCode, null);
  await scp2.stop();
});

test("makeStudy writes one series that storescu sends as a directory", async () => {
  const src = await tmpDir("support-study");
  const out = await tmpDir("support-out");
  const study = await makeStudy(src, { count: 3, rows: 32, columns: 32, patientId: "PS1", pixelSeed: 100 });
  assert.equal(study.paths.length, 3);
  assert.equal(new Set(study.instances.map((i) => i.sopInstanceUid)).size, 3);
  assert.ok(study.instances.every((i) => i.studyInstanceUid === study.studyInstanceUid));
  const scp = await startStorescp({ dir: out });
  const r = await runTool("storescu", ["+sd", "+r", "127.0.0.1", String(scp.port), src]);
  assert.equal(r.code, 0, r.stderr);
  const got = await receivedFiles(out);
  assert.equal(got.length, 3);
  const pixels = await Promise.all(got.map((f) => readPixelData(f)));
  for (const [i, inst] of study.instances.entries()) {
    assert.equal(inst.pixelSeed, 100 + i);
    const expected = generatePixelData(100 + i, 32 * 32 * 2);
    assert.ok(pixels.some((p) => p.equals(expected)), `instance ${i + 1} received intact`);
  }
  await scp.stop();
});

test("Orthanc starts privately, answers C-ECHO and REST, stores to a configured modality, stops", async () => {
  const out = await tmpDir("support-out");
  const scp = await startStorescp({ dir: out, aet: "SINK" });
  const orthanc = await startOrthanc({ aet: "ORTHANCT", modalities: { sink: ["SINK", "127.0.0.1", scp.port] } });
  const echo = await runTool("echoscu", ["-aec", orthanc.aet, "127.0.0.1", String(orthanc.dicomPort)]);
  assert.equal(echo.code, 0, echo.stderr);
  const system = await orthanc.restJson<{ DicomAet: string; DicomPort: number }>("/system");
  assert.equal(system.DicomAet, "ORTHANCT");
  assert.equal(system.DicomPort, orthanc.dicomPort);

  const dir = await tmpDir("support");
  const w = await writeInstance(join(dir, "o.dcm"), { pixelSeed: 3, rows: 64, columns: 64 });
  const id = await orthanc.upload(w.path);
  const send = await runTool("storescu", ["-aec", orthanc.aet, "127.0.0.1", String(orthanc.dicomPort), w.path]);
  assert.equal(send.code, 0, send.stderr);
  const stats = await orthanc.restJson<{ CountInstances: number }>("/statistics");
  assert.equal(stats.CountInstances, 1);
  await orthanc.restJson("/modalities/sink/store", {
    method: "POST",
    body: JSON.stringify({ Resources: [id], Synchronous: true }),
  });
  const got = await receivedFiles(out);
  assert.equal(got.length, 1);
  assert.deepEqual(await readPixelData(got[0]!), await readPixelData(w.path));

  await orthanc.stop();
  await assert.rejects(fetch(`${orthanc.url}/system`));
  await scp.stop();
});

test("registerCleanup/runCleanups run newest first and can unregister", async () => {
  const order: number[] = [];
  registerCleanup(() => void order.push(1));
  registerCleanup(() => void order.push(2));
  const un = registerCleanup(() => void order.push(3));
  un();
  await runCleanups();
  assert.deepEqual(order, [2, 1]);
});
