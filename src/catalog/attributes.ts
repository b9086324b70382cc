// Which attributes the catalog keeps at each level (PS3.4 C.6.1.1 / C.6.2.1 keys), and how values become columns.
import type { DcmjsDict, DcmjsElement } from "dcmjs";
import { valueToString, type DataSet } from "../dicom/dataset.js";
import { lookupKeyword, tagToHex } from "../dicom/dictionary.js";

/** A level column: named after its DICOM keyword, read from the data set by its tag. */
export interface LevelColumn {
  readonly keyword: string;
  /** Key in the dcmjs dictionary: 8 uppercase hex digits. */
  readonly hex: string;
}

function columns(keywords: readonly string[]): readonly LevelColumn[] {
  return keywords.map((keyword) => {
    const entry = lookupKeyword(keyword);
    if (!entry) throw new Error(`catalog column ${keyword} is not a PS3.6 keyword`);
    return { keyword, hex: tagToHex(entry.tag) };
  });
}

// PS3.4 C.6.1.1.2 Patient level (plus IssuerOfPatientID, part of the patient key with PatientID).
export const PATIENT_COLUMNS = columns([
  "PatientID",
  "IssuerOfPatientID",
  "PatientName",
  "PatientBirthDate",
  "PatientBirthTime",
  "PatientSex",
  "OtherPatientIDs",
]);

// PS3.4 C.6.1.1.3 / C.6.2.1.2 Study level.
export const STUDY_COLUMNS = columns([
  "StudyInstanceUID",
  "StudyDate",
  "StudyTime",
  "AccessionNumber",
  "StudyID",
  "StudyDescription",
  "ReferringPhysicianName",
  "PatientAge",
  "PatientSize",
  "PatientWeight",
  "InstitutionName",
]);

// PS3.4 C.6.1.1.4 Series level.
export const SERIES_COLUMNS = columns([
  "SeriesInstanceUID",
  "Modality",
  "SeriesNumber",
  "SeriesDescription",
  "SeriesDate",
  "SeriesTime",
  "BodyPartExamined",
  "PerformedProcedureStepStartDate",
  "PerformedProcedureStepStartTime",
  "StationName",
]);

// PS3.4 C.6.1.1.5 Composite Object Instance level.
export const INSTANCE_COLUMNS = columns([
  "SOPInstanceUID",
  "SOPClassUID",
  "InstanceNumber",
  "ContentDate",
  "ContentTime",
  "NumberOfFrames",
  "Rows",
  "Columns",
]);

export type ColumnValue = string | null;

/**
 * Column text of one element: values joined with "\" (PS3.5 6.4), person names as their alphabetic group
 * (PS3.18 F.2.2), absent or empty as null. Numeric VRs are bound as text; the column affinity converts them.
 */
export function columnValue(dict: DcmjsDict, hex: string): ColumnValue {
  const values = dict[hex]?.Value;
  if (!values || values.length === 0) return null;
  const text = values.length === 1 ? valueToString(values[0]) : values.map(valueToString).join("\\");
  return text === "" ? null : text;
}

/** Fills params[keyword] for each column from the data set; reuses the given object to spare allocations. */
export function fillLevel(params: Record<string, unknown>, dict: DcmjsDict, cols: readonly LevelColumn[]): void {
  for (const c of cols) params[c.keyword] = columnValue(dict, c.hex);
}

// PS3.5 6.2: VRs holding raw bytes; values above this size are bulk data and stay out of the catalog.
const BULK_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "UN"]);
export const MAX_INLINE_BINARY = 1024;

function binaryParts(values: readonly unknown[]): Buffer[] {
  const out: Buffer[] = [];
  for (const v of values) {
    if (v instanceof ArrayBuffer) out.push(Buffer.from(v));
    else if (ArrayBuffer.isView(v)) out.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  }
  return out;
}

/** Binary value as it goes into DICOM JSON, or undefined when it is bulk data left out. */
function inlineBinary(el: DcmjsElement): { vr: string; InlineBinary?: string } | undefined {
  if (typeof el.InlineBinary === "string") {
    return Math.floor((el.InlineBinary.length * 3) / 4) <= MAX_INLINE_BINARY ? { vr: el.vr, InlineBinary: el.InlineBinary } : undefined;
  }
  const parts = binaryParts(el.Value ?? []);
  const size = parts.reduce((n, b) => n + b.length, 0);
  if (size > MAX_INLINE_BINARY) return undefined;
  return size === 0 ? { vr: el.vr } : { vr: el.vr, InlineBinary: Buffer.concat(parts).toString("base64") };
}

/**
 * The header as DICOM JSON (PS3.18 F.2): dcmjs internals (_rawValue, accessors) dropped, binaries of at most
 * 1024 bytes as InlineBinary (PS3.18 F.2.7), larger ones (pixel data, icons, private blobs) left out, at any depth.
 */
export function cleanAttributes(dict: DcmjsDict): Record<string, unknown> {
  return JSON.parse(dictJson(dict)) as Record<string, unknown>;
}

/** attrs column text: the cleaned header as JSON, written directly (no intermediate object: this is the hot path). */
export function attributesJson(ds: DataSet): string {
  return dictJson(ds.dict);
}

/** One value as JSON: strings and numbers written directly, person names and others by JSON.stringify. */
function valueJson(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  return JSON.stringify(v) ?? "null";
}

function valuesJson(values: readonly unknown[]): string {
  let out = "[";
  for (let i = 0; i < values.length; i++) out += (i === 0 ? "" : ",") + valueJson(values[i]);
  return out + "]";
}

/** 8 hex digits: a dcmjs attribute key (anything else in the dictionary is not an attribute). */
function isTagKey(key: string): boolean {
  if (key.length !== 8) return false;
  for (let i = 0; i < 8; i++) {
    const c = key.charCodeAt(i) | 0x20; // lower-cases A-F
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

function dictJson(dict: DcmjsDict): string {
  let out = "{";
  for (const tag in dict) {
    if (!isTagKey(tag)) continue;
    const el = dict[tag];
    if (!el || typeof el !== "object" || typeof el.vr !== "string") continue;
    let body: string;
    if (BULK_VRS.has(el.vr)) {
      const bin = inlineBinary(el);
      if (!bin) continue;
      body = JSON.stringify(bin);
    } else {
      const values = el.Value;
      const vr = JSON.stringify(el.vr);
      if (!values || values.length === 0) body = `{"vr":${vr}}`;
      else if (el.vr === "SQ") body = `{"vr":"SQ","Value":[${values.map((item) => dictJson((item ?? {}) as DcmjsDict)).join(",")}]}`;
      else body = `{"vr":${vr},"Value":${valuesJson(values)}}`;
    }
    out += (out.length === 1 ? '"' : ',"') + tag + '":' + body;
  }
  return out + "}";
}
