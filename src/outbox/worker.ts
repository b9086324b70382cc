// A forwarding worker: claims one destination's due jobs one at a time and sends them over its DestinationLink,
// keeping the association for the next job until idle for idleClose (PS3.7 9.1.1: many operations per association).
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { readFileMeta, type FileMeta } from "../dicom/part10.js";
import { statusCategory, statusName } from "../dimse/status.js";
import { errorMessage } from "../errors.js";
import { DestinationLink, PermanentFailure, syntaxLabel } from "./destination-link.js";
import type { JobRow, JobStore } from "./job-store.js";

export type SettledState = "done" | "dead";

/** What a worker needs from the outbox that runs it. */
export interface WorkerHost {
  readonly store: JobStore;
  readonly stopping: boolean;
  config(): Config;
  /** True while the destination waits after a connection-level failure. */
  isHeld(destination: string): boolean;
  /** Other workers of the same destination still taking jobs. */
  siblings(w: Worker): number;
  settle(job: JobRow, state: SettledState, note: string | null): void;
  /** Back-off or dead letter; `connection` = the peer could not be reached or dropped the association. */
  failed(job: JobRow, error: string, connection: boolean): void;
  workerEnded(w: Worker): void;
}

/** Claims a destination's due jobs one at a time and sends them over its link until idle for idleClose. */
export class Worker {
  private readonly link: DestinationLink;
  private wakeUp?: () => void;
  busy = false;
  /** Out of its loop (releasing its association): no longer counts as available. */
  leaving = false;

  constructor(
    private readonly outbox: WorkerHost,
    readonly destination: string,
    private readonly log: Logger,
  ) {
    this.link = new DestinationLink(destination);
  }

  wake(): void {
    this.wakeUp?.();
  }

  abort(): void {
    this.link.abort();
  }

  async run(): Promise<void> {
    try {
      while (!this.outbox.stopping && !this.outbox.isHeld(this.destination)) {
        const [job] = this.outbox.store.claim(this.destination, 1);
        if (job) {
          this.busy = true;
          await this.send(job);
          this.busy = false;
        } else if (this.outbox.siblings(this) > 0 || !(await this.idle())) {
          // One idle association per destination is kept; others go (a single-association peer may be waiting).
          break;
        }
      }
    } catch (err) {
      // Only a catalog failure gets here (e.g. closed after a stop's grace period); the rows say what is left.
      this.log.error({ err: errorMessage(err) }, "forwarding worker stopped");
    } finally {
      this.busy = false;
      this.leaving = true;
      await this.link.close();
      this.outbox.workerEnded(this);
    }
  }

  /** Waits for a wake-up (true) or idleClose seconds (false: the association is released). */
  private idle(): Promise<boolean> {
    const ms = this.outbox.config().outbox.idleClose * 1000;
    return new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve(true);
      };
    }).finally(() => (this.wakeUp = undefined));
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
      const result = await this.link.send(job.path, meta, this.outbox.config());
      const category = statusCategory(result.status);
      if (category === "success" || category === "warning") {
        const notes = [category === "warning" ? `${this.destination} answered ${statusName(result.status)}` : "", result.transcodedTo ? `sent as ${syntaxLabel(result.transcodedTo)}` : ""];
        this.outbox.settle(job, "done", notes.filter(Boolean).join("; ") || null);
        this.log.debug({ job: job.id, sop: job.sopInstanceUid, ms: Date.now() - started, transcodedTo: result.transcodedTo }, "forwarded");
        return;
      }
      // A refusal of this object (PS3.4 B.2.3): the association stays usable for the next one.
      this.outbox.failed(job, `${this.destination} answered ${statusName(result.status)}`, false);
    } catch (err) {
      if (err instanceof PermanentFailure) {
        this.outbox.settle(job, "dead", err.message);
        return;
      }
      // Connection, rejection, abort or timeout: the association is gone and the destination waits.
      await this.link.close();
      if (this.outbox.stopping) this.outbox.store.release(job.id);
      else this.outbox.failed(job, errorMessage(err), true);
    }
  }
}
