// Catalog schema and its migrations (PRAGMA user_version): patient/study/series/instance levels with the
// attributes Query/Retrieve matches on (PS3.4 C.6.1.1, C.6.2.1), plus storage facts per instance.
import type { Database } from "better-sqlite3";

/** Each step runs once, in order, inside a transaction; user_version records how many have run. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE patients (
    id INTEGER PRIMARY KEY,
    PatientID TEXT NOT NULL,
    IssuerOfPatientID TEXT NOT NULL DEFAULT '',
    PatientName TEXT, PatientBirthDate TEXT, PatientBirthTime TEXT, PatientSex TEXT, OtherPatientIDs TEXT,
    UNIQUE (PatientID, IssuerOfPatientID)
  );
  CREATE TABLE studies (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    StudyInstanceUID TEXT NOT NULL UNIQUE,
    StudyDate TEXT, StudyTime TEXT, AccessionNumber TEXT, StudyID TEXT, StudyDescription TEXT,
    ReferringPhysicianName TEXT, PatientAge TEXT, PatientSize TEXT, PatientWeight TEXT, InstitutionName TEXT,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES studies(id),
    SeriesInstanceUID TEXT NOT NULL UNIQUE,
    Modality TEXT, SeriesNumber TEXT, SeriesDescription TEXT, SeriesDate TEXT, SeriesTime TEXT, BodyPartExamined TEXT,
    PerformedProcedureStepStartDate TEXT, PerformedProcedureStepStartTime TEXT, StationName TEXT
  );
  CREATE TABLE instances (
    id INTEGER PRIMARY KEY,
    series_id INTEGER NOT NULL REFERENCES series(id),
    SOPInstanceUID TEXT NOT NULL UNIQUE,
    SOPClassUID TEXT NOT NULL,
    InstanceNumber TEXT, ContentDate TEXT, ContentTime TEXT, NumberOfFrames TEXT, Rows INTEGER, Columns INTEGER,
    transfer_syntax_uid TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    source_ae TEXT NOT NULL DEFAULT '',
    attrs TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX patients_name ON patients (PatientName);
  CREATE INDEX studies_patient ON studies (patient_id);
  CREATE INDEX studies_date ON studies (StudyDate);
  CREATE INDEX studies_accession ON studies (AccessionNumber);
  CREATE INDEX series_study ON series (study_id);
  CREATE INDEX series_modality ON series (Modality);
  CREATE INDEX instances_series ON instances (series_id);
  CREATE INDEX instances_received ON instances (received_at);
  `,
];

export function migrate(db: Database): number {
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return MIGRATIONS.length;
}
