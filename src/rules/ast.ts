// The typed AST of Conduit's rule language (DESIGN.md section 4): what the parser builds and the evaluator runs.
// Plain data only (JSON-serialisable), so golden tests can compare it and diagnostics can point into it.

export interface Position {
  /** 1-based line and column. */
  line: number;
  column: number;
  /** 0-based character offset in the file. */
  offset: number;
}

export interface Span {
  start: Position;
  end: Position;
}

export const EVENTS = [
  "associate",
  "echo",
  "store",
  "stored",
  "study-stable",
  "find",
  "worklist",
  "move",
  "get",
  "commit",
  "release",
] as const;
export type EventName = (typeof EVENTS)[number];

export interface RuleFile {
  file: string;
  rules: Rule[];
}

export interface Rule {
  event: EventName;
  /** study-stable only: the quiet period ("on study-stable after 30s"); undefined = the configured default. */
  afterMs?: number;
  condition?: Condition;
  actions: Action[];
  /** The rule's position: from "on" to the closing brace. */
  span: Span;
}

// ------------------------------------------------------------------ operands

/** One step of an attribute path. A private element is named by group, creator and element byte (PS3.5 7.8.1). */
export interface AttributeStep {
  /** Standard tag, e.g. 0x00100020; for a private step, the group in the high 16 bits and the element byte (0x00-0xFF) low. */
  tag: number;
  /** The keyword as written (for messages); absent when written as (gggg,eeee). */
  keyword?: string;
  /** Private creator: the step is (gggg,"creator",ee). */
  privateCreator?: string;
  /** For sequence steps followed by more steps: an item index (0-based) or "any" (the default: any item matches). */
  item?: number | "any";
}

export interface AttributePath {
  steps: AttributeStep[];
  /** Source text, e.g. "ReferencedStudySequence[0].ReferencedSOPInstanceUID". */
  text: string;
}

/** Fields of the association an event belongs to (DESIGN.md section 3: every event carries its origin). */
export const ASSOCIATION_FIELDS = ["CallingAE", "CalledAE", "PeerAddress", "AssociationId"] as const;
export type AssociationField = (typeof ASSOCIATION_FIELDS)[number];

export type Operand =
  | { kind: "attribute"; path: AttributePath; span: Span }
  | { kind: "field"; name: AssociationField; span: Span }
  | { kind: "string"; value: string; span: Span }
  | { kind: "number"; value: number; span: Span }
  /** "today", "now", optionally with an offset: "today - 7d", "now + 2h" (DA/TM/DT comparisons). */
  | { kind: "relative-time"; base: "today" | "now"; offsetMs: number; span: Span };

// ------------------------------------------------------------------ conditions

export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

export interface Regex {
  source: string;
  /** JavaScript flags as written after the closing slash, e.g. "i". */
  flags: string;
  span: Span;
}

export type Condition =
  | { kind: "and"; items: Condition[]; span: Span }
  | { kind: "or"; items: Condition[]; span: Span }
  | { kind: "not"; item: Condition; span: Span }
  | { kind: "compare"; op: CompareOp; left: Operand; right: Operand; span: Span }
  | { kind: "in"; negate: boolean; operand: Operand; values: Operand[]; span: Span }
  | { kind: "matches"; negate: boolean; operand: Operand; regex: Regex; span: Span }
  /** "X exists" / "X not exists" (present with a value) and "X is empty" / "X is not empty". */
  | { kind: "exists"; negate: boolean; operand: Operand; span: Span }
  | { kind: "empty"; negate: boolean; operand: Operand; span: Span }
  /** Inclusive range: "StudyDate between "20240101" and today". */
  | { kind: "between"; negate: boolean; operand: Operand; low: Operand; high: Operand; span: Span }
  /** move/get: "local" is true when every requested object is in the local catalog. */
  | { kind: "local"; span: Span };

// ------------------------------------------------------------------ templates and values

export interface TemplateFilter {
  /** upper, lower, trim, pad, date, hash, safe, default, truncate, replace-spaces */
  name: string;
  args: string[];
}

export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "ref"; ref: { kind: "attribute"; path: AttributePath } | { kind: "field"; name: AssociationField }; filters: TemplateFilter[] };

/** A string with {Attribute|filter:arg} placeholders: path templates and set values. */
export interface Template {
  source: string;
  parts: TemplatePart[];
  span: Span;
}

export type ValueExpr =
  | { kind: "template"; template: Template }
  | { kind: "number"; value: number; span: Span }
  /** "set X = Y": the value of another attribute (its VR's value, not its text). */
  | { kind: "attribute"; path: AttributePath; span: Span }
  /** "set X = empty": present with no value. */
  | { kind: "empty"; span: Span };

// ------------------------------------------------------------------ actions

export type SourceRef =
  | { kind: "local" }
  | { kind: "ae"; ae: string }
  | { kind: "view"; name: string }
  | { kind: "plugin"; name: string };

export type Action =
  | { kind: "accept"; span: Span }
  /**
   * store/find/worklist/move/get: a DIMSE status (default 0x0124, refused: not authorized) and a comment;
   * associate: a PS3.8 reason name such as "calling-ae-not-recognized", transient or permanent.
   */
  | { kind: "reject"; status?: number; reason?: string; transient?: boolean; message?: string; span: Span }
  /** associate: accept only these SOP classes / transfer syntaxes (UIDs or keywords as written). */
  | { kind: "restrict"; what: "sop-classes" | "transfer-syntaxes"; values: string[]; span: Span }
  | { kind: "set"; target: AttributePath; value: ValueExpr; vr?: string; span: Span }
  | { kind: "remove"; target: AttributePath; span: Span }
  | { kind: "copy"; from: AttributePath; to: AttributePath; span: Span }
  | { kind: "replace"; target: AttributePath; regex: Regex; replacement: string; span: Span }
  /** Value through a CSV lookup table: the "from" column's value is replaced by the "to" column's (default: first, second). */
  | { kind: "map"; target: AttributePath; table: string; from?: string; to?: string; fallback?: ValueExpr; span: Span }
  /** New Study/Series/SOP Instance (and Frame of Reference) UIDs, the same for every object of a study. */
  | { kind: "new-uids"; span: Span }
  | { kind: "store-at"; template: Template; span: Span }
  /** Do not keep the object (pure router): it is still forwarded. */
  | { kind: "discard"; span: Span }
  | { kind: "forward"; destinations: string[]; span: Span }
  /** A command declared in the config. */
  | { kind: "run"; command: string; span: Span }
  | { kind: "log"; message: Template; span: Span }
  | { kind: "stop"; span: Span }
  | { kind: "answer-from"; source: SourceRef; span: Span }
  | { kind: "retrieve-from"; source: SourceRef; span: Span }
  /** move: send to this AE instead of the requested destination. */
  | { kind: "destination"; ae: string; span: Span }
  /** commit: how the N-EVENT-REPORT goes back (PS3.4 J.3): same association, a new one, or the next one. */
  | { kind: "report"; mode: "same" | "new" | "next"; delayMs?: number; waitForForwards?: boolean; span: Span };

export type ActionKind = Action["kind"];

// ------------------------------------------------------------------ diagnostics (errors as data)

export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  severity: "error" | "warning";
  /** Stable code, e.g. "RULES_SYNTAX", "RULES_UNKNOWN_ATTRIBUTE". */
  code: string;
  message: string;
  hint?: string;
}

export interface ParseResult {
  ast: RuleFile;
  diagnostics: Diagnostic[];
}
