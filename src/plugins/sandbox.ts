// One QuickJS runtime + context per plugin (quickjs-emscripten, synchronous build) in the plugin's own
// WebAssembly instance: memory caps, a stack cap and a per-call deadline enforced by the interrupt handler.
// Errors come back as data, never as host exceptions.
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from "quickjs-emscripten";
import { BOOTSTRAP_FILE, BOOTSTRAP_SOURCE, type HostOp } from "./bootstrap.js";
import { UNSUPPORTED } from "./bjson-read.js";
import type { PlainValue } from "./bjson.js";
import { calibrateTransfer, handleToPlain, handleToString, payloadHandle, plainHandle, stringToHandle, type Payload } from "./transfer.js";

/**
 * QuickJS frames also run on Node's own stack: above about 384 KiB of QuickJS stack Node's stack overflows
 * first and leaves the WebAssembly module unusable, so larger configured values are capped here.
 */
export const MAX_STACK_BYTES = 256 * 1024;

/** Longest error text kept from a plugin (a stack overflow's trace is thousands of frames). */
const MAX_ERROR_TEXT = 2000;

export type SandboxErrorKind = "threw" | "timeout" | "memory" | "stack" | "host-error";

export interface SandboxError {
  kind: SandboxErrorKind;
  message: string;
  /** Stack text as QuickJS prints it ("    at f (file.js:3:12)"), bounded. */
  stack?: string;
  /** From a SyntaxError: where QuickJS stopped. */
  line?: number;
  column?: number;
}

export type SandboxResult = { ok: true; value: string | undefined } | { ok: false; error: SandboxError };
/** A handler's decision as plain data (what JSON.parse(JSON.stringify(decision)) gives); undefined: none. */
export type DecisionResult = { ok: true; value: unknown } | { ok: false; error: SandboxError };

type Guarded = { ok: true; handle: QuickJSHandle } | { ok: false; error: SandboxError };

/** JSON text from the sandbox's own (captured) JSON.stringify; unreadable text stands as a non-object. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return Symbol("unreadable");
  }
}

/** The view value of an attribute name (undefined: absent), or with no name the whole eager view. */
export type AttributeSource = (name: string | undefined) => PlainValue | undefined;

export type HostFunction = (op: HostOp, args: string[]) => string | undefined;

export interface SandboxLimits {
  memoryBytes: number;
  stackBytes: number;
}

/** Line and column of a "file:line:col" location in QuickJS stack text for one file name. */
export function locate(stack: string | undefined, fileName: string): { line: number; column: number } | undefined {
  if (!stack) return undefined;
  for (const frame of stack.split("\n")) {
    const at = frame.lastIndexOf(`${fileName}:`);
    if (at < 0) continue;
    const m = /^(\d+)(?::(\d+))?/.exec(frame.slice(at + fileName.length + 1));
    if (m) return { line: Number(m[1]), column: Number(m[2] ?? 1) };
  }
  return undefined;
}

export class Sandbox {
  private readonly runtime: QuickJSRuntime;
  private readonly context: QuickJSContext;
  private dispatchFn: QuickJSHandle | undefined;
  private jsonFn: QuickJSHandle | undefined;
  private answerFn: QuickJSHandle | undefined;
  private loadedFn: QuickJSHandle | undefined;
  private readonly indexHandles: QuickJSHandle[] = [];
  private deadline = Number.POSITIVE_INFINITY;
  private timedOut = false;
  /** A host exception unwound through WebAssembly: the runtime must not be used (or freed) again. */
  broken = false;

  /** `attributes` answers the bootstrap's attr(name?) for the event of the running call (see lazy-attributes.ts). */
  constructor(
    module: QuickJSWASMModule,
    limits: SandboxLimits,
    private readonly host: HostFunction,
    private readonly attributes: AttributeSource = () => undefined,
  ) {
    this.runtime = module.newRuntime();
    this.runtime.setMemoryLimit(limits.memoryBytes);
    this.runtime.setMaxStackSize(Math.min(limits.stackBytes, MAX_STACK_BYTES));
    this.runtime.setInterruptHandler(() => {
      if (Date.now() <= this.deadline) return false;
      this.timedOut = true;
      return true;
    });
    this.context = this.runtime.newContext();
    calibrateTransfer(this.context);
  }

  /** Runs the bootstrap (defines `conduit`), then the plugin source as a strict-mode script. */
  load(source: string, fileName: string, budgetMs: number): SandboxResult {
    const ctx = this.context;
    const boot = this.guard(Date.now() + budgetMs, () => ctx.evalCode(BOOTSTRAP_SOURCE, BOOTSTRAP_FILE, { type: "global", strict: true }));
    if (!boot.ok) return boot;
    const hostFn = ctx.newFunction("host", (op, ...args) => {
      const value = this.host(ctx.getString(op) as HostOp, args.map((a) => (ctx.typeof(a) === "string" ? ctx.getString(a) : "")));
      return value === undefined ? ctx.undefined : stringToHandle(ctx, value);
    });
    const attrFn = ctx.newFunction("attr", (name) => plainHandle(ctx, this.attributes(name === undefined || ctx.typeof(name) !== "string" ? undefined : ctx.getString(name))));
    const api = this.guard(Date.now() + budgetMs, () => ctx.callFunction(boot.handle, ctx.undefined, hostFn, attrFn));
    hostFn.dispose();
    attrFn.dispose();
    boot.handle.dispose();
    if (!api.ok) return api;
    this.dispatchFn = ctx.getProp(api.handle, "dispatch");
    this.jsonFn = ctx.getProp(api.handle, "json");
    this.answerFn = ctx.getProp(api.handle, "answer");
    this.loadedFn = ctx.getProp(api.handle, "loaded");
    api.handle.dispose();
    const run = this.guard(Date.now() + budgetMs, () => ctx.evalCode(source, fileName, { type: "global", strict: true }));
    if (!run.ok) return run;
    run.handle.dispose();
    const done = this.guard(Date.now() + budgetMs, () => ctx.callFunction(this.loadedFn!, ctx.undefined));
    if (!done.ok) return done;
    done.handle.dispose();
    return { ok: true, value: undefined };
  }

  /** Calls handler `index` with the input; the decision as plain data (undefined: no decision). */
  dispatch(index: number, input: Payload, budgetMs: number): DecisionResult {
    const ctx = this.context;
    const idx = (this.indexHandles[index] ??= ctx.newNumber(index));
    const deadline = Date.now() + budgetMs;
    const r = this.enter(deadline, input, (arg) => ctx.callFunction(this.dispatchFn!, ctx.undefined, idx, arg));
    if (!r.ok) return r;
    try {
      // The bootstrap returns a decision object or undefined (compared, cheaper than asking the type).
      if (ctx.eq(r.handle, ctx.undefined)) return { ok: true, value: undefined };
      // Writing it can run array index getters: it counts against the same deadline.
      const plain = this.bounded(deadline, () => handleToPlain(ctx, r.handle));
      if (plain !== UNSUPPORTED) return plain;
      const json = this.guard(deadline, () => ctx.callFunction(this.jsonFn!, ctx.undefined, r.handle));
      if (!json.ok) return json;
      try {
        return { ok: true, value: ctx.typeof(json.handle) === "string" ? parseJson(handleToString(ctx, json.handle)) : undefined };
      } finally {
        json.handle.dispose();
      }
    } finally {
      if (!this.broken) r.handle.dispose();
    }
  }

  /** Calls the find/worklist backend `kind`; its answer as JSON text. */
  answer(kind: string, input: Payload, budgetMs: number): SandboxResult {
    const ctx = this.context;
    const r = this.enter(Date.now() + budgetMs, input, (arg) => ctx.newString(kind).consume((k) => ctx.callFunction(this.answerFn!, ctx.undefined, k, arg)));
    if (!r.ok) return r;
    try {
      return { ok: true, value: ctx.typeof(r.handle) === "string" ? handleToString(ctx, r.handle) : undefined };
    } finally {
      r.handle.dispose();
    }
  }

  /** Bytes QuickJS has allocated for this runtime (0 when it cannot tell, e.g. with no memory left). */
  memoryBytes(): number {
    if (this.broken) return 0;
    try {
      const h = this.runtime.computeMemoryUsage();
      try {
        const usage = this.context.dump(h) as { memory_used_size?: number } | undefined;
        return typeof usage?.memory_used_size === "number" ? usage.memory_used_size : 0;
      } finally {
        h.dispose();
      }
    } catch {
      return 0;
    }
  }

  dispose(): void {
    // A runtime left inconsistent by a host exception would abort the module when freed: it is abandoned.
    if (this.broken || !this.context.alive) return;
    for (const h of [...this.indexHandles, this.dispatchFn, this.jsonFn, this.answerFn, this.loadedFn]) h?.dispose();
    this.context.dispose();
    this.runtime.dispose();
  }

  /** Passes the input in and runs fn on it under the deadline; the input handle is freed afterwards. */
  private enter(deadline: number, input: Payload, fn: (arg: QuickJSHandle) => ReturnType<QuickJSContext["callFunction"]>): Guarded {
    if (this.broken) return { ok: false, error: { kind: "host-error", message: "the plugin's runtime was abandoned after a host error" } };
    const arg = payloadHandle(this.context, input);
    // Decoding allocates inside the plugin's memory cap: a plugin that filled it gets a memory failure.
    if (!arg) return { ok: false, error: { kind: "memory", message: "InternalError: out of memory (while passing the event in)" } };
    try {
      return this.guard(deadline, () => fn(arg));
    } finally {
      // Freeing into a runtime a host exception left inconsistent would abort it: nothing is freed then.
      if (!this.broken) arg.dispose();
    }
  }

  /** Reads a value out through fn under the deadline: the value, UNSUPPORTED, or a host error (runtime broken). */
  private bounded(deadline: number, fn: () => unknown): DecisionResult | typeof UNSUPPORTED {
    this.timedOut = false;
    this.deadline = deadline;
    try {
      const v = fn();
      return v === UNSUPPORTED ? UNSUPPORTED : { ok: true, value: v };
    } catch (err) {
      this.broken = true;
      return { ok: false, error: { kind: "host-error", message: (err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR_TEXT) } };
    } finally {
      this.deadline = Number.POSITIVE_INFINITY;
    }
  }

  /** Runs fn under a deadline; QuickJS errors become SandboxError data, host exceptions mark the runtime broken. */
  private guard(deadline: number, fn: () => ReturnType<QuickJSContext["evalCode"]>): Guarded {
    this.timedOut = false;
    this.deadline = deadline;
    try {
      const r = fn();
      if (!r.error) return { ok: true, handle: r.value };
      const error = this.describe(r.error);
      r.error.dispose();
      return { ok: false, error };
    } catch (err) {
      this.broken = true;
      return { ok: false, error: { kind: "host-error", message: (err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR_TEXT) } };
    } finally {
      this.deadline = Number.POSITIVE_INFINITY;
    }
  }

  private describe(handle: QuickJSHandle): SandboxError {
    let name = "";
    let message = "";
    let stack: string | undefined;
    let line: number | undefined;
    try {
      const d = this.context.dump(handle) as unknown;
      if (d && typeof d === "object") {
        const e = d as { name?: unknown; message?: unknown; stack?: unknown; lineNumber?: unknown };
        name = typeof e.name === "string" ? e.name : "";
        message = typeof e.message === "string" ? e.message : JSON.stringify(d);
        stack = typeof e.stack === "string" ? e.stack.slice(0, MAX_ERROR_TEXT) : undefined;
        line = typeof e.lineNumber === "number" ? e.lineNumber : undefined;
      } else message = `threw ${String(d)}`;
    } catch {
      message = "threw a value that cannot be read";
    }
    const internal = name === "InternalError";
    const kind: SandboxErrorKind = this.timedOut ? "timeout" : internal && message === "out of memory" ? "memory" : internal && message === "stack overflow" ? "stack" : "threw";
    const text = `${name ? `${name}: ` : ""}${message}`.slice(0, MAX_ERROR_TEXT);
    const where = name === "SyntaxError" ? /:(\d+):(\d+)/.exec(stack ?? "") : null;
    return { kind, message: text, stack, line: where ? Number(where[1]) : line, column: where ? Number(where[2]) : undefined };
  }
}
