// A plugin's decision (plain data) checked strictly and translated into the rule language's Action objects, so
// runActions applies it exactly as it applies rules. Problems are returned as data, never thrown.
import type { Action, ActionKind, EventName, SourceRef, Span, Template, ValueExpr } from "../rules/ast.js";
import { EVENT_SPECS, REJECT_REASONS } from "../rules/events.js";
import { parseRefText } from "../rules/template.js";
import { sopClassByKeyword } from "../dicom/sop-classes.js";
import { transferSyntaxByKeyword } from "../dicom/transfer-syntax.js";
import { safeComponent } from "../store/sanitize.js";

/** Decision keys in the order their actions run: logs, then changes, then routing, then reject and stop. */
const KEYS: ReadonlyArray<[string, ActionKind]> = [
  ["log", "log"],
  ["accept", "accept"],
  ["restrict", "restrict"],
  ["set", "set"],
  ["remove", "remove"],
  ["newUids", "new-uids"],
  ["storeAt", "store-at"],
  ["discard", "discard"],
  ["forward", "forward"],
  ["run", "run"],
  ["answerFrom", "answer-from"],
  ["retrieveFrom", "retrieve-from"],
  ["destination", "destination"],
  ["report", "report"],
  ["reject", "reject"],
  ["stop", "stop"],
];
const KIND_OF = new Map(KEYS);

const VRS = new Set("AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SS ST SV TM UC UI UL UN UR US UT UV".split(" "));

export interface DecisionContext {
  /** The plugin file: the span of every synthesised action points at it. */
  file: string;
  peers: ReadonlySet<string>;
  commands: ReadonlySet<string>;
}

export type DecisionResult = { actions: Action[] } | { problem: string };

const span = (): Span => ({ start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } });

function literal(text: string): Template {
  return { source: text, parts: text === "" ? [] : [{ kind: "text", text }], span: span() };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isFailureStatus = (s: number) => s === 0xfe00 || (s >= 0x0100 && s <= 0x02ff) || (s >= 0xa000 && s <= 0xafff) || (s >= 0xc000 && s <= 0xcfff);

class Problem extends Error {}

function fail(message: string): never {
  throw new Problem(message);
}

function strings(key: string, v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || list.some((x) => typeof x !== "string" || x === "")) fail(`${key}: expected a non-empty string or a list of them`);
  return list as string[];
}

function only(key: string, v: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(v)) if (!allowed.includes(k)) fail(`${key}: unknown field "${k}" (fields: ${allowed.join(", ")})`);
}

// Parsed attribute paths by text: decisions name the same few attributes again and again.
const paths = new Map<string, ReturnType<typeof parseRefText>>();

function attributePath(key: string, text: string) {
  let r = paths.get(text);
  if (!r) {
    r = parseRefText(text);
    if (paths.size < 2000) paths.set(text, r);
  }
  if (!r.ref || r.ref.kind !== "attribute") fail(`${key}: "${text}" is not an attribute keyword, (gggg,eeee) tag or Sequence[0].Keyword path${r.problem ? ` (${r.problem.message})` : ""}`);
  return r.ref.path;
}

function setValue(name: string, raw: unknown): { value: ValueExpr; vr?: string } {
  let v = raw;
  let vr: string | undefined;
  if (isObject(raw)) {
    only(`set ${name}`, raw, ["vr", "value"]);
    if (typeof raw.vr !== "string" || !VRS.has(raw.vr) || raw.vr === "SQ") fail(`set ${name}: "vr" must be a VR such as LO, PN or DA (not SQ)`);
    vr = raw.vr;
    v = raw.value;
  }
  if (v === null) return { value: { kind: "empty", span: span() }, vr };
  if (typeof v === "number" && Number.isFinite(v)) return { value: { kind: "number", value: v, span: span() }, vr };
  if (typeof v === "string") return { value: { kind: "template", template: literal(v) }, vr };
  if (Array.isArray(v) && v.every((x) => typeof x === "string" || (typeof x === "number" && Number.isFinite(x)))) {
    return { value: { kind: "template", template: literal(v.map(String).join("\\")) }, vr };
  }
  return fail(`set ${name}: a value is a string, a number, null (empty), a list of strings/numbers or { vr, value }`);
}

function source(key: string, v: unknown, ctx: DecisionContext): SourceRef {
  if (v === "local") return { kind: "local" };
  if (typeof v === "string") {
    if (!ctx.peers.has(v)) fail(`${key}: "${v}" is not in the config's peers`);
    return { kind: "ae", ae: v };
  }
  if (isObject(v) && Object.keys(v).length === 1 && typeof v.view === "string" && v.view !== "") return { kind: "view", name: v.view };
  if (isObject(v) && Object.keys(v).length === 1 && typeof v.plugin === "string" && v.plugin !== "") return { kind: "plugin", name: v.plugin };
  return fail(`${key}: expected "local", a peer AE title, { view: NAME } or { plugin: NAME }`);
}

function reject(v: unknown, event: EventName): Action {
  if (event === "associate") {
    if (v === true) return { kind: "reject", span: span() };
    const r = typeof v === "string" ? { reason: v } : v;
    if (!isObject(r)) return fail('reject: an association is rejected with true, a reason name or { reason, transient }');
    only("reject", r, ["reason", "transient"]);
    if (r.reason !== undefined && (typeof r.reason !== "string" || !REJECT_REASONS[r.reason])) fail(`reject: unknown reason ${JSON.stringify(r.reason)} (reasons: ${Object.keys(REJECT_REASONS).join(", ")})`);
    if (r.transient !== undefined && typeof r.transient !== "boolean") fail("reject: transient is true or false");
    // As the rule checker does, the reason's name is also the message.
    return { kind: "reject", reason: r.reason as string | undefined, message: r.reason as string | undefined, transient: r.transient as boolean | undefined, span: span() };
  }
  if (v === true) return { kind: "reject", span: span() };
  if (!isObject(v)) return fail("reject: expected true or { status, message }");
  only("reject", v, ["status", "message"]);
  if (v.status !== undefined && (typeof v.status !== "number" || !Number.isInteger(v.status) || !isFailureStatus(v.status))) fail("reject: status must be a failure status: 0xA7xx/0x01xx/0x02xx refused, 0xA9xx/0xCxxx error, or 0xFE00 cancel");
  if (v.message !== undefined && typeof v.message !== "string") fail("reject: message is a string");
  return { kind: "reject", status: v.status as number | undefined, message: (v.message as string | undefined)?.slice(0, 64), span: span() };
}

function restrict(v: unknown): Action[] {
  if (!isObject(v)) return fail("restrict: expected { sopClasses: [...], transferSyntaxes: [...] }");
  only("restrict", v, ["sopClasses", "transferSyntaxes"]);
  const out: Action[] = [];
  for (const [field, what] of [["sopClasses", "sop-classes"], ["transferSyntaxes", "transfer-syntaxes"]] as const) {
    if (v[field] === undefined) continue;
    const values = strings(`restrict.${field}`, v[field]);
    for (const x of values) {
      const known = what === "sop-classes" ? sopClassByKeyword(x) : transferSyntaxByKeyword(x);
      if (!known && !/^[0-9]+(\.[0-9]+)+$/.test(x)) fail(`restrict.${field}: "${x}" is neither a known keyword nor a UID`);
    }
    out.push({ kind: "restrict", what, values, span: span() });
  }
  return out;
}

function storeAt(v: unknown): Action {
  // A list: each item is one folder or file name, made safe as a rule's {placeholder} value is.
  if (Array.isArray(v)) {
    if (v.length === 0 || v.length > 16 || v.some((c) => typeof c !== "string" && typeof c !== "number")) fail("storeAt: a list of 1 to 16 folder/file names (strings)");
    return { kind: "store-at", template: literal(v.map((c) => safeComponent(String(c), { empty: "UNKNOWN" })).join("/")), span: span() };
  }
  if (typeof v !== "string" || v.trim() === "" || v.endsWith("/")) return fail('storeAt: a relative file path such as "rdsr/P1/1.2.3.dcm", or a list of names');
  if (v.startsWith("/") || v.includes("\\") || /(^|\/)\.\.(\/|$)/.test(v) || v.length > 1024) fail(`storeAt: "${v.slice(0, 80)}" must stay inside the storage root (relative, no "..", no backslash)`);
  return { kind: "store-at", template: literal(v), span: span() };
}

function report(v: unknown): Action {
  if (!isObject(v)) return fail('report: expected { mode: "same" | "new" | "next", delayMs?, waitForForwards? }');
  only("report", v, ["mode", "delayMs", "waitForForwards"]);
  if (v.mode !== "same" && v.mode !== "new" && v.mode !== "next") fail('report: mode is "same", "new" or "next"');
  if (v.delayMs !== undefined && (typeof v.delayMs !== "number" || !(v.delayMs >= 0) || v.delayMs > 86_400_000)) fail("report: delayMs is 0 to 86400000");
  if (v.waitForForwards !== undefined && typeof v.waitForForwards !== "boolean") fail("report: waitForForwards is true or false");
  return { kind: "report", mode: v.mode, delayMs: v.delayMs as number | undefined, waitForForwards: v.waitForForwards as boolean | undefined, span: span() };
}

function flag(key: string, v: unknown, action: Action): Action[] {
  if (typeof v !== "boolean") fail(`${key}: expected true or false`);
  return v ? [action] : [];
}

function translate(key: string, v: unknown, event: EventName, ctx: DecisionContext): Action[] {
  switch (key) {
    case "log":
      return strings("log", v).map((m) => ({ kind: "log", message: literal(m.slice(0, 4000)), span: span() }));
    case "accept":
      return flag(key, v, { kind: "accept", span: span() });
    case "restrict":
      return restrict(v);
    case "set":
      if (!isObject(v)) fail("set: expected { Keyword: value, ... }");
      return Object.entries(v).map(([name, raw]) => ({ kind: "set", target: attributePath("set", name), ...setValue(name, raw), span: span() }));
    case "remove":
      return strings("remove", v).map((name) => ({ kind: "remove", target: attributePath("remove", name), span: span() }));
    case "newUids":
      return flag(key, v, { kind: "new-uids", span: span() });
    case "storeAt":
      return [storeAt(v)];
    case "discard":
      return flag(key, v, { kind: "discard", span: span() });
    case "forward": {
      const to = strings("forward", v);
      for (const ae of to) if (!ctx.peers.has(ae)) fail(`forward: "${ae}" is not in the config's peers`);
      return [{ kind: "forward", destinations: to, span: span() }];
    }
    case "run":
      return strings("run", v).map((command) => {
        if (!ctx.commands.has(command)) fail(`run: command "${command}" is not declared in the config`);
        return { kind: "run", command, span: span() };
      });
    case "answerFrom":
      return [{ kind: "answer-from", source: source(key, v, ctx), span: span() }];
    case "retrieveFrom":
      return [{ kind: "retrieve-from", source: source(key, v, ctx), span: span() }];
    case "destination":
      if (typeof v !== "string" || !ctx.peers.has(v)) fail(`destination: ${JSON.stringify(v)} is not in the config's peers`);
      return [{ kind: "destination", ae: v, span: span() }];
    case "report":
      return [report(v)];
    case "reject":
      return [reject(v, event)];
    case "stop":
      return flag(key, v, { kind: "stop", span: span() });
  }
  return [];
}

/** Checks a decision for an event and returns the actions it stands for, in their fixed order. */
export function decisionActions(raw: unknown, event: EventName, ctx: DecisionContext): DecisionResult {
  if (!isObject(raw)) return { problem: "a decision is an object" };
  const allowed = EVENT_SPECS[event].actions;
  for (const key of Object.keys(raw)) {
    const kind = KIND_OF.get(key);
    if (!kind) return { problem: `unknown decision field "${key}" (fields: ${KEYS.map((k) => k[0]).join(", ")})` };
    if (!allowed.includes(kind)) return { problem: `"${key}" is not a decision "${event}" events can make (they allow: ${KEYS.filter((k) => allowed.includes(k[1])).map((k) => k[0]).join(", ")})` };
  }
  try {
    const actions: Action[] = [];
    for (const [key] of KEYS) if (raw[key] !== undefined) actions.push(...translate(key, raw[key], event, ctx));
    return { actions };
  } catch (err) {
    if (err instanceof Problem) return { problem: err.message };
    throw err;
  }
}
