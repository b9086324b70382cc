// Running the `conduit` command as a user does (bin/conduit.js on the compiled dist/), capturing its output.
import { spawn } from "node:child_process";
import { join } from "node:path";

export const BIN = join(import.meta.dirname, "..", "..", "bin", "conduit.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function conduitCli(args: readonly string[], opts: { cwd?: string; logLevel?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, CONDUIT_LOG_LEVEL: opts.logLevel ?? "silent" } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
