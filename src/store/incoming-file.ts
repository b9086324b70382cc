// A received data set streaming into a temporary Part-10 file. The header is held until it is complete and a
// plan decides what to write (meta group, header as sent or coerced, or nothing); the rest streams to disk in
// large pipelined writes while the socket pauses when the disk is behind. Nothing is buffered whole.
import { writevSync } from "node:fs";
import { open, unlink, type FileHandle } from "node:fs/promises";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { conduitError, errorMessage } from "../errors.js";
import { HeaderScanner, type ScanResult } from "../dicom/header-scanner.js";
import type { DataSink, Flow } from "../dimse/message.js";
import type { TransferSyntax } from "../dicom/transfer-syntax.js";

/** A remainder up to this size is written synchronously when the data set ends. */
const SYNC_TAIL_BYTES = 256 * 1024;
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
  /** An already open handle on tempPath (from the storage area's spares). */
  handle?: FileHandle;
  syntax: TransferSyntax;
  flow: Flow;
  decide: HeaderDecider;
  coalesceBytes?: number;
  highWaterBytes?: number;
  headerCap?: number;
}

export interface ReceivedFile {
  tempPath: string;
  /** Bytes of the whole file (prefix + data set). */
  size: number;
  datasetSize: number;
  handle: FileHandle;
}

export class IncomingFile implements DataSink {
  private handle?: FileHandle;
  private readonly opened: Promise<FileHandle>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private position = 0;
  private inflight = 0;
  private readonly writes = new Set<Promise<void>>();
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
  private endedFlag = false;
  private aborted = false;
  private readonly coalesce: number;
  private readonly highWater: number;

  constructor(private readonly opts: IncomingFileOptions) {
    // One DCMTK PDV (128 KB) per write: data reaches the page cache while the transfer runs.
    this.coalesce = opts.coalesceBytes ?? 128 * 1024;
    this.highWater = opts.highWaterBytes ?? 16 * 1024 * 1024;
    this.scanner = opts.syntax.deflated ? null : new HeaderScanner(opts.syntax.explicitVR, opts.syntax.littleEndian, opts.headerCap ?? 16 * 1024 * 1024);
    this.ended = new Promise((res, rej) => {
      this.endResolve = res;
      this.endReject = rej;
    });
    this.ended.catch(() => {});
    const opening = opts.handle ? Promise.resolve(opts.handle) : open(opts.tempPath, "w");
    if (opts.handle) this.handle = opts.handle;
    this.opened = opening.then((fh) => {
      this.handle = fh;
      if (this.aborted) void this.discard();
      else if (this.pendingBytes >= this.coalesce) this.flush();
      return fh;
    });
    this.opened.catch((err: Error) => this.fail(err));
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
    this.endedFlag = true;
    if (this.held && !this.aborted) {
      if (this.scanner) this.plan(this.scanner.end(), this.scanner.failure);
      else this.planDeflated();
    }
    this.endResolve();
    if (this.writes.size === 0 && this.pendingBytes > SYNC_TAIL_BYTES) this.flush();
  }

  abort(reason: Error): void {
    this.aborted = true;
    this.endReject(reason);
    this.releaseFlow();
    void this.discard();
  }

  /** True when the plan dropped the object (it is consumed but not written). */
  get wasDropped(): boolean {
    return this.dropped;
  }

  /** Waits for the last byte to be written; the caller then makes the file durable or discards it. */
  async complete(): Promise<ReceivedFile> {
    await this.ended;
    await this.opened;
    while (this.writes.size > 0 || (this.pendingBytes > SYNC_TAIL_BYTES && !this.error)) {
      if (this.writes.size === 0) this.flush();
      await Promise.all([...this.writes]);
    }
    // The small remainder is written at once: a thread-pool round trip would cost more than the write.
    if (this.pendingBytes > 0 && !this.error) this.writeTailSync();
    if (this.error) throw this.error;
    return { tempPath: this.opts.tempPath, size: this.position, datasetSize: this.datasetBytes, handle: this.handle! };
  }

  /** Closes and removes the temporary file (failed or refused objects leave nothing behind). */
  async discard(): Promise<void> {
    this.aborted = true;
    const fh = this.handle;
    this.handle = undefined;
    while (this.writes.size > 0) await Promise.allSettled([...this.writes]);
    if (fh) await fh.close().catch(() => {});
    await unlink(this.opts.tempPath).catch(() => {});
  }

  private plan(scan: ScanResult, failure: string | null): void {
    const held = this.held!;
    this.held = null;
    let decision: HeaderPlan | "drop";
    try {
      decision = this.opts.decide(scan, failure);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (decision === "drop") {
      this.dropped = true;
      return;
    }
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
    let decision: HeaderPlan | "drop";
    try {
      decision = this.opts.decide(scan, s.failure);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (decision === "drop") {
      this.dropped = true;
      return;
    }
    this.queue(decision.prefix);
    if (decision.header === scan.header || decision.header.equals(scan.header)) this.queue(raw);
    else this.queue(deflateRawSync(Buffer.concat([decision.header, inflated.subarray(scan.headerEnd)])));
  }

  private queue(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.coalesce && this.writes.size === 0) this.flush();
    if (!this.paused && this.pendingBytes + this.inflight > this.highWater) {
      this.paused = true;
      this.opts.flow.pause();
    }
  }

  private writeTailSync(): void {
    const bufs = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      const n = writevSync(this.handle!.fd, bufs, this.position);
      if (n !== bytes) throw conduitError("STORE_NO_SPACE", `short write to ${this.opts.tempPath}: ${n} of ${bytes} bytes`);
      this.position += bytes;
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private flush(): void {
    const fh = this.handle;
    if (!fh || this.pendingBytes === 0 || this.error) return;
    const bufs = this.pending;
    const bytes = this.pendingBytes;
    const at = this.position;
    this.pending = [];
    this.pendingBytes = 0;
    this.position += bytes;
    this.inflight += bytes;
    const p = fh
      .writev(bufs, at)
      .then(({ bytesWritten }) => {
        if (bytesWritten !== bytes) {
          throw conduitError("STORE_NO_SPACE", `short write to ${this.opts.tempPath}: ${bytesWritten} of ${bytes} bytes`);
        }
      })
      .catch((err: Error) => this.fail(err))
      .finally(() => {
        this.inflight -= bytes;
        this.writes.delete(p);
        // One write in flight at a time (pwritev on one inode serializes anyway); what arrived meanwhile goes next.
        if (this.pendingBytes >= this.coalesce || (this.endedFlag && this.pendingBytes > SYNC_TAIL_BYTES)) this.flush();
        if (this.paused && this.pendingBytes + this.inflight <= this.highWater / 2) this.releaseFlow();
      });
    this.writes.add(p);
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
