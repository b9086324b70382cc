// Starting catalog worker threads from compiled JS or TypeScript source, and the WAL checkpointer.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { CatalogWorkerData, WorkerRequest } from "./catalog-worker.js";

/**
 * Starts catalog-worker: the compiled .js beside this module (dist/), or, when only the .ts source exists
 * (tests under tsx), a bootstrap that registers tsx in the worker and then imports the source
 * (execArgv ["--import", "tsx"] is not honoured by Node 20 workers).
 */
export function spawnCatalogWorker(data: CatalogWorkerData): Worker {
  const js = new URL("./catalog-worker.js", import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData: data });
  const ts = new URL("./catalog-worker.ts", import.meta.url).href;
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

/**
 * Commits between checkpoint requests (about 6 frames each: ~3000 frames, ~12 MB of WAL). Every checkpoint ends in
 * fsyncs of the WAL and the database, journal commits that compete with the stored objects' own syncs: one pair
 * per few hundred objects, not per ~160 as with SQLite's default of 1000 frames.
 */
export const COMMITS_PER_CHECKPOINT = 512;
/** WAL frames (pages) beyond which the writer itself checkpoints, so the WAL cannot grow under constant load. */
const WAL_FRAMES_LIMIT = 16384;
const [BUSY, STOP, FRAMES] = [0, 1, 2];

/**
 * Checkpoints the WAL from a worker thread, so the fsyncs a checkpoint does never stall the event loop.
 * If the worker fails, the writer falls back to SQLite's own automatic checkpoints (onFailure).
 */
export class Checkpointer {
  private worker: Worker | undefined;
  private commits = 0;
  private readonly control = new Int32Array(new SharedArrayBuffer(12));

  constructor(file: string, busyTimeoutMs: number, private readonly onFailure: (err: Error) => void) {
    const worker = spawnCatalogWorker({ role: "checkpointer", file, busyTimeoutMs, control: this.control.buffer as SharedArrayBuffer, intervalMs: 1000 });
    worker.unref();
    worker.on("error", (err) => this.fail(worker, err));
    worker.on("exit", (code) => this.fail(worker, new Error(`checkpointer exited with code ${code}`)));
    this.worker = worker;
  }

  /**
   * Called after each commit; asks for a checkpoint every so many. Returns true when the writer should run a
   * PASSIVE checkpoint itself: the WAL outgrew the limit because a worker checkpoint never sees it all copied
   * while commits keep coming, and only a writer restarts the WAL.
   */
  noteCommit(): boolean {
    if (!this.worker) return false;
    // Right after a worker pass, few frames are left to copy: the writer's own checkpoint is then short.
    if (Atomics.load(this.control, FRAMES) > WAL_FRAMES_LIMIT && Atomics.load(this.control, BUSY) === 0) {
      Atomics.store(this.control, FRAMES, 0);
      return true;
    }
    if (++this.commits < COMMITS_PER_CHECKPOINT) return false;
    this.commits = 0;
    const req: WorkerRequest = { id: 0, op: "checkpoint" };
    this.worker.postMessage(req);
    return false;
  }

  /**
   * Stops the worker: no checkpoint starts any more, and one under way is awaited (bounded), so the writer may
   * then checkpoint alone. Its termination completes in the background.
   */
  stop(timeoutMs = 10_000): void {
    const worker = this.worker;
    this.worker = undefined;
    Atomics.store(this.control, STOP, 1);
    const until = Date.now() + timeoutMs;
    while (Atomics.load(this.control, BUSY) === 1 && Date.now() < until) Atomics.wait(this.control, BUSY, 1, until - Date.now());
    if (worker) void worker.terminate();
  }

  private fail(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.onFailure(err);
  }
}
