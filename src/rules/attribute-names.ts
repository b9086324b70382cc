// Attribute names in rules: keywords from the PS3.6 dictionary, (gggg,eeee) tags and private elements named by
// creator (PS3.5 7.8.1), resolved to AST steps; unknown names get a "did you mean" hint.
import { allKeywords, lookupKeyword } from "../dicom/dictionary.js";
import type { AttributeStep } from "./ast.js";

export interface StepProblem {
  code: string;
  message: string;
  hint?: string;
}

/** Edit distance, bounded: enough to suggest a keyword for a typo. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest dictionary keyword, if one is close (case-insensitive first). */
export function suggestKeyword(word: string): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 4)) + 1;
  for (const k of allKeywords()) {
    if (k.toLowerCase() === lower) return k;
    const d = distance(lower, k.toLowerCase(), bestD - 1);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

export function resolveKeywordStep(word: string): { step: AttributeStep } | { problem: StepProblem } {
  const entry = lookupKeyword(word);
  if (entry) return { step: { tag: entry.tag, keyword: word } };
  const s = /^[a-z]/.test(word) ? undefined : suggestKeyword(word);
  return {
    problem: {
      code: "RULES_UNKNOWN_ATTRIBUTE",
      message: `unknown attribute "${word}"`,
      hint: s ? `did you mean ${s}?` : /^[a-z]/.test(word) || /^[A-Z0-9_]+$/.test(word) ? 'text values need quotes, as in Modality == "CT"' : "write a PS3.6 keyword or a tag like (0010,0020)",
    },
  };
}

export function resolveTagStep(text: string): { step: AttributeStep } | { problem: StepProblem } {
  const m = /^\(\s*([0-9A-Fa-f]{4})\s*,\s*([0-9A-Fa-f]{4})\s*\)$/.exec(text)!;
  const group = parseInt(m[1]!, 16);
  const element = parseInt(m[2]!, 16);
  if (group === 0xfffe || group <= 0x0002) {
    return { problem: { code: "RULES_BAD_TAG", message: `tag ${text} is not a data set attribute`, hint: "groups 0000-0002 and FFFE belong to commands, the file meta header and item delimiters" } };
  }
  if (group & 1 && element >= 0x1000) {
    return { problem: { code: "RULES_BAD_TAG", message: `private tag ${text} is written by number`, hint: `private blocks move between files; name the creator: (${m[1]},"CREATOR",${m[2]!.slice(2)}) (PS3.5 7.8.1)` } };
  }
  return { step: { tag: ((group << 16) | element) >>> 0 } };
}

export function resolvePrivateStep(text: string): { step: AttributeStep } | { problem: StepProblem } {
  const m = /^\(\s*([0-9A-Fa-f]{4})\s*,\s*"((?:[^"\\]|\\.)*)"\s*,\s*([0-9A-Fa-f]{2})\s*\)$/.exec(text)!;
  const group = parseInt(m[1]!, 16);
  const creator = m[2]!.replace(/\\(.)/g, "$1").trim();
  if (!(group & 1) || group <= 0x0007 || group === 0xffff) {
    return { problem: { code: "RULES_BAD_TAG", message: `group ${m[1]} in ${text} is not a private group`, hint: "private groups are odd and above 0008 (PS3.5 7.8)" } };
  }
  if (creator === "" || creator.length > 64) return { problem: { code: "RULES_BAD_TAG", message: `private creator in ${text} must be 1-64 characters`, hint: "the creator is an LO value (PS3.5 7.8.1)" } };
  return { step: { tag: ((group << 16) | parseInt(m[3]!, 16)) >>> 0, privateCreator: creator } };
}
