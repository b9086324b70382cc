import { test, after } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { Catalog, MIGRATIONS, SCHEMA_VERSION, INSTANCE_COLUMNS, PATIENT_COLUMNS, SERIES_COLUMNS, STUDY_COLUMNS } from "../../src/catalog/index.js";
import { DataSet } from "../../src/dicom/dataset.js";
import { isConduitError } from "../../src/errors.js";
import { tmpDir, runCleanups } from "../support/tmp.js";
import { dataSet, record } from "./fixtures.js";

after(runCleanups);

function counts(c: Catalog): Record<string, number> {
  const n = (t: string) => (c.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
  return { patients: n("patients"), studies: n("studies"), series: n("series"), instances: n("instances") };
}

function sumBytes(c: Catalog): number {
  return (c.db.prepare("SELECT COALESCE(SUM(size), 0) AS s FROM instances").get() as { s: number }).s;
}

test("schema: created with every level key, migrations idempotent, reopen keeps the version", async () => {
  const file = join(await tmpDir("catalog"), "sub", "conduit.db");
  const c1 = Catalog.open(file);
  assert.equal(c1.db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
  assert.equal(c1.db.pragma("journal_mode", { simple: true }), "wal");
  assert.equal(c1.db.pragma("foreign_keys", { simple: true }), 1);
  const cols = (t: string) => new Set((c1.db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((r) => r.name));
  for (const [table, keys] of [["patients", PATIENT_COLUMNS], ["studies", STUDY_COLUMNS], ["series", SERIES_COLUMNS], ["instances", INSTANCE_COLUMNS]] as const) {
    const have = cols(table);
    for (const k of keys) assert.ok(have.has(k.keyword), `${table}.${k.keyword}`);
  }
  for (const c of ["transfer_syntax_uid", "path", "size", "received_at", "source_ae", "attrs"]) assert.ok(cols("instances").has(c));
  c1.insertInstance(record({ sop: "1.1" }, 10));
  // Each step is idempotent: running it again over an up-to-date schema changes nothing.
  for (const m of MIGRATIONS) c1.db.exec(m.sql);
  assert.equal(sumBytes(c1), 10);
  assert.equal(c1.totalBytes(), 10);
  c1.close();
  const c2 = Catalog.open(file);
  assert.equal(c2.db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
  assert.equal(c2.instanceCount(), 1);
  c2.db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  c2.close();
  assert.throws(() => Catalog.open(file), (e: unknown) => isConduitError(e, "CATALOG_IO") && /newer/.test((e as Error).message));
});

test("insert, get and delete prune empty series, study and patient", () => {
  const c = Catalog.open(":memory:");
  assert.deepEqual(c.insertInstance(record({ sop: "1.1", series: "S1" }, 100)), { inserted: true, replaced: false });
  c.insertInstance(record({ sop: "1.2", series: "S1" }, 200));
  c.insertInstance(record({ sop: "1.3", series: "S2" }, 300));
  c.insertInstance(record({ sop: "2.1", patientId: "PID2", study: "ST2", series: "S3" }, 400));
  assert.deepEqual(counts(c), { patients: 2, studies: 2, series: 3, instances: 4 });

  const got = c.getInstance("1.2");
  assert.ok(got);
  assert.equal(got.path, "PID1/1.2.3.1/S1/1.2.dcm");
  assert.equal(got.size, 200);
  assert.equal(got.seriesInstanceUid, "S1");
  assert.equal(got.studyInstanceUid, "1.2.3.1");
  assert.equal(got.patientId, "PID1");
  assert.equal(got.sopClassUid, "1.2.840.10008.5.1.4.1.1.2");
  assert.equal(got.transferSyntaxUid, "1.2.840.10008.1.2.1");
  assert.equal(got.sourceAE, "MODALITY1");
  assert.equal(c.getInstance("9.9"), undefined);
  assert.ok(c.hasInstance("1.3"));
  assert.ok(!c.hasInstance("9.9"));

  const series = c.db.prepare("SELECT Modality, SeriesNumber, StationName FROM series WHERE SeriesInstanceUID = 'S1'").get();
  assert.deepEqual(series, { Modality: "CT", SeriesNumber: 2, StationName: "CT01" });
  const inst = c.db.prepare("SELECT InstanceNumber, Rows, Columns, ContentTime FROM instances WHERE SOPInstanceUID = '1.1'").get();
  assert.deepEqual(inst, { InstanceNumber: 7, Rows: 512, Columns: 512, ContentTime: "101500.123" });

  assert.equal(c.deleteInstance("1.1"), true);
  assert.deepEqual(counts(c), { patients: 2, studies: 2, series: 3, instances: 3 });
  assert.equal(c.deleteInstance("1.2"), true);
  assert.deepEqual(counts(c), { patients: 2, studies: 2, series: 2, instances: 2 });
  assert.equal(c.deleteInstance("2.1"), true);
  assert.deepEqual(counts(c), { patients: 1, studies: 1, series: 1, instances: 1 });
  assert.equal(c.deleteInstance("2.1"), false);
  assert.equal(c.deleteInstance("1.3"), true);
  assert.deepEqual(counts(c), { patients: 0, studies: 0, series: 0, instances: 0 });
  assert.equal(c.instanceCount(), 0);
  c.close();
});

test("replace: same SOP Instance UID updates the row; newest object's attributes win, absent ones are kept", () => {
  const c = Catalog.open(":memory:");
  c.insertInstance(record({ sop: "1.1", studyDescription: "FIRST" }, 100));
  const r = c.insertInstance(record({ sop: "1.1", studyDescription: "SECOND" }, 150, { path: "new/place.dcm", sourceAE: "OTHER" }));
  assert.deepEqual(r, { inserted: false, replaced: true });
  assert.equal(c.instanceCount(), 1);
  const got = c.getInstance("1.1")!;
  assert.equal(got.path, "new/place.dcm");
  assert.equal(got.size, 150);
  assert.equal(got.sourceAE, "OTHER");
  const desc = () => (c.db.prepare("SELECT StudyDescription FROM studies").get() as { StudyDescription: string }).StudyDescription;
  assert.equal(desc(), "SECOND");
  c.insertInstance(record({ sop: "1.2", studyDescription: null }, 1));
  assert.equal(desc(), "SECOND");

  // Re-sent under another patient and series: the old, now empty, parents go.
  c.insertInstance(record({ sop: "1.2", patientId: "PID1" }, 1));
  c.insertInstance(record({ sop: "1.1", patientId: "PID9", study: "ST9", series: "SE9" }, 100));
  c.insertInstance(record({ sop: "1.2", patientId: "PID9", study: "ST9", series: "SE9" }, 100));
  assert.deepEqual(counts(c), { patients: 1, studies: 1, series: 1, instances: 2 });
  assert.equal(c.getInstance("1.1")!.patientId, "PID9");
  // A study re-sent under another patient moves, pruning the old patient.
  c.insertInstance(record({ sop: "1.1", patientId: "PID10", study: "ST9", series: "SE9" }, 100));
  c.insertInstance(record({ sop: "1.2", patientId: "PID10", study: "ST9", series: "SE9" }, 100));
  assert.deepEqual(counts(c), { patients: 1, studies: 1, series: 1, instances: 2 });
  c.close();
});

test("patient key: PatientID + IssuerOfPatientID; a missing PatientID is the empty key", () => {
  const c = Catalog.open(":memory:");
  c.insertInstance(record({ sop: "1", patientId: "P", issuer: "A", study: "S1", series: "SE1" }));
  c.insertInstance(record({ sop: "2", patientId: "P", issuer: "B", study: "S2", series: "SE2" }));
  c.insertInstance(record({ sop: "3", patientId: null, study: "S3", series: "SE3" }));
  assert.equal(counts(c).patients, 3);
  assert.equal(c.getInstance("3")!.patientId, "");
  c.close();
});

test("totalBytes and instanceCount follow insert, replace and delete, and survive reopen", async () => {
  const file = join(await tmpDir("catalog"), "conduit.db");
  let c = Catalog.open(file);
  c.insertInstance(record({ sop: "1" }, 1000));
  c.insertInstance(record({ sop: "2" }, 2000));
  assert.equal(c.totalBytes(), 3000);
  c.insertInstance(record({ sop: "2" }, 500));
  assert.equal(c.totalBytes(), 1500);
  assert.equal(c.instanceCount(), 2);
  c.deleteInstance("1");
  assert.equal(c.totalBytes(), 500);
  assert.equal(c.instanceCount(), 1);
  c.insertInstance(record({ sop: "3" }, 7));
  c.close();
  c = Catalog.open(file);
  assert.equal(c.totalBytes(), 507);
  assert.equal(c.instanceCount(), 2);
  assert.equal(c.totalBytes(), sumBytes(c));
  // A failed insert (NOT NULL path) leaves counters and rows untouched.
  const bad = { ...record({ sop: "4" }, 99), path: null as unknown as string };
  assert.throws(() => c.insertInstance(bad), (e: unknown) => isConduitError(e, "CATALOG_IO"));
  assert.equal(c.totalBytes(), 507);
  assert.equal(c.instanceCount(), 2);
  assert.equal(c.totalBytes(), sumBytes(c));
  c.close();
});

test("clean-stop marker: fresh, running, stopped, across reopen", async () => {
  const file = join(await tmpDir("catalog"), "conduit.db");
  let c = Catalog.open(file);
  assert.deepEqual(c.lastRun(), { startedAt: null, cleanStop: true });
  c.markRunning();
  const started = c.lastRun().startedAt;
  assert.ok(started && !Number.isNaN(Date.parse(started)));
  c.close(); // a crash: no markCleanStop
  c = Catalog.open(file);
  assert.deepEqual(c.lastRun(), { startedAt: started, cleanStop: false });
  c.markRunning();
  c.insertInstance(record({ sop: "1" }));
  c.markCleanStop();
  assert.equal(statSync(`${file}-wal`).size, 0, "WAL folded into the database at a clean stop");
  c.close();
  c = Catalog.open(file);
  assert.equal(c.lastRun().cleanStop, true);
  assert.ok(c.lastRun().startedAt);
  c.close();
});

test("attrs: DICOM JSON of the header without big binaries or dcmjs internals", () => {
  const c = Catalog.open(":memory:");
  const ds = dataSet({ sop: "1" });
  ds.dict["00291010"] = { vr: "OB", Value: [new Uint8Array(2000).buffer] };
  ds.dict["00291011"] = { vr: "UN", Value: [new ArrayBuffer(5000)] };
  ds.dict["00291012"] = { vr: "OW", Value: [new Uint8Array([1, 2, 3, 4]).buffer] };
  ds.dict["00880200"] = { vr: "SQ", Value: [{ "00280010": { vr: "US", Value: [64] }, "7FE00010": { vr: "OW", Value: [new ArrayBuffer(64 * 64 * 2)] } }] };
  ds.dict["00181030"] = { vr: "LO", Value: ["PROTO"], _rawValue: ["PROTO "] };
  c.insertInstance({ ...record({ sop: "1" }), dataset: ds });
  const attrs = JSON.parse((c.db.prepare("SELECT attrs FROM instances").get() as { attrs: string }).attrs) as Record<string, Record<string, unknown>>;
  assert.equal(attrs["00291010"], undefined);
  assert.equal(attrs["00291011"], undefined);
  assert.deepEqual(attrs["00291012"], { vr: "OW", InlineBinary: Buffer.from([1, 2, 3, 4]).toString("base64") });
  assert.deepEqual(attrs["00880200"], { vr: "SQ", Value: [{ "00280010": { vr: "US", Value: [64] } }] });
  assert.deepEqual(attrs["00181030"], { vr: "LO", Value: ["PROTO"] });
  assert.deepEqual(attrs["00100010"], { vr: "PN", Value: [{ Alphabetic: "DOE^JOHN" }] });
  assert.deepEqual(attrs["00200032"], { vr: "DS", Value: [-125, -125, 30] });
  assert.ok(!JSON.stringify(attrs).includes("_rawValue"));
  // Reparsed, it is again a DataSet that answers any key.
  assert.equal(new DataSet(attrs as unknown as ConstructorParameters<typeof DataSet>[0]).string("StationName"), "CT01");
  c.close();
});

test("person names with ^ and non-ASCII characters round trip", () => {
  const c = Catalog.open(":memory:");
  const names = ["MÜLLER^JÜRGEN^^DR.", "山田^太郎", "O'BRIEN^SEÁN"];
  names.forEach((name, i) => c.insertInstance(record({ sop: `1.${i}`, patientId: `P${i}`, patientName: name, study: `ST${i}`, series: `SE${i}` })));
  for (const [i, name] of names.entries()) {
    const row = c.db.prepare("SELECT PatientName FROM patients WHERE PatientID = ?").get(`P${i}`) as { PatientName: string };
    assert.equal(row.PatientName, name);
    const attrs = JSON.parse((c.db.prepare("SELECT attrs FROM instances WHERE SOPInstanceUID = ?").get(`1.${i}`) as { attrs: string }).attrs);
    assert.deepEqual(attrs["00100010"], { vr: "PN", Value: [{ Alphabetic: name }] });
  }
  assert.equal(c.db.prepare("SELECT COUNT(*) AS n FROM patients WHERE PatientName LIKE ?").pluck().get("山田^%"), 1);
  c.close();
});

test("instancePaths pages through every row and tolerates writes between items", () => {
  const c = Catalog.open(":memory:");
  for (let i = 0; i < 4500; i++) c.insertInstance(record({ sop: `1.${i}`, series: `S${i % 7}` }, 1));
  const seen: string[] = [];
  for (const p of c.instancePaths()) {
    seen.push(p);
    if (seen.length === 10) c.deleteInstance("1.4000");
  }
  assert.equal(seen.length, 4499);
  assert.equal(new Set(seen).size, 4499);
  c.close();
});

test("throughput: insertInstance with about 60-attribute headers (printed, not asserted)", async () => {
  const file = join(await tmpDir("catalog"), "conduit.db");
  const c = Catalog.open(file);
  const n = 20000;
  // 10 patients, 2 studies each, 5 series per study, 200 instances per series.
  const recs = Array.from({ length: n }, (_, i) => {
    const series = Math.floor(i / 200);
    const study = Math.floor(series / 5);
    return record({ sop: `1.2.826.0.1.${i}`, patientId: `P${Math.floor(study / 2)}`, study: `1.2.3.${study}`, series: `1.2.3.${study}.${series}` }, 500_000);
  });
  const warm = Math.min(1000, n);
  for (let i = 0; i < warm; i++) c.insertInstance(recs[i]!);
  const t0 = process.hrtime.bigint();
  for (let i = warm; i < n; i++) c.insertInstance(recs[i]!);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rate = Math.round(((n - warm) / ms) * 1000);
  const each = ((ms * 1000) / (n - warm)).toFixed(1);
  const wal = (statSync(`${file}-wal`).size / 1e6).toFixed(1);
  console.log(`catalog insertInstance: ${n - warm} in ${ms.toFixed(0)} ms = ${rate}/s (${each} µs each, ${Object.keys(recs[0]!.dataset.dict).length} attributes; WAL ${wal} MB)`);
  assert.equal(c.instanceCount(), n);
  assert.equal(c.totalBytes(), n * 500_000);
  c.close();
});
