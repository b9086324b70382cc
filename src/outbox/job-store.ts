// Forward jobs in the catalog database (DESIGN.md section 7): queued → active → done, or back to queued with a
// back-off, or dead with the last error. Plain synchronous statements, usable inside the caller's transaction, and
// usable without a running server (the queue CLI opens the database directly).
import { unlink } from "node:fs/promises";
import type { Database, Statement } from "better-sqlite3";
import type { ForwardJob } from "../router/router.js";

export type JobState = "queued" | "active" | "done" | "dead";

/** A job as stored: what the router asked for, and where it stands. */
export interface JobRow extends ForwardJob {
  id: number;
  state: JobState;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Destinations with queued jobs and when the earliest of them is due (ms epoch; 0 = now). */
export interface PendingDestination {
  destination: string;
  dueAt: number;
}

export interface JobFilter {
  destination?: string;
  state?: JobState;
  limit?: number;
}

const COLUMNS = `id, destination, sop_instance_uid AS sopInstanceUid, sop_class_uid AS sopClassUid,
  transfer_syntax_uid AS transferSyntaxUid, path, spooled, origin, state, attempts, next_attempt_at AS nextAttemptAt,
  last_error AS lastError, created_at AS createdAt, updated_at AS updatedAt`;

function toRow(r: Record<string, unknown>): JobRow {
  return { ...(r as unknown as JobRow), spooled: r.spooled === 1 };
}

function where(f: JobFilter, states?: readonly JobState[]): { sql: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  if (f.destination) {
    parts.push("destination = ?");
    args.push(f.destination);
  }
  if (f.state) {
    parts.push("state = ?");
    args.push(f.state);
  } else if (states) {
    parts.push(`state IN (${states.map(() => "?").join(", ")})`);
    args.push(...states);
  }
  return { sql: parts.length ? `WHERE ${parts.join(" AND ")}` : "", args };
}

export class JobStore {
  private readonly insert: Statement;
  private readonly nextDue: Statement;
  private readonly claimOne: Statement;
  private readonly finish: Statement;
  private readonly reschedule: Statement;
  private readonly pathInUse: Statement;
  private readonly pendingStmt: Statement;
  private readonly countDueStmt: Statement;

  constructor(readonly db: Database) {
    this.insert = db.prepare(
      `INSERT INTO forward_jobs (destination, sop_instance_uid, sop_class_uid, transfer_syntax_uid, path, spooled, origin, state, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, 0, ?, ?)`,
    );
    this.nextDue = db.prepare(`SELECT ${COLUMNS} FROM forward_jobs WHERE state = 'queued' AND destination = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`);
    this.claimOne = db.prepare(`UPDATE forward_jobs SET state = 'active', updated_at = ? WHERE id = ? AND state = 'queued'`);
    this.finish = db.prepare(`UPDATE forward_jobs SET state = ?, attempts = attempts + ?, last_error = ?, updated_at = ? WHERE id = ?`);
    this.reschedule = db.prepare(`UPDATE forward_jobs SET state = 'queued', attempts = ?, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?`);
    this.pathInUse = db.prepare(`SELECT 1 FROM forward_jobs WHERE path = ? AND state IN ('queued', 'active') LIMIT 1`);
    this.pendingStmt = db.prepare(`WITH RECURSIVE d(destination) AS (
        SELECT MIN(destination) FROM forward_jobs WHERE state = 'queued'
        UNION ALL
        SELECT (SELECT MIN(destination) FROM forward_jobs WHERE state = 'queued' AND destination > d.destination) FROM d WHERE d.destination IS NOT NULL)
      SELECT destination, (SELECT MIN(next_attempt_at) FROM forward_jobs WHERE state = 'queued' AND destination = d.destination) AS dueAt
      FROM d WHERE destination IS NOT NULL`);
    this.countDueStmt = db.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM forward_jobs WHERE state = 'queued' AND destination = ? AND next_attempt_at <= ? LIMIT ?)`);
  }

  /** Synchronous insert (inside the C-STORE's catalog transaction when called from there). */
  add(jobs: readonly ForwardJob[], now = Date.now()): void {
    for (const j of jobs) this.insert.run(j.destination, j.sopInstanceUid, j.sopClassUid, j.transferSyntaxUid, j.path, j.spooled ? 1 : 0, j.origin, now, now);
  }

  /** Jobs left active by a crash are queued again (they were not acknowledged). */
  requeueActive(): number {
    return this.db.prepare(`UPDATE forward_jobs SET state = 'queued', updated_at = ? WHERE state = 'active'`).run(Date.now()).changes;
  }

  /** Per destination with queued jobs, the earliest due time: an index skip-scan, cheap however long the queue. */
  pending(): PendingDestination[] {
    return this.pendingStmt.all() as PendingDestination[];
  }

  /** Queued jobs of a destination due by `now`, counted up to `limit`. */
  countDue(destination: string, limit: number, now = Date.now()): number {
    return (this.countDueStmt.get(destination, now, limit) as { n: number }).n;
  }

  /** Claims up to `limit` due jobs of a destination (queued → active). */
  claim(destination: string, limit: number, now = Date.now()): JobRow[] {
    return this.db.transaction(() => {
      const rows = (this.nextDue.all(destination, now, limit) as Array<Record<string, unknown>>).map(toRow);
      return rows.filter((r) => this.claimOne.run(now, r.id).changes === 1);
    })();
  }

  done(id: number, note: string | null = null): void {
    this.finish.run("done", 1, note, Date.now(), id);
  }

  dead(id: number, error: string): void {
    this.finish.run("dead", 1, error, Date.now(), id);
  }

  retryLater(id: number, attempts: number, at: number, error: string): void {
    this.reschedule.run(attempts, at, error, Date.now(), id);
  }

  /** Back to queued without counting an attempt (shutdown before it was sent). */
  release(id: number): void {
    this.db.prepare(`UPDATE forward_jobs SET state = 'queued', updated_at = ? WHERE id = ? AND state = 'active'`).run(Date.now(), id);
  }

  isPathInUse(path: string): boolean {
    return this.pathInUse.get(path) !== undefined;
  }

  list(f: JobFilter = {}): JobRow[] {
    const w = where(f);
    return (this.db.prepare(`SELECT ${COLUMNS} FROM forward_jobs ${w.sql} ORDER BY id LIMIT ?`).all(...w.args, f.limit ?? 1000) as Array<Record<string, unknown>>).map(toRow);
  }

  /** dead (and queued) jobs back to queued, due now, attempts reset. */
  retry(f: JobFilter = {}): number {
    const w = where(f, ["dead", "queued"]);
    return this.db.prepare(`UPDATE forward_jobs SET state = 'queued', attempts = 0, next_attempt_at = 0, updated_at = ? ${w.sql}`).run(Date.now(), ...w.args).changes;
  }

  /** Deletes finished jobs (done and dead unless a state is given); returns them (see removeSpoolCopies). */
  purge(f: JobFilter = {}): JobRow[] {
    const w = where(f, ["done", "dead"]);
    return this.db.transaction(() => {
      const rows = (this.db.prepare(`SELECT ${COLUMNS} FROM forward_jobs ${w.sql}`).all(...w.args) as Array<Record<string, unknown>>).map(toRow);
      this.db.prepare(`DELETE FROM forward_jobs ${w.sql}`).run(...w.args);
      return rows;
    })();
  }

  counts(): Array<{ destination: string; state: JobState; count: number }> {
    return this.db.prepare(`SELECT destination, state, COUNT(*) AS count FROM forward_jobs GROUP BY destination, state ORDER BY destination, state`).all() as Array<{ destination: string; state: JobState; count: number }>;
  }
}

/** Deletes the spool copies among `jobs` that no queued or active job still needs; returns how many went. */
export async function removeSpoolCopies(store: JobStore, jobs: readonly ForwardJob[]): Promise<number> {
  let removed = 0;
  for (const path of new Set(jobs.filter((j) => j.spooled).map((j) => j.path))) {
    if (store.isPathInUse(path)) continue;
    if (await unlink(path).then(() => true, () => false)) removed++;
  }
  return removed;
}
