// One loaded plugin: its sandbox, its host API, what it registered (handlers with host filters, backends), and
// its failure count. Loading reports problems as diagnostics with the line QuickJS gives.
import { basename, dirname } from "node:path";
import type { Logger } from "pino";
import type { QuickJSWASMModule } from "quickjs-emscripten";
import type { Diagnostic, EventName } from "../rules/ast.js";
import { EVENTS } from "../rules/ast.js";
import type { HostOp } from "./bootstrap.js";
import { compileFilter, type Filter } from "./filters.js";
import { HostApi, type PluginKv } from "./host-api.js";
import { locate, Sandbox, type SandboxError, type SandboxResult } from "./sandbox.js";
import type { Payload } from "./transfer.js";

export type BackendKind = "find" | "worklist";
export const BACKEND_KINDS: readonly BackendKind[] = ["find", "worklist"];

export interface Registration {
  event: EventName;
  filter?: Filter;
  /** Index of the handler inside the sandbox. */
  index: number;
  /** Only these attributes are passed in (the `attributes` option); all when absent. */
  attributes?: string[];
  line: number;
}

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

  /** `module`: the plugin's own QuickJS instance (see wasm-instance.ts). */
  constructor(module: QuickJSWASMModule, readonly file: string, private readonly opts: PluginOptions) {
    this.scriptName = basename(file);
    this.name = this.scriptName.replace(/\.js$/, "");
    this.folder = dirname(file);
    this.host = new HostApi(this.name, this.folder, opts.kv, opts.log);
    this.sandbox = new Sandbox(module, { memoryBytes: opts.memoryBytes, stackBytes: opts.stackBytes }, (op, args) => this.hostCall(op, args));
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

  call(index: number, input: Payload): SandboxResult {
    return this.sandbox.dispatch(index, input, this.opts.timeoutMs);
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

  private hostCall(op: HostOp, args: string[]): string | undefined {
    if (op === "on") return this.register(args[0] ?? "", args[1] ?? "", args[2] ?? "", args[3]);
    if (op === "answer") return this.registerBackend(args[0] ?? "", args[1] === "fn", args[3]);
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
    if (f.problems.length === 0) this.handlers.push({ event: event as EventName, filter: f.filter, attributes: f.attributes, index: Number(index), line: at.line });
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
