// Plugins end to end with DCMTK: a plugin that routes and coerces (checked on what storescp received), every
// sandbox limit hit for real while storescu sends to the same server, and a plugin reloaded under load.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeStudy, readPixelData, writeInstance } from "../support/dicom-files.js";
import { runTool, startStorescp } from "../support/dcmtk.js";
import { startConduit, storedFiles } from "../support/conduit.js";
import { until } from "../support/wait.js";
import { runCleanups, tmpDir } from "../support/tmp.js";
import { conduitCli } from "../support/cli.js";

after(runCleanups);

async function pluginDir(files: Record<string, string>): Promise<string> {
  const dir = await tmpDir("plugins");
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

test("a plugin routes and coerces: storescp receives the coerced object, Conduit keeps it under the plugin's path", async () => {
  const rxDir = await tmpDir("rx");
  const rx = await startStorescp({ dir: rxDir, aet: "PACS" });
  const plugins = await pluginDir({
    "route.js": `
conduit.on("store", { modality: ["CT"] }, (input) => ({
  set: { InstitutionName: "Plugin Hospital", StationName: String(input.attributes.StationName ?? "none").toUpperCase() },
  remove: ["PatientAddress"],
  storeAt: ["by-plugin", String(input.attributes.PatientID), input.sopInstanceUID + ".dcm"],
  forward: "PACS",
}));
conduit.on("store", { modality: ["MR"] }, () => ({ reject: { status: 0xa700, message: "no MR here" } }));
`,
  });
  const c = await startConduit({ rules: { dir: await tmpDir("norules") }, plugins: { dir: plugins }, watch: false, peers: { PACS: { host: "127.0.0.1", port: rx.port } } });
  const src = await tmpDir("src");
  const ct = await writeInstance(join(src, "ct.dcm"), { modality: "CT", patientId: "P9", extra: [{ tag: 0x00081010, vr: "SH", value: "room 1" }, { tag: 0x00101040, vr: "LO", value: "Street" }] });
  const mr = await writeInstance(join(src, "mr.dcm"), { modality: "MR" });
  const r1 = await runTool("storescu", ["-v", "-aec", "CONDUIT", "127.0.0.1", String(c.port), ct.path]);
  assert.equal(r1.code, 0, r1.stderr);
  assert.match(r1.stdout + r1.stderr, /Coercion ?Of ?Data ?Elements/i);
  const r2 = await runTool("storescu", ["-v", "-aec", "CONDUIT", "127.0.0.1", String(c.port), mr.path]);
  assert.match(r2.stdout + r2.stderr, /0xa700|Out ?Of ?Resources|Refused/i);
  assert.deepEqual(await storedFiles(c.root), [`by-plugin/P9/${ct.sopInstanceUid}.dcm`]);
  await until("forwarded", () => c.server.outbox.store.list({ state: "done" }).length === 1);
  const got = (await readdir(rxDir)).filter((f) => !f.startsWith("."));
  assert.equal(got.length, 1);
  const dump = await runTool("dcmdump", ["-q", join(rxDir, got[0]!)]);
  assert.match(dump.stdout, /\(0008,0080\) LO \[Plugin Hospital\]/);
  assert.match(dump.stdout, /\(0008,1010\) SH \[ROOM 1\]/);
  assert.doesNotMatch(dump.stdout, /\(0010,1040\)/);
  assert.deepEqual(await readPixelData(join(rxDir, got[0]!)), await readPixelData(ct.path));
});

test("every limit hit for real while storescu sends from another AE: the bad events fail with 0xC0F1, the others are stored", async () => {
  const plugins = await pluginDir({
    "hostile.js": `
conduit.on("store", { callingAE: "LOOP" }, () => { for (;;) {} });
conduit.on("store", { callingAE: "BOMB" }, () => { const a = []; for (;;) a.push("x".repeat(1 << 20) + a.length); });
conduit.on("store", { callingAE: "DEEP" }, () => { const f = (n) => f(n + 1) + 1; return f(0); });
conduit.on("store", { callingAE: "THROW" }, () => { throw new Error("plugin bug"); });
conduit.on("store", { callingAE: "BAD" }, () => ({ forward: "NOT_A_PEER", frobnicate: true }));
conduit.on("store", { callingAE: "GOOD" }, (input) => ({ storeAt: ["good", input.sopInstanceUID + ".dcm"] }));
`,
  });
  const c = await startConduit({ rules: { dir: await tmpDir("norules") }, plugins: { dir: plugins, timeoutMs: 200, maxFailures: 100 }, watch: false });
  const src = await tmpDir("src");
  const study = await makeStudy(join(src, "good"), { count: 30, pixelBytes: 64 * 1024 });
  const one = await writeInstance(join(src, "one.dcm"), {});
  const good = runTool("storescu", ["-aet", "GOOD", "-aec", "CONDUIT", "+sd", "127.0.0.1", String(c.port), join(src, "good")]);
  const bad = await Promise.all(["LOOP", "BOMB", "DEEP", "THROW", "BAD"].map((ae) => runTool("storescu", ["-v", "-aet", ae, "-aec", "CONDUIT", "127.0.0.1", String(c.port), one.path])));
  for (const [i, r] of bad.entries()) assert.match(r.stdout + r.stderr, /0xc0f1|Cannot ?Understand/i, `${["LOOP", "BOMB", "DEEP", "THROW", "BAD"][i]}: ${r.stdout}${r.stderr}`);
  const g = await good;
  assert.equal(g.code, 0, g.stderr);
  const files = await storedFiles(c.root);
  assert.equal(files.length, 30, files.join("\n"));
  assert.ok(files.every((f) => f.startsWith("good/")));
  for (const inst of study.instances) assert.ok(files.includes(`good/${inst.sopInstanceUid}.dcm`));
  // The plugin is still alive after each failure: one more GOOD object is placed by it.
  const again = await runTool("storescu", ["-aet", "GOOD", "-aec", "CONDUIT", "127.0.0.1", String(c.port), one.path]);
  assert.equal(again.code, 0, again.stderr);
  assert.ok((await storedFiles(c.root)).includes(`good/${one.sopInstanceUid}.dcm`));
});

test("a plugin that keeps failing is disabled after maxFailures; the server carries on without it", async () => {
  const plugins = await pluginDir({ "flaky.js": `conduit.on("store", () => { throw new Error("always"); });` });
  const c = await startConduit({ rules: { dir: await tmpDir("norules") }, plugins: { dir: plugins, maxFailures: 2 }, watch: false });
  const src = await tmpDir("src");
  const files = await Promise.all([1, 2, 3].map((i) => writeInstance(join(src, `${i}.dcm`), {})));
  const results = [];
  for (const f of files) results.push(await runTool("storescu", ["-v", "-aec", "CONDUIT", "127.0.0.1", String(c.port), f.path]));
  assert.match(results[0]!.stdout + results[0]!.stderr, /0xc0f1|Cannot ?Understand/i);
  assert.match(results[1]!.stdout + results[1]!.stderr, /0xc0f1|Cannot ?Understand/i);
  assert.equal(results[2]!.code, 0, "after two failures the plugin is disabled and the object is stored by default");
  assert.equal((await storedFiles(c.root)).length, 1);
  // conduit check says so (it reads what the server recorded in the catalog).
  const cfg = join(await tmpDir("cfg"), "conduit.json");
  await writeFile(cfg, JSON.stringify({ storage: { root: c.root }, rules: { dir: await tmpDir("norules2") }, plugins: { dir: plugins } }));
  const check = await conduitCli(["check", "--config", cfg]);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stderr, /flaky\.js:1:1: warning: the server disabled this plugin after repeated failures \(last: .*always/);
});

test("a plugin reloaded under load: no association fails, objects after the swap follow the new plugin", async () => {
  const dir = await pluginDir({ "place.js": `conduit.on("store", (i) => ({ storeAt: ["v1", i.sopInstanceUID + ".dcm"] }));` });
  const c = await startConduit({ rules: { dir: await tmpDir("norules") }, plugins: { dir }, watch: true });
  const gen0 = c.server.generation.id;
  const src = await tmpDir("src");
  await makeStudy(join(src, "a"), { count: 60, pixelBytes: 32 * 1024 });
  await makeStudy(join(src, "b"), { count: 60, pixelBytes: 32 * 1024 });
  const last = await writeInstance(join(src, "last.dcm"), {});
  const sending = Promise.all(["a", "b"].map((d) => runTool("storescu", ["-aec", "CONDUIT", "+sd", "127.0.0.1", String(c.port), join(src, d)])));
  // A broken edit first (syntax error): refused, the running plugin stays.
  await writeFile(join(dir, "place.js"), `conduit.on("store", (i) => ({ storeAt: ["v2", i.sopInstanceUID + ".dcm"] })`);
  assert.equal(await c.server.reload(), false);
  assert.equal(c.server.generation.id, gen0);
  // Then a good one, saved by rename.
  await mkdir(join(dir, "tmp"), { recursive: true });
  await writeFile(join(dir, "tmp", "place.js"), `conduit.on("store", (i) => ({ storeAt: ["v2", i.sopInstanceUID + ".dcm"] }));`);
  await rename(join(dir, "tmp", "place.js"), join(dir, "place.js"));
  await until("the new plugin swapped in", () => c.server.generation.id > gen0);
  for (const r of await sending) assert.equal(r.code, 0, r.stderr);
  const after1 = await runTool("storescu", ["-aec", "CONDUIT", "127.0.0.1", String(c.port), last.path]);
  assert.equal(after1.code, 0, after1.stderr);
  const files = await storedFiles(c.root);
  assert.equal(files.length, 121);
  assert.ok(files.every((f) => f.startsWith("v1/") || f.startsWith("v2/")));
  assert.ok(files.includes(`v2/${last.sopInstanceUid}.dcm`));
});
