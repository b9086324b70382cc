// The catalog: a SQLite index of stored objects (DESIGN.md section 7). The files are the truth; commits do not
// wait for fsync (WAL, synchronous=NORMAL) because start-up reconciles the catalog with the files.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import BetterSqlite3, { type Database, type Statement } from "better-sqlite3";
import type { DataSet } from "../dicom/dataset.js";
import { conduitError, errorMessage } from "../errors.js";
import { migrate } from "./schema.js";
import { Checkpointer, COMMITS_PER_CHECKPOINT } from "./workers.js";
import { attributesJson, fillLevel, INSTANCE_COLUMNS } from "./attributes.js";
import { insertSql, LevelWriter } from "./levels.js";

export interface InstanceRecord {
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  /** Relative to the storage root, "/"-separated. */
  path: string;
  size: number;
  /** ISO 8601 text. */
  receivedAt: string;
  sourceAE: string;
  dataset: DataSet;
}

/** An indexed instance as the catalog returns it: the record without its data set, plus its study and series. */
export interface StoredInstance extends Omit<InstanceRecord, "dataset"> {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  patientId: string;
}

export interface InsertResult {
  inserted: boolean;
  replaced: boolean;
}

export interface CatalogOptions {
  /** Checkpoint the WAL (fsyncs included) on a worker thread, not inside commits on the event loop (default true). */
  checkpointInWorker?: boolean;
}

export interface LastRun {
  /** When the previous (or current) run called markRunning; null if no run was ever recorded. */
  startedAt: string | null;
  cleanStop: boolean;
}

const IN = [...INSTANCE_COLUMNS.map((c) => c.keyword), "series_id", "transfer_syntax_uid", "path", "size", "received_at", "source_ae", "attrs"];

const SQL = {
  findInstance: "SELECT id, size, series_id AS parent FROM instances WHERE SOPInstanceUID = ?",
  insertInstance: insertSql("instances", IN),
  updateInstance: `UPDATE instances SET ${IN.map((c) => `${c} = @${c}`).join(", ")} WHERE id = @id`,
  getInstance: `SELECT i.SOPInstanceUID AS sopInstanceUid, i.SOPClassUID AS sopClassUid, i.transfer_syntax_uid AS transferSyntaxUid,
      i.path, i.size, i.received_at AS receivedAt, i.source_ae AS sourceAE, se.SeriesInstanceUID AS seriesInstanceUid,
      st.StudyInstanceUID AS studyInstanceUid, p.PatientID AS patientId
    FROM instances i JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id
    JOIN patients p ON p.id = st.patient_id WHERE i.SOPInstanceUID = ?`,
  deleteInstance: "DELETE FROM instances WHERE id = ?",
  pathsAfter: "SELECT id, path FROM instances WHERE id > ? ORDER BY id LIMIT ?",
  getMeta: "SELECT value FROM meta WHERE key = ?",
  setMeta: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
} as const;

type Statements = { -readonly [K in keyof typeof SQL]: Statement };

/** An instance row's id, size and series (parent). */
type InstanceRow = { id: number; size: number; parent: number };

const PATHS_PAGE = 2000;

export class Catalog {
  readonly db: Database;
  private readonly st: Statements;
  private total: number;
  private count: number;
  private readonly levels: LevelWriter;
  // Reused parameter object: the insert path allocates no per-call map.
  private readonly ip: Record<string, unknown> = {};
  private readonly insertTx: (rec: InstanceRecord) => InsertResult & { delta: number };
  private readonly deleteTx: (uid: string) => number | undefined;
  private checkpointer: Checkpointer | undefined;
  /** Commits left before the checkpointer worker starts (0: started, or not wanted). */
  private checkpointerIn = 0;

  private constructor(readonly file: string, options: CatalogOptions) {
    let db: Database | undefined;
    try {
      if (file !== ":memory:") mkdirSync(dirname(resolve(file)), { recursive: true });
      this.db = db = new BetterSqlite3(file);
      for (const p of ["journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON", "busy_timeout = 5000", "temp_store = MEMORY", "journal_size_limit = 67108864"]) {
        this.db.pragma(p);
      }
      migrate(this.db);
      const prepared: Partial<Statements> = {};
      for (const [name, sql] of Object.entries(SQL)) prepared[name as keyof Statements] = this.db.prepare(sql);
      this.st = prepared as Statements;
      this.levels = new LevelWriter(this.db);
      this.total = Number(this.meta("total_bytes") ?? 0);
      this.count = Number(this.meta("instance_count") ?? 0);
    } catch (err) {
      if (db?.open) db.close();
      throw conduitError("CATALOG_IO", `cannot open catalog ${file}: ${errorMessage(err)}`, { file }, err);
    }
    this.insertTx = this.db.transaction((rec: InstanceRecord) => this.insertRows(rec));
    this.deleteTx = this.db.transaction((uid: string) => this.deleteRows(uid));
    if (file !== ":memory:" && options.checkpointInWorker !== false) {
      // The worker (a V8 isolate, ~17 MB) starts when the first checkpoint is due, not for a catalog barely written.
      this.checkpointerIn = COMMITS_PER_CHECKPOINT;
      this.db.pragma("wal_autocheckpoint = 0");
    }
  }

  /** Opens (creating if needed) the catalog file and brings its schema up to date; ":memory:" for tests. */
  static open(file: string, options: CatalogOptions = {}): Catalog {
    return new Catalog(file, options);
  }

  private startCheckpointer(): void {
    try {
      this.checkpointer = new Checkpointer(this.file, 5000, () => {
        this.checkpointer = undefined;
        if (this.db.open) this.db.pragma("wal_autocheckpoint = 1000");
      });
    } catch {
      this.stopCheckpointer();
    }
  }

  private noteCommit(): void {
    if (this.checkpointerIn > 0 && --this.checkpointerIn === 0) this.startCheckpointer();
    if (!this.checkpointer?.noteCommit()) return;
    try {
      this.db.pragma("wal_checkpoint(PASSIVE)");
    } catch {
      // busy: the worker goes on; the limit is checked again later
    }
  }

  /** Back to SQLite's automatic checkpoints on this connection. */
  private stopCheckpointer(): void {
    this.checkpointerIn = 0;
    this.checkpointer?.stop();
    this.checkpointer = undefined;
    if (this.db.open) this.db.pragma("wal_autocheckpoint = 1000");
  }

  /** Indexes a stored object: upserts its patient, study and series, then inserts or replaces the instance row. */
  insertInstance(rec: InstanceRecord): InsertResult {
    let r: InsertResult & { delta: number };
    try {
      r = this.insertTx(rec);
    } catch (err) {
      this.levels.clearCache();
      throw conduitError("CATALOG_IO", `cannot index ${rec.sopInstanceUid}: ${errorMessage(err)}`, { sopInstanceUid: rec.sopInstanceUid, path: rec.path }, err);
    }
    this.total += r.delta;
    if (r.inserted) this.count++;
    this.noteCommit();
    return { inserted: r.inserted, replaced: r.replaced };
  }

  private insertRows(rec: InstanceRecord): InsertResult & { delta: number } {
    const { ip, st } = this;
    const seriesId = this.levels.write(rec.dataset.dict);
    fillLevel(ip, rec.dataset.dict, INSTANCE_COLUMNS);
    ip.SOPInstanceUID = rec.sopInstanceUid;
    ip.SOPClassUID = rec.sopClassUid;
    ip.series_id = seriesId;
    ip.transfer_syntax_uid = rec.transferSyntaxUid;
    ip.path = rec.path;
    ip.size = rec.size;
    ip.received_at = rec.receivedAt;
    ip.source_ae = rec.sourceAE;
    ip.attrs = attributesJson(rec.dataset);
    const old = st.findInstance.get(rec.sopInstanceUid) as InstanceRow | undefined;
    if (!old) {
      st.insertInstance.run(ip);
      return { inserted: true, replaced: false, delta: rec.size };
    }
    ip.id = old.id;
    st.updateInstance.run(ip);
    if (old.parent !== seriesId) this.levels.prune("series", old.parent);
    return { inserted: false, replaced: true, delta: rec.size - old.size };
  }

  private deleteRows(uid: string): number | undefined {
    const old = this.st.findInstance.get(uid) as InstanceRow | undefined;
    if (!old) return undefined;
    this.st.deleteInstance.run(old.id);
    this.levels.prune("series", old.parent);
    return old.size;
  }

  /** Removes an instance row and any series, study or patient left empty; false when it was not indexed. */
  deleteInstance(sopInstanceUid: string): boolean {
    let size: number | undefined;
    try {
      size = this.deleteTx(sopInstanceUid);
    } catch (err) {
      this.levels.clearCache();
      throw conduitError("CATALOG_IO", `cannot remove ${sopInstanceUid}: ${errorMessage(err)}`, { sopInstanceUid }, err);
    }
    if (size === undefined) return false;
    this.total -= size;
    this.count--;
    this.noteCommit();
    return true;
  }

  getInstance(sopInstanceUid: string): StoredInstance | undefined {
    // Columns are aliased to the fields; TEXT and INTEGER affinities give strings and a number.
    return this.guard("read", () => this.st.getInstance.get(sopInstanceUid)) as StoredInstance | undefined;
  }

  hasInstance(sopInstanceUid: string): boolean {
    return this.guard("read", () => this.st.findInstance.get(sopInstanceUid)) !== undefined;
  }

  /** Bytes of all indexed objects, kept by triggers in the meta table and mirrored here (no scan per call). */
  totalBytes(): number {
    return this.total;
  }

  instanceCount(): number {
    return this.count;
  }

  /** Every stored path, read in pages so the caller may write to the catalog between items. */
  *instancePaths(): Iterable<string> {
    let after = 0;
    for (;;) {
      const rows = this.guard("read", () => this.st.pathsAfter.all(after, PATHS_PAGE)) as { id: number; path: string }[];
      for (const r of rows) yield r.path;
      if (rows.length < PATHS_PAGE) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  /** Records that a run started now; until markCleanStop, a later start treats this run as unclean. */
  markRunning(): void {
    const write = this.db.transaction((started: string) => {
      this.st.setMeta.run("run_started_at", started);
      this.st.setMeta.run("clean_stop", "0");
    });
    this.guard("write", () => write(new Date().toISOString()));
  }

  /** Records a clean stop and folds the WAL into the main file. */
  markCleanStop(): void {
    this.stopCheckpointer();
    this.guard("write", () => {
      this.st.setMeta.run("clean_stop", "1");
      this.db.pragma("wal_checkpoint(TRUNCATE)");
    });
  }

  lastRun(): LastRun {
    const startedAt = this.meta("run_started_at");
    return { startedAt: startedAt === undefined ? null : String(startedAt), cleanStop: startedAt === undefined || this.meta("clean_stop") === "1" };
  }

  close(): void {
    if (!this.db.open) return;
    this.checkpointer?.stop();
    this.checkpointer = undefined;
    this.guard("close", () => {
      this.db.pragma("optimize");
      this.db.close();
    });
  }

  private meta(key: string): unknown {
    const row = this.st.getMeta.get(key) as { value: unknown } | undefined;
    return row?.value;
  }

  private guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw conduitError("CATALOG_IO", `catalog ${what} failed on ${this.file}: ${errorMessage(err)}`, { file: this.file }, err);
    }
  }
}
