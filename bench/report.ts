// Prints the benchmark table: per scenario, each receiver's median over rounds and the ratio to storescp.

export interface Row {
  scenario: string;
  receiver: string;
  instPerSec: number;
  mbPerSec: number;
  peakRssMB: number;
  seconds: number;
  /** CPU per instance (ms) of the receiver (with its forks and kernel work) and of the senders; machine busy 0..1. */
  cpu?: { receiverMs: number; senderMs: number; busy: number };
}

function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "-");

/** `flushMs`: the flush floor measured in each round (empty when the single-association scenario did not run). */
export function printTable(rows: Row[], flushMs: number[]): void {
  const ceilings = [...new Set(rows.filter((r) => r.scenario.startsWith("ceiling")).map((r) => r.scenario))];
  const ceilingOf = (name: string) => median(rows.filter((r) => r.scenario === name).map((r) => r.instPerSec));
  console.log("");
  for (const c of ceilings) {
    const loops = c === "ceiling" ? "" : `, ${c.slice("ceiling x".length)} loops at once`;
    console.log(`durable ${c} (write+fdatasync+rename, 512 KB${loops}): ${fmt(ceilingOf(c), 0)} files/s (median of rounds: ${rows.filter((r) => r.scenario === c).map((r) => fmt(r.instPerSec, 0)).join(", ")})`);
  }
  if (flushMs.length) console.log(`flush floor (fdatasync of one object overwritten in place): ${fmt(median(flushMs), 3)} ms (rounds: ${flushMs.map((f) => fmt(f, 3)).join(", ")})`);
  console.log("");
  const scenarios = [...new Set(rows.filter((r) => !r.scenario.startsWith("ceiling")).map((r) => r.scenario))];
  const header = ["scenario", "receiver", "inst/s", "MB/s", "peak RSS MB", "vs storescp", "vs ceiling", "CPU ms/inst rx / tx", "busy", "per round inst/s"];
  const lines: string[][] = [header];
  for (const s of scenarios) {
    const inScenario = rows.filter((r) => r.scenario === s);
    const receivers = [...new Set(inScenario.map((r) => r.receiver))];
    const baseline = median(inScenario.filter((r) => r.receiver.startsWith("storescp")).map((r) => r.instPerSec));
    // Parallel associations are compared with the ceiling of as many parallel loops.
    const par = /^(\d+) assoc/.exec(s);
    const ceiling = ceilingOf(par && par[1] !== "1" ? `ceiling x${par[1]}` : "ceiling");
    for (const rx of receivers) {
      const mine = inScenario.filter((r) => r.receiver === rx);
      const ips = median(mine.map((r) => r.instPerSec));
      const small = s.includes("512KB");
      const cpu = (k: "receiverMs" | "senderMs") => median(mine.map((r) => r.cpu?.[k] ?? NaN));
      lines.push([
        s,
        rx,
        fmt(ips),
        fmt(median(mine.map((r) => r.mbPerSec))),
        fmt(Math.max(...mine.map((r) => r.peakRssMB))),
        rx.startsWith("storescp") ? "1.00x" : `${fmt(ips / baseline, 2)}x`,
        small && !rx.startsWith("storescp") ? `${fmt(ips / ceiling, 2)}x` : "",
        small ? `${fmt(cpu("receiverMs"), 2)} / ${fmt(cpu("senderMs"), 2)}` : "",
        `${fmt(100 * median(mine.map((r) => r.cpu?.busy ?? NaN)), 0)}%`,
        mine.map((r) => fmt(r.instPerSec)).join(" / "),
      ]);
    }
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i]!)).join("  "));
  printDurableBound(rows, median(flushMs), ceilingOf("ceiling"));
  console.log("\nCPU: the receiver's figure is the machine's busy time minus the senders' (storescu) and this process's;");
  console.log("it includes the kernel's work for the receiver (page cache, writeback) and any processes it forked.");
}

/**
 * The most a durable receiver can reach on one association with this sender: storescu sends the next object only
 * after the response, and the response waits for the object's flush, so each object costs the cycle of the fastest
 * receiver that does not flush (storescp or Conduit with durability none) plus at least the flush floor.
 */
function printDurableBound(rows: Row[], flushMs: number, ceiling: number): void {
  const single = rows.filter((r) => r.scenario === "1 assoc x 512KB");
  const rate = (pick: (r: Row) => boolean) => median(single.filter(pick).map((r) => r.instPerSec));
  const noFlush = Math.max(rate((r) => r.receiver.startsWith("storescp")), rate((r) => r.receiver.includes("(none)")));
  const durable = rate((r) => r.receiver.includes("(fsync)"));
  if (!Number.isFinite(noFlush) || !Number.isFinite(flushMs)) return;
  const bound = 1000 / (1000 / noFlush + flushMs);
  console.log(
    `\n1 assoc, durable bound with this sender: 1 / (1/${fmt(noFlush)} + ${fmt(flushMs, 3)} ms) = ${fmt(bound)} inst/s` +
      ` = ${fmt(bound / ceiling, 2)}x ceiling; conduit (fsync) reached ${fmt(durable / bound, 2)}x of it`,
  );
}
