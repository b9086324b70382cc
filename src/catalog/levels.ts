// Patient, study and series rows of the catalog (the PS3.4 C.6.1.1 information model levels): upsert from the
// newest object, and pruning of rows left without children.
import type { Database, Statement } from "better-sqlite3";
import type { DcmjsDict } from "dcmjs";
import { fillLevel, PATIENT_COLUMNS, SERIES_COLUMNS, STUDY_COLUMNS } from "./attributes.js";

type Params = Record<string, unknown>;
export type Level = "patient" | "study" | "series";

const keywords = (cols: readonly { keyword: string }[]): string[] => cols.map((c) => c.keyword);
export const insertSql = (table: string, cols: readonly string[]): string =>
  `INSERT INTO ${table} (${cols.join(", ")}) VALUES (${cols.map((c) => `@${c}`).join(", ")})`;
/** Attributes from the newest object win; one the newest object lacks keeps its earlier value. */
const updateSql = (table: string, parent: string, cols: readonly string[]): string =>
  `UPDATE ${table} SET ${parent} = @${parent}, ${cols.map((c) => `${c} = COALESCE(@${c}, ${c})`).join(", ")} WHERE id = @id`;

const P = keywords(PATIENT_COLUMNS);
const ST = keywords(STUDY_COLUMNS);
const SE = keywords(SERIES_COLUMNS);

const SQL = {
  patient: `${insertSql("patients", P)} ON CONFLICT (PatientID, IssuerOfPatientID) DO UPDATE SET
    ${P.slice(2).map((c) => `${c} = COALESCE(excluded.${c}, ${c})`).join(", ")} RETURNING id`,
  findStudy: "SELECT id, patient_id AS parent FROM studies WHERE StudyInstanceUID = ?",
  insertStudy: insertSql("studies", ["patient_id", ...ST]),
  updateStudy: updateSql("studies", "patient_id", ST.slice(1)),
  findSeries: "SELECT id, study_id AS parent FROM series WHERE SeriesInstanceUID = ?",
  insertSeries: insertSql("series", ["study_id", ...SE]),
  updateSeries: updateSql("series", "study_id", SE.slice(1)),
  pruneSeries: "DELETE FROM series WHERE id = @id AND NOT EXISTS (SELECT 1 FROM instances WHERE series_id = @id) RETURNING study_id AS parent",
  pruneStudy: "DELETE FROM studies WHERE id = @id AND NOT EXISTS (SELECT 1 FROM series WHERE study_id = @id) RETURNING patient_id AS parent",
  prunePatient: "DELETE FROM patients WHERE id = @id AND NOT EXISTS (SELECT 1 FROM studies WHERE patient_id = @id)",
} as const;

interface Row {
  id: number;
  parent: number;
}

const CACHE_LIMIT = 2048;

/**
 * Parent rows already written with exactly these values: the next object of the same series (the common case)
 * skips the patient/study/series writes, which keeps each commit to a few pages. Sound because the Catalog is the
 * only writer; it is cleared whenever a parent row is deleted or a transaction fails.
 */
class LevelCache {
  private readonly rows = new Map<string, { id: number; signature: string }>();

  get(key: string, signature: string): number | undefined {
    const hit = this.rows.get(key);
    return hit && hit.signature === signature ? hit.id : undefined;
  }

  set(key: string, signature: string, id: number): void {
    this.rows.delete(key);
    this.rows.set(key, { id, signature });
    if (this.rows.size > CACHE_LIMIT) this.rows.delete(this.rows.keys().next().value!);
  }

  clear(): void {
    this.rows.clear();
  }
}

function signature(params: Params, cols: readonly string[], parent: number): string {
  let sig = String(parent);
  for (const c of cols) sig += "\u0000" + String(params[c] ?? "\u0001");
  return sig;
}

/** Writes the level rows; its methods run inside the caller's transaction. */
export class LevelWriter {
  private readonly st: { -readonly [K in keyof typeof SQL]: Statement };
  private readonly cache = { patient: new LevelCache(), study: new LevelCache(), series: new LevelCache() };
  // Reused parameter objects: the insert path allocates no per-call maps.
  private readonly pp: Params = {};
  private readonly sp: Params = {};
  private readonly sep: Params = {};

  constructor(db: Database) {
    const st: Partial<Record<keyof typeof SQL, Statement>> = {};
    for (const [name, sql] of Object.entries(SQL)) st[name as keyof typeof SQL] = db.prepare(sql);
    this.st = st as { [K in keyof typeof SQL]: Statement };
  }

  /** Creates or updates the patient, study and series of a data set; returns the series row id. */
  write(dict: DcmjsDict): number {
    const { pp, sp, sep, st } = this;
    // Patient key: PatientID + IssuerOfPatientID (PS3.4 C.6.1.1.2); an absent PatientID is the empty key.
    fillLevel(pp, dict, PATIENT_COLUMNS);
    pp.PatientID ??= "";
    pp.IssuerOfPatientID ??= "";
    const patientKey = `${String(pp.PatientID)}\u0000${String(pp.IssuerOfPatientID)}`;
    const patientSig = signature(pp, P, 0);
    let patientId = this.cache.patient.get(patientKey, patientSig);
    if (patientId === undefined) {
      patientId = (st.patient.get(pp) as { id: number }).id;
      this.cache.patient.set(patientKey, patientSig, patientId);
    }
    fillLevel(sp, dict, STUDY_COLUMNS);
    sp.StudyInstanceUID ??= "";
    sp.patient_id = patientId;
    const studyId = this.upsert("study", sp, ST, String(sp.StudyInstanceUID), patientId);
    fillLevel(sep, dict, SERIES_COLUMNS);
    sep.SeriesInstanceUID ??= "";
    sep.study_id = studyId;
    return this.upsert("series", sep, SE, String(sep.SeriesInstanceUID), studyId);
  }

  /** Inserts or updates a study/series row by its UID; a row that moved to another parent prunes the old one. */
  private upsert(level: "study" | "series", params: Params, cols: readonly string[], uid: string, parent: number): number {
    const sig = signature(params, cols, parent);
    const cached = this.cache[level].get(uid, sig);
    if (cached !== undefined) return cached;
    const st = this.st;
    const [find, insert, update] =
      level === "study" ? [st.findStudy, st.insertStudy, st.updateStudy] : [st.findSeries, st.insertSeries, st.updateSeries];
    const row = find.get(uid) as Row | undefined;
    let id: number;
    if (!row) {
      id = Number(insert.run(params).lastInsertRowid);
    } else {
      id = row.id;
      params.id = id;
      update.run(params);
      if (row.parent !== parent) this.prune(level === "study" ? "patient" : "study", row.parent);
    }
    this.cache[level].set(uid, sig, id);
    return id;
  }

  /** Deletes the row at `level` if nothing refers to it any more, then its parent likewise. */
  prune(level: Level, id: number): void {
    if (level === "patient") {
      if (this.st.prunePatient.run({ id }).changes > 0) this.clearCache();
      return;
    }
    const gone = (level === "series" ? this.st.pruneSeries : this.st.pruneStudy).get({ id }) as { parent: number } | undefined;
    if (!gone) return;
    this.clearCache();
    this.prune(level === "series" ? "study" : "patient", gone.parent);
  }

  clearCache(): void {
    this.cache.patient.clear();
    this.cache.study.clear();
    this.cache.series.clear();
  }
}
