// Temporary directories and a cleanup registry for tests.
// Usage: `after(runCleanups)` once per test file; tmpDir() and the peer starters register themselves.
import { mkdtemp, rm } from "node:fs/promises";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Cleanup = () => void | Promise<void>;

const cleanups: Cleanup[] = [];

/** Registers fn to run in runCleanups() (last registered runs first). Returns a function that unregisters it. */
export function registerCleanup(fn: Cleanup): () => void {
  cleanups.push(fn);
  return () => {
    const i = cleanups.lastIndexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** Runs and forgets every registered cleanup, newest first; collects errors and throws the first after all ran. */
export async function runCleanups(): Promise<void> {
  const errors: unknown[] = [];
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
}

/** True when CONDUIT_KEEP_TMP=1: temp dirs are left on disk for inspection. */
export const keepTmp = process.env.CONDUIT_KEEP_TMP === "1";

function register(dir: string): string {
  registerCleanup(() => (keepTmp ? undefined : rm(dir, { recursive: true, force: true })));
  return dir;
}

/** Creates a fresh directory os.tmpdir()/conduit-<prefix>-XXXXXX, removed by runCleanups(). */
export async function tmpDir(prefix = "test"): Promise<string> {
  return register(await mkdtemp(join(tmpdir(), `conduit-${prefix}-`)));
}

/** Synchronous variant of tmpDir(). */
export function tmpDirSync(prefix = "test"): string {
  return register(mkdtempSync(join(tmpdir(), `conduit-${prefix}-`)));
}
