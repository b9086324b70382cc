// A compiled rule set: files in name order, rules in file order; every matching rule applies its actions in
// order until one says stop (or rejects); later assignments win (DESIGN.md section 4).
import { dirname, resolve } from "node:path";
import type { Action, EventName, Rule, RuleFile, SourceRef } from "../rules/ast.js";
import { DEFAULT_REJECT_STATUS, REJECT_REASONS } from "../rules/events.js";
import { valueToString } from "../dicom/dataset.js";
import { compileCondition, SharedConditions, type Predicate } from "./conditions.js";
import { guardOf, RuleIndex, type RuleGuard } from "./rule-index.js";
import { copyAttribute, mapAttribute, removeAttribute, replaceInAttribute, replaceUids, setText, setValues } from "./coerce.js";
import { memoDrop, memoTag, type EventContext } from "./event-context.js";
import { loadLookupTable, type LookupTable } from "./lookup-table.js";
import { compileRegex } from "./regex.js";
import { renderPath, renderTemplate } from "./render.js";
import { resolveValues, leafVR } from "./attribute-path.js";

export interface Decision {
  /** Rules whose condition held, in the order they ran. */
  matched: Array<{ file: string; line: number; event: EventName }>;
  reject?: { status: number; source?: number; reason?: number; transient: boolean; message?: string };
  restrict: { sopClasses?: Set<string>; transferSyntaxes?: Set<string> };
  /** A coercion action ran (set, remove, copy, replace, map, new uids). */
  coerced: boolean;
  /** "store at": relative path, every component sanitised. */
  storePath?: string;
  discard: boolean;
  forwards: string[];
  runs: string[];
  logs: string[];
  answerFrom?: SourceRef;
  retrieveFrom?: SourceRef;
  destination?: string;
  report?: { mode: "same" | "new" | "next"; delayMs?: number; waitForForwards?: boolean };
  stopped: boolean;
}

export interface RuleServices {
  /** Consistent replacement of an instance UID (new uids). */
  mapUid?(original: string): string;
  /** Resolves names (SOP classes, transfer syntaxes) in "accept only" lists to UIDs. */
  resolveUid?(nameOrUid: string): string;
}

type Step = (ctx: EventContext, d: Decision, services: RuleServices) => "stop" | void;

export interface CompiledRule {
  file: string;
  rule: Rule;
  when?: Predicate;
  /** A cheap necessary conjunct of the condition, for the index. */
  guard?: RuleGuard;
  steps: Step[];
  /** Memo slots of the attributes the rule's actions change ("all": new UIDs touch many). */
  changes?: Set<number> | "all";
}

function changedSlots(actions: readonly Action[]): Set<number> | "all" | undefined {
  const slots = new Set<number>();
  for (const a of actions) {
    if (a.kind === "new-uids") return "all";
    if (a.kind === "set" || a.kind === "remove" || a.kind === "replace" || a.kind === "map") slots.add(memoTag(a.target.steps[0]!));
    if (a.kind === "copy") slots.add(memoTag(a.to.steps[0]!));
  }
  return slots.size ? slots : undefined;
}

export function emptyDecision(): Decision {
  return { matched: [], restrict: {}, coerced: false, discard: false, forwards: [], runs: [], logs: [], stopped: false };
}

function compileAction(a: Action, baseDir: string, tables: Map<string, LookupTable>, event: EventName): Step {
  switch (a.kind) {
    case "accept":
      return () => {};
    case "reject":
      return (_ctx, d) => {
        const r = a.reason ? REJECT_REASONS[a.reason] : undefined;
        d.reject = { status: a.status ?? DEFAULT_REJECT_STATUS, source: r?.source, reason: r?.reason, transient: a.transient ?? false, message: a.message };
        return "stop";
      };
    case "restrict":
      return (_ctx, d, s) => {
        const set = new Set(a.values.map((v) => s.resolveUid?.(v) ?? v));
        if (a.what === "sop-classes") d.restrict.sopClasses = set;
        else d.restrict.transferSyntaxes = set;
      };
    case "set":
      return (ctx, d) => {
        const ds = ctx.dataset;
        if (!ds) return;
        const v = a.value;
        if (v.kind === "empty") setValues(ds, a.target, a.vr, []);
        else if (v.kind === "number") setText(ds, a.target, a.vr, String(v.value));
        else if (v.kind === "attribute") {
          const vr = a.vr ?? leafVR(ds, a.target);
          setText(ds, a.target, vr, resolveValues(ds, v.path).map(valueToString).join("\\"));
        } else setText(ds, a.target, a.vr, renderTemplate(v.template, ctx));
        d.coerced = true;
      };
    case "remove":
      return (ctx, d) => {
        if (!ctx.dataset) return;
        removeAttribute(ctx.dataset, a.target);
        d.coerced = true;
      };
    case "copy":
      return (ctx, d) => {
        if (!ctx.dataset) return;
        copyAttribute(ctx.dataset, a.from, a.to);
        d.coerced = true;
      };
    case "replace": {
      const re = compileRegex(a.regex.source, a.regex.flags);
      return (ctx, d) => {
        if (!ctx.dataset) return;
        replaceInAttribute(ctx.dataset, a.target, re, a.replacement);
        d.coerced = true;
      };
    }
    case "map": {
      const file = resolve(baseDir, a.table);
      let table = tables.get(file);
      if (!table) {
        table = loadLookupTable(file);
        tables.set(file, table);
      }
      const mapping = table.map(a.from, a.to);
      return (ctx, d) => {
        if (!ctx.dataset) return;
        const fb = a.fallback;
        const fallback = !fb ? undefined : fb.kind === "template" ? renderTemplate(fb.template, ctx) : fb.kind === "number" ? String(fb.value) : fb.kind === "empty" ? "" : resolveValues(ctx.dataset, fb.path).map(valueToString).join("\\");
        mapAttribute(ctx.dataset, a.target, mapping, fallback);
        d.coerced = true;
      };
    }
    case "new-uids":
      return (ctx, d, s) => {
        if (!ctx.dataset || !s.mapUid) return;
        if (replaceUids(ctx.dataset, s.mapUid) > 0) d.coerced = true;
      };
    case "store-at":
      return (ctx, d) => {
        d.storePath = renderPath(a.template, ctx);
      };
    case "discard":
      return (_ctx, d) => {
        d.discard = true;
      };
    case "forward":
      return (_ctx, d) => {
        for (const ae of a.destinations) if (!d.forwards.includes(ae)) d.forwards.push(ae);
      };
    case "run":
      return (_ctx, d) => {
        if (!d.runs.includes(a.command)) d.runs.push(a.command);
      };
    case "log":
      return (ctx, d) => {
        d.logs.push(renderTemplate(a.message, ctx));
      };
    case "stop":
      return () => "stop";
    case "answer-from":
      return (_ctx, d) => {
        d.answerFrom = a.source;
      };
    case "retrieve-from":
      return (_ctx, d) => {
        d.retrieveFrom = a.source;
      };
    case "destination":
      return (_ctx, d) => {
        d.destination = a.ae;
      };
    case "report":
      return (_ctx, d) => {
        d.report = { mode: a.mode, delayMs: a.delayMs, waitForForwards: a.waitForForwards };
      };
  }
  void event;
}

/**
 * Runs actions that did not come from a rule file (plugin decisions translated to the same Action shapes) on a
 * decision; "stop" when one of them stops evaluation.
 */
export function runActions(actions: readonly Action[], event: EventName, ctx: EventContext, d: Decision, services: RuleServices, baseDir: string): "stop" | void {
  const tables = new Map<string, LookupTable>();
  for (const a of actions) if (compileAction(a, baseDir, tables, event)(ctx, d, services) === "stop") return "stop";
}

export class RuleSet {
  private readonly byEvent = new Map<EventName, CompiledRule[]>();
  readonly tables = new Map<string, LookupTable>();

  /** Compiles files given in evaluation order (name order); throws on what the checker should have caught. */
  constructor(files: readonly RuleFile[]) {
    const shared = new SharedConditions();
    for (const f of files) for (const rule of f.rules) if (rule.condition) shared.add(rule.condition);
    for (const f of files) {
      const baseDir = dirname(f.file);
      for (const rule of f.rules) {
        const compiled: CompiledRule = {
          file: f.file,
          rule,
          when: rule.condition ? compileCondition(rule.condition, shared) : undefined,
          guard: guardOf(rule),
          steps: rule.actions.map((a) => compileAction(a, baseDir, this.tables, rule.event)),
          changes: changedSlots(rule.actions),
        };
        const list = this.byEvent.get(rule.event) ?? [];
        list.push(compiled);
        this.byEvent.set(rule.event, list);
      }
    }
    for (const [event, list] of this.byEvent) this.indexed.set(event, new RuleIndex(list));
  }

  private readonly indexed = new Map<EventName, RuleIndex<CompiledRule>>();

  rules(event: EventName): readonly CompiledRule[] {
    return this.byEvent.get(event) ?? [];
  }

  has(event: EventName): boolean {
    return (this.byEvent.get(event)?.length ?? 0) > 0;
  }

  get size(): number {
    let n = 0;
    for (const l of this.byEvent.values()) n += l.length;
    return n;
  }

  evaluate(event: EventName, ctx: EventContext, services: RuleServices = {}, decision = emptyDecision()): Decision {
    const idx = this.indexed.get(event);
    if (!idx) return decision;
    ctx.memo ??= [];
    const list = idx.list;
    let picked: Uint8Array | undefined = idx.candidates(ctx);
    for (let i = 0; i < list.length; i++) {
      // Rules the index ruled out are skipped; guards of the others are implied by their conditions.
      if (picked && picked[i] === 0) continue;
      const r = list[i]!;
      if (r.when && !r.when(ctx)) continue;
      decision.matched.push({ file: r.file, line: r.rule.span.start.line, event });
      for (const step of r.steps) {
        if (step(ctx, decision, services) === "stop") {
          decision.stopped = true;
          return decision;
        }
      }
      // Values read before a coercion may be stale now; so may the candidate list, if a guarded value changed.
      if (r.changes) memoDrop(ctx, r.changes);
      if (picked && idx.invalidates(r)) picked = undefined;
    }
    return decision;
  }
}
