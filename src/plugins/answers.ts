// Answers of plugin backends (conduit.answer): arrays of plain records keyword → value, checked strictly, and
// their conversion to DataSets (VRs from the dictionary) for the services that send them as C-FIND responses.
import type { DcmjsDict, DcmjsElement } from "dcmjs";
import { DataSet } from "../dicom/dataset.js";
import { lookupKeyword, tagToHex } from "../dicom/dictionary.js";
import { textToValues } from "../router/coerce.js";

export type AnswerValue = string | number | null | Array<string | number> | AnswerRecord[];
export interface AnswerRecord {
  [keyword: string]: AnswerValue;
}

/** Most records one answer may hold. */
export const MAX_ANSWER_RECORDS = 10_000;
const MAX_DEPTH = 4;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function checkRecord(r: unknown, where: string, depth: number): string | undefined {
  if (!isRecord(r)) return `${where} is not an object of Keyword: value`;
  for (const [k, v] of Object.entries(r)) {
    const entry = lookupKeyword(k);
    if (!entry) return `${where}: "${k}" is not a DICOM keyword`;
    if (entry.vr === "SQ") {
      if (!Array.isArray(v) || depth >= MAX_DEPTH) return `${where}.${k}: a sequence is a list of objects (nested at most ${MAX_DEPTH} deep)`;
      for (let i = 0; i < v.length; i++) {
        const p = checkRecord(v[i], `${where}.${k}[${i}]`, depth + 1);
        if (p) return p;
      }
      continue;
    }
    const ok = (x: unknown) => typeof x === "string" || (typeof x === "number" && Number.isFinite(x));
    if (v !== null && !ok(v) && !(Array.isArray(v) && v.every(ok))) return `${where}.${k}: a value is a string, a number, null or a list of strings/numbers`;
  }
  return undefined;
}

/** Checks a backend's answer: an array of records; a problem as text, or the records. */
export function checkAnswer(raw: unknown): { records: AnswerRecord[] } | { problem: string } {
  if (raw === null || raw === undefined) return { records: [] };
  if (!Array.isArray(raw)) return { problem: "an answer is an array of data sets ({ Keyword: value })" };
  if (raw.length > MAX_ANSWER_RECORDS) return { problem: `an answer holds at most ${MAX_ANSWER_RECORDS} data sets` };
  for (let i = 0; i < raw.length; i++) {
    const p = checkRecord(raw[i], `answer[${i}]`, 0);
    if (p) return { problem: p };
  }
  return { records: raw as AnswerRecord[] };
}

function element(vr: string, v: AnswerValue): DcmjsElement {
  if (v === null) return { vr };
  if (vr === "SQ") return { vr, Value: (v as AnswerRecord[]).map((item) => recordDict(item)) };
  const values = Array.isArray(v) ? (v as Array<string | number>) : [v];
  const out = values.flatMap((x) => textToValues(vr, String(x)));
  return out.length ? { vr, Value: out } : { vr };
}

function recordDict(r: AnswerRecord): DcmjsDict {
  const dict: DcmjsDict = {};
  for (const [k, v] of Object.entries(r)) {
    const entry = lookupKeyword(k)!;
    dict[tagToHex(entry.tag)] = element(entry.vr, v);
  }
  return dict;
}

/** A checked record as a DataSet: VRs from the dictionary, text split into values as rules' "set" does. */
export function recordToDataSet(r: AnswerRecord): DataSet {
  return new DataSet(recordDict(r));
}
