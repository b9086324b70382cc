// The index over one event's rules: each rule's cheapest necessary conjunct (its guard) is grouped with the same
// guard of other rules, so hundreds of rules cost a few lookups per object instead of one test each.
import type { Condition, Operand, Regex, Rule } from "../rules/ast.js";
import { lookupTag } from "../dicom/dictionary.js";
import { operandTexts } from "./conditions.js";
import { privateCreators } from "./attribute-path.js";
import { memoTag, type EventContext } from "./event-context.js";
import { compileRegex, type SafeRegex } from "./regex.js";

/** Text VRs whose equality is plain text equality (numbers and dates compare by value, so they are not indexed). */
const TEXT_VRS = new Set(["AE", "CS", "LO", "SH", "PN", "UI", "ST", "LT", "UT", "UC", "UR"]);

/** A rule's guard: the operand's texts and either the values that can match or a regex one of them must match. */
export interface RuleGuard {
  /** Rules whose guards share a key share one read ("a:Modality", "p:0009", "r:i:StudyDescription"). */
  key: string;
  /** Memo slot of what the guard reads; a rule that coerces it makes the index stale. Fields have none. */
  slot?: number;
  texts: (ctx: EventContext) => string[];
  values?: ReadonlySet<string>;
  regex?: Regex;
}

function vrOf(op: Operand): string | undefined {
  if (op.kind !== "attribute") return undefined;
  const last = op.path.steps[op.path.steps.length - 1]!;
  return last.privateCreator ? undefined : lookupTag(last.tag)?.vr;
}

function operandKey(op: Operand): string | undefined {
  if (op.kind === "field") return `f:${op.name}`;
  if (op.kind === "attribute") return `a:${op.path.text}`;
  return undefined;
}

function slotOf(op: Operand): number | undefined {
  return op.kind === "attribute" ? memoTag(op.path.steps[0]!) : undefined;
}

/** "X == literal" or "X in (literals)" on a text attribute or association field. */
function equalsGuard(item: Condition): RuleGuard | undefined {
  let operand: Operand | undefined;
  let values: Operand[] = [];
  if (item.kind === "compare" && item.op === "==") [operand, values] = [item.left, [item.right]];
  else if (item.kind === "in" && !item.negate) [operand, values] = [item.operand, item.values];
  if (!operand || !values.every((v) => v.kind === "string")) return undefined;
  if (operand.kind !== "field" && !(operand.kind === "attribute" && TEXT_VRS.has(vrOf(operand) ?? ""))) return undefined;
  const texts = new Set(values.map((v) => (v as { value: string }).value));
  return { key: operandKey(operand)!, slot: slotOf(operand), texts: operandTexts(operand), values: texts };
}

/** "(gggg,"CREATOR",xx)... exists": the creator must be present in that group of the top level. */
function creatorGuard(item: Condition): RuleGuard | undefined {
  if (item.kind !== "exists" || item.negate || item.operand.kind !== "attribute") return undefined;
  const first = item.operand.path.steps[0]!;
  if (!first.privateCreator) return undefined;
  const group = first.tag >>> 16;
  return { key: `p:${group}`, slot: memoTag(first), texts: (ctx) => (ctx.dataset ? privateCreators(ctx.dataset, group) : []), values: new Set([first.privateCreator]) };
}

/** "X matches /re/": rules testing the same operand with the same flags share one combined regex. */
function matchesGuard(item: Condition): RuleGuard | undefined {
  if (item.kind !== "matches" || item.negate) return undefined;
  const k = operandKey(item.operand);
  if (!k) return undefined;
  return { key: `r:${item.regex.flags}:${k}`, slot: slotOf(item.operand), texts: operandTexts(item.operand), regex: item.regex };
}

/** The guard of a rule: the first top-level conjunct of the most selective kind that has one. */
export function guardOf(rule: Rule): RuleGuard | undefined {
  const c = rule.condition;
  if (!c) return undefined;
  const items = c.kind === "and" ? c.items : [c];
  for (const kind of [equalsGuard, creatorGuard, matchesGuard]) {
    for (const item of items) {
      const g = kind(item);
      if (g) return g;
    }
  }
  return undefined;
}

/** Regex guards as a tree: a node's test is the alternation of its patterns; only a hit looks further down. */
interface RegexNode {
  tests: SafeRegex[];
  rules: number[];
  children?: RegexNode[];
}

interface Group {
  texts: (ctx: EventContext) => string[];
  /** Lookup guards: rule indices by accepted text. */
  byValue?: Map<string, number[]>;
  /** Regex guards (same operand and flags): the tree of their patterns. */
  tree?: RegexNode;
}

/** Patterns in a leaf of the regex tree: tested one by one by the rules' own conditions. */
const REGEX_LEAF = 4;

/**
 * One event's rules in order, with their guards indexed. `candidates` marks the rules worth trying: every
 * unguarded rule and each guarded one whose guard can hold.
 */
export class RuleIndex<R extends { guard?: RuleGuard; changes?: Set<number> | "all" }> {
  private readonly unguarded: Uint8Array;
  private readonly groups = new Map<string, Group>();
  private readonly guardSlots = new Set<number>();

  constructor(readonly list: readonly R[]) {
    this.unguarded = new Uint8Array(list.length);
    const patterns = new Map<Group, { flags: string; list: Array<{ rule: number; source: string }> }>();
    list.forEach((r, i) => {
      const g = r.guard;
      if (!g) return void (this.unguarded[i] = 1);
      let group = this.groups.get(g.key);
      if (!group) this.groups.set(g.key, (group = { texts: g.texts }));
      if (g.slot !== undefined) this.guardSlots.add(g.slot);
      if (g.values) {
        group.byValue ??= new Map();
        for (const v of g.values) {
          const l = group.byValue.get(v) ?? [];
          l.push(i);
          group.byValue.set(v, l);
        }
      } else if (g.regex) {
        const p = patterns.get(group) ?? { flags: g.regex.flags, list: [] };
        p.list.push({ rule: i, source: g.regex.source });
        patterns.set(group, p);
      }
    });
    for (const [group, p] of patterns) group.tree = regexTree(p.list, p.flags);
  }

  /** A mask over `list`: 1 for the rules worth trying. Read-only; a fresh one per call when a guard can hold. */
  candidates(ctx: EventContext): Uint8Array {
    let pick: Uint8Array | undefined;
    for (const g of this.groups.values()) {
      const texts = g.texts(ctx);
      if (g.byValue) {
        for (const t of texts) {
          const l = g.byValue.get(t);
          if (l) for (const i of l) (pick ??= this.unguarded.slice())[i] = 1;
        }
      } else if (g.tree) {
        const hits: number[] = [];
        regexHits(g.tree, texts, hits);
        for (const i of hits) (pick ??= this.unguarded.slice())[i] = 1;
      }
    }
    return pick ?? this.unguarded;
  }

  /** A rule that changes a guarded attribute makes the candidate list stale. */
  invalidates(r: R): boolean {
    if (r.changes === "all") return this.guardSlots.size > 0;
    if (!r.changes) return false;
    for (const s of r.changes) if (this.guardSlots.has(s)) return true;
    return false;
  }
}

/** One alternation of the patterns (same flags) where it compiles, else each pattern on its own. */
function alternation(sources: string[], flags: string): SafeRegex[] {
  if (sources.length > 1) {
    try {
      return [compileRegex(sources.map((s) => `(?:${s})`).join("|"), flags)];
    } catch {
      // Patterns that cannot share one expression (duplicate group names) are tested one by one.
    }
  }
  return sources.map((s) => compileRegex(s, flags));
}

function regexTree(patterns: Array<{ rule: number; source: string }>, flags: string): RegexNode {
  const node: RegexNode = { tests: alternation(patterns.map((p) => p.source), flags), rules: patterns.map((p) => p.rule) };
  if (patterns.length > REGEX_LEAF) {
    const half = Math.ceil(patterns.length / 2);
    node.children = [regexTree(patterns.slice(0, half), flags), regexTree(patterns.slice(half), flags)];
  }
  return node;
}

/** Rules of the leaves whose patterns can match one of the texts. */
function regexHits(node: RegexNode, texts: readonly string[], out: number[]): void {
  if (!texts.some((t) => node.tests.some((re) => re.test(t)))) return;
  if (!node.children) out.push(...node.rules);
  else for (const child of node.children) regexHits(child, texts, out);
}
