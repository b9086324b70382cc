// The PS3.6 data dictionary (from dcmjs's copy): tag <-> keyword and VR, for implicit VR data and rule names.
import dcmjs from "dcmjs";

export interface DictionaryEntry {
  tag: number;
  keyword: string;
  vr: string;
  vm: string;
  retired: boolean;
}

interface RawEntry {
  tag: string;
  vr: string;
  vm: string;
  name: string;
}

const BY_TAG = new Map<number, DictionaryEntry>();
const BY_KEYWORD = new Map<string, DictionaryEntry>();

// Ambiguous VRs of PS3.6 ("US or SS", "OB or OW") resolve to the reading PS3.5 Annex A uses for implicit VR.
const AMBIGUOUS: Record<string, string> = { xs: "US", ox: "OW", up: "UL", lt: "OW", na: "UN" };

{
  const nameMap = (dcmjs.data.DicomMetaDictionary as unknown as { nameMap: Record<string, RawEntry> }).nameMap;
  for (const raw of Object.values(nameMap)) {
    const m = /^\(([0-9A-F]{4}),([0-9A-F]{4})\)$/.exec(raw.tag);
    if (!m) continue;
    const tag = parseInt(m[1] + m[2], 16) >>> 0;
    const retired = raw.name.startsWith("RETIRED_");
    const keyword = retired ? raw.name.slice(8) : raw.name;
    const entry: DictionaryEntry = { tag, keyword, vr: AMBIGUOUS[raw.vr] ?? raw.vr, vm: raw.vm, retired };
    BY_TAG.set(tag, entry);
    if (!BY_KEYWORD.has(keyword) || !retired) BY_KEYWORD.set(keyword, entry);
  }
}

export function lookupTag(tag: number): DictionaryEntry | undefined {
  return BY_TAG.get(tag >>> 0);
}

export function lookupKeyword(keyword: string): DictionaryEntry | undefined {
  return BY_KEYWORD.get(keyword);
}

/** VR for implicit VR decoding (PS3.5 A.1): dictionary, else group length UL, private creator LO, else UN. */
export function implicitVR(tag: number): string {
  const e = BY_TAG.get(tag >>> 0);
  if (e) return e.vr;
  const element = tag & 0xffff;
  if (element === 0) return "UL";
  const group = tag >>> 16;
  if (group & 1 && element >= 0x0010 && element <= 0x00ff) return "LO";
  return "UN";
}

const HEX_CACHE = new Map<number, string>();

/** "00100010" for (0010,0010); cached, the same few hundred tags recur in every header. */
export function tagToHex(tag: number): string {
  let h = HEX_CACHE.get(tag);
  if (h === undefined) {
    h = (tag >>> 0).toString(16).toUpperCase().padStart(8, "0");
    if (HEX_CACHE.size < 100_000) HEX_CACHE.set(tag, h);
  }
  return h;
}

/** "(0010,0010)" */
export function formatTag(tag: number): string {
  const h = tagToHex(tag);
  return `(${h.slice(0, 4)},${h.slice(4)})`;
}

/** Accepts a keyword, "(gggg,eeee)", "gggg,eeee" or "ggggeeee"; returns the tag number or undefined. */
export function parseTag(text: string): number | undefined {
  const m = /^\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?$/.exec(text.trim());
  if (m) return parseInt(m[1] + m[2], 16) >>> 0;
  return BY_KEYWORD.get(text.trim())?.tag;
}

export function keywordOf(tag: number): string {
  return BY_TAG.get(tag >>> 0)?.keyword ?? formatTag(tag);
}

/** Every keyword of the dictionary (for "did you mean" hints). */
export function allKeywords(): IterableIterator<string> {
  return BY_KEYWORD.keys();
}
