// A one-line progress bar on a terminal (stderr); silent when stderr is not a TTY.

export class ProgressBar {
  private last = 0;
  private readonly tty: boolean;

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  update(done: number, bytes: number, startedAt: number): void {
    if (!this.tty) return;
    const now = Date.now();
    if (done < this.total && now - this.last < 100) return;
    this.last = now;
    const width = 30;
    const frac = this.total ? done / this.total : 1;
    const filled = Math.round(frac * width);
    const secs = Math.max((now - startedAt) / 1000, 0.001);
    const rate = done / secs;
    const mb = bytes / 1048576;
    const line = `${this.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${this.total} ${mb.toFixed(1)} MB ${rate.toFixed(0)}/s`;
    this.stream.write(`\r${line.padEnd(80)}`);
    if (done >= this.total) this.stream.write("\n");
  }

  finish(): void {
    if (this.tty && this.last !== 0) this.stream.write("\n");
  }
}
