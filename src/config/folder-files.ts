// The files a configured folder contributes (rules/*.rules, plugins/*.js): name order is evaluation order.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

/** Files of `dir` ending in `ext`, in name order, hidden ones skipped; a missing folder holds none. */
export function folderFiles(dir: string, ext: string): string[] {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) return [];
  return readdirSync(abs)
    .filter((n) => n.endsWith(ext) && !n.startsWith("."))
    .sort()
    .map((n) => join(abs, n));
}
