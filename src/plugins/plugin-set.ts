// The plugins of one generation: loaded in file-name order, each in its own QuickJS sandbox. evaluate() runs the
// handlers of an event like rules run (files in order, handlers in registration order, stop ends it) and applies
// their decisions through runActions; query() asks a plugin backend for find/worklist answers.
import { folderFiles } from "../config/folder-files.js";
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Database } from "better-sqlite3";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { DataSet } from "../dicom/dataset.js";
import { silentLogger } from "../log/logger.js";
import type { Diagnostic, EventName } from "../rules/ast.js";
import type { EventContext, EventOrigin } from "../router/event-context.js";
import { runActions, type Decision, type RuleServices } from "../router/rule-set.js";
import { checkAnswer, type AnswerRecord } from "./answers.js";
import { decisionActions, type DecisionContext } from "./decision.js";
import { describeReason, makeFailure, type PluginFailure, type PluginFailureReason } from "./failures.js";
import { PluginKv } from "./host-api.js";
import { backendInput, encodeHandlerInput, handlerInput, type AttributeSelection } from "./input-view.js";
import { Plugin, type BackendKind } from "./plugin.js";
import { compiledQuickJS, newQuickJSInstance } from "./wasm-instance.js";
import { makePayload, makePayloadWith, type Payload } from "./transfer.js";

/** Largest plugin source file. */
const MAX_SOURCE_BYTES = 1024 * 1024;
const COERCING = new Set(["set", "remove", "new-uids"]);

export interface PluginLoadOptions {
  config: Config;
  /** The catalog database: conduit.kv persists in its plugin_kv table (else in process memory). */
  db?: Database;
  log: Logger;
}

export interface PluginStatus {
  file: string;
  name: string;
  events: EventName[];
  backends: BackendKind[];
  /** Consecutive failures (a success resets it). */
  failures: number;
  totalFailures: number;
  disabled: boolean;
  memoryBytes: number;
}

export type QueryResult = { datasets: AnswerRecord[] } | { error: string; failure?: PluginFailure };

/** *.js files of a folder in name order (a missing folder holds no plugins). */
export function listPluginFiles(dir: string): string[] {
  return folderFiles(dir, ".js");
}

/** JSON text from the sandbox (its own captured JSON.stringify); unreadable text counts as an invalid value. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return Symbol("unreadable");
  }
}

export class PluginSet {
  private readonly dctx: DecisionContext[];

  private constructor(
    private readonly plugins: Plugin[],
    config: Config,
    private readonly log: Logger,
  ) {
    const peers = new Set(Object.keys(config.peers));
    const commands = new Set(Object.keys(config.commands));
    this.dctx = plugins.map((p) => ({ file: p.file, peers, commands }));
  }

  /** Loads every file (module compiled once per process); no set when any error diagnostic was found. */
  static async load(files: readonly string[], opts: PluginLoadOptions): Promise<{ plugins?: PluginSet; diagnostics: Diagnostic[] }> {
    await compiledQuickJS();
    const cfg = opts.config.plugins;
    const kv = new PluginKv(opts.db);
    const diagnostics: Diagnostic[] = [];
    const loaded: Plugin[] = [];
    const names = new Map<string, string>();
    for (const file of files) {
      const fail = (code: string, message: string, hint?: string) => diagnostics.push({ file, line: 1, column: 1, severity: "error", code, message, ...(hint ? { hint } : {}) });
      let source: string;
      try {
        if (statSync(file).size > MAX_SOURCE_BYTES) {
          fail("PLUGIN_TOO_LARGE", `plugin source is larger than ${MAX_SOURCE_BYTES} bytes`);
          continue;
        }
        source = readFileSync(file, "utf8");
      } catch (err) {
        fail("PLUGIN_IO", `cannot read: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      const memoryBytes = cfg.memoryMB * 1024 * 1024;
      const plugin = new Plugin(await newQuickJSInstance(memoryBytes), resolve(file), {
        memoryBytes,
        stackBytes: cfg.stackKB * 1024,
        timeoutMs: cfg.timeoutMs,
        maxFailures: cfg.maxFailures,
        kv,
        log: opts.log,
      });
      const ok = plugin.load(source);
      diagnostics.push(...plugin.diagnostics);
      const other = names.get(plugin.name);
      if (other) fail("PLUGIN_DUPLICATE_NAME", `another plugin is named "${plugin.name}" (${other})`, "plugin names are file names without .js and must be unique");
      names.set(plugin.name, file);
      if (ok && !other) loaded.push(plugin);
      else plugin.dispose();
    }
    if (diagnostics.some((d) => d.severity === "error")) {
      for (const p of loaded) p.dispose();
      return { diagnostics };
    }
    return { plugins: new PluginSet(loaded, opts.config, opts.log), diagnostics };
  }

  get size(): number {
    return this.plugins.length;
  }

  has(event: EventName): boolean {
    return this.plugins.some((p) => p.handles(event));
  }

  /** Whether plugin `name` answers `kind` queries (for "answer from plugin NAME"). */
  hasBackend(name: string, kind: BackendKind): boolean {
    const p = this.plugins.find((x) => x.name === name);
    return p !== undefined && !p.disabled && p.backends.has(kind);
  }

  /**
   * Runs the event's handlers on the decision (skipped entirely once decision.stopped). A failing handler ends
   * evaluation: the failure says which response the event gets (see PLUGIN_FAILURE_RESPONSES).
   */
  evaluate(event: EventName, ctx: EventContext, services: RuleServices, decision: Decision): { decision: Decision; failure?: PluginFailure } {
    // Inputs per attribute selection ("all", "n:" named, "p:" prefetched names), built once per event, shared.
    let inputs: Map<string, Payload> | undefined;
    for (let i = 0; i < this.plugins.length && !decision.stopped; i++) {
      const p = this.plugins[i]!;
      if (p.disabled) continue;
      for (const h of p.handlers) {
        if (decision.stopped || p.disabled) break;
        if (h.event !== event || (h.filter && !h.filter(ctx))) continue;
        // A handler that enumerated a lazy view lately gets eager ones for a while (the "filled" call in Plugin).
        const eager = !h.attributes && h.eagerCalls > 0;
        if (eager) h.eagerCalls--;
        const selection: AttributeSelection = h.attributes ?? (eager ? "all" : h.learned.selection);
        const key = h.attributesKey ?? (eager ? "all" : h.learned.key);
        inputs ??= new Map();
        let input = inputs.get(key);
        if (!input) {
          input = makePayloadWith((f) => encodeHandlerInput(f, ctx, selection), () => handlerInput(ctx, selection));
          inputs.set(key, input);
        }
        p.host.local = ctx.local;
        const r = p.call(h, input, ctx.dataset);
        p.host.local = undefined;
        if (!r.ok) return { decision, failure: this.failure(p, event, r.error.kind, r.error.message) };
        if (r.value === undefined) {
          p.succeeded();
          continue;
        }
        const checked = decisionActions(r.value, event, this.dctx[i]!);
        if ("problem" in checked) return { decision, failure: this.failure(p, event, "invalid-decision", checked.problem) };
        let stop: "stop" | void;
        try {
          stop = runActions(checked.actions, event, ctx, decision, services, p.folder);
        } catch (err) {
          return { decision, failure: this.failure(p, event, "invalid-decision", `cannot apply: ${err instanceof Error ? err.message : String(err)}`) };
        }
        p.succeeded();
        decision.matched.push({ file: p.file, line: 0, event });
        // A coercion changed the data set: later handlers see the new values.
        if (checked.actions.some((a) => COERCING.has(a.kind))) inputs.clear();
        if (stop === "stop") decision.stopped = true;
      }
    }
    return { decision };
  }

  /** Asks plugin `name`'s backend for the data sets answering a find/worklist identifier. */
  query(name: string, event: BackendKind, identifier: DataSet, origin: EventOrigin): QueryResult {
    const p = this.plugins.find((x) => x.name === name);
    if (!p) return { error: `no plugin named "${name}"` };
    if (!p.backends.has(event)) return { error: `plugin "${name}" does not answer ${event} queries` };
    if (p.disabled) return { error: `plugin "${name}" is disabled after ${p.failures} consecutive failures` };
    const r = p.answer(event, makePayload(backendInput(event, origin, identifier, new Date())));
    if (!r.ok) {
      const failure = this.failure(p, event, r.error.kind, r.error.message);
      return { error: failure.message, failure };
    }
    const checked = checkAnswer(r.value === undefined ? null : parseJson(r.value));
    if ("problem" in checked) {
      const failure = this.failure(p, event, "invalid-answer", checked.problem);
      return { error: failure.message, failure };
    }
    p.succeeded();
    return { datasets: checked.records };
  }

  status(): PluginStatus[] {
    return this.plugins.map((p) => ({
      file: p.file,
      name: p.name,
      events: [...new Set(p.handlers.map((h) => h.event))],
      backends: [...p.backends],
      failures: p.failures,
      totalFailures: p.totalFailures,
      disabled: p.disabled,
      memoryBytes: p.memoryBytes(),
    }));
  }

  dispose(): void {
    for (const p of this.plugins) p.dispose();
    this.plugins.length = 0;
  }

  private failure(p: Plugin, event: EventName, reason: PluginFailureReason, message: string): PluginFailure {
    const disabled = p.failed();
    const f = makeFailure(p.name, p.file, event, reason, message, disabled);
    this.log.error({ plugin: p.name, file: p.file, event, reason, err: message }, `plugin ${describeReason(reason)}; the event gets its failure response`);
    if (disabled) this.log.error({ plugin: p.name, file: p.file, failures: p.failures }, "plugin disabled after consecutive failures; it is skipped until it is reloaded");
    return f;
  }
}

/** `conduit check`: loads every plugin in a throw-away set and returns the diagnostics. */
export async function checkPlugins(files: readonly string[], config: Config): Promise<Diagnostic[]> {
  const r = await PluginSet.load(files, { config, log: silentLogger() });
  r.plugins?.dispose();
  return r.diagnostics.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}
