// Conditions compiled once per generation into predicates. Multi-valued attributes and sequence paths match when
// any value matches (as DICOM matching does); an absent attribute reads as one empty value.
import { valueToString } from "../dicom/dataset.js";
import type { Condition, Operand } from "../rules/ast.js";
import { resolveElements } from "./attribute-path.js";
import { fieldValue, memoGet, memoId, memoSet, memoTag, type EventContext } from "./event-context.js";
import { compileRegex } from "./regex.js";

/** A value as conditions see it: text, its number if it has one, and the VR it came from. */
interface Cell {
  text: string;
  num: number | undefined;
  vr: string | undefined;
  /** Epoch ms for today/now operands. */
  time?: number;
  /** DA/DT text read as epoch ms, computed once (does not depend on "now"). */
  dateMs?: number | null;
}

export type Predicate = (ctx: EventContext) => boolean;
type Getter = (ctx: EventContext) => Cell[];

const NUMERIC_VRS = new Set(["DS", "IS", "US", "SS", "UL", "SL", "FL", "FD", "SV", "UV"]);
const DATE_VRS = new Set(["DA", "DT", "TM"]);

function cell(v: unknown, vr: string | undefined): Cell {
  const text = valueToString(v);
  const n = typeof v === "number" ? v : text.trim() !== "" ? Number(text) : NaN;
  return { text, num: Number.isFinite(n) ? n : undefined, vr };
}

function operandGetter(op: Operand): Getter {
  switch (op.kind) {
    case "string": {
      const c = cell(op.value, undefined);
      return () => [c];
    }
    case "number": {
      const c: Cell = { text: String(op.value), num: op.value, vr: "number" };
      return () => [c];
    }
    case "field":
      return (ctx) => [cell(fieldValue(ctx, op.name), undefined)];
    case "relative-time": {
      const key = memoId(-1, `${op.base}:${op.offsetMs}`);
      return (ctx) => {
        const hit = memoGet(ctx, key) as Cell[] | undefined;
        if (hit) return hit;
        const base = new Date(ctx.now);
        if (op.base === "today") base.setHours(0, 0, 0, 0);
        const t = base.getTime() + op.offsetMs;
        const cells = [{ text: String(t), num: undefined, vr: "time", time: t }];
        memoSet(ctx, key, cells);
        return cells;
      };
    }
    case "attribute": {
      const key = memoId(memoTag(op.path.steps[0]!), op.path.text);
      return (ctx) => {
        const hit = memoGet(ctx, key) as Cell[] | undefined;
        if (hit) return hit;
        if (!ctx.dataset) return [cell("", undefined)];
        let cells: Cell[] = [];
        for (const el of resolveElements(ctx.dataset, op.path)) for (const v of el.Value ?? []) cells.push(cell(v, el.vr));
        if (cells.length === 0) cells = [cell("", undefined)];
        memoSet(ctx, key, cells);
        return cells;
      };
    }
  }
}

function constantCell(op: Operand): Cell | undefined {
  if (op.kind === "string") return cell(op.value, undefined);
  if (op.kind === "number") return { text: String(op.value), num: op.value, vr: "number" };
  return undefined;
}

/**
 * A cheap pre-test of a rule (evaluated before its condition): the top-level "X == literal" or "X in (literals)"
 * conjunct of a text attribute or association field, as the operand's key and the accepted texts.
 */
export interface Guard {
  operand: Operand;
  values: ReadonlySet<string>;
}

const TEXT_VRS = new Set(["AE", "CS", "LO", "SH", "PN", "UI", "ST", "LT", "UT", "UC", "UR"]);

export function guardOf(c: Condition | undefined, vrOf: (op: Operand) => string | undefined): Guard | undefined {
  if (!c) return undefined;
  const candidates = c.kind === "and" ? c.items : [c];
  for (const item of candidates) {
    let operand: Operand | undefined;
    let values: Operand[] = [];
    if (item.kind === "compare" && item.op === "==") {
      operand = item.left;
      values = [item.right];
    } else if (item.kind === "in" && !item.negate) {
      operand = item.operand;
      values = item.values;
    }
    if (!operand || !values.every((v) => v.kind === "string")) continue;
    if (operand.kind === "field" || (operand.kind === "attribute" && TEXT_VRS.has(vrOf(operand) ?? ""))) {
      return { operand, values: new Set(values.map((v) => (v as { value: string }).value)) };
    }
  }
  return undefined;
}

/** The texts an operand has in this event (memoised like conditions' reads). */
export function operandTexts(op: Operand): (ctx: EventContext) => string[] {
  const g = operandGetter(op);
  return (ctx) => g(ctx).map((c) => c.text);
}

/** DA/DT/TM text as epoch ms (local time, as modalities write it). */
function dicomTime(text: string, vr: string | undefined, now: Date): number | undefined {
  const d = text.replace(/[^0-9.]/g, "");
  if (vr === "TM" || (/^\d{2,6}(\.\d+)?$/.test(d) && d.length !== 8)) {
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
  const t = dicomTime(c.text, c.vr, now);
  const isTime = c.vr === "TM" || (/^\d{2,6}(\.\d+)?$/.test(c.text.replace(/[^0-9.]/g, "")) && c.text.replace(/[^0-9.]/g, "").length !== 8);
  if (!isTime) c.dateMs = t ?? null;
  return t;
}

/** -1, 0, 1, or undefined when the two cannot be ordered. */
function order(a: Cell, b: Cell, now: Date): number | undefined {
  if (a.time !== undefined || b.time !== undefined) {
    const x = a.time ?? timeOf(a, now);
    const y = b.time ?? timeOf(b, now);
    if (x === undefined || y === undefined) return undefined;
    return Math.sign(x - y);
  }
  const numeric = (NUMERIC_VRS.has(a.vr ?? "") || a.vr === "number" || NUMERIC_VRS.has(b.vr ?? "") || b.vr === "number") && a.num !== undefined && b.num !== undefined;
  if (numeric) return Math.sign(a.num! - b.num!);
  if (DATE_VRS.has(a.vr ?? "") || DATE_VRS.has(b.vr ?? "")) return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
}

function equal(a: Cell, b: Cell, now: Date): boolean {
  if (a.time !== undefined || b.time !== undefined) return order(a, b, now) === 0;
  if (a.num !== undefined && b.num !== undefined && (a.vr === "number" || b.vr === "number" || NUMERIC_VRS.has(a.vr ?? "") || NUMERIC_VRS.has(b.vr ?? ""))) {
    return a.num === b.num;
  }
  return a.text === b.text;
}

function any(left: Cell[], right: Cell[], test: (a: Cell, b: Cell) => boolean): boolean {
  for (const a of left) for (const b of right) if (test(a, b)) return true;
  return false;
}

export function compileCondition(c: Condition): Predicate {
  switch (c.kind) {
    case "and": {
      const items = c.items.map(compileCondition);
      return (ctx) => items.every((p) => p(ctx));
    }
    case "or": {
      const items = c.items.map(compileCondition);
      return (ctx) => items.some((p) => p(ctx));
    }
    case "not": {
      const item = compileCondition(c.item);
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
      const test: Predicate = (ctx) => l(ctx).some((a) => re.test(a.text));
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
