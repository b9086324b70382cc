// Plugin backends: the shipped worklist example answers Modality Worklist queries from its CSV table (matching
// keys, wildcards and date ranges; the table re-read when edited); bad answers and failures are data.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import { DataSet } from "../../src/dicom/dataset.js";
import { listPluginFiles, PluginSet, PLUGIN_FAILED_STATUS, recordToDataSet } from "../../src/plugins/index.js";
import { runCleanups, tmpDirSync } from "../support/tmp.js";
import { captureLog, ctx, dataSet, loadPlugins, ORIGIN, run } from "./fixtures.js";

after(runCleanups);

/** A worklist identifier: top-level keys plus one Scheduled Procedure Step item (null = return key). */
function mwlQuery(top: Record<string, string>, step: Record<string, string>): DataSet {
  const ds = dataSet(top);
  for (const kw of ["PatientName", "PatientID", "AccessionNumber"]) if (!(kw in top)) ds.set(kw, kw === "PatientName" ? "PN" : "LO", []);
  const item = dataSet(step);
  for (const kw of ["Modality", "ScheduledStationAETitle", "ScheduledProcedureStepStartDate"]) if (!(kw in step)) item.set(kw, kw === "Modality" ? "CS" : kw.endsWith("Date") ? "DA" : "AE", []);
  ds.set("ScheduledProcedureStepSequence", "SQ", [item.dict]);
  return ds;
}

async function worklistExample() {
  const dir = tmpDirSync("mwl");
  cpSync("examples/worklist-plugin", dir, { recursive: true });
  const config = loadConfig(join(dir, "conduit.json"));
  const r = await PluginSet.load(listPluginFiles(config.plugins.dir), { config, log: captureLog().logger });
  assert.ok(r.plugins, JSON.stringify(r.diagnostics));
  return { plugins: r.plugins, csv: join(config.plugins.dir, "worklist.csv") };
}

function accessions(result: ReturnType<PluginSet["query"]>): string[] {
  assert.ok("datasets" in result, JSON.stringify(result));
  return result.datasets.map((d) => String(d.AccessionNumber));
}

test("the worklist example routes worklist queries to itself and answers them from its CSV table", async () => {
  const { plugins, csv } = await worklistExample();
  const ev = run(plugins, ctx("worklist", mwlQuery({}, { Modality: "CT" })));
  assert.deepEqual(ev.decision.answerFrom, { kind: "plugin", name: "worklist" });
  assert.equal(plugins.hasBackend("worklist", "worklist"), true);
  assert.equal(plugins.hasBackend("worklist", "find"), false);
  const q = (top: Record<string, string>, step: Record<string, string>) => accessions(plugins.query("worklist", "worklist", mwlQuery(top, step), ORIGIN));
  assert.deepEqual(q({}, { Modality: "CT", ScheduledProcedureStepStartDate: "20240611" }), ["ACC1001", "ACC1004"]);
  assert.deepEqual(q({}, { ScheduledStationAETitle: "CT1" }), ["ACC1001", "ACC1003"]);
  assert.deepEqual(q({}, { ScheduledProcedureStepStartDate: "20240612-" }), ["ACC1003"]);
  assert.deepEqual(q({ PatientName: "M*LLER*" }, {}), ["ACC1004"]);
  assert.deepEqual(q({ PatientID: "PID002" }, {}), ["ACC1002"]);
  assert.deepEqual(q({ PatientID: "NOBODY" }, {}), []);
  // A full answer: converted to a data set, the sequence and the Latin-1 name intact.
  const r = plugins.query("worklist", "worklist", mwlQuery({ AccessionNumber: "ACC1004" }, {}), ORIGIN);
  assert.ok("datasets" in r);
  const ds = recordToDataSet(r.datasets[0]!);
  assert.equal(ds.string("PatientName"), "Müller^Jörg");
  assert.equal(ds.element("PatientName")?.vr, "PN");
  assert.equal(ds.items("ScheduledProcedureStepSequence")[0]!.string("ScheduledStationAETitle"), "CT2");
  assert.equal(ds.items("ScheduledProcedureStepSequence")[0]!.element("ScheduledProcedureStepStartDate")?.vr, "DA");
  // The table is edited while running: the next query sees the new row.
  writeFileSync(csv, `${readFileSync(csv, "utf8")}ACC1005,PID005,New^Patient,20000101,O,1.2.3.5,RP1005,CT Knee,CT,CT1,20240611,1600,SPS1005,Knee CT\n`);
  utimesSync(csv, new Date(), new Date(Date.now() + 5000));
  assert.deepEqual(q({}, { ScheduledStationAETitle: "CT1", ScheduledProcedureStepStartDate: "20240611" }), ["ACC1001", "ACC1005"]);
  plugins.dispose();
});

test("query errors and invalid answers are data; a failing backend counts towards maxFailures", async () => {
  const { plugins, log } = await loadPlugins({
    "bad.js": `conduit.answer("find", (input) => {
      const mode = input.query.PatientID;
      if (mode === "THROW") throw new Error("database offline");
      if (mode === "WRONG") return [{ NotAKeyword: "x" }];
      if (mode === "OBJECT") return { PatientID: "1" };
      if (mode === "SEQ") return [{ ReferencedStudySequence: "flat" }];
      return [{ PatientID: "P1", PatientName: "A^B", StudyDate: "20240101", ModalitiesInStudy: ["CT", "SR"] }];
    });`,
  });
  const ask = (id: string, name = "bad", kind: "find" | "worklist" = "find") => plugins.query(name, kind, dataSet({ PatientID: id }), ORIGIN);
  assert.deepEqual(ask("P"), { datasets: [{ PatientID: "P1", PatientName: "A^B", StudyDate: "20240101", ModalitiesInStudy: ["CT", "SR"] }] });
  assert.deepEqual(ask("P", "missing"), { error: 'no plugin named "missing"' });
  assert.deepEqual(ask("P", "bad", "worklist"), { error: 'plugin "bad" does not answer worklist queries' });
  const thrown = ask("THROW");
  assert.ok("error" in thrown && thrown.failure);
  assert.equal(thrown.failure.reason, "threw");
  assert.match(thrown.error, /database offline/);
  assert.deepEqual(thrown.failure.response, { kind: "status", status: PLUGIN_FAILED_STATUS });
  for (const [mode, text] of [["WRONG", /"NotAKeyword" is not a DICOM keyword/], ["OBJECT", /an answer is an array/], ["SEQ", /a sequence is a list of objects/]] as const) {
    const r = ask(mode);
    assert.ok("error" in r, mode);
    assert.equal(r.failure?.reason, "invalid-answer");
    assert.match(r.error, text);
  }
  assert.equal(plugins.status()[0]!.failures, 4);
  assert.ok(log.lines().some((l) => l.plugin === "bad" && l.event === "find" && l.reason === "invalid-answer"));
  assert.ok("datasets" in ask("P"));
  assert.equal(plugins.status()[0]!.failures, 0);
  plugins.dispose();
});
