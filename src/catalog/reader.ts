// Off-main-thread catalog reads: worker threads with read-only connections, so a long query (a large C-FIND)
// never stalls the event loop that serves associations. SQL comes from Conduit's code; values are always bound.
import type { Worker } from "node:worker_threads";
import { conduitError, type ConduitError } from "../errors.js";
import type { WorkerRequest, WorkerResponse } from "./catalog-worker.js";
import { spawnCatalogWorker } from "./workers.js";

type ReaderRequest = Exclude<WorkerRequest, { op: "checkpoint" }>;

export interface CatalogReaderOptions {
  /** Worker threads, each with its own connection (default 1). */
  workers?: number;
  /** SQLite busy timeout of the read connections (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Batches a worker may send ahead of the consumer during iterate (default 2). */
  window?: number;
}

/** Receives one batch; returning false stops the iteration early. */
export type RowsHandler<T> = (rows: T[]) => void | boolean | Promise<void | boolean>;

interface Job {
  req: ReaderRequest;
  onRows?: RowsHandler<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  chain: Promise<void>;
  delivered: number;
  stopped: boolean;
  failure?: unknown;
}

interface Slot {
  worker?: Worker;
  control: Int32Array;
  job?: Job;
}

const CREDIT = 0;
const CANCEL = 1;

function readerError(message: string, details: Record<string, unknown> = {}, cause?: unknown): ConduitError {
  return conduitError("CATALOG_IO", message, details, cause);
}

export class CatalogReader {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly window: number;
  private readonly busyTimeoutMs: number;
  private nextId = 1;
  private closed = false;

  constructor(readonly file: string, options: CatalogReaderOptions = {}) {
    if (file === ":memory:") throw readerError("a catalog reader needs a catalog file, not :memory:");
    this.window = Math.max(1, Math.trunc(options.window ?? 2));
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    const n = Math.max(1, Math.trunc(options.workers ?? 1));
    for (let i = 0; i < n; i++) {
      const slot: Slot = { control: new Int32Array(new SharedArrayBuffer(8)) };
      this.slots.push(slot);
      this.spawn(slot);
    }
  }

  /** All rows of a read-only statement. */
  query<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.submit({ id: this.nextId++, op: "query", sql, params: [...params] }) as Promise<T[]>;
  }

  /** Streams rows in batches of batchSize to onRows (awaited in order); resolves with the rows delivered. */
  iterate<T = Record<string, unknown>>(sql: string, params: readonly unknown[], batchSize: number, onRows: RowsHandler<T>): Promise<number> {
    const req: ReaderRequest = { id: this.nextId++, op: "iterate", sql, params: [...params], batchSize };
    return this.submit(req, onRows as RowsHandler<unknown>) as Promise<number>;
  }

  /** Stops the workers; queued and running reads are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(readerError("catalog reader closed"));
    await Promise.all(
      this.slots.map(async (slot) => {
        Atomics.store(slot.control, CANCEL, 1);
        Atomics.notify(slot.control, CREDIT);
        const { worker, job } = slot;
        slot.job = undefined;
        slot.worker = undefined;
        job?.reject(readerError("catalog reader closed"));
        if (worker) await worker.terminate();
      }),
    );
  }

  private submit(req: ReaderRequest, onRows?: RowsHandler<unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(readerError("catalog reader closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ req, onRows, resolve, reject, chain: Promise.resolve(), delivered: 0, stopped: false });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0 || this.closed) return;
      if (slot.job) continue;
      const job = this.queue.shift()!;
      const worker = slot.worker ?? this.spawn(slot);
      Atomics.store(slot.control, CREDIT, this.window);
      Atomics.store(slot.control, CANCEL, 0);
      slot.job = job;
      try {
        worker.postMessage(job.req);
      } catch (err) {
        slot.job = undefined;
        job.reject(readerError(`catalog read cannot be sent to a worker: ${String(err)}`, { sql: job.req.sql }, err));
        continue;
      }
      worker.ref();
    }
  }

  private spawn(slot: Slot): Worker {
    const control = slot.control.buffer as SharedArrayBuffer;
    const worker = spawnCatalogWorker({ role: "reader", file: this.file, busyTimeoutMs: this.busyTimeoutMs, control });
    slot.worker = worker;
    worker.unref();
    worker.on("message", (msg: WorkerResponse) => this.onMessage(slot, msg));
    worker.on("error", (err) => this.onExit(slot, worker, err));
    worker.on("exit", (code) => this.onExit(slot, worker, new Error(`worker exited with code ${code}`)));
    return worker;
  }

  private onExit(slot: Slot, worker: Worker, err: Error): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    const job = slot.job;
    slot.job = undefined;
    job?.reject(readerError(`catalog reader worker failed on ${this.file}: ${err.message}`, { file: this.file, sql: job.req.sql }, err));
    this.dispatch();
  }

  private onMessage(slot: Slot, msg: WorkerResponse): void {
    const job = slot.job;
    if (msg.kind === "ready" || !job || msg.id !== job.req.id) return;
    if (msg.kind === "error") {
      this.release(slot);
      job.reject(readerError(`catalog read failed: ${msg.message}`, { sql: job.req.sql }));
      return;
    }
    if (!job.onRows) {
      this.release(slot);
      job.resolve(msg.rows);
      return;
    }
    const onRows = job.onRows;
    // The worker is free once it says done; the consumer may still be working through earlier batches.
    if (msg.done) this.release(slot);
    job.chain = job.chain.then(async () => {
      if (job.stopped) return;
      try {
        if (msg.rows.length > 0) {
          const more = await onRows(msg.rows);
          job.delivered += msg.rows.length;
          if (more === false) job.stopped = true;
        }
      } catch (err) {
        job.failure = err;
        job.stopped = true;
      }
      if (msg.done || slot.job !== job) return;
      if (job.stopped) Atomics.store(slot.control, CANCEL, 1);
      else Atomics.add(slot.control, CREDIT, 1);
      Atomics.notify(slot.control, CREDIT);
    });
    if (!msg.done) return;
    void job.chain.then(() => {
      if (job.failure === undefined) job.resolve(job.delivered);
      else job.reject(job.failure); // the consumer's own error, as it threw it
    });
  }

  private release(slot: Slot): void {
    slot.job = undefined;
    slot.worker?.unref();
    this.dispatch();
  }
}
