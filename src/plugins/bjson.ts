// A writer (and a string reader) for QuickJS's binary object format, the one JS_ReadObject decodes in C: a plain
// value crosses into a plugin context without JSON text being parsed by bytecode in the sandbox. Only plain
// data is written (objects, arrays, strings, numbers, booleans, null). transfer.ts proves the format against
// the running QuickJS before any of this is used.

/** Plain data; a Map stands for an object whose keys are its keys (insertion order kept). */
export type PlainValue = string | number | boolean | null | PlainValue[] | Map<string, PlainValue> | { [key: string]: PlainValue };

/** Tags of the format (quickjs.c BC_TAG_*). */
const TAG = { null: 1, undefined: 2, false: 3, true: 4, int32: 5, float64: 6, string: 7, object: 8, array: 9 } as const;

export interface BjsonFormat {
  /** First byte: the format version. */
  version: number;
  /** Index the first atom of the atom table is written as. */
  firstAtom: number;
}

const NARROW = /^[\u0000-\u00ff]*$/;
/** Strings up to this length are copied by a loop; longer ones by Buffer.write. */
const SHORT_TEXT = 128;

/** A growable byte buffer with the format's primitive writers. */
class Bytes {
  buf = Buffer.allocUnsafe(4096);
  at = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  leb(n: number): void {
    this.room(5);
    let v = n >>> 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v) b |= 0x80;
      this.buf[this.at++] = b;
    } while (v);
  }

  /** A string body: length*2 + wide flag, then Latin-1 or UTF-16LE code units. */
  text(s: string): void {
    const n = s.length;
    if (n > SHORT_TEXT) {
      const wide = !NARROW.test(s);
      this.leb(n * 2 + (wide ? 1 : 0));
      this.room(n * 2);
      this.at += this.buf.write(s, this.at, wide ? "utf16le" : "latin1");
      return;
    }
    // Short strings: one optimistic Latin-1 pass (a native call per string costs more); rewritten if wide.
    const mark = this.at;
    this.leb(n * 2);
    this.room(n * 2);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) {
        this.at = mark;
        this.leb(n * 2 + 1);
        this.at += buf.write(s, this.at, "utf16le");
        return;
      }
      buf[at++] = c;
    }
    this.at = at;
  }

  float(n: number): void {
    this.room(8);
    this.buf.writeDoubleLE(n, this.at);
    this.at += 8;
  }
}

const isInt32 = (n: number) => Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff && !Object.is(n, -0);

// Scratch space reused by every encoding (synchronous, never re-entered): the hot path allocates only the
// result. Atom indexes live in one Map across encodings, offset by a per-encoding base, so it is never cleared.
const body = new Bytes();
const head = new Bytes();
const atoms = new Map<string, number>();
const order: string[] = [];
const GENERATION = 2 ** 20;
let base = 0;
let firstAtom = 0;

/** A streaming writer for one encoding: begin, then values (objects and arrays announce their length), finish. */
export const writer = {
  begin(format: BjsonFormat): void {
    base += GENERATION;
    if (base > 2 ** 50 || atoms.size > 50_000) {
      atoms.clear();
      base = GENERATION;
    }
    order.length = 0;
    body.at = 0;
    head.at = 0;
    head.byte(format.version);
    firstAtom = format.firstAtom;
  },
  object(count: number): void {
    body.byte(TAG.object);
    body.leb(count);
  },
  array(count: number): void {
    body.byte(TAG.array);
    body.leb(count);
  },
  key(k: string): void {
    const seen = atoms.get(k);
    let idx: number;
    if (seen !== undefined && seen >= base) idx = seen - base;
    else {
      idx = order.length;
      order.push(k);
      atoms.set(k, base + idx);
    }
    body.leb((idx + firstAtom) << 1);
  },
  string(v: string): void {
    body.byte(TAG.string);
    body.text(v);
  },
  number(v: number): void {
    if (isInt32(v)) {
      body.byte(TAG.int32);
      body.leb(((v << 1) ^ (v >> 31)) >>> 0);
    } else {
      body.byte(TAG.float64);
      body.float(v);
    }
  },
  null(): void {
    body.byte(TAG.null);
  },
  /** undefined: only the binary format has it (JSON text leaves such properties out). */
  undefined(): void {
    body.byte(TAG.undefined);
  },
  value(v: PlainValue): void {
    if (typeof v === "string") writer.string(v);
    else if (typeof v === "number") writer.number(v);
    else if (v === null) body.byte(TAG.null);
    else if (v === true) body.byte(TAG.true);
    else if (v === false) body.byte(TAG.false);
    else if (Array.isArray(v)) {
      writer.array(v.length);
      for (let i = 0; i < v.length; i++) writer.value(v[i]!);
    } else if (v instanceof Map) {
      writer.object(v.size);
      for (const [k, item] of v) {
        writer.key(k);
        writer.value(item);
      }
    } else {
      const keys = Object.keys(v);
      writer.object(keys.length);
      for (let i = 0; i < keys.length; i++) {
        writer.key(keys[i]!);
        writer.value(v[keys[i]!]!);
      }
    }
  },
  /** The encoding: version, atom table (keys in first-use order), then the value written. */
  finish(): ArrayBuffer {
    head.leb(order.length);
    for (const k of order) head.text(k);
    // An unpooled Buffer owns exactly its ArrayBuffer, allocated without zero-filling.
    const view = Buffer.allocUnsafeSlow(head.at + body.at);
    head.buf.copy(view, 0, 0, head.at);
    body.buf.copy(view, head.at, 0, body.at);
    return view.buffer as ArrayBuffer;
  },
};

/** Encodes a plain value as one top-level object. */
export function encodePlain(format: BjsonFormat, value: PlainValue): ArrayBuffer {
  writer.begin(format);
  writer.value(value);
  return writer.finish();
}

/** Maps (keyword → value, built faster than wide objects) become plain objects in JSON text. */
export function plainJson(value: PlainValue): string {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v));
}

/** Encodes a top-level string (no atoms). */
export function encodeString(format: BjsonFormat, s: string): ArrayBuffer {
  const b = new Bytes();
  b.byte(format.version);
  b.leb(0);
  b.byte(TAG.string);
  b.text(s);
  const out = new ArrayBuffer(b.at);
  b.buf.copy(Buffer.from(out), 0, 0, b.at);
  return out;
}

/** Reads a top-level string written by QuickJS; undefined when the bytes are anything else. */
export function decodeString(format: BjsonFormat, bytes: Uint8Array): string | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4 || buf[0] !== format.version || buf[1] !== 0 || buf[2] !== TAG.string) return undefined;
  let header = 0;
  let i = 3;
  for (let shift = 0; i < buf.length && shift < 35; shift += 7) {
    const b = buf[i++]!;
    header += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) break;
  }
  const wide = header % 2 === 1;
  const end = i + Math.floor(header / 2) * (wide ? 2 : 1);
  if (end !== buf.length) return undefined;
  return buf.toString(wide ? "utf16le" : "latin1", i, end);
}
