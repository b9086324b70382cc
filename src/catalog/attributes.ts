// Which attributes the catalog keeps at each level (PS3.4 C.6.1.1 and C.6.2.1 keys), and how values become text.
import type { DataSet } from "../dicom/dataset.js";

export const PATIENT_KEYS = [
  "PatientID",
  "IssuerOfPatientID",
  "PatientName",
  "PatientBirthDate",
  "PatientBirthTime",
  "PatientSex",
  "OtherPatientIDs",
] as const;

export const STUDY_KEYS = [
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
] as const;

export const SERIES_KEYS = [
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
] as const;

export const INSTANCE_KEYS = [
  "SOPInstanceUID",
  "SOPClassUID",
  "InstanceNumber",
  "ContentDate",
  "ContentTime",
  "NumberOfFrames",
  "Rows",
  "Columns",
] as const;

/** Level columns from a data set: multi-valued as backslash-joined text, absent as null (or the given default). */
export function levelValues(ds: DataSet, keys: readonly string[], defaults: Record<string, string> = {}): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const k of keys) {
    const v = k === "Rows" || k === "Columns" ? ds.number(k) ?? null : ds.text(k) ?? null;
    out[k] = v ?? defaults[k] ?? null;
  }
  return out;
}

const BULK_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "UN"]);

function byteLength(v: unknown): number {
  if (v instanceof ArrayBuffer) return v.byteLength;
  if (ArrayBuffer.isView(v)) return v.byteLength;
  return 0;
}

/** The header as plain DICOM JSON (PS3.18 F.2) without dcmjs internals; small binaries inline, big ones left out. */
export function cleanAttributes(ds: DataSet): Record<string, unknown> {
  return cleanDict(ds.dict as Record<string, { vr: string; Value?: unknown[] }>);
}

function cleanDict(dict: Record<string, { vr: string; Value?: unknown[] }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [tag, el] of Object.entries(dict)) {
    if (!el || typeof el !== "object") continue;
    const values = el.Value ?? [];
    if (BULK_VRS.has(el.vr)) {
      const size = values.reduce<number>((n, v) => n + byteLength(v), 0);
      if (size > 1024) continue;
      const bytes = values.map((v) =>
        v instanceof ArrayBuffer ? Buffer.from(v) : ArrayBuffer.isView(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.alloc(0),
      );
      out[tag] = { vr: el.vr, InlineBinary: Buffer.concat(bytes).toString("base64") };
      continue;
    }
    if (el.vr === "SQ") {
      out[tag] = { vr: "SQ", Value: values.map((item) => cleanDict((item ?? {}) as Record<string, { vr: string; Value?: unknown[] }>)) };
      continue;
    }
    out[tag] = values.length ? { vr: el.vr, Value: values } : { vr: el.vr };
  }
  return out;
}
