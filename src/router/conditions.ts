// Conditions compiled once per generation into predicates. Multi-valued attributes and sequence paths match when
// any value matches (as DICOM matching does); an absent attribute reads as one empty value.
import { valueToString } from "../dicom/dataset.js";
import type { Condition, Operand } from "../rules/ast.js";
import { resolveElements } from "./attribute-path.js";
import { fieldValue, memoGet, memoId, memoSet, memoTag, type EventContext } from "./event-context.js";
import { compileRegex } from "./regex.js";

/** A value as conditions see it: text, its number if it has one, and how its VR orders it. */
interface Cell {
  text: string;
  num: number | undefined;
  /** From a numeric VR or a number literal: compared as numbers when both sides have one. */
  numeric: boolean;
  /** Epoch ms for today/now operands. */
  time?: number;
  /** Read as a time of day (TM, or digits that cannot be a date), which depends on "now". */
  timeOfDay: boolean;
  /** DA/DT text read as epoch ms, computed once (does not depend on "now"). */
  dateMs?: number | null;
}

export type Predicate = (ctx: EventContext) => boolean;
type Getter = (ctx: EventContext) => readonly Cell[];

const NUMERIC_VRS = new Set(["DS", "IS", "US", "SS", "UL", "SL", "FL", "FD", "SV", "UV", "number"]);

function cell(v: unknown, vr: string | undefined): Cell {
  const text = valueToString(v);
  const n = typeof v === "number" ? v : text.trim() !== "" ? Number(text) : NaN;
  return { text, num: Number.isFinite(n) ? n : undefined, numeric: vr !== undefined && NUMERIC_VRS.has(vr), timeOfDay: vr === "TM" };
}

const EMPTY_CELLS: readonly Cell[] = Object.freeze([cell("", undefined)]);

function operandGetter(op: Operand): Getter {
  switch (op.kind) {
    case "string": {
      const c = cell(op.value, undefined);
      return () => [c];
    }
    case "number": {
      const c = cell(op.value, "number");
      return () => [c];
    }
    case "field":
      return (ctx) => [cell(fieldValue(ctx, op.name), undefined)];
    case "relative-time": {
      const key = memoId(-1, `${op.base}:${op.offsetMs}`);
      return (ctx) => {
        const hit = memoGet(ctx, key) as readonly Cell[] | undefined;
        if (hit) return hit;
        const base = new Date(ctx.now);
        if (op.base === "today") base.setHours(0, 0, 0, 0);
        const t = base.getTime() + op.offsetMs;
        const cells: Cell[] = [{ text: String(t), num: undefined, numeric: false, timeOfDay: false, time: t }];
        memoSet(ctx, key, cells);
        return cells;
      };
    }
    case "attribute": {
      const key = memoId(memoTag(op.path.steps[0]!), op.path.text);
      return (ctx) => {
        const hit = memoGet(ctx, key) as readonly Cell[] | undefined;
        if (hit) return hit;
        if (!ctx.dataset) return EMPTY_CELLS;
        const read: Cell[] = [];
        for (const el of resolveElements(ctx.dataset, op.path)) for (const v of el.Value ?? []) read.push(cell(v, el.vr));
        const cells = read.length > 0 ? read : EMPTY_CELLS;
        memoSet(ctx, key, cells);
        return cells;
      };
    }
  }
}

function constantCell(op: Operand): Cell | undefined {
  if (op.kind === "string") return cell(op.value, undefined);
  if (op.kind === "number") return cell(op.value, "number");
  return undefined;
}

/** The texts an operand has in this event (memoised like conditions' reads). */
export function operandTexts(op: Operand): (ctx: EventContext) => string[] {
  const g = operandGetter(op);
  return (ctx) => g(ctx).map((c) => c.text);
}

/** Digits of a DA/DT/TM text (separators of old-style values dropped). */
function digitsOf(text: string): string {
  return /^[0-9.]*$/.test(text) ? text : text.replace(/[^0-9.]/g, "");
}

/** Digits that can only be a time of day: 2-6 digits and an optional fraction, not an 8-digit date. */
function looksLikeTimeOfDay(d: string): boolean {
  return d.length !== 8 && /^\d{2,6}(\.\d+)?$/.test(d);
}

/** DA/DT/TM text as epoch ms (local time, as modalities write it). */
function dicomTime(d: string, timeOfDay: boolean, now: Date): number | undefined {
  if (timeOfDay) {
    if (!/^\d{2}/.test(d)) return undefined;
    const base = new Date(now);
    base.setHours(Number(d.slice(0, 2)), Number(d.slice(2, 4) || 0), Number(d.slice(4, 6) || 0), 0);
    return base.getTime();
  }
  if (!/^\d{8}/.test(d)) return undefined;
  const t = new Date(Number(d.slice(0, 4)), Number(d.slice(4, 6)) - 1, Number(d.slice(6, 8)), Number(d.slice(8, 10) || 0), Number(d.slice(10, 12) || 0), Number(d.slice(12, 14) || 0));
  return Number.isNaN(t.getTime()) ? undefined : t.getTime();
}

/** A cell's time; dates (which do not depend on "now") are computed once per cell. */
function timeOf(c: Cell, now: Date): number | undefined {
  if (c.dateMs !== undefined) return c.dateMs ?? undefined;
  const d = digitsOf(c.text);
  const timeOfDay = c.timeOfDay || looksLikeTimeOfDay(d);
  const t = dicomTime(d, timeOfDay, now);
  if (!timeOfDay) c.dateMs = t ?? null;
  return t;
}

/** -1, 0, 1, or undefined when the two cannot be ordered. Dates as text order as their values do (PS3.5 6.2). */
function order(a: Cell, b: Cell, now: Date): number | undefined {
  if (a.time !== undefined || b.time !== undefined) {
    const x = a.time ?? timeOf(a, now);
    const y = b.time ?? timeOf(b, now);
    if (x === undefined || y === undefined) return undefined;
    return Math.sign(x - y);
  }
  if ((a.numeric || b.numeric) && a.num !== undefined && b.num !== undefined) return Math.sign(a.num - b.num);
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
}

function equal(a: Cell, b: Cell, now: Date): boolean {
  if (a.time !== undefined || b.time !== undefined) return order(a, b, now) === 0;
  if ((a.numeric || b.numeric) && a.num !== undefined && b.num !== undefined) return a.num === b.num;
  return a.text === b.text;
}

function any(left: readonly Cell[], right: readonly Cell[], test: (a: Cell, b: Cell) => boolean): boolean {
  for (const a of left) for (const b of right) if (test(a, b)) return true;
  return false;
}

/** A condition's identity: its structure without source positions. */
export function conditionKey(c: Condition): string {
  return JSON.stringify(c, (k, v: unknown) => (k === "span" ? undefined : v));
}

/** Memo slots of the attributes a condition reads (a coercion of one of them makes its result stale). */
function slotsRead(c: Condition): number[] {
  const slots = new Set<number>();
  const visit = (o: Operand) => {
    if (o.kind === "attribute") slots.add(memoTag(o.path.steps[0]!));
  };
  const walk = (x: Condition): void => {
    if (x.kind === "and" || x.kind === "or") x.items.forEach(walk);
    else if (x.kind === "not") walk(x.item);
    else if (x.kind === "compare") [x.left, x.right].forEach(visit);
    else if (x.kind === "in") [x.operand, ...x.values].forEach(visit);
    else if (x.kind === "between") [x.operand, x.low, x.high].forEach(visit);
    else if (x.kind !== "local") visit(x.operand);
  };
  walk(c);
  return [...slots];
}

/**
 * Sub-conditions written the same way in several rules of a rule set ("StudyDate between ... and today" in twenty
 * routing rules): each is compiled once and evaluated at most once per event, its result memoised like a read.
 */
export class SharedConditions {
  private readonly counts = new Map<string, number>();
  private readonly compiled = new Map<string, Predicate>();

  /** Counts a rule's condition and all its sub-conditions; call for every rule before compiling any. */
  add(c: Condition): void {
    const k = conditionKey(c);
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    if (c.kind === "and" || c.kind === "or") c.items.forEach((i) => this.add(i));
    else if (c.kind === "not") this.add(c.item);
  }

  predicate(c: Condition, compile: () => Predicate): Predicate {
    const k = conditionKey(c);
    if ((this.counts.get(k) ?? 0) < 2) return compile();
    let p = this.compiled.get(k);
    if (!p) {
      const raw = compile();
      const id = memoId(slotsRead(c), `condition:${k}`);
      p = (ctx) => {
        const hit = memoGet(ctx, id);
        if (hit !== undefined) return hit as boolean;
        const v = raw(ctx);
        memoSet(ctx, id, v);
        return v;
      };
      this.compiled.set(k, p);
    }
    return p;
  }
}

export function compileCondition(c: Condition, shared?: SharedConditions): Predicate {
  return shared ? shared.predicate(c, () => compileOne(c, shared)) : compileOne(c, undefined);
}

function compileOne(c: Condition, shared: SharedConditions | undefined): Predicate {
  switch (c.kind) {
    case "and": {
      const items = c.items.map((i) => compileCondition(i, shared));
      return (ctx) => {
        for (const p of items) if (!p(ctx)) return false;
        return true;
      };
    }
    case "or": {
      const items = c.items.map((i) => compileCondition(i, shared));
      return (ctx) => {
        for (const p of items) if (p(ctx)) return true;
        return false;
      };
    }
    case "not": {
      const item = compileCondition(c.item, shared);
      return (ctx) => !item(ctx);
    }
    case "local":
      return (ctx) => ctx.local?.() ?? false;
    case "compare": {
      const l = operandGetter(c.left);
      const op = c.op;
      const want = (o: number) => (op === "<" ? o < 0 : op === "<=" ? o <= 0 : op === ">" ? o > 0 : o >= 0);
      // The usual shape, attribute against a literal: no closure or array per call.
      const lit = c.right.kind === "string" || c.right.kind === "number" ? constantCell(c.right) : undefined;
      if (lit) {
        if (op === "==" || op === "!=") {
          const eq = op === "==";
          return (ctx) => {
            for (const a of l(ctx)) if (equal(a, lit, ctx.now)) return eq;
            return !eq;
          };
        }
        return (ctx) => {
          for (const a of l(ctx)) {
            const o = order(a, lit, ctx.now);
            if (o !== undefined && want(o)) return true;
          }
          return false;
        };
      }
      const r = operandGetter(c.right);
      if (op === "==") return (ctx) => any(l(ctx), r(ctx), (a, b) => equal(a, b, ctx.now));
      if (op === "!=") return (ctx) => !any(l(ctx), r(ctx), (a, b) => equal(a, b, ctx.now));
      return (ctx) =>
        any(l(ctx), r(ctx), (a, b) => {
          const o = order(a, b, ctx.now);
          return o !== undefined && want(o);
        });
    }
    case "in": {
      const l = operandGetter(c.operand);
      const values = c.values.map(operandGetter);
      const test: Predicate = (ctx) => {
        const left = l(ctx);
        return values.some((g) => any(left, g(ctx), (a, b) => equal(a, b, ctx.now)));
      };
      return c.negate ? (ctx) => !test(ctx) : test;
    }
    case "matches": {
      const l = operandGetter(c.operand);
      const re = compileRegex(c.regex.source, c.regex.flags);
      const test: Predicate = (ctx) => {
        for (const a of l(ctx)) if (re.test(a.text)) return true;
        return false;
      };
      return c.negate ? (ctx) => !test(ctx) : test;
    }
    case "exists":
    case "empty": {
      const l = operandGetter(c.operand);
      const present: Predicate = (ctx) => l(ctx).some((a) => a.text !== "");
      const wantPresent = c.kind === "exists" ? !c.negate : c.negate;
      return wantPresent ? present : (ctx) => !present(ctx);
    }
    case "between": {
      const l = operandGetter(c.operand);
      const lo = operandGetter(c.low);
      const hi = operandGetter(c.high);
      const test: Predicate = (ctx) => {
        const low = lo(ctx)[0]!;
        const high = hi(ctx)[0]!;
        return l(ctx).some((a) => {
          const x = order(a, low, ctx.now);
          const y = order(a, high, ctx.now);
          return x !== undefined && y !== undefined && x >= 0 && y <= 0;
        });
      };
      return c.negate ? (ctx) => !test(ctx) : test;
    }
  }
}
