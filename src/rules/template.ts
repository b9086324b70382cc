// Strings of the rule language: unescaping, and templates with {Attribute|filter:arg} placeholders (path
// templates, set values, log messages). Errors are data with the offset in the source text they concern.
import type { AssociationField, AttributePath, AttributeStep, Template, TemplateFilter, TemplatePart } from "./ast.js";
import { ASSOCIATION_FIELDS } from "./ast.js";
import { resolveKeywordStep, resolvePrivateStep, resolveTagStep, type StepProblem } from "./attribute-names.js";

export interface TemplateProblem {
  /** Offset in the string token's text (the opening quote is offset 0). */
  offset: number;
  length: number;
  code: string;
  message: string;
  hint?: string;
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", "/": "/" };

/** The characters of a string token (quotes included) with the token-relative offset each came from. */
function unescapeWithOffsets(token: string): { chars: string[]; offsets: number[]; problems: TemplateProblem[] } {
  const chars: string[] = [];
  const offsets: number[] = [];
  const problems: TemplateProblem[] = [];
  for (let i = 1; i < token.length - 1; i++) {
    const c = token[i]!;
    if (c === "\\") {
      const n = token[i + 1] ?? "";
      const mapped = ESCAPES[n];
      if (mapped === undefined) problems.push({ offset: i, length: 2, code: "RULES_BAD_ESCAPE", message: `unknown escape "\\${n}" in a string`, hint: 'write \\\\ for a backslash, \\" for a quote' });
      chars.push(mapped ?? n);
      offsets.push(i);
      i++;
    } else {
      chars.push(c);
      offsets.push(i);
    }
  }
  return { chars, offsets, problems };
}

export function unescapeString(token: string): { value: string; problems: TemplateProblem[] } {
  const u = unescapeWithOffsets(token);
  return { value: u.chars.join(""), problems: u.problems };
}

export const FILTERS: Readonly<Record<string, { args: "none" | "optional-int" | "int" | "text" | "format"; doc: string }>> = {
  upper: { args: "none", doc: "upper case" },
  lower: { args: "none", doc: "lower case" },
  trim: { args: "none", doc: "strip leading and trailing spaces" },
  pad: { args: "int", doc: "zero-pad a number to N digits" },
  date: { args: "format", doc: "reformat a DA/TM/DT value with YYYY YY MM DD hh mm ss" },
  hash: { args: "optional-int", doc: "first N (default 8) hex digits of the value's SHA-1" },
  safe: { args: "none", doc: "keep only A-Z a-z 0-9 . _ -" },
  default: { args: "text", doc: "text used when the value is empty or absent" },
  truncate: { args: "int", doc: "keep the first N characters" },
  "replace-spaces": { args: "text", doc: "replace each space by the given text" },
};

/** Parses a placeholder reference: an association field or an attribute path (keywords, tags, items). */
export function parseRefText(text: string): { ref?: { kind: "field"; name: AssociationField } | { kind: "attribute"; path: AttributePath }; problem?: StepProblem } {
  const trimmed = text.trim();
  if ((ASSOCIATION_FIELDS as readonly string[]).includes(trimmed)) return { ref: { kind: "field", name: trimmed as AssociationField } };
  const steps: AttributeStep[] = [];
  const re = /\s*(?:(\(\s*[0-9A-Fa-f]{4}\s*,\s*"[^"]*"\s*,\s*[0-9A-Fa-f]{2}\s*\))|(\(\s*[0-9A-Fa-f]{4}\s*,\s*[0-9A-Fa-f]{4}\s*\))|([A-Za-z][A-Za-z0-9]*))(?:\[(\d+|\*)\])?\s*(\.|$)/y;
  let pos = 0;
  while (pos < trimmed.length) {
    re.lastIndex = pos;
    const m = re.exec(trimmed);
    if (!m) return { problem: { code: "RULES_BAD_TEMPLATE", message: `"${trimmed}" is not an attribute keyword, tag or association field`, hint: "write {PatientID}, {(0010,0020)}, {Seq[0].Keyword} or {CallingAE}" } };
    const res = m[1] ? resolvePrivateStep(m[1]) : m[2] ? resolveTagStep(m[2]) : resolveKeywordStep(m[3]!);
    if ("problem" in res) return { problem: res.problem };
    const step = res.step;
    if (m[4] !== undefined) step.item = m[4] === "*" ? "any" : Number(m[4]);
    steps.push(step);
    pos = re.lastIndex;
    if (m[5] === "" && pos < trimmed.length) break;
  }
  if (steps.length === 0) return { problem: { code: "RULES_BAD_TEMPLATE", message: "empty placeholder {}", hint: "write {Keyword}; a literal brace is written {{ or }}" } };
  return { ref: { kind: "attribute", path: { steps, text: trimmed } } };
}

/** Parses a string token (with its quotes) as a template. */
export function parseTemplate(token: string): { parts: TemplatePart[]; source: string; problems: TemplateProblem[] } {
  const { chars, offsets, problems } = unescapeWithOffsets(token);
  const parts: TemplatePart[] = [];
  let text = "";
  let i = 0;
  const at = (k: number) => offsets[Math.min(k, offsets.length - 1)] ?? 0;
  while (i < chars.length) {
    const c = chars[i]!;
    if (c === "{" && chars[i + 1] === "{") {
      text += "{";
      i += 2;
    } else if (c === "}" && chars[i + 1] === "}") {
      text += "}";
      i += 2;
    } else if (c === "}") {
      problems.push({ offset: at(i), length: 1, code: "RULES_BAD_TEMPLATE", message: 'a "}" with no "{" before it', hint: "write }} for a literal brace" });
      i++;
    } else if (c === "{") {
      const close = chars.indexOf("}", i + 1);
      if (close < 0) {
        problems.push({ offset: at(i), length: 1, code: "RULES_BAD_TEMPLATE", message: 'a "{" placeholder is not closed', hint: "close it with }, or write {{ for a literal brace" });
        break;
      }
      const inner = chars.slice(i + 1, close).join("");
      const [refText = "", ...filterTexts] = inner.split("|");
      const start = at(i);
      const ref = parseRefText(refText);
      if (!ref.ref) problems.push({ offset: start, length: at(close) - start + 1, ...ref.problem! });
      const filters: TemplateFilter[] = [];
      for (const f of filterTexts) {
        const [name = "", ...args] = f.split(":");
        const filter = { name: name.trim(), args: name.trim() === "default" || name.trim() === "date" ? [args.join(":")] : args.map((a) => a.trim()) };
        const problem = checkFilter(filter);
        if (problem) problems.push({ offset: start, length: at(close) - start + 1, code: "RULES_BAD_FILTER", ...problem });
        filters.push(filter.args.length === 1 && filter.args[0] === "" && (FILTERS[filter.name]?.args === "none" || FILTERS[filter.name]?.args === "optional-int") ? { name: filter.name, args: [] } : filter);
      }
      if (text) parts.push({ kind: "text", text });
      text = "";
      if (ref.ref) parts.push({ kind: "ref", ref: ref.ref, filters });
      i = close + 1;
    } else {
      text += c;
      i++;
    }
  }
  if (text) parts.push({ kind: "text", text });
  return { parts, source: chars.join(""), problems };
}

function checkFilter(f: TemplateFilter): { message: string; hint?: string } | undefined {
  const spec = FILTERS[f.name];
  if (!spec) return { message: `unknown filter "${f.name}"`, hint: `filters: ${Object.keys(FILTERS).join(", ")}` };
  const arg = f.args[0];
  const has = f.args.length > 0 && arg !== "";
  if (spec.args === "none" && has) return { message: `filter "${f.name}" takes no argument` };
  if ((spec.args === "int" || (spec.args === "optional-int" && has)) && !/^\d{1,3}$/.test(arg ?? "")) return { message: `filter "${f.name}" needs a whole number, as in ${f.name}:5`, hint: `received "${arg ?? ""}"` };
  if (spec.args === "format" && !/YYYY|YY|MM|DD|hh|mm|ss/.test(arg ?? "")) return { message: `filter "date" needs a format with YYYY, MM, DD, hh, mm or ss`, hint: "for example {StudyDate|date:YYYY-MM-DD}" };
  if (spec.args === "text" && f.args.length === 0) return { message: `filter "${f.name}" needs an argument, as in ${f.name}:X` };
  return undefined;
}

export type { Template };
