// Worker thread of the catalog: a "reader" runs read-only SQL on its own connection (WAL lets it read beside the
// writer); the "checkpointer" folds the WAL into the database so the writer's commits never wait for an fsync.
import { parentPort, workerData } from "node:worker_threads";
import BetterSqlite3, { type Database, type Statement } from "better-sqlite3";

/** Start-up data of a catalog worker. */
export interface CatalogWorkerData {
  role: "reader" | "checkpointer";
  file: string;
  busyTimeoutMs: number;
  /** Int32Array over this. Reader: [credit, cancel]. Checkpointer: [busy, stop, WAL frames after the last run]. */
  control: SharedArrayBuffer;
  /** Checkpointer: also checkpoint this often when not asked (ms). */
  intervalMs?: number;
}

/** Main thread to reader: one job at a time per worker. Checkpointer: { op: "checkpoint" }. */
export type WorkerRequest =
  | { id: number; op: "query"; sql: string; params: unknown[] }
  | { id: number; op: "iterate"; sql: string; params: unknown[]; batchSize: number }
  | { id: 0; op: "checkpoint" };

/** Worker to main thread: "ready" once at start (id 0), then rows (the last one done) or an error per job. */
export type WorkerResponse =
  | { id: number; kind: "ready" }
  | { id: number; kind: "rows"; rows: unknown[]; done: boolean }
  | { id: number; kind: "error"; message: string };

const CREDIT = 0;
const CANCEL = 1;

function reader(db: Database, data: CatalogWorkerData, post: (msg: WorkerResponse) => void): (req: WorkerRequest) => void {
  // control[0]: batches the main thread still accepts (credit); control[1]: 1 = stop the running job.
  const control = new Int32Array(data.control);
  const cache = new Map<string, Statement>();

  const statement = (sql: string): Statement => {
    let stmt = cache.get(sql);
    if (stmt) {
      cache.delete(sql);
    } else {
      stmt = db.prepare(sql);
      if (!stmt.readonly) throw new Error("only read-only statements run on a catalog reader");
      if (!stmt.reader) throw new Error("the statement returns no rows");
      if (cache.size >= 64) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, stmt);
    return stmt;
  };

  /** Blocks until the main thread has room for another batch; false when the job was cancelled. */
  const awaitCredit = (): boolean => {
    for (;;) {
      if (Atomics.load(control, CANCEL) !== 0) return false;
      if (Atomics.load(control, CREDIT) > 0) {
        Atomics.sub(control, CREDIT, 1);
        return true;
      }
      Atomics.wait(control, CREDIT, 0, 1000);
    }
  };

  return (req) => {
    if (req.op === "checkpoint") return;
    const stmt = statement(req.sql);
    if (req.op === "query") {
      post({ id: req.id, kind: "rows", rows: stmt.all(...req.params), done: true });
      return;
    }
    const size = Math.max(1, Math.trunc(req.batchSize));
    let batch: unknown[] = [];
    for (const row of stmt.iterate(...req.params)) {
      batch.push(row);
      if (batch.length < size) continue;
      if (!awaitCredit()) break; // leaving the loop returns the iterator, which resets the statement
      post({ id: req.id, kind: "rows", rows: batch, done: false });
      batch = [];
    }
    post({ id: req.id, kind: "rows", rows: Atomics.load(control, CANCEL) !== 0 ? [] : batch, done: true });
  };
}

function checkpointer(db: Database, data: CatalogWorkerData): (req: WorkerRequest) => void {
  const control = new Int32Array(data.control);
  const [BUSY, STOP, FRAMES] = [0, 1, 2];
  db.pragma("wal_autocheckpoint = 0");
  db.pragma("journal_size_limit = 67108864");
  // PASSIVE never waits for the writer or readers: it copies what it can and leaves the rest for the next round.
  const checkpoint = (): void => {
    // Busy first, then the stop check: the main thread sets stop, then waits while busy (no lost wake-up).
    Atomics.store(control, BUSY, 1);
    try {
      if (Atomics.load(control, STOP) !== 0) return;
      const [r] = db.pragma("wal_checkpoint(PASSIVE)") as { busy: number; log: number; checkpointed: number }[];
      if (r) Atomics.store(control, FRAMES, Math.max(0, r.log));
    } catch {
      // busy or interrupted: the next round retries
    } finally {
      Atomics.store(control, BUSY, 0);
      Atomics.notify(control, BUSY);
    }
  };
  setInterval(checkpoint, Math.max(50, data.intervalMs ?? 1000)).unref();
  return (req) => {
    if (req.op === "checkpoint") checkpoint();
  };
}

const data = workerData as CatalogWorkerData;
const port = parentPort!;
const post = (msg: WorkerResponse): void => port.postMessage(msg);
const db = new BetterSqlite3(data.file, { readonly: data.role === "reader", fileMustExist: true });
db.pragma(`busy_timeout = ${Math.trunc(data.busyTimeoutMs)}`);
const handle = data.role === "reader" ? reader(db, data, post) : checkpointer(db, data);

port.on("message", (req: WorkerRequest) => {
  try {
    handle(req);
  } catch (err) {
    post({ id: req.id, kind: "error", message: err instanceof Error ? err.message : String(err) });
  }
});
post({ id: 0, kind: "ready" });
