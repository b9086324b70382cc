// Turns the parser's CST into the typed AST of ast.ts, resolving names (keywords, tags, fields), strings,
// templates, durations and numbers. Problems found here are diagnostics; the rule they occur in is dropped.
import type { CstNode, IToken } from "chevrotain";
import type {
  Action,
  AssociationField,
  AttributePath,
  AttributeStep,
  CompareOp,
  Condition,
  Diagnostic,
  EventName,
  Operand,
  Position,
  Rule,
  RuleFile,
  SourceRef,
  Span,
  Template,
  ValueExpr,
} from "./ast.js";
import { ASSOCIATION_FIELDS, EVENTS } from "./ast.js";
import { resolveKeywordStep, resolvePrivateStep, resolveTagStep } from "./attribute-names.js";
import { parseTemplate, unescapeString } from "./template.js";

type Children = Record<string, Array<CstNode | IToken> | undefined>;

class Dropped extends Error {}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text)!;
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

function isToken(x: CstNode | IToken | undefined): x is IToken {
  return !!x && "image" in x;
}

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly file: string) {}

  /** `syntaxErrors`: the parser reported errors, so incomplete rules are already explained. */
  build(cst: CstNode, syntaxErrors = false): RuleFile {
    const rules: Rule[] = [];
    for (const r of this.nodes(cst, "rule")) {
      const before = this.diagnostics.length;
      try {
        const rule = this.rule(r);
        if (rule) rules.push(rule);
      } catch (err) {
        if (!(err instanceof Dropped)) throw err;
      }
      if (rules[rules.length - 1]?.span.start.offset !== r.location?.startOffset && this.diagnostics.length === before && !syntaxErrors) {
        const at = { line: r.location?.startLine ?? 1, column: r.location?.startColumn ?? 1, offset: r.location?.startOffset ?? 0 };
        this.error({ start: at, end: at }, "RULES_SYNTAX", "this rule could not be read", "check its syntax against grammar/REFERENCE.md");
      }
    }
    return { file: this.file, rules };
  }

  // ---------------------------------------------------------------- helpers
  private ch(n: CstNode): Children {
    return n.children as Children;
  }
  private nodes(n: CstNode, key: string): CstNode[] {
    return (this.ch(n)[key] ?? []).filter((x): x is CstNode => !isToken(x));
  }
  private node(n: CstNode, key: string): CstNode | undefined {
    return this.nodes(n, key)[0];
  }
  private tokens(n: CstNode, key: string): IToken[] {
    return (this.ch(n)[key] ?? []).filter(isToken).filter((t) => !t.isInsertedInRecovery);
  }
  private token(n: CstNode, key: string): IToken | undefined {
    return this.tokens(n, key)[0];
  }
  /** A node built during error recovery may miss parts: the parser already reported it, drop the rule. */
  private need<T>(x: T | undefined): T {
    if (x === undefined) throw new Dropped();
    return x;
  }

  private span(n: CstNode | IToken): Span {
    if (isToken(n)) return this.tokenSpan(n);
    const l = n.location;
    if (!l || Number.isNaN(l.startOffset)) throw new Dropped();
    return {
      start: { line: l.startLine ?? 1, column: l.startColumn ?? 1, offset: l.startOffset },
      end: { line: l.endLine ?? l.startLine ?? 1, column: (l.endColumn ?? l.startColumn ?? 0) + 1, offset: (l.endOffset ?? l.startOffset) + 1 },
    };
  }
  private tokenSpan(t: IToken): Span {
    if (Number.isNaN(t.startOffset)) throw new Dropped();
    return {
      start: { line: t.startLine ?? 1, column: t.startColumn ?? 1, offset: t.startOffset },
      end: { line: t.endLine ?? 1, column: (t.endColumn ?? 0) + 1, offset: (t.endOffset ?? t.startOffset) + 1 },
    };
  }
  /** Position `delta` characters into a token (strings do not span lines). */
  private within(t: IToken, delta: number): Position {
    return { line: t.startLine ?? 1, column: (t.startColumn ?? 1) + delta, offset: t.startOffset + delta };
  }

  private error(at: Span, code: string, message: string, hint?: string): void {
    this.diagnostics.push({ file: this.file, line: at.start.line, column: at.start.column, endLine: at.end.line, endColumn: at.end.column, severity: "error", code, message, hint });
  }

  // ---------------------------------------------------------------- rules
  private rule(n: CstNode): Rule | undefined {
    const evTok = this.need(this.token(n, "event"));
    const event = evTok.image as EventName;
    if (!(EVENTS as readonly string[]).includes(event)) {
      const near = EVENTS.find((e) => e.startsWith(evTok.image) || evTok.image.startsWith(e));
      this.error(this.tokenSpan(evTok), "RULES_UNKNOWN_EVENT", `unknown event "${evTok.image}"`, `${near ? `did you mean ${near}? ` : ""}events: ${EVENTS.join(", ")}`);
      throw new Dropped();
    }
    const rule: Rule = { event, actions: [], span: this.span(n) };
    const after = this.token(n, "after");
    if (after) rule.afterMs = durationMs(after.image);
    let ok = true;
    const cond = this.node(n, "condition");
    try {
      if (cond) rule.condition = this.orCondition(cond);
    } catch (err) {
      if (!(err instanceof Dropped)) throw err;
      ok = false;
    }
    for (const a of this.nodes(n, "action")) {
      try {
        rule.actions.push(this.action(a));
      } catch (err) {
        if (!(err instanceof Dropped)) throw err;
        ok = false;
      }
    }
    // A rule with a broken part stays in the AST so the checker can report its other problems; an AST with
    // error diagnostics is never run (buildGeneration refuses it).
    return ok || rule.actions.length > 0 || rule.condition ? rule : undefined;
  }

  // ---------------------------------------------------------------- conditions
  private orCondition(n: CstNode): Condition {
    const items = this.nodes(n, "items").map((x) => this.andCondition(x));
    return items.length === 1 ? items[0]! : { kind: "or", items, span: this.span(n) };
  }
  private andCondition(n: CstNode): Condition {
    const items = this.nodes(n, "items").map((x) => this.notCondition(x));
    return items.length === 1 ? items[0]! : { kind: "and", items, span: this.span(n) };
  }
  private notCondition(n: CstNode): Condition {
    const inner = this.node(n, "inner");
    if (inner) return { kind: "not", item: this.notCondition(inner), span: this.span(n) };
    return this.primary(this.need(this.node(n, "primary")));
  }
  private primary(n: CstNode): Condition {
    const group = this.node(n, "group");
    if (group) return this.orCondition(group);
    const span = this.span(n);
    if (this.token(n, "Local")) return { kind: "local", span };
    const subject = this.operand(this.need(this.node(n, "subject")));
    const p = this.need(this.node(n, "predicate"));
    const negate = !!this.token(p, "Not");
    const op = this.token(p, "CompareOp");
    if (op) return { kind: "compare", op: op.image as CompareOp, left: subject, right: this.operand(this.need(this.node(p, "right"))), span };
    if (this.token(p, "Empty")) return { kind: "empty", negate, operand: subject, span };
    if (this.token(p, "In")) return { kind: "in", negate, operand: subject, values: this.nodes(p, "values").map((v) => this.operand(v)), span };
    const re = this.token(p, "RegexLiteral");
    if (re) return { kind: "matches", negate, operand: subject, regex: this.regex(re), span };
    if (this.token(p, "Exists")) return { kind: "exists", negate, operand: subject, span };
    if (this.token(p, "Between")) {
      return { kind: "between", negate, operand: subject, low: this.operand(this.need(this.node(p, "low"))), high: this.operand(this.need(this.node(p, "high"))), span };
    }
    throw new Dropped();
  }

  /** Strings and regexes that run to the end of the line without closing: one diagnostic, the rule dropped. */
  private closed(t: IToken): void {
    if (t.tokenType.name === "UnclosedString") {
      this.error(this.tokenSpan(t), "RULES_SYNTAX", "a string is not closed on its line", 'strings end on the line they start; escape a quote inside as \\"');
      throw new Dropped();
    }
    if (t.tokenType.name === "UnclosedRegex") {
      this.error(this.tokenSpan(t), "RULES_SYNTAX", "a /regex/ is not closed on its line", "end it with / and its flags, e.g. /chest/i; escape a / inside as \\/");
      throw new Dropped();
    }
  }

  private regex(t: IToken): { source: string; flags: string; span: Span } {
    this.closed(t);
    const last = t.image.lastIndexOf("/");
    return { source: t.image.slice(1, last), flags: t.image.slice(last + 1), span: this.tokenSpan(t) };
  }

  private operand(n: CstNode): Operand {
    const span = this.span(n);
    const path = this.node(n, "path");
    if (path) {
      const steps = this.nodes(path, "steps");
      const only = steps.length === 1 ? this.token(steps[0]!, "Identifier") : undefined;
      if (only && !this.token(steps[0]!, "LSquare") && (ASSOCIATION_FIELDS as readonly string[]).includes(only.image)) {
        return { kind: "field", name: only.image as AssociationField, span };
      }
      return { kind: "attribute", path: this.path(path), span };
    }
    const str = this.token(n, "StringLiteral");
    if (str) return { kind: "string", value: this.string(str), span };
    const num = this.token(n, "NumberLiteral") ?? this.token(n, "HexNumber");
    if (num) return { kind: "number", value: (this.token(n, "sign") ? -1 : 1) * Number(num.image), span };
    const base = this.token(n, "Today") ? "today" : this.token(n, "Now") ? "now" : undefined;
    if (base) {
      const d = this.token(n, "Duration");
      const sign = this.token(n, "offsetSign")?.image === "-" ? -1 : 1;
      return { kind: "relative-time", base, offsetMs: d ? sign * durationMs(d.image) : 0, span };
    }
    throw new Dropped();
  }

  private path(n: CstNode): AttributePath {
    const steps: AttributeStep[] = [];
    let bad = false;
    for (const s of this.nodes(n, "steps")) {
      const id = this.token(s, "Identifier");
      const tag = this.token(s, "Tag");
      const priv = this.token(s, "PrivateTag");
      const tok = this.need(id ?? tag ?? priv);
      const res = id ? resolveKeywordStep(id.image) : tag ? resolveTagStep(tag.image) : resolvePrivateStep(priv!.image);
      if ("problem" in res) {
        this.error(this.tokenSpan(tok), res.problem.code, res.problem.message, res.problem.hint);
        bad = true;
        continue;
      }
      const index = this.token(s, "index");
      if (index) res.step.item = Number(index.image);
      else if (this.token(s, "any")) res.step.item = "any";
      steps.push(res.step);
    }
    if (bad) throw new Dropped();
    const sp = this.span(n);
    return { steps, text: this.textOf(sp) };
  }

  private source = "";
  withSource(text: string): this {
    this.source = text;
    return this;
  }
  private textOf(s: Span): string {
    return this.source.slice(s.start.offset, s.end.offset);
  }

  private string(t: IToken): string {
    this.closed(t);
    const { value, problems } = unescapeString(t.image);
    for (const p of problems) this.error({ start: this.within(t, p.offset), end: this.within(t, p.offset + p.length) }, p.code, p.message, p.hint);
    if (problems.length) throw new Dropped();
    return value;
  }

  private template(t: IToken): Template {
    this.closed(t);
    const { parts, source, problems } = parseTemplate(t.image);
    for (const p of problems) this.error({ start: this.within(t, p.offset), end: this.within(t, p.offset + p.length) }, p.code, p.message, p.hint);
    if (problems.length) throw new Dropped();
    return { source, parts, span: this.tokenSpan(t) };
  }

  private name(n: CstNode): string {
    const id = this.token(n, "Identifier");
    if (id) return id.image;
    return this.string(this.need(this.token(n, "StringLiteral")));
  }

  // ---------------------------------------------------------------- actions
  private action(n: CstNode): Action {
    const span = this.span(n);
    if (this.token(n, "Discard")) return { kind: "discard", span };
    if (this.token(n, "Stop")) return { kind: "stop", span };
    const [key, inner] = Object.entries(this.ch(n)).find(([, v]) => v && v.length > 0 && !isToken(v[0])) ?? [];
    const a = inner?.[0] as CstNode | undefined;
    if (!key || !a) throw new Dropped();
    switch (key) {
      case "acceptAction": {
        const what = this.token(a, "what");
        if (!what) return { kind: "accept", span };
        if (what.image !== "sop-classes" && what.image !== "transfer-syntaxes") {
          this.error(this.tokenSpan(what), "RULES_SYNTAX", `"accept only" takes sop-classes or transfer-syntaxes, not "${what.image}"`, 'for example: accept only sop-classes ("CTImageStorage", "MRImageStorage")');
          throw new Dropped();
        }
        return { kind: "restrict", what: what.image, values: this.nodes(a, "values").map((v) => this.name(v)), span };
      }
      case "rejectAction": {
        const status = this.token(a, "status");
        const text = this.token(a, "text");
        const r: Extract<Action, { kind: "reject" }> = { kind: "reject", span };
        if (status) r.status = Number(status.image);
        if (text) r.message = this.string(text);
        if (this.token(a, "Transient")) r.transient = true;
        if (this.token(a, "Permanent")) r.transient = false;
        return r;
      }
      case "setAction": {
        const vr = this.token(a, "vr");
        const r: Extract<Action, { kind: "set" }> = { kind: "set", target: this.path(this.need(this.node(a, "target"))), value: this.value(this.need(this.node(a, "value"))), span };
        if (vr) r.vr = vr.image;
        return r;
      }
      case "removeAction":
        return { kind: "remove", target: this.path(this.need(this.node(a, "target"))), span };
      case "copyAction":
        return { kind: "copy", from: this.path(this.need(this.node(a, "from"))), to: this.path(this.need(this.node(a, "to"))), span };
      case "replaceAction":
        return {
          kind: "replace",
          target: this.path(this.need(this.node(a, "target"))),
          regex: this.regex(this.need(this.token(a, "RegexLiteral"))),
          replacement: this.string(this.need(this.token(a, "replacement"))),
          span,
        };
      case "mapAction": {
        const r: Extract<Action, { kind: "map" }> = { kind: "map", target: this.path(this.need(this.node(a, "target"))), table: this.string(this.need(this.token(a, "table"))), span };
        const from = this.token(a, "fromColumn");
        const to = this.token(a, "toColumn");
        if (from) r.from = this.string(from);
        if (to) r.to = this.string(to);
        const fb = this.node(a, "fallback");
        if (fb) r.fallback = this.value(fb);
        return r;
      }
      case "newUidsAction":
        return { kind: "new-uids", span };
      case "storeAtAction":
        return { kind: "store-at", template: this.template(this.need(this.token(a, "template"))), span };
      case "forwardAction":
        return { kind: "forward", destinations: this.nodes(a, "destinations").map((d) => this.name(d)), span };
      case "runAction":
        return { kind: "run", command: this.name(this.need(this.node(a, "command"))), span };
      case "logAction":
        return { kind: "log", message: this.template(this.need(this.token(a, "message"))), span };
      case "fromAction": {
        const verb = this.need(this.token(a, "verb"));
        let source: SourceRef;
        const view = this.node(a, "view");
        const plugin = this.node(a, "plugin");
        const ae = this.node(a, "ae");
        if (this.token(a, "Local")) source = { kind: "local" };
        else if (view) source = { kind: "view", name: this.name(view) };
        else if (plugin) source = { kind: "plugin", name: this.name(plugin) };
        else source = { kind: "ae", ae: this.name(this.need(ae)) };
        return verb.image === "answer" ? { kind: "answer-from", source, span } : { kind: "retrieve-from", source, span };
      }
      case "destinationAction":
        return { kind: "destination", ae: this.name(this.need(this.node(a, "ae"))), span };
      case "reportAction": {
        const mode = this.need(this.token(a, "mode")).image as "same" | "new" | "next";
        const r: Extract<Action, { kind: "report" }> = { kind: "report", mode, span };
        const d = this.token(a, "Duration");
        if (d) r.delayMs = durationMs(d.image);
        if (this.token(a, "Forwards")) r.waitForForwards = true;
        return r;
      }
      default:
        throw new Dropped();
    }
  }

  private value(n: CstNode): ValueExpr {
    const span = this.span(n);
    const str = this.token(n, "StringLiteral");
    if (str) return { kind: "template", template: this.template(str) };
    const num = this.token(n, "NumberLiteral");
    if (num) return { kind: "number", value: (this.token(n, "sign") ? -1 : 1) * Number(num.image), span };
    if (this.token(n, "Empty")) return { kind: "empty", span };
    return { kind: "attribute", path: this.path(this.need(this.node(n, "path"))), span };
  }
}
