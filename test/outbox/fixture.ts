// Shared set-up for the outbox tests: a real catalog in a temp dir, an Outbox whose peers are DCMTK storescp
// processes, jobs enqueued inside a catalog transaction as the router does, and polling helpers.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { Catalog } from "../../src/catalog/index.js";
import { parseConfig } from "../../src/config/load.js";
import type { Config, ConfigInput } from "../../src/config/schema.js";
import { silentLogger } from "../../src/log/logger.js";
import type { JobRow, JobState } from "../../src/outbox/job-store.js";
import { Outbox, type SettledState } from "../../src/outbox/outbox.js";
import type { ForwardJob } from "../../src/router/router.js";
import type { WrittenInstance } from "../support/dicom-files.js";
import { registerCleanup, tmpDir } from "../support/tmp.js";

export interface Fixture {
  dir: string;
  catalog: Catalog;
  outbox: Outbox;
  config: Config;
  settled: Array<{ job: JobRow; state: SettledState }>;
  /** Inserts forward jobs for these files inside one catalog transaction (as the router does before C-STORE-RSP). */
  enqueue(destination: string, files: readonly WrittenInstance[], opts?: { spooled?: boolean }): void;
  jobs(state?: JobState): JobRow[];
  /** Stops the outbox and closes the catalog (idempotent). */
  close(): Promise<void>;
}

export interface FixtureOptions {
  peers: NonNullable<ConfigInput["peers"]>;
  outbox?: ConfigInput["outbox"];
  /** Reuse this directory's catalog (a restart). */
  dir?: string;
  /** Do not call start() (to look at the rows first). */
  noStart?: boolean;
}

export function toJob(destination: string, f: WrittenInstance, spooled = false): ForwardJob {
  return {
    destination,
    sopInstanceUid: f.sopInstanceUid,
    sopClassUid: f.sopClassUid,
    transferSyntaxUid: f.transferSyntaxUid,
    path: f.path,
    spooled,
    origin: "test.rules:1",
  };
}

export async function openOutbox(opts: FixtureOptions): Promise<Fixture> {
  const dir = opts.dir ?? (await tmpDir("outbox"));
  const catalog = Catalog.open(join(dir, "conduit.db"), { checkpointInWorker: false });
  const config = parseConfig({
    aeTitle: "CONDUIT",
    storage: { root: dir },
    peers: opts.peers,
    outbox: { retryDelay: 0.1, maxRetryDelay: 0.4, idleClose: 5, ...opts.outbox },
    limits: { connectTimeout: 5, dimseTimeout: 10 },
  });
  const settled: Fixture["settled"] = [];
  const outbox = new Outbox(catalog.db, () => config, silentLogger(), { onSettled: (job, state) => settled.push({ job, state }) });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    unregister();
    await outbox.stop(2000);
    catalog.close();
  };
  const unregister = registerCleanup(close);
  if (!opts.noStart) outbox.start();
  return {
    dir,
    catalog,
    outbox,
    config,
    settled,
    enqueue: (destination, files, o = {}) => catalog.db.transaction(() => outbox.enqueue(files.map((f) => toJob(destination, f, o.spooled))))(),
    jobs: (state) => outbox.list(state ? { state } : {}),
    close,
  };
}

export { until } from "../support/wait.js";

/** Files storescp wrote into dir. */
export async function received(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((f) => !f.startsWith(".")).sort();
}

/** The received file of this SOP instance (storescp names files <modality>.<sop instance uid>). */
export async function receivedFile(dir: string, sopInstanceUid: string): Promise<string> {
  const name = (await received(dir)).find((n) => n.endsWith(`.${sopInstanceUid}`));
  if (!name) throw new Error(`${sopInstanceUid} not received in ${dir}`);
  return join(dir, name);
}

export function count(text: string, pattern: RegExp): number {
  return (text.match(new RegExp(pattern.source, "g")) ?? []).length;
}
