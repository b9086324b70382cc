// The catalog: a SQLite index of stored objects (DESIGN.md section 7). The files are the truth; commits do not
// wait for fsync (WAL, synchronous=NORMAL) because start-up reconciles the catalog with the files.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3, { type Database, type Statement } from "better-sqlite3";
import type { DataSet } from "../dicom/dataset.js";
import { conduitError, errorMessage } from "../errors.js";
import { migrate } from "./schema.js";
import { levelValues, cleanAttributes, PATIENT_KEYS, STUDY_KEYS, SERIES_KEYS, INSTANCE_KEYS } from "./attributes.js";

export interface InstanceRecord {
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  /** Relative to the storage root, "/"-separated. */
  path: string;
  size: number;
  receivedAt: string;
  sourceAE: string;
  dataset: DataSet;
}

export interface StoredInstance {
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  path: string;
  size: number;
  receivedAt: string;
  sourceAE: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  patientId: string;
}

function upsert(table: string, conflict: string, keys: readonly string[], extra: string[] = []): string {
  const cols = [...extra, ...keys];
  const updates = cols.filter((c) => !conflict.split(",").map((s) => s.trim()).includes(c)).map((c) => `${c} = excluded.${c}`);
  return `INSERT INTO ${table} (${cols.join(", ")}) VALUES (${cols.map((c) => `@${c}`).join(", ")})
    ON CONFLICT (${conflict}) DO UPDATE SET ${updates.join(", ")} RETURNING id`;
}

export class Catalog {
  readonly db: Database;
  private total = 0;
  private count = 0;
  private readonly st: Record<string, Statement>;
  private readonly insertTx: (rec: InstanceRecord) => { inserted: boolean; replaced: boolean };

  private constructor(readonly file: string) {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    try {
      this.db = new BetterSqlite3(file);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      this.db.pragma("foreign_keys = ON");
      this.db.pragma("busy_timeout = 5000");
      migrate(this.db);
    } catch (err) {
      throw conduitError("CATALOG_IO", `cannot open catalog ${file}: ${errorMessage(err)}`, {}, err);
    }
    const db = this.db;
    this.st = {
      patient: db.prepare(upsert("patients", "PatientID, IssuerOfPatientID", PATIENT_KEYS)),
      study: db.prepare(upsert("studies", "StudyInstanceUID", STUDY_KEYS, ["patient_id", "updated_at"])),
      series: db.prepare(upsert("series", "SeriesInstanceUID", SERIES_KEYS, ["study_id"])),
      findInstance: db.prepare("SELECT id, size, series_id FROM instances WHERE SOPInstanceUID = ?"),
      insertInstance: db.prepare(
        `INSERT INTO instances (series_id, ${INSTANCE_KEYS.join(", ")}, transfer_syntax_uid, path, size, received_at, source_ae, attrs)
         VALUES (@series_id, ${INSTANCE_KEYS.map((k) => `@${k}`).join(", ")}, @transfer_syntax_uid, @path, @size, @received_at, @source_ae, @attrs)`,
      ),
      updateInstance: db.prepare(
        `UPDATE instances SET series_id = @series_id, ${INSTANCE_KEYS.map((k) => `${k} = @${k}`).join(", ")},
         transfer_syntax_uid = @transfer_syntax_uid, path = @path, size = @size, received_at = @received_at,
         source_ae = @source_ae, attrs = @attrs WHERE id = @id`,
      ),
      getInstance: db.prepare(
        `SELECT i.SOPInstanceUID, i.SOPClassUID, i.transfer_syntax_uid, i.path, i.size, i.received_at, i.source_ae,
                se.SeriesInstanceUID, st.StudyInstanceUID, p.PatientID
           FROM instances i JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id
           JOIN patients p ON p.id = st.patient_id WHERE i.SOPInstanceUID = ?`,
      ),
      deleteInstance: db.prepare("DELETE FROM instances WHERE id = ?"),
      pruneSeries: db.prepare("DELETE FROM series WHERE id = ? AND NOT EXISTS (SELECT 1 FROM instances WHERE series_id = ?) RETURNING study_id"),
      pruneStudy: db.prepare("DELETE FROM studies WHERE id = ? AND NOT EXISTS (SELECT 1 FROM series WHERE study_id = ?) RETURNING patient_id"),
      prunePatient: db.prepare("DELETE FROM patients WHERE id = ? AND NOT EXISTS (SELECT 1 FROM studies WHERE patient_id = ?)"),
      getMeta: db.prepare("SELECT value FROM meta WHERE key = ?"),
      setMeta: db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
      paths: db.prepare("SELECT path FROM instances"),
    };
    const totals = db.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM instances").get() as { n: number; bytes: number };
    this.count = totals.n;
    this.total = totals.bytes;
    this.insertTx = db.transaction((rec: InstanceRecord) => this.insertUnsafe(rec));
  }

  static open(file: string): Catalog {
    return new Catalog(file);
  }

  /** Indexes a stored object, creating or updating its patient, study and series; replaces a previous row. */
  insertInstance(rec: InstanceRecord): { inserted: boolean; replaced: boolean } {
    try {
      return this.insertTx(rec);
    } catch (err) {
      throw conduitError("CATALOG_IO", `cannot index ${rec.sopInstanceUid}: ${errorMessage(err)}`, {}, err);
    }
  }

  private insertUnsafe(rec: InstanceRecord): { inserted: boolean; replaced: boolean } {
    const ds = rec.dataset;
    const now = rec.receivedAt;
    const p = this.st.patient!.get(levelValues(ds, PATIENT_KEYS, { PatientID: "", IssuerOfPatientID: "" })) as { id: number };
    const s = this.st.study!.get({ ...levelValues(ds, STUDY_KEYS), patient_id: p.id, updated_at: now }) as { id: number };
    const se = this.st.series!.get({ ...levelValues(ds, SERIES_KEYS), study_id: s.id }) as { id: number };
    const row = {
      ...levelValues(ds, INSTANCE_KEYS),
      SOPInstanceUID: rec.sopInstanceUid,
      SOPClassUID: rec.sopClassUid,
      series_id: se.id,
      transfer_syntax_uid: rec.transferSyntaxUid,
      path: rec.path,
      size: rec.size,
      received_at: now,
      source_ae: rec.sourceAE,
      attrs: JSON.stringify(cleanAttributes(ds)),
    };
    const old = this.st.findInstance!.get(rec.sopInstanceUid) as { id: number; size: number; series_id: number } | undefined;
    if (old) {
      this.st.updateInstance!.run({ ...row, id: old.id });
      this.total += rec.size - old.size;
      if (old.series_id !== se.id) this.prune(old.series_id);
      return { inserted: false, replaced: true };
    }
    this.st.insertInstance!.run(row);
    this.total += rec.size;
    this.count++;
    return { inserted: true, replaced: false };
  }

  getInstance(sopInstanceUid: string): StoredInstance | undefined {
    const r = this.st.getInstance!.get(sopInstanceUid) as Record<string, string | number> | undefined;
    if (!r) return undefined;
    return {
      sopInstanceUid: String(r.SOPInstanceUID),
      sopClassUid: String(r.SOPClassUID),
      transferSyntaxUid: String(r.transfer_syntax_uid),
      path: String(r.path),
      size: Number(r.size),
      receivedAt: String(r.received_at),
      sourceAE: String(r.source_ae),
      studyInstanceUid: String(r.StudyInstanceUID),
      seriesInstanceUid: String(r.SeriesInstanceUID),
      patientId: String(r.PatientID),
    };
  }

  hasInstance(sopInstanceUid: string): boolean {
    return this.st.findInstance!.get(sopInstanceUid) !== undefined;
  }

  /** Removes an instance row and any series, study or patient left empty. */
  deleteInstance(sopInstanceUid: string): boolean {
    return this.db.transaction(() => {
      const old = this.st.findInstance!.get(sopInstanceUid) as { id: number; size: number; series_id: number } | undefined;
      if (!old) return false;
      this.st.deleteInstance!.run(old.id);
      this.total -= old.size;
      this.count--;
      this.prune(old.series_id);
      return true;
    })();
  }

  private prune(seriesId: number): void {
    const s = this.st.pruneSeries!.get(seriesId, seriesId) as { study_id: number } | undefined;
    if (!s) return;
    const st = this.st.pruneStudy!.get(s.study_id, s.study_id) as { patient_id: number } | undefined;
    if (st) this.st.prunePatient!.run(st.patient_id, st.patient_id);
  }

  totalBytes(): number {
    return this.total;
  }

  instanceCount(): number {
    return this.count;
  }

  *instancePaths(): Iterable<string> {
    for (const r of this.st.paths!.iterate() as Iterable<{ path: string }>) yield r.path;
  }

  /** Records that a run started; until markCleanStop, a later start treats the run as unclean. */
  markRunning(): void {
    this.st.setMeta!.run("run_started_at", new Date().toISOString());
    this.st.setMeta!.run("clean_stop", "0");
  }

  markCleanStop(): void {
    this.st.setMeta!.run("clean_stop", "1");
    this.db.pragma("wal_checkpoint(TRUNCATE)");
  }

  lastRun(): { startedAt: string | null; cleanStop: boolean } {
    const started = this.st.getMeta!.get("run_started_at") as { value: string } | undefined;
    const clean = this.st.getMeta!.get("clean_stop") as { value: string } | undefined;
    return { startedAt: started?.value ?? null, cleanStop: clean === undefined || clean.value === "1" };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
