// Attribute coercion for rules: set, remove, copy, replace, map and new UIDs, applied to a DataSet in place.
import type { DcmjsDict, DcmjsElement } from "dcmjs";
import type { DataSet } from "../dicom/dataset.js";
import { valueToString } from "../dicom/dataset.js";
import type { AttributePath } from "../rules/ast.js";
import { editPath, leafVR, resolveValues } from "./attribute-path.js";
import type { SafeRegex } from "./regex.js";

const SINGLE_VALUED_TEXT = new Set(["LT", "ST", "UT", "UR"]);
const NUMERIC = new Set(["US", "SS", "UL", "SL", "FL", "FD", "SV", "UV", "DS", "IS"]);

/** Turns text into the values of a VR: backslash separates values (PS3.5 6.4), names become PN objects. */
export function textToValues(vr: string, text: string): unknown[] {
  if (text === "") return [];
  const parts = SINGLE_VALUED_TEXT.has(vr) ? [text] : text.split("\\");
  if (vr === "PN") return parts.map((p) => (p === "" ? "" : { Alphabetic: p }));
  if (NUMERIC.has(vr)) return parts.map((p) => (p.trim() === "" ? null : Number.isFinite(Number(p)) ? Number(p) : p));
  if (vr === "AT") return parts.map((p) => p.replace(/[^0-9A-Fa-f]/g, "").toUpperCase());
  return parts;
}

export function setValues(ds: DataSet, target: AttributePath, vr: string | undefined, values: unknown[]): void {
  const v = vr ?? leafVR(ds, target);
  editPath(ds, target, () => (values.length ? { vr: v, Value: values } : { vr: v }));
}

export function setText(ds: DataSet, target: AttributePath, vr: string | undefined, text: string): void {
  const v = vr ?? leafVR(ds, target);
  setValues(ds, target, v, textToValues(v, text));
}

export function removeAttribute(ds: DataSet, target: AttributePath): void {
  editPath(ds, target, () => undefined, false);
}

export function copyAttribute(ds: DataSet, from: AttributePath, to: AttributePath): void {
  const values = resolveValues(ds, from);
  const fromVR = leafVR(ds, from);
  const toVR = leafVR(ds, to);
  // Same VR: values as they are; otherwise through their text form.
  if (fromVR === toVR) setValues(ds, to, toVR, values);
  else setText(ds, to, toVR, values.map(valueToString).join("\\"));
}

function mapStrings(el: DcmjsElement | undefined, fn: (s: string) => string): DcmjsElement | undefined {
  if (!el || !el.Value) return el;
  const Value = el.Value.map((v) => {
    if (el.vr === "PN" && v && typeof v === "object") {
      const pn = v as Record<string, string>;
      return { ...pn, Alphabetic: fn(pn.Alphabetic ?? "") };
    }
    if (typeof v === "string") return fn(v);
    if (typeof v === "number") {
      const out = fn(String(v));
      return Number.isFinite(Number(out)) && out !== "" ? Number(out) : out;
    }
    return v;
  });
  return { vr: el.vr, Value };
}

export function replaceInAttribute(ds: DataSet, target: AttributePath, re: SafeRegex, replacement: string): void {
  editPath(ds, target, (el) => mapStrings(el, (s) => re.replace(s, replacement)), false);
}

export function mapAttribute(ds: DataSet, target: AttributePath, table: ReadonlyMap<string, string>, fallback: string | undefined): void {
  editPath(ds, target, (el) => mapStrings(el, (s) => table.get(s) ?? fallback ?? s), false);
}

/** UIDs of the DICOM registry (SOP classes, transfer syntaxes, coding schemes) are never replaced. */
function isInstanceUid(uid: string): boolean {
  return uid !== "" && !uid.startsWith("1.2.840.10008.");
}

/**
 * New UIDs for every instance UID in the data set (study, series, SOP instance, frame of reference and the
 * references to them), each mapped consistently through `map` so other objects of the study agree.
 */
export function replaceUids(ds: DataSet, map: (original: string) => string): number {
  let changed = 0;
  const walk = (dict: DcmjsDict, top: boolean) => {
    for (const [key, el] of Object.entries(dict)) {
      if (!el) continue;
      if (el.vr === "SQ") {
        const before = changed;
        for (const item of (el.Value ?? []) as DcmjsDict[]) walk(item ?? {}, false);
        if (top && changed !== before) ds.dirty.add(key);
      } else if (el.vr === "UI" && el.Value) {
        const next = el.Value.map((v) => (typeof v === "string" && isInstanceUid(v) ? map(v) : v));
        if (next.some((v, i) => v !== el.Value![i])) {
          dict[key] = { vr: "UI", Value: next };
          changed++;
          if (top) ds.dirty.add(key);
        }
      }
    }
  };
  walk(ds.dict, true);
  return changed;
}
