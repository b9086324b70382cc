// Streaming walk over a data set's element structure (PS3.5 section 7) to find where the header ends:
// the first top-level element at or after (7FE0,0008), i.e. Pixel Data and what follows it.

const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const UNDEFINED = 0xffffffff;
const PIXEL_GROUP_START = 0x7fe00008;

/** Explicit VRs with a 2-byte reserved field and 4-byte length (PS3.5 Table 7.1-1), as two-character codes. */
const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"].map((v) => vrCode(v.charCodeAt(0), v.charCodeAt(1))));
const VR_UN = vrCode(0x55, 0x4e);

/** A VR's two characters as one number: compared without building a string per element. */
function vrCode(a: number, b: number): number {
  return (a << 8) | b;
}

/** Both characters are A-Z (PS3.5 6.2). */
function isVrCode(code: number): boolean {
  const a = code >> 8;
  const b = code & 0xff;
  return a >= 0x41 && a <= 0x5a && b >= 0x41 && b <= 0x5a;
}

export interface ScanResult {
  /** Header bytes: the data set up to the first pixel-data-group element (or the cap). */
  header: Buffer;
  /** Offset in the data set where the header ends. */
  headerEnd: number;
  /** The header was cut at the size cap before any pixel data was seen. */
  truncated: boolean;
  /** Pixel Data (or another 7FE0 element) was found at headerEnd. */
  pixelDataFound: boolean;
}

interface Container {
  /** Contents are implicit VR little endian (inside an undefined-length UN sequence, PS3.5 6.2.2). */
  implicit: boolean;
}

export class HeaderScanner {
  private pos = 0;
  private skip = 0;
  private readonly hdr = Buffer.alloc(12);
  private hdrLen = 0;
  private readonly stack: Container[] = [];
  private lastBoundary = 0;
  private readonly parts: Buffer[] = [];
  private retained = 0;
  private result: ScanResult | null = null;
  private error: string | null = null;

  /**
   * @param full walk the whole data set (to verify it is complete) instead of stopping at the header's end.
   */
  constructor(
    private readonly explicitVR: boolean,
    private readonly littleEndian: boolean,
    private readonly cap = 16 * 1024 * 1024,
    private readonly full = false,
  ) {}

  private found: { headerEnd: number; truncated: boolean; pixelDataFound: boolean } | null = null;

  get done(): boolean {
    return this.result !== null || this.error !== null;
  }

  /** A structural error found while walking (the data set cannot be parsed). */
  get failure(): string | null {
    return this.error;
  }

  feed(chunk: Buffer): void {
    if (this.done) return;
    const startPos = this.pos;
    let off = 0;
    while (off < chunk.length && !this.done) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        this.skip -= n;
        off += n;
        this.pos += n;
        continue;
      }
      if (this.hdrLen === 0 && this.stack.length === 0) {
        this.lastBoundary = this.pos;
      }
      // Gather 8 bytes, then 12 if the explicit VR needs the long form.
      const want = this.headerLength();
      const n = Math.min(want - this.hdrLen, chunk.length - off);
      chunk.copy(this.hdr, this.hdrLen, off, off + n);
      this.hdrLen += n;
      off += n;
      this.pos += n;
      if (this.hdrLen < this.headerLength()) continue;
      this.element();
    }
    this.retain(chunk, startPos, off);
    if (this.full) return;
    if (!this.done && this.retained > this.cap) {
      this.finish(this.lastBoundary, true, false);
    }
  }

  /** End of the data set: whatever was seen is the header. */
  end(): ScanResult {
    if (this.result) return this.result;
    if (!this.error && (this.hdrLen > 0 || this.skip > 0)) {
      this.error = `data set ends inside an element at offset ${this.pos - this.hdrLen} (${this.skip} value bytes missing)`;
    } else if (!this.error && this.stack.length > 0) {
      this.error = `data set ends inside ${this.stack.length} undefined-length sequence(s) or item(s)`;
    }
    const f = this.found;
    if (f) this.finish(f.headerEnd, f.truncated, f.pixelDataFound);
    else this.finish(this.error ? this.lastBoundary : this.pos, false, false);
    return this.result!;
  }

  get scan(): ScanResult | null {
    return this.result;
  }

  private implicitHere(): boolean {
    return !this.explicitVR || (this.stack.length > 0 && this.stack[this.stack.length - 1]!.implicit);
  }

  private headerLength(): number {
    if (this.hdrLen < 8) return 8;
    const tag = this.tag();
    if (tag === ITEM || tag === ITEM_DELIMITATION || tag === SEQUENCE_DELIMITATION || this.implicitHere()) return 8;
    return LONG_VRS.has(this.vrCode()) ? 12 : 8;
  }

  private tag(): number {
    const le = this.littleEndian || this.implicitHere();
    const g = le ? this.hdr.readUInt16LE(0) : this.hdr.readUInt16BE(0);
    const e = le ? this.hdr.readUInt16LE(2) : this.hdr.readUInt16BE(2);
    return ((g << 16) | e) >>> 0;
  }

  private vrCode(): number {
    return vrCode(this.hdr[4]!, this.hdr[5]!);
  }

  private element(): void {
    const tag = this.tag();
    const le = this.littleEndian || this.implicitHere();
    const start = this.pos - this.hdrLen;
    this.hdrLen = 0;
    const top = this.stack.length === 0;
    if (top && tag >= PIXEL_GROUP_START && tag !== ITEM && tag !== ITEM_DELIMITATION && tag !== SEQUENCE_DELIMITATION) {
      if (!this.full) {
        this.finish(start, false, true);
        return;
      }
      this.found ??= { headerEnd: start, truncated: false, pixelDataFound: true };
    }
    let length: number;
    let vr = 0;
    if (tag === ITEM || tag === ITEM_DELIMITATION || tag === SEQUENCE_DELIMITATION || this.implicitHere()) {
      length = le ? this.hdr.readUInt32LE(4) : this.hdr.readUInt32BE(4);
    } else {
      vr = this.vrCode();
      if (!isVrCode(vr)) {
        const text = String.fromCharCode(vr >> 8, vr & 0xff);
        this.error = `invalid VR "${text.replace(/[^\x20-\x7e]/g, "?")}" at offset ${start}`;
        return;
      }
      length = LONG_VRS.has(vr) ? (le ? this.hdr.readUInt32LE(8) : this.hdr.readUInt32BE(8)) : le ? this.hdr.readUInt16LE(6) : this.hdr.readUInt16BE(6);
    }
    if (tag === ITEM_DELIMITATION || tag === SEQUENCE_DELIMITATION) {
      if (this.stack.length === 0) {
        this.error = `delimiter (FFFE,${(tag & 0xffff).toString(16).toUpperCase()}) at top level, offset ${start}`;
        return;
      }
      this.stack.pop();
      return;
    }
    if (length !== UNDEFINED) {
      this.skip = length;
      return;
    }
    if (tag === ITEM) {
      if (this.stack.length === 0) {
        this.error = `item tag at top level, offset ${start}`;
        return;
      }
      this.stack.push({ implicit: this.implicitHere() });
      return;
    }
    // An undefined-length element opens a sequence (or encapsulated fragments, walked the same way).
    this.stack.push({ implicit: this.implicitHere() || vr === VR_UN });
  }

  private retain(chunk: Buffer, startPos: number, consumed: number): void {
    const limit = this.found?.headerEnd ?? this.result?.headerEnd ?? Number.POSITIVE_INFINITY;
    const end = Math.min(startPos + consumed, limit);
    if (end > startPos && this.retained < this.cap) {
      this.parts.push(Buffer.from(chunk.subarray(0, end - startPos)));
      this.retained += end - startPos;
    }
    if (this.result && this.result.header.length === 0 && this.result.headerEnd > 0) {
      this.result.header = Buffer.concat(this.parts).subarray(0, this.result.headerEnd);
    }
  }

  private finish(headerEnd: number, truncated: boolean, pixelDataFound: boolean): void {
    this.result = { header: Buffer.alloc(0), headerEnd, truncated, pixelDataFound };
    if (this.retained >= headerEnd) {
      this.result.header = Buffer.concat(this.parts).subarray(0, headerEnd);
    }
  }
}
