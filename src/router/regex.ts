// Rule regexes never backtrack for ever: patterns with a quantified group run on RE2 (linear time); simple
// ones on V8's engine, which is linear for them. Subjects are bounded too.
import { createRequire } from "node:module";

export interface SafeRegex {
  test(s: string): boolean;
  replace(s: string, replacement: string): string;
  readonly engine: "v8" | "re2";
}

interface Re2Instance {
  test(s: string): boolean;
  exec(s: string): unknown;
  replace(s: string, r: string): string;
}
type Re2Ctor = new (source: string, flags: string) => Re2Instance;

let re2: Re2Ctor | undefined;
function loadRe2(): Re2Ctor {
  re2 ??= (createRequire(import.meta.url)("re2-wasm") as { RE2: Re2Ctor }).RE2;
  return re2;
}

/** Longest subject examined (DICOM text values are at most 64 KiB anyway). */
const MAX_SUBJECT = 65536;

/** A group followed by a quantifier ("(a+)+", "(x|y)*") is where backtracking can explode. */
export function needsLinearEngine(source: string): boolean {
  let escaped = false;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (escaped) {
      escaped = false;
      continue;
    }
    if (c === "\\") escaped = true;
    else if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === ")" && !inClass && /[*+?{]/.test(source[i + 1] ?? "")) return true;
  }
  return false;
}

/** Backreferences and lookaround have no linear-time implementation; rules may not use them. */
export function unsupportedFeature(source: string): string | null {
  if (/\\[1-9]|\\k</.test(source)) return "backreferences";
  if (/\(\?(=|!|<=|<!)/.test(source)) return "lookaround";
  return null;
}

export function compileRegex(source: string, flags: string): SafeRegex {
  const bad = unsupportedFeature(source);
  if (bad) throw new Error(`regex uses ${bad}, which Conduit does not run (patterns must match in linear time)`);
  const clip = (s: string) => (s.length > MAX_SUBJECT ? s.slice(0, MAX_SUBJECT) : s);
  if (needsLinearEngine(source)) {
    const RE2 = loadRe2();
    const plain = flags.replace(/[gyu]/g, "");
    const tester = new RE2(source, `${plain}u`);
    const replacer = new RE2(source, `${plain}gu`);
    return { engine: "re2", test: (s) => tester.test(clip(s)), replace: (s, r) => replacer.replace(clip(s), r) };
  }
  const tester = new RegExp(source, flags.replace(/[gy]/g, ""));
  const replacer = new RegExp(source, `${flags.replace(/[gy]/g, "")}g`);
  return { engine: "v8", test: (s) => tester.test(clip(s)), replace: (s, r) => clip(s).replace(replacer, r) };
}
