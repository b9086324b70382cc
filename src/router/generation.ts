// A generation: configuration + rules (+ plugins) built and checked together (DESIGN.md section 6). A new one
// replaces the running one only when it has no error; associations keep the generation they started with.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Config } from "../config/schema.js";
import { checkRules, parseRules } from "../rules/index.js";
import type { Diagnostic, RuleFile } from "../rules/ast.js";
import { errorMessage } from "../errors.js";
import { RuleSet } from "./rule-set.js";
import type { EventDecider } from "./router.js";

export interface Generation {
  id: number;
  config: Config;
  rules: RuleSet;
  /** Plugins of this generation (absent: none loaded). */
  plugins?: EventDecider & { dispose?(): void };
  /** Rule files loaded, in evaluation order. */
  ruleFiles: string[];
  builtAt: Date;
}

export interface BuildResult {
  generation?: Generation;
  diagnostics: Diagnostic[];
}

/** *.rules files of a folder in name order (a missing folder holds no rules). */
export function listRuleFiles(dir: string): string[] {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) return [];
  return readdirSync(abs)
    .filter((n) => n.endsWith(".rules") && !n.startsWith("."))
    .sort()
    .map((n) => join(abs, n));
}

/** Parses and checks rule files against a config; returns ASTs and every diagnostic. */
export function loadRuleFiles(config: Config, files: readonly string[]): { asts: RuleFile[]; diagnostics: Diagnostic[] } {
  const asts: RuleFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const ctx = {
    peers: new Set(Object.keys(config.peers)),
    commands: new Set(Object.keys(config.commands)),
  };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      diagnostics.push({ file, line: 1, column: 1, severity: "error", code: "RULES_IO", message: `cannot read: ${errorMessage(err)}` });
      continue;
    }
    const parsed = parseRules(text, file);
    const found = [...parsed.diagnostics, ...checkRules(parsed.ast, { ...ctx, baseDir: resolve(file, ".."), tableExists: (p) => existsSync(p) })];
    diagnostics.push(...found.sort((a, b) => a.line - b.line || a.column - b.column));
    asts.push(parsed.ast);
  }
  return { asts, diagnostics };
}

/** Builds generation `id`; no generation when any error diagnostic was found. */
export function buildGeneration(config: Config, id: number, files = listRuleFiles(config.rules.dir)): BuildResult {
  const { asts, diagnostics } = loadRuleFiles(config, files);
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };
  let rules: RuleSet;
  try {
    rules = new RuleSet(asts);
  } catch (err) {
    diagnostics.push({ file: files[0] ?? config.rules.dir, line: 1, column: 1, severity: "error", code: "RULES_COMPILE", message: errorMessage(err) });
    return { diagnostics };
  }
  return { generation: { id, config, rules, ruleFiles: [...files], builtAt: new Date() }, diagnostics };
}
