// Start-up reconciliation: the stored files are the truth (DESIGN.md section 7). After an unclean stop, files
// written since the last start are indexed and rows whose file vanished are dropped; leftover temporary files
// are adopted when complete (a crash between answering and the rename) or removed.
import { mkdir, opendir, readdir, rename, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { errorMessage } from "../errors.js";
import type { ServerParts } from "../services/context.js";
import { placeByLayout } from "./layout.js";
import { readStoredHeader } from "./stored-file.js";
import { isPrefilledTemp, SPOOL_DIR_NAME, TEMP_DIR_NAME } from "./storage-area.js";

export interface ReconcileSummary {
  indexed: number;
  removedRows: number;
  recovered: number;
  discarded: number;
}

export async function reconcileStorage(
  parts: ServerParts,
  previous: { startedAt: string | null; cleanStop: boolean },
): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = { indexed: 0, removedRows: 0, recovered: 0, discarded: 0 };
  for (const root of [parts.storage.root, parts.storage.doseRoot]) {
    if (root) await sweepTemp(parts, root, summary);
  }
  if (previous.startedAt === null || previous.cleanStop) return summary;
  const since = Date.parse(previous.startedAt) - 2000;
  const known = new Set(parts.catalog.instancePaths());
  for (const root of [parts.storage.root, parts.storage.doseRoot]) {
    if (!root) continue;
    for await (const file of walk(root)) {
      const rel = parts.storage.catalogPath(file.path);
      if (file.mtimeMs < since || known.has(rel)) continue;
      if (await index(parts, file.path, rel)) summary.indexed++;
    }
  }
  for (const rel of known) {
    try {
      await stat(parts.storage.absolutePath(rel));
    } catch {
      const row = findByPath(parts, rel);
      if (row && parts.catalog.deleteInstance(row)) summary.removedRows++;
    }
  }
  return summary;
}

function findByPath(parts: ServerParts, rel: string): string | undefined {
  const base = rel.split("/").pop() ?? "";
  const uid = base.endsWith(".dcm") ? base.slice(0, -4) : base;
  const row = parts.catalog.getInstance(uid);
  return row && row.path === rel ? uid : undefined;
}

async function index(parts: ServerParts, path: string, rel: string): Promise<boolean> {
  try {
    const h = await readStoredHeader(path);
    const uid = h.dataset.string("SOPInstanceUID") ?? h.meta.mediaStorageSopInstanceUid;
    if (!uid) return false;
    const existing = parts.catalog.getInstance(uid);
    if (existing && existing.path !== rel) return false;
    parts.catalog.insertInstance({
      sopInstanceUid: uid,
      sopClassUid: h.dataset.string("SOPClassUID") ?? h.meta.mediaStorageSopClassUid,
      transferSyntaxUid: h.meta.transferSyntaxUid,
      path: rel,
      size: h.size,
      receivedAt: new Date().toISOString(),
      sourceAE: h.meta.sourceAETitle ?? "",
      dataset: h.dataset,
    });
    return true;
  } catch (err) {
    parts.log.warn({ path, err: errorMessage(err) }, "file in storage is not a readable DICOM object; left as is");
    return false;
  }
}

/** Temporary files: a complete one is placed and indexed, anything else is removed. */
async function sweepTemp(parts: ServerParts, root: string, summary: ReconcileSummary): Promise<void> {
  const dir = join(root, TEMP_DIR_NAME);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const tmp = join(dir, name);
    try {
      // Zeros written ahead fill the rest of a prefilled file: a transfer cut short there would look complete.
      if (isPrefilledTemp(name)) throw new Error("prefilled temporary file: completeness cannot be verified");
      const h = await readStoredHeader(tmp, { verify: true });
      const sopClassUid = h.dataset.string("SOPClassUID") ?? h.meta.mediaStorageSopClassUid;
      const uid = h.dataset.string("SOPInstanceUID") ?? h.meta.mediaStorageSopInstanceUid;
      // Only objects verified complete through their Pixel Data are adopted; others cannot be told from a cut transfer.
      if (!h.scan.pixelDataFound) throw new Error("no pixel data: completeness cannot be verified");
      if (parts.catalog.getInstance(uid)) throw new Error("already stored");
      const place = placeByLayout(parts.config.storage, parts.storage.root, parts.storage.doseRoot, h.dataset, sopClassUid, uid);
      const finalPath = join(place.root, ...place.relative.split("/"));
      await mkdir(dirname(finalPath), { recursive: true });
      await rename(tmp, finalPath);
      await index(parts, finalPath, parts.storage.catalogPath(finalPath));
      summary.recovered++;
    } catch (err) {
      await parts.storage.remove(tmp).catch(() => {});
      summary.discarded++;
      parts.log.debug({ file: name, err: errorMessage(err) }, "temporary file discarded");
    }
  }
}

async function* walk(root: string): AsyncGenerator<{ path: string; mtimeMs: number }> {
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    let handle;
    try {
      handle = await opendir(dir);
    } catch {
      continue;
    }
    for await (const entry of handle) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== TEMP_DIR_NAME && entry.name !== SPOOL_DIR_NAME) stack.push(p);
      } else if (entry.isFile() && !/^conduit\.db/.test(entry.name)) {
        const s = await stat(p).catch(() => null);
        if (s) yield { path: p, mtimeMs: s.mtimeMs };
      }
    }
  }
}
