// A received data set streaming into a temporary Part-10 file. The header is held until it is complete and a
// plan decides what to write (meta group, header as sent or coerced, or nothing); the rest is coalesced into large
// writes as it arrives. Nothing is buffered whole. Writes happen on the event loop (a page-cache copy of a PDV is
// cheaper than a thread-pool round trip); large objects are synced as they arrive and the socket pauses while
// that sync is behind.
import { fdatasync, ftruncateSync, openSync, unlink, writevSync } from "node:fs";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { conduitError, errorMessage } from "../errors.js";
import { HeaderScanner, type ScanResult } from "../dicom/header-scanner.js";
import type { DataSink, Flow } from "../dimse/message.js";
import type { TransferSyntax } from "../dicom/transfer-syntax.js";
import { closeQuietly } from "./storage-area.js";

/** Deflated data sets (small non-image objects in practice) are held to be walked after inflating. */
const DEFLATED_LIMIT = 64 * 1024 * 1024;

/** What to write before the rest of the data set: the file's preamble and meta group, and the header bytes. */
export interface HeaderPlan {
  prefix: Buffer;
  header: Buffer;
}

/** Decides from the scanned header: write it (as sent or changed), or drop the object (refused). */
export type HeaderDecider = (scan: ScanResult, failure: string | null) => HeaderPlan | "drop";

export interface IncomingFileOptions {
  tempPath: string;
  /** An already open descriptor on tempPath (from the storage area's spares); opened here otherwise. */
  fd?: number;
  /** Bytes of zeros the spare already holds from offset 0: overwritten, and cut off when the object is shorter. */
  prefilled?: number;
  syntax: TransferSyntax;
  flow: Flow;
  decide: HeaderDecider;
  /**
   * Durable storage: the final fdatasync starts as soon as the last byte is written (it runs while the caller
   * indexes the object), and a large object is synced as it arrives.
   */
  durable?: boolean;
  /** Received bytes gathered into one write (default 128 KB: one DCMTK PDV). */
  coalesceBytes?: number;
  /**
   * When durable, a background fdatasync starts whenever this many bytes were written since the last one began
   * (default 16 MB); the socket pauses while twice this much is written and not yet synced.
   */
  earlySyncBytes?: number;
  headerCap?: number;
}

export interface ReceivedFile {
  tempPath: string;
  /** Bytes of the whole file (prefix + data set). */
  size: number;
  datasetSize: number;
  /** Makes every written byte durable: waits for an early sync under way, then syncs what came after it. */
  sync(): Promise<void>;
  /** Closes the descriptor (the file stays); later calls and discard() do not close it again. */
  close(): void;
}

export class IncomingFile implements DataSink {
  private fd: number | null = null;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private position = 0;
  private paused = false;
  private error: Error | null = null;
  private datasetBytes = 0;
  private readonly scanner: HeaderScanner | null;
  /** Bytes received before the plan (header and whatever followed it in the same chunks). */
  private held: Buffer[] | null = [];
  private dropped = false;
  private endResolve!: () => void;
  private endReject!: (e: Error) => void;
  private readonly ended: Promise<void>;
  private aborted = false;
  private readonly coalesce: number;
  private readonly earlySync: number;
  /** File offset covered by the last fdatasync started (-1: none yet), and that sync while it runs. */
  private syncedTo = -1;
  private syncing: Promise<void> | null = null;

  constructor(private readonly opts: IncomingFileOptions) {
    this.coalesce = opts.coalesceBytes ?? 128 * 1024;
    this.earlySync = opts.durable ? opts.earlySyncBytes ?? 16 * 1024 * 1024 : 0;
    this.scanner = opts.syntax.deflated ? null : new HeaderScanner(opts.syntax.explicitVR, opts.syntax.littleEndian, opts.headerCap ?? 16 * 1024 * 1024);
    this.ended = new Promise((res, rej) => {
      this.endResolve = res;
      this.endReject = rej;
    });
    this.ended.catch(() => {});
    try {
      this.fd = opts.fd ?? openSync(opts.tempPath, "w");
    } catch (err) {
      this.fail(err as Error);
    }
  }

  write(chunk: Buffer): void {
    if (this.aborted) return;
    this.datasetBytes += chunk.length;
    if (this.held) {
      this.held.push(chunk);
      if (this.scanner) {
        this.scanner.feed(chunk);
        if (this.scanner.done) this.plan(this.scanner.scan ?? this.scanner.end(), this.scanner.failure);
      } else if (this.datasetBytes > DEFLATED_LIMIT) {
        this.fail(conduitError("DICOM_PARSE", `deflated data set larger than ${DEFLATED_LIMIT} bytes`));
        this.held = null;
      }
      return;
    }
    if (this.dropped || this.error) return; // keep consuming the peer's data; the outcome is known
    this.queue(chunk);
  }

  end(): void {
    if (this.held && !this.aborted) {
      if (this.scanner) this.plan(this.scanner.end(), this.scanner.failure);
      else this.planDeflated();
    }
    // The tail goes to disk now, and its sync starts at once: it runs while the caller indexes the object.
    if (this.pendingBytes > 0 && !this.error && !this.aborted) this.writeOut();
    this.cutPrefill();
    this.syncEarlyAtEnd();
    this.endResolve();
  }

  abort(reason: Error): void {
    this.aborted = true;
    this.endReject(reason);
    this.releaseFlow();
    void this.discard();
  }

  /** Waits for the last byte to be written; the caller then makes the file durable or discards it. */
  async complete(): Promise<ReceivedFile> {
    await this.ended;
    if (this.error) throw this.error;
    const { tempPath } = this.opts;
    return { tempPath, size: this.position, datasetSize: this.datasetBytes, sync: () => this.sync(), close: () => this.close() };
  }

  /** Closes and removes the temporary file (failed or refused objects leave nothing behind). */
  async discard(): Promise<void> {
    this.aborted = true;
    const fd = this.fd;
    this.fd = null;
    if (this.syncing) await this.syncing.catch(() => {});
    if (fd !== null) closeQuietly(fd);
    await new Promise<void>((res) => unlink(this.opts.tempPath, () => res()));
  }

  private close(): void {
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) closeQuietly(fd);
  }

  private async sync(): Promise<void> {
    while (this.syncing) await this.syncing;
    if (this.error) throw this.error;
    if (this.syncedTo < this.position) await this.startSync();
  }

  /** fdatasync of everything written so far, on the thread pool. */
  private startSync(): Promise<void> {
    const fd = this.fd;
    if (fd === null) return Promise.reject(conduitError("STORE_IO", `${this.opts.tempPath} is closed`));
    this.syncedTo = this.position;
    const p: Promise<void> = new Promise((res, rej) => fdatasync(fd, (err) => (err ? rej(err) : res())));
    this.syncing = p;
    const settle = (err?: Error): void => {
      if (this.syncing === p) this.syncing = null;
      if (err) this.fail(err);
    };
    p.then(() => settle(), settle);
    return p;
  }

  /** The caller's header plan; undefined when the object is dropped or deciding failed (then the file fails). */
  private decideHeader(scan: ScanResult, failure: string | null): HeaderPlan | undefined {
    let decision: HeaderPlan | "drop";
    try {
      decision = this.opts.decide(scan, failure);
    } catch (err) {
      this.fail(err as Error);
      return undefined;
    }
    if (decision === "drop") {
      this.dropped = true;
      return undefined;
    }
    return decision;
  }

  private plan(scan: ScanResult, failure: string | null): void {
    const held = this.held!;
    this.held = null;
    const decision = this.decideHeader(scan, failure);
    if (!decision) return;
    this.queue(decision.prefix);
    this.queue(decision.header);
    // What followed the header in the held chunks is the start of the tail (Pixel Data onwards).
    let skip = scan.headerEnd;
    for (const c of held) {
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      this.queue(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
  }

  /** Deflated data sets (PS3.5 A.5) are walked after inflating; a changed header means deflating again. */
  private planDeflated(): void {
    const raw = Buffer.concat(this.held ?? []);
    this.held = null;
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(raw, { maxOutputLength: 256 * 1024 * 1024 });
    } catch (err) {
      const scan = { header: Buffer.alloc(0), headerEnd: 0, truncated: false, pixelDataFound: false };
      this.dropped = this.opts.decide(scan, `deflated data set cannot be inflated: ${errorMessage(err)}`) === "drop";
      return;
    }
    const s = new HeaderScanner(true, true);
    s.feed(inflated);
    const scan = s.end();
    const decision = this.decideHeader(scan, s.failure);
    if (!decision) return;
    this.queue(decision.prefix);
    if (decision.header === scan.header || decision.header.equals(scan.header)) this.queue(raw);
    else this.queue(deflateRawSync(Buffer.concat([decision.header, inflated.subarray(scan.headerEnd)])));
  }

  private queue(chunk: Buffer): void {
    if (chunk.length === 0 || this.error) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.coalesce) this.writeOut();
  }

  /** Writes the pending buffers at the end of the file, synchronously. */
  private writeOut(): void {
    if (this.fd === null) return;
    const bufs = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      const n = writevSync(this.fd, bufs, this.position);
      if (n !== bytes) throw conduitError("STORE_NO_SPACE", `short write to ${this.opts.tempPath}: ${n} of ${bytes} bytes`);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.position += bytes;
    this.maybeSyncEarly();
  }

  /** A prefilled spare longer than the object is cut to the object's length (a cheap truncate within a block). */
  private cutPrefill(): void {
    const prefilled = this.opts.prefilled ?? 0;
    if (prefilled <= this.position || this.fd === null || this.error || this.aborted || this.dropped) return;
    try {
      ftruncateSync(this.fd, this.position);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /** When durable, starts the sync of a completely written file unless one covering it is under way. */
  private syncEarlyAtEnd(): void {
    if (!this.opts.durable || this.syncing || this.dropped || this.error || this.aborted || this.fd === null) return;
    if (this.syncedTo < this.position) this.startSync().catch(() => {});
  }

  /** Flushes written data in the background while the rest arrives, so the final sync has little left to do. */
  private maybeSyncEarly(): void {
    if (this.earlySync <= 0 || this.aborted) return;
    const unsynced = this.position - Math.max(this.syncedTo, 0);
    if (!this.syncing && unsynced >= this.earlySync) {
      this.startSync().catch(() => {});
    } else if (this.syncing && unsynced >= 2 * this.earlySync && !this.paused) {
      // The disk is behind: stop reading the socket until the sync under way is done.
      this.paused = true;
      this.opts.flow.pause();
      const resume = (): void => {
        this.releaseFlow();
        this.maybeSyncEarly();
      };
      this.syncing.then(resume, resume);
    }
  }

  private fail(err: Error): void {
    this.error ??= err;
    this.pending = [];
    this.pendingBytes = 0;
    this.releaseFlow();
  }

  private releaseFlow(): void {
    if (!this.paused) return;
    this.paused = false;
    this.opts.flow.resume();
  }
}
