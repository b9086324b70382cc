// Rule evaluation cost (issue 3): 200 rules on one CT header, median µs per object, and that cost as a share of
// receiving one 512 KB instance at the rate measured in the same run.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeInstance } from "../test/support/dicom-files.js";
import { DataSet } from "../src/dicom/dataset.js";
import { readStoredHeader } from "../src/store/stored-file.js";
import { parseRules } from "../src/rules/index.js";
import { RuleSet } from "../src/router/rule-set.js";

/**
 * 200 rules of the kinds sites write, for an object from calling AE "MOD7" (a CT chest): AE routing, modality and
 * body part, description regexes, AE-guarded coercions, date and number tests, private tags; a handful match.
 */
export function ruleText(n = 200): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 10;
    if (k < 3) out.push(`on store when CallingAE == "MOD${i}" { forward to PACS${i % 3} }`);
    else if (k < 5) out.push(`on store when Modality in ("MR", "US", "XA${i}") and BodyPartExamined == "PART${i}" { store at "{PatientID}/{Modality}/{SOPInstanceUID}.dcm" }`);
    else if (k < 7) out.push(`on store when StudyDescription matches /protocol ${i}|chest ${i}$/i { forward to CAD${i % 2} }`);
    else if (k === 7) out.push(`on store when CallingAE == "MOD${i}" { set InstitutionName = "Hospital ${i}" replace AccessionNumber /^X${i}-/ with "" }`);
    else if (k === 8) out.push(`on store when StudyDate between "20200101" and today and SeriesNumber > ${i} { log "series {SeriesNumber} of {CallingAE}" }`);
    else out.push(`on store when (0009,"ACME ${i}",10) exists { remove (0009,"ACME ${i}",10) }`);
  }
  return out.join("\n");
}

const WARMUP = 5000;
const MEASURED = 5000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Prints and returns the lines; `receiveSecondsPerInstance` from the storage benchmark of the same run. */
export async function benchRules(dir: string, receiveSecondsPerInstance?: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const inst = await writeInstance(join(dir, "ct.dcm"), { modality: "CT", studyDate: "20240301", seriesNumber: 3, studyDescription: "Chest 5", pixelBytes: 512 * 1024 - 4096 });
  const header = await readStoredHeader(inst.path);
  const parsed = parseRules(ruleText(), "bench.rules");
  if (parsed.diagnostics.length) throw new Error(`bench rules have diagnostics: ${parsed.diagnostics[0]!.message}`);
  const rules = new RuleSet([parsed.ast]);
  const origin = { callingAE: "MOD7", calledAE: "CONDUIT", address: "127.0.0.1", associationId: "bench" };
  const services = { mapUid: (u: string) => u, resolveUid: (u: string) => u };
  const samples: number[] = [];
  let matched = 0;
  // A server evaluates rules for every object it receives for years: the figure is the steady state, after V8 has
  // optimised the evaluator (the first few thousand objects run slower code).
  for (let i = 0; i < WARMUP + MEASURED; i++) {
    const ds = new DataSet(structuredClone(header.dataset.dict));
    const t0 = process.hrtime.bigint();
    const d = rules.evaluate("store", { event: "store", origin, dataset: ds, now: new Date() }, services);
    const t1 = process.hrtime.bigint();
    matched = d.matched.length;
    if (i >= WARMUP) samples.push(Number(t1 - t0) / 1000);
  }
  const med = median(samples);
  const lines = [`rule evaluation: ${rules.size} rules, ${matched} matching, median ${med.toFixed(1)} µs per object`];
  if (receiveSecondsPerInstance) {
    lines.push(`  = ${((med / 1e6 / receiveSecondsPerInstance) * 100).toFixed(3)}% of receiving one 512 KB instance (${(receiveSecondsPerInstance * 1e3).toFixed(2)} ms at Conduit's measured rate; target well under 1%)`);
  }
  for (const l of lines) console.log(l);
  return lines;
}
