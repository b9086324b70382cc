// Conditions compiled once per generation into predicates. Multi-valued attributes and sequence paths match when
// any value matches (as DICOM matching does); an absent attribute reads as one empty value.
import { valueToString } from "../dicom/dataset.js";
import type { Condition, Operand } from "../rules/ast.js";
import { resolveElements } from "./attribute-path.js";
import { fieldValue, type EventContext } from "./event-context.js";
import { compileRegex } from "./regex.js";

/** A value as conditions see it: text, its number if it has one, and the VR it came from. */
interface Cell {
  text: string;
  num: number | undefined;
  vr: string | undefined;
  /** Epoch ms for today/now operands. */
  time?: number;
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
    case "relative-time":
      return (ctx) => {
        const base = new Date(ctx.now);
        if (op.base === "today") base.setHours(0, 0, 0, 0);
        const t = base.getTime() + op.offsetMs;
        return [{ text: String(t), num: undefined, vr: "time", time: t }];
      };
    case "attribute":
      return (ctx) => {
        if (!ctx.dataset) return [cell("", undefined)];
        const cells: Cell[] = [];
        for (const el of resolveElements(ctx.dataset, op.path)) for (const v of el.Value ?? []) cells.push(cell(v, el.vr));
        return cells.length ? cells : [cell("", undefined)];
      };
  }
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

/** -1, 0, 1, or undefined when the two cannot be ordered. */
function order(a: Cell, b: Cell, now: Date): number | undefined {
  if (a.time !== undefined || b.time !== undefined) {
    const x = a.time ?? dicomTime(a.text, a.vr, now);
    const y = b.time ?? dicomTime(b.text, b.vr, now);
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
      const r = operandGetter(c.right);
      const op = c.op;
      if (op === "==") return (ctx) => any(l(ctx), r(ctx), (a, b) => equal(a, b, ctx.now));
      if (op === "!=") return (ctx) => !any(l(ctx), r(ctx), (a, b) => equal(a, b, ctx.now));
      const want = (o: number) => (op === "<" ? o < 0 : op === "<=" ? o <= 0 : op === ">" ? o > 0 : o >= 0);
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
