// `conduit queue list|retry|purge`: the forwarding outbox seen from the command line, filtered by destination
// and state; works on the catalog database whether or not the server runs (SQLite WAL allows both).
import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import type { Command } from "commander";
import { migrate } from "../catalog/schema.js";
import { catalogFileOf, loadConfig } from "../config/load.js";
import { JobStore, removeSpoolCopies, type JobFilter, type JobRow, type JobState } from "../outbox/job-store.js";

export interface QueueIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  setExit(code: number): void;
}

interface QueueOptions {
  config?: string;
  data?: string;
  destination?: string;
  state?: string;
  limit?: string;
  json?: boolean;
}

const STATES: readonly JobState[] = ["queued", "active", "done", "dead"];

const STDIO: QueueIo = { out: process.stdout, err: process.stderr, setExit: (code) => (process.exitCode = code) };

/** The catalog the server would use for this config and --data (its default: conduit.db under the storage root). */
export function catalogFile(o: { config?: string; data?: string }): string {
  return catalogFileOf(loadConfig(o.config, o.data ? { storage: { root: o.data } } : {}));
}

function open(o: QueueOptions): JobStore {
  const file = catalogFile(o);
  if (!existsSync(file)) throw new Error(`no catalog at ${file}: give --data DIR or --config FILE of the server whose queue to see`);
  const db = new Database(file, { fileMustExist: true });
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return new JobStore(db);
}

function filter(o: QueueOptions): JobFilter {
  if (o.state && !STATES.includes(o.state as JobState)) throw new Error(`--state must be one of ${STATES.join(", ")}, received "${o.state}"`);
  const limit = o.limit ? Number(o.limit) : undefined;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new Error(`--limit must be a positive whole number, received "${o.limit}"`);
  return { destination: o.destination, state: o.state as JobState | undefined, limit };
}

function when(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) : "now";
}

function table(rows: JobRow[]): string {
  const head = ["id", "destination", "state", "attempts", "next attempt", "last error", "sop instance uid", "origin"];
  const body = rows.map((r) => [String(r.id), r.destination, r.state, String(r.attempts), r.state === "queued" ? when(r.nextAttemptAt) : "-", r.lastError ?? "", r.sopInstanceUid, r.origin]);
  const widths = head.map((h, i) => Math.min(i === 5 ? 50 : 64, Math.max(h.length, ...body.map((b) => b[i]!.length))));
  const fit = (c: string, w: number) => (c.length > w ? `${c.slice(0, w - 1)}…` : c.padEnd(w));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : fit(c, widths[i]!))).join("  ");
  return [line(head), ...body.map(line)].join("\n");
}

function common(cmd: Command): Command {
  return cmd
    .option("-c, --config <file>", "JSON configuration file (its storage root and catalog)")
    .option("--data <dir>", "storage root holding conduit.db (default ./data)")
    .option("--destination <ae>", "only jobs for this AE title")
    .option("--state <state>", `only jobs in this state (${STATES.join(", ")})`)
    .option("--json", "print JSON");
}

/** Adds `queue list|retry|purge`; they open the catalog directly, so they work whether or not the server runs. */
export function addQueueCommand(program: Command, io: QueueIo = STDIO): void {
  const queue = program.command("queue").description("inspect and manage the forwarding outbox (durable forward jobs)");
  common(queue.command("list").description("list forward jobs").option("--limit <n>", "at most this many (default 1000)")).action((o: QueueOptions) => {
    const store = open(o);
    try {
      const rows = store.list(filter(o));
      if (o.json) io.out.write(`${JSON.stringify({ jobs: rows, counts: store.counts() }, null, 2)}\n`);
      else {
        io.out.write(`${table(rows)}\n`);
        const counts = store.counts().map((c) => `${c.destination} ${c.state}: ${c.count}`);
        io.out.write(`${rows.length} job(s) shown; totals: ${counts.join(", ") || "none"}\n`);
      }
    } finally {
      store.db.close();
    }
  });
  common(queue.command("retry").description("queue dead (and waiting) jobs again, due now, attempts reset")).action((o: QueueOptions) => {
    const f = filter(o);
    if (f.state === "active") throw new Error(`--state active cannot be retried: those jobs are being sent (a restart queues them again)`);
    const store = open(o);
    try {
      const n = store.retry(f);
      io.out.write(o.json ? `${JSON.stringify({ retried: n })}\n` : `${n} job(s) queued again; a running server picks them up within seconds\n`);
    } finally {
      store.db.close();
    }
  });
  common(queue.command("purge").description("delete finished jobs (done and dead unless --state is given)")).action(async (o: QueueOptions) => {
    const store = open(o);
    try {
      const rows = store.purge(filter(o));
      // Spool copies (objects not kept) are deleted once no job needs them.
      await removeSpoolCopies(store, rows);
      io.out.write(o.json ? `${JSON.stringify({ purged: rows.length })}\n` : `${rows.length} job(s) deleted\n`);
    } finally {
      store.db.close();
    }
  });
}
