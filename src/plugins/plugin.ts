// One loaded plugin: its sandbox, its host API, what it registered (handlers with host filters, backends), and
// its failure count. Loading reports problems as diagnostics with the line QuickJS gives.
import { basename, dirname } from "node:path";
import type { Logger } from "pino";
import type { QuickJSWASMModule } from "quickjs-emscripten";
import type { Diagnostic, EventName } from "../rules/ast.js";
import { EVENTS } from "../rules/ast.js";
import type { DataSet } from "../dicom/dataset.js";
import type { HostOp } from "./bootstrap.js";
import { compileFilter, type Filter } from "./filters.js";
import { HostApi, type PluginKv } from "./host-api.js";
import { attributesView, attributeValue, type ViewValue } from "./input-view.js";
import { learn, newLearned, type Learned } from "./lazy-attributes.js";
import { locate, Sandbox, type DecisionResult, type SandboxError, type SandboxResult } from "./sandbox.js";
import type { Payload } from "./transfer.js";

export type BackendKind = "find" | "worklist";
export const BACKEND_KINDS: readonly BackendKind[] = ["find", "worklist"];

export interface Registration {
  event: EventName;
  filter?: Filter;
  /** Index of the handler inside the sandbox. */
  index: number;
  /** Only these attributes are passed in (the `attributes` option), and the input cache key for them. */
  attributes?: string[];
  attributesKey?: string;
  line: number;
  /** Calls left in which the handler gets an eager attribute view: set when it enumerated a lazy one. */
  eagerCalls: number;
  /** Names the handler read from lazy views: passed in with its next events. */
  learned: Learned;
}

/** Calls an enumerating handler gets eager views for before a lazy one is tried again. */
export const EAGER_CALLS = 64;

export interface PluginOptions {
  memoryBytes: number;
  stackBytes: number;
  timeoutMs: number;
  maxFailures: number;
  kv: PluginKv;
  log: Logger;
}

const LOAD_CODES: Record<SandboxError["kind"], string> = {
  threw: "PLUGIN_LOAD",
  timeout: "PLUGIN_TIMEOUT",
  memory: "PLUGIN_MEMORY",
  stack: "PLUGIN_STACK",
  "host-error": "PLUGIN_HOST_ERROR",
};

export class Plugin {
  readonly name: string;
  readonly folder: string;
  readonly handlers: Registration[] = [];
  readonly backends = new Set<BackendKind>();
  readonly host: HostApi;
  readonly diagnostics: Diagnostic[] = [];
  /** Consecutive failures; a success resets it. */
  failures = 0;
  totalFailures = 0;
  disabled = false;
  private readonly sandbox: Sandbox;
  private readonly scriptName: string;
  /** The handler being called and its event's data set (for the sandbox's attr and "filled" calls). */
  private running: Registration | undefined;
  private dataset: DataSet | undefined;

  /** `module`: the plugin's own QuickJS instance (see wasm-instance.ts). */
  constructor(module: QuickJSWASMModule, readonly file: string, private readonly opts: PluginOptions) {
    this.scriptName = basename(file);
    this.name = this.scriptName.replace(/\.js$/, "");
    this.folder = dirname(file);
    this.host = new HostApi(this.name, this.folder, opts.kv, opts.log);
    this.sandbox = new Sandbox(module, { memoryBytes: opts.memoryBytes, stackBytes: opts.stackBytes }, (op, args) => this.hostCall(op, args), (name) => this.attribute(name));
  }

  /** Evaluates the source; false (with diagnostics) when it cannot be used. */
  load(source: string): boolean {
    const budget = Math.max(1000, this.opts.timeoutMs * 10);
    const r = this.sandbox.load(source, this.scriptName, budget);
    if (!r.ok) {
      const e = r.error;
      const where = e.line !== undefined ? { line: e.line, column: e.column ?? 1 } : (locate(e.stack, this.scriptName) ?? { line: 1, column: 1 });
      const syntax = e.message.startsWith("SyntaxError");
      const code = syntax ? "PLUGIN_SYNTAX" : LOAD_CODES[e.kind];
      const hint = e.kind === "timeout" ? `loading may take at most ${budget} ms` : e.kind === "memory" ? `the plugin's memory cap is ${this.opts.memoryBytes >> 20} MiB (plugins.memoryMB)` : undefined;
      this.report("error", where.line, where.column, code, syntax ? e.message : `loading failed: ${e.message}`, hint);
      return false;
    }
    if (this.handlers.length === 0 && this.backends.size === 0) {
      this.report("warning", 1, 1, "PLUGIN_NO_HANDLERS", "the plugin registers no handler", 'call conduit.on("store", (input) => ...) or conduit.answer("worklist", (input) => [...])');
    }
    return !this.diagnostics.some((d) => d.severity === "error");
  }

  handles(event: EventName): boolean {
    return !this.disabled && this.handlers.some((h) => h.event === event);
  }

  /** Calls a handler on an event (its data set answers the lazy view); the decision as plain data. */
  call(handler: Registration, input: Payload, dataset: DataSet | undefined): DecisionResult {
    this.running = handler;
    this.dataset = dataset;
    try {
      return this.sandbox.dispatch(handler.index, input, this.opts.timeoutMs);
    } finally {
      this.running = undefined;
      this.dataset = undefined;
    }
  }

  answer(kind: BackendKind, input: Payload): SandboxResult {
    return this.sandbox.answer(kind, input, this.opts.timeoutMs);
  }

  /** Counts a failure; true when it disables the plugin (maxFailures consecutive failures, or a broken runtime). */
  failed(): boolean {
    this.failures++;
    this.totalFailures++;
    if (this.disabled) return false;
    if (this.failures >= this.opts.maxFailures || this.sandbox.broken) {
      this.disabled = true;
      return true;
    }
    return false;
  }

  succeeded(): void {
    this.failures = 0;
  }

  memoryBytes(): number {
    return this.sandbox.memoryBytes();
  }

  dispose(): void {
    this.sandbox.dispose();
  }

  private report(severity: Diagnostic["severity"], line: number, column: number, code: string, message: string, hint?: string): void {
    this.diagnostics.push({ file: this.file, line, column, severity, code, message, ...(hint ? { hint } : {}) });
  }

  /** A lazy view's question about the running call's event: one name (learned for next time), or all of them. */
  private attribute(name: string | undefined): ViewValue | undefined {
    const ds = this.dataset;
    if (!ds || !this.running) return undefined;
    if (name === undefined) return attributesView(ds);
    learn(this.running.learned, name);
    return attributeValue(ds, name);
  }

  private hostCall(op: HostOp, args: string[]): string | undefined {
    if (op === "on") return this.register(args[0] ?? "", args[1] ?? "", args[2] ?? "", args[3]);
    if (op === "answer") return this.registerBackend(args[0] ?? "", args[1] === "fn", args[3]);
    // The running handler enumerated (or changed) its lazy attribute view: eager views are cheaper for it.
    if (op === "filled") {
      if (this.running) this.running.eagerCalls = EAGER_CALLS;
      return undefined;
    }
    return this.host.call(op, args);
  }

  /** conduit.on(event, [filter], handler) while loading: checked here, problems become diagnostics. */
  private register(event: string, filterJson: string, index: string, stack: string | undefined): undefined {
    const at = locate(stack, this.scriptName) ?? { line: 1, column: 1 };
    if (!(EVENTS as readonly string[]).includes(event)) {
      this.report("error", at.line, at.column, "PLUGIN_UNKNOWN_EVENT", `unknown event "${event}"`, `events: ${EVENTS.join(", ")}`);
      return undefined;
    }
    if (index === "") {
      this.report("error", at.line, at.column, "PLUGIN_BAD_HANDLER", `conduit.on("${event}", ...) needs a handler function`, 'conduit.on("store", { modality: "CT" }, (input) => ({ forward: ["PACS"] }))');
      return undefined;
    }
    let raw: unknown;
    try {
      raw = filterJson === "" ? undefined : JSON.parse(filterJson);
    } catch {
      raw = "?";
    }
    const f = compileFilter(event as EventName, raw);
    for (const p of f.problems) this.report("error", at.line, at.column, "PLUGIN_BAD_FILTER", p);
    if (f.problems.length > 0) return undefined;
    const reg: Registration = { event: event as EventName, filter: f.filter, attributes: f.attributes, index: Number(index), line: at.line, eagerCalls: 0, learned: newLearned() };
    if (f.attributes) reg.attributesKey = `n:${f.attributes.join(",")}`;
    this.handlers.push(reg);
    return undefined;
  }

  private registerBackend(kind: string, isFunction: boolean, stack: string | undefined): undefined {
    const at = locate(stack, this.scriptName) ?? { line: 1, column: 1 };
    if (!(BACKEND_KINDS as readonly string[]).includes(kind)) {
      this.report("error", at.line, at.column, "PLUGIN_BAD_BACKEND", `conduit.answer("${kind}", ...): a plugin answers "find" or "worklist" queries`);
    } else if (!isFunction) {
      this.report("error", at.line, at.column, "PLUGIN_BAD_BACKEND", `conduit.answer("${kind}", ...) needs a function returning an array of data sets`);
    } else if (this.backends.has(kind as BackendKind)) {
      this.report("error", at.line, at.column, "PLUGIN_BAD_BACKEND", `the plugin already answers "${kind}" queries`, "register one backend per kind");
    } else this.backends.add(kind as BackendKind);
    return undefined;
  }
}
