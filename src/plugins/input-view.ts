// What a handler receives, built once per event as plain data: the event, its origin, identifying values and the
// bounded attribute view (keyword attributes; sequences as arrays of objects; private, binary and oversized values
// omitted). It crosses into QuickJS as an array (no property names to decode) that the bootstrap turns into the
// input object: [event, callingAE, calledAE, peerAddress, associationId, now, local?, sopClassUID, sopInstanceUID,
// studyInstanceUID, modality, attributes, prefetched], absent values null. attributes is an eager view; prefetched,
// given instead by default, is the payload of a lazy view (lazy-attributes.ts).
import type { DcmjsDict, DcmjsElement } from "dcmjs";
import { valueToString, type DataSet } from "../dicom/dataset.js";
import { lookupKeyword, lookupTag, tagToHex } from "../dicom/dictionary.js";
import type { EventContext } from "../router/event-context.js";
import { writer, type BjsonFormat, type PlainValue } from "./bjson.js";

/** Values of these VRs are bytes, not text or numbers: left out of the view. */
const BINARY_VRS = new Set(["OB", "OW", "OF", "OD", "OL", "OV", "UN"]);
/** Sequences nested deeper than this are left out. */
export const MAX_SEQUENCE_DEPTH = 4;
/** Items of one sequence beyond this are left out. */
export const MAX_ITEMS = 256;
/** Text values longer than this are left out (LT/UT/UC can be huge). */
export const MAX_TEXT = 10_000;

/** A value of the view; an attribute set is a Map keyword → value (wide objects are slow to build in V8). */
export type ViewValue = string | number | null | ViewValue[] | Map<string, ViewValue>;

const keywordCache = new Map<string, string | null>();

/** The keyword of a "GGGGEEEE" key, or null for private, group-length and unknown tags. */
function keywordOfKey(key: string): string | null {
  let k = keywordCache.get(key);
  if (k !== undefined) return k;
  const tag = parseInt(key, 16) >>> 0;
  const group = tag >>> 16;
  k = group % 2 === 1 || (tag & 0xffff) === 0 ? null : (lookupTag(tag)?.keyword ?? null);
  if (keywordCache.size < 50_000) keywordCache.set(key, k);
  return k;
}

function scalar(v: unknown, vr: string): string | number | null | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "string") return v.length > MAX_TEXT ? undefined : v;
  if (vr === "PN" && typeof v === "object") {
    const a = (v as Record<string, unknown>).Alphabetic;
    return typeof a === "string" ? a : "";
  }
  return typeof v === "bigint" ? v.toString() : undefined;
}

/** An element's view value; undefined when it is left out. */
export function elementValue(el: DcmjsElement, depth: number): ViewValue | undefined {
  if (BINARY_VRS.has(el.vr)) return undefined;
  const values = el.Value ?? [];
  if (el.vr === "SQ") {
    if (depth >= MAX_SEQUENCE_DEPTH) return undefined;
    return (values as DcmjsDict[]).slice(0, MAX_ITEMS).map((item) => dictView(item ?? {}, depth + 1));
  }
  if (values.length === 0) return null;
  if (values.length === 1) return scalar(values[0], el.vr);
  const out: ViewValue[] = [];
  for (const v of values) {
    const s = scalar(v, el.vr);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

function dictView(dict: DcmjsDict, depth: number): Map<string, ViewValue> {
  const out = new Map<string, ViewValue>();
  for (const key of Object.keys(dict)) {
    const kw = keywordOfKey(key);
    const el = dict[key];
    if (!kw || !el) continue;
    const v = elementValue(el, depth);
    if (v !== undefined) out.set(kw, v);
  }
  return out;
}

/** The attribute view of a data set: keyword → value; `only` limits it to those keywords. */
export function attributesView(ds: DataSet, only?: readonly string[]): Map<string, ViewValue> {
  if (!only) return dictView(ds.dict, 0);
  const out = new Map<string, ViewValue>();
  for (const kw of only) {
    const entry = lookupKeyword(kw);
    const el = entry ? ds.dict[tagToHex(entry.tag)] : undefined;
    const v = el ? elementValue(el, 0) : undefined;
    if (v !== undefined) out.set(kw, v);
  }
  return out;
}

/** The view value of one keyword (what the eager view holds under it); undefined when absent or omitted. */
export function attributeValue(ds: DataSet, keyword: string): ViewValue | undefined {
  const entry = lookupKeyword(keyword);
  // Group lengths are never in the view (keywords of other tags are unique in the dictionary).
  if (!entry || (entry.tag & 0xffff) === 0) return undefined;
  const el = ds.dict[tagToHex(entry.tag)];
  return el ? elementValue(el, 0) : undefined;
}

/**
 * The lazy view's payload: the prefetched names' values, written straight into the binary format, absent names
 * as undefined (the sandbox then answers them without asking the host).
 */
export function writeLazyPayload(ds: DataSet, names: readonly string[]): void {
  writer.object(names.length);
  for (const name of names) {
    writer.key(name);
    const v = attributeValue(ds, name);
    if (v === undefined) writer.undefined();
    else writer.value(v);
  }
}

/** The same as plain data, for JSON text (which cannot hold undefined: absent names are asked for again). */
export function lazyPayload(ds: DataSet, names: readonly string[]): Map<string, ViewValue> {
  const present = new Map<string, ViewValue>();
  for (const name of names) {
    const v = attributeValue(ds, name);
    if (v !== undefined) present.set(name, v);
  }
  return present;
}

/** Which attributes a handler gets: eager objects of all or of the named ones, or a lazy view (names prefetched). */
export type AttributeSelection = "all" | readonly string[] | { prefetch: readonly string[] };

/** Dictionary keys of the identifying values every input carries (sopClassUID, sopInstanceUID, studyInstanceUID). */
const SUMMARY = ["00080016", "00080018", "0020000D"] as const;
const MODALITY = "00080060";
const MODALITIES_IN_STUDY = "00080061";
const SCHEDULED_STEPS = "00400100";

/** First value as text, or undefined when absent or empty (DataSet.string, without parsing a tag reference). */
function first(dict: DcmjsDict | undefined, key: string): string | undefined {
  const values = dict?.[key]?.Value;
  if (!values || values.length === 0) return undefined;
  const s = valueToString(values[0]);
  return s === "" ? undefined : s;
}

/** The modality an event concerns: the object's, or the one a query asks for. */
export function modalityOf(ds: DataSet | undefined): string | undefined {
  if (!ds) return undefined;
  const direct = first(ds.dict, MODALITY) ?? first(ds.dict, MODALITIES_IN_STUDY);
  if (direct) return direct;
  const steps = ds.dict[SCHEDULED_STEPS];
  return steps?.vr === "SQ" ? first((steps.Value?.[0] ?? undefined) as DcmjsDict | undefined, MODALITY) : undefined;
}

/** The attributes and prefetched elements of the input array. */
function attributesOf(ds: DataSet, selection: AttributeSelection): [PlainValue, PlainValue] {
  if (selection === "all") return [attributesView(ds), null];
  if ("prefetch" in selection) return [null, lazyPayload(ds, selection.prefetch)];
  return [attributesView(ds, selection), null];
}

/** The input array as plain data (for the JSON fallback; encodeHandlerInput writes the same bytes directly). */
export function handlerInput(ctx: EventContext, selection: AttributeSelection = { prefetch: [] }): PlainValue {
  const ds = ctx.dataset;
  const o = ctx.origin;
  const head: PlainValue[] = [ctx.event, o.callingAE, o.calledAE, o.address, o.associationId, ctx.now.getTime(), Boolean(ctx.local)];
  for (const key of SUMMARY) head.push(ds ? (first(ds.dict, key) ?? null) : null);
  head.push((ds && modalityOf(ds)) ?? null, ...(ds ? attributesOf(ds, selection) : [null, null]));
  return head;
}

/** What a find/worklist backend receives: the origin and the query identifier's keys. */
export function backendInput(event: string, origin: EventContext["origin"], identifier: DataSet, now: Date): PlainValue {
  return {
    event,
    origin: { callingAE: origin.callingAE, calledAE: origin.calledAE, peerAddress: origin.address, associationId: origin.associationId },
    now: now.getTime(),
    query: attributesView(identifier),
  };
}

// Reused by writeAll (synchronous, never re-entered).
const names: string[] = [];
const values: ViewValue[] = [];

/** The whole eager view written straight from the dictionary (no Map built on the way). */
function writeAll(ds: DataSet): void {
  names.length = 0;
  values.length = 0;
  // Object.keys: parsed dictionaries are in V8's slow (hash) mode, where for-in costs twice as much.
  for (const key of Object.keys(ds.dict)) {
    const kw = keywordOfKey(key);
    const el = ds.dict[key];
    const v = kw && el ? elementValue(el, 0) : undefined;
    if (v === undefined) continue;
    names.push(kw!);
    values.push(v);
  }
  writer.object(names.length);
  for (let i = 0; i < names.length; i++) {
    writer.key(names[i]!);
    writer.value(values[i]!);
  }
}

/** A summary value: its text, or null when absent. */
function textOrNull(v: string | undefined): void {
  if (v === undefined) writer.null();
  else writer.string(v);
}

/** handlerInput written straight into QuickJS's binary format. */
export function encodeHandlerInput(format: BjsonFormat, ctx: EventContext, selection: AttributeSelection = { prefetch: [] }): ArrayBuffer {
  const ds = ctx.dataset;
  const o = ctx.origin;
  writer.begin(format);
  writer.array(13);
  writer.string(ctx.event);
  writer.string(o.callingAE);
  writer.string(o.calledAE);
  writer.string(o.address);
  writer.string(o.associationId);
  writer.number(ctx.now.getTime());
  writer.value(Boolean(ctx.local));
  for (const key of SUMMARY) textOrNull(ds && first(ds.dict, key));
  textOrNull(modalityOf(ds));
  // attributes (eager), then prefetched (lazy): at most one of them not null.
  if (!ds) {
    writer.null();
    writer.null();
  } else if (selection === "all") {
    writeAll(ds);
    writer.null();
  } else if ("prefetch" in selection) {
    writer.null();
    writeLazyPayload(ds, selection.prefetch);
  } else {
    writer.value(attributesView(ds, selection));
    writer.null();
  }
  return writer.finish();
}
