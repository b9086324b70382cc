// Starting an in-process Conduit server for tests: 127.0.0.1, port 0, a fresh storage root, silent logs.
import { join } from "node:path";
import { readdir, readFile, stat } from "node:fs/promises";
import { isPrefilledTemp } from "../../src/store/storage-area.js";
import { Server } from "../../src/server.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { silentLogger } from "../../src/log/logger.js";
import { registerCleanup, tmpDir } from "./tmp.js";

export interface TestServer {
  server: Server;
  port: number;
  root: string;
  close(): Promise<void>;
}

type Overrides = Omit<Partial<ConfigInput>, "storage"> & { storage?: Partial<NonNullable<ConfigInput["storage"]>> };

export async function startConduit(overrides: Overrides = {}): Promise<TestServer> {
  const root = overrides.storage?.root ?? (await tmpDir("conduit"));
  const config: ConfigInput = {
    host: "127.0.0.1",
    port: 0,
    ...overrides,
    storage: { minFreeBytes: 0, ...overrides.storage, root },
  };
  const server = await Server.start({ config, logger: silentLogger() });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    unregister();
    await server.close();
  };
  const unregister = registerCleanup(close);
  return { server, port: server.port, root, close };
}

/** Every regular file under dir, relative, skipping the temporary folder and the catalog. */
export async function storedFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name !== ".incoming" && e.name !== ".spool") await walk(join(d, e.name), r);
      } else if (!/^conduit\.db/.test(e.name)) out.push(r);
    }
  };
  await walk(dir, "");
  return out.sort();
}

/** Temporary files holding data (the server keeps a few empty pre-opened spares there). */
export async function tempFiles(root: string): Promise<string[]> {
  const names = await readdir(join(root, ".incoming")).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names) {
    const s = await stat(join(root, ".incoming", n)).catch(() => null);
    if (!s || s.size === 0) continue;
    // A spare prefilled with zeros waits for the next object; one holding any data is a leftover.
    if (isPrefilledTemp(n) && !(await readFile(join(root, ".incoming", n)).catch(() => Buffer.alloc(1, 1))).some((b) => b !== 0)) continue;
    out.push(n);
  }
  return out;
}
