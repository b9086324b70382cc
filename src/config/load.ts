// Loading and validating configuration: a JSON file and/or overrides, every problem reported with its path.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { conduitError, errorMessage } from "../errors.js";
import { transferSyntax, transferSyntaxByKeyword } from "../dicom/transfer-syntax.js";
import { ConfigSchema, type Config, type ConfigInput } from "./schema.js";

export interface ConfigProblem {
  path: string;
  message: string;
}

function pathText(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? "(root)" : path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".").replace(/\.\[/g, "[");
}

/** Validates a config object; returns the typed config or every problem found. */
export function validateConfig(input: unknown): { config?: Config; problems: ConfigProblem[] } {
  const r = ConfigSchema.safeParse(input ?? {});
  if (!r.success) {
    const problems = r.error.issues.map((i) => {
      const keys = "keys" in i && Array.isArray(i.keys) ? (i.keys as string[]) : null;
      if (i.code === "unrecognized_keys" && keys) {
        return keys.map((k) => ({ path: pathText([...i.path, k]), message: "unknown key" }));
      }
      return [{ path: pathText(i.path), message: i.message }];
    });
    return { problems: problems.flat() };
  }
  const config = r.data;
  const problems: ConfigProblem[] = [];
  config.network.transferSyntaxes = config.network.transferSyntaxes.map((t, i) => {
    const ts = transferSyntax(t) ?? transferSyntaxByKeyword(t);
    if (!ts) problems.push({ path: `network.transferSyntaxes[${i}]`, message: `unknown transfer syntax "${t}"` });
    return ts?.uid ?? t;
  });
  return problems.length ? { problems } : { config, problems };
}

export function formatProblems(source: string, problems: ConfigProblem[]): string {
  return problems.map((p) => `${source}: ${p.path}: ${p.message}`).join("\n");
}

/** Parses and validates; throws CONFIG_INVALID listing every problem. */
export function parseConfig(input: unknown, source = "config"): Config {
  const { config, problems } = validateConfig(input);
  if (!config) {
    throw conduitError("CONFIG_INVALID", `\n${formatProblems(source, problems)}`, { problems });
  }
  return config;
}

/** The catalog file a config names: its own path, or conduit.db under the storage root. */
export function catalogFileOf(config: Config): string {
  return config.catalog.path ?? join(resolve(config.storage.root), "conduit.db");
}

/** Reads a JSON config file (or none: embedded defaults) and applies command-line overrides on top. */
export function loadConfig(file: string | undefined, overrides: Partial<ConfigInput> = {}): Config {
  let input: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(resolve(file), "utf8");
    } catch (err) {
      throw conduitError("CONFIG_UNREADABLE", `${file}: ${errorMessage(err)}`);
    }
    try {
      input = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw conduitError("CONFIG_INVALID", `${file}: not valid JSON: ${errorMessage(err)}`);
    }
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      throw conduitError("CONFIG_INVALID", `${file}: expected a JSON object at the top level`);
    }
  }
  if (file) input = anchorPaths(input, dirname(resolve(file)));
  return parseConfig(mergeDeep(input, overrides), file ?? "config");
}

/** Relative paths written in a config file are taken from the file's folder (as Orthanc does), not the cwd. */
const PATH_KEYS: ReadonlyArray<readonly string[]> = [["storage", "root"], ["storage", "dose", "root"], ["catalog", "path"], ["rules", "dir"], ["plugins", "dir"]];

function anchorPaths(input: Record<string, unknown>, base: string): Record<string, unknown> {
  const out = structuredClone(input);
  const at = (path: readonly string[]): Record<string, unknown> | undefined => {
    let o: unknown = out;
    for (const k of path) o = o && typeof o === "object" && !Array.isArray(o) ? (o as Record<string, unknown>)[k] : undefined;
    return o && typeof o === "object" && !Array.isArray(o) ? (o as Record<string, unknown>) : undefined;
  };
  for (const path of PATH_KEYS) {
    const parent = at(path.slice(0, -1));
    const key = path[path.length - 1]!;
    const v = parent?.[key];
    if (parent && typeof v === "string" && v !== "" && !isAbsolute(v)) parent[key] = resolve(base, v);
  }
  const commands = at(["commands"]);
  for (const c of Object.values(commands ?? {})) {
    if (c && typeof c === "object" && !Array.isArray(c)) {
      const cmd = c as Record<string, unknown>;
      if (typeof cmd.cwd === "string" && !isAbsolute(cmd.cwd)) cmd.cwd = resolve(base, cmd.cwd);
    }
  }
  return out;
}

function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] =
      v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b)
        ? mergeDeep(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}
