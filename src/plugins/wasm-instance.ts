// QuickJS's WebAssembly code, compiled once per process, instantiated once per plugin with its own capped
// memory. QuickJS's own limit (runtime.setMemoryLimit) does not count large strings and typed arrays in this
// build (quickjs-emscripten issues 255 and 271): a memory that cannot grow past its cap bounds them, and a
// plugin that exhausts it hurts only itself.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC, type QuickJSWASMModule } from "quickjs-emscripten";

// The project compiles without the DOM library, so the two WebAssembly calls used here are typed locally.
interface CompiledCode {
  readonly kind?: "WebAssembly.Module";
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  compile(bytes: Uint8Array): Promise<CompiledCode>;
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const PAGE = 64 * 1024;
/** The build's declared minimum memory (its static data, 5 MiB of stack and a first heap). */
export const BASE_MEMORY_BYTES = 16 * 1024 * 1024;
/** Memory beyond the QuickJS heap cap: the stack and static data live in the same memory. */
const OVERHEAD_BYTES = 8 * 1024 * 1024;

let compiled: Promise<CompiledCode> | undefined;

/** The variant's .wasm file, found through quickjs-emscripten's own dependencies. */
function wasmPath(): string {
  const fromHere = createRequire(import.meta.url);
  const fromLibrary = createRequire(fromHere.resolve("quickjs-emscripten"));
  return fromLibrary.resolve("@jitl/quickjs-wasmfile-release-sync/wasm");
}

/** Compiles the WebAssembly code once per process (every plugin instance shares the compiled code). */
export function compiledQuickJS(): Promise<CompiledCode> {
  compiled ??= readFile(wasmPath()).then((bytes) => wasm.compile(bytes));
  return compiled;
}

/** The most WebAssembly memory a plugin with this QuickJS heap cap may use. */
export function memoryCapBytes(heapBytes: number): number {
  const bytes = Math.max(BASE_MEMORY_BYTES, heapBytes + OVERHEAD_BYTES);
  return Math.ceil(bytes / PAGE) * PAGE;
}

/** A fresh QuickJS module instance whose memory cannot grow past memoryCapBytes(heapBytes). */
export async function newQuickJSInstance(heapBytes: number): Promise<QuickJSWASMModule> {
  const module = await compiledQuickJS();
  const maximum = memoryCapBytes(heapBytes) / PAGE;
  const memory = new wasm.Memory({ initial: BASE_MEMORY_BYTES / PAGE, maximum });
  return newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmModule: module, wasmMemory: memory }));
}
