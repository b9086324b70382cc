// A generation: configuration + rules (+ plugins) built and checked together (DESIGN.md section 6). A new one
// replaces the running one only when it has no error; associations keep the generation they started with.
import { folderFiles } from "../config/folder-files.js";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Config } from "../config/schema.js";
import { checkRules, parseRules } from "../rules/index.js";
import type { Diagnostic, RuleFile } from "../rules/ast.js";
import { errorMessage } from "../errors.js";
import type { Database } from "better-sqlite3";
import type { Logger } from "pino";
import { listPluginFiles, PluginSet } from "../plugins/index.js";
import type { EventName } from "../rules/ast.js";
import type { EventContext } from "./event-context.js";
import { RuleSet, type Decision, type RuleServices } from "./rule-set.js";
import type { DeciderFailure, EventDecider } from "./router.js";

export interface Generation {
  id: number;
  config: Config;
  rules: RuleSet;
  /** Plugin files loaded, in order. */
  pluginFiles: string[];
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
  return folderFiles(dir, ".rules");
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

export interface BuildOptions {
  log: Logger;
  /** The catalog database (plugins' key-value store). */
  db?: Database;
  /** Rule files (default: the config's rules folder). */
  files?: string[];
  /** Plugin files (default: the config's plugins folder). */
  pluginFiles?: string[];
}

/** Where the running server records plugins it disabled, so `conduit check` can say so (plugin_kv, migration 2). */
const DISABLED_SCOPE = "conduit:disabled";

export interface DisabledPlugin {
  file: string;
  reason: string;
  message: string;
  at: string;
}

/** Plugins the running server has disabled (read by `conduit check`). */
export function disabledPlugins(db: Database): DisabledPlugin[] {
  const rows = db.prepare("SELECT value FROM plugin_kv WHERE plugin = ?").all(DISABLED_SCOPE) as Array<{ value: string }>;
  return rows.map((r) => JSON.parse(r.value) as DisabledPlugin);
}

/** The plugin host as the router sees it: failures mapped to what the event answers (PLUGIN_FAILURE_RESPONSES). */
class PluginDecider implements EventDecider {
  constructor(
    readonly set: PluginSet,
    private readonly db?: Database,
  ) {
    // A new generation loads every plugin afresh: nothing of it is disabled.
    db?.prepare("DELETE FROM plugin_kv WHERE plugin = ?").run(DISABLED_SCOPE);
  }
  has(event: EventName): boolean {
    return this.set.has(event);
  }
  evaluate(event: EventName, ctx: EventContext, services: RuleServices, decision: Decision): { decision: Decision; failure?: DeciderFailure } {
    const r = this.set.evaluate(event, ctx, services, decision);
    if (!r.failure) return { decision: r.decision };
    if (r.failure.disabled && this.db) {
      const entry: DisabledPlugin = { file: r.failure.file, reason: r.failure.reason, message: r.failure.message, at: new Date().toISOString() };
      this.db.prepare("INSERT INTO plugin_kv (plugin, key, value) VALUES (?, ?, ?) ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value").run(DISABLED_SCOPE, r.failure.file, JSON.stringify(entry));
    }
    const resp = r.failure.response;
    return { decision: r.decision, failure: { respond: resp.kind !== "none", status: resp.kind === "status" ? resp.status : undefined, message: r.failure.comment } };
  }
  dispose(): void {
    this.set.dispose();
  }
}

/** Builds generation `id` (rules, then plugins); no generation when any error diagnostic was found. */
export async function buildGeneration(config: Config, id: number, opts: BuildOptions): Promise<BuildResult> {
  const files = opts.files ?? listRuleFiles(config.rules.dir);
  const { asts, diagnostics } = loadRuleFiles(config, files);
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };
  let rules: RuleSet;
  try {
    rules = new RuleSet(asts);
  } catch (err) {
    diagnostics.push({ file: files[0] ?? config.rules.dir, line: 1, column: 1, severity: "error", code: "RULES_COMPILE", message: errorMessage(err) });
    return { diagnostics };
  }
  const pluginFiles = opts.pluginFiles ?? listPluginFiles(config.plugins.dir);
  let plugins: PluginDecider | undefined;
  if (pluginFiles.length) {
    const loaded = await PluginSet.load(pluginFiles, { config, db: opts.db, log: opts.log });
    diagnostics.push(...loaded.diagnostics);
    if (!loaded.plugins) return { diagnostics };
    plugins = new PluginDecider(loaded.plugins, opts.db);
  }
  return { generation: { id, config, rules, plugins, ruleFiles: [...files], pluginFiles, builtAt: new Date() }, diagnostics };
}
