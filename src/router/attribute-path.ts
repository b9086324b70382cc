// Reading and writing attributes by path (keyword, tag, private tag, through sequence items) on a DataSet.
import type { DcmjsDict, DcmjsElement } from "dcmjs";
import type { DataSet } from "../dicom/dataset.js";
import { lookupTag, tagToHex } from "../dicom/dictionary.js";
import type { AttributePath, AttributeStep } from "../rules/ast.js";

/** Private creator blocks of one data set (item), by group then creator: built once per dict, by scanning its keys. */
const CREATORS = new WeakMap<DcmjsDict, Map<number, Map<string, number>>>();

function creatorsOf(dict: DcmjsDict): Map<number, Map<string, number>> {
  let index = CREATORS.get(dict);
  if (index) return index;
  index = new Map();
  for (const key in dict) {
    // Private creator elements: odd group, element 0010-00FF (PS3.5 7.8.1); the last group digit says odd.
    const c = key.charCodeAt(3);
    if (!((c <= 57 ? c - 48 : c - 55) & 1) || key.charCodeAt(4) !== 48 || key.charCodeAt(5) !== 48 || key.length !== 8) continue;
    const group = parseInt(key.slice(0, 4), 16);
    const block = parseInt(key.slice(6), 16);
    if (!(group & 1) || block < 0x10) continue;
    const v = dict[key]?.Value?.[0];
    if (typeof v !== "string") continue;
    let m = index.get(group);
    if (!m) index.set(group, (m = new Map()));
    if (!m.has(v.trim())) m.set(v.trim(), block);
  }
  CREATORS.set(dict, index);
  return index;
}

/** The private creators present in one group of the data set's top level (PS3.5 7.8.1). */
export function privateCreators(ds: DataSet, group: number): string[] {
  const m = creatorsOf(ds.dict).get(group);
  return m ? [...m.keys()] : [];
}

/** The element key of a step in one data set (item); private steps resolve their creator's block (PS3.5 7.8.1). */
function stepKey(dict: DcmjsDict, step: AttributeStep, create: boolean): string | undefined {
  if (!step.privateCreator) return tagToHex(step.tag);
  const group = step.tag >>> 16;
  const byte = step.tag & 0xff;
  const found = creatorsOf(dict).get(group)?.get(step.privateCreator);
  if (found !== undefined) return tagToHex(((group << 16) | (found << 8) | byte) >>> 0);
  if (!create) return undefined;
  let free = -1;
  for (let block = 0x10; block <= 0xff && free < 0; block++) if (!dict[tagToHex(((group << 16) | block) >>> 0)]) free = block;
  if (free < 0) return undefined;
  // Reserve a block for the creator so a set can add the private element.
  dict[tagToHex(((group << 16) | free) >>> 0)] = { vr: "LO", Value: [step.privateCreator] };
  CREATORS.delete(dict);
  return tagToHex(((group << 16) | (free << 8) | byte) >>> 0);
}

function itemsOf(el: DcmjsElement | undefined, step: AttributeStep): DcmjsDict[] {
  if (!el || el.vr !== "SQ") return [];
  const items = (el.Value ?? []) as DcmjsDict[];
  if (typeof step.item === "number") return items[step.item] ? [items[step.item]!] : [];
  return items;
}

/** Every element the path reaches (any item of a sequence matches unless an index is given). */
export function resolveElements(ds: DataSet, path: AttributePath): DcmjsElement[] {
  let level: DcmjsDict[] = [ds.dict];
  const steps = path.steps;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const last = i === steps.length - 1;
    const next: DcmjsDict[] = [];
    const found: DcmjsElement[] = [];
    for (const dict of level) {
      const k = stepKey(dict, step, false);
      const el = k ? dict[k] : undefined;
      if (!el) continue;
      if (last) found.push(el);
      else next.push(...itemsOf(el, step));
    }
    if (last) return found;
    level = next;
  }
  return [];
}

/** All values the path reaches, flattened. */
export function resolveValues(ds: DataSet, path: AttributePath): unknown[] {
  const out: unknown[] = [];
  for (const el of resolveElements(ds, path)) if (el.Value) out.push(...el.Value);
  return out;
}

/** The VR of the path's leaf: the element's own, else the dictionary's, else LO for private and unknown tags. */
export function leafVR(ds: DataSet, path: AttributePath): string {
  const existing = resolveElements(ds, path)[0];
  if (existing) return existing.vr;
  const last = path.steps[path.steps.length - 1]!;
  if (last.privateCreator) return "LO";
  return lookupTag(last.tag)?.vr ?? "LO";
}

/**
 * Applies `edit` to every place the path names, creating sequence items and the leaf's parent as needed;
 * edit returns the new element, or undefined to remove it. Marks the top-level attribute changed.
 */
export function editPath(ds: DataSet, path: AttributePath, edit: (el: DcmjsElement | undefined) => DcmjsElement | undefined, create = true): void {
  const steps = path.steps;
  let level: DcmjsDict[] = [ds.dict];
  const topKey = stepKey(ds.dict, steps[0]!, create && steps.length === 1);
  for (let i = 0; i < steps.length - 1; i++) {
    const step = steps[i]!;
    const next: DcmjsDict[] = [];
    for (const dict of level) {
      const k = stepKey(dict, step, create);
      if (!k) continue;
      let el = dict[k];
      if (!el || el.vr !== "SQ") {
        if (!create) continue;
        el = { vr: "SQ", Value: [] };
        dict[k] = el;
      }
      const items = (el.Value ?? (el.Value = [])) as DcmjsDict[];
      if (typeof step.item === "number") {
        if (!items[step.item] && create) while (items.length <= step.item) items.push({});
        if (items[step.item]) next.push(items[step.item]!);
      } else {
        if (items.length === 0 && create) items.push({});
        next.push(...items);
      }
    }
    level = next;
  }
  const leaf = steps[steps.length - 1]!;
  for (const dict of level) {
    const k = stepKey(dict, leaf, create);
    if (!k) continue;
    const updated = edit(dict[k]);
    if (updated) dict[k] = updated;
    else delete dict[k];
  }
  const k = topKey ?? stepKey(ds.dict, steps[0]!, false);
  if (k) ds.dirty.add(k);
}
