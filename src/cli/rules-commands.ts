// `conduit check` (diagnostics of rule files, non-zero exit on errors) and `conduit explain FILE.dcm` (which
// rules match an object and what they would do: a dry run, nothing written or sent).
import { statSync } from "node:fs";
import { isAbsolute, relative } from "node:path";
import type { Command } from "commander";
import { catalogFileOf, loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { DataSet, valueToString } from "../dicom/dataset.js";
import { keywordOf } from "../dicom/dictionary.js";
import { buildGeneration, disabledPlugins, listRuleFiles, loadRuleFiles } from "../router/generation.js";
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { decideEvent } from "../router/router.js";
import { checkPlugins, listPluginFiles } from "../plugins/index.js";
import { silentLogger } from "../log/logger.js";
import { emptyDecision, type Decision } from "../router/rule-set.js";
import { placeByLayout } from "../store/layout.js";
import { readStoredHeader } from "../store/stored-file.js";
import { formatDiagnostic } from "../rules/index.js";
import type { Diagnostic } from "../rules/ast.js";

interface Out {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  setExit(code: number): void;
}

/** Rule and plugin files named on the command line (files or folders), or the configured folders. */
function filesOf(paths: string[], config: Config): { rules: string[]; plugins: string[] } {
  if (paths.length === 0) return { rules: listRuleFiles(config.rules.dir), plugins: listPluginFiles(config.plugins.dir) };
  const out = { rules: [] as string[], plugins: [] as string[] };
  for (const p of paths) {
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s) throw new Error(`${p}: no such file or folder`);
    if (s.isDirectory()) {
      out.rules.push(...listRuleFiles(p));
      out.plugins.push(...listPluginFiles(p));
    } else if (p.endsWith(".js")) out.plugins.push(p);
    else out.rules.push(p);
  }
  return out;
}

/** Plugins a running (or the last) server disabled after repeated failures, as warnings on their files. */
function disabledByServer(config: Config, pluginFiles: string[]): Diagnostic[] {
  const file = catalogFileOf(config);
  if (!existsSync(file)) return [];
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const wanted = new Set(pluginFiles.map((f) => resolve(f)));
    return disabledPlugins(db)
      .filter((d) => wanted.has(resolve(d.file)))
      .map((d) => ({ file: d.file, line: 1, column: 1, severity: "warning" as const, code: "PLUGIN_DISABLED", message: `the server disabled this plugin after repeated failures (last: ${d.message}, ${d.at})`, hint: "fix it and save the file: a reload enables it again" }));
  } catch {
    return [];
  } finally {
    db?.close();
  }
}

export async function checkCommand(config: Config, paths: string[], io: Out): Promise<void> {
  const files = filesOf(paths, config);
  const { asts, diagnostics } = loadRuleFiles(config, files.rules);
  if (files.plugins.length) {
    diagnostics.push(...(await checkPlugins(files.plugins, config)));
    diagnostics.push(...disabledByServer(config, files.plugins));
  }
  // Paths as the user would type them: relative to the working directory when inside it.
  const shown = (f: string) => {
    const r = relative(process.cwd(), f);
    return r && !r.startsWith("..") && !isAbsolute(r) ? r : f;
  };
  for (const d of diagnostics) io.err.write(`${formatDiagnostic({ ...d, file: shown(d.file) })}\n`);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const rules = asts.reduce((n, a) => n + a.rules.length, 0);
  const plugins = files.plugins.length ? `, ${files.plugins.length} plugin(s)` : "";
  io.out.write(`${files.rules.length} rule file(s), ${rules} rule(s)${plugins}: ${errors} error(s), ${warnings} warning(s)\n`);
  if (errors > 0) io.setExit(1);
}

function text(ds: DataSet, key: string): string {
  const el = ds.dict[key];
  if (!el) return "(absent)";
  if (el.vr === "SQ") return `(sequence of ${(el.Value ?? []).length} item(s))`;
  return (el.Value ?? []).map(valueToString).join("\\") || "(empty)";
}

export async function explainCommand(config: Config, file: string, origin: { callingAE: string; calledAE: string }, io: Out): Promise<void> {
  // Plugins get an in-memory key-value store here: a dry run records nothing.
  const built = await buildGeneration(config, 0, { log: silentLogger() });
  if (!built.generation) {
    for (const d of built.diagnostics) io.err.write(`${formatDiagnostic(d)}\n`);
    io.setExit(1);
    return;
  }
  const gen = built.generation;
  const header = await readStoredHeader(file);
  const before = new DataSet(structuredClone(header.dataset.dict));
  const ds = header.dataset;
  // A dry run: new UIDs are shown as placeholders and nothing is recorded.
  const services = { mapUid: (uid: string) => `<new UID for ${uid}>`, resolveUid: (v: string) => v };
  const ev = { origin: { ...origin, address: "127.0.0.1", associationId: "explain" }, dataset: ds, now: new Date() };
  const store = decideEvent(gen, "store", { event: "store", ...ev }, services);
  const stored: Decision = store.reject || store.discard ? emptyDecision() : decideEvent(gen, "stored", { event: "stored", ...ev }, services);
  gen.plugins?.dispose?.();
  const w = (s = "") => io.out.write(`${s}\n`);
  w(`${file}: ${header.meta.mediaStorageSopClassUid} ${ds.string("SOPInstanceUID") ?? ""}`);
  w(`rules: ${gen.ruleFiles.length} file(s), ${gen.rules.size} rule(s); calling AE ${origin.callingAE}, called AE ${origin.calledAE}`);
  w();
  const matched = [...store.matched, ...stored.matched];
  w(matched.length ? "matching rules:" : "no rule matches");
  for (const m of matched) w(m.line > 0 ? `  ${m.file}:${m.line} (on ${m.event})` : `  ${m.file} (plugin, on ${m.event})`);
  if (store.reject) {
    w(`\nrefused: status 0x${store.reject.status.toString(16).toUpperCase().padStart(4, "0")}${store.reject.message ? ` (${store.reject.message})` : ""}`);
    return;
  }
  if (ds.dirty.size > 0) {
    w("\nattributes changed (the C-STORE would be answered 0xB000):");
    for (const key of [...ds.dirty].sort()) w(`  ${keywordOf(parseInt(key, 16))}: ${text(before, key)} -> ${text(ds, key)}`);
  }
  const sopClass = header.meta.mediaStorageSopClassUid;
  const uid = ds.string("SOPInstanceUID") ?? "";
  if (store.discard) w(`\nnot kept (pure router)`);
  else {
    const rel = store.storePath ?? placeByLayout(config.storage, config.storage.root, config.storage.dose.root, ds, sopClass, uid).relative;
    w(`\nwould be stored at: ${rel}${store.storePath ? " (store at)" : " (layout)"}`);
  }
  const forwards = [...new Set([...store.forwards, ...stored.forwards])];
  if (forwards.length) w(`would be forwarded to: ${forwards.join(", ")}`);
  const runs = [...new Set([...store.runs, ...stored.runs])];
  if (runs.length) w(`would run: ${runs.join(", ")}`);
  for (const line of [...store.logs, ...stored.logs]) w(`would log: ${line}`);
  const stable = gen.rules.rules("study-stable");
  if (stable.length) w(`arms ${stable.length} study-stable rule(s) for study ${ds.string("StudyInstanceUID") ?? "?"}`);
}

export function addRulesCommands(program: Command, io: Out): void {
  program
    .command("check")
    .description("check rule files and plugins (default: the configured rules and plugins folders); prints file:line:col diagnostics")
    .argument("[paths...]", "rule files, plugin files (.js) or folders")
    .option("-c, --config <file>", "JSON configuration file (peers and commands the rules may name)")
    .action(async (paths: string[], o: { config?: string }) => {
      await checkCommand(loadConfig(o.config), paths, io);
    });
  program
    .command("explain")
    .description("show which rules match a DICOM file and what they would do (dry run)")
    .argument("<file>", "a DICOM Part-10 file")
    .option("-c, --config <file>", "JSON configuration file")
    .option("--calling-ae <title>", "calling AE title to assume", "EXPLAIN")
    .option("--called-ae <title>", "called AE title to assume")
    .action(async (file: string, o: { config?: string; callingAe: string; calledAe?: string }) => {
      const config = loadConfig(o.config);
      await explainCommand(config, file, { callingAE: o.callingAe, calledAE: o.calledAe ?? config.aeTitle }, io);
    });
}

export type { Diagnostic };
