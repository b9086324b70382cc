// Running the commands rules name ("run cad"): declared in the config, started without a shell, the path of the
// stored file or study folder passed as one argument; never a command line built from data set values.
import { spawn } from "node:child_process";
import type { Logger } from "pino";
import type { CommandConfig } from "../config/schema.js";

const MAX_RUNNING = 4;

interface Pending {
  name: string;
  command: CommandConfig;
  path: string;
  origin: string;
  done?: (code: number | null) => void;
}

export class CommandRunner {
  private running = 0;
  private readonly queue: Pending[] = [];

  constructor(private readonly log: Logger) {}

  /** Starts (or queues) a command; `{path}` in argv becomes `path`. */
  run(name: string, command: CommandConfig, path: string, origin: string, done?: (code: number | null) => void): void {
    this.queue.push({ name, command, path, origin, done });
    this.next();
  }

  get active(): number {
    return this.running + this.queue.length;
  }

  private next(): void {
    while (this.running < MAX_RUNNING && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      this.start(job, () => {
        this.running--;
        this.next();
      });
    }
  }

  private start(job: Pending, finished: () => void): void {
    const [program, ...args] = job.command.argv.map((a) => a.split("{path}").join(job.path));
    const started = Date.now();
    let output = "";
    let child;
    try {
      child = spawn(program!, args, { cwd: job.command.cwd, shell: false, stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      this.log.error({ command: job.name, origin: job.origin, err: String(err) }, "command could not start");
      job.done?.(null);
      finished();
      return;
    }
    const keep = (d: Buffer) => {
      if (output.length < 4000) output += d.toString("utf8");
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), job.command.timeout * 1000);
    timer.unref();
    let settled = false;
    const settle = (code: number | null, err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const fields = { command: job.name, origin: job.origin, code, ms: Date.now() - started, output: output.trim().slice(0, 2000) || undefined };
      if (err) this.log.error({ ...fields, err: err.message }, "command failed to start");
      else if (code === 0) this.log.info(fields, "command finished");
      else this.log.warn(fields, "command exited with an error");
      job.done?.(code);
      finished();
    };
    child.on("error", (err) => settle(null, err));
    child.on("close", (code) => settle(code));
  }
}
