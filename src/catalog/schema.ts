// Catalog schema and its migrations (PRAGMA user_version): patient/study/series/instance levels with the
// attributes Query/Retrieve matches on (PS3.4 C.6.1.1, C.6.2.1), storage facts per instance, and a meta table.
import type { Database } from "better-sqlite3";
import { conduitError, errorMessage } from "../errors.js";

export interface Migration {
  /** user_version after this step. */
  readonly version: number;
  readonly description: string;
  /** Idempotent SQL (IF NOT EXISTS, ON CONFLICT): re-running a step that already ran changes nothing. */
  readonly sql: string;
}

/** Frozen once released: a schema change is a new step appended here, never an edit of an old one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "patient/study/series/instance levels, meta, counters",
    sql: `
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;

      CREATE TABLE IF NOT EXISTS patients (
        id INTEGER PRIMARY KEY,
        PatientID TEXT NOT NULL,
        IssuerOfPatientID TEXT NOT NULL DEFAULT '',
        PatientName TEXT,
        PatientBirthDate TEXT,
        PatientBirthTime TEXT,
        PatientSex TEXT,
        OtherPatientIDs TEXT,
        UNIQUE (PatientID, IssuerOfPatientID)
      );

      CREATE TABLE IF NOT EXISTS studies (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients (id),
        StudyInstanceUID TEXT NOT NULL UNIQUE,
        StudyDate TEXT,
        StudyTime TEXT,
        AccessionNumber TEXT,
        StudyID TEXT,
        StudyDescription TEXT,
        ReferringPhysicianName TEXT,
        PatientAge TEXT,
        PatientSize TEXT,
        PatientWeight TEXT,
        InstitutionName TEXT
      );

      CREATE TABLE IF NOT EXISTS series (
        id INTEGER PRIMARY KEY,
        study_id INTEGER NOT NULL REFERENCES studies (id),
        SeriesInstanceUID TEXT NOT NULL UNIQUE,
        Modality TEXT,
        SeriesNumber INTEGER,
        SeriesDescription TEXT,
        SeriesDate TEXT,
        SeriesTime TEXT,
        BodyPartExamined TEXT,
        PerformedProcedureStepStartDate TEXT,
        PerformedProcedureStepStartTime TEXT,
        StationName TEXT
      );

      CREATE TABLE IF NOT EXISTS instances (
        id INTEGER PRIMARY KEY,
        series_id INTEGER NOT NULL REFERENCES series (id),
        SOPInstanceUID TEXT NOT NULL UNIQUE,
        SOPClassUID TEXT NOT NULL,
        InstanceNumber INTEGER,
        ContentDate TEXT,
        ContentTime TEXT,
        NumberOfFrames INTEGER,
        Rows INTEGER,
        Columns INTEGER,
        transfer_syntax_uid TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        received_at TEXT NOT NULL,
        source_ae TEXT NOT NULL DEFAULT '',
        attrs TEXT NOT NULL DEFAULT '{}'
      );

      CREATE INDEX IF NOT EXISTS patients_name ON patients (PatientName);
      CREATE INDEX IF NOT EXISTS studies_patient ON studies (patient_id);
      CREATE INDEX IF NOT EXISTS studies_date ON studies (StudyDate);
      CREATE INDEX IF NOT EXISTS studies_accession ON studies (AccessionNumber);
      CREATE INDEX IF NOT EXISTS series_study ON series (study_id);
      CREATE INDEX IF NOT EXISTS series_modality ON series (Modality);
      CREATE INDEX IF NOT EXISTS instances_series ON instances (series_id);

      INSERT INTO meta (key, value) SELECT 'total_bytes', COALESCE(SUM(size), 0) FROM instances WHERE true
        ON CONFLICT (key) DO NOTHING;
      INSERT INTO meta (key, value) SELECT 'instance_count', COUNT(*) FROM instances WHERE true
        ON CONFLICT (key) DO NOTHING;

      CREATE TRIGGER IF NOT EXISTS instances_counted_insert AFTER INSERT ON instances BEGIN
        UPDATE meta SET value = value + NEW.size WHERE key = 'total_bytes';
        UPDATE meta SET value = value + 1 WHERE key = 'instance_count';
      END;
      CREATE TRIGGER IF NOT EXISTS instances_counted_delete AFTER DELETE ON instances BEGIN
        UPDATE meta SET value = value - OLD.size WHERE key = 'total_bytes';
        UPDATE meta SET value = value - 1 WHERE key = 'instance_count';
      END;
      CREATE TRIGGER IF NOT EXISTS instances_counted_update AFTER UPDATE OF size ON instances BEGIN
        UPDATE meta SET value = value + NEW.size - OLD.size WHERE key = 'total_bytes';
      END;
    `,
  },
  {
    version: 2,
    description: "forward jobs (outbox), consistent new UIDs, study-stable timers, plugin key-value store",
    sql: `
      CREATE TABLE IF NOT EXISTS forward_jobs (
        id INTEGER PRIMARY KEY,
        destination TEXT NOT NULL,
        sop_instance_uid TEXT NOT NULL,
        sop_class_uid TEXT NOT NULL,
        transfer_syntax_uid TEXT NOT NULL,
        path TEXT NOT NULL,
        spooled INTEGER NOT NULL DEFAULT 0,
        origin TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'active', 'done', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS forward_jobs_due ON forward_jobs (state, destination, next_attempt_at);
      CREATE INDEX IF NOT EXISTS forward_jobs_path ON forward_jobs (path);

      CREATE TABLE IF NOT EXISTS uid_map (
        original TEXT PRIMARY KEY,
        replacement TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE IF NOT EXISTS study_stable (
        study_uid TEXT NOT NULL,
        rule_key TEXT NOT NULL,
        due_at INTEGER NOT NULL,
        PRIMARY KEY (study_uid, rule_key)
      ) WITHOUT ROWID;

      CREATE TABLE IF NOT EXISTS plugin_kv (
        plugin TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (plugin, key)
      ) WITHOUT ROWID;

      CREATE INDEX IF NOT EXISTS instances_path ON instances (path);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Applies the pending steps in order, each with its user_version bump in one write transaction. */
export function migrate(db: Database): number {
  const version = (): number => db.pragma("user_version", { simple: true }) as number;
  const found = version();
  if (found > SCHEMA_VERSION) {
    throw conduitError("CATALOG_IO", `catalog schema version ${found} is newer than this Conduit understands (${SCHEMA_VERSION})`, {
      found,
      expected: SCHEMA_VERSION,
    });
  }
  for (const step of MIGRATIONS) {
    if (step.version <= found) continue;
    const apply = db.transaction(() => {
      // Re-read under the write lock: another process may have migrated meanwhile.
      if (version() >= step.version) return;
      db.exec(step.sql);
      db.pragma(`user_version = ${step.version}`);
    });
    try {
      apply.immediate();
    } catch (err) {
      throw conduitError("CATALOG_IO", `catalog migration ${step.version} (${step.description}) failed: ${errorMessage(err)}`, {
        version: step.version,
      }, err);
    }
  }
  return version();
}
