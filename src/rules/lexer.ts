// Tokens of the rule language (grammar/rules.ebnf). Keywords are lower case and never collide with DICOM
// keywords (UpperCamelCase); "longer_alt" lets "stored" or "storeFolder" lex as one word, not "store" + rest.
import { createToken, Lexer, type TokenType } from "chevrotain";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: "Comment", pattern: /#[^\n]*/, group: Lexer.SKIPPED });

/** Words: attribute keywords, AE titles, names; hyphens join words ("study-stable", "sop-classes"). */
export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z_][A-Za-z0-9_]*)*/ });

const keywords: Record<string, TokenType> = {};
function kw(word: string): TokenType {
  const t = createToken({ name: word[0]!.toUpperCase() + word.slice(1), pattern: new RegExp(word.replace(/-/g, "\\-")), longer_alt: Identifier, label: `"${word}"` });
  keywords[word] = t;
  return t;
}

export const On = kw("on");
export const When = kw("when");
export const After = kw("after");
export const And = kw("and");
export const Or = kw("or");
export const Not = kw("not");
export const In = kw("in");
export const Matches = kw("matches");
export const Exists = kw("exists");
export const Is = kw("is");
export const Empty = kw("empty");
export const Between = kw("between");
export const Local = kw("local");
export const Today = kw("today");
export const Now = kw("now");
export const Accept = kw("accept");
export const Only = kw("only");
export const Reject = kw("reject");
export const Transient = kw("transient");
export const Permanent = kw("permanent");
export const Set = kw("set");
export const As = kw("as");
export const Remove = kw("remove");
export const Copy = kw("copy");
export const To = kw("to");
export const Replace = kw("replace");
export const With = kw("with");
export const Map = kw("map");
export const Through = kw("through");
export const From = kw("from");
export const Default = kw("default");
export const New = kw("new");
export const Uids = kw("uids");
export const Store = kw("store");
export const At = kw("at");
export const Discard = kw("discard");
export const Forward = kw("forward");
export const Run = kw("run");
export const Log = kw("log");
export const Stop = kw("stop");
export const Answer = kw("answer");
export const Retrieve = kw("retrieve");
export const View = kw("view");
export const Plugin = kw("plugin");
export const Destination = kw("destination");
export const Report = kw("report");
export const Association = kw("association");
export const Same = kw("same");
export const Next = kw("next");
export const Wait = kw("wait");
export const For = kw("for");
export const Forwards = kw("forwards");

/** "(0010,1040)": a standard or private tag as group,element (PS3.5 7.1). */
export const Tag = createToken({ name: "Tag", pattern: /\(\s*[0-9A-Fa-f]{4}\s*,\s*[0-9A-Fa-f]{4}\s*\)/, label: "a tag like (0010,1040)" });
/** '(0029,"SIEMENS CSA HEADER",10)': a private element by group, creator and element byte (PS3.5 7.8.1). */
export const PrivateTag = createToken({
  name: "PrivateTag",
  pattern: /\(\s*[0-9A-Fa-f]{4}\s*,\s*"(?:[^"\\\n]|\\.)*"\s*,\s*[0-9A-Fa-f]{2}\s*\)/,
  label: 'a private tag like (0029,"CREATOR",10)',
});
export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"(?:[^"\\\n]|\\.)*"/, label: "a string" });
/** A string missing its closing quote: read to the end of the line so one diagnostic covers it. */
export const UnclosedString = createToken({ name: "UnclosedString", pattern: /"(?:[^"\\\n]|\\.)*/, categories: [StringLiteral], label: "a string" });
/** /pattern/flags; a "/" inside [...] does not end it. */
export const RegexLiteral = createToken({
  name: "RegexLiteral",
  pattern: /\/(?:\\.|\[(?:\\.|[^\]\\\n])*\]|[^/\\\n[])+\/[a-z]*/,
  label: "a /regex/",
});
export const UnclosedRegex = createToken({ name: "UnclosedRegex", pattern: /\/[^\n]*/, categories: [RegexLiteral], label: "a /regex/" });
/** 30s, 5m, 2h, 7d, 250ms. */
export const Duration = createToken({ name: "Duration", pattern: /\d+(?:ms|s|m|h|d)(?![A-Za-z0-9_])/, label: "a duration like 30s" });
export const HexNumber = createToken({ name: "HexNumber", pattern: /0[xX][0-9A-Fa-f]+/, label: "a number" });
export const NumberLiteral = createToken({ name: "NumberLiteral", pattern: /\d+(?:\.\d+)?/, label: "a number" });

export const CompareOp = createToken({ name: "CompareOp", pattern: /==|!=|<=|>=|<|>/, label: "a comparison (==, !=, <, <=, >, >=)" });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: '"="' });
export const Plus = createToken({ name: "Plus", pattern: /\+/, label: '"+"' });
export const Minus = createToken({ name: "Minus", pattern: /-/, label: '"-"' });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: '"("' });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: '")"' });
export const LCurly = createToken({ name: "LCurly", pattern: /\{/, label: '"{"' });
export const RCurly = createToken({ name: "RCurly", pattern: /\}/, label: '"}"' });
export const LSquare = createToken({ name: "LSquare", pattern: /\[/, label: '"["' });
export const RSquare = createToken({ name: "RSquare", pattern: /\]/, label: '"]"' });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: '","' });
export const Dot = createToken({ name: "Dot", pattern: /\./, label: '"."' });
export const Star = createToken({ name: "Star", pattern: /\*/, label: '"*"' });
export const Semicolon = createToken({ name: "Semicolon", pattern: /;/, label: '";"' });

export const KEYWORDS: Readonly<Record<string, TokenType>> = keywords;

// Order matters: longer and more specific patterns first; keywords before Identifier.
export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  PrivateTag,
  Tag,
  StringLiteral,
  UnclosedString,
  RegexLiteral,
  UnclosedRegex,
  Duration,
  HexNumber,
  NumberLiteral,
  CompareOp,
  Equals,
  Plus,
  Minus,
  LParen,
  RParen,
  LCurly,
  RCurly,
  LSquare,
  RSquare,
  Comma,
  Dot,
  Star,
  Semicolon,
  // Longest first, so "only" is not read as "on" + "ly" and "forwards" not as "forward" + "s".
  ...Object.values(keywords).sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length),
  Identifier,
];

export const RulesLexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false });
