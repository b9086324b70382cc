// The physical ceiling of durable ingest on this volume: per file one write, fdatasync and rename (DESIGN.md 9).
import { mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";

/** Files per second for `count` files of `size` bytes written the durable way. */
export async function durableCeiling(dir: string, count: number, size: number): Promise<number> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, "tmp"), { recursive: true });
  await mkdir(join(dir, "out"), { recursive: true });
  const buf = Buffer.alloc(size, 0x5a);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const tmp = join(dir, "tmp", `${i}.part`);
    const fh = await open(tmp, "w");
    await fh.write(buf, 0, buf.length, 0);
    await fh.datasync();
    await fh.close();
    await rename(tmp, join(dir, "out", `${i}.dcm`));
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  // The files stay: the caller sets them aside (deleting them now would slow the next run's inode allocation).
  return count / secs;
}
