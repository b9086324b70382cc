// Bounds-checked big-endian cursor and writer for PDU fields (PS3.8 9.3.1: PDU fields are big endian).
import { conduitError } from "../errors.js";

export class PduCursor {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
    readonly what: string,
  ) {
    this.pos = start;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  need(n: number, field: string): void {
    if (this.pos + n > this.end) {
      throw conduitError(
        "UL_PDU_MALFORMED",
        `${this.what}: ${field} needs ${n} bytes at offset ${this.pos}, only ${this.end - this.pos} remain`,
        { field, offset: this.pos },
      );
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  bytes(n: number, field: string): Buffer {
    this.need(n, field);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  skip(n: number, field: string): void {
    this.need(n, field);
    this.pos += n;
  }

  /** A UID field: ASCII, trailing NUL or space padding removed (PS3.8 9.3.2.2). */
  uid(n: number, field: string): string {
    return trimUid(this.bytes(n, field).toString("latin1"));
  }

  /** Sub-cursor over the next n bytes. */
  sub(n: number, what: string): PduCursor {
    this.need(n, what);
    const c = new PduCursor(this.buf, this.pos, this.pos + n, what);
    this.pos += n;
    return c;
  }
}

export function trimUid(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0 || s.charCodeAt(end - 1) === 0x20)) end--;
  return s.slice(0, end);
}

/** Growable big-endian writer used to build PDUs. */
export class PduWriter {
  private buf: Buffer;
  length = 0;

  constructor(initial = 512) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.length);
    this.length += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.length);
    this.length += 4;
    return this;
  }

  bytes(b: Buffer | Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  ascii(s: string): this {
    return this.bytes(Buffer.from(s, "latin1"));
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
    return this;
  }

  /** Reserves a length field of `width` bytes; returns a function that fills it with the bytes written since. */
  lengthField(width: 2 | 4): () => void {
    const at = this.length;
    if (width === 2) this.u16(0);
    else this.u32(0);
    const start = this.length;
    return () => {
      const n = this.length - start;
      if (width === 2) this.buf.writeUInt16BE(n, at);
      else this.buf.writeUInt32BE(n, at);
    };
  }

  toBuffer(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/** AE title field: 16 bytes, space padded (PS3.8 9.3.2; PS3.5 6.2 AE). */
export function aeField(ae: string): Buffer {
  const b = Buffer.alloc(16, 0x20);
  b.write(ae.slice(0, 16), 0, "latin1");
  return b;
}

export function parseAE(b: Buffer): string {
  return b.toString("latin1").replace(/\0/g, " ").trim();
}
