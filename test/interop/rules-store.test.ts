// Store rules end to end with DCMTK: coercion (checked with dcmdump, answered 0xB000), template layouts, hostile
// values reaching a template, association rules, a runaway regex, bad edits and hot reload under load.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { makeStudy, readPixelData, writeInstance } from "../support/dicom-files.js";
import { runTool } from "../support/dcmtk.js";
import { startConduit, storedFiles } from "../support/conduit.js";
import { runCleanups, tmpDir } from "../support/tmp.js";

after(runCleanups);

async function rulesDir(files: Record<string, string>): Promise<string> {
  const dir = await tmpDir("rules");
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const storescu = (port: number, ...args: string[]) => runTool("storescu", ["-v", "-aec", "CONDUIT", "-aet", "CT1", ...args.slice(0, -1), "127.0.0.1", String(port), args[args.length - 1]!]);

test("store rules coerce tags (0xB000, dcmdump shows the new values), lay out folders by template, keep pixel data", async () => {
  const rules = await rulesDir({
    "10-coerce.rules": `
on store when CallingAE == "CT1" {
  set InstitutionName = "General Hospital"
  set StationName = "{StationName|upper}-{CalledAE}"
  remove PatientAddress
  replace AccessionNumber /^GH-/ with ""
}`,
    "20-layout.rules": `on store { store at "{PatientID}/{StudyDate|date:YYYY-MM-DD}_{StudyID|default:NOID}/{Modality}_{SeriesNumber|pad:3}/{InstanceNumber|pad:5}.dcm" }`,
  });
  const c = await startConduit({ rules: { dir: rules }, watch: false });
  const src = await tmpDir("src");
  const inst = await writeInstance(join(src, "a.dcm"), {
    patientId: "P7",
    studyDate: "20240315",
    accessionNumber: "GH-1234",
    studyId: "",
    seriesNumber: 4,
    instanceNumber: 12,
    modality: "CT",
    extra: [
      { tag: 0x00081010, vr: "SH", value: "ct room 2" },
      { tag: 0x00101040, vr: "LO", value: "1 Main Street" },
    ],
  });
  const r = await storescu(c.port, inst.path);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout + r.stderr, /Coercion ?Of ?Data ?Elements|0xb000/i, "storescu must see the 0xB000 warning");
  const files = await storedFiles(c.root);
  assert.deepEqual(files, ["P7/2024-03-15_NOID/CT_004/00012.dcm"]);
  const stored = join(c.root, files[0]!);
  const dump = await runTool("dcmdump", ["-q", stored]);
  assert.equal(dump.code, 0, dump.stderr);
  assert.equal(dump.stderr, "");
  assert.match(dump.stdout, /\(0008,0080\) LO \[General Hospital\]/);
  assert.match(dump.stdout, /\(0008,1010\) SH \[CT ROOM 2-CONDUIT\]/);
  assert.match(dump.stdout, /\(0008,0050\) SH \[1234\]/);
  assert.doesNotMatch(dump.stdout, /\(0010,1040\)/);
  assert.deepEqual(await readPixelData(stored), await readPixelData(inst.path));
  // The catalog indexes the coerced object.
  const row = c.server.catalog.getInstance(inst.sopInstanceUid);
  assert.equal(row?.path, files[0]);
});

test("a store rule rejects with its status and nothing is kept; other callers are stored", async () => {
  const rules = await rulesDir({ "10.rules": `on store when CallingAE == "CT1" and Modality == "MR" { reject 0xA700 "MR not here" }` });
  const c = await startConduit({ rules: { dir: rules }, watch: false });
  const src = await tmpDir("src");
  const mr = await writeInstance(join(src, "mr.dcm"), { modality: "MR" });
  const ct = await writeInstance(join(src, "ct.dcm"), { modality: "CT" });
  const r1 = await storescu(c.port, mr.path);
  assert.match(r1.stdout + r1.stderr, /0xa700|Out of Resources|Refused/i);
  const r2 = await storescu(c.port, ct.path);
  assert.equal(r2.code, 0, r2.stderr);
  const files = await storedFiles(c.root);
  assert.equal(files.length, 1);
  assert.ok(files[0]!.endsWith(`${ct.sopInstanceUid}.dcm`));
});

test("hostile values reaching a path template stay inside the root, and non-ASCII names are decoded per charset", async () => {
  const rules = await rulesDir({ "10.rules": `on store { store at "{PatientID}/{PatientName}/{StudyDescription}/{SOPInstanceUID}.dcm" }` });
  const c = await startConduit({ rules: { dir: rules }, watch: false });
  const src = await tmpDir("src");
  const cases = [
    { patientId: "../../../etc", patientName: "a/b\\c", studyDescription: ".." },
    { patientId: "x\u0000y", patientName: "CON", studyDescription: "/abs/olute" },
    { patientId: "P".repeat(64), patientName: "Z".repeat(10_000), studyDescription: "D".repeat(64) },
    { patientId: "L1", patientName: "Müller^Jürgen", studyDescription: "Thorax", specificCharacterSet: "ISO_IR 100" },
    { patientId: "U1", patientName: "山田^太郎", studyDescription: "Ωmega", specificCharacterSet: "ISO_IR 192" },
  ];
  let i = 0;
  for (const opts of cases) await writeInstance(join(src, `h${i++}.dcm`), opts);
  const r = await runTool("storescu", ["-aec", "CONDUIT", "+sd", "127.0.0.1", String(c.port), src]);
  assert.equal(r.code, 0, r.stderr);
  const files = await storedFiles(c.root);
  assert.equal(files.length, cases.length, files.join("\n"));
  for (const f of files) {
    assert.ok(resolve(c.root, f).startsWith(resolve(c.root) + "/"), f);
    for (const part of f.split("/")) {
      assert.ok(part !== ".." && part !== "." && part !== "", `${f}: bad component`);
      assert.doesNotMatch(part, /[\u0000-\u001f\\]/, f);
      assert.ok(Buffer.byteLength(part) <= 255, `${f}: component too long`);
    }
  }
  assert.ok(files.some((f) => f.startsWith("L1/Müller^Jürgen/Thorax/")), files.join("\n"));
  assert.ok(files.some((f) => f.startsWith("U1/山田^太郎/Ωmega/")), files.join("\n"));
  assert.ok(!files.some((f) => f.startsWith("etc") || f.includes("/etc/")), files.join("\n"));
});

test("a regex that would backtrack for ever is guarded: the store is answered and the rule still decides", async () => {
  const rules = await rulesDir({ "10.rules": `on store when PatientName matches /^(a+)+$/ { store at "evil/{SOPInstanceUID}.dcm" }\non store when PatientID matches /^(x|xx)+y$/ { store at "evil2/{SOPInstanceUID}.dcm" }` });
  const c = await startConduit({ rules: { dir: rules }, watch: false });
  const src = await tmpDir("src");
  // Classic catastrophic inputs for a backtracking engine: long runs then a mismatch.
  await writeInstance(join(src, "1.dcm"), { patientName: `${"a".repeat(60)}!`, patientId: "x".repeat(60) });
  await writeInstance(join(src, "2.dcm"), { patientName: "a".repeat(60), patientId: "P2" });
  await writeInstance(join(src, "3.dcm"), { patientName: "a".repeat(60), patientId: "xxxy" });
  const r = await runTool("storescu", ["-aec", "CONDUIT", "+sd", "127.0.0.1", String(c.port), src]);
  assert.equal(r.code, 0, r.stderr);
  const files = await storedFiles(c.root);
  assert.equal(files.length, 3);
  assert.equal(files.filter((f) => f.startsWith("evil/")).length, 1, files.join("\n"));
  // Both rules match the third object: the later assignment wins.
  assert.equal(files.filter((f) => f.startsWith("evil2/")).length, 1, files.join("\n"));
  assert.equal(files.filter((f) => f.startsWith("x".repeat(60))).length, 1, files.join("\n"));
});

test("associate rules reject unknown calling AEs with the PS3.8 reason and accept known ones", async () => {
  const rules = await rulesDir({ "10.rules": `on associate when CallingAE not in ("CT1", "MR1") { reject "calling-ae-not-recognized" }` });
  const c = await startConduit({ rules: { dir: rules }, watch: false });
  const bad = await runTool("echoscu", ["-v", "-aet", "INTRUDER", "-aec", "CONDUIT", "127.0.0.1", String(c.port)]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stdout + bad.stderr, /Calling AE Title Not Recognized/i);
  const good = await runTool("echoscu", ["-aet", "MR1", "-aec", "CONDUIT", "127.0.0.1", String(c.port)]);
  assert.equal(good.code, 0, good.stderr);
});

test("accept only sop-classes narrows what an association accepts", async () => {
  const rules = await rulesDir({ "10.rules": `on associate when CallingAE == "CT1" { accept only sop-classes ("MRImageStorage") }` });
  const c = await startConduit({ rules: { dir: rules }, watch: false });
  const src = await tmpDir("src");
  const ct = await writeInstance(join(src, "ct.dcm"), { modality: "CT" });
  const r = await storescu(c.port, ct.path);
  assert.notEqual(r.code, 0, "a CT object must find no accepted context");
  assert.deepEqual(await storedFiles(c.root), []);
});

test("a rule file with syntax errors keeps the running rules; a fixed file is swapped in; hot reload under load loses nothing", async () => {
  const dir = await rulesDir({ "10-layout.rules": `on store { store at "old/{SOPInstanceUID}.dcm" }` });
  const c = await startConduit({ rules: { dir }, watch: true });
  const gen0 = c.server.generation.id;
  const src = await tmpDir("src");
  await makeStudy(join(src, "a"), { count: 60, pixelBytes: 32 * 1024 });
  await makeStudy(join(src, "b"), { count: 60, pixelBytes: 32 * 1024 });
  const last = await writeInstance(join(src, "last.dcm"), {});
  // Load: several storescu runs while the rules change underneath.
  const sending = Promise.all([
    runTool("storescu", ["-aec", "CONDUIT", "+sd", "127.0.0.1", String(c.port), join(src, "a")]),
    runTool("storescu", ["-aec", "CONDUIT", "+sd", "127.0.0.1", String(c.port), join(src, "b")]),
  ]);
  // A broken edit: refused, generation unchanged.
  await writeFile(join(dir, "10-layout.rules"), `on store { store at "new/{SOPInstanceUID}.dcm" `);
  assert.equal(await c.server.reload(), false);
  assert.equal(c.server.generation.id, gen0);
  // Save by rename, as editors do: write a temp file then rename over the rule file.
  await writeFile(join(dir, ".10-layout.rules.swp"), `on store { store at "new/{SOPInstanceUID}.dcm" }`);
  await (await import("node:fs/promises")).rename(join(dir, ".10-layout.rules.swp"), join(dir, "10-layout.rules"));
  for (let i = 0; i < 200 && c.server.generation.id === gen0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(c.server.generation.id > gen0, "the watcher must swap in the fixed rules");
  const results = await sending;
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const after1 = await runTool("storescu", ["-aec", "CONDUIT", "127.0.0.1", String(c.port), last.path]);
  assert.equal(after1.code, 0, after1.stderr);
  const files = await storedFiles(c.root);
  assert.equal(files.length, 121, "every object of the load and the last one is stored");
  assert.ok(files.every((f) => f.startsWith("old/") || f.startsWith("new/")), files.join("\n"));
  assert.ok(files.includes(`new/${last.sopInstanceUid}.dcm`), "objects after the swap follow the new rules");
});

test("new uids: objects of one study get the same new study UID, consistently across associations", async () => {
  const rules = await rulesDir({ "10.rules": `on store { new uids store at "{StudyInstanceUID}/{SOPInstanceUID}.dcm" }` });
  const c = await startConduit({ rules: { dir: rules }, watch: false });
  const src = await tmpDir("src");
  const study = await makeStudy(src, { count: 3 });
  for (const p of study.paths) {
    const r = await runTool("storescu", ["-aec", "CONDUIT", "127.0.0.1", String(c.port), p]);
    assert.equal(r.code, 0, r.stderr);
  }
  const files = await storedFiles(c.root);
  assert.equal(files.length, 3);
  const studies = new Set(files.map((f) => f.split("/")[0]));
  assert.equal(studies.size, 1);
  assert.notEqual([...studies][0], study.studyInstanceUid);
  for (const inst of study.instances) assert.ok(!files.some((f) => f.includes(inst.sopInstanceUid)));
  const dump = await runTool("dcmdump", ["-q", join(c.root, files[0]!)]);
  assert.match(dump.stdout, new RegExp(`\\(0020,000d\\) UI \\[${[...studies][0]!.replace(/\./g, "\\.")}\\]`));
  const meta = await readFile(join(c.root, files[0]!));
  assert.ok(meta.includes(Buffer.from(files[0]!.split("/")[1]!.replace(/\.dcm$/, ""))), "meta header carries the new SOP instance UID");
});
