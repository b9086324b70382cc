// study-stable and run end to end: a CT study quiet for its period is forwarded whole and handed to a declared
// command (its folder as one argument, no shell); a late object fires it again; hostile values never reach argv.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeStudy, writeInstance } from "../support/dicom-files.js";
import { runTool, startStorescp } from "../support/dcmtk.js";
import { startConduit } from "../support/conduit.js";
import { until } from "../support/wait.js";
import { runCleanups, tmpDir } from "../support/tmp.js";

after(runCleanups);

test("a stable CT study is forwarded whole and given to a command once; a late object fires it again", async () => {
  const rxDir = await tmpDir("rx");
  const rx = await startStorescp({ dir: rxDir, aet: "CAD", args: ["-v"] });
  const work = await tmpDir("cmd");
  const script = join(work, "record.mjs");
  // The command appends each argv it receives, one JSON line per run.
  await writeFile(script, `import { appendFileSync } from "node:fs"; appendFileSync(${JSON.stringify(join(work, "calls.txt"))}, JSON.stringify(process.argv.slice(2)) + "\\n");`);
  const rules = await tmpDir("rules");
  await writeFile(join(rules, "10.rules"), `on study-stable after 1s when Modality == "CT" { forward to CAD run record }\non stored when PatientID == "P;rm -rf" { run record }`);
  const c = await startConduit({
    rules: { dir: rules },
    watch: false,
    peers: { CAD: { host: "127.0.0.1", port: rx.port } },
    commands: { record: { argv: [process.execPath, script, "{path}"], timeout: 30 } },
  });
  const src = await tmpDir("src");
  const study = await makeStudy(join(src, "s"), { count: 3, modality: "CT", patientId: "P;rm -rf" });
  const mr = await makeStudy(join(src, "mr"), { count: 2, modality: "MR" });
  void mr;
  const r = await runTool("storescu", ["-aec", "CONDUIT", "+sd", "+r", "127.0.0.1", String(c.port), src]);
  assert.equal(r.code, 0, r.stderr);
  const done = () => c.server.outbox.store.list({ state: "done" }).length;
  await until("the CT study forwarded", () => done() === 3);
  const calls = async () => (await readFile(join(work, "calls.txt"), "utf8").catch(() => "")).trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as string[]);
  await until("the study command ran", async () => (await calls()).some((a) => !a[0]!.endsWith(".dcm")));
  const studyCall = (await calls()).find((a) => !a[0]!.endsWith(".dcm"))!;
  assert.equal(studyCall.length, 1, "one argument: the study folder");
  assert.ok(studyCall[0]!.includes(study.studyInstanceUid), studyCall[0]);
  // on stored: each CT object's file path, the hostile PatientID only as part of one sanitised argument.
  const fileCalls = (await calls()).filter((a) => a[0]!.endsWith(".dcm"));
  assert.equal(fileCalls.length, 3);
  for (const a of fileCalls) assert.equal(a.length, 1);
  assert.equal((rx.output().match(/Received Store Request/g) ?? []).length, 3, "the MR study is not forwarded");
  // A late object of the same study: after another quiet second the whole study (now 4) goes again.
  const late = await writeInstance(join(src, "late.dcm"), { modality: "CT", patientId: "P;rm -rf", studyInstanceUid: study.studyInstanceUid, seriesInstanceUid: study.seriesInstanceUid, instanceNumber: 9 });
  assert.equal((await runTool("storescu", ["-aec", "CONDUIT", "127.0.0.1", String(c.port), late.path])).code, 0);
  await until("the study forwarded again", () => done() === 7);
  await until("the study command ran again", async () => (await calls()).filter((a) => !a[0]!.endsWith(".dcm")).length === 2);
});
