// The physical ceiling of durable ingest on this volume: per file one write, fdatasync and rename (DESIGN.md 9).
import { mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * Files per second for `count` files of `size` bytes written the durable way, by `parallel` loops at once (the
 * bound for that many associations: concurrent fdatasyncs can share the device's cache flushes).
 */
export async function durableCeiling(dir: string, count: number, size: number, parallel = 1): Promise<number> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, "tmp"), { recursive: true });
  await mkdir(join(dir, "out"), { recursive: true });
  const buf = Buffer.alloc(size, 0x5a);
  let next = 0;
  const loop = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const tmp = join(dir, "tmp", `${i}.part`);
      const fh = await open(tmp, "w");
      await fh.write(buf, 0, buf.length, 0);
      await fh.datasync();
      await fh.close();
      await rename(tmp, join(dir, "out", `${i}.dcm`));
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: parallel }, loop));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  // The files stay: the caller sets them aside (deleting them now would slow the next run's inode allocation).
  return count / secs;
}

/**
 * Milliseconds of the smallest fdatasync a durable receiver pays after an object's last byte: `size` bytes
 * overwritten in a file whose blocks are already allocated and synced (no metadata to journal), then synced. The
 * median over `count` such syncs.
 */
export async function flushFloor(dir: string, count: number, size: number): Promise<number> {
  await mkdir(dir, { recursive: true });
  const fh = await open(join(dir, "flush.part"), "w");
  try {
    await fh.write(Buffer.alloc(size), 0, size, 0);
    await fh.datasync();
    const buf = Buffer.alloc(size, 0x5a);
    const ms: number[] = [];
    for (let i = 0; i < count; i++) {
      await fh.write(buf, 0, size, 0);
      const t0 = process.hrtime.bigint();
      await fh.datasync();
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    ms.sort((a, b) => a - b);
    return ms[Math.floor(ms.length / 2)]!;
  } finally {
    await fh.close();
  }
}
