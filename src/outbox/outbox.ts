// The forwarding outbox (DESIGN.md section 7): durable jobs sent by per-destination workers that reuse one
// association for consecutive objects, at most `concurrency` per peer, retried with exponential back-off and
// moved to a dead-letter state after `maxAttempts`. Enqueueing is a synchronous insert that never waits.
import { unlink } from "node:fs/promises";
import type { Database } from "better-sqlite3";
import type { Logger } from "pino";
import { Client, type ClientAssociation, type ProposedContext } from "../client.js";
import type { Config } from "../config/schema.js";
import { readFileMeta, type FileMeta } from "../dicom/part10.js";
import { sopClassName } from "../dicom/sop-classes.js";
import { canTranscode, transcodeFile } from "../dicom/transcode.js";
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, transferSyntax } from "../dicom/transfer-syntax.js";
import { statusCategory, statusName } from "../dimse/status.js";
import { CommandField, DATA_SET_PRESENT, Priority } from "../dimse/command.js";
import { errorMessage } from "../errors.js";
import type { ForwardJob, ForwardQueue } from "../router/router.js";
import { JobStore, type JobRow } from "./job-store.js";

/** A failure that retrying cannot fix (no usable presentation context, file gone): the job goes dead at once. */
class PermanentFailure extends Error {}

export type SettledState = "done" | "dead";

export interface OutboxOptions {
  onSettled?: (job: JobRow, state: SettledState) => void;
}

function tsLabel(uid: string): string {
  const ts = transferSyntax(uid);
  return ts ? `${ts.keyword} (${uid})` : uid;
}

/** One association's worth of work for a destination: claims jobs one at a time until idle for idleClose. */
class DestinationWorker {
  private assoc?: ClientAssociation;
  private proposed = new Map<string, ProposedContext>();
  private wakeUp?: () => void;
  busy = false;

  constructor(
    private readonly outbox: Outbox,
    readonly destination: string,
    private readonly log: Logger,
  ) {}

  wake(): void {
    this.wakeUp?.();
  }

  async run(): Promise<void> {
    try {
      for (;;) {
        if (this.outbox.stopping) break;
        const [job] = this.outbox.store.claim(this.destination, 1);
        if (!job) {
          const idleMs = this.outbox.config().outbox.idleClose * 1000;
          const woken = await new Promise<boolean>((resolve) => {
            const t = setTimeout(() => resolve(false), idleMs);
            this.wakeUp = () => {
              clearTimeout(t);
              resolve(true);
            };
          });
          this.wakeUp = undefined;
          if (!woken) break;
          continue;
        }
        this.busy = true;
        await this.send(job);
        this.busy = false;
      }
    } finally {
      this.busy = false;
      await this.close();
      this.outbox.workerEnded(this);
    }
  }

  private async close(): Promise<void> {
    const a = this.assoc;
    this.assoc = undefined;
    this.proposed.clear();
    if (a) await a.release().catch(() => a.abort());
  }

  /** Contexts for a file: its own transfer syntax, and for little endian the other one as a fallback. */
  private contextsFor(meta: FileMeta): ProposedContext[] {
    const own = { abstractSyntax: meta.mediaStorageSopClassUid, transferSyntaxes: [meta.transferSyntaxUid] };
    const other = meta.transferSyntaxUid === EXPLICIT_VR_LITTLE_ENDIAN ? IMPLICIT_VR_LITTLE_ENDIAN : meta.transferSyntaxUid === IMPLICIT_VR_LITTLE_ENDIAN ? EXPLICIT_VR_LITTLE_ENDIAN : undefined;
    return other ? [own, { abstractSyntax: meta.mediaStorageSopClassUid, transferSyntaxes: [other] }] : [own];
  }

  private async association(meta: FileMeta): Promise<ClientAssociation> {
    const wanted = this.contextsFor(meta);
    const key = (c: ProposedContext) => `${c.abstractSyntax}|${c.transferSyntaxes.join(",")}`;
    // The peer may have closed an idle association (its own timeout): open a new one then.
    if (this.assoc && !this.assoc.association.established) await this.close();
    if (this.assoc && wanted.every((c) => this.proposed.has(key(c)))) return this.assoc;
    // A new SOP class or syntax: reopen proposing everything seen so far (up to 128 contexts, PS3.8 9.3.2.2).
    await this.close();
    const contexts = new Map(this.proposed);
    for (const c of wanted) contexts.set(key(c), c);
    while (contexts.size > 126) contexts.delete(contexts.keys().next().value!);
    const cfg = this.outbox.config();
    const peer = cfg.peers[this.destination]!;
    this.assoc = await Client.associate(
      { host: peer.host, port: peer.port, callingAE: peer.callingAE ?? cfg.aeTitle, calledAE: this.destination, connectTimeout: cfg.limits.connectTimeout, dimseTimeout: cfg.limits.dimseTimeout },
      [...contexts.values()],
    );
    this.proposed = contexts;
    return this.assoc;
  }

  private async send(job: JobRow): Promise<void> {
    const started = Date.now();
    try {
      let meta: FileMeta;
      try {
        meta = await readFileMeta(job.path);
      } catch (err) {
        throw new PermanentFailure(`cannot read ${job.path}: ${errorMessage(err)}`);
      }
      const assoc = await this.association(meta);
      const own = assoc.link.findContext(meta.mediaStorageSopClassUid, [meta.transferSyntaxUid]);
      let result;
      if (own) {
        result = await assoc.storeFile(job.path, meta);
      } else {
        const alt = [IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN].find((t) => canTranscode(meta.transferSyntaxUid, t) && assoc.link.findContext(meta.mediaStorageSopClassUid, [t]));
        const ctx = alt ? assoc.link.findContext(meta.mediaStorageSopClassUid, [alt]) : undefined;
        if (!alt || !ctx) {
          throw new PermanentFailure(
            `${this.destination} accepted no presentation context for ${sopClassName(meta.mediaStorageSopClassUid)} in ${tsLabel(meta.transferSyntaxUid)}` +
              (transferSyntax(meta.transferSyntaxUid)?.encapsulated ? "; Conduit does not decompress" : ""),
          );
        }
        const data = await transcodeFile(job.path, alt);
        result = await assoc.request(ctx.id, {
          CommandField: CommandField.C_STORE_RQ,
          AffectedSOPClassUID: meta.mediaStorageSopClassUid,
          AffectedSOPInstanceUID: meta.mediaStorageSopInstanceUid,
          Priority: Priority.Medium,
          CommandDataSetType: DATA_SET_PRESENT,
        }, data);
      }
      const cat = statusCategory(result.status);
      if (cat === "success" || cat === "warning") {
        this.outbox.settle(job, "done", cat === "warning" ? `warning 0x${result.status.toString(16).padStart(4, "0")}` : null);
        this.log.debug({ job: job.id, sop: job.sopInstanceUid, ms: Date.now() - started }, "forwarded");
        return;
      }
      this.outbox.failed(job, `${this.destination} answered 0x${result.status.toString(16).toUpperCase().padStart(4, "0")} (${statusName(result.status)})`);
    } catch (err) {
      if (err instanceof PermanentFailure) {
        this.outbox.settle(job, "dead", err.message);
        return;
      }
      // Connection, rejection, abort or timeout: the association is gone; try again later.
      await this.close();
      this.outbox.failed(job, errorMessage(err));
    }
  }
}

export class Outbox implements ForwardQueue {
  readonly store: JobStore;
  stopping = false;
  private readonly workers = new Map<string, Set<DestinationWorker>>();
  private scheduled = false;
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

  start(): void {
    const n = this.store.requeueActive();
    if (n) this.log.warn({ jobs: n }, "forward jobs interrupted by the last stop are queued again");
    this.stopping = false;
    this.wake();
  }

  wake(): void {
    if (this.scheduled || this.stopping) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopping) return;
    const cfg = this.config();
    const { due, nextAt } = this.store.pending();
    for (const dest of due) {
      const peer = cfg.peers[dest];
      if (!peer) {
        for (const job of this.store.claim(dest, 1000)) this.settle(job, "dead", `unknown destination AE "${dest}": not in the config's peers`);
        continue;
      }
      const set = this.workers.get(dest) ?? new Set<DestinationWorker>();
      this.workers.set(dest, set);
      const idle = [...set].find((w) => !w.busy);
      if (idle) idle.wake();
      else if (set.size < peer.concurrency) {
        const w = new DestinationWorker(this, dest, this.log.child({ destination: dest }));
        set.add(w);
        void w.run();
      }
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // Re-check soon while there is due work (more workers may be allowed), and at the next retry time.
    const wait = due.length ? 200 : nextAt !== undefined ? Math.max(0, nextAt - Date.now()) + 5 : undefined;
    if (wait !== undefined) this.timer = setTimeout(() => this.wake(), Math.min(wait, 60_000)).unref();
  }

  workerEnded(w: DestinationWorker): void {
    const set = this.workers.get(w.destination);
    set?.delete(w);
    if (set && set.size === 0) this.workers.delete(w.destination);
    if (this.workers.size === 0) this.idle?.();
    if (!this.stopping) this.wake();
  }

  /** A send failed: back off (retryDelay doubling, capped) or, after maxAttempts, dead-letter. */
  failed(job: JobRow, error: string): void {
    const o = this.config().outbox;
    const attempts = job.attempts + 1;
    if (attempts >= o.maxAttempts) {
      this.settle(job, "dead", `${error} (after ${attempts} attempts)`);
      return;
    }
    const delayMs = Math.min(o.retryDelay * 1000 * 2 ** (attempts - 1), o.maxRetryDelay * 1000);
    this.store.retryLater(job.id, attempts, Date.now() + delayMs, error);
    this.log.warn({ job: job.id, destination: job.destination, attempts, retryInMs: delayMs, err: error }, "forward failed, will retry");
    this.wake();
  }

  settle(job: JobRow, state: SettledState, note: string | null): void {
    if (state === "done") this.store.done(job.id, note);
    else {
      this.store.dead(job.id, note ?? "failed");
      this.log.error({ job: job.id, destination: job.destination, sop: job.sopInstanceUid, err: note }, "forward job dead-lettered");
    }
    if (job.spooled && !this.store.isPathInUse(job.path)) void unlink(job.path).catch(() => {});
    this.options.onSettled?.(job, state);
  }

  /** Stops taking jobs; sends in flight finish (bounded), associations are released. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    for (const set of this.workers.values()) for (const w of set) w.wake();
    if (this.workers.size === 0) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, graceMs);
      this.idle = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
