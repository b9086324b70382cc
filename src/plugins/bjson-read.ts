// A reader for QuickJS's binary object format (bjson.ts writes it): decisions leave the sandbox through
// JS_WriteObject in C instead of JSON.stringify run as sandbox code (7-9 us for a 3-field decision here, about
// twice this way). It yields what JSON.stringify then JSON.parse would: undefined properties dropped, undefined
// array items and non-finite numbers null, -0 as 0. Anything JSON would treat specially (dates, boxed values,
// BigInts, typed arrays, functions, getters, proxies) is UNSUPPORTED: the caller asks the sandbox for JSON text
// instead. One difference remains: a toJSON method a class instance inherits is not called.
import type { BjsonFormat } from "./bjson.js";

/** The bytes hold something only JSON text can represent faithfully. */
export const UNSUPPORTED: unique symbol = Symbol("unsupported");

/** Tags of the format (quickjs.c BC_TAG_*) this reader accepts. */
const TAG = { null: 1, undefined: 2, false: 3, true: 4, int32: 5, float64: 6, string: 7, object: 8, array: 9 } as const;

class Unsupported extends Error {}

/** One decoding: the buffer, a position, the atom table. */
class Reader {
  at = 0;
  readonly atoms: string[] = [];

  constructor(
    private readonly buf: Buffer,
    private readonly firstAtom: number,
  ) {}

  byte(): number {
    if (this.at >= this.buf.length) throw new Unsupported();
    return this.buf[this.at++]!;
  }

  leb(): number {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return v;
    }
    throw new Unsupported();
  }

  /** A string body: length*2 + wide flag, then Latin-1 or UTF-16LE code units. */
  text(): string {
    const header = this.leb();
    const wide = header % 2 === 1;
    const end = this.at + Math.floor(header / 2) * (wide ? 2 : 1);
    if (end > this.buf.length) throw new Unsupported();
    const s = this.buf.toString(wide ? "utf16le" : "latin1", this.at, end);
    this.at = end;
    return s;
  }

  /** A property key: an atom of the table, or a tagged integer. */
  key(): string {
    const v = this.leb();
    if (v % 2 === 1) return String(Math.floor(v / 2));
    const k = this.atoms[v / 2 - this.firstAtom];
    if (k === undefined) throw new Unsupported();
    return k;
  }

  value(): unknown {
    switch (this.byte()) {
      case TAG.null:
        return null;
      case TAG.undefined:
        return undefined;
      case TAG.false:
        return false;
      case TAG.true:
        return true;
      case TAG.int32: {
        const z = this.leb();
        return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
      }
      case TAG.float64: {
        if (this.at + 8 > this.buf.length) throw new Unsupported();
        const n = this.buf.readDoubleLE(this.at);
        this.at += 8;
        return Number.isFinite(n) ? n + 0 : null;
      }
      case TAG.string:
        return this.text();
      case TAG.object:
        return this.object();
      case TAG.array: {
        const n = this.leb();
        const out: unknown[] = [];
        for (let i = 0; i < n; i++) out.push(this.value() ?? null);
        return out;
      }
      default:
        throw new Unsupported();
    }
  }

  private object(): Record<string, unknown> {
    const n = this.leb();
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = this.key();
      const v = this.value();
      if (v === undefined) continue;
      // As JSON.parse does, "__proto__" becomes an own property (assignment would set the prototype).
      if (k === "__proto__") Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      else out[k] = v;
    }
    return out;
  }
}

/** Decodes one value written by QuickJS (version, atom table, value); UNSUPPORTED when JSON must decide. */
export function decodePlain(format: BjsonFormat, bytes: Uint8Array): unknown {
  const r = new Reader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), format.firstAtom);
  try {
    if (r.byte() !== format.version) return UNSUPPORTED;
    const count = r.leb();
    for (let i = 0; i < count; i++) r.atoms.push(r.text());
    const v = r.value();
    return r.at === bytes.byteLength ? v : UNSUPPORTED;
  } catch (err) {
    if (err instanceof Unsupported) return UNSUPPORTED;
    throw err;
  }
}
