// Prints the benchmark table: per scenario, each receiver's median over rounds and the ratio to storescp.

export interface Row {
  scenario: string;
  receiver: string;
  instPerSec: number;
  mbPerSec: number;
  peakRssMB: number;
  seconds: number;
}

function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "-");

export function printTable(rows: Row[]): void {
  const ceiling = median(rows.filter((r) => r.scenario === "ceiling").map((r) => r.instPerSec));
  console.log(`\ndurable ceiling (write+fdatasync+rename, 512 KB): ${fmt(ceiling, 0)} files/s (median of rounds: ${rows.filter((r) => r.scenario === "ceiling").map((r) => fmt(r.instPerSec, 0)).join(", ")})\n`);
  const scenarios = [...new Set(rows.filter((r) => r.scenario !== "ceiling").map((r) => r.scenario))];
  const header = ["scenario", "receiver", "inst/s", "MB/s", "peak RSS MB", "vs storescp", "vs ceiling", "per round inst/s"];
  const lines: string[][] = [header];
  for (const s of scenarios) {
    const inScenario = rows.filter((r) => r.scenario === s);
    const receivers = [...new Set(inScenario.map((r) => r.receiver))];
    const baseline = median(inScenario.filter((r) => r.receiver.startsWith("storescp")).map((r) => r.instPerSec));
    for (const rx of receivers) {
      const mine = inScenario.filter((r) => r.receiver === rx);
      const ips = median(mine.map((r) => r.instPerSec));
      const small = s.includes("512KB");
      lines.push([
        s,
        rx,
        fmt(ips),
        fmt(median(mine.map((r) => r.mbPerSec))),
        fmt(Math.max(...mine.map((r) => r.peakRssMB))),
        rx.startsWith("storescp") ? "1.00x" : `${fmt(ips / baseline, 2)}x`,
        small && !rx.startsWith("storescp") ? `${fmt(ips / ceiling, 2)}x` : "",
        mine.map((r) => fmt(r.instPerSec)).join(" / "),
      ]);
    }
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i]!)).join("  "));
}
