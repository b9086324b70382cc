// What a plugin may ask of the host: log lines, read-only CSV lookups inside its own folder, a small key-value
// store persisted in the catalog (plugin_kv), and whether a move/get is local. Nothing else crosses over.
import { readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import type { Database, Statement } from "better-sqlite3";
import type { Logger } from "pino";
import { parseCsv } from "../router/lookup-table.js";
import type { HostOp } from "./bootstrap.js";

/** Bounds of the key-value store, per plugin. */
export const KV_LIMITS = { keyChars: 256, valueBytes: 64 * 1024, keys: 10_000 } as const;
/** Largest CSV table a plugin may read. */
const MAX_TABLE_BYTES = 16 * 1024 * 1024;
const MAX_LOG_CHARS = 4000;
const LEVELS = new Set(["trace", "debug", "info", "warn", "error"]);

/** The plugin_kv table (catalog migration 2), or process memory when no catalog is given. */
export class PluginKv {
  private readonly memory = new Map<string, Map<string, string>>();
  private readonly st?: { get: Statement; set: Statement; del: Statement; count: Statement };

  constructor(db?: Database) {
    if (!db) return;
    this.st = {
      get: db.prepare("SELECT value FROM plugin_kv WHERE plugin = ? AND key = ?"),
      set: db.prepare("INSERT INTO plugin_kv (plugin, key, value) VALUES (?, ?, ?) ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value"),
      del: db.prepare("DELETE FROM plugin_kv WHERE plugin = ? AND key = ?"),
      count: db.prepare("SELECT COUNT(*) AS n FROM plugin_kv WHERE plugin = ?"),
    };
  }

  get(plugin: string, key: string): string | undefined {
    if (!this.st) return this.memory.get(plugin)?.get(key);
    const row = this.st.get.get(plugin, key) as { value: string } | undefined;
    return row?.value;
  }

  set(plugin: string, key: string, json: string): void {
    if (key.length === 0 || key.length > KV_LIMITS.keyChars) throw new Error(`kv keys are 1 to ${KV_LIMITS.keyChars} characters`);
    if (Buffer.byteLength(json, "utf8") > KV_LIMITS.valueBytes) throw new Error(`kv values are at most ${KV_LIMITS.valueBytes} bytes as JSON`);
    if (this.get(plugin, key) === undefined && this.count(plugin) >= KV_LIMITS.keys) throw new Error(`kv holds at most ${KV_LIMITS.keys} keys per plugin`);
    if (!this.st) {
      const m = this.memory.get(plugin) ?? new Map<string, string>();
      m.set(key, json);
      this.memory.set(plugin, m);
      return;
    }
    this.st.set.run(plugin, key, json);
  }

  delete(plugin: string, key: string): boolean {
    if (!this.st) return this.memory.get(plugin)?.delete(key) ?? false;
    return this.st.del.run(plugin, key).changes > 0;
  }

  private count(plugin: string): number {
    if (!this.st) return this.memory.get(plugin)?.size ?? 0;
    return (this.st.count.get(plugin) as { n: number }).n;
  }
}

interface CachedTable {
  mtimeMs: number;
  size: number;
  rows: Array<Record<string, string>>;
  byFirst: Map<string, Record<string, string>>;
  columns: string[];
}

function inside(folder: string, abs: string): boolean {
  const rel = relative(folder, abs);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

/** Resolves a table path against the plugin's folder; refuses anything that leaves it, symbolic links included. */
export function confinedPath(folder: string, file: string): string {
  if (file === "" || file.includes("\0")) throw new Error("a table path is needed");
  const abs = resolve(folder, file);
  if (!inside(folder, abs)) throw new Error(`"${file}" is outside the plugin's folder`);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    throw new Error(`${file}: no such table in the plugin's folder`);
  }
  if (!inside(realpathSync(folder), real)) throw new Error(`"${file}" leads outside the plugin's folder`);
  return real;
}

/** Host side of one plugin's API calls; `current` points at the event being handled (for "local"). */
export class HostApi {
  private readonly tables = new Map<string, CachedTable>();
  local: (() => boolean) | undefined;

  constructor(
    private readonly plugin: string,
    private readonly folder: string,
    private readonly kv: PluginKv,
    private readonly log: Logger,
  ) {}

  /** Handles one request from the sandbox; throwing becomes an Error inside the sandbox. */
  call(op: HostOp, args: string[]): string | undefined {
    switch (op) {
      case "log": {
        const level = LEVELS.has(args[0] ?? "") ? (args[0] as "info") : "info";
        this.log[level]({ plugin: this.plugin }, (args[1] ?? "").slice(0, MAX_LOG_CHARS));
        return undefined;
      }
      case "lookup":
        return this.lookup(args[0] ?? "", args[1] ?? "", args[2] || undefined);
      case "table":
        return JSON.stringify(this.table(args[0] ?? "").rows);
      case "kv.get":
        return this.kv.get(this.plugin, args[0] ?? "");
      case "kv.set":
        this.kv.set(this.plugin, args[0] ?? "", args[1] ?? "null");
        return undefined;
      case "kv.delete":
        return this.kv.delete(this.plugin, args[0] ?? "") ? "1" : "0";
      case "local":
        return this.local?.() ? "1" : "0";
      default:
        throw new Error(`unknown host operation "${op}"`);
    }
  }

  /** The `column` (default: the second) of the first row whose first column equals key. */
  private lookup(file: string, key: string, column: string | undefined): string | undefined {
    const t = this.table(file);
    const row = t.byFirst.get(key.trim());
    if (!row) return undefined;
    const name = column ?? t.columns[1];
    if (name === undefined || !t.columns.includes(name)) throw new Error(`${file}: no column "${column ?? "#2"}" (columns: ${t.columns.join(", ")})`);
    return row[name];
  }

  /** A CSV file of the plugin's folder, re-read when it changes on disk. */
  private table(file: string): CachedTable {
    const abs = confinedPath(this.folder, file);
    const st = statSync(abs);
    if (st.size > MAX_TABLE_BYTES) throw new Error(`${file}: tables are at most ${MAX_TABLE_BYTES} bytes`);
    const cached = this.tables.get(abs);
    if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size) return cached;
    const [header, ...body] = parseCsv(readFileSync(abs, "utf8").replace(/^\uFEFF/, ""));
    if (!header) throw new Error(`${file}: empty table (expected a header row naming the columns)`);
    const columns = header.map((h) => h.trim());
    const rows = body.map((r) => Object.fromEntries(columns.map((c, i) => [c, (r[i] ?? "").trim()])));
    const byFirst = new Map<string, Record<string, string>>();
    for (const r of rows) if (!byFirst.has(r[columns[0]!]!)) byFirst.set(r[columns[0]!]!, r);
    const entry = { mtimeMs: st.mtimeMs, size: st.size, rows, byFirst, columns };
    this.tables.set(abs, entry);
    return entry;
  }
}
