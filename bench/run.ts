// `npm run bench`: Conduit against DCMTK's storescp on loopback with the same data in the same run, alternating,
// beside the machine's durable-write ceiling (DESIGN.md section 9). Prints instances/s, MB/s, peak RSS and ratios.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { makeStudy, writeInstance } from "../test/support/dicom-files.js";
import { freePort, runTool, startStorescp, waitForPort } from "../test/support/dcmtk.js";
import { durableCeiling, flushFloor } from "./ceiling.js";
import { printTable, type Row } from "./report.js";
import { benchRules } from "./rules.js";
import { benchPlugins } from "./plugins.js";

const ROOT = resolve(".bench");
const COUNT = Number(process.env.BENCH_COUNT ?? 300);
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PARALLEL = 4;
/** Scenarios to run (comma-separated: single, parallel, big); all by default. */
const ONLY = new Set((process.env.BENCH_ONLY ?? "single,parallel,big").split(",").map((s) => s.trim()));

/**
 * Instances each receiver gets before it is timed: first on PARALLEL associations at once, then on one. V8 goes on
 * optimizing Conduit's per-object code for the first ~1,500 objects after start (measured with --trace-opt: 17
 * optimizations during the first 50 objects, 77 in the next 300, then 30, 25, 23 and 19, and none after that; after
 * this warm-up, 11 during the next 300 on one association and none on four); a long-running server pays that once,
 * so the timed runs start after it. DCMTK's tools get the same warm-up.
 */
const WARMUP_EACH = 300;

async function dataset(): Promise<{ single: string; parallel: string[]; big: string; warmup: string[] }> {
  const data = join(ROOT, "data");
  const single = join(data, "single");
  const parallel = Array.from({ length: PARALLEL }, (_, i) => join(data, `parallel-${i}`));
  const big = join(data, "big", "big.dcm");
  // Warm-up folders: PARALLEL sent at once, then the last one alone.
  const warmup = Array.from({ length: PARALLEL + 1 }, (_, i) => join(data, `warmup-${i}`));
  const marker = join(data, `ready-${COUNT}-${BIG_MB}-w${PARALLEL + 1}x${WARMUP_EACH}`);
  if (!existsSync(marker)) {
    await rm(data, { recursive: true, force: true });
    console.log(`generating ${COUNT} CT instances of 512 KB, ${PARALLEL}x${COUNT / PARALLEL} for parallel, one of ${BIG_MB} MB, and ${(PARALLEL + 1) * WARMUP_EACH} for warm-up ...`);
    await makeStudy(single, { count: COUNT, patientId: "BENCH1", modality: "CT" });
    for (const dir of parallel) await makeStudy(dir, { count: Math.ceil(COUNT / PARALLEL), patientId: "BENCH4", modality: "CT" });
    await mkdir(join(data, "big"), { recursive: true });
    await writeInstance(big, { patientId: "BENCHBIG", pixelBytes: BIG_MB * 1024 * 1024, rows: 1024, columns: 1024 });
    for (const dir of warmup) await makeStudy(dir, { count: WARMUP_EACH, patientId: "WARMUP", modality: "CT" });
    await writeFile(marker, "");
  }
  return { single, parallel, big, warmup };
}

interface Receiver {
  name: string;
  port: number;
  pid: number;
  peakRssMB(): Promise<number>;
  stop(): Promise<void>;
}

async function peakRss(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Peak RSS counts from here on (Linux: writing 5 to clear_refs resets VmHWM), so the warm-up is left out. */
async function resetPeakRss(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, "5");
}

async function startConduit(tag: string, durability: string): Promise<Receiver> {
  const dir = join(ROOT, "out", `conduit-${tag}`);
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const config = join(dir, "..", `conduit-${tag}.json`);
  // No rules and no plugins: the data path alone (the checkout's example plugin would add a QuickJS instance).
  const none = join(ROOT, "empty");
  await mkdir(none, { recursive: true });
  await writeFile(
    config,
    JSON.stringify({
      host: "127.0.0.1",
      port,
      log: { level: "warn" },
      storage: { root: dir, durability, minFreeBytes: 0 },
      rules: { dir: none },
      plugins: { dir: none },
    }),
  );
  // As `npm start` runs it: a 1 MB young generation keeps socket read buffers from piling up (README, Memory).
  const proc: ChildProcess = spawn(process.execPath, ["--max-semi-space-size=1", "bin/conduit.js", "start", "--config", config], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, TCP_NODELAY: "1" },
  });
  await waitForPort(port);
  return {
    name: `conduit (${durability})`,
    port,
    pid: proc.pid!,
    peakRssMB: () => peakRss(proc.pid!),
    stop: async () => {
      proc.kill("SIGTERM");
      await new Promise((r) => proc.once("exit", r));
    },
  };
}

async function startDcmtk(tag: string, fork: boolean): Promise<Receiver> {
  const dir = join(ROOT, "out", `storescp-${tag}`);
  await mkdir(dir, { recursive: true });
  const s = await startStorescp({ dir, aet: "STORESCP", args: fork ? ["--fork"] : [] });
  return {
    name: fork ? "storescp --fork" : "storescp",
    port: s.port,
    pid: s.proc.pid!,
    peakRssMB: () => peakRss(s.proc.pid!),
    stop: () => s.stop(),
  };
}

/** CPU time so far, in ms: the whole machine (busy and in all), and this process's reaped children (the senders). */
interface CpuSnapshot {
  busyMs: number;
  totalMs: number;
  childrenMs: number;
  selfMs: number;
}

/** USER_HZ as Linux reports /proc times (100 on every architecture Node supports). */
const TICK_MS = 10;

async function cpuSnapshot(): Promise<CpuSnapshot> {
  const stat = (await readFile("/proc/stat", "utf8")).split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = stat;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  // Fields 16 and 17 of /proc/self/stat (cutime, cstime; index 13 and 14 after "pid (comm) "): reaped children.
  const self = (await readFile("/proc/self/stat", "utf8")).split(") ")[1]!.split(" ");
  const children = Number(self[13]) + Number(self[14]);
  const u = process.cpuUsage();
  return { busyMs: (total - idle - iowait) * TICK_MS, totalMs: total * TICK_MS, childrenMs: children * TICK_MS, selfMs: (u.user + u.system) / 1000 };
}

/** Sends folders with storescu (one association per folder, all at once); returns seconds. */
async function send(port: number, dirs: string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  const runs = await Promise.all(dirs.map((d) => runTool("storescu", ["-aec", "BENCH", "+sd", "+r", "127.0.0.1", String(port), d], { timeoutMs: 600_000 })));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const r of runs) if (r.code !== 0) throw new Error(`storescu failed (${r.code}): ${r.stderr.slice(0, 400)}`);
  return secs;
}

/**
 * Every receiver is measured in the same conditions: a server that has been running (the warm-up associations
 * first: see WARMUP_EACH) and a volume with no dirty pages left by the previous run (sync first).
 */
async function measure(rows: Row[], scenario: string, start: () => Promise<Receiver>, dirs: string[], instances: number, mb: number, warmup: string[]): Promise<void> {
  const rx = await start();
  try {
    await send(rx.port, warmup.slice(0, PARALLEL));
    await send(rx.port, warmup.slice(PARALLEL));
    await syncVolume();
    await resetPeakRss(rx.pid);
    const c0 = await cpuSnapshot();
    const secs = await send(rx.port, dirs);
    const c1 = await cpuSnapshot();
    // The senders are this process's children, reaped when send() returns; the receiver (with any processes it
    // forked) and the kernel's work for it are the rest of the machine's busy time.
    const senders = c1.childrenMs - c0.childrenMs;
    const receiver = c1.busyMs - c0.busyMs - senders - (c1.selfMs - c0.selfMs);
    rows.push({
      scenario,
      receiver: rx.name,
      instPerSec: instances / secs,
      mbPerSec: mb / secs,
      peakRssMB: await rx.peakRssMB(),
      seconds: secs,
      cpu: { receiverMs: receiver / instances, senderMs: senders / instances, busy: (c1.busyMs - c0.busyMs) / (c1.totalMs - c0.totalMs) },
    });
  } finally {
    await rx.stop();
  }
}

async function syncVolume(): Promise<void> {
  const r = await runTool("sync", []);
  if (r.code !== 0) throw new Error(`sync failed (${r.code}): ${r.stderr}`);
}

/**
 * Output of earlier runs is moved aside, not deleted, until the bench ends: ext4 skips recently freed inodes when
 * it allocates new ones, so deleting thousands of files just before a run would slow whichever receiver came next.
 */
async function setAsideOutput(): Promise<void> {
  const out = join(ROOT, "out");
  if (existsSync(out)) await rename(out, join(ROOT, `trash-${Date.now()}`));
}

async function emptyTrash(): Promise<void> {
  for (const name of await readdir(ROOT)) if (name.startsWith("trash-")) await rm(join(ROOT, name), { recursive: true, force: true });
}

async function main(): Promise<void> {
  await mkdir(ROOT, { recursive: true });
  await emptyTrash();
  await setAsideOutput();
  const d = await dataset();
  const rows: Row[] = [];
  // The least a durable receiver adds after each object's last byte: one flush of that object's size, per round.
  const objectBytes = (await stat(join(d.single, (await readdir(d.single)).sort()[0]!))).size;
  const flushMs: number[] = [];
  const singleMB = (COUNT * 512) / 1024;
  const parallelCount = Math.ceil(COUNT / PARALLEL) * PARALLEL;
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`round ${round}/${ROUNDS}`);
    await syncVolume();
    const ceiling = await durableCeiling(join(ROOT, "out", `ceiling-${round}`), 300, 512 * 1024);
    rows.push({ scenario: "ceiling", receiver: "node write+fdatasync+rename", instPerSec: ceiling, mbPerSec: (ceiling * 512) / 1024, peakRssMB: NaN, seconds: NaN });
    if (ONLY.has("parallel")) {
      const par = await durableCeiling(join(ROOT, "out", `ceiling-x${PARALLEL}-${round}`), 300, 512 * 1024, PARALLEL);
      rows.push({ scenario: `ceiling x${PARALLEL}`, receiver: `${PARALLEL} node loops`, instPerSec: par, mbPerSec: (par * 512) / 1024, peakRssMB: NaN, seconds: NaN });
    }
    if (ONLY.has("single")) {
      flushMs.push(await flushFloor(join(ROOT, "out", `flush-${round}`), 300, objectBytes));
      await measure(rows, "1 assoc x 512KB", () => startDcmtk(`s${round}`, false), [d.single], COUNT, singleMB, d.warmup);
      await measure(rows, "1 assoc x 512KB", () => startConduit(`s${round}`, "fsync"), [d.single], COUNT, singleMB, d.warmup);
      await measure(rows, "1 assoc x 512KB", () => startConduit(`n${round}`, "none"), [d.single], COUNT, singleMB, d.warmup);
    }
    if (ONLY.has("parallel")) {
      const mb = (parallelCount * 512) / 1024;
      await measure(rows, `${PARALLEL} assoc x 512KB`, () => startDcmtk(`p${round}`, true), d.parallel, parallelCount, mb, d.warmup);
      await measure(rows, `${PARALLEL} assoc x 512KB`, () => startConduit(`p${round}`, "fsync"), d.parallel, parallelCount, mb, d.warmup);
    }
    if (ONLY.has("big")) {
      await measure(rows, `1 x ${BIG_MB} MB`, () => startDcmtk(`b${round}`, false), [join(d.big, "..")], 1, BIG_MB, d.warmup);
      await measure(rows, `1 x ${BIG_MB} MB`, () => startConduit(`b${round}`, "fsync"), [join(d.big, "..")], 1, BIG_MB, d.warmup);
    }
    await setAsideOutput();
  }
  printTable(rows, flushMs);
  // Rule evaluation against the receive rate Conduit reached in this run (1 association, durable).
  const conduitRates = rows.filter((r) => r.scenario === "1 assoc x 512KB" && r.receiver.startsWith("conduit") && r.receiver.includes("fsync")).map((r) => r.instPerSec);
  const rate = conduitRates.length ? conduitRates.reduce((a, b) => a + b, 0) / conduitRates.length : undefined;
  console.log("");
  await benchRules(join(ROOT, "rules"), rate ? 1 / rate : undefined);
  console.log("");
  for (const line of await benchPlugins()) console.log(line);
  await emptyTrash();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
