// The forwarding outbox (DESIGN.md section 7): durable jobs sent by per-destination workers that reuse one
// association for consecutive objects, at most `concurrency` per peer, retried with exponential back-off and
// moved to a dead-letter state after `maxAttempts`. Enqueueing is a synchronous insert that never waits.
import type { Database } from "better-sqlite3";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { errorMessage } from "../errors.js";
import type { ForwardJob, ForwardQueue } from "../router/router.js";
import { JobStore, removeSpoolCopies, type JobFilter, type JobRow, type JobState } from "./job-store.js";
import { Worker, type SettledState, type WorkerHost } from "./worker.js";

export type { SettledState } from "./worker.js";

export interface OutboxOptions {
  /** Called after a job reached done or dead (its row is already updated). */
  onSettled?: (job: JobRow, state: SettledState) => void;
}

/** Re-reads the queue this often even without a wake-up, to see jobs retried by the CLI from another process. */
const POLL_MS = 2000;

/** Back-off before attempt `attempts + 1`: retryDelay doubling per attempt, capped at maxRetryDelay (ms). */
export function retryDelayMs(attempts: number, o: Config["outbox"]): number {
  return Math.min(o.retryDelay * 1000 * 2 ** Math.max(0, attempts - 1), o.maxRetryDelay * 1000);
}

export class Outbox implements ForwardQueue, WorkerHost {
  readonly store: JobStore;
  stopping = false;
  private readonly workers = new Map<string, Set<Worker>>();
  /** Destinations not to be contacted before this time (ms epoch), after a connection-level failure. */
  private readonly holds = new Map<string, number>();
  private scheduled = false;
  private started = false;
  private timer?: NodeJS.Timeout;
  private idle?: () => void;

  constructor(
    db: Database,
    readonly config: () => Config,
    private readonly log: Logger,
    private readonly options: OutboxOptions = {},
  ) {
    this.store = new JobStore(db);
  }

  /** Called inside the C-STORE's transaction: insert only; sending starts after the current tick. */
  enqueue(jobs: ForwardJob[]): void {
    this.store.add(jobs);
    this.wake();
  }

  /** Jobs a crash left active are queued again (they were never acknowledged); scheduling begins. */
  start(): void {
    const n = this.store.requeueActive();
    if (n) this.log.warn({ jobs: n }, "forward jobs interrupted by the last stop are queued again");
    this.stopping = false;
    this.started = true;
    this.wake();
  }

  /** Schedules a look at the queue after the current tick (never synchronously: the caller may hold a transaction). */
  wake(): void {
    if (this.scheduled || this.stopping || !this.started) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      // The catalog may be gone (closed by a crash-like shutdown): stop quietly; the rows wait for the next start.
      if (!this.store.db.open) return;
      try {
        this.pump();
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, "outbox scheduling failed; retrying shortly");
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => this.wake(), POLL_MS).unref();
      }
    });
  }

  isHeld(destination: string): boolean {
    return (this.holds.get(destination) ?? 0) > Date.now();
  }

  private pump(): void {
    if (this.stopping) return;
    const cfg = this.config();
    const now = Date.now();
    let next = now + POLL_MS;
    for (const { destination, dueAt } of this.store.pending()) {
      const peer = cfg.peers[destination];
      if (!peer) {
        for (let jobs = this.store.claim(destination, 500); jobs.length; jobs = this.store.claim(destination, 500)) {
          for (const job of jobs) this.settle(job, "dead", `unknown destination AE "${destination}": not in the config's peers`);
        }
        continue;
      }
      const at = Math.max(dueAt, this.holds.get(destination) ?? 0);
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      this.holds.delete(destination);
      this.staff(destination, peer.concurrency);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), Math.max(0, next - Date.now()) + 5).unref();
  }

  /** Wakes idle workers and starts new ones, up to the peer's concurrency and the number of due jobs. */
  private staff(destination: string, concurrency: number): void {
    const set = this.workers.get(destination) ?? new Set<Worker>();
    this.workers.set(destination, set);
    let wanted = this.store.countDue(destination, concurrency);
    for (const w of set) {
      if (wanted <= 0) break;
      if (!w.busy && !w.leaving) {
        w.wake();
        wanted--;
      }
    }
    // Leaving workers count until their association is released: never more than `concurrency` at once.
    for (; wanted > 0 && set.size < concurrency; wanted--) {
      const w = new Worker(this, destination, this.log.child({ destination }));
      set.add(w);
      void w.run();
    }
  }

  /** Other workers of the same destination still taking jobs. */
  siblings(w: Worker): number {
    let n = 0;
    for (const x of this.workers.get(w.destination) ?? []) if (x !== w && !x.leaving) n++;
    return n;
  }

  workerEnded(w: Worker): void {
    const set = this.workers.get(w.destination);
    set?.delete(w);
    if (set && set.size === 0) this.workers.delete(w.destination);
    if (this.workers.size === 0) this.idle?.();
    this.wake();
  }

  /** A send failed: back off (retryDelay doubling, capped) or, after maxAttempts, dead-letter. */
  failed(job: JobRow, error: string, connection: boolean): void {
    const o = this.config().outbox;
    const attempts = job.attempts + 1;
    if (attempts >= o.maxAttempts) {
      this.settle(job, "dead", `${error} (after ${attempts} attempts)`);
      return;
    }
    const delayMs = retryDelayMs(attempts, o);
    const at = Date.now() + delayMs;
    this.store.retryLater(job.id, attempts, at, error);
    // The peer is unreachable: its other jobs wait too instead of each failing the same way now.
    if (connection) this.holds.set(job.destination, Math.max(this.holds.get(job.destination) ?? 0, at));
    this.log.warn({ job: job.id, destination: job.destination, attempts, retryInMs: delayMs, err: error }, "forward failed, will retry");
    this.wake();
  }

  settle(job: JobRow, state: SettledState, note: string | null): void {
    if (state === "done") {
      this.store.done(job.id, note);
      this.holds.delete(job.destination);
    } else {
      this.store.dead(job.id, note ?? "failed");
      this.log.error({ job: job.id, destination: job.destination, sop: job.sopInstanceUid, origin: job.origin, err: note }, "forward job dead-lettered");
    }
    if (job.spooled) removeSpoolCopies(this.store, [job]).catch((err: unknown) => this.log.warn({ err: errorMessage(err), path: job.path }, "spool copy not removed"));
    this.options.onSettled?.(job, state);
  }

  list(filter: JobFilter = {}): JobRow[] {
    return this.store.list(filter);
  }

  /** Dead and waiting jobs queued again, due now, attempts reset; sending starts at once. */
  retry(filter: JobFilter = {}): number {
    const n = this.store.retry(filter);
    if (filter.destination) this.holds.delete(filter.destination);
    else this.holds.clear();
    this.wake();
    return n;
  }

  /** Deletes finished jobs (done and dead unless filter.state says otherwise) and spool copies no job needs. */
  async purge(filter: JobFilter = {}): Promise<number> {
    const rows = this.store.purge(filter);
    await removeSpoolCopies(this.store, rows);
    return rows.length;
  }

  counts(): Array<{ destination: string; state: JobState; count: number }> {
    return this.store.counts();
  }

  /** Stops taking jobs; sends in flight finish within graceMs, then are aborted; associations are released. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    const all = () => [...this.workers.values()].flatMap((s) => [...s]);
    for (const w of all()) w.wake();
    const drained = (ms: number) =>
      this.workers.size === 0
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => {
            const t = setTimeout(() => resolve(false), ms);
            this.idle = () => {
              clearTimeout(t);
              resolve(true);
            };
          });
    if (await drained(graceMs)) return;
    // Grace is over: abort what is still sending; those jobs go back to queued for the next start.
    for (const w of all()) w.abort();
    await drained(1000);
  }
}
