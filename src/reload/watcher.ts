// Hot reload (DESIGN.md section 6): chokidar watches the rules folder, the plugins folder and the config file;
// a change builds the next generation beside the running one and swaps only if it has no error.
import { watch, type FSWatcher } from "chokidar";
import { resolve } from "node:path";
import type { Logger } from "pino";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { errorMessage } from "../errors.js";
import type { Database } from "better-sqlite3";
import { buildGeneration, type Generation } from "../router/generation.js";
import { formatDiagnostic } from "../rules/index.js";

export interface ReloadTarget {
  readonly generation: Generation;
  swap(next: Generation): void;
  /** The catalog database plugins keep their key-value data in. */
  readonly db?: Database;
}

export interface WatchOptions {
  configFile?: string;
  /** Command-line overrides applied on top of the file, as at start. */
  overrides?: Record<string, unknown>;
  debounceMs?: number;
}

/** Settings that only take effect at start; a reload that changes them says so. */
function restartOnly(a: Config, b: Config): string[] {
  const out: string[] = [];
  if (a.host !== b.host || a.port !== b.port) out.push("host/port");
  if (JSON.stringify(a.storage) !== JSON.stringify(b.storage)) out.push("storage");
  if (a.catalog.path !== b.catalog.path) out.push("catalog");
  return out;
}

export class Reloader {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private building = false;
  private again = false;
  /** Resolves after each reload attempt (tests wait on it). */
  onAttempt?: (ok: boolean, generation: Generation) => void;

  constructor(
    private readonly target: ReloadTarget,
    private readonly log: Logger,
    private readonly options: WatchOptions = {},
  ) {}

  start(): void {
    const gen = this.target.generation;
    const paths = [resolve(gen.config.rules.dir), resolve(gen.config.plugins.dir)];
    if (this.options.configFile) paths.push(resolve(this.options.configFile));
    // Editors that save by writing a temporary file and renaming it over the original show up as add/unlink
    // pairs: every event simply schedules one rebuild after a short quiet period.
    this.watcher = watch(paths, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 } });
    this.watcher.on("all", (_event, path) => {
      if (/(^|[\\/])\.[^\\/]*$|~$|\.swp$/.test(path)) return;
      this.schedule();
    });
    this.watcher.on("error", (err) => this.log.warn({ err: errorMessage(err) }, "file watcher error"));
  }

  schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), this.options.debounceMs ?? 150);
    this.timer.unref();
  }

  /** Builds generation N+1 and swaps it in if it is valid; otherwise N keeps running and every diagnostic is logged. */
  async reload(): Promise<boolean> {
    if (this.building) {
      this.again = true;
      return false;
    }
    this.building = true;
    let ok = false;
    const current = this.target.generation;
    try {
      let config: Config;
      try {
        config = this.options.configFile ? loadConfig(this.options.configFile, this.options.overrides ?? {}) : current.config;
      } catch (err) {
        this.log.error({ generation: current.id }, `reload refused, generation ${current.id} keeps running: ${errorMessage(err)}`);
        return false;
      }
      const built = await buildGeneration(config, current.id + 1, { log: this.log, db: this.target.db });
      for (const d of built.diagnostics) {
        (d.severity === "error" ? this.log.error.bind(this.log) : this.log.warn.bind(this.log))({ file: d.file, line: d.line, column: d.column, code: d.code }, formatDiagnostic(d));
      }
      if (!built.generation) {
        this.log.error({ generation: current.id }, `reload refused: ${built.diagnostics.filter((d) => d.severity === "error").length} error(s); generation ${current.id} keeps running`);
        return false;
      }
      const fixed = restartOnly(current.config, config);
      if (fixed.length) this.log.warn({ settings: fixed }, "these settings change only at restart");
      this.target.swap(built.generation);
      ok = true;
      this.log.info({ generation: built.generation.id, rules: built.generation.rules.size, files: built.generation.ruleFiles.length, plugins: built.generation.pluginFiles.length }, "rules and plugins reloaded");
      return true;
    } finally {
      this.building = false;
      this.onAttempt?.(ok, this.target.generation);
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.watcher?.close();
  }
}
