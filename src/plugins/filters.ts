// Host-side handler filters (like esbuild's plugin filters): checked before the sandbox is entered, so a
// handler that does not apply costs nothing. Keys: callingAE, calledAE, sopClass (UID or keyword), modality;
// each a string, a "/regex/flags" string or a list of them (any may match); all keys must match. The same
// options object may name the `attributes` a handler reads: only those are passed in (faster).
import { lookupKeyword } from "../dicom/dictionary.js";
import { sopClassByKeyword } from "../dicom/sop-classes.js";
import type { EventName } from "../rules/ast.js";
import { EVENT_SPECS } from "../rules/events.js";
import type { EventContext } from "../router/event-context.js";
import { compileRegex, type SafeRegex } from "../router/regex.js";
import { modalityOf } from "./input-view.js";

export const FILTER_KEYS = ["callingAE", "calledAE", "sopClass", "modality"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export type Filter = (ctx: EventContext) => boolean;

type Matcher = (value: string | undefined) => boolean;

export type FilterResult = { filter?: Filter; attributes?: string[]; problems: string[] };

/** The `attributes` option: DICOM keywords, checked against the dictionary. */
function attributeList(raw: unknown, problems: string[]): string[] | undefined {
  if (!Array.isArray(raw) || raw.some((k) => typeof k !== "string")) {
    problems.push('option attributes: expected a list of keywords, e.g. ["PatientID", "StudyDescription"]');
    return undefined;
  }
  const unknown = (raw as string[]).filter((k) => !lookupKeyword(k));
  if (unknown.length > 0) {
    problems.push(`option attributes: not DICOM keywords: ${unknown.join(", ")}`);
    return undefined;
  }
  return [...new Set(raw as string[])];
}

/** Which filter keys make sense for an event: data set keys need a data set. */
function applies(key: FilterKey, event: EventName): boolean {
  const ds = EVENT_SPECS[event].dataset;
  if (key === "sopClass") return ds === "object";
  if (key === "modality") return ds !== "none";
  return true;
}

function compileOne(key: FilterKey, text: string, problems: string[]): Matcher | undefined {
  const re = /^\/(.*)\/([a-z]*)$/s.exec(text);
  if (re) {
    try {
      const rx: SafeRegex = compileRegex(re[1]!, re[2]!);
      return (v) => v !== undefined && rx.test(v);
    } catch (err) {
      problems.push(`filter ${key}: invalid regex ${text}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }
  if (key === "sopClass" && !/^[0-9]+(\.[0-9]+)+$/.test(text)) {
    const known = sopClassByKeyword(text);
    if (!known) {
      problems.push(`filter sopClass: "${text}" is neither a known SOP class keyword nor a UID`);
      return undefined;
    }
    return (v) => v === known.uid;
  }
  return (v) => v === text;
}

function valueOf(key: FilterKey, ctx: EventContext): string | undefined {
  switch (key) {
    case "callingAE":
      return ctx.origin.callingAE;
    case "calledAE":
      return ctx.origin.calledAE;
    case "sopClass":
      return ctx.dataset?.string(0x00080016);
    case "modality":
      return modalityOf(ctx.dataset);
  }
}

/** Compiles a filter object from a plugin's registration; problems are returned as text, never thrown. */
export function compileFilter(event: EventName, raw: unknown): FilterResult {
  if (raw === undefined || raw === null) return { problems: [] };
  if (typeof raw !== "object" || Array.isArray(raw)) return { problems: ["a filter is an object such as { callingAE: \"CT1\", modality: [\"CT\", \"MR\"] }"] };
  const problems: string[] = [];
  const parts: Array<{ key: FilterKey; match: Matcher }> = [];
  let attributes: string[] | undefined;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === "attributes") {
      if (EVENT_SPECS[event].dataset === "none") problems.push(`option attributes does not apply to "${event}" events (they carry no data set)`);
      else attributes = attributeList(value, problems);
      continue;
    }
    if (!(FILTER_KEYS as readonly string[]).includes(key)) {
      problems.push(`unknown filter key "${key}" (keys: ${FILTER_KEYS.join(", ")}, and the option attributes)`);
      continue;
    }
    const k = key as FilterKey;
    if (!applies(k, event)) {
      problems.push(`filter key "${k}" does not apply to "${event}" events (they carry no ${k === "sopClass" ? "stored object" : "data set"})`);
      continue;
    }
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0 || list.some((v) => typeof v !== "string")) {
      problems.push(`filter ${k}: expected a string or a list of strings`);
      continue;
    }
    const matchers = (list as string[]).map((t) => compileOne(k, t, problems)).filter((m): m is Matcher => m !== undefined);
    if (matchers.length !== list.length) continue;
    parts.push({ key: k, match: matchers.length === 1 ? matchers[0]! : (v) => matchers.some((m) => m(v)) });
  }
  if (problems.length > 0) return { problems };
  if (parts.length === 0) return { attributes, problems: [] };
  return { filter: (ctx) => parts.every((p) => p.match(valueOf(p.key, ctx))), attributes, problems };
}
