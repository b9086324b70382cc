// The storage volume: roots, temporary files, free-space and quota checks, and the durable commit
// (write, fdatasync, atomic rename; DESIGN.md section 7).
import { closeSync, mkdirSync, open as openFd, renameSync } from "node:fs";
import { open, statfs, unlink } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import type { Config } from "../config/schema.js";
import { conduitError, errorMessage } from "../errors.js";
import { safeComponent } from "./sanitize.js";

export type Durability = Config["storage"]["durability"];

export const TEMP_DIR_NAME = ".incoming";
/** Objects a rule does not keep wait here for their forwards (pure router). */
export const SPOOL_DIR_NAME = ".spool";

export interface TempFile {
  path: string;
  fd: number;
}

/** A completely written temporary file, ready to become a stored object. */
export interface WrittenFile {
  tempPath: string;
  /** fdatasync of everything written (the file may have synced part of it already). */
  sync(): Promise<void>;
  /** Releases the descriptor (once; the temporary path is kept). */
  close(): void;
}

/** Temporary files opened ahead of need: a C-STORE can start writing the moment its first PDV arrives. */
const SPARE_TEMP_FILES = 4;

export class StorageArea {
  private readonly spares = new Map<string, TempFile[]>();
  private refilling = new Set<string>();
  private closed = false;
  readonly root: string;
  readonly doseRoot: string | null;
  private readonly knownDirs = new Set<string>();
  private freeCache: { at: number; bytes: number } | null = null;
  private readonly tempPrefix = randomBytes(6).toString("hex");
  private tempCounter = 0;

  constructor(private readonly storage: Config["storage"]) {
    this.root = resolve(storage.root);
    this.doseRoot = storage.dose.root ? resolve(storage.dose.root) : null;
    for (const r of [this.root, this.doseRoot]) {
      if (!r) continue;
      mkdirSync(join(r, TEMP_DIR_NAME), { recursive: true });
      mkdirSync(join(r, SPOOL_DIR_NAME), { recursive: true });
    }
  }

  get durability(): Durability {
    return this.storage.durability;
  }

  /** A fresh temporary path on the same volume as root, so the final rename is atomic. */
  tempPath(root: string, hint: string): string {
    // A random prefix per process and a counter: unique without a call to the random source per object.
    return join(root, TEMP_DIR_NAME, `${hint}-${this.tempPrefix}${(++this.tempCounter).toString(36)}.part`);
  }

  /** A pre-opened temporary file on root's volume, if one is ready; the pool refills in the background. */
  takeTemp(root: string): TempFile | undefined {
    const list = this.spares.get(root);
    const t = list?.pop();
    setImmediate(() => this.refill(root));
    return t;
  }

  private refill(root: string): void {
    if (this.closed || this.refilling.has(root)) return;
    const list = this.spares.get(root) ?? [];
    this.spares.set(root, list);
    if (list.length >= SPARE_TEMP_FILES) return;
    this.refilling.add(root);
    const path = this.tempPath(root, "spare");
    openFd(path, "w", (err, fd) => {
      this.refilling.delete(root);
      if (err) return;
      if (this.closed) {
        closeQuietly(fd);
        void unlink(path).catch(() => {});
        return;
      }
      list.push({ path, fd });
      if (list.length < SPARE_TEMP_FILES) this.refill(root);
    });
  }

  /** Closes and removes the spare temporary files. */
  async close(): Promise<void> {
    this.closed = true;
    for (const list of this.spares.values()) {
      for (const t of list.splice(0)) {
        closeQuietly(t.fd);
        await unlink(t.path).catch(() => {});
      }
    }
  }

  /** Where an object that is not kept waits for its forwards. */
  spoolPath(sopInstanceUid: string): string {
    return join(this.root, SPOOL_DIR_NAME, `${safeComponent(sopInstanceUid)}-${randomBytes(4).toString("hex")}.dcm`);
  }

  /** Path stored in the catalog: relative to the main root (dose files may live elsewhere). */
  catalogPath(absolute: string): string {
    const rel = relative(this.root, absolute);
    return rel.split("\\").join("/");
  }

  absolutePath(catalogPath: string): string {
    return isAbsolute(catalogPath) ? catalogPath : resolve(this.root, catalogPath);
  }

  /** Free bytes on the storage volume, cached for a moment (statfs per object would be wasted work). */
  async freeBytes(): Promise<number> {
    const now = Date.now();
    if (this.freeCache && now - this.freeCache.at < 1000) return this.freeCache.bytes;
    const s = await statfs(this.root);
    const bytes = Number(s.bavail) * Number(s.bsize);
    this.freeCache = { at: now, bytes };
    return bytes;
  }

  /** Why an object of `size` bytes cannot be kept (0xA700), or null. */
  async spaceProblem(size: number, storedBytes: number): Promise<string | null> {
    const q = this.storage.quotaBytes;
    if (q !== null && storedBytes + size > q) {
      return `storage quota of ${q} bytes would be exceeded (${storedBytes} stored, ${size} received)`;
    }
    const min = this.storage.minFreeBytes;
    if (min > 0) {
      const free = await this.freeBytes();
      if (free - size < min) return `free space ${free} bytes would fall below the configured minimum of ${min}`;
    }
    return null;
  }

  /**
   * Makes a completely written temporary file the stored object: fdatasync (unless durability is "none"),
   * rename into place (replacing any file there), and with "strict" also fsync the directory. The descriptor is
   * closed after the rename.
   */
  async commit(file: WrittenFile, finalPath: string): Promise<void> {
    const tempPath = file.tempPath;
    const dir = dirname(finalPath);
    try {
      if (this.storage.durability !== "none") await file.sync();
      // Metadata operations of a few microseconds: direct calls beat a thread-pool round trip.
      if (!this.knownDirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        this.knownDirs.add(dir);
      }
      try {
        renameSync(tempPath, finalPath);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        // The directory was removed under us: recreate it once.
        mkdirSync(dir, { recursive: true });
        renameSync(tempPath, finalPath);
      }
      if (this.storage.durability === "strict") await fsyncDir(dir);
    } finally {
      file.close();
    }
  }

  async remove(path: string): Promise<void> {
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw conduitError("STORE_IO", `cannot remove ${path}: ${errorMessage(err)}`);
    });
  }

  forgetDirectory(dir: string): void {
    this.knownDirs.delete(dir);
  }
}

/** Closes a descriptor, ignoring errors (it is being given up). */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed or never valid: nothing to release
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOSPC" || code === "EDQUOT" || (err as { code?: string })?.code === "STORE_NO_SPACE";
}
