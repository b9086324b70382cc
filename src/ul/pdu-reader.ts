// Frames PDUs out of the TCP byte stream (PS3.8 9.3.1). P-DATA-TF PDUs are not assembled: their PDV items are
// parsed as bytes arrive and data is handed on as views of the socket's chunks, so nothing is copied.
import { conduitError } from "../errors.js";
import { PduType, PDU_HEADER_LENGTH, pduName } from "./pdu.js";

export interface PduReaderLimits {
  /** Largest P-DATA-TF body accepted: our Maximum Length Received (0 = unlimited). */
  maxPDataLength: number;
  /** Largest body of any other PDU. */
  maxOtherLength: number;
}

export interface PduHandlers {
  /** A complete PDU other than P-DATA-TF. */
  pdu(type: number, body: Buffer): void;
  /** A P-DATA-TF PDU starts (PS3.8 Evt10); its PDVs follow as fragments. */
  pDataStart(length: number): void;
  /** Part of one PDV's data; `pdvEnd` on its last part (the message control header applies then). */
  pdvFragment(contextId: number, mch: number, data: Buffer, pdvEnd: boolean): void;
}

export class PduReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private pendingType = -1;
  private pendingLength = -1;
  // P-DATA-TF streaming state
  private pduLeft = 0;
  private pdvLeft = 0;
  private pdvContext = 0;
  private pdvMch = 0;
  private paused = false;
  private stopped = false;

  constructor(
    private readonly limits: PduReaderLimits,
    private readonly on: PduHandlers,
  ) {}

  /** True while a PDU has started arriving but is not complete. */
  get midPdu(): boolean {
    return this.buffered > 0 || this.pendingLength >= 0 || this.pduLeft > 0;
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
      if (this.pduLeft > 0) {
        if (!this.pumpPData()) return;
        continue;
      }
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
        if (type === PduType.PDataTF) {
          if (length < 6) {
            this.stopped = true;
            throw conduitError("UL_PDU_MALFORMED", `P-DATA-TF of ${length} bytes cannot hold a PDV item`);
          }
          this.pduLeft = length;
          this.pdvLeft = 0;
          this.on.pDataStart(length);
          continue;
        }
        this.pendingType = type;
        this.pendingLength = length;
      }
      if (this.buffered < this.pendingLength) return;
      const body = this.take(this.pendingLength);
      const type = this.pendingType;
      this.pendingType = -1;
      this.pendingLength = -1;
      this.on.pdu(type, body);
    }
  }

  /** Advances through the current P-DATA-TF; returns false when more bytes are needed. */
  private pumpPData(): boolean {
    if (this.pdvLeft === 0) {
      if (this.buffered < 6) return false;
      const h = this.take(6);
      const len = h.readUInt32BE(0);
      if (len < 2 || len + 4 > this.pduLeft) {
        this.stopped = true;
        throw conduitError("UL_PDU_MALFORMED", `P-DATA-TF: PDV item length ${len} does not fit the ${this.pduLeft} bytes left in the PDU`);
      }
      this.pdvContext = h[4]!;
      this.pdvMch = h[5]!;
      if (this.pdvContext % 2 === 0) {
        this.stopped = true;
        throw conduitError("UL_PDU_MALFORMED", `P-DATA-TF: presentation context ID ${this.pdvContext} is even (PS3.8 9.3.2.2)`);
      }
      this.pduLeft -= 6;
      this.pdvLeft = len - 2;
      if (this.pdvLeft === 0) {
        this.on.pdvFragment(this.pdvContext, this.pdvMch, Buffer.alloc(0), true);
        return true;
      }
    }
    if (this.buffered === 0) return false;
    const first = this.chunks[0]!;
    const n = Math.min(first.length, this.pdvLeft);
    const data = first.length === n ? first : first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    this.pdvLeft -= n;
    this.pduLeft -= n;
    this.on.pdvFragment(this.pdvContext, this.pdvMch, data, this.pdvLeft === 0);
    return true;
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
