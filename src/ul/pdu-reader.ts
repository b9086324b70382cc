// Frames PDUs out of the TCP byte stream (PS3.8 9.3.1), without copying when a PDU lies in one chunk.
import { conduitError } from "../errors.js";
import { PduType, PDU_HEADER_LENGTH, pduName } from "./pdu.js";

export interface PduReaderLimits {
  /** Largest P-DATA-TF body accepted: our Maximum Length Received (0 = unlimited). */
  maxPDataLength: number;
  /** Largest body of any other PDU. */
  maxOtherLength: number;
}

export type PduHandler = (type: number, body: Buffer) => void;

export class PduReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private pendingType = -1;
  private pendingLength = -1;
  private paused = false;
  private stopped = false;

  constructor(
    private readonly limits: PduReaderLimits,
    private readonly onPdu: PduHandler,
  ) {}

  /** Bytes received but not yet delivered. */
  get backlog(): number {
    return this.buffered;
  }

  /** True while a PDU has started arriving but is not complete. */
  get midPdu(): boolean {
    return this.buffered > 0 || this.pendingLength >= 0;
  }

  feed(chunk: Buffer): void {
    if (this.stopped) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.pump();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.chunks = [];
    this.buffered = 0;
  }

  private pump(): void {
    while (!this.paused && !this.stopped) {
      if (this.pendingLength < 0) {
        if (this.buffered < PDU_HEADER_LENGTH) return;
        const h = this.take(PDU_HEADER_LENGTH);
        const type = h[0]!;
        const length = h.readUInt32BE(2);
        if (type < PduType.AssociateRQ || type > PduType.Abort) {
          this.stopped = true;
          throw conduitError("UL_PDU_UNRECOGNIZED", `received PDU type 0x${type.toString(16).padStart(2, "0")}, expected 0x01-0x07`, {
            pduType: type,
          });
        }
        const limit = type === PduType.PDataTF ? this.limits.maxPDataLength : this.limits.maxOtherLength;
        if (limit > 0 && length > limit) {
          this.stopped = true;
          throw conduitError("UL_PDU_TOO_LARGE", `${pduName(type)} announces ${length} bytes, limit is ${limit}`, {
            pduType: type,
            length,
            limit,
          });
        }
        this.pendingType = type;
        this.pendingLength = length;
      }
      if (this.buffered < this.pendingLength) return;
      const body = this.take(this.pendingLength);
      const type = this.pendingType;
      this.pendingType = -1;
      this.pendingLength = -1;
      this.onPdu(type, body);
    }
  }

  private take(n: number): Buffer {
    this.buffered -= n;
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}
