// "study-stable": a study with no new object for its rule's quiet period fires once; a late object arms it again.
// Pending studies are kept in the catalog so a restart does not forget them.
import type { Database, Statement } from "better-sqlite3";
import type { Logger } from "pino";
import { errorMessage } from "../errors.js";

interface Due {
  studyUid: string;
  ruleKey: string;
  dueAt: number;
}

export class StudyStableTracker {
  private readonly due = new Map<string, Due>();
  private readonly upsert: Statement;
  private readonly remove: Statement;
  private timer?: NodeJS.Timeout;

  constructor(
    db: Database,
    private readonly log: Logger,
    private readonly fire: (studyUid: string, ruleKey: string) => void,
    private readonly tickMs = 500,
  ) {
    this.upsert = db.prepare(
      "INSERT INTO study_stable (study_uid, rule_key, due_at) VALUES (?, ?, ?) ON CONFLICT (study_uid, rule_key) DO UPDATE SET due_at = excluded.due_at",
    );
    this.remove = db.prepare("DELETE FROM study_stable WHERE study_uid = ? AND rule_key = ?");
    for (const r of db.prepare("SELECT study_uid, rule_key, due_at FROM study_stable").all() as Array<{ study_uid: string; rule_key: string; due_at: number }>) {
      this.due.set(`${r.study_uid}|${r.rule_key}`, { studyUid: r.study_uid, ruleKey: r.rule_key, dueAt: r.due_at });
    }
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A new object of the study arrived: (re)arm each study-stable rule's quiet period. */
  touch(studyUid: string, rules: ReadonlyArray<{ key: string; quietMs: number }>, now = Date.now()): void {
    for (const r of rules) {
      const dueAt = now + r.quietMs;
      this.due.set(`${studyUid}|${r.key}`, { studyUid, ruleKey: r.key, dueAt });
      this.upsert.run(studyUid, r.key, dueAt);
    }
  }

  get pending(): number {
    return this.due.size;
  }

  pendingFor(studyUid: string): boolean {
    for (const d of this.due.values()) if (d.studyUid === studyUid) return true;
    return false;
  }

  private tick(): void {
    const now = Date.now();
    for (const [k, d] of this.due) {
      if (d.dueAt > now) continue;
      this.due.delete(k);
      this.remove.run(d.studyUid, d.ruleKey);
      try {
        this.fire(d.studyUid, d.ruleKey);
      } catch (err) {
        this.log.error({ rule: d.ruleKey, err: errorMessage(err) }, "study-stable rule failed");
      }
    }
  }
}
