// A parsed data set (dcmjs's DICOM-JSON-like dictionary) with typed accessors by tag or keyword.
import { inflateRawSync } from "node:zlib";
import type { DcmjsDict, DcmjsElement } from "dcmjs";
import { conduitError, errorMessage } from "../errors.js";
import { parseTag, tagToHex } from "./dictionary.js";
import { parseDataSet, type JsonDataSet } from "./dataset-parser.js";
import { encodeDataSet, spliceHeader } from "./dataset-writer.js";
import { charsetEncoder } from "./charset.js";
import { encodingOf } from "./transfer-syntax.js";

export type TagRef = number | string;

function key(ref: TagRef): string {
  if (typeof ref === "number") return tagToHex(ref);
  const t = parseTag(ref);
  if (t === undefined) throw conduitError("DICOM_PARSE", `unknown attribute "${ref}": expected a keyword or (gggg,eeee)`);
  return tagToHex(t);
}

/** Where a parsed header came from: its bytes and each top-level element's range, for byte-preserving edits. */
export interface DataSetSource {
  bytes: Buffer;
  offsets: Map<string, [number, number]>;
  transferSyntaxUid: string;
}

export class DataSet {
  /** Top-level keys changed since parsing (set, removed, or edited inside a sequence). */
  readonly dirty = new Set<string>();
  source?: DataSetSource;

  constructor(readonly dict: DcmjsDict = {}) {}

  /**
   * Parses data set bytes (no meta group) in the given transfer syntax, stopping before Pixel Data.
   * Deflated bytes are inflated first (PS3.5 A.5).
   */
  static parse(bytes: Buffer, transferSyntaxUid: string, options: { inflated?: boolean } = {}): DataSet {
    const ts = encodingOf(transferSyntaxUid);
    let data = bytes;
    if (ts.deflated && !options.inflated) {
      try {
        data = inflateRawSync(bytes, { maxOutputLength: 256 * 1024 * 1024 });
      } catch (err) {
        throw conduitError("DICOM_PARSE", `deflated data set cannot be inflated: ${errorMessage(err)}`);
      }
    }
    const offsets = new Map<string, [number, number]>();
    const ds = new DataSet(parseDataSet(data, { explicitVR: ts.explicitVR, littleEndian: ts.littleEndian, offsets }) as DcmjsDict);
    ds.source = { bytes: data, offsets, transferSyntaxUid };
    return ds;
  }

  /** The header bytes after edits: untouched elements byte for byte, changed ones re-encoded (PS3.5 7). */
  encode(transferSyntaxUid?: string): Buffer {
    const ts = encodingOf(transferSyntaxUid ?? this.source?.transferSyntaxUid ?? "1.2.840.10008.1.2.1");
    const enc = { explicitVR: ts.explicitVR, littleEndian: ts.littleEndian, text: charsetEncoder(this.strings("SpecificCharacterSet")) };
    const src = this.source;
    if (src && (!transferSyntaxUid || transferSyntaxUid === src.transferSyntaxUid)) {
      if (this.dirty.size === 0) return src.bytes;
      return spliceHeader(src.bytes, src.offsets, this.dict as JsonDataSet, this.dirty, enc);
    }
    return encodeDataSet(this.dict as JsonDataSet, enc);
  }

  /** Marks a top-level attribute changed (after an edit inside its sequence items). */
  touch(ref: TagRef): void {
    this.dirty.add(key(ref));
  }

  has(ref: TagRef): boolean {
    return key(ref) in this.dict;
  }

  element(ref: TagRef): DcmjsElement | undefined {
    return this.dict[key(ref)];
  }

  vr(ref: TagRef): string | undefined {
    return this.element(ref)?.vr;
  }

  values(ref: TagRef): unknown[] {
    return this.element(ref)?.Value ?? [];
  }

  /** All values as strings; person names as their alphabetic group (PS3.18 F.2.2). */
  strings(ref: TagRef): string[] {
    return this.values(ref).map(valueToString);
  }

  /** First value as a string, or undefined when absent or empty. */
  string(ref: TagRef): string | undefined {
    const v = this.values(ref);
    if (v.length === 0) return undefined;
    const s = valueToString(v[0]);
    return s === "" ? undefined : s;
  }

  /** Multi-valued as the DICOM backslash-joined text. */
  text(ref: TagRef): string | undefined {
    const v = this.strings(ref);
    return v.length === 0 ? undefined : v.join("\\");
  }

  number(ref: TagRef): number | undefined {
    const v = this.values(ref)[0];
    if (v === undefined || v === null || v === "") return undefined;
    const n = typeof v === "number" ? v : Number(v);
    return Number.isFinite(n) ? n : undefined;
  }

  items(ref: TagRef): DataSet[] {
    const el = this.element(ref);
    if (!el || el.vr !== "SQ") return [];
    return (el.Value ?? []).map((item) => new DataSet((item ?? {}) as DcmjsDict));
  }

  set(ref: TagRef, vr: string, values: unknown[]): void {
    const k = key(ref);
    this.dict[k] = values.length ? { vr, Value: values } : { vr };
    this.dirty.add(k);
  }

  remove(ref: TagRef): boolean {
    const k = key(ref);
    if (!(k in this.dict)) return false;
    delete this.dict[k];
    this.dirty.add(k);
    return true;
  }

  tags(): number[] {
    return Object.keys(this.dict).map((k) => parseInt(k, 16) >>> 0).sort((a, b) => a - b);
  }
}

export function valueToString(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  if (typeof v === "object" && "Alphabetic" in (v as Record<string, unknown>)) {
    return String((v as Record<string, unknown>).Alphabetic ?? "");
  }
  return String(v);
}
