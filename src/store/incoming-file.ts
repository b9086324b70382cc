// A received data set streaming into a temporary Part-10 file: PDV data coalesced into large writes, the socket
// paused while the disk is behind, the header found on the fly. Nothing is buffered whole.
import { writevSync } from "node:fs";
import { open, unlink, type FileHandle } from "node:fs/promises";
import { inflateRawSync } from "node:zlib";
import { conduitError, errorMessage } from "../errors.js";
import { HeaderScanner, type ScanResult } from "../dicom/header-scanner.js";
import type { DataSink, Flow } from "../dimse/message.js";
import type { TransferSyntax } from "../dicom/transfer-syntax.js";

/** A remainder up to this size is written synchronously when the data set ends. */
const SYNC_TAIL_BYTES = 256 * 1024;

export interface IncomingFileOptions {
  tempPath: string;
  /** An already open handle on tempPath (from the storage area's spares). */
  handle?: FileHandle;
  /** Preamble and meta group written before the data set. */
  prefix: Buffer;
  syntax: TransferSyntax;
  flow: Flow;
  /** Bytes gathered before one write is issued. */
  coalesceBytes?: number;
  /** Bytes queued or in flight above which the socket is paused. */
  highWaterBytes?: number;
  /** Largest header kept in memory. */
  headerCap?: number;
}

export interface ReceivedFile {
  tempPath: string;
  /** Bytes of the whole file (prefix + data set). */
  size: number;
  datasetSize: number;
  scan: ScanResult;
  /** Structural problem found while walking the data set, if any. */
  failure: string | null;
  /** Open handle; the caller syncs and closes it. */
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
  private deflated: Buffer[] | null = null;
  private endResolve!: () => void;
  private endReject!: (e: Error) => void;
  private readonly ended: Promise<void>;
  private aborted = false;
  private endedFlag = false;
  private headerWaiters: Array<(scan: ScanResult | null) => void> = [];
  private readonly coalesce: number;
  private readonly highWater: number;

  constructor(private readonly opts: IncomingFileOptions) {
    // One DCMTK PDV (128 KB) per write: data reaches the page cache while the transfer runs, so little is left
    // to write when the last fragment arrives; writes are pipelined, never awaited one by one.
    this.coalesce = opts.coalesceBytes ?? 128 * 1024;
    this.highWater = opts.highWaterBytes ?? 16 * 1024 * 1024;
    const cap = opts.headerCap ?? 16 * 1024 * 1024;
    if (opts.syntax.deflated) {
      this.scanner = null;
      this.deflated = [];
    } else {
      this.scanner = new HeaderScanner(opts.syntax.explicitVR, opts.syntax.littleEndian, cap);
    }
    this.ended = new Promise((res, rej) => {
      this.endResolve = res;
      this.endReject = rej;
    });
    this.ended.catch(() => {});
    this.pending.push(opts.prefix);
    this.pendingBytes = opts.prefix.length;
    const opening = opts.handle ? Promise.resolve(opts.handle) : open(opts.tempPath, "w");
    if (opts.handle) this.handle = opts.handle;
    this.opened = opening.then((fh) => {
      this.handle = fh;
      if (this.aborted) void this.discard();
      else if (this.pendingBytes > 0) this.flush();
      return fh;
    });
    this.opened.catch((err: Error) => this.fail(err));
  }

  write(chunk: Buffer): void {
    if (this.aborted) return;
    this.datasetBytes += chunk.length;
    if (this.scanner && !this.scanner.done) {
      this.scanner.feed(chunk);
      if (this.scanner.done) this.notifyHeader();
    } else if (this.deflated && this.datasetBytes <= 64 * 1024 * 1024) this.deflated.push(Buffer.from(chunk));
    if (this.error) return; // keep consuming the peer's data; the failure is reported at the end
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.coalesce && this.writes.size === 0) this.flush();
    if (!this.paused && this.pendingBytes + this.inflight > this.highWater) {
      this.paused = true;
      this.opts.flow.pause();
    }
  }

  end(): void {
    this.endedFlag = true;
    this.endResolve();
    if (this.writes.size === 0 && this.pendingBytes > SYNC_TAIL_BYTES) this.flush();
    this.notifyHeader();
  }

  /**
   * Resolves with the header as soon as it is complete (usually long before the pixel data has arrived), or
   * null when it can only be known at the end (deflated data sets, headers without pixel data).
   */
  headerReady(): Promise<ScanResult | null> {
    const scan = this.scanner?.scan;
    if (scan && !this.scanner?.failure) return Promise.resolve(scan);
    if (!this.scanner || this.scanner.done) return Promise.resolve(null);
    return new Promise((resolve) => this.headerWaiters.push(resolve));
  }

  private notifyHeader(): void {
    const waiters = this.headerWaiters;
    if (waiters.length === 0) return;
    this.headerWaiters = [];
    const scan = this.scanner?.scan && !this.scanner.failure && this.scanner.scan.pixelDataFound ? this.scanner.scan : null;
    for (const w of waiters) w(scan);
  }

  abort(reason: Error): void {
    this.aborted = true;
    this.notifyHeader();
    this.endReject(reason);
    this.releaseFlow();
    void this.discard();
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
    const scan = this.finishScan();
    return {
      tempPath: this.opts.tempPath,
      size: this.position,
      datasetSize: this.datasetBytes,
      scan: scan.scan,
      failure: scan.failure,
      handle: this.handle!,
    };
  }

  /** Closes and removes the temporary file (failed or refused objects leave nothing behind). */
  async discard(): Promise<void> {
    this.aborted = true;
    const fh = this.handle;
    this.handle = undefined;
    while (this.writes.size > 0) await Promise.allSettled([...this.writes]);
    if (fh) await fh.close().catch(() => {});
    if (fh || !this.error) await unlink(this.opts.tempPath).catch(() => {});
  }

  private finishScan(): { scan: ScanResult; failure: string | null } {
    if (this.scanner) {
      const scan = this.scanner.end();
      return { scan, failure: this.scanner.failure };
    }
    // Deflated data sets (PS3.5 A.5) are walked after inflating; they are small non-image objects in practice.
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(Buffer.concat(this.deflated ?? []), { maxOutputLength: 256 * 1024 * 1024 });
    } catch (err) {
      const scan = { header: Buffer.alloc(0), headerEnd: 0, truncated: false, pixelDataFound: false };
      return { scan, failure: `deflated data set cannot be inflated: ${errorMessage(err)}` };
    }
    const s = new HeaderScanner(true, true);
    s.feed(inflated);
    const scan = s.end();
    return { scan, failure: s.failure };
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
