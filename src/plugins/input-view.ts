// What a handler receives, built once per event as plain data: the event, its origin and a bounded attribute
// view (keyword attributes; sequences as arrays of objects; private, binary and oversized values omitted).
import type { DcmjsDict, DcmjsElement } from "dcmjs";
import type { DataSet } from "../dicom/dataset.js";
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

/** Identifying values every handler input carries at its top level. */
const SUMMARY: ReadonlyArray<[string, number]> = [
  ["sopClassUID", 0x00080016],
  ["sopInstanceUID", 0x00080018],
  ["studyInstanceUID", 0x0020000d],
];
const MODALITY = 0x00080060;
const MODALITIES_IN_STUDY = 0x00080061;
const SCHEDULED_STEPS = 0x00400100;

/** First value as text, by tag number (no keyword parsing on the event path). */
function first(ds: DataSet | undefined, tag: number): string | undefined {
  return ds?.string(tag);
}

/** The modality an event concerns: the object's, or the one a query asks for. */
export function modalityOf(ds: DataSet | undefined): string | undefined {
  if (!ds) return undefined;
  const direct = first(ds, MODALITY) ?? first(ds, MODALITIES_IN_STUDY);
  if (direct) return direct;
  return ds.items(SCHEDULED_STEPS)[0]?.string(MODALITY);
}

/** What a handler receives (attributes included when the event has a data set; `only` limits them). */
export function handlerInput(ctx: EventContext, only?: readonly string[]): PlainValue {
  const ds = ctx.dataset;
  const input: { [key: string]: PlainValue } = {
    event: ctx.event,
    origin: { callingAE: ctx.origin.callingAE, calledAE: ctx.origin.calledAE, peerAddress: ctx.origin.address, associationId: ctx.origin.associationId },
    now: ctx.now.getTime(),
  };
  if (ctx.local) input.hasLocal = true;
  if (!ds) return input;
  for (const [name, keyword] of SUMMARY) {
    const v = first(ds, keyword);
    if (v !== undefined) input[name] = v;
  }
  const modality = modalityOf(ds);
  if (modality !== undefined) input.modality = modality;
  input.attributes = attributesView(ds, only);
  return input;
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

// Reused by encodeHandlerInput (synchronous, never re-entered).
const keys: string[] = [];
const values: ViewValue[] = [];

function collect(ds: DataSet, only: readonly string[] | undefined): void {
  keys.length = 0;
  values.length = 0;
  const add = (kw: string, el: DcmjsElement | undefined) => {
    const v = el ? elementValue(el, 0) : undefined;
    if (v === undefined) return;
    keys.push(kw);
    values.push(v);
  };
  if (only) {
    for (const kw of only) {
      const entry = lookupKeyword(kw);
      add(kw, entry ? ds.dict[tagToHex(entry.tag)] : undefined);
    }
    return;
  }
  // Object.keys: parsed dictionaries are in V8's slow (hash) mode, where for-in costs twice as much.
  for (const key of Object.keys(ds.dict)) {
    const kw = keywordOfKey(key);
    if (kw) add(kw, ds.dict[key]);
  }
}

/** handlerInput written straight into QuickJS's binary format (no intermediate objects for the attributes). */
export function encodeHandlerInput(format: BjsonFormat, ctx: EventContext, only?: readonly string[]): ArrayBuffer {
  const ds = ctx.dataset;
  const summary: Array<[string, string]> = [];
  if (ds) {
    for (const [name, keyword] of SUMMARY) {
      const v = first(ds, keyword);
      if (v !== undefined) summary.push([name, v]);
    }
    const modality = modalityOf(ds);
    if (modality !== undefined) summary.push(["modality", modality]);
  }
  writer.begin(format);
  writer.object(3 + (ctx.local ? 1 : 0) + summary.length + (ds ? 1 : 0));
  writer.key("event");
  writer.string(ctx.event);
  writer.key("origin");
  writer.object(4);
  const o = ctx.origin;
  for (const [k, v] of [["callingAE", o.callingAE], ["calledAE", o.calledAE], ["peerAddress", o.address], ["associationId", o.associationId]] as const) {
    writer.key(k);
    writer.string(v);
  }
  writer.key("now");
  writer.number(ctx.now.getTime());
  if (ctx.local) {
    writer.key("hasLocal");
    writer.value(true);
  }
  for (const [k, v] of summary) {
    writer.key(k);
    writer.string(v);
  }
  if (ds) {
    collect(ds, only);
    writer.key("attributes");
    writer.object(keys.length);
    for (let i = 0; i < keys.length; i++) {
      writer.key(keys[i]!);
      writer.value(values[i]!);
    }
  }
  return writer.finish();
}
