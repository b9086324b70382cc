// Shared helpers of the plugin tests: plugin files in a temporary folder, a config, real data sets, event
// contexts, a logger whose lines can be read back, and the rule engine for side-by-side comparisons.
import { UNCONTACTED_PEER_PORT } from "../support/dcmtk.js";
import { Writable } from "node:stream";
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Database } from "better-sqlite3";
import { pino, type Logger } from "pino";
import { ConfigSchema, type Config, type ConfigInput } from "../../src/config/schema.js";
import { DataSet } from "../../src/dicom/dataset.js";
import { lookupKeyword, tagToHex } from "../../src/dicom/dictionary.js";
import type { EventName } from "../../src/rules/ast.js";
import { checkRules, parseRules } from "../../src/rules/index.js";
import type { EventContext, EventOrigin } from "../../src/router/event-context.js";
import { emptyDecision, RuleSet, type Decision } from "../../src/router/rule-set.js";
import { PluginSet } from "../../src/plugins/index.js";
import type { Diagnostic } from "../../src/rules/ast.js";
import { tmpDirSync } from "../support/tmp.js";

export const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";

/** Peers CAD_LUNG and PACS, command cad, fast limits unless overridden. */
export function testConfig(overrides: Partial<ConfigInput> = {}): Config {
  return ConfigSchema.parse({
    peers: { CAD_LUNG: { host: "127.0.0.1", port: UNCONTACTED_PEER_PORT }, PACS: { host: "127.0.0.1", port: UNCONTACTED_PEER_PORT } },
    commands: { cad: { argv: ["/bin/true", "{path}"] } },
    ...overrides,
  });
}

/** Writes name → source files into a fresh folder; returns the folder and the files in name order. */
export function writePlugins(sources: Record<string, string>, dir = tmpDirSync("plugins")): { dir: string; files: string[] } {
  const files = Object.keys(sources)
    .sort()
    .map((name) => {
      const file = join(dir, name);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, sources[name]!);
      return file;
    })
    .filter((f) => f.endsWith(".js"));
  return { dir, files };
}

export interface Loaded {
  plugins: PluginSet;
  diagnostics: Diagnostic[];
  dir: string;
  log: CapturedLog;
}

/** Loads plugin sources (they must load without errors). */
export async function loadPlugins(sources: Record<string, string>, opts: { config?: Config; db?: Database; dir?: string } = {}): Promise<Loaded> {
  const { dir, files } = writePlugins(sources, opts.dir);
  const log = captureLog();
  const r = await PluginSet.load(files, { config: opts.config ?? testConfig(), db: opts.db, log: log.logger });
  if (!r.plugins) throw new Error(`plugins did not load: ${JSON.stringify(r.diagnostics, null, 1)}`);
  return { plugins: r.plugins, diagnostics: r.diagnostics, dir, log };
}

export interface CapturedLog {
  logger: Logger;
  /** Parsed JSON lines written so far. */
  lines(): Array<Record<string, unknown>>;
}

export function captureLog(): CapturedLog {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(...chunk.toString("utf8").split("\n").filter((l) => l !== ""));
      done();
    },
  });
  const logger = pino({ level: "trace" }, stream);
  return { logger, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A data set from keyword → values (PN given as text); the VR comes from the dictionary. */
export function dataSet(values: Record<string, string | number | Array<string | number>>): DataSet {
  const ds = new DataSet({});
  for (const [kw, v] of Object.entries(values)) {
    const e = lookupKeyword(kw);
    if (!e) throw new Error(`no keyword ${kw}`);
    const list = Array.isArray(v) ? v : [v];
    ds.dict[tagToHex(e.tag)] = { vr: e.vr, Value: list.map((x) => (e.vr === "PN" ? { Alphabetic: String(x) } : x)) };
  }
  return ds;
}

/** A CT image header as a modality sends it. */
export function ctHeader(extra: Record<string, string | number | Array<string | number>> = {}): DataSet {
  return dataSet({
    SOPClassUID: CT_IMAGE_STORAGE,
    SOPInstanceUID: "1.2.826.0.1.3680043.8.498.1.1.1",
    StudyInstanceUID: "1.2.826.0.1.3680043.8.498.1",
    SeriesInstanceUID: "1.2.826.0.1.3680043.8.498.1.1",
    PatientID: "PID001",
    PatientName: "Doe^Jane",
    PatientAddress: "1 Main Street",
    Modality: "CT",
    StudyDescription: "CT CHEST",
    InstitutionName: "Old Hospital",
    ...extra,
  });
}

export const ORIGIN: EventOrigin = { callingAE: "CT1", calledAE: "CONDUIT", address: "127.0.0.1", associationId: "assoc-1" };

export function ctx(event: EventName, dataset?: DataSet, origin: Partial<EventOrigin> = {}, now = new Date("2024-06-11T09:00:00Z")): EventContext {
  return { event, origin: { ...ORIGIN, ...origin }, dataset, now };
}

/** Runs a plugin set on an event with a fresh decision. */
export function run(plugins: PluginSet, c: EventContext) {
  return plugins.evaluate(c.event, c, {}, emptyDecision());
}

/** Compiles rule text (it must check clean) and evaluates it like the router does. */
export function runRules(text: string, c: EventContext, config = testConfig()): Decision {
  const parsed = parseRules(text, "test.rules");
  const problems = [...parsed.diagnostics, ...checkRules(parsed.ast, { peers: new Set(Object.keys(config.peers)), commands: new Set(Object.keys(config.commands)), baseDir: "/tmp" })];
  if (problems.length > 0) throw new Error(`rules do not check: ${JSON.stringify(problems)}`);
  return new RuleSet([parsed.ast]).evaluate(c.event, c, {}, emptyDecision());
}

/** A decision without the "who matched" list (rules and plugins record different origins). */
export function outcome(d: Decision): Omit<Decision, "matched"> {
  const { matched: _m, ...rest } = d;
  return rest;
}
