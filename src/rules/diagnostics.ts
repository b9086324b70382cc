// Diagnostics as data (file, line, column, code, message, hint) from lexer and parser errors, and their one
// text form: "file:line:col: error: message" then "  hint: ...", as compilers print them.
import type { ILexingError, IRecognitionException } from "chevrotain";
import type { Diagnostic } from "./ast.js";
import { EVENTS } from "./ast.js";

const WHERE: Record<string, string> = {
  rule: "a rule",
  orCondition: "a condition",
  andCondition: "a condition",
  notCondition: "a condition",
  primaryCondition: "a condition",
  predicate: "a condition",
  operand: "a value",
  path: "an attribute name",
  step: "an attribute name",
  action: "the actions",
  acceptAction: "accept",
  rejectAction: "reject",
  setAction: "set",
  value: "a value",
  removeAction: "remove",
  copyAction: "copy",
  replaceAction: "replace",
  mapAction: "map",
  newUidsAction: "new uids",
  storeAtAction: "store at",
  forwardAction: "forward",
  runAction: "run",
  logAction: "log",
  fromAction: "answer/retrieve from",
  destinationAction: "destination",
  reportAction: "report",
  name: "a name",
};

const HINTS: Record<string, string> = {
  file: 'a rule starts with "on EVENT", e.g. on store when Modality == "CT" { ... }',
  rule: `a rule is: on EVENT [after 30s] [when CONDITION] { ACTIONS }; events: ${EVENTS.join(", ")}`,
  action: "actions: accept, reject, set, remove, copy, replace, map, new uids, store at, discard, forward to, run, log, stop, answer from, retrieve from, destination, report",
  predicate: 'after a value: == != < <= > >=, in ("A", "B"), matches /re/, exists, is empty, between A and B (each may follow "not")',
  primaryCondition: 'a condition tests a value: Modality == "CT", CallingAE in ("A", "B"), (0010,0020) exists, not local',
  operand: 'values: Keyword, (gggg,eeee), "text", 42, today, now - 2h',
  rejectAction: 'reject [0xSTATUS] ["reason or comment"] [transient]',
  setAction: 'set Keyword [as VR] = "text {Other}" | 42 | OtherKeyword | empty',
  mapAction: 'map Keyword through "table.csv" [from "column" to "column"] [default "text"]',
  replaceAction: 'replace Keyword /regex/ with "text"',
  reportAction: "report on same|new|next association [after 5s] [wait for forwards]",
  fromAction: "answer from local | view NAME | plugin NAME | AE_TITLE",
};

function describe(image: string | undefined): string {
  if (image === undefined || image === "") return "end of file";
  return `"${image.length > 40 ? `${image.slice(0, 40)}...` : image}"`;
}

export function lexerDiagnostics(file: string, errors: readonly ILexingError[], text: string): Diagnostic[] {
  return errors.map((e) => {
    const ch = text.slice(e.offset, e.offset + Math.min(e.length, 20));
    const quote = ch.startsWith('"');
    const slash = ch.startsWith("/");
    return {
      file,
      line: e.line ?? 1,
      column: e.column ?? 1,
      severity: "error" as const,
      code: "RULES_SYNTAX",
      message: quote ? "a string is not closed on its line" : slash ? "a /regex/ is not closed on its line" : `unexpected character ${describe(ch[0])}`,
      hint: quote || slash ? "strings and regexes end on the line they start; escape a quote as \\\"" : "comments start with #; text values need double quotes",
    };
  });
}

export function parserDiagnostics(file: string, errors: readonly IRecognitionException[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const e of errors) {
    const t = e.token;
    const eof = t.tokenType?.name === "EOF" || Number.isNaN(t.startOffset);
    const stack = e.context?.ruleStack ?? [];
    const inner = stack[stack.length - 1] ?? "file";
    const where = WHERE[inner];
    let message: string;
    if (e.name === "MismatchedTokenException") {
      const m = /Expecting (?:token of type )?--> (.+?) <--/.exec(e.message);
      const expected = m ? m[1]! : "something else";
      message = `expected ${labelOf(expected)} but found ${describe(eof ? "" : t.image)}`;
      if (inner === "rule" && expected === '"}"' && !eof && t.tokenType.name === "Identifier") {
        out.push({ file, line: t.startLine ?? 1, column: t.startColumn ?? 1, endLine: t.endLine, endColumn: (t.endColumn ?? 0) + 1, severity: "error", code: "RULES_SYNTAX", message: `unknown action "${t.image}"`, hint: HINTS.action });
        continue;
      }
    } else if (e.name === "EarlyExitException") {
      message = `${where ?? "this"} needs at least one item, found ${describe(eof ? "" : t.image)}`;
    } else if (e.name === "NotAllInputParsedException") {
      message = `unexpected ${describe(t.image)} after the last rule`;
    } else {
      message = `unexpected ${describe(eof ? "" : t.image)}${where ? ` in ${where}` : ""}`;
    }
    const prev = (e as IRecognitionException & { previousToken?: { endLine?: number; endColumn?: number } }).previousToken;
    const atEnd = eof && prev?.endLine !== undefined && !Number.isNaN(prev.endLine);
    const line = atEnd ? prev!.endLine! : eof ? lastLine(errors) : (t.startLine ?? 1);
    out.push({
      file,
      line,
      column: atEnd ? (prev!.endColumn ?? 0) + 1 : eof ? 1 : (t.startColumn ?? 1),
      endLine: eof ? undefined : t.endLine,
      endColumn: eof ? undefined : (t.endColumn ?? 0) + 1,
      severity: "error",
      code: "RULES_SYNTAX",
      message,
      hint: HINTS[inner] ?? (eof ? "a rule ends with }" : undefined),
    });
  }
  return out;
}

function labelOf(tokenName: string): string {
  const names: Record<string, string> = {
    '"}"': '"}" (the end of the rule)',
    Identifier: "a name",
    StringLiteral: "a quoted string",
    RegexLiteral: "a /regex/",
    Duration: "a duration like 30s",
    CompareOp: "a comparison",
  };
  return names[tokenName] ?? (/^[A-Z][a-z]+$/.test(tokenName) ? `"${tokenName.toLowerCase()}"` : tokenName);
}

function lastLine(errors: readonly IRecognitionException[]): number {
  let line = 1;
  for (const e of errors) for (const t of e.resyncedTokens ?? []) if (t.startLine) line = Math.max(line, t.startLine);
  for (const e of errors) {
    const prev = (e as IRecognitionException & { previousToken?: { startLine?: number; endLine?: number } }).previousToken;
    if (prev?.startLine) line = Math.max(line, prev.endLine ?? prev.startLine);
  }
  return line;
}

/** `file:line:col: error: message` and, when there is one, `  hint: ...` on the next line. */
export function formatDiagnostic(d: Diagnostic): string {
  const head = `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`;
  return d.hint ? `${head}\n  hint: ${d.hint}` : head;
}
