// Storage SCU over files and folders (like DCMTK's storescu +sd +r): one context per SOP class and transfer
// syntax found, as many associations as 128 contexts require, files streamed from disk one after another.
import { opendir, stat } from "node:fs/promises";
import { join } from "node:path";
import { Client, type ClientOptions } from "../client.js";
import { readFileMeta, type FileMeta } from "../dicom/part10.js";
import { statusCategory, statusName } from "../dimse/status.js";
import { errorMessage } from "../errors.js";

export interface StoreFileResult {
  path: string;
  sopInstanceUid?: string;
  status?: number;
  error?: string;
  bytes: number;
}

export interface StoreSummary {
  sent: number;
  warnings: number;
  failed: number;
  skipped: Array<{ path: string; reason: string }>;
  bytes: number;
  seconds: number;
  results: StoreFileResult[];
}

export interface StoreProgress {
  done: number;
  total: number;
  bytes: number;
  last: StoreFileResult;
}

/** Expands files and folders (recursively) into a sorted list of files. */
export async function collectFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p);
    if (s.isFile()) out.push(p);
    else if (s.isDirectory()) {
      const inner: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        for await (const e of await opendir(dir)) {
          const q = join(dir, e.name);
          if (e.isDirectory()) await walk(q);
          else if (e.isFile()) inner.push(q);
        }
      };
      await walk(p);
      out.push(...inner.sort());
    }
  }
  return out;
}

export async function storeFiles(
  opts: ClientOptions,
  paths: readonly string[],
  onProgress?: (p: StoreProgress) => void,
): Promise<StoreSummary> {
  const started = process.hrtime.bigint();
  const files = await collectFiles(paths);
  const skipped: StoreSummary["skipped"] = [];
  const items: Array<{ path: string; meta: FileMeta; size: number }> = [];
  for (const f of files) {
    try {
      const meta = await readFileMeta(f);
      if (!meta.mediaStorageSopClassUid || !meta.mediaStorageSopInstanceUid) throw new Error("meta group lacks SOP class or instance UID");
      items.push({ path: f, meta, size: (await stat(f)).size });
    } catch (err) {
      skipped.push({ path: f, reason: errorMessage(err) });
    }
  }
  // One presentation context per (SOP class, transfer syntax); at most 128 per association (PS3.8 9.3.2.2).
  const pairs = new Map<string, typeof items>();
  for (const it of items) {
    const k = `${it.meta.mediaStorageSopClassUid}|${it.meta.transferSyntaxUid}`;
    const list = pairs.get(k) ?? [];
    list.push(it);
    pairs.set(k, list);
  }
  const groups: string[][] = [];
  for (const k of pairs.keys()) {
    if (groups.length === 0 || groups[groups.length - 1]!.length >= 128) groups.push([]);
    groups[groups.length - 1]!.push(k);
  }
  const results: StoreFileResult[] = [];
  let bytes = 0;
  const total = items.length;
  const record = (r: StoreFileResult) => {
    results.push(r);
    if (r.status !== undefined && statusCategory(r.status) !== "failure") bytes += r.bytes;
    onProgress?.({ done: results.length, total, bytes, last: r });
  };
  for (const group of groups) {
    const groupItems = items.filter((it) => group.includes(`${it.meta.mediaStorageSopClassUid}|${it.meta.transferSyntaxUid}`));
    const contexts = group.map((k) => {
      const [abstractSyntax, ts] = k.split("|") as [string, string];
      return { abstractSyntax, transferSyntaxes: [ts] };
    });
    let assoc;
    try {
      assoc = await Client.associate(opts, contexts);
    } catch (err) {
      for (const it of groupItems) record({ path: it.path, sopInstanceUid: it.meta.mediaStorageSopInstanceUid, error: errorMessage(err), bytes: it.size });
      continue;
    }
    let broken: string | null = null;
    for (const it of groupItems) {
      if (broken) {
        record({ path: it.path, sopInstanceUid: it.meta.mediaStorageSopInstanceUid, error: broken, bytes: it.size });
        continue;
      }
      try {
        const r = await assoc.storeFile(it.path, it.meta);
        record({ path: it.path, sopInstanceUid: it.meta.mediaStorageSopInstanceUid, status: r.status, bytes: it.size, error: r.command.ErrorComment });
      } catch (err) {
        const e = err as { code?: string };
        if (e.code === "UL_NO_PRESENTATION_CONTEXT") {
          record({ path: it.path, sopInstanceUid: it.meta.mediaStorageSopInstanceUid, error: errorMessage(err), bytes: it.size });
        } else {
          broken = errorMessage(err);
          record({ path: it.path, sopInstanceUid: it.meta.mediaStorageSopInstanceUid, error: broken, bytes: it.size });
        }
      }
    }
    if (!broken) await assoc.release().catch(() => assoc.abort());
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cat = (r: StoreFileResult) => (r.status === undefined ? "failure" : statusCategory(r.status));
  return {
    sent: results.filter((r) => cat(r) === "success").length,
    warnings: results.filter((r) => cat(r) === "warning").length,
    failed: results.filter((r) => cat(r) !== "success" && cat(r) !== "warning").length,
    skipped,
    bytes,
    seconds,
    results,
  };
}

export function describeResult(r: StoreFileResult): string {
  if (r.status === undefined) return `${r.path}: failed: ${r.error ?? "unknown error"}`;
  return `${r.path}: ${statusName(r.status)}${r.error ? ` (${r.error})` : ""}`;
}
