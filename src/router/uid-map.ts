// "new uids": each original instance UID gets one replacement, recorded in the catalog so every later object of
// the same study (and a restart) maps it the same way.
import type { Database, Statement } from "better-sqlite3";
import { newUid } from "../dicom/uid.js";

export class UidMap {
  private readonly get: Statement;
  private readonly put: Statement;
  private readonly cache = new Map<string, string>();

  constructor(db: Database) {
    this.get = db.prepare("SELECT replacement FROM uid_map WHERE original = ?");
    this.put = db.prepare("INSERT INTO uid_map (original, replacement, created_at) VALUES (?, ?, ?) ON CONFLICT (original) DO NOTHING");
  }

  map(original: string): string {
    const cached = this.cache.get(original);
    if (cached) return cached;
    const row = this.get.get(original) as { replacement: string } | undefined;
    let replacement = row?.replacement;
    if (!replacement) {
      replacement = newUid();
      this.put.run(original, replacement, new Date().toISOString());
      replacement = (this.get.get(original) as { replacement: string }).replacement;
    }
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(original, replacement);
    return replacement;
  }
}
