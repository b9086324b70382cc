// The storage volume: roots, temporary files, free-space and quota checks, and the durable commit
// (write, fdatasync, atomic rename; DESIGN.md section 7).
import { closeSync, fdatasync, ftruncate, mkdirSync, open as openFd, renameSync, write as writeFd } from "node:fs";
import { open, statfs, unlink } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import type { Config } from "../config/schema.js";
import { conduitError, errorMessage } from "../errors.js";
import { safeComponent } from "./sanitize.js";

export type Durability = Config["storage"]["durability"];

export const TEMP_DIR_NAME = ".incoming";
/** Names of temporary files prefilled with zeros start so: after a crash their length proves nothing. */
const PREFILLED_PREFIX = "prefilled";

/** A temporary file that held zeros beyond what was received: never adopted as complete at start-up. */
export function isPrefilledTemp(name: string): boolean {
  return name.startsWith(`${PREFILLED_PREFIX}-`);
}
/** Objects a rule does not keep wait here for their forwards (pure router). */
export const SPOOL_DIR_NAME = ".spool";

export interface TempFile {
  path: string;
  fd: number;
  /** Bytes of zeros already written (and, when durable, synced) from offset 0: overwritten in place. */
  prefilled: number;
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
/** Spares are prefilled to the size of recent objects only for objects at least this large... */
const PREFILL_MIN = 64 * 1024;
/** ...and at most this much. */
const PREFILL_MAX = 4 * 1024 * 1024;
/** Sizes of the last objects received: a spare is prefilled to the smallest of them (rounded up to a block). */
const RECENT_SIZES = 4;
const BLOCK = 4096;

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
  private readonly recentSizes: number[] = [];
  private zeros: Buffer | null = null;

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
    // Spares are normally replaced after a commit's sync, while the disk is idle; a short pool refills at once.
    if (!list || list.length < SPARE_TEMP_FILES / 2) setImmediate(() => this.refill(root));
    return t;
  }

  /**
   * Records the size of a received file: spares are then prefilled to the smallest recent size, so that a series of
   * similar objects (a CT or MR series) overwrites blocks that are already allocated, in pages already cached.
   */
  noteFileSize(bytes: number): void {
    this.recentSizes.push(bytes);
    if (this.recentSizes.length > RECENT_SIZES) this.recentSizes.shift();
  }

  /** Bytes to prefill the next spare with: 0 until a few objects large enough were seen. */
  private prefillTarget(): number {
    if (this.recentSizes.length < 2) return 0;
    const least = Math.min(...this.recentSizes);
    if (least < PREFILL_MIN) return 0;
    return Math.min(PREFILL_MAX, Math.ceil(least / BLOCK) * BLOCK);
  }

  private refill(root: string): void {
    if (this.closed || this.refilling.has(root)) return;
    const list = this.spares.get(root) ?? [];
    this.spares.set(root, list);
    if (list.length >= SPARE_TEMP_FILES) return;
    this.refilling.add(root);
    const target = this.prefillTarget();
    const path = this.tempPath(root, target > 0 ? PREFILLED_PREFIX : "spare");
    openFd(path, "w", (err, fd) => {
      if (err) {
        this.refilling.delete(root);
        return;
      }
      this.prefill(fd, target, (prefilled) => {
        this.refilling.delete(root);
        if (this.closed) {
          closeQuietly(fd);
          void unlink(path).catch(() => {});
          return;
        }
        list.push({ path, fd, prefilled });
        if (list.length < SPARE_TEMP_FILES) this.refill(root);
      });
    });
  }

  /**
   * Writes `bytes` zeros into a new spare on the thread pool and, when durable, syncs them: the object that later
   * overwrites them neither allocates page-cache pages nor disk blocks, and its own fdatasync has only data and the
   * inode left to write. On any failure (a full disk) the spare is emptied and used as a plain file.
   */
  private prefill(fd: number, bytes: number, done: (prefilled: number) => void): void {
    if (bytes <= 0) return done(0);
    if (!this.zeros || this.zeros.length < bytes) this.zeros = Buffer.alloc(bytes);
    const plain = (): void => ftruncate(fd, 0, () => done(0));
    writeFd(fd, this.zeros, 0, bytes, 0, (err, written) => {
      if (err || written !== bytes) return plain();
      if (this.storage.durability === "none") return done(bytes);
      fdatasync(fd, (e) => (e ? plain() : done(bytes)));
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
      // The object's own sync is done: the disk has time for the next spare's prefill until the next object ends.
      setImmediate(() => this.refill(dirname(dirname(tempPath))));
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
