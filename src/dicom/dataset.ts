// A parsed data set (dcmjs's DICOM-JSON-like dictionary) with typed accessors by tag or keyword.
import { inflateRawSync } from "node:zlib";
import type { DcmjsDict, DcmjsElement } from "dcmjs";
import { conduitError, errorMessage } from "../errors.js";
import { parseTag, tagToHex } from "./dictionary.js";
import { parseDataSet } from "./dataset-parser.js";
import { encodingOf } from "./transfer-syntax.js";

export type TagRef = number | string;

function key(ref: TagRef): string {
  if (typeof ref === "number") return tagToHex(ref);
  const t = parseTag(ref);
  if (t === undefined) throw conduitError("DICOM_PARSE", `unknown attribute "${ref}": expected a keyword or (gggg,eeee)`);
  return tagToHex(t);
}

export class DataSet {
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
    return new DataSet(parseDataSet(data, { explicitVR: ts.explicitVR, littleEndian: ts.littleEndian }) as DcmjsDict);
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
    this.dict[key(ref)] = { vr, Value: values };
  }

  remove(ref: TagRef): boolean {
    const k = key(ref);
    if (!(k in this.dict)) return false;
    delete this.dict[k];
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
