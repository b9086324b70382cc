// The rule language's public API: parseRules (lexer → parser → AST builder, errors as data), checkRules and
// formatDiagnostic. See grammar/rules.ebnf and grammar/REFERENCE.md.
import type { Diagnostic, ParseResult } from "./ast.js";
import { AstBuilder } from "./ast-builder.js";
import { lexerDiagnostics, parserDiagnostics } from "./diagnostics.js";
import { RulesLexer } from "./lexer.js";
import { rulesParser } from "./parser.js";

/** The AST is complete only when no diagnostic is an error; rules with broken parts are kept so checkRules can see them. */
export function parseRules(text: string, file: string): ParseResult {
  const lexed = RulesLexer.tokenize(text);
  const diagnostics: Diagnostic[] = lexerDiagnostics(file, lexed.errors, text);
  rulesParser.input = lexed.tokens;
  const cst = rulesParser.file();
  diagnostics.push(...parserDiagnostics(file, rulesParser.errors));
  const builder = new AstBuilder(file).withSource(text);
  const ast = builder.build(cst, lexed.errors.length + rulesParser.errors.length > 0);
  diagnostics.push(...builder.diagnostics);
  diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ast, diagnostics };
}

export { checkRules, type CheckContext } from "./checker.js";
export { formatDiagnostic } from "./diagnostics.js";
export { EVENT_SPECS, REJECT_REASONS, DEFAULT_REJECT_STATUS } from "./events.js";
export type * from "./ast.js";
